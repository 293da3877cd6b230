// The app as the tests drive it: the built app (target/web-ui-dist, from
// scripts/build-ui.sh) served on loopback with a `ferry-config.json` pointing at the proxy
// under `wrangler dev`, the loopback mock provider behind it, and headless Debian Chromium.
// `FerryPage` is the page object: every control is found by its role and accessible name.

import { mkdirSync } from 'node:fs';
import path from 'node:path';

import { startBrowser, startStatic } from '../../e2e/support/browser.mjs';
import { startMockProvider } from '../../e2e/support/mock-provider.mjs';
import { ROOT, freePort, mockVars, startWorker } from '../../e2e/support/worker.mjs';

export const DIST = path.join(ROOT, 'target', 'web-ui-dist');
/** The test-only build whose `window.ferryCrash()` panics (`scripts/build-ui.sh --crash-trigger`). */
export const CRASH_DIST = path.join(ROOT, 'target', 'web-ui-crash-dist');
export const SCREENSHOTS = path.join(ROOT, 'target', 'screenshots');
/** A provider only reachable through the proxy, so every call shows the proxy's behaviour. */
export const PROVIDER = 'mistral';
export const KEY = 'sk-ui-SECRET-5150';

/**
 * Starts the mock, the worker (`vars` added to the mock's) and the app (`config` added to
 * its `ferry-config.json`; served from `dist`). `restartWorker(vars)`
 * replaces the worker on the same port, as an operator's change of a variable does.
 */
export async function startApp({ vars = {}, config = {}, workerConfig, dist = DIST } = {}) {
  const mock = await startMockProvider();
  const port = await freePort();
  const launch = (extra) =>
    startWorker({ port, vars: { ...mockVars(mock.url), ...extra }, ...(workerConfig ? { config: workerConfig } : {}) });
  let worker = await launch(vars);
  const site = await startStatic({
    routes: {
      '/ferry-config.json': {
        type: 'application/json',
        body: JSON.stringify({ proxy_url: worker.url, provider: PROVIDER, model: 'mistral-small', ...config }),
      },
    },
    mounts: { '/': dist },
  });
  const browser = await startBrowser();
  return {
    mock,
    site,
    browser,
    get worker() {
      return worker;
    },
    async stopWorker() {
      await worker?.stop();
      worker = null;
    },
    async restartWorker(next = {}) {
      await worker?.stop();
      worker = await launch(next);
    },
    async page() {
      return new FerryPage(await browser.page(), site.url);
    },
    async stop() {
      await browser.stop();
      await site.stop();
      await worker?.stop();
      await mock.close();
    },
  };
}

/**
 * A spec file's usual start: the app started (`options` as for `startApp`), a page opened
 * on it (after `beforeOpen({ app, ferry })`, for what must precede loading) and, unless
 * `configure` is false, the key set (`configure`: the options of `FerryPage.configure`).
 */
export async function openApp({ configure = {}, beforeOpen, ...options } = {}) {
  const app = await startApp(options);
  const ferry = await app.page();
  await beforeOpen?.({ app, ferry });
  await ferry.open();
  if (configure) await ferry.configure(configure);
  return { app, ferry };
}

export class FerryPage {
  constructor(page, url) {
    this.page = page;
    this.url = url;
  }

  get message() {
    return this.page.getByRole('textbox', { name: 'Message' });
  }
  button(name) {
    return this.page.getByRole('button', { name, exact: true });
  }
  get banner() {
    return this.page.getByRole('alert');
  }
  get answers() {
    return this.page.getByRole('article', { name: 'Ferry said' });
  }
  get questions() {
    return this.page.getByRole('article', { name: 'You said' });
  }
  get chats() {
    return this.page.getByRole('navigation', { name: 'Chat list' }).getByRole('listitem');
  }

  /** Opens the app and waits until the agent has loaded. */
  async open() {
    await this.page.goto(`${this.url}/`);
    // The app marks the moment the agent has loaded and told it the settings.
    await this.page.waitForFunction(() => performance.getEntriesByName('ferry-ready').length > 0);
  }

  /** Sets the key (and model) in Settings and closes it. */
  async configure({ key = KEY, model = 'mistral-small', dontSave = false } = {}) {
    const dialog = this.page.getByRole('dialog', { name: 'Settings' });
    if (!(await dialog.isVisible())) await this.button('Settings').click();
    await dialog.getByRole('combobox', { name: 'Provider' }).selectOption(PROVIDER);
    await dialog.getByLabel('API key').fill(key);
    if (dontSave) await dialog.getByRole('checkbox', { name: "Don't save key" }).check();
    await dialog.getByRole('combobox', { name: 'Model' }).fill(model);
    await dialog.getByRole('button', { name: 'Save', exact: true }).click();
    // The first key saved gives way to the chat; a later Save says so and stays open.
    await Promise.race([
      dialog.waitFor({ state: 'hidden' }),
      dialog.getByRole('status').filter({ hasText: 'Saved' }).waitFor(),
    ]);
    if (await dialog.isVisible()) await dialog.getByRole('button', { name: 'Close', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
  }

  /** The Settings dialog, opened if it is not. */
  async settings() {
    const dialog = this.page.getByRole('dialog', { name: 'Settings' });
    if (!(await dialog.isVisible())) await this.button('Settings').click();
    await dialog.waitFor();
    return dialog;
  }

  /** Closes Settings (if open). */
  async closeSettings() {
    const dialog = this.page.getByRole('dialog', { name: 'Settings' });
    if (await dialog.isVisible()) await dialog.getByRole('button', { name: 'Close', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
  }

  /** Settings' "MCP servers" section (Settings opened). */
  async mcpSettings() {
    return (await this.settings()).getByRole('region', { name: 'MCP servers' });
  }

  /** The MCP server `name` in Settings' list (Settings open), by the name it shows. */
  mcpServer(name) {
    return this.page
      .getByRole('list', { name: 'MCP servers' })
      .getByRole('listitem', { name, exact: true });
  }

  /**
   * Adds the MCP server at `url` (with `token`) in Settings and waits for the agent's
   * answer: resolves with the failure's text (the form's alert), or null once the form is
   * cleared (added). Settings stays open.
   */
  async addMcpServer(url, { token } = {}) {
    const section = await this.mcpSettings();
    const field = section.getByRole('textbox', { name: 'MCP server URL' });
    await field.fill(url);
    if (token !== undefined) await section.getByLabel('MCP server token').fill(token);
    await section.getByRole('button', { name: 'Add MCP server', exact: true }).click();
    const alert = section.locator('.mcp-add').getByRole('alert');
    await this.page.waitForFunction(
      () => document.querySelector('#mcp-url')?.value === '' || document.querySelector('.mcp-add [role=alert]:not([hidden])'),
    );
    return (await alert.count()) > 0 ? alert.innerText() : null;
  }

  /** The approval setting of MCP tool `tool` (Settings open): the option's words. */
  async approvalOf(tool) {
    const select = this.page.getByRole('combobox', { name: `Approval for ${tool}`, exact: true });
    return select.evaluate((s) => s.selectedOptions[0]?.textContent);
  }

  /** Sets the approval of MCP tool `tool` (Settings open) to the option `words`. */
  async setApproval(tool, words) {
    await this.page.getByRole('combobox', { name: `Approval for ${tool}`, exact: true }).selectOption({ label: words });
  }

  /** The composer's `Tools` disclosure, opened. */
  async chatTools() {
    const tools = this.page.getByRole('group', { name: 'Tools', exact: true });
    if ((await tools.getAttribute('open')) === null) await tools.locator('summary').click();
    return tools;
  }

  /** The tool steps of the conversation (their summaries read "Tool: …"). */
  toolStep(text) {
    return this.page.locator('details.tool').filter({ hasText: text });
  }

  /** The composer's files (chips). */
  get attachments() {
    return this.page.getByRole('list', { name: 'Attachments' });
  }

  /**
   * Pastes files into the composer's text box, as a paste from the clipboard does:
   * `files` are `{ name, type, bytes }` (bytes: an array of numbers).
   */
  async paste(files) {
    await this.message.evaluate((box, files) => {
      const data = new DataTransfer();
      for (const f of files) data.items.add(new File([new Uint8Array(f.bytes)], f.name, { type: f.type }));
      box.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    }, files);
  }

  /**
   * Drags `files` (as for `paste`) over the composer and drops them there; `beforeDrop()`
   * runs while they are held over it.
   */
  async drop(files, beforeDrop) {
    const composer = this.page.locator('form.composer');
    const data = await this.page.evaluateHandle((files) => {
      const data = new DataTransfer();
      for (const f of files) data.items.add(new File([new Uint8Array(f.bytes)], f.name, { type: f.type }));
      return data;
    }, files);
    await composer.dispatchEvent('dragover', { dataTransfer: data });
    await beforeDrop?.();
    await composer.dispatchEvent('drop', { dataTransfer: data });
    await data.dispose();
  }

  async send(text) {
    await this.message.fill(text);
    await this.message.press('Enter');
  }

  /** Resolves once the turn is over (Send is back). */
  async idle() {
    await this.button('Send').waitFor();
  }

  async screenshot(name) {
    mkdirSync(SCREENSHOTS, { recursive: true });
    await this.page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
  }

  /** A whole object store of the app's IndexedDB database, as the test reads it. */
  readStore(store) {
    return this.page.evaluate(
      (store) =>
        new Promise((resolve, reject) => {
          const open = indexedDB.open('ferry');
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const request = open.result.transaction(store).objectStore(store).getAll();
            request.onsuccess = () => resolve(request.result);
            request.onerror = () => reject(request.error);
          };
        }),
      store,
    );
  }
}

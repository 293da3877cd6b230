// Ferry offline: the network cut for real (the browser offline with `context.setOffline`,
// and the server of the app stopped, since the service worker's own fetches do not obey
// the browser's offline switch), the app still opens from its service worker with its
// chats, search and Settings; the tokenizer and pdf.js, fetched once online, still work;
// a message sent offline stays in the composer, and goes by itself once back online when
// asked to.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { textPdf } from '../e2e/support/pdf.mjs';
import { openApp } from './support/app.mjs';

let app;
let ferry;
before(async () => {
  ({ app, ferry } = await openApp());
});
after(() => app?.stop());


/** The tokenizer's module worker, started and answering once its wasm has loaded. */
function pingTokenizer(page) {
  return page.evaluate(
    () =>
      new Promise((resolve) => {
        const tokenizer = new Worker('./web-agent-pkg/tokenizer-worker.js', { type: 'module' });
        tokenizer.onerror = (e) => resolve({ failed: String(e.message ?? e) });
        // An unknown op is answered only once the worker's wasm has loaded.
        tokenizer.onmessage = ({ data }) => {
          tokenizer.terminate();
          resolve(data);
        };
        tokenizer.postMessage({ id: 7, op: 'ping' });
      }),
  );
}

/** Attaches a PDF in the composer and waits until pdf.js has read its page; then removes it. */
async function readPdf(name) {
  await ferry.drop([{ name, type: 'application/pdf', bytes: textPdf(['Harbour timetable']) }]);
  const chip = ferry.attachments.getByRole('listitem').filter({ hasText: name });
  await chip.getByText(/^1 page · /).waitFor({ timeout: 20_000 });
  await chip.getByRole('button', { name: `Remove ${name}` }).click();
}

/** Resolves once the service worker's cache holds every file of `names` (URL path ends). */
async function cached(page, names) {
  await page.waitForFunction(
    async (names) => {
      const keys = [];
      for (const name of await caches.keys()) {
        if (name.startsWith('ferry-app-')) keys.push(...(await (await caches.open(name)).keys()).map((r) => r.url));
      }
      return names.every((n) => keys.some((k) => k.endsWith(n)));
    },
    names,
    { timeout: 20_000, polling: 250 },
  );
}

describe('offline', () => {
  it('online first: a chat, the tokenizer and pdf.js fetched once, and kept by the service worker', async () => {
    await ferry.page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 30_000 });
    await ferry.send('Timetable for the harbour');
    await ferry.answers.last().getByText('Hello from openai!').waitFor();
    await ferry.idle();
    assert.deepEqual(await pingTokenizer(ferry.page), { id: 7, error: 'unknown op ping' });
    await readPdf('online.pdf');
    await cached(ferry.page, [
      '/web-agent-pkg/tokenizer-worker.js',
      '/web-agent-pkg/ferry_tokenizer_o200k.js',
      '/web-agent-pkg/ferry_tokenizer_o200k_bg.wasm',
      '/web-agent-pkg/pdf/pdf.min.mjs',
      '/web-agent-pkg/pdf/pdf.worker.min.mjs',
    ]);
  });

  it('with the network cut, the app opens: chats, a chat, search, Settings, the tokenizer, pdf.js', async () => {
    const page = ferry.page;
    await page.context().setOffline(true);
    await app.site.stop();
    // Nothing answers at the app's address any more.
    await assert.rejects(fetch(`${app.site.url}/`));

    await ferry.open();
    assert.equal(await page.evaluate(() => navigator.onLine), false);
    await page.getByRole('status').filter({ hasText: 'Ferry is offline. Chats, search and Settings still work' }).waitFor();
    await ferry.chats.filter({ hasText: 'Timetable for the harbour' }).waitFor();
    await ferry.questions.getByText('Timetable for the harbour').waitFor();
    await ferry.answers.last().getByText('Hello from openai!').waitFor();

    const search = page.getByRole('searchbox', { name: 'Search chats' });
    await search.fill('no such words');
    await ferry.chats.filter({ hasText: 'Timetable for the harbour' }).waitFor({ state: 'detached' });
    await search.fill('harbour');
    await ferry.chats.filter({ hasText: 'Timetable for the harbour' }).waitFor();
    await search.fill('');

    const settings = await ferry.settings();
    assert.equal(await settings.getByRole('combobox', { name: 'Model' }).inputValue(), 'mistral-small');
    await ferry.closeSettings();

    assert.deepEqual(await pingTokenizer(page), { id: 7, error: 'unknown op ping' });
    await readPdf('offline.pdf');
    await ferry.screenshot('offline-start');
  });

  it('a message sent offline stays in the composer and goes once back online, when asked', async () => {
    const page = ferry.page;
    const text = 'Send this once the ferry docks';
    const asked = () =>
      app.mock.requests.filter((r) => JSON.stringify(r.body?.messages ?? []).includes(text)).length;
    await ferry.send(text);
    const notice = page.getByRole('status').filter({ hasText: 'Ferry is offline, so your message was not sent. It stays here.' });
    await notice.waitFor();
    assert.equal(await ferry.message.inputValue(), text, 'the draft is kept');
    assert.equal(await ferry.questions.filter({ hasText: text }).count(), 0);
    const auto = notice.getByRole('checkbox', { name: 'Send when back online' });
    await auto.check();
    await notice.getByText('It will be sent when you are back online.').waitFor();
    await ferry.screenshot('offline-send-held');
    assert.equal(asked(), 0, 'nothing sent while offline');

    await page.context().setOffline(false);
    await ferry.questions.getByText(text).waitFor();
    await ferry.answers.last().getByText('Hello from openai!').waitFor();
    await ferry.idle();
    assert.equal(asked(), 1, 'sent once');
    assert.equal(await ferry.message.inputValue(), '');
    assert.equal(await page.getByRole('status').filter({ hasText: 'Ferry is offline' }).count(), 0);
    // What failed offline outside a turn (Settings' model list) is not left behind.
    assert.equal(await ferry.banner.filter({ hasText: "Can't reach" }).count(), 0);
  });

  it('without the choice, back online the message waits for Send', async () => {
    const page = ferry.page;
    const text = 'Only when I say so';
    await page.context().setOffline(true);
    await ferry.send(text);
    const notice = page.getByRole('status').filter({ hasText: 'your message was not sent' });
    await notice.waitFor();
    await page.context().setOffline(false);
    await notice.waitFor({ state: 'hidden' });
    assert.equal(await ferry.message.inputValue(), text);
    assert.equal(app.mock.requests.filter((r) => JSON.stringify(r.body?.messages ?? []).includes(text)).length, 0);
    await ferry.message.press('Enter');
    await ferry.questions.getByText(text).waitFor();
    await ferry.idle();
  });
});

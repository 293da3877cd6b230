// What an answer looks like: Markdown with a highlighted code block whose Copy button puts
// the code on the clipboard, and a table. And when the agent module cannot load, the page
// says so with a Reload button instead of staying blank.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { startBrowser, startStatic } from '../e2e/support/browser.mjs';
import { DIST, openApp } from './support/app.mjs';

let app;
let ferry;
before(async () => {
  ({ app, ferry } = await openApp({
    configure: { model: 'markdown-1' },
    beforeOpen: ({ app }) =>
      app.browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.site.url }),
  }));
});
after(() => app?.stop());

describe('rendering', () => {
  it('renders Markdown: a highlighted code block with Copy, and a table', async () => {
    await ferry.send('Show me some code');
    const answer = ferry.answers.last();
    await answer.getByRole('table').waitFor();
    await ferry.idle();
    assert.equal(await answer.locator('strong').innerText(), 'Rust');
    const keyword = answer.locator('.code .tok-keyword').first();
    assert.equal(await keyword.innerText(), 'fn');
    assert.deepEqual(await answer.getByRole('cell').allInnerTexts(), ['1', '2']);
    await answer.getByRole('button', { name: 'Copy code' }).click();
    await answer.getByRole('button', { name: 'Copy code' }).getByText('Copied').waitFor();
    const copied = await ferry.page.evaluate(() => navigator.clipboard.readText());
    assert.equal(copied, 'fn main() {\n    println!("hi");\n}\n');
    await ferry.screenshot('markdown');
  });
});

describe('an agent that will not load', () => {
  it('says so, with a Reload button, instead of a blank page', async () => {
    const site = await startStatic({
      routes: {
        '/ferry-config.json': { type: 'application/json', body: '{}' },
        '/web-agent-pkg/web_agent.js': { status: 404, type: 'text/plain', body: 'gone' },
      },
      mounts: { '/': DIST },
    });
    const browser = await startBrowser();
    try {
      const page = await browser.page();
      await page.goto(`${site.url}/`);
      const alert = page.getByRole('alert');
      await alert.getByText(/Ferry could not start/).waitFor();
      await alert.getByRole('button', { name: 'Reload' }).waitFor();
      // The frame is there: chats and settings are still reachable.
      await page.getByRole('button', { name: 'New chat' }).waitFor();
    } finally {
      await browser.stop();
      await site.stop();
    }
  });
});

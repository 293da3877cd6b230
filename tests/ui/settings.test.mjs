// Settings and the user's data: the Model picker filled from the provider's live list
// (through the proxy), the key never in IndexedDB in plaintext, and an export imported
// into a fresh browser profile restoring every chat.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';

import { startBrowser } from '../e2e/support/browser.mjs';
import { FerryPage, KEY, openApp } from './support/app.mjs';

let app;
let ferry;
before(async () => {
  ({ app, ferry } = await openApp({ configure: false }));
});
after(() => app?.stop());

describe('settings', () => {
  it('opens by itself on the first visit, when there is no key', async () => {
    await ferry.page.getByRole('dialog', { name: 'Settings' }).waitFor();
    await ferry.screenshot('settings');
  });

  it('Test lists the provider\'s models, and the picker offers them', async () => {
    const dialog = ferry.page.getByRole('dialog', { name: 'Settings' });
    await dialog.getByRole('combobox', { name: 'Provider' }).selectOption('mistral');
    await dialog.getByLabel('API key').fill(KEY);
    await dialog.getByRole('button', { name: 'Test' }).click();
    const list = dialog.getByRole('list', { name: 'Available models' });
    await list.getByRole('button').first().waitFor();
    const offered = await list.getByRole('button').allInnerTexts();
    assert.ok(offered.includes('gpt-4o-mini'), offered.join(', '));
    await list.getByRole('button', { name: 'gpt-4o-mini' }).click();
    assert.equal(await dialog.getByRole('combobox', { name: 'Model' }).inputValue(), 'gpt-4o-mini');
    // Opened without a key, saved with one: Settings gives way to the chat.
    await dialog.getByRole('button', { name: 'Save', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    const listed = app.mock.requests.find((r) => r.path === '/openai/v1/models');
    assert.equal(listed.headers.authorization, `Bearer ${KEY}`);
  });

  it('keeps the key encrypted: it is nowhere in IndexedDB in plaintext', async () => {
    await ferry.send('Hello there');
    await ferry.idle();
    for (const store of ['keys', 'settings', 'sessions', 'messages']) {
      const stored = JSON.stringify(await ferry.readStore(store));
      assert.ok(!stored.includes(KEY), `${store}: ${stored.slice(0, 200)}`);
      assert.ok(!stored.includes('SECRET'), store);
    }
    assert.match(JSON.stringify(await ferry.readStore('keys')), /"provider":"mistral"/);
  });

  it('an export imported into a fresh profile restores every chat', async () => {
    await ferry.button('New chat').click();
    await ferry.send('Second chat');
    // Send is there before the new chat exists too: wait for the question, then the turn.
    await ferry.questions.getByText('Second chat').waitFor();
    await ferry.idle();
    await ferry.button('Settings').click();
    const [download] = await Promise.all([
      ferry.page.waitForEvent('download'),
      ferry.page.getByRole('button', { name: 'Export data' }).click(),
    ]);
    const file = await download.path();
    const exported = readFileSync(file, 'utf8');
    assert.ok(!exported.includes(KEY), 'exports leave keys out');

    // A second browser with an empty profile.
    const other = await startBrowser();
    try {
      const fresh = new FerryPage(await other.page(), app.site.url);
      await fresh.open();
      const dialog = fresh.page.getByRole('dialog', { name: 'Settings' });
      // A damaged export (one message its own parent) is refused whole, saying why.
      const damaged = JSON.parse(exported);
      damaged.messages[0].parent = damaged.messages[0].id;
      await dialog.getByLabel('Import file').setInputFiles({
        name: 'damaged.json',
        mimeType: 'application/json',
        buffer: Buffer.from(JSON.stringify(damaged)),
      });
      await dialog
        .getByRole('status')
        .filter({ hasText: /^Nothing was imported: message ".+" is its own ancestor/ })
        .waitFor();
      assert.equal(await fresh.chats.count(), 0);
      await dialog.getByLabel('Import file').setInputFiles(file);
      await dialog
        .getByRole('status')
        .filter({ hasText: 'Imported 2 chats' })
        .waitFor()
        .catch(async (error) => {
          // Say what the page showed instead, so that a failure explains itself.
          const said = await fresh.page.getByRole('status').allInnerTexts();
          const alerts = await fresh.page.getByRole('alert').allInnerTexts();
          const chats = await fresh.chats.count();
          const shown = `statuses ${JSON.stringify(said)}, alerts ${JSON.stringify(alerts)}, ${chats} chats`;
          throw new Error(`no import notice: ${shown}`, { cause: error });
        });
      await dialog.getByRole('button', { name: 'Close', exact: true }).click();
      const titles = await fresh.chats.locator('.session-open').allInnerTexts();
      assert.deepEqual(titles.map((t) => t.trim()).sort(), ['Hello there', 'Second chat']);
      await fresh.page.getByRole('button', { name: 'Hello there', exact: true }).click();
      await fresh.questions.getByText('Hello there').waitFor();
      assert.equal(await fresh.answers.count(), 1);
    } finally {
      await other.stop();
    }
  });
});

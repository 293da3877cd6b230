// Two tabs on one profile (two pages of one browser context, one IndexedDB): a message sent
// in one appears in the other, settings saved in one are what the other's agent sends with,
// and neither tab writes over the other's draft (drafts are per tab and per chat); what
// else is posted on the tabs' channel is ignored.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { openApp } from './support/app.mjs';

let app;
let one;
let two;
before(async () => {
  ({ app, ferry: one } = await openApp());
  two = await app.page();
  await two.open();
});
after(() => app?.stop());

const completions = () => app.mock.requestsTo('/chat/completions');

describe('two tabs on one profile', () => {
  it('a message sent in one tab appears in the other', async () => {
    await one.send('Hello from tab one');
    await one.idle();
    // The other tab's chat list has the new chat, without a reload.
    const chat = two.page.getByRole('button', { name: 'Hello from tab one', exact: true });
    await chat.waitFor();
    await chat.click();
    await two.questions.getByText('Hello from tab one').waitFor();
    await two.answers.first().waitFor();
    // With the chat open in both, the next message shows in the other as it is saved.
    await one.send('And a second message');
    await one.idle();
    await two.questions.getByText('And a second message').waitFor();
    assert.equal(await two.answers.count(), 2);
  });

  it("neither tab writes over the other's draft", async () => {
    await two.message.fill('Draft of tab two');
    await one.message.fill('Draft of tab one');
    // A message sent in tab one redraws the chat in tab two: its draft stays.
    await one.message.fill('');
    await one.send('A third message');
    await one.idle();
    await two.questions.getByText('A third message').waitFor();
    assert.equal(await two.message.inputValue(), 'Draft of tab two');
    await one.message.fill('Draft of tab one');
    // Reloaded, each tab has its own draft back.
    await two.open();
    await two.questions.getByText('A third message').waitFor();
    await two.page.waitForFunction(() => document.querySelector('textarea[aria-label=Message]')?.value !== '');
    assert.equal(await two.message.inputValue(), 'Draft of tab two');
    await one.open();
    await one.questions.getByText('A third message').waitFor();
    await one.page.waitForFunction(() => document.querySelector('textarea[aria-label=Message]')?.value !== '');
    assert.equal(await one.message.inputValue(), 'Draft of tab one');
  });

  it('a draft belongs to its chat: another chat has its own', async () => {
    await two.button('New chat').click();
    await two.page.waitForFunction(() => document.querySelector('textarea[aria-label=Message]')?.value === '');
    await two.message.fill('Draft of a new chat');
    await two.page.getByRole('button', { name: 'Hello from tab one', exact: true }).click();
    await two.questions.getByText('A third message').waitFor();
    await two.page.waitForFunction(() => document.querySelector('textarea[aria-label=Message]')?.value === 'Draft of tab two');
  });

  it("settings saved in one tab are what the other tab's agent sends with", async () => {
    const dialog = await one.settings();
    await dialog.getByRole('combobox', { name: 'Model' }).fill('mistral-large');
    await dialog.getByRole('button', { name: 'Save', exact: true }).click();
    await dialog.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    await one.closeSettings();
    app.mock.clear();
    // Tab two never opened Settings: its agent read them again when tab one saved.
    await two.message.fill('');
    await two.send('Which model answers?');
    await two.idle();
    await two.answers.nth(3).waitFor();
    assert.deepEqual(
      completions().map((r) => r.body.model),
      ['mistral-large'],
    );
    // And the message is in tab one too.
    await one.questions.getByText('Which model answers?').waitFor();
  });

  it('what is posted on the channel and is not a note changes nothing', async () => {
    const failures = [];
    const listen = (page) => {
      page.on('pageerror', (e) => failures.push(e.message));
      page.on('console', (m) => m.type() === 'error' && failures.push(m.text()));
    };
    listen(one.page);
    listen(two.page);
    await two.message.fill('Draft kept through the noise');
    const questions = await two.questions.count();
    // Anyone on the origin can post on the channel: none of this is a tab's note.
    await one.page.evaluate(() => {
      const channel = new BroadcastChannel('ferry-sync');
      for (const junk of [
        42,
        null,
        { chats: true, deleted: true },
        'not json',
        '{"chats": "yes"}',
        '{"changed": [{"kind": "everything"}], "chats": true}',
        JSON.stringify({ session: 'no-such-chat', deleted: true }),
        JSON.stringify({ chats: true, changed: ['keys'], session: 'x'.repeat(100_000), deleted: true }),
      ]) {
        channel.postMessage(junk);
      }
      channel.close();
    });
    // A tab's own note after the noise is still heard: the noise did not stop the listener.
    await one.send('Heard after the noise');
    await one.idle();
    await two.questions.getByText('Heard after the noise').waitFor();
    assert.equal(await two.questions.count(), questions + 1, 'the open chat stayed open and whole');
    assert.equal(await two.message.inputValue(), 'Draft kept through the noise');
    assert.equal(await two.banner.count(), 0);
    assert.deepEqual(failures, []);
  });
});

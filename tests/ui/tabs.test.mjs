// Two tabs on one profile (two pages of one browser context, one IndexedDB): a message sent
// in one appears in the other, settings saved in one are what the other's agent sends with,
// and neither tab writes over the other's draft (drafts are per tab and per chat).

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
});

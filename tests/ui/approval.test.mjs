// Tool approval, the defence against prompt injection: a page fetched from a URL the model
// made up waits for the user, inline in the conversation with the exact URL; Deny tells the
// model and fetches nothing; Allow once, Allow in this chat and Always allow last as long
// as they say; a URL the user typed runs unasked; a memory write after a fetched page asks
// with the note's text; Stop while an approval waits ends the turn.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { INJECTED_NOTE } from '../e2e/support/mock-provider.mjs';
import { openApp } from './support/app.mjs';

let app;
let ferry;
before(async () => {
  // The pages live on the loopback mock, which only a test worker may fetch.
  ({ app, ferry } = await openApp({ vars: { FETCH_ALLOW_PRIVATE: 'true' }, configure: { model: 'agent-1' } }));
});
after(() => app?.stop());

/** The address the mock model makes up for "guess the page <name>". */
const pageUrl = (name) => `${app.mock.url}/pages/${name}`;
/** How often the page server was asked for the page. */
const hits = (name) => app.mock.requests.filter((r) => r.path === `/pages/${name}`).length;
const approvals = () => ferry.page.getByRole('group', { name: /^Approve / });
const lastModelCall = () => app.mock.requests.findLast((r) => r.path === '/openai/v1/chat/completions');

/** Sends `text` and resolves with the approval it raised, shown with `subject` exactly. */
async function asked(text, subject) {
  await ferry.send(text);
  const approval = approvals().last();
  await approval.waitFor();
  await approval.getByText(subject, { exact: true }).waitFor();
  return approval;
}

/**
 * Waits for the answer the mock model gives after the tool results, and the turn's end.
 * The turn is one answer however many model calls it made: the one after the `before`
 * there were.
 */
async function done(before, { pattern = /^Done: / } = {}) {
  await ferry.answers.nth(before).getByText(pattern).waitFor();
  await ferry.idle();
  assert.equal(await ferry.answers.count(), before + 1, 'one answer for the turn');
}

async function newChat() {
  await ferry.button('New chat').click();
  await ferry.page.getByText('Your keys, your browser. Ask anything.').waitFor();
}

describe('tool approval', () => {
  it('a made-up URL asks, showing it; Deny tells the model and nothing is fetched', async () => {
    const before = await ferry.answers.count();
    const approval = await asked('guess the page deny', pageUrl('deny'));
    await approval.getByText('Ferry wants to fetch this page:').waitFor();
    for (const name of ['Allow once', 'Allow in this chat', 'Always allow', 'Deny']) {
      await approval.getByRole('button', { name, exact: true }).waitFor();
    }
    await ferry.button('Stop').waitFor();
    await ferry.screenshot('approval');
    await approval.getByRole('button', { name: 'Deny', exact: true }).click();
    await done(before, { pattern: /^Done: \(not run: the user declined/ });
    assert.equal(await approvals().count(), 0);
    assert.equal(hits('deny'), 0, 'the page server saw nothing');
    const refusal = lastModelCall().body.messages.at(-1);
    assert.equal(refusal.role, 'tool');
    assert.match(refusal.content, /the user declined/);
    await ferry.page.getByRole('group').filter({ hasText: 'Tool: web_fetch — declined' }).waitFor();
  });

  it('Allow once fetches the page', async () => {
    const before = await ferry.answers.count();
    const approval = await asked('guess the page once', pageUrl('once'));
    assert.equal(hits('once'), 0, 'nothing before the answer');
    await approval.getByRole('button', { name: 'Allow once', exact: true }).click();
    await done(before);
    assert.equal(hits('once'), 1);
    assert.match(lastModelCall().body.messages.at(-1).content, /This is the page called once/);
  });

  it('Allow in this chat does not ask again in that chat, but does in a new one', async () => {
    await newChat();
    let before = await ferry.answers.count();
    const approval = await asked('guess the page chat-1', pageUrl('chat-1'));
    await approval.getByRole('button', { name: 'Allow in this chat', exact: true }).click();
    await done(before);
    assert.equal(hits('chat-1'), 1);

    before = await ferry.answers.count();
    await ferry.send('guess the page chat-2');
    // Answered without a pause: an approval would hold the turn.
    await done(before);
    assert.equal(hits('chat-2'), 1);
    assert.equal(await approvals().count(), 0);

    await newChat();
    before = await ferry.answers.count();
    const again = await asked('guess the page chat-3', pageUrl('chat-3'));
    assert.equal(hits('chat-3'), 0);
    await again.getByRole('button', { name: 'Deny', exact: true }).click();
    await done(before);
    assert.equal(hits('chat-3'), 0);
  });

  it('Stop while an approval waits ends the turn, and nothing is fetched', async () => {
    await newChat();
    await asked('guess the page stop', pageUrl('stop'));
    await ferry.button('Stop').click();
    await ferry.idle();
    assert.equal(await approvals().count(), 0);
    assert.equal(hits('stop'), 0);
    await ferry.page.getByRole('group').filter({ hasText: 'Tool: web_fetch — stopped' }).waitFor();
    // The chat goes on.
    const before = await ferry.answers.count();
    await ferry.send('hello');
    await ferry.answers.nth(before).getByText('Hello from the agent model.').waitFor();
    await ferry.idle();
  });

  it('a URL the user typed is fetched without asking', async () => {
    await newChat();
    const before = await ferry.answers.count();
    await ferry.send(`What does ${pageUrl('typed')} say?`);
    await done(before);
    assert.equal(hits('typed'), 1);
    assert.equal(await approvals().count(), 0);
  });

  it('a memory write after a fetched page asks, with the note text', async () => {
    await newChat();
    const before = await ferry.answers.count();
    // The user's own URL: fetched unasked; the page then tells the model to save a note.
    await ferry.send(`What does ${pageUrl('inject')} say?`);
    const approval = ferry.page.getByRole('group', { name: 'Approve memory_save' });
    await approval.waitFor();
    await approval.getByText(INJECTED_NOTE, { exact: true }).waitFor();
    await approval.getByText('Ferry wants to remember this note:').waitFor();
    assert.equal(hits('inject'), 1);
    await approval.getByRole('button', { name: 'Deny', exact: true }).click();
    await done(before, { pattern: /^Done: \(not run: the user declined/ });
    const notes = await ferry.readStore('notes');
    assert.ok(!notes.some((n) => n.text.includes('evil.example')), JSON.stringify(notes));
  });

  it('Always allow is kept and survives a reload', async () => {
    await newChat();
    let before = await ferry.answers.count();
    const approval = await asked('guess the page always-1', pageUrl('always-1'));
    await approval.getByRole('button', { name: 'Always allow', exact: true }).click();
    await done(before);
    assert.equal(hits('always-1'), 1);

    await ferry.open();
    const [settings] = await ferry.readStore('settings');
    assert.deepEqual(settings.always_allow, ['web_fetch']);
    await newChat();
    before = await ferry.answers.count();
    await ferry.send('guess the page always-2');
    await done(before);
    assert.equal(hits('always-2'), 1);
    assert.equal(await approvals().count(), 0);
  });
});

// The chat: a pasted key, a streamed answer that grows as it arrives and survives a
// reload; Stop keeps the partial answer; Regenerate and Edit-and-resend add a version, the
// old one kept (branches.test.mjs moves between them); Shift+Enter is a new line, Enter sends.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { KEY, openApp } from './support/app.mjs';

let app;
let ferry;
before(async () => {
  ({ app, ferry } = await openApp({ configure: { model: 'slow-1' } }));
});
after(() => app?.stop());

describe('chat', () => {
  it('streams the answer token by token, and the conversation survives a reload', async () => {
    await ferry.send('Count for me');
    const answer = ferry.answers.last();
    // The mock sends five words 300 ms apart: the first is shown before the last is sent.
    await answer.getByText(/^one/).waitFor();
    assert.doesNotMatch(await answer.innerText(), /five/);
    await answer.getByText('one two three four five').waitFor();
    await ferry.idle();
    await ferry.screenshot('chat');

    await ferry.page.reload();
    await ferry.questions.getByText('Count for me').waitFor();
    assert.match(await ferry.answers.last().innerText(), /one two three four five/);
    // The request went through the proxy with the user's key.
    const call = app.mock.requests.findLast((r) => r.path === '/openai/v1/chat/completions');
    assert.equal(call.headers.authorization, `Bearer ${KEY}`);
  });

  it('Stop keeps the partial answer, marked stopped', async () => {
    const answers = await ferry.answers.count();
    await ferry.send('Count again');
    const answer = ferry.answers.nth(answers);
    await answer.getByText(/^one two/).waitFor();
    await ferry.button('Stop').click();
    await ferry.idle();
    await answer.getByText('Stopped').waitFor();
    // The stored session is shown again once the turn is over: read the settled text.
    await answer.locator('.text').filter({ hasText: /^one two/ }).waitFor();
    const partial = await answer.locator('.text').innerText();
    assert.doesNotMatch(partial, /five/);
    await ferry.page.reload();
    await ferry.questions.getByText('Count again').waitFor();
    assert.match(await ferry.answers.last().innerText(), /^Ferry\s+one two/);
  });

  it('Esc stops a turn too', async () => {
    const answers = await ferry.answers.count();
    await ferry.send('And once more');
    await ferry.answers.nth(answers).getByText(/^one/).waitFor();
    await ferry.page.keyboard.press('Escape');
    await ferry.idle();
    await ferry.answers.last().getByText('Stopped').waitFor();
  });

  it('Regenerate answers the last question again: a second version of the answer', async () => {
    const before = await ferry.answers.count();
    await ferry.button('Regenerate').click();
    await ferry.answers.last().getByText('one two three four five').waitFor();
    await ferry.idle();
    assert.equal(await ferry.answers.count(), before);
    await ferry.answers.last().getByRole('group', { name: 'Versions' }).getByText('2 / 2').waitFor();
    assert.equal(await ferry.answers.last().getByText('Stopped').count(), 0);
  });

  it('Edit answers a question anew as its second version; what followed stays with the first', async () => {
    const first = ferry.questions.first();
    await first.getByRole('button', { name: 'Edit' }).click();
    await first.getByRole('textbox', { name: 'Edit message' }).fill('Count, edited');
    await first.getByRole('button', { name: 'Save and resend' }).click();
    await ferry.answers.last().getByText('one two three four five').waitFor();
    await ferry.idle();
    assert.equal(await ferry.questions.count(), 1);
    assert.equal(await ferry.answers.count(), 1);
    await ferry.questions.getByText('Count, edited').waitFor();
    await ferry.questions.first().getByRole('group', { name: 'Versions' }).getByText('2 / 2').waitFor();
    const sent = app.mock.requests.findLast((r) => r.path === '/openai/v1/chat/completions');
    assert.equal(sent.body.messages.at(-1).content, 'Count, edited');
  });

  it('Shift+Enter writes a new line; Enter sends', async () => {
    await ferry.message.fill('line one');
    await ferry.message.press('Shift+Enter');
    await ferry.message.type('line two');
    assert.equal(await ferry.message.inputValue(), 'line one\nline two');
    await ferry.message.press('Enter');
    await ferry.questions.last().getByText(/line one\s+line two/).waitFor();
    await ferry.idle();
    assert.equal(await ferry.message.inputValue(), '');
  });

  it('shows the token counts of the conversation and of the draft', async () => {
    await ferry.message.fill('twelve chars');
    // Mistral's tokenizer is not public: estimated at four characters a token.
    await ferry.page.getByText(/Conversation: ≈\d+ tokens · Draft: ≈3$/).waitFor();
    await ferry.message.fill('');
  });

  it('shows tool calls as collapsible steps of the answer', async () => {
    await ferry.configure({ model: 'agent-1' });
    await ferry.send('remember: tea, no sugar');
    await ferry.answers.last().getByText(/^Done: /).waitFor();
    await ferry.idle();
    const step = ferry.page.getByRole('group').filter({ hasText: 'Tool: memory_save — done' });
    await step.waitFor();
    await step.getByText('Tool: memory_save — done').click();
    await step.getByText(/saved as note/).waitFor();
    await ferry.screenshot('tools');
  });
});

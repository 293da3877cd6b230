// A long conversation in a small context window: older messages are sent as a summary, a
// marker shows where, and every message is still there to scroll back to.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { exportDocument } from '../e2e/support/export.mjs';
import { PROVIDER, openApp } from './support/app.mjs';

let app;
let ferry;
before(async () => {
  ({ app, ferry } = await openApp());
});
after(() => app?.stop());

const longSession = (proxyUrl) =>
  exportDocument({
    title: 'A long talk',
    count: 8,
    text: (i, role) => `${role === 'assistant' ? 'Answer' : 'Question'} ${i}: ${'lorem ipsum dolor sit amet '.repeat(8)}`,
    // About 60 tokens a message: the next question passes 90 % of 500.
    settings: { provider: PROVIDER, model: 'mistral-small', proxy_url: proxyUrl, context_window: 500, answer_reserve: 0, keep_recent_tokens: 100 },
  });

describe('compaction', () => {
  it('marks where the summary begins, and keeps every message in view', async () => {
    await ferry.button('Settings').click();
    const dialog = ferry.page.getByRole('dialog', { name: 'Settings' });
    await dialog.getByLabel('Import file').setInputFiles({
      name: 'long.json',
      mimeType: 'application/json',
      buffer: Buffer.from(longSession(app.worker.url)),
    });
    await dialog.getByRole('status').filter({ hasText: 'Imported 1 chats' }).waitFor();
    // The imported settings take effect when the app starts again.
    await ferry.page.reload();
    await ferry.open();
    await ferry.page.getByRole('button', { name: 'A long talk', exact: true }).click();
    await ferry.questions.getByText(/^Question 6:/).waitFor();
    await ferry.send('One more question');
    await ferry.answers.last().getByText('Hello from openai!').waitFor();
    await ferry.idle();
    const marker = ferry.page.getByRole('separator', { name: 'Earlier messages summarized' });
    await marker.waitFor();
    // Everything is still on the page, the oldest first.
    assert.equal(await ferry.questions.count(), 5);
    await ferry.questions.getByText(/^Question 0:/).waitFor();
    const calls = app.mock.requests.filter((r) => r.path === '/openai/v1/chat/completions');
    const turn = calls.at(-1).body.messages.map((m) => m.content).join('\n');
    assert.doesNotMatch(turn, /Question 0:/, 'the oldest question went as part of the summary');
    assert.match(turn, /One more question/);
    await ferry.screenshot('compaction');
  });
});

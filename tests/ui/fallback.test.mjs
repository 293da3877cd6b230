// Fallback chains: the main model fails and the answer comes from the next model of the
// chain, with a badge naming the model that answered and why the one before was skipped —
// after a 503, after a hang (no first answer in time), and after a short rate limit that
// is waited out on the same model while a countdown shows.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { openApp } from './support/app.mjs';

const BACKUP = 'mistral-small';

let app;
let ferry;
before(async () => {
  ({ app, ferry } = await openApp());
  // Every chat's default chain: the main model, then mistral-small.
  const section = (await ferry.settings()).getByRole('region', { name: 'Fallback models' });
  await section.getByRole('combobox', { name: 'Fallback service' }).selectOption('mistral');
  await section.getByRole('textbox', { name: 'Fallback model' }).fill(BACKUP);
  await section.getByRole('button', { name: 'Add fallback model' }).click();
  await section.getByRole('list', { name: 'Fallback models' }).getByRole('listitem').filter({ hasText: BACKUP }).waitFor();
  await ferry.closeSettings();
});
after(() => app?.stop());

/** The models the mock was asked for in chat calls, from the `n`th on. */
const modelsAsked = (from) =>
  app.mock.requests
    .filter((r) => r.path === '/openai/v1/chat/completions')
    .slice(from)
    .map((r) => r.body?.model);

const chatCalls = () => modelsAsked(0).length;

/** The last answer's badge and the reasons the links before it were skipped. */
async function answeredBy() {
  const answer = ferry.answers.last();
  const badge = await answer.locator('.answered-by .badge').innerText();
  const skipped = await answer.getByRole('list', { name: 'Skipped models' }).getByRole('listitem').allInnerTexts().catch(() => []);
  return { badge, skipped };
}

describe('fallback chains', () => {
  it('a 503 from the main model: the next model answers, and the badge says so', async () => {
    await ferry.configure({ model: 'mistral-error503' });
    const before = chatCalls();
    await ferry.send('Who answers?');
    await ferry.answers.last().getByText('Answered by mistral-small').waitFor();
    await ferry.idle();
    assert.match(await ferry.answers.last().innerText(), /Hello from openai!/);
    const { badge, skipped } = await answeredBy();
    assert.equal(badge, 'Answered by mistral-small');
    assert.equal(skipped.length, 1);
    assert.match(skipped[0], /^mistral-error503: server error: .* — skipped$/);
    assert.deepEqual(modelsAsked(before), ['mistral-error503', BACKUP]);
    await ferry.screenshot('fallback-503');
  });

  it('a hang: no first answer within the setting, and the next model answers', async () => {
    await ferry.configure({ model: 'mistral-hang' });
    const section = (await ferry.settings()).getByRole('region', { name: 'Fallback models' });
    const wait = section.getByRole('spinbutton', { name: 'Seconds to wait for a first answer' });
    await wait.fill('3');
    await wait.press('Tab');
    await ferry.closeSettings();
    const before = chatCalls();
    const started = Date.now();
    await ferry.send('Anyone awake?');
    await ferry.answers.last().getByText('Answered by mistral-small').waitFor({ timeout: 20_000 });
    await ferry.idle();
    const took = Date.now() - started;
    assert.ok(took >= 3_000 && took < 15_000, `${took} ms`);
    const { skipped } = await answeredBy();
    assert.deepEqual(skipped, ['mistral-hang: timed out: no answer in 3 s — skipped']);
    assert.deepEqual(modelsAsked(before), ['mistral-hang', BACKUP]);
  });

  it('a short Retry-After: a countdown, then the same model again', async () => {
    await ferry.configure({ model: 'mistral-ratelimit-ui' });
    const before = chatCalls();
    await ferry.send('Patience?');
    const countdown = ferry.page.getByRole('status', { name: 'Fallback countdown' });
    await countdown.getByText(/mistral-ratelimit-ui is rate limited: trying it again in \d+ s/).waitFor();
    await ferry.screenshot('fallback-countdown');
    await ferry.answers.last().getByText('Answered by mistral-ratelimit-ui').waitFor({ timeout: 20_000 });
    await ferry.idle();
    assert.equal(await countdown.isVisible(), false);
    const { skipped } = await answeredBy();
    assert.deepEqual(skipped, []);
    // Two 429s waited out, then the answer: the same model three times, never the next.
    assert.deepEqual(modelsAsked(before), ['mistral-ratelimit-ui', 'mistral-ratelimit-ui', 'mistral-ratelimit-ui']);
  });
});

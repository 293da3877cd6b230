// The user's key goes to the provider and nowhere else: not in any answer's headers or body
// (successes, streams, errors, broken streams) and not in the worker's log.

import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';

import { KEY, MESSAGES, WEATHER_TOOL, modelFor, post, providerHeaders, useStack } from './support/stack.mjs';

// Rejected by the mock (it starts with "bad-key"), echoed in the mock's error message.
const BAD_KEY = 'bad-key-SECRET-xyz789';
const SECRETS = [KEY, BAD_KEY, 'SECRET-abc123', 'SECRET-xyz789'];

// Records are kept across tests: the last ones check what reached the provider overall.
const stack = useStack({}, { keepRecords: true });

function assertNoSecret(label, text) {
  for (const secret of SECRETS) {
    assert.ok(!text.includes(secret), `${label} contains ${secret}:\n${text.slice(0, 2000)}`);
  }
}

/** Sends a request and checks every header and the whole body of the answer. */
async function check(label, promise) {
  const res = await promise;
  let body;
  try {
    body = await res.text();
  } catch (err) {
    body = `(body broke: ${err.message})`;
  }
  const headers = [...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n');
  assertNoSecret(`${label}: headers`, headers);
  assertNoSecret(`${label}: body`, body);
  return { status: res.status, body };
}

const chat = (provider, model, extra = {}, key = KEY) =>
  post(stack.url, '/v1/chat/completions', { model, messages: MESSAGES, ...extra }, providerHeaders(provider, key));

describe('the key is never echoed', () => {
  for (const provider of ['openai', 'anthropic', 'google']) {
    it(`${provider}: answers, streams, lists and errors`, async () => {
      const ok = await check('whole', chat(provider, modelFor(provider, 'x')));
      assert.equal(ok.status, 200);
      const streamed = await check('stream', chat(provider, modelFor(provider, 'x'), { stream: true }));
      assert.ok(streamed.body.includes('[DONE]'));
      await check('tools', chat(provider, modelFor(provider, 'tools'), { stream: true, tools: [WEATHER_TOOL] }));
      await check('cut', chat(provider, modelFor(provider, 'cut'), { stream: true }));
      await check('error500', chat(provider, modelFor(provider, 'error500')));
      const refused = await check('bad key', chat(provider, modelFor(provider, 'x'), {}, BAD_KEY));
      assert.equal(refused.status, 401);
      const refusedStream = await check('bad key, stream', chat(provider, modelFor(provider, 'x'), { stream: true }, BAD_KEY));
      assert.equal(refusedStream.status, 401);
      const models = await check('models', fetch(`${stack.url}/v1/models`, { headers: providerHeaders(provider) }));
      assert.equal(models.status, 200);
      await check('models, bad key', fetch(`${stack.url}/v1/models`, { headers: providerHeaders(provider, BAD_KEY) }));
    });
  }

  it('embeddings', async () => {
    for (const provider of ['openai', 'google']) {
      const model = provider === 'openai' ? 'text-embedding-3-small' : 'text-embedding-004';
      const body = { model, input: 'hello', encoding_format: 'float' };
      const ok = await check(`${provider} embeddings`, post(stack.url, '/v1/embeddings', body, providerHeaders(provider)));
      assert.equal(ok.status, 200);
      await check(`${provider} embeddings, bad key`, post(stack.url, '/v1/embeddings', body, providerHeaders(provider, BAD_KEY)));
    }
  });

  it('the keys did reach the provider, in its auth header', () => {
    const sent = stack.mock.requests.map((r) => r.headers.authorization ?? r.headers['x-api-key'] ?? r.headers['x-goog-api-key']);
    assert.ok(sent.includes(`Bearer ${KEY}`));
    assert.ok(sent.includes(KEY));
    assert.ok(sent.includes(BAD_KEY));
  });

  it("the worker's log holds neither key (checked last)", async () => {
    await sleep(500); // let the last log lines arrive
    const log = stack.worker.logs();
    assert.ok(log.length > 0, 'no log captured');
    for (const secret of SECRETS) {
      assert.ok(!log.includes(secret), `the worker log contains ${secret}`);
    }
  });
});

// The daily token quota under AUTH_MODE=supabase: reserved before each call, settled to the
// provider's real usage after it, refused with Retry-After until the next UTC midnight
// once spent; per user. A stream the client leaves settles what was sent and streamed
// (most providers count only in the last chunk); the reservation counts tool definitions.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';

import { abortAfterContent, readSse } from './support/sse.mjs';
import {
  FORMATS,
  MESSAGES,
  WEATHER_TOOL,
  assertError,
  chatAs,
  post,
  providerHeaders,
  startStack,
  useStack,
} from './support/stack.mjs';
import { claims, hs256 } from './support/tokens.mjs';

const SECRET = 'quota-test-secret-with-at-least-32-chars!!';
const SUPABASE_URL = 'https://quota-test.supabase.invalid';
// Every mock answer uses 11 + 7 tokens; a quota of 40 admits three answers, then refuses.
const QUOTA = 40;
const USED_PER_CALL = FORMATS.openai.usage.total_tokens;

const stack = useStack({
  vars: { AUTH_MODE: 'supabase', SUPABASE_URL, SUPABASE_JWT_SECRET: SECRET, DAILY_TOKEN_QUOTA: String(QUOTA) },
});

const newUser = () => hs256(SECRET, claims(SUPABASE_URL));

/** Seconds from now to the next UTC midnight. */
function untilMidnight() {
  const now = Date.now();
  const next = new Date(now);
  next.setUTCHours(24, 0, 0, 0);
  return Math.ceil((next - now) / 1000);
}

describe('daily token quota', () => {
  it('settles to real usage and refuses until UTC midnight once spent', async () => {
    const user = newUser();
    // Streams settle before they close, so each next request sees the settled usage.
    for (let i = 0; i < Math.ceil(QUOTA / USED_PER_CALL); i += 1) {
      const res = await chatAs(stack.url, user, { stream: true });
      assert.equal(res.status, 200);
      const events = await readSse(res);
      assert.equal(events.at(-1).data, '[DONE]');
    }
    const refused = await chatAs(stack.url, user);
    const retryAfter = Number(refused.headers.get('retry-after'));
    await assertError(refused, 429, 'quota_exceeded');
    assert.ok(Math.abs(retryAfter - untilMidnight()) <= 5, `Retry-After ${retryAfter}, midnight in ${untilMidnight()}`);
    // Another user's quota is untouched.
    assert.equal((await chatAs(stack.url, newUser())).status, 200);
  });
});

describe('the quota in storage', () => {
  it('what a burst settles is written by the alarm and outlives the process', async () => {
    // Two calls a moment apart: the first admission writes the day at once; both
    // settlements, within five seconds of that write, wait for the object's alarm. After a
    // restart, a quota of two calls' usage refuses a third only if the alarm wrote them.
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'ferry-quota-'));
    const options = {
      vars: { AUTH_MODE: 'supabase', SUPABASE_URL, SUPABASE_JWT_SECRET: SECRET, DAILY_TOKEN_QUOTA: String(2 * USED_PER_CALL) },
      persistTo: stateDir,
    };
    const user = newUser();
    let started;
    try {
      started = await startStack(options);
      for (let i = 0; i < 2; i += 1) {
        const res = await chatAs(started.url, user);
        assert.equal(res.status, 200);
        await res.arrayBuffer();
      }
      // The alarm rings 5 s after the first write; a loaded machine may ring it late.
      await new Promise((resolve) => setTimeout(resolve, 8_000));
      const first = started;
      started = undefined;
      await first.stop();
      started = await startStack(options);
      await assertError(await chatAs(started.url, user), 429, 'quota_exceeded');
      assert.equal((await chatAs(started.url, newUser())).status, 200);
    } finally {
      await started?.stop();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});

// A provider that streams slowly (a word every 300 ms, 30 of them) and, like most, counts
// only in its last chunk; Groq points at it on a second proxy with a quota of 3 tokens.
const SMALL_QUOTA = 3;
// Streams the slow provider saw closed before their end.
let slowStreamsCut = 0;
const slowServer = http.createServer(async (req, res) => {
  req.resume();
  res.on('close', () => {
    if (!res.writableEnded) slowStreamsCut += 1;
  });
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const chunk = (fields) => `data: ${JSON.stringify({ id: 'slow', object: 'chat.completion.chunk', created: 1, model: 'slow', ...fields })}\n\n`;
  for (let i = 0; i < 30 && !res.destroyed; i += 1) {
    res.write(chunk({ choices: [{ index: 0, delta: { content: 'word ' } }] }));
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  if (res.destroyed) return;
  res.write(chunk({ choices: [], usage: { prompt_tokens: 1, completion_tokens: 30, total_tokens: 31 } }));
  res.end('data: [DONE]\n\n');
});
await new Promise((resolve) => slowServer.listen(0, '127.0.0.1', resolve));
after(() => slowServer.close());
const small = useStack({
  vars: {
    AUTH_MODE: 'supabase',
    SUPABASE_URL,
    SUPABASE_JWT_SECRET: SECRET,
    DAILY_TOKEN_QUOTA: String(SMALL_QUOTA),
    GROQ_BASE_URL: `http://127.0.0.1:${slowServer.address().port}/v1`,
  },
});

const chatAsWith = (url, bearer, body, signal, provider = 'openai') =>
  fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...providerHeaders(provider), authorization: `Bearer ${bearer}` },
    body: JSON.stringify(body),
    signal,
  });

describe('what a call counts', () => {
  it('a stream the client leaves at mid-answer settles its input and the output so far', async () => {
    const user = newUser();
    // "Hi" and a 1-token answer limit: 2 tokens held while in flight, under the quota of
    // 3. The client leaves after two words, long before the provider's count would come:
    // the call settles its estimate instead — 1 token in, 3 or more out ("word word "
    // and what followed before the proxy noticed) — and spends the quota. Had it settled
    // nothing, or kept its 2-token hold, the next call would still be let in.
    const controller = new AbortController();
    const cutBefore = slowStreamsCut;
    const body = { model: 'slow', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 1, stream: true };
    const res = await chatAsWith(small.url, user, body, controller.signal, 'groq');
    assert.equal(res.status, 200);
    assert.equal(await abortAfterContent(res, controller, 2), 'word word ');
    // The settlement runs once the proxy notices the client has gone.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    // The provider's stream was closed too, not read to its end.
    assert.equal(slowStreamsCut, cutBefore + 1);
    await assertError(await chatAs(small.url, user), 429, 'quota_exceeded');
    // Another user's quota is untouched.
    assert.equal((await chatAs(small.url, newUser())).status, 200);
  });

  it('big tool definitions reserve more', async () => {
    const user = newUser();
    // A tool of ~400 characters: ~100 tokens held while the call is in flight, over the
    // quota of 40 together with a 1-token answer limit.
    const tool = { ...WEATHER_TOOL, function: { ...WEATHER_TOOL.function, description: 'd'.repeat(400) } };
    const controller = new AbortController();
    const first = await chatAsWith(
      stack.url,
      user,
      { model: 'gpt-4o-slow', messages: MESSAGES, max_tokens: 1, tools: [tool], stream: true },
      controller.signal,
    );
    assert.equal(first.status, 200);
    try {
      // While the first call holds its reservation, the next one finds no room.
      await assertError(await chatAs(stack.url, user), 429, 'quota_exceeded');
    } finally {
      await readSse(first);
    }
    // Without tools, the same call holds only a few tokens: another user's pair both pass.
    const other = newUser();
    const light = await chatAsWith(stack.url, other, { model: 'gpt-4o-slow', messages: MESSAGES, max_tokens: 1, stream: true });
    assert.equal(light.status, 200);
    const second = await chatAs(stack.url, other);
    assert.equal(second.status, 200, await second.clone().text());
    await readSse(light);
  });
});

// A provider that counts far more than a call reserved (1 000 tokens for a 1-token answer
// limit), and that holds every call of the model "held" without answering, noting when the
// proxy gives one up.
const HELD_QUOTA = 200;
const held = { seen: 0, closed: 0 };
const heldServer = http.createServer(async (req, res) => {
  let raw = '';
  for await (const piece of req) raw += piece;
  const { model } = JSON.parse(raw);
  if (model === 'held') {
    held.seen += 1;
    res.on('close', () => {
      if (!res.writableFinished) held.closed += 1;
    });
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const chunk = (fields) => `data: ${JSON.stringify({ id: 'big', object: 'chat.completion.chunk', created: 1, model, ...fields })}\n\n`;
  res.write(chunk({ choices: [{ index: 0, delta: { content: 'counted' } }] }));
  res.write(chunk({ choices: [], usage: { prompt_tokens: 1, completion_tokens: 999, total_tokens: 1_000 } }));
  res.end('data: [DONE]\n\n');
});
await new Promise((resolve) => heldServer.listen(0, '127.0.0.1', resolve));
after(() => {
  heldServer.closeAllConnections();
  heldServer.close();
});
const overspent = useStack({
  vars: {
    AUTH_MODE: 'supabase',
    SUPABASE_URL,
    SUPABASE_JWT_SECRET: SECRET,
    DAILY_TOKEN_QUOTA: String(HELD_QUOTA),
    GROQ_BASE_URL: `http://127.0.0.1:${heldServer.address().port}/v1`,
  },
});

describe('limits beside the provider call', () => {
  it('a call let out early that the quota then refuses is aborted, and the refusal is the answer', async () => {
    const user = newUser();
    const body = (model) => ({ model, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 1, stream: true });
    // The first call is the proxy's first word on this user: it waits for the limits, which
    // report the quota nearly whole. It then settles 1 000 tokens, five times the quota.
    const first = await chatAsWith(overspent.url, user, body('big'), undefined, 'groq');
    assert.equal(first.status, 200);
    assert.match(first.headers.get('server-timing'), /limits;dur=\d+;desc="before upstream"/);
    assert.equal((await readSse(first)).at(-1).data, '[DONE]');
    // The next call leaves for the provider beside its limits check, on the last word; the
    // limits object, which knows of the 1 000 tokens, refuses it.
    const second = await chatAsWith(overspent.url, user, body('held'), undefined, 'groq');
    assert.match(second.headers.get('server-timing'), /limits;dur=\d+;desc="beside upstream"/);
    await assertError(second, 429, 'quota_exceeded');
    assert.equal(held.seen, 1, 'the early call did not reach the provider');
    // The provider's connection is closed, its answer never taken (the proxy aborts the
    // call; the end of the request would end it too).
    for (let waited = 0; held.closed === 0 && waited < 5_000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(held.closed, 1, 'the refused call was left running at the provider');
    // Refused, the user is no longer let out early: the next call waits and never leaves.
    const third = await chatAsWith(overspent.url, user, body('held'), undefined, 'groq');
    assert.match(third.headers.get('server-timing'), /limits;dur=\d+;desc="before upstream"/);
    await assertError(third, 429, 'quota_exceeded');
    assert.equal(held.seen, 1);
  });
});

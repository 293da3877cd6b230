// The daily token quota under AUTH_MODE=supabase: reserved before each call, settled to the
// provider's real usage after it, refused with Retry-After until the next UTC midnight
// once spent; per user.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { readSse } from './support/sse.mjs';
import { FORMATS, assertError, chatAs, useStack } from './support/stack.mjs';
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


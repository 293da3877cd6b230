// One test file's system under test: the mock provider plus a worker pointed at it, and the
// clients and checks the test files share.

import assert from 'node:assert/strict';
import { after, before, beforeEach } from 'node:test';
import OpenAI from 'openai';

import { startMockProvider } from './mock-provider.mjs';
import { mockVars, startWorker } from './worker.mjs';

/** The user's provider key in every happy-path request: distinctive, so leaks are findable. */
export const KEY = 'sk-test-SECRET-abc123';

/** Per format: a default model, and the usage the proxy must report for the mock's answer. */
export const FORMATS = {
  openai: {
    model: 'gpt-4o-mini',
    usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 },
  },
  anthropic: {
    model: 'claude-sonnet-4-5',
    // The mock reports input_tokens 11 plus cache_read_input_tokens 3 (Anthropic counts cached
    // input apart); the proxy folds cached input into prompt_tokens and names it in details.
    usage: { prompt_tokens: 14, completion_tokens: 7, total_tokens: 21, cached_tokens: 3 },
  },
  google: {
    model: 'gemini-2.5-flash',
    usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 },
  },
};

/** Model name for a scenario of the mock, in a provider's naming style. */
export function modelFor(provider, scenario) {
  const prefix = { openai: 'gpt', anthropic: 'claude', google: 'gemini' }[provider] ?? 'model';
  return `${prefix}-${scenario}`;
}

/**
 * Starts the mock and a worker pointed at it; `vars` add to or override the mock vars, and
 * `persistTo` keeps the worker's state in a directory a later stack may start from.
 * Returns `{ mock, worker, url, client(), stop() }`.
 */
export async function startStack({ vars = {}, persistTo } = {}) {
  const mock = await startMockProvider();
  let worker;
  try {
    worker = await startWorker({ vars: { ...mockVars(mock.url), ...vars }, persistTo });
  } catch (err) {
    await mock.close();
    throw err;
  }
  return {
    mock,
    worker,
    url: worker.url,
    /** An official OpenAI SDK client talking to the proxy as `provider` with `key`. */
    client(provider, key = KEY, extraHeaders = {}) {
      const headers = { 'X-Provider-Key': key, ...extraHeaders };
      if (provider) headers['X-Provider'] = provider;
      return new OpenAI({
        apiKey: 'unused',
        baseURL: `${worker.url}/v1`,
        defaultHeaders: headers,
        maxRetries: 0,
        timeout: 20_000,
      });
    },
    async stop() {
      await worker.stop();
      await mock.close();
    },
  };
}

/**
 * Registers a stack for the calling test file: started before its tests, stopped after,
 * the mock's records cleared before each test unless `keepRecords`. `options` may be a
 * function, called in `before`, for options that need set-up of their own. Returns the
 * stack, filled in once `before` has run.
 */
export function useStack(options = {}, { keepRecords = false } = {}) {
  const stack = {};
  before(async () => {
    Object.assign(stack, await startStack(typeof options === 'function' ? await options() : options));
  });
  after(async () => {
    await stack.stop?.();
  });
  beforeEach(() => {
    if (!keepRecords) stack.mock?.clear();
  });
  return stack;
}

/** A chat completion (default OpenAI model) as the user of `bearer`, through the proxy at `url`. */
export function chatAs(url, bearer, { stream = false } = {}) {
  return post(
    url,
    '/v1/chat/completions',
    { model: FORMATS.openai.model, messages: MESSAGES, stream },
    { ...providerHeaders('openai'), authorization: `Bearer ${bearer}` },
  );
}

/** POSTs JSON (or a raw string body) to the proxy. */
export function post(url, path, body, headers = {}) {
  return fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(20_000),
  });
}

/** Headers that select `provider` with `key`. */
export function providerHeaders(provider, key = KEY) {
  return { 'X-Provider': provider, 'X-Provider-Key': key };
}

export function assertRequestId(res) {
  const id = res.headers.get('x-request-id');
  assert.ok(id && id.length > 0, `X-Request-Id missing on ${res.status} ${res.url}`);
}

/**
 * Checks a contract error: status, JSON body `{"error":{"type","code","message"}}`, the
 * `provider` field when given, X-Request-Id. Returns the `error` object.
 */
export async function assertError(res, status, code, { provider } = {}) {
  const text = await res.text();
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status}: ${text}`);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  assertRequestId(res);
  const body = JSON.parse(text);
  assert.equal(typeof body.error, 'object', text);
  assert.equal(typeof body.error.type, 'string', text);
  assert.ok(body.error.type.length > 0, text);
  assert.equal(typeof body.error.message, 'string', text);
  assert.ok(body.error.message.length > 0, text);
  if (code !== undefined) assert.equal(body.error.code, code, text);
  else assert.equal(typeof body.error.code, 'string', text);
  if (provider !== undefined) assert.equal(body.error.provider, provider, text);
  return body.error;
}

/** A user message plus a system message, the shape most tests send. */
export const MESSAGES = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'Hi' },
];

/** The tool the `tools` scenario calls. */
export const WEATHER_TOOL = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather in a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
      required: ['city'],
    },
  },
};

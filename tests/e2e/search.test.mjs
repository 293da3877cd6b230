// POST /v1/proxy/search: the user's own Brave or Tavily key, each engine's documented wire
// format upstream (read back from the mock's records), one result shape back.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { SEARCH_HITS } from './support/mock-provider.mjs';
import { assertError, assertRequestId, post, useStack } from './support/stack.mjs';

const KEY = 'search-key-SECRET-42';
const stack = useStack();

const search = (engine, body, key = KEY) =>
  post(stack.url, '/v1/proxy/search', body, { 'X-Provider': engine, 'X-Provider-Key': key });

describe('web search', () => {
  it('brave: the key in X-Subscription-Token, results in one shape', async () => {
    const res = await search('brave', { query: 'ferry agent', count: 2 });
    assert.equal(res.status, 200);
    assertRequestId(res);
    assert.deepEqual(await res.json(), { results: SEARCH_HITS });
    const [sent] = stack.mock.requests;
    assert.equal(sent.method, 'GET');
    assert.equal(sent.path, '/brave/res/v1/web/search');
    assert.deepEqual(sent.query, { q: 'ferry agent', count: '2' });
    assert.equal(sent.headers['x-subscription-token'], KEY);
    assert.equal(sent.headers.authorization, undefined);
  });

  it('tavily: the key as a bearer token, query and max_results in the body', async () => {
    const res = await search('tavily', { query: 'ferry agent', count: 1 });
    assert.deepEqual(await res.json(), { results: SEARCH_HITS.slice(0, 1) });
    const [sent] = stack.mock.requests;
    assert.equal(sent.method, 'POST');
    assert.equal(sent.path, '/tavily/search');
    assert.deepEqual(sent.body, { query: 'ferry agent', max_results: 1 });
    assert.equal(sent.headers.authorization, `Bearer ${KEY}`);
  });

  it('bad requests: no engine, unknown engine, no key, empty query', async () => {
    await assertError(await post(stack.url, '/v1/proxy/search', { query: 'q' }, { 'X-Provider-Key': KEY }), 400, 'invalid_request');
    await assertError(await search('bing', { query: 'q' }), 400, 'invalid_request');
    await assertError(await post(stack.url, '/v1/proxy/search', { query: 'q' }, { 'X-Provider': 'brave' }), 400, 'invalid_request');
    await assertError(await search('brave', { query: '  ' }), 400, 'invalid_request');
    assert.equal(stack.mock.requests.length, 0);
  });

  it('a refused key keeps the engine status, without the key; an engine failure is 502', async () => {
    const refused = await search('tavily', { query: 'q' }, 'bad-key-SECRET-7');
    const body = await refused.clone().text();
    await assertError(refused, 401, 'invalid_api_key');
    assert.ok(!body.includes('SECRET'), body);
    await assertError(await search('brave', { query: 'error500' }), 502, 'upstream_error');
  });
});

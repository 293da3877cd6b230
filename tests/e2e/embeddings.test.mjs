// Embeddings through the official SDK: OpenAI passed through, Gemini translated from
// batchEmbedContents.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { EMBEDDING } from './support/mock-provider.mjs';
import { KEY, assertError, assertRequestId, post, providerHeaders, useStack } from './support/stack.mjs';

const stack = useStack();

describe('embeddings', () => {
  it('openai: the SDK default (base64) round-trips', async () => {
    const result = await stack
      .client('openai')
      .embeddings.create({ model: 'text-embedding-3-small', input: 'hello' });
    assert.equal(result.object, 'list');
    assert.equal(result.data.length, 1);
    assert.deepEqual(result.data[0].embedding, EMBEDDING);
    assert.equal(result.usage.prompt_tokens, 5);

    const [record] = stack.mock.requests;
    assert.equal(stack.mock.requests.length, 1);
    assert.equal(record.path, '/openai/v1/embeddings');
    assert.equal(record.headers.authorization, `Bearer ${KEY}`);
    assert.equal(record.body.model, 'text-embedding-3-small');
    assert.equal(record.body.input, 'hello');
    assert.equal(record.body.encoding_format, 'base64');
  });

  it('openai: float vectors for several inputs', async () => {
    const result = await stack.client('openai').embeddings.create({
      model: 'text-embedding-3-small',
      input: ['a', 'b'],
      encoding_format: 'float',
    });
    assert.deepEqual(
      result.data.map((d) => [d.index, d.embedding]),
      [
        [0, EMBEDDING],
        [1, EMBEDDING],
      ],
    );
  });

  it('google: translated from batchEmbedContents', async () => {
    // Gemini answers floats only, so the client asks for floats (the SDK's default is base64).
    const result = await stack.client('google').embeddings.create({
      model: 'text-embedding-004',
      input: ['first text', 'second text'],
      encoding_format: 'float',
    });
    assert.equal(result.object, 'list');
    assert.equal(result.data.length, 2);
    result.data.forEach((d, i) => {
      assert.equal(d.object, 'embedding');
      assert.equal(d.index, i);
      assert.deepEqual(d.embedding, EMBEDDING);
    });
    assert.equal(typeof result.usage?.prompt_tokens, 'number');

    const [record] = stack.mock.requests;
    assert.equal(stack.mock.requests.length, 1);
    assert.equal(record.method, 'POST');
    assert.equal(record.path, '/google/v1beta/models/text-embedding-004:batchEmbedContents');
    assert.equal(record.headers['x-goog-api-key'], KEY);
    assert.equal(record.headers['x-provider-key'], undefined);
    assert.deepEqual(
      record.body.requests.map((r) => [r.model, r.content.parts.map((p) => p.text).join('')]),
      [
        ['models/text-embedding-004', 'first text'],
        ['models/text-embedding-004', 'second text'],
      ],
    );
  });

  it('/v1/proxy/embeddings answers like /v1/embeddings', async () => {
    const res = await post(
      stack.url,
      '/v1/proxy/embeddings',
      { model: 'text-embedding-3-small', input: 'hello', encoding_format: 'float' },
      providerHeaders('openai'),
    );
    assert.equal(res.status, 200);
    assertRequestId(res);
    const body = await res.json();
    assert.deepEqual(body.data[0].embedding, EMBEDDING);
  });

  it('anthropic has no embeddings: 400 invalid_request', async () => {
    const res = await post(
      stack.url,
      '/v1/embeddings',
      { model: 'claude-sonnet-4-5', input: 'hello' },
      providerHeaders('anthropic'),
    );
    await assertError(res, 400, 'invalid_request');
    assert.equal(stack.mock.requests.length, 0);
  });
});

// Images and PDFs end to end through the proxy under `wrangler dev`, sent with the official
// `openai` SDK as OpenAI's content parts (`image_url` with a data URL, `file` with
// `file_data`), against the mock provider, which records what it receives:
// - OpenAI-format providers get the parts as they were sent;
// - Anthropic gets `image` and `document` blocks with base64 sources and their media types,
//   the PDF titled by its file name;
// - Gemini gets `inlineData` with the MIME type;
// - a file part Anthropic or Gemini cannot take (an OpenAI file id) is refused before any
//   upstream call;
// - the body caps: MAX_BODY_BYTES for everything, MAX_MEDIA_BODY_BYTES for a chat request
//   whose excess is image and file data; bytes are counted as read, whatever
//   Content-Length says; ferry-config.json tells the app both.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';

import { KEY, assertError, post, providerHeaders, useStack } from './support/stack.mjs';

const CHAT = '/v1/chat/completions';
// wrangler.toml's values, which the local config keeps.
const MAX_BODY_BYTES = 131_072;
const MAX_MEDIA_BODY_BYTES = 3 * 1024 * 1024;

// A 1 × 1 PNG.
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

/** A PDF of about `size` bytes (a one-page document padded with a comment), as base64. */
function pdf(size = 0) {
  const head = '%PDF-1.4\n1 0 obj <</Type/Catalog/Pages 2 0 R>> endobj\n' +
    '2 0 obj <</Type/Pages/Kids[3 0 R]/Count 1>> endobj\n' +
    '3 0 obj <</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>> endobj\n';
  const pad = size > 0 ? `%${randomBytes(Math.ceil(size / 2)).toString('hex').slice(0, size)}\n` : '';
  return Buffer.from(`${head}${pad}trailer <</Root 1 0 R>>\n%%EOF\n`).toString('base64');
}

/** A user message with text, an image and a PDF. */
function message(pdfData = pdf(), imageData = PNG) {
  return {
    role: 'user',
    content: [
      { type: 'text', text: 'Compare the chart with the report.' },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${imageData}` } },
      { type: 'file', file: { filename: 'report.pdf', file_data: `data:application/pdf;base64,${pdfData}` } },
    ],
  };
}

const MODELS = { openai: 'gpt-4o', anthropic: 'claude-sonnet-4-5', google: 'gemini-2.0-flash' };
const ANSWERS = { openai: 'Hello from openai!', anthropic: 'Hello from anthropic!', google: 'Hello from google!' };

const stack = useStack();

function upstream() {
  return stack.mock.requests.filter((r) => !r.path.startsWith('/__mock'));
}

function assertNothingUpstream() {
  assert.deepEqual(upstream().map((r) => r.path), [], 'refused before reaching the provider');
}

/** The content the provider received for the first user turn, in its own format. */
function receivedContent(provider) {
  const [record] = upstream();
  assert.ok(record, 'one upstream request');
  if (provider === 'anthropic') return record.body.messages[0].content;
  if (provider === 'google') return record.body.contents[0].parts;
  return record.body.messages[0].content;
}

describe('images and PDFs reach each provider in its own format', () => {
  it('openai: image_url and file parts pass as they were sent', async () => {
    const sent = message();
    const answer = await stack.client('openai').chat.completions.create({ model: MODELS.openai, messages: [sent] });
    assert.equal(answer.choices[0].message.content, ANSWERS.openai);
    assert.deepEqual(receivedContent('openai'), sent.content);
  });

  it('anthropic: image and document blocks with base64 sources', async () => {
    const data = pdf();
    const answer = await stack.client('anthropic').chat.completions.create({
      model: MODELS.anthropic,
      messages: [message(data)],
    });
    assert.equal(answer.choices[0].message.content, ANSWERS.anthropic);
    assert.deepEqual(receivedContent('anthropic'), [
      { type: 'text', text: 'Compare the chart with the report.' },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
      {
        type: 'document',
        source: { type: 'base64', media_type: 'application/pdf', data },
        title: 'report.pdf',
      },
    ]);
  });

  it('google: inline data with its MIME type, streamed', async () => {
    const data = pdf();
    const stream = await stack.client('google').chat.completions.create({
      model: MODELS.google,
      messages: [message(data)],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    assert.equal(text, ANSWERS.google);
    assert.deepEqual(receivedContent('google'), [
      { text: 'Compare the chart with the report.' },
      { inlineData: { mimeType: 'image/png', data: PNG } },
      { inlineData: { mimeType: 'application/pdf', data } },
    ]);
  });

  for (const provider of ['anthropic', 'google']) {
    it(`${provider}: a file it cannot read (an OpenAI file id, a Word file) is refused, nothing sent`, async () => {
      for (const file of [
        { file_id: 'file-6F2ksmvXxt4VdoqmHRw6kL' },
        { filename: 'a.docx', file_data: 'data:application/vnd.openxmlformats-officedocument.wordprocessingml.document;base64,UEsDBA==' },
      ]) {
        const res = await post(
          stack.url,
          CHAT,
          { model: MODELS[provider], messages: [{ role: 'user', content: [{ type: 'text', text: 'read' }, { type: 'file', file }] }] },
          providerHeaders(provider),
        );
        const error = await assertError(res, 400, 'invalid_request');
        assert.doesNotMatch(error.message, new RegExp(KEY));
      }
      assertNothingUpstream();
    });
  }
});

describe('body caps', () => {
  it('ferry-config.json tells the app both caps', async () => {
    const res = await fetch(`${stack.url}/ferry-config.json`);
    const config = await res.json();
    assert.equal(config.max_body_bytes, MAX_BODY_BYTES);
    assert.equal(config.max_media_body_bytes, MAX_MEDIA_BODY_BYTES);
  });

  for (const provider of ['openai', 'anthropic', 'google']) {
    it(`${provider}: a 2.4 MB body of an image and a PDF, between the caps, goes through whole`, async () => {
      const data = pdf(1_200_000);
      const image = randomBytes(600_000).toString('base64');
      const body = { model: MODELS[provider], messages: [message(data, image)] };
      const length = Buffer.byteLength(JSON.stringify(body));
      assert.ok(length > 2 * 1024 * 1024 && length < MAX_MEDIA_BODY_BYTES, `${length}`);
      const res = await post(stack.url, CHAT, body, providerHeaders(provider));
      assert.equal(res.status, 200, await res.clone().text());
      await res.arrayBuffer();
      const received = JSON.stringify(receivedContent(provider));
      assert.ok(received.includes(data), 'the PDF arrived whole');
      assert.ok(received.includes(image), 'the image arrived whole');
    });
  }

  it('a body over MAX_MEDIA_BODY_BYTES is refused with 413 naming that cap', async () => {
    const body = { model: MODELS.openai, messages: [message(randomBytes(3_300_000).toString('base64'))] };
    assert.ok(Buffer.byteLength(JSON.stringify(body)) > MAX_MEDIA_BODY_BYTES);
    const error = await assertError(await post(stack.url, CHAT, body, providerHeaders('openai')), 413, 'payload_too_large');
    assert.match(error.message, /3145728 bytes \(MAX_MEDIA_BODY_BYTES/);
    assertNothingUpstream();
  });

  it('the same body chunked, without Content-Length: counted as read, the same 413', async () => {
    const text = JSON.stringify({ model: MODELS.anthropic, messages: [message(randomBytes(3_300_000).toString('base64'))] });
    const bytes = Buffer.from(text);
    let offset = 0;
    const stream = new ReadableStream({
      pull(controller) {
        if (offset >= bytes.length) return controller.close();
        controller.enqueue(bytes.subarray(offset, offset + 65_536));
        offset += 65_536;
      },
    });
    const res = await fetch(`${stack.url}${CHAT}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...providerHeaders('anthropic') },
      body: stream,
      duplex: 'half',
      signal: AbortSignal.timeout(20_000),
    });
    const error = await assertError(res, 413, 'payload_too_large');
    assert.match(error.message, /MAX_MEDIA_BODY_BYTES/);
    assertNothingUpstream();
  });

  it('a Content-Length that claims less does not let a larger body through', async () => {
    // Node's fetch refuses a wrong Content-Length; http.request sends what it is told.
    const http = await import('node:http');
    const text = JSON.stringify({ model: MODELS.openai, messages: [message(randomBytes(3_300_000).toString('base64'))] });
    const outcome = await new Promise((resolve, reject) => {
      const result = { reset: false };
      const req = http.request(`${stack.url}${CHAT}`, {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': 1_000, ...providerHeaders('openai') },
      });
      req.on('response', (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => Object.assign(result, { status: res.statusCode, body: Buffer.concat(chunks).toString() }));
      });
      // The bytes past the promised 1,000 are not a request: the server may answer and
      // drop the connection while they are still being written.
      req.on('error', (err) => {
        if (err.code === 'ECONNRESET' || err.code === 'EPIPE') result.reset = true;
        else reject(err);
      });
      // Settled once the request is over, so that no error comes after the test.
      req.on('close', () => resolve(result));
      req.end(text);
    });
    if (outcome.status !== undefined) {
      // The body is the 1,000 bytes promised, the rest never part of it: cut JSON, a 400.
      assert.equal(outcome.status, 400, outcome.body);
      const { error } = JSON.parse(outcome.body);
      assert.equal(error.code, 'invalid_request');
      assert.match(error.message, /EOF while parsing/);
    }
    assertNothingUpstream();
  });

  it('a text-only body over MAX_BODY_BYTES is refused with 413 naming MAX_BODY_BYTES', async () => {
    const body = { model: MODELS.openai, messages: [{ role: 'user', content: 'x'.repeat(200 * 1024) }] };
    const error = await assertError(await post(stack.url, CHAT, body, providerHeaders('openai')), 413, 'payload_too_large');
    assert.match(error.message, /131072 bytes \(MAX_BODY_BYTES\)/);
    assertNothingUpstream();
  });

  it('an image does not carry text past MAX_BODY_BYTES', async () => {
    const sent = message();
    sent.content[0].text = 'x'.repeat(200 * 1024);
    const body = { model: MODELS.anthropic, messages: [sent] };
    const error = await assertError(await post(stack.url, CHAT, body, providerHeaders('anthropic')), 413, 'payload_too_large');
    assert.match(error.message, /outside its images' and files' data \(MAX_BODY_BYTES/);
    assertNothingUpstream();
  });

  it('embeddings keep MAX_BODY_BYTES', async () => {
    const body = { model: 'text-embedding-3-small', input: 'x'.repeat(200 * 1024) };
    await assertError(await post(stack.url, '/v1/embeddings', body, providerHeaders('openai')), 413, 'payload_too_large');
    assertNothingUpstream();
  });
});

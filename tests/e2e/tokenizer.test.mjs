// Exact token counts in headless Chromium: the agent starts the tokenizer's Web Worker only
// when an OpenAI model first needs a count, estimates until it has loaded, and then counts
// exactly what npm js-tiktoken (an independent implementation) counts. Each encoding is a
// module of its own, fetched only when a model needs it.

import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { startBrowser, startStatic } from './support/browser.mjs';
import { bundleJsTiktoken } from './support/js-tiktoken.mjs';
import { ROOT } from './support/worker.mjs';

const TEXTS = [
  'hello world',
  'The quick brown fox jumps over the lazy dog.',
  'fn main() {\n    println!("{}", 1 + 2);\n}\n',
  'Grüße aus Köln — 東京 and 🚀🚀 emoji, tabs\tand   spaces',
  '<|endoftext|> is only text here',
  'lorem ipsum dolor sit amet, '.repeat(400),
];

let vendor;
let site;
let browser;
let page;
before(async () => {
  vendor = await bundleJsTiktoken();
  site = await startStatic({
    routes: { '/': { type: 'text/html', body: '<!doctype html><title>tokens</title>' } },
    mounts: { '/pkg/': path.join(ROOT, 'target', 'web-agent-pkg'), '/vendor/': vendor },
  });
  browser = await startBrowser();
  page = await browser.page();
  await page.goto(`${site.url}/`);
  await page.evaluate(async () => {
    const module = await import('/pkg/web_agent.js');
    await module.default();
    const settings = { provider: 'openai', model: 'gpt-4o-mini' };
    window.agent = await module.openAgent('ferry-tokens', JSON.stringify(settings), '/pkg/tokenizer-worker.js');
    window.run = async (command) => {
      const events = [];
      await window.agent.command(JSON.stringify(command), (e) => events.push(JSON.parse(e)));
      return events;
    };
    window.count = async (draft) =>
      (await window.run({ type: 'count_tokens', draft })).find((e) => e.type === 'token_count');
  });
});
after(async () => {
  await browser?.stop();
  await site?.stop();
  if (vendor) rmSync(vendor, { recursive: true, force: true });
});

/** Whether `encoding`'s module (`o200k`, `cl100k`) was fetched. */
const tokenizerFetched = (encoding) => site.requested.some((p) => p.endsWith(`ferry_tokenizer_${encoding}_bg.wasm`));

/** Asks until the counts are exact (the worker has loaded the encoding). */
const untilExact = (draft) =>
  page.evaluate(async (draft) => {
    for (let i = 0; i < 600; i++) {
      const count = await window.count(draft);
      if (count.exact) return count;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the tokenizer never loaded');
  }, draft);

const jsTiktoken = (encoding, texts) =>
  page.evaluate(
    async ({ encoding, texts }) => {
      const js = await import('/vendor/js-tiktoken.js');
      const tokenizer = new js.Tiktoken(js[encoding]);
      // Special-token markup is ordinary text, as for the agent.
      return texts.map((t) => tokenizer.encode(t, [], []).length);
    },
    { encoding, texts },
  );

const agentCounts = (texts) =>
  page.evaluate(async (texts) => {
    const counts = [];
    for (const t of texts) counts.push(await window.count(t));
    return counts;
  }, texts);

describe('token counts', () => {
  it('loads nothing of the tokenizer until a count is needed, and estimates meanwhile', async () => {
    assert.equal(tokenizerFetched('o200k'), false, 'not part of opening the agent');
    const first = await page.evaluate(() => window.count('hello world'));
    assert.equal(first.exact, false);
    assert.equal(first.draft, 3, 'eleven characters estimate to three tokens');
    await untilExact('hello world');
    assert.equal(tokenizerFetched('o200k'), true);
    assert.equal(tokenizerFetched('cl100k'), false, "gpt-4o-mini's counts need only o200k");
  });

  it('counts o200k (gpt-4o) exactly as js-tiktoken does', async () => {
    await untilExact('warm');
    const ours = await agentCounts(TEXTS);
    assert.ok(ours.every((c) => c.exact));
    assert.deepEqual(
      ours.map((c) => c.draft),
      await jsTiktoken('o200k_base', TEXTS),
    );
  });

  it('counts cl100k (gpt-4) exactly as js-tiktoken does', async () => {
    await page.evaluate(() =>
      window.run({ type: 'set_settings', settings: { provider: 'openai', model: 'gpt-4-turbo' } }),
    );
    await untilExact('warm');
    assert.equal(tokenizerFetched('cl100k'), true, "fetched when a model first needed it");
    const ours = await agentCounts(TEXTS);
    assert.deepEqual(
      ours.map((c) => c.draft),
      await jsTiktoken('cl100k_base', TEXTS),
    );
  });

  it('estimates models whose tokenizer is not public', async () => {
    await page.evaluate(() =>
      window.run({ type: 'set_settings', settings: { provider: 'anthropic', model: 'claude-sonnet-4-5' } }),
    );
    const count = await page.evaluate(() => window.count('x'.repeat(400)));
    assert.deepEqual([count.draft, count.exact], [100, false]);
  });
});

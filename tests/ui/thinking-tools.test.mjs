// A two-round tool loop with thinking on, run by the real agent in Chromium, for Anthropic
// and Gemini, each both ways a call can travel: DIRECT (the browser calls the mock itself,
// the provider's endpoint pointed at it) and THROUGH THE PROXY (`wrangler dev` in front of
// the mock). The mock thinks when asked (Anthropic `thinking`, Gemini `thinkingConfig` with
// a budget), calls `get_weather` in round one, and REFUSES round two unless the assistant
// turn carries back what it was given: Anthropic's thinking block with the signature it
// issued, first in the turn; Gemini's thoughtSignature on the function call. So the answer
// of round two arriving is the proof; the second request is also read to show what went
// back. The chat's own Reasoning effort turns thinking on.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { AFTER_TOOL, THINKING } from '../e2e/support/mock-thinking.mjs';
import { KEY, openApp } from './support/app.mjs';

let app;
let ferry;
before(async () => {
  ({ app, ferry } = await openApp({ configure: false }));
});
after(async () => {
  await app?.stop();
});

const dialog = () => ferry.page.getByRole('dialog', { name: 'Settings' });
const chatOptions = () => ferry.page.locator('details.chat-params');

/** Chooses the provider and model in Settings, with a key. */
async function choose(provider, model) {
  if (!(await dialog().isVisible())) await ferry.button('Settings').click();
  await dialog().getByRole('combobox', { name: 'Provider' }).selectOption(provider);
  await dialog().getByLabel('API key').fill(KEY);
  await dialog().getByRole('combobox', { name: 'Model' }).fill(model);
  await dialog().getByRole('button', { name: 'Save', exact: true }).click();
  await Promise.race([
    dialog().waitFor({ state: 'hidden' }),
    dialog().getByRole('status').filter({ hasText: 'Saved' }).waitFor(),
  ]).catch(async (e) => {
    throw new Error(`Settings did not save: ${await dialog().innerText()}`, { cause: e });
  });
  if (await dialog().isVisible()) await dialog().getByRole('button', { name: 'Close', exact: true }).click();
  await dialog().waitFor({ state: 'hidden' });
  // The agent has stored them: what `route` edits next is this record.
  await ferry.page.waitForFunction(
    ({ provider, model }) =>
      new Promise((resolve) => {
        const open = indexedDB.open('ferry');
        open.onerror = () => resolve(false);
        open.onsuccess = () => {
          const read = open.result.transaction('settings').objectStore('settings').get('settings');
          read.onerror = () => resolve(false);
          read.onsuccess = () => resolve(read.result?.provider === provider && read.result?.model === model);
        };
      }),
    { provider, model },
    { polling: 100 },
  );
}

/**
 * Where the calls go. Settings shows no field for the provider's endpoint: it is set in the
 * agent's stored settings, which it reads again as the page loads. Direct: straight to the
 * mock. Proxy: "Always via proxy", so the proxy comes first.
 */
async function route(provider, way) {
  const base = `${app.mock.url}/${provider}`;
  // The agent may still write its settings (a model list arriving, say) between the edit and
  // the reload, which would undo the edit: edit again until the reloaded page has it.
  for (let attempt = 0; attempt < 5; attempt += 1) {
    await edit(base, way);
    await ferry.open();
    const stored = await ferry.page.evaluate(
      () =>
        new Promise((resolve) => {
          const open = indexedDB.open('ferry');
          open.onerror = () => resolve(null);
          open.onsuccess = () => {
            const read = open.result.transaction('settings').objectStore('settings').get('settings');
            read.onerror = () => resolve(null);
            read.onsuccess = () => resolve(read.result ?? null);
          };
        }),
    );
    if (stored?.provider_base_url === base && stored.always_proxy === (way === 'proxy')) return;
  }
  throw new Error(`the provider's endpoint did not stay set to ${base}`);
}

async function edit(base, way) {
  await ferry.page.evaluate(
    ({ base, always }) =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open('ferry');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const store = open.result.transaction('settings', 'readwrite').objectStore('settings');
          const read = store.get('settings');
          read.onerror = () => reject(read.error);
          read.onsuccess = () => {
            const settings = read.result;
            if (!settings) return reject(new Error('no settings stored'));
            settings.provider_base_url = base;
            settings.always_proxy = always;
            const write = store.put(settings, 'settings');
            write.onerror = () => reject(write.error);
            write.onsuccess = () => resolve();
          };
        };
      }),
    { base, always: way === 'proxy' },
  );
}

/** A new chat whose own Reasoning effort is `low`, asked what the weather is. */
async function ask() {
  await ferry.button('New chat').click();
  if ((await chatOptions().getAttribute('open')) === null) await chatOptions().locator('summary').click();
  await chatOptions().getByRole('combobox', { name: 'Reasoning effort' }).selectOption('low');
  await ferry.send('What is the weather in Paris?');
  await ferry.answers.last().getByText(AFTER_TOOL).waitFor();
  await ferry.idle();
}

/** The model calls `run` made to the mock's `path` (and only those). */
async function calls(path, run) {
  const from = app.mock.requests.length;
  await run();
  return app.mock.requests.slice(from).filter((r) => r.method === 'POST' && r.path.includes(path));
}

/** The answer shows its thinking, then the tool step, then round two's text. */
async function shown() {
  const answer = ferry.answers.last();
  const thinking = answer.getByRole('group', { name: 'Thinking' });
  await thinking.waitFor();
  assert.match(await thinking.locator('.thinking-text').textContent(), new RegExp(THINKING.join('').replace(/[.]/g, '\\.')));
  // get_weather is not a tool Ferry has: the agent answered so, and the loop went on.
  await answer.locator('details.tool summary').filter({ hasText: 'Tool: get_weather — failed' }).waitFor();
  assert.equal(await ferry.answers.count(), 1);
}

/** Direct calls come from the page (the browser sends its origin), the proxy's do not. */
function assertWay(requests, way) {
  const origin = new URL(ferry.url).origin;
  for (const r of requests) {
    if (way === 'direct') assert.equal(r.headers.origin, origin, `${r.path} went direct`);
    else assert.notEqual(r.headers.origin, origin, `${r.path} went through the proxy`);
  }
}

async function anthropicLoop(way) {
  await choose('anthropic', 'claude-sonnet-4-5-tools');
  await route('anthropic', way);
  const sent = await calls('/anthropic/v1/messages', ask);
  assert.equal(sent.length, 2, 'two rounds');
  assertWay(sent, way);
  // Thinking on in both rounds: a turn without its thinking to send back would have gone
  // on without it, and the mock would not have asked for the signature.
  for (const { body } of sent) {
    assert.equal(body.thinking?.type, 'enabled');
    assert.ok(body.max_tokens > body.thinking.budget_tokens);
  }
  // Round two: the assistant turn starts with the thinking block, its signature kept.
  const turn = sent[1].body.messages.findLast((m) => m.role === 'assistant');
  assert.deepEqual(
    turn.content.map((b) => b.type),
    ['thinking', 'tool_use'],
  );
  assert.equal(turn.content[0].thinking, THINKING.join(''));
  assert.ok(turn.content[0].signature?.length > 20, 'the signature went back');
  await shown();
}

async function geminiLoop(way) {
  await choose('google', 'gemini-2.5-flash-tools');
  await route('google', way);
  const sent = await calls(':streamGenerateContent', ask);
  assert.equal(sent.length, 2, 'two rounds');
  assertWay(sent, way);
  for (const { body } of sent) {
    const config = body.generationConfig?.thinkingConfig;
    assert.equal(config?.includeThoughts, true);
    assert.ok(config.thinkingBudget > 0, JSON.stringify(config));
  }
  // Round two: the model's function call carries the signature it came with.
  const turn = sent[1].body.contents.findLast((c) => c.role === 'model');
  const call = turn.parts.find((p) => p.functionCall);
  assert.equal(call.functionCall.name, 'get_weather');
  assert.ok(call.thoughtSignature?.length > 20, 'the thought signature went back');
  await shown();
}

describe('Anthropic: the thinking block and its signature go back first in the tool loop', () => {
  it('direct', () => anthropicLoop('direct'));
  it('through the proxy', () => anthropicLoop('proxy'));
});

describe('Gemini: the thought signature goes back on the function call', () => {
  it('direct', () => geminiLoop('direct'));
  it('through the proxy', () => geminiLoop('proxy'));
});

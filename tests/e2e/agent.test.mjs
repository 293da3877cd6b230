// A whole agent turn in headless Chromium: the browser agent (web-agent, built to wasm)
// talks to the proxy under `wrangler dev`, which talks to the mock provider. Mistral takes
// no browser calls, so every model call goes through the proxy. The agent saves a memory
// note with a tool, fetches a loopback page with another, keeps everything in IndexedDB,
// and never stores the key in plaintext.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { startBrowser, startStatic } from './support/browser.mjs';
import { startMockProvider } from './support/mock-provider.mjs';
import { ROOT, mockVars, startWorker } from './support/worker.mjs';

const KEY = 'sk-agent-SECRET-9876';

let mock;
let worker;
let site;
let browser;
let page;
before(async () => {
  mock = await startMockProvider();
  worker = await startWorker({ vars: { ...mockVars(mock.url), FETCH_ALLOW_PRIVATE: 'true' } });
  site = await startStatic({
    routes: {
      '/': { type: 'text/html', body: '<!doctype html><title>agent</title>' },
      '/article': {
        type: 'text/html',
        body: '<html><body><h1>Ferry</h1><p>Bring your own key and chat.</p></body></html>',
      },
    },
    mounts: { '/pkg/': path.join(ROOT, 'target', 'web-agent-pkg') },
  });
  browser = await startBrowser();
  page = await browser.page();
  await page.goto(`${site.url}/`);
  const settings = { provider: 'mistral', model: 'agent-1', system_prompt: 'You are Ferry.', proxy_url: worker.url };
  await page.evaluate(
    async ({ settings, key }) => {
      // Headless Chromium decides persistence by its own heuristics; record that the agent
      // asks, and grant it.
      window.persistRequests = 0;
      navigator.storage.persist = async () => {
        window.persistRequests += 1;
        return true;
      };
      const module = await import('/pkg/web_agent.js');
      await module.default();
      window.agent = await module.openAgent('ferry-e2e', JSON.stringify(settings));
      window.run = async (command) => {
        const events = [];
        await window.agent.command(JSON.stringify(command), (e) => events.push(JSON.parse(e)));
        return events;
      };
      // The page handle is `command` and `stop` only: a session and its messages come as
      // events, as the app gets them.
      window.newSession = async () =>
        (await window.run({ type: 'new_session' })).find((e) => e.type === 'session_created').session;
      window.messages = async (session) =>
        (await window.run({ type: 'open_session', session })).find((e) => e.type === 'session_opened').messages;
      await window.run({ type: 'set_key', provider: 'mistral', key, remember: true });
      // Reads a whole object store of an IndexedDB database, as the tests look at it.
      window.readStore = (db, store) =>
        new Promise((resolve, reject) => {
          const open = indexedDB.open(db);
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const request = open.result.transaction(store).objectStore(store).getAll();
            request.onsuccess = () => resolve(request.result);
            request.onerror = () => reject(request.error);
          };
        });
    },
    { settings, key: KEY },
  );
});
after(async () => {
  await browser?.stop();
  await site?.stop();
  await worker?.stop();
  await mock?.close();
});

const turn = (text) =>
  page.evaluate(async (text) => {
    const session = await window.newSession();
    const events = await window.run({ type: 'send_message', session, text });
    const messages = await window.messages(session);
    return { events, messages };
  }, text);

const chatRequests = () => mock.requests.filter((r) => r.path === '/openai/v1/chat/completions');

describe('an agent turn in the browser', () => {
  it('saves a memory note with a tool, then answers', async () => {
    mock.clear();
    const { events, messages } = await turn('Please remember: I like green tea');
    const kinds = events.map((e) => e.type);
    assert.ok(kinds.includes('tool_call_started'), kinds.join(' '));
    assert.deepEqual(
      events.filter((e) => e.type === 'tool_call_finished').map((e) => e.ok),
      [true],
    );
    assert.equal(kinds.at(-1), 'turn_finished');
    assert.deepEqual(
      messages.map((m) => m.message.role),
      ['user', 'assistant', 'tool', 'assistant'],
    );
    assert.match(messages[3].message.content, /^Done: saved as note /);
    // Both model calls went through the proxy, with the key in the provider's header.
    const calls = chatRequests();
    assert.equal(calls.length, 2);
    assert.equal(calls[0].headers.authorization, `Bearer ${KEY}`);
    assert.equal(calls[1].body.messages.at(-1).role, 'tool');
    // The note is in IndexedDB.
    const notes = await page.evaluate(() => readStore('ferry-e2e', 'notes'));
    assert.deepEqual(notes.map((n) => n.text), ['I like green tea']);
  });

  it('fetches a page through the proxy for the model', async () => {
    mock.clear();
    const { messages } = await turn(`What does ${site.url}/article say?`);
    assert.equal(messages.length, 4);
    const toolResult = messages[2].message.content;
    assert.match(toolResult, /Bring your own key and chat\./);
    assert.equal(chatRequests()[1].body.messages.at(-1).content, toolResult);
  });

  it('compacts a long session: older turns go as a summary, every message stays stored', async () => {
    mock.clear();
    // A small window makes the fourth ~30-token question pass 90 % of the usable budget.
    const small = {
      provider: 'mistral',
      model: 'agent-1',
      system_prompt: 'You are Ferry.',
      proxy_url: worker.url,
      context_window: 220,
      answer_reserve: 50,
      keep_recent_tokens: 60,
    };
    const { events, messages } = await page.evaluate(async (settings) => {
      await window.run({ type: 'set_settings', settings });
      const session = await window.newSession();
      const all = [];
      for (let i = 0; i < 4; i += 1) {
        all.push(...(await window.run({ type: 'send_message', session, text: `question ${i} ${'word '.repeat(20)}` })));
      }
      return { events: all, messages: await window.messages(session) };
    }, small);
    assert.equal(events.filter((e) => e.type === 'compacted').length, 1);
    assert.equal(messages.length, 8, 'every question and answer is still stored');
    const calls = chatRequests();
    const summaryCall = calls.find((c) => c.body.stream === false);
    assert.match(JSON.stringify(summaryCall.body.messages), /question 0/);
    const last = JSON.stringify(calls.at(-1).body.messages);
    assert.ok(!last.includes('question 0'), 'the oldest turn went as a summary');
    assert.match(last, /summary/i);
    assert.match(last, /question 3/);
  });

  it('searches the web with the user\'s Brave key through the proxy', async () => {
    const before = await turn('search for ferry');
    assert.ok(!before.events.some((e) => e.type === 'tool_call_started'), 'no web_search without a search key');
    await page.evaluate(() => window.run({ type: 'set_key', provider: 'brave', key: 'BSA-e2e-SEARCH', remember: true }));
    const { events, messages } = await turn('search for ferry');
    const finished = events.find((e) => e.type === 'tool_call_finished');
    assert.equal(finished?.ok, true, JSON.stringify(events));
    assert.match(finished.output, /ferry\.example\/docs/);
    assert.match(messages.at(-1).message.content, /^Done: /);
    const searched = mock.requests.filter((r) => r.path === '/brave/res/v1/web/search');
    assert.equal(searched.at(-1).headers['x-subscription-token'], 'BSA-e2e-SEARCH');
    const stored = await page.evaluate(async () => JSON.stringify(await readStore('ferry-e2e', 'keys')));
    assert.match(stored, /"provider":"brave"/);
    assert.ok(!stored.includes('BSA-e2e-SEARCH'), 'the search key is sealed too');
  });

  it('asks the browser to keep its data (persistent storage)', async () => {
    assert.equal(await page.evaluate(() => window.persistRequests), 1);
    assert.equal(await page.evaluate(() => window.agent.persistent), true);
  });

  it('opens to the page through command, stop, the two attachment calls and storageState only: no side door past the protocol', async () => {
    const handle = await page.evaluate(() => {
      const own = new Set();
      for (let o = Object.getPrototypeOf(window.agent); o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
        for (const name of Object.getOwnPropertyNames(o)) own.add(name);
      }
      return [...own].filter((name) => typeof window.agent[name] === 'function' && !['constructor', 'free'].includes(name) && !name.startsWith('__'));
    });
    // attach takes a file the user picked and answers its view; attachmentUrl reads a stored
    // file back as a blob: URL; storageState tells the database's id and how many chats and
    // messages it holds, never what they say. None of them reads or writes anything else.
    assert.deepEqual(handle.sort(), ['attach', 'attachmentUrl', 'command', 'stop', 'storageState']);
  });

  it('keeps the key sealed in IndexedDB, never in plaintext', async () => {
    const stored = await page.evaluate(async () => JSON.stringify(await readStore('ferry-e2e', 'keys')));
    assert.match(stored, /"provider":"mistral"/);
    assert.ok(!stored.includes(KEY), stored);
    assert.ok(!stored.includes('SECRET'), stored);
  });
});

// MCP servers in the app, against the official reference server (server-everything, as it
// is) behind a recording front: added by URL in Settings (name, version, tools, approval
// defaults from their annotations); a whole turn where the (mock) model calls an MCP tool,
// the approval is asked and given and the result goes back to the model; an image result
// shown; Stop during a long-running call cancels it on the server; a chat's own switch; a
// prompt as a `/` command; a resource attached like a file; and a server that refuses
// browser calls (no CORS) reached through the proxy's relay.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { startEverything, startFront } from '../e2e/support/mcp-servers.mjs';
import { openApp } from './support/app.mjs';

const NAME = 'Everything Reference Server';

let app;
let ferry;
let everything;
/** The front the app talks to, with CORS as the server gives it. */
let front;
/** A front that strips CORS: the browser refuses direct calls. */
let closed;
before(async () => {
  everything = await startEverything();
  front = await startFront(everything.url, { cors: true });
  closed = await startFront(everything.url, { cors: false });
  // The relay reaches loopback only in a test worker.
  ({ app, ferry } = await openApp({ vars: { FETCH_ALLOW_PRIVATE: 'true' }, configure: { model: 'agent-1' } }));
});
after(async () => {
  await app?.stop();
  await front?.stop();
  await closed?.stop();
  await everything?.stop();
});

const modelCalls = () => app.mock.requests.filter((r) => r.path === '/openai/v1/chat/completions');
const lastModelCall = () => modelCalls().at(-1);
const approvals = () => ferry.page.getByRole('group', { name: /^Approve / });

/** Waits for the turn's answer (the `before`th) to match `pattern`, and the turn's end. */
async function done(before, pattern = /^Done: /) {
  await ferry.answers.nth(before).getByText(pattern).waitFor();
  await ferry.idle();
}

async function newChat() {
  await ferry.button('New chat').click();
  await ferry.page.getByText('Your keys, your browser. Ask anything.').waitFor();
}

describe('MCP servers', () => {
  it('a server added by URL shows its name, version, tools and the way it is reached', async () => {
    assert.equal(await ferry.addMcpServer(front.url), null);
    const server = ferry.mcpServer(NAME);
    await server.waitFor();
    await server.getByText('mcp-servers/everything 2.0.0').waitFor();
    await server.getByText('Connected · direct').waitFor();
    const tools = server.getByRole('list', { name: `Tools of ${NAME}` });
    for (const tool of ['echo', 'get-tiny-image', 'trigger-long-running-operation', 'gzip-file-as-resource']) {
      await tools.getByText(tool, { exact: true }).waitFor();
    }
    assert.ok(await server.getByRole('checkbox', { name: `Use ${NAME}` }).isChecked());
    await server.getByRole('button', { name: `Remove ${NAME}` }).waitFor();
    const methods = front.messages.map((m) => m.method);
    for (const method of ['initialize', 'notifications/initialized', 'tools/list']) {
      assert.ok(methods.includes(method), methods.join(' '));
    }
    await ferry.screenshot('mcp-settings');
  });

  it('approval defaults follow the annotations: read-only tools run unasked, others ask once a chat', async () => {
    await ferry.settings();
    assert.equal(await ferry.approvalOf('echo'), 'Always allow');
    assert.equal(await ferry.approvalOf('get-tiny-image'), 'Always allow');
    // readOnlyHint false, destructiveHint false.
    assert.equal(await ferry.approvalOf('gzip-file-as-resource'), 'Allow in this chat');
  });

  it('switching a server off and on keeps focus on its switch, as the list is drawn anew', async () => {
    await ferry.settings();
    const server = ferry.mcpServer(NAME);
    const use = server.getByRole('checkbox', { name: `Use ${NAME}` });
    await use.focus();
    await ferry.page.keyboard.press('Space');
    await server.getByText('Off', { exact: true }).waitFor();
    assert.equal(await focusedName(), `Use ${NAME}`);
    await ferry.page.keyboard.press('Space');
    await ferry.mcpServer(NAME).getByText('Connected · direct').waitFor();
    assert.equal(await focusedName(), `Use ${NAME}`);
    assert.ok(await ferry.mcpServer(NAME).getByRole('checkbox', { name: `Use ${NAME}` }).isChecked());
  });

  it('a server that cannot be reached is not added: the form says why and keeps the URL', async () => {
    const gone = 'http://127.0.0.1:9/mcp';
    const failure = await ferry.addMcpServer(gone);
    assert.ok(failure && failure.length > 0, 'an alert with the reason');
    const section = await ferry.mcpSettings();
    assert.equal(await section.getByRole('textbox', { name: 'MCP server URL' }).inputValue(), gone);
    assert.equal(await ferry.page.locator('ul.mcp-servers > li').count(), 1, 'nothing added');
    await section.getByRole('textbox', { name: 'MCP server URL' }).fill('');
  });

  it('a whole turn: the model calls the tool, the approval is asked and given, the result goes back', async () => {
    await ferry.settings();
    await ferry.setApproval('echo', 'Ask every time');
    await ferry.closeSettings();
    const before = await ferry.answers.count();
    front.clear();
    await ferry.send('use everything__echo {"message":"hi"}');
    const approval = ferry.page.getByRole('group', { name: 'Approve everything__echo' });
    await approval.waitFor();
    await approval.getByText(`Ferry wants to use the tool echo of ${NAME} with:`).waitFor();
    assert.ok(
      lastModelCall().body.tools.some((t) => t.function.name === 'everything__echo'),
      'declared to the model by its qualified name',
    );
    assert.ok(!front.messages.some((m) => m.method === 'tools/call'), 'nothing called before the answer');
    await approval.getByRole('button', { name: 'Allow once', exact: true }).click();
    await done(before, /^Done: Echo: hi/);
    const call = front.messages.find((m) => m.method === 'tools/call');
    assert.deepEqual(call.params.arguments, { message: 'hi' });
    assert.equal(call.params.name, 'echo');
    const result = lastModelCall().body.messages.at(-1);
    assert.equal(result.role, 'tool');
    assert.match(result.content, /Echo: hi/);
    await ferry.toolStep(`Tool: echo on ${NAME} — done`).waitFor();
    assert.equal(await approvals().count(), 0);
  });

  it('an image a tool returns is shown as a thumbnail', async () => {
    const before = await ferry.answers.count();
    await ferry.send('use everything__get-tiny-image {}');
    await done(before);
    const answer = ferry.answers.nth(before);
    const thumb = answer.getByRole('button', { name: /^Open image / });
    await thumb.waitFor();
    await answer.locator('img.thumb[src^="blob:"]').waitFor();
    await ferry.screenshot('mcp-image-result');
  });

  it('Stop during a long-running call cancels it on the server, and the turn ends stopped', async () => {
    front.clear();
    await ferry.send('use everything__trigger-long-running-operation {"duration":20,"steps":20}');
    const bar = ferry.page.getByRole('progressbar', { name: 'trigger-long-running-operation progress' });
    await bar.waitFor();
    await ferry.button('Stop').click();
    await ferry.idle();
    await ferry.toolStep(`Tool: trigger-long-running-operation on ${NAME} — stopped`).waitFor();
    const call = front.messages.find((m) => m.method === 'tools/call');
    assert.equal(call.params.name, 'trigger-long-running-operation');
    await waitUntil(() => front.messages.some((m) => m.method === 'notifications/cancelled'));
    const cancelled = front.messages.find((m) => m.method === 'notifications/cancelled');
    assert.equal(cancelled.params.requestId, call.id);
    assert.equal(await bar.count(), 0);
  });

  it("a chat's own switch off: the server's tools are not offered to the model there", async () => {
    await newChat();
    const tools = await ferry.chatTools();
    const own = tools.getByRole('checkbox', { name: `${NAME} in this chat` });
    assert.ok(await own.isChecked());
    await own.uncheck();
    // The switches are drawn anew with the chat's; focus stays on this one.
    await ferry.page.waitForFunction(() => document.activeElement?.matches('.chat-tools input'));
    const before = await ferry.answers.count();
    await ferry.send('use everything__echo {"message":"off"}');
    await done(before, /^I have no tool everything__echo\./);
    const declared = lastModelCall().body.tools?.map((t) => t.function.name) ?? [];
    assert.ok(!declared.some((name) => name.startsWith('everything__')), declared.join(' '));
    assert.ok(!(await (await ferry.chatTools()).getByRole('checkbox', { name: `${NAME} in this chat` }).isChecked()));
  });

  it("a '/' command puts the server's prompt in the composer, its arguments asked first", async () => {
    await newChat();
    await ferry.message.fill('/');
    const prompts = ferry.page.getByRole('listbox', { name: 'Prompts' });
    await prompts.getByRole('option', { name: '/everything:simple-prompt', exact: true }).waitFor();
    await ferry.screenshot('mcp-prompts');
    await ferry.message.fill('/everything:simple');
    await ferry.message.press('Enter');
    await ferry.page.waitForFunction(
      () => document.querySelector('textarea[aria-label=Message]').value === 'This is a simple prompt without arguments.',
    );

    await ferry.message.fill('/everything:args');
    await prompts.getByRole('option', { name: '/everything:args-prompt', exact: true }).click();
    const form = ferry.page.getByRole('group', { name: 'Arguments for /everything:args-prompt' });
    await form.getByRole('textbox', { name: 'city' }).fill('Paris');
    await form.getByRole('button', { name: 'Insert', exact: true }).click();
    await ferry.page.waitForFunction(
      () => document.querySelector('textarea[aria-label=Message]').value === "What's weather in Paris?",
    );
    assert.equal(await prompts.isVisible(), false);
    await ferry.message.fill('');
  });

  it('a resource of the server is attached like a file', async () => {
    await ferry.button('Attach from MCP server').click();
    await ferry.page
      .getByRole('list', { name: 'MCP resources' })
      .getByRole('button', { name: 'architecture.md', exact: true })
      .click();
    const chip = ferry.attachments.getByRole('listitem').filter({ hasText: 'architecture.md' });
    await chip.waitFor();
    await chip.getByRole('button', { name: 'Remove architecture.md' }).waitFor();
    await ferry.page.waitForFunction(() => !document.querySelector('li.attachment[aria-busy]'));
    assert.equal(await ferry.attachments.locator('li.refused').count(), 0);
    await chip.getByRole('button', { name: 'Remove architecture.md' }).click();
  });

  it('a server that refuses browser calls is reached through the relay', async () => {
    const settings = await ferry.mcpSettings();
    await settings.getByRole('button', { name: `Remove ${NAME}` }).click();
    await ferry.mcpServer(NAME).waitFor({ state: 'detached' });
    assert.equal(await ferry.addMcpServer(closed.url), null);
    const server = ferry.mcpServer(NAME);
    await server.getByText('Connected · relay').waitFor();
    // The browser asked first and was refused; the worker then came, with no Origin.
    assert.ok(closed.requests.some((r) => r.method === 'OPTIONS'), 'the browser tried directly');
    const relayed = closed.requests.filter((r) => r.method === 'POST');
    assert.ok(relayed.length > 0 && relayed.every((r) => !r.headers.origin), 'only the relay posted');
    assert.ok(closed.messages.some((m) => m.method === 'initialize'));
    await ferry.closeSettings();

    await newChat();
    const before = await ferry.answers.count();
    await ferry.send('use everything__echo {"message":"relayed"}');
    await done(before, /^Done: Echo: relayed/);
    assert.ok(closed.messages.some((m) => m.method === 'tools/call' && m.params.arguments.message === 'relayed'));
  });

  it('a reopened chat names the server and tool of its calls, and shows the images they returned', async () => {
    await ferry.open();
    // The latest chat (the relayed echo) is reopened: its step is named from the servers' tools.
    await ferry.toolStep(`Tool: echo on ${NAME} — done`).waitFor();
    // The first chat, the oldest: the echo, the image, the stopped call.
    await ferry.chats.last().locator('.session-open').click();
    await ferry.toolStep(`Tool: get-tiny-image on ${NAME} — done`).waitFor();
    await ferry.page.locator('img.thumb[src^="blob:"]').first().waitFor();
  });
});

/** The focused control's accessible name (its label's text), after redraws have settled. */
async function focusedName() {
  await ferry.page.waitForTimeout(100);
  return ferry.page.evaluate(() => {
    const active = document.activeElement;
    return (active?.labels?.[0]?.textContent ?? active?.getAttribute('aria-label') ?? '').trim();
  });
}

/** Polls `check` until it holds (5 s at most). */
async function waitUntil(check, ms = 5_000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

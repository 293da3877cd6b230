// Reasoning models in the app: the first minutes (Settings opens, the default model from the
// facts, preselected in the provider's live list, the first Save with a key giving way to
// the composer); the Thinking section streaming open, folding when the answer starts,
// surviving a reload and going into the export; an answer of three tool rounds drawn as one;
// a call of a tool Ferry lacks, and a call of one of its own that failed, shown failed (and
// still after a reload); the per-chat controls shown only for a model
// that takes them, and what they set sent upstream; the cost of an answer and of the chat.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';

import { KEY, openApp } from './support/app.mjs';
import { ANSWER, BLANK_DONE, LISTED, ROUNDS_DONE, THINKING, TELEPORT_DONE, startThinkingProvider } from './support/thinking-provider.mjs';

let app;
let ferry;
let provider;
before(async () => {
  provider = await startThinkingProvider();
  // No model in the app's config: the provider's default comes from the model facts.
  ({ app, ferry } = await openApp({ configure: false, vars: { MISTRAL_BASE_URL: provider.url }, config: { model: null } }));
  provider.upstream = `${app.mock.url}/openai/v1`;
});
after(async () => {
  await app?.stop();
  await provider?.close();
});

const dialog = () => ferry.page.getByRole('dialog', { name: 'Settings' });
const chatOptions = () => ferry.page.locator('details.chat-params');

async function openChatOptions() {
  if ((await chatOptions().getAttribute('open')) === null) await chatOptions().locator('summary').click();
}

describe('reasoning', () => {
  it('first start: Settings opens on the default model, the live list keeps it chosen, the first Save goes to the composer', async () => {
    await dialog().waitFor();
    await dialog().getByRole('combobox', { name: 'Provider' }).selectOption('mistral');
    const model = dialog().getByRole('combobox', { name: 'Model' });
    assert.equal(await model.inputValue(), 'mistral-medium-latest');
    await dialog().getByLabel('API key').fill(KEY);
    await dialog().getByRole('button', { name: 'Test' }).click();
    const list = dialog().getByRole('list', { name: 'Available models' });
    await list.getByRole('button').first().waitFor();
    assert.deepEqual(await list.getByRole('button').allInnerTexts(), LISTED);
    assert.equal(await model.inputValue(), 'mistral-medium-latest');
    // A typed key saved for the first time: Settings closes onto the composer.
    await dialog().getByLabel('API key').fill(KEY);
    await dialog().getByRole('button', { name: 'Save', exact: true }).click();
    await dialog().waitFor({ state: 'hidden' });
    await ferry.page.waitForFunction(() => document.activeElement?.getAttribute('aria-label') === 'Message');
  });

  it('the per-chat controls show only what the model takes, and the effort chosen is sent', async () => {
    await ferry.configure({ model: 'mistral-small-latest' });
    await openChatOptions();
    await chatOptions().getByRole('spinbutton', { name: 'Max output tokens' }).waitFor();
    await chatOptions().getByRole('spinbutton', { name: 'Temperature' }).waitFor();
    assert.equal(await chatOptions().getByRole('combobox', { name: 'Reasoning effort' }).count(), 0);

    await ferry.configure({ model: 'o4-mini-thinker' });
    await openChatOptions();
    const effort = chatOptions().getByRole('combobox', { name: 'Reasoning effort' });
    await effort.waitFor();
    assert.deepEqual(await effort.locator('option').allInnerTexts(), ['Default', 'None', 'Minimal', 'Low', 'Medium', 'High']);
    // OpenAI's reasoning models take no custom temperature.
    assert.equal(await chatOptions().getByRole('spinbutton', { name: 'Temperature' }).count(), 0);
    // The defaults in Settings follow the same facts.
    await ferry.button('Settings').click();
    await dialog().getByRole('combobox', { name: 'Reasoning effort' }).waitFor();
    await dialog().getByRole('button', { name: 'Close', exact: true }).click();

    await effort.selectOption('high');
    await ferry.send('Think hard, please');
    await ferry.answers.last().getByText(ANSWER.join('')).waitFor();
    await ferry.idle();
    const sent = provider.requests.findLast((r) => r.body.model === 'o4-mini-thinker');
    assert.equal(sent.body.reasoning_effort, 'high');
    assert.equal(sent.body.temperature, undefined);
  });

  it('thinking streams open with its time, folds when the answer starts, survives a reload and is exported', async () => {
    await ferry.button('New chat').click();
    await ferry.send('What is the answer?');
    const answer = ferry.answers.last();
    const thinking = answer.getByRole('group', { name: 'Thinking' });
    // Open while the model thinks, before its answer has started.
    await thinking.getByText(/^Let me weigh/).waitFor();
    assert.equal(await thinking.getAttribute('open'), '');
    assert.match(await thinking.locator('summary').innerText(), /^Thinking… \d+ s$/);
    assert.doesNotMatch(await answer.innerText(), /The answer/);
    await ferry.screenshot('thinking-live');
    // Folded once the answer starts.
    await answer.getByText(/^The answer/).waitFor();
    await ferry.page.waitForFunction(() => [...document.querySelectorAll('details.thinking')].at(-1)?.open === false);
    await ferry.idle();
    assert.match(await thinking.locator('summary').innerText(), /^Thought for \d+ s$/);
    // The whole answer, its thinking and its cost.
    await answer.getByText(ANSWER.join('')).waitFor();
    await answer.locator('.cost').filter({ hasText: /\$/ }).waitFor();
    await ferry.page.locator('.chat-cost').filter({ hasText: /^Chat cost: / }).waitFor();

    await ferry.page.reload();
    await ferry.questions.getByText('What is the answer?').waitFor();
    const reloaded = ferry.answers.last().getByRole('group', { name: 'Thinking' });
    await reloaded.waitFor();
    assert.equal(await reloaded.getAttribute('open'), null);
    assert.equal(await reloaded.locator('.thinking-text').textContent(), THINKING.join(''));
    // Keyboard: its summary opens it.
    await reloaded.locator('summary').focus();
    await ferry.page.keyboard.press('Enter');
    await reloaded.locator('.thinking-text').getByText(THINKING.join('')).waitFor();
    assert.equal(await reloaded.getAttribute('open'), '');

    await ferry.button('Settings').click();
    const [download] = await Promise.all([
      ferry.page.waitForEvent('download'),
      dialog().getByRole('button', { name: 'Export data' }).click(),
    ]);
    const exported = readFileSync(await download.path(), 'utf8');
    assert.ok(exported.includes(THINKING.join('')), 'the thinking is in the export');
    await dialog().getByRole('button', { name: 'Close', exact: true }).click();
  });

  it('an answer of three tool rounds is drawn as one block: thinking, tool steps, text', async () => {
    await ferry.configure({ model: 'mistral-small-rounds' });
    await ferry.button('New chat').click();
    await ferry.send('Look in the notes three times');
    await ferry.answers.last().getByText(ROUNDS_DONE).waitFor();
    await ferry.idle();
    const check = async () => {
      assert.equal(await ferry.answers.count(), 1);
      const answer = ferry.answers.last();
      const steps = answer.locator('details.tool summary');
      assert.deepEqual(await steps.allInnerTexts(), Array(3).fill('Tool: memory_search — done'));
      assert.match(await answer.locator('.thinking-text').textContent(), /Round 1[\s\S]*Round 2[\s\S]*Round 3/);
      // In order: thinking, then the steps, then the text.
      const order = await answer.evaluate((el) =>
        [...el.querySelectorAll('details.thinking, details.tool, .text')].map((e) => e.className.split(' ')[0]),
      );
      assert.deepEqual(order, ['thinking', 'tool', 'tool', 'tool', 'text']);
    };
    await check();
    await ferry.screenshot('one-answer');
    await ferry.page.reload();
    await ferry.answers.last().getByText(ROUNDS_DONE).waitFor();
    await check();
  });

  it('a call of a tool Ferry does not have shows failed, and still after a reload', async () => {
    await ferry.configure({ model: 'mistral-small-teleport' });
    await ferry.button('New chat').click();
    await ferry.send('Teleport me');
    // Should the agent ask before a call of a tool it does not know, it is allowed.
    const allow = ferry.page.getByRole('button', { name: 'Allow once' });
    const done = ferry.answers.last().getByText(TELEPORT_DONE);
    await allow.or(done).first().waitFor();
    if (await allow.isVisible()) await allow.click();
    await done.waitFor();
    await ferry.idle();
    const step = ferry.answers.last().locator('details.tool summary');
    await step.filter({ hasText: 'Tool: teleport — failed' }).waitFor();
    await ferry.page.reload();
    await ferry.answers.last().getByText(TELEPORT_DONE).waitFor();
    assert.equal(await step.innerText(), 'Tool: teleport — failed');
  });

  it("a call of one of Ferry's own tools that failed shows failed, and still after a reload", async () => {
    await ferry.configure({ model: 'mistral-small-blank' });
    await ferry.button('New chat').click();
    await ferry.send('Remember nothing');
    const allow = ferry.page.getByRole('button', { name: 'Allow once' });
    const done = ferry.answers.last().getByText(BLANK_DONE);
    await allow.or(done).first().waitFor();
    if (await allow.isVisible()) await allow.click();
    await done.waitFor();
    await ferry.idle();
    const step = ferry.answers.last().locator('details.tool summary');
    await step.filter({ hasText: 'Tool: memory_save — failed' }).waitFor();
    // Stored with its outcome: a reload does not turn it into "done".
    await ferry.page.reload();
    await ferry.answers.last().getByText(BLANK_DONE).waitFor();
    assert.equal(await step.innerText(), 'Tool: memory_save — failed');
    // The store's order is its keys' (random ids), not time: find this call's own result.
    const stored = await ferry.readStore('messages');
    const call = stored
      .flatMap((m) => m.message?.tool_calls ?? [])
      .find((c) => c.function?.name === 'memory_save');
    const result = stored.find((m) => m.message?.role === 'tool' && m.message.tool_call_id === call?.id);
    assert.ok(result, 'the memory_save result is stored');
    assert.equal(result.tool_ok, false);
  });
});

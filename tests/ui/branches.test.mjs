// Branches: an edit is a new version of a question and nothing is replaced; `‹ 2 / 3 ›` moves
// between versions, by its buttons and by the arrow keys, and says which version it shows;
// what the mock received upstream holds exactly the path of the version answered; "Branch
// into a new chat" copies the conversation up to a message; a search hit in a branch not
// shown opens that branch.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { KEY, PROVIDER, openApp } from './support/app.mjs';

let app;
let ferry;
before(async () => {
  ({ app, ferry } = await openApp({ configure: false }));
  // The key and model, by the main model's fields (the first of each name).
  const dialog = await ferry.settings();
  await dialog.getByRole('combobox', { name: 'Provider', exact: true }).first().selectOption(PROVIDER);
  await dialog.getByLabel('API key', { exact: true }).first().fill(KEY);
  await dialog.getByRole('combobox', { name: 'Model', exact: true }).first().fill('mistral-small');
  await dialog.getByRole('button', { name: 'Save', exact: true }).click();
  await ferry.closeSettings();
});
after(() => app?.stop());

/** The texts of the last model call's messages, as the provider received them. */
function lastSent() {
  const call = app.mock.requests.findLast((r) => r.path === '/openai/v1/chat/completions' && r.body?.stream);
  return call.body.messages
    .filter((m) => m.role !== 'system')
    .map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content)));
}

/** The versions group of the question `n` (from 0) shown, and its "2 / 3". */
function versionsOf(n) {
  return ferry.questions.nth(n).getByRole('group', { name: 'Versions' });
}

/** Sends `text` and waits for its whole answer, stored (Edit needs the stored ids). */
async function ask(text) {
  const answers = await ferry.answers.count();
  await ferry.send(text);
  await ferry.answers.nth(answers).getByText(/Hello from/).waitFor();
  await ferry.idle();
  await ferry.questions.last().getByRole('button', { name: 'Edit' }).waitFor();
}

async function edit(n, text) {
  const question = ferry.questions.nth(n);
  await question.getByRole('button', { name: 'Edit' }).click();
  await question.getByRole('textbox', { name: 'Edit message' }).fill(text);
  await question.getByRole('button', { name: 'Save and resend' }).click();
  await ferry.questions.nth(n).getByText(text).waitFor();
  await ferry.answers.nth(n).getByText(/Hello from/).waitFor();
  await ferry.idle();
  await ferry.questions.nth(n).getByRole('button', { name: 'Edit' }).waitFor();
}

describe('branches', () => {
  it('an edit adds a version; each version sends only its own path', async () => {
    await ask('Plan a trip to Oslo');
    await ask('Pack for rain');
    const answer = (await ferry.answers.last().locator('.text').innerText()).trim();

    await edit(1, 'Pack for snow');
    await versionsOf(1).getByText('2 / 2').waitFor();
    await edit(1, 'Pack for sun');
    await versionsOf(1).getByText('3 / 3').waitFor();
    // Nothing replaced: two questions and two answers shown, the newest version's.
    assert.equal(await ferry.questions.count(), 2);
    assert.equal(await ferry.answers.count(), 2);
    assert.deepEqual(lastSent(), ['Plan a trip to Oslo', answer, 'Pack for sun']);
    await ferry.screenshot('branches');
  });

  it('the arrow keys move between versions, focus stays, and the switch is announced', async () => {
    /** Presses `key` on the versions group and waits for `shown`; by then the new group has
     * focus, so a next key pressed at once is not lost. */
    async function press(key, shown) {
      await ferry.page.keyboard.press(key);
      await versionsOf(1).getByText(shown).waitFor();
      assert.equal(await ferry.page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Versions');
    }
    await versionsOf(1).focus();
    await press('ArrowLeft', '2 / 3');
    await ferry.questions.nth(1).getByText('Pack for snow').waitFor();
    await ferry.page.getByRole('status').filter({ hasText: 'version 2 of 3' }).waitFor();

    await press('ArrowLeft', '1 / 3');
    await ferry.questions.nth(1).getByText('Pack for rain').waitFor();
    await ferry.page.getByRole('status').filter({ hasText: 'version 1 of 3' }).waitFor();
    assert.equal(await versionsOf(1).getByRole('button', { name: 'Previous version' }).isDisabled(), true);
    assert.equal(await versionsOf(1).getByRole('button', { name: 'Next version' }).isDisabled(), false);
    // And back: ArrowRight twice, to the newest, whose Next version is off.
    await press('ArrowRight', '2 / 3');
    await press('ArrowRight', '3 / 3');
    await ferry.questions.nth(1).getByText('Pack for sun').waitFor();
    assert.equal(await versionsOf(1).getByRole('button', { name: 'Next version' }).isDisabled(), true);
    await press('ArrowLeft', '2 / 3');
    await press('ArrowLeft', '1 / 3');
  });

  it('a turn on an older version sends that version and nothing of the others (LobeChat #6683)', async () => {
    await ask('And the flights?');
    const sent = lastSent();
    assert.equal(sent.length, 5, JSON.stringify(sent));
    assert.deepEqual([sent[0], sent[2], sent[4]], ['Plan a trip to Oslo', 'Pack for rain', 'And the flights?']);
    assert.ok(!sent.some((t) => /snow|sun/.test(t)), JSON.stringify(sent));

    // Next version, by its button: its own branch, without the follow-up.
    await versionsOf(1).getByRole('button', { name: 'Next version' }).click();
    await versionsOf(1).getByText('2 / 3').waitFor();
    await ferry.questions.nth(1).getByText('Pack for snow').waitFor();
    assert.equal(await ferry.questions.count(), 2);
    await ask('Boots?');
    const other = lastSent();
    assert.equal(other.at(2), 'Pack for snow');
    assert.ok(!other.some((t) => /rain|flights/.test(t)), JSON.stringify(other));
  });

  it('a search hit in a branch not shown opens that branch', async () => {
    const search = ferry.page.getByRole('searchbox', { name: 'Search chats' });
    await search.fill('flights');
    await ferry.page.getByRole('button', { name: 'Plan a trip to Oslo', exact: true }).click();
    await ferry.questions.getByText('And the flights?').waitFor();
    await versionsOf(1).getByText('1 / 3').waitFor();
    await search.fill('');
  });

  it('Branch into a new chat copies the conversation up to a message', async () => {
    await ferry.answers.first().getByRole('button', { name: 'Branch into a new chat' }).click();
    const copy = ferry.page.getByRole('button', { name: 'Plan a trip to Oslo (branch)', exact: true });
    await copy.waitFor();
    await ferry.page.waitForFunction(
      () => document.querySelector('[aria-current="page"]')?.textContent?.includes('(branch)'),
    );
    await ferry.questions.first().getByText('Plan a trip to Oslo').waitFor();
    assert.equal(await ferry.questions.count(), 1);
    assert.equal(await ferry.answers.count(), 1);
    await ask('Only in the copy');
    const sent = lastSent();
    assert.equal(sent.length, 3, JSON.stringify(sent));
    assert.deepEqual([sent[0], sent[2]], ['Plan a trip to Oslo', 'Only in the copy']);
    // The original chat is as it was.
    await ferry.page.getByRole('button', { name: 'Plan a trip to Oslo', exact: true }).click();
    await ferry.questions.getByText('And the flights?').waitFor();
  });
});

// The sessions sidebar: New chat, automatic titles, switching, rename, search across
// titles and messages, delete after a confirmation.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { openApp } from './support/app.mjs';

let app;
let ferry;
before(async () => {
  ({ app, ferry } = await openApp());
});
after(() => app?.stop());

const titles = async () => (await ferry.chats.locator('.session-open').allInnerTexts()).map((t) => t.trim());

describe('sessions', () => {
  it('each new chat is titled from its first message', async () => {
    await ferry.send('Plan a trip to Lisbon');
    await ferry.idle();
    await ferry.button('New chat').click();
    await ferry.page.getByRole('heading', { name: 'Ferry' }).waitFor();
    await ferry.send('Explain borrow checking in Rust');
    await ferry.idle();
    await ferry.chats.filter({ hasText: 'Explain borrow checking' }).waitFor();
    assert.deepEqual(await titles(), ['Explain borrow checking in Rust', 'Plan a trip to Lisbon']);
    await ferry.screenshot('sessions');
  });

  it('switching shows the chosen conversation', async () => {
    await ferry.page.getByRole('button', { name: 'Plan a trip to Lisbon', exact: true }).click();
    await ferry.questions.getByText('Plan a trip to Lisbon').waitFor();
    assert.equal(await ferry.questions.getByText('Explain borrow checking').count(), 0);
    assert.equal(
      await ferry.page.getByRole('button', { name: 'Plan a trip to Lisbon', exact: true }).getAttribute('aria-current'),
      'page',
    );
  });

  it('rename changes the title', async () => {
    await ferry.page.getByRole('button', { name: 'Rename Plan a trip to Lisbon', exact: true }).click();
    const field = ferry.page.getByRole('textbox', { name: 'Chat title' });
    await field.fill('Lisbon in May');
    await field.press('Enter');
    await ferry.page.getByRole('button', { name: 'Lisbon in May', exact: true }).waitFor();
    assert.deepEqual((await titles()).sort(), ['Explain borrow checking in Rust', 'Lisbon in May']);
  });

  it('search finds chats by title and by message text', async () => {
    const search = ferry.page.getByRole('searchbox', { name: 'Search chats' });
    await search.fill('lisbon');
    await ferry.page.waitForFunction(() => document.querySelectorAll('.sessions li').length === 1);
    assert.deepEqual(await titles(), ['Lisbon in May']);
    // "Hello from openai!" is in both answers.
    await search.fill('hello from');
    await ferry.page.waitForFunction(() => document.querySelectorAll('.sessions li').length === 2);
    await search.fill('no such words');
    await ferry.page.getByText('No chats match.').waitFor();
    await search.fill('');
    await ferry.page.waitForFunction(() => document.querySelectorAll('.sessions li').length === 2);
  });

  it('delete asks first, then removes the chat for good', async () => {
    await ferry.page.getByRole('button', { name: 'Delete Lisbon in May' }).click();
    const confirm = ferry.page.getByRole('alertdialog', { name: 'Delete chat?' });
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await ferry.chats.count(), 2);
    await ferry.page.getByRole('button', { name: 'Delete Lisbon in May' }).click();
    await confirm.getByRole('button', { name: 'Delete chat' }).click();
    await ferry.page.waitForFunction(() => document.querySelectorAll('.sessions li').length === 1);
    await ferry.page.reload();
    await ferry.chats.first().waitFor();
    assert.deepEqual(await titles(), ['Explain borrow checking in Rust']);
  });
});

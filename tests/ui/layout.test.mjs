// Phone width and themes: on a narrow screen the chat list folds behind a menu button, and
// focus moves into it and back out as it opens and folds; the theme switch cycles dark, light and the system's, and is
// remembered.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { openApp } from './support/app.mjs';

let app;
let ferry;
before(async () => {
  ({ app, ferry } = await openApp({
    beforeOpen: ({ ferry }) => ferry.page.setViewportSize({ width: 390, height: 844 }),
  }));
});
after(() => app?.stop());

describe('layout', () => {
  it('on a phone, the chat list folds behind the menu button, and focus follows it', async () => {
    const page = ferry.page;
    const list = page.getByRole('complementary', { name: 'Chats' });
    const menu = page.getByRole('button', { name: 'Chats' });
    const focusIs = (check) => page.waitForFunction(check);
    const chatInert = () => ferry.message.evaluate((box) => box.closest('[inert]') !== null);
    assert.equal(await list.isVisible(), false, 'folded away, out of reach of keyboard and screen reader');
    await ferry.send('Hi from a phone');
    await ferry.answers.last().getByText('Hello from openai!').waitFor();
    await ferry.idle();
    await ferry.screenshot('phone');

    // Opening moves focus into the list; the chat behind it is inert.
    await menu.click();
    assert.equal(await menu.getAttribute('aria-expanded'), 'true');
    await list.waitFor();
    await focusIs(() => document.activeElement?.textContent === 'New chat');
    assert.equal(await chatInert(), true);

    // Esc folds it and returns to the menu button.
    await page.keyboard.press('Escape');
    await list.waitFor({ state: 'hidden' });
    await focusIs(() => document.activeElement?.classList.contains('menu-toggle'));
    assert.equal(await menu.getAttribute('aria-expanded'), 'false');
    assert.equal(await chatInert(), false);

    // Choosing a chat folds it and goes to the composer.
    await menu.click();
    await list.getByRole('button', { name: 'Hi from a phone', exact: true }).click();
    await list.waitFor({ state: 'hidden' });
    await focusIs(() => document.activeElement?.getAttribute('aria-label') === 'Message');
  });

  it('the theme switch goes dark, light, then back to the system, and is remembered', async () => {
    await ferry.page.setViewportSize({ width: 1280, height: 720 });
    const theme = () => ferry.page.evaluate(() => document.documentElement.dataset.theme);
    const background = () => ferry.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(await theme(), 'auto');
    await ferry.page.getByRole('button', { name: /^Theme: auto/ }).click();
    assert.equal(await theme(), 'dark');
    assert.equal(await background(), 'rgb(22, 24, 28)');
    await ferry.screenshot('dark');
    await ferry.page.reload();
    await ferry.open();
    assert.equal(await theme(), 'dark', 'remembered');
    await ferry.page.getByRole('button', { name: /^Theme: dark/ }).click();
    assert.equal(await theme(), 'light');
    assert.equal(await background(), 'rgb(255, 255, 255)');
    await ferry.page.getByRole('button', { name: /^Theme: light/ }).click();
    assert.equal(await theme(), 'auto');
  });
});

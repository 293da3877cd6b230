// Phone width and themes: on a narrow screen the chats list folds behind a menu button and
// the composer stays usable; the theme switch cycles dark, light and the system's, and is
// remembered.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { startApp } from './support/app.mjs';

let app;
let ferry;
before(async () => {
  app = await startApp();
  ferry = await app.page();
  await ferry.page.setViewportSize({ width: 390, height: 844 });
  await ferry.open();
  await ferry.configure();
});
after(() => app?.stop());

describe('layout', () => {
  it('on a phone, the chat list opens from a menu button and the composer works', async () => {
    const list = ferry.page.getByRole('complementary', { name: 'Chats' });
    const menu = ferry.page.getByRole('button', { name: 'Chats' });
    const inView = async () => (await list.boundingBox()).x >= 0;
    assert.equal(await inView(), false, 'folded away');
    await ferry.send('Hi from a phone');
    await ferry.answers.last().getByText('Hello from openai!').waitFor();
    await ferry.idle();
    await ferry.screenshot('phone');
    await menu.click();
    assert.equal(await menu.getAttribute('aria-expanded'), 'true');
    await ferry.page.waitForFunction(() => document.querySelector('.sidebar').getBoundingClientRect().x >= 0);
    await list.getByRole('button', { name: 'Hi from a phone', exact: true }).waitFor();
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

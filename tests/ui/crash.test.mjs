// A panic never leaves a blank or frozen page: the test build (`--crash-trigger`) panics on
// request, and the app answers with a full-page message, focus on Reload, the app behind it
// inert; Reload brings the app back with the conversation.

import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { CRASH_DIST, DIST, openApp } from './support/app.mjs';

/** Whether any of `dist`'s app files (its wasm and JS, not the agent's) mention `text`. */
function carries(dist, text) {
  return readdirSync(dist)
    .filter((name) => /^web-ui-.*\.(wasm|js)$/.test(name))
    .some((name) => readFileSync(path.join(dist, name)).includes(text));
}

let app;
let ferry;
before(async () => {
  ({ app, ferry } = await openApp({ dist: CRASH_DIST }));
});
after(() => app?.stop());

describe('panic screen', () => {
  it('only the test build carries the trigger', () => {
    assert.equal(carries(CRASH_DIST, 'ferryCrash'), true);
    assert.equal(carries(DIST, 'ferryCrash'), false);
  });

  it('a panic shows the message and Reload, and Reload brings the chat back', async () => {
    await ferry.send('Before the crash');
    await ferry.answers.last().getByText('Hello from openai!').waitFor();
    await ferry.idle();

    const crashed = await ferry.page.evaluate(() => {
      try {
        window.ferryCrash();
        return false;
      } catch {
        return true;
      }
    });
    assert.equal(crashed, true, 'the trigger panics');

    const screen = ferry.page.getByRole('alert');
    await screen.getByText('Something went wrong and Ferry stopped.').waitFor();
    const reload = screen.getByRole('button', { name: 'Reload' });
    assert.equal(await reload.evaluate((b) => b === document.activeElement), true, 'focus is on Reload');
    // The app behind the message is out of reach: inert, so neither focusable nor clickable,
    // and hidden from assistive technology.
    assert.equal(await ferry.message.evaluate((box) => box.closest('[inert]') !== null), true);
    await ferry.screenshot('crash');

    await Promise.all([ferry.page.waitForEvent('load'), reload.click()]);
    await ferry.page.waitForFunction(() => performance.getEntriesByName('ferry-ready').length > 0);
    assert.equal(await ferry.page.getByRole('alert').count(), 0);
    await ferry.questions.getByText('Before the crash').waitFor();
    await ferry.answers.last().getByText('Hello from openai!').waitFor();
  });
});

// Focus for keyboard and screen-reader users: it goes where the next step is and never falls
// to the page when the control that had it goes away. Settings is a modal dialog (focus in,
// the page behind inert, Esc closes, focus back on the opener); Stop, Edit, rename and
// delete each leave focus on a sensible control; an answer is busy while it streams.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { openApp } from './support/app.mjs';

let app;
let ferry;
before(async () => {
  ({ app, ferry } = await openApp({ configure: { model: 'slow-1' } }));
});
after(() => app?.stop());

/** Waits until the focused element passes `check` (run in the page, given the element). */
function focusOn(check) {
  return ferry.page.waitForFunction(`(${check})(document.activeElement)`);
}
/** Waits until the focused element is the control named `name`. */
function focusOnNamed(name) {
  return ferry.page.waitForFunction((name) => {
    const e = document.activeElement;
    return e?.getAttribute('aria-label') === name || e?.textContent.trim() === name;
  }, name);
}

describe('focus', () => {
  it('Settings: focus moves in, the page behind is inert, Esc closes and returns focus', async () => {
    const opener = ferry.button('Settings');
    await opener.focus();
    await ferry.page.keyboard.press('Enter');
    const dialog = ferry.page.getByRole('dialog', { name: 'Settings' });
    await dialog.waitFor();
    await focusOn((e) => e?.closest('dialog') !== null);
    // The composer cannot take focus while the dialog is open.
    const reachable = await ferry.message.evaluate((box) => {
      box.focus();
      return document.activeElement === box;
    });
    assert.equal(reachable, false);
    await ferry.page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    await focusOnNamed('Settings');
  });

  it('an answer is busy while it streams, and Stop hands focus to the composer', async () => {
    assert.equal(await ferry.page.getByRole('log', { name: 'Conversation' }).count(), 1);
    await ferry.send('Count for me');
    const answer = ferry.answers.last();
    await answer.getByText(/^one/).waitFor();
    assert.equal(await answer.getAttribute('aria-busy'), 'true');
    await ferry.button('Stop').click();
    await ferry.idle();
    await focusOnNamed('Message');
    assert.equal(await ferry.answers.last().getAttribute('aria-busy'), null);
  });

  it('Edit focuses the editor, and Cancel returns to Edit', async () => {
    await ferry.questions.last().getByRole('button', { name: 'Edit', exact: true }).click();
    await focusOnNamed('Edit message');
    await ferry.page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await focusOnNamed('Edit');
  });

  it('rename: the title field takes focus; Esc and Enter return to Rename', async () => {
    const rename = ferry.page.getByRole('button', { name: 'Rename Count for me', exact: true });
    await rename.click();
    await focusOnNamed('Chat title');
    await ferry.page.keyboard.press('Escape');
    await focusOnNamed('Rename Count for me');
    await rename.click();
    await ferry.page.getByRole('textbox', { name: 'Chat title' }).fill('Counting');
    await ferry.page.keyboard.press('Enter');
    await focusOnNamed('Rename Counting');
  });

  it('delete: the confirmation takes focus on Cancel, which returns to Delete', async () => {
    await ferry.page.getByRole('button', { name: 'Delete Counting', exact: true }).click();
    const confirm = ferry.page.getByRole('alertdialog', { name: 'Delete chat?' });
    await focusOn((e) => e?.textContent === 'Cancel' && e.closest('[role=alertdialog]') !== null);
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await focusOnNamed('Delete Counting');
  });
});

// Attachments in the app: a pasted image becomes a chip, is sent as an image part and shown
// as a thumbnail that opens larger, and is still there after a reload; a PDF dropped on a
// model that does not read PDFs reaches it as text with page markers; an export imported
// into a fresh profile brings the image back; a model without vision warns before sending
// and "Send without images" sends the text alone; Attach opens the file chooser; files over
// what the proxy takes disable Send, saying why, and so does a text file over the text it
// takes; Settings shows the storage and keeps originals on request.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { startBrowser } from '../e2e/support/browser.mjs';
import { textPdf } from '../e2e/support/pdf.mjs';
import { FerryPage, openApp } from './support/app.mjs';

let app;
let ferry;
before(async () => {
  // Mistral Small reads images, and not PDFs: they go as their text. Mistral is reached
  // through the proxy, whose caps the app's config gives: on a request with files, and on
  // a request's text (12 KB, of which the app keeps 8 KB for the JSON around it).
  ({ app, ferry } = await openApp({
    configure: { model: 'mistral-small-latest' },
    config: { max_media_body_bytes: 8192, max_body_bytes: 12288 },
  }));
});
after(() => app?.stop());

const COMPLETIONS = '/openai/v1/chat/completions';

/** A PNG of `width` × `height`, drawn by the page. */
function png(width, height) {
  return ferry.page.evaluate(
    async ([width, height]) => {
      const canvas = new OffscreenCanvas(width, height);
      const draw = canvas.getContext('2d');
      draw.fillStyle = '#3366cc';
      draw.fillRect(0, 0, width, height);
      draw.fillStyle = '#ffcc00';
      draw.fillRect(0, 0, width / 2, height / 2);
      const blob = await canvas.convertToBlob({ type: 'image/png' });
      return [...new Uint8Array(await blob.arrayBuffer())];
    },
    [width, height],
  );
}


/** The last user message the mock received, as content parts. */
function lastQuestion() {
  const call = app.mock.requests.findLast((r) => r.path === COMPLETIONS);
  const content = call.body.messages.findLast((m) => m.role === 'user').content;
  return typeof content === 'string' ? [{ type: 'text', text: content }] : content;
}

/** Waits until `img` has loaded a picture from an object URL. */
async function shown(img) {
  await img.evaluate(
    (el) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (el.src.startsWith('blob:') && el.complete && el.naturalWidth > 0) return resolve();
          setTimeout(check, 50);
        };
        check();
        setTimeout(() => reject(new Error(`no picture: ${el.src}`)), 10_000);
      }),
  );
}

describe('attachments', () => {
  it('a pasted image becomes a chip, is sent as an image and shown as a thumbnail that opens larger', async () => {
    await ferry.message.fill('What colours are here?');
    await ferry.paste([{ name: 'image.png', type: 'image/png', bytes: await png(64, 48) }]);
    const chip = ferry.attachments.getByRole('listitem').filter({ hasText: 'screenshot.png' });
    await chip.waitFor();
    await chip.getByRole('button', { name: 'Remove screenshot.png' }).waitFor();
    // Prepared by the agent: its size, no more "Preparing…".
    await chip.getByText(/^\d+ (B|KB)$/).waitFor();
    await ferry.screenshot('attachment-chip');
    await ferry.message.press('Enter');
    // The first message starts the chat: Send is back only once the turn is over.
    await ferry.questions.getByText('What colours are here?').waitFor();
    await ferry.idle();
    // The chips go with the message; the draft is empty.
    assert.equal(await ferry.attachments.count(), 0);
    assert.equal(await ferry.message.inputValue(), '');

    const parts = lastQuestion();
    assert.deepEqual(parts[0], { type: 'text', text: 'What colours are here?' });
    const image = parts.find((p) => p.type === 'image_url');
    assert.match(image.image_url.url, /^data:image\/(png|jpeg);base64,[A-Za-z0-9+/=]+$/);

    const open = ferry.questions.last().getByRole('button', { name: 'Open image screenshot.png' });
    await shown(open.locator('img'));
    await open.click();
    const view = ferry.page.getByRole('dialog', { name: 'screenshot.png' });
    await shown(view.getByRole('img', { name: 'screenshot.png' }));
    await ferry.screenshot('attachment-open');
    await ferry.page.keyboard.press('Escape');
    await view.waitFor({ state: 'hidden' });
    await open.click();
    await view.getByRole('button', { name: 'Close', exact: true }).click();
    await view.waitFor({ state: 'hidden' });
  });

  it('after a reload the image is still there', async () => {
    await ferry.page.reload();
    await ferry.questions.getByText('What colours are here?').waitFor();
    const open = ferry.questions.last().getByRole('button', { name: 'Open image screenshot.png' });
    await shown(open.locator('img'));
  });

  it("a PDF dropped on a model that does not read PDFs reaches it as its text, by page", async () => {
    await ferry.button('New chat').click();
    await ferry.message.fill('Summarize the report');
    const report = textPdf(['Quarterly figures rose', 'Outlook is calm']);
    await ferry.drop([{ name: 'report.pdf', type: 'application/pdf', bytes: report }], async () => {
      // Held over the composer, the drop is announced.
      await ferry.page.locator('form.composer.dropping').waitFor();
    });
    assert.equal(await ferry.page.locator('form.composer.dropping').count(), 0);
    const chip = ferry.attachments.getByRole('listitem').filter({ hasText: 'report.pdf' });
    await chip.getByText(/^2 pages · /).waitFor();
    await ferry.button('Send').click();
    await ferry.questions.getByText('Summarize the report').waitFor();
    await ferry.idle();

    const text = lastQuestion()
      .filter((p) => p.type === 'text')
      .map((p) => p.text)
      .join('\n');
    assert.match(text, /<document name="report\.pdf" pages="2">/);
    assert.match(text, /--- Page 1 ---\s*Quarterly figures rose/);
    assert.match(text, /--- Page 2 ---\s*Outlook is calm/);
    assert.ok(!lastQuestion().some((p) => p.type === 'file'), 'no file part for a model without PDF support');
    // In the conversation: its name, pages and size.
    await ferry.questions.last().getByText(/^report\.pdf · 2 pages · \d+ (B|KB)$/).waitFor();
  });

  it('an export imported into a fresh profile brings the image back', async () => {
    await ferry.button('Settings').click();
    const dialog = ferry.page.getByRole('dialog', { name: 'Settings' });
    const [download] = await Promise.all([
      ferry.page.waitForEvent('download'),
      dialog.getByRole('button', { name: 'Export data' }).click(),
    ]);
    const file = await download.path();
    await dialog.getByRole('button', { name: 'Close', exact: true }).click();

    const other = await startBrowser();
    try {
      const fresh = new FerryPage(await other.page(), app.site.url);
      await fresh.open();
      const settings = fresh.page.getByRole('dialog', { name: 'Settings' });
      await settings.getByLabel('Import file').setInputFiles(file);
      await settings.getByRole('status').filter({ hasText: /^Imported 2 chats/ }).waitFor();
      await settings.getByRole('button', { name: 'Close', exact: true }).click();
      await fresh.page.getByRole('button', { name: 'What colours are here?', exact: true }).click();
      const open = fresh.questions.last().getByRole('button', { name: 'Open image screenshot.png' });
      await shown(open.locator('img'));
    } finally {
      await other.stop();
    }
  });

  it('a model without vision warns before sending; "Send without images" sends the text alone', async () => {
    await ferry.configure({ model: 'mistral-large-2411' });
    await ferry.button('New chat').click();
    await ferry.message.fill('Just the words');
    await ferry.paste([{ name: 'image.png', type: 'image/png', bytes: await png(20, 20) }]);
    const warning = ferry.page.getByRole('alert').filter({ hasText: 'mistral-large-2411 cannot read images' });
    await warning.waitFor();
    await ferry.attachments.getByText(/^\d+ (B|KB)$/).waitFor();
    assert.equal(await ferry.button('Send').isDisabled(), true);
    const before = app.mock.requests.filter((r) => r.path === COMPLETIONS).length;
    await warning.getByRole('button', { name: 'Send without images' }).click();
    await ferry.questions.getByText('Just the words').waitFor();
    await ferry.idle();
    assert.equal(app.mock.requests.filter((r) => r.path === COMPLETIONS).length, before + 1);
    const parts = lastQuestion();
    assert.deepEqual(
      parts.filter((p) => p.type !== 'text'),
      [],
    );
    assert.match(parts.map((p) => p.text).join(''), /Just the words/);
    assert.equal(await ferry.questions.last().getByRole('button', { name: /^Open image/ }).count(), 0);
    assert.equal(await warning.count(), 0);
  });

  it('Attach opens the file chooser; a chosen file is a chip until removed', async () => {
    const [chooser] = await Promise.all([ferry.page.waitForEvent('filechooser'), ferry.button('Attach').click()]);
    assert.equal(chooser.isMultiple(), true);
    await chooser.setFiles({ name: 'notes.md', mimeType: 'text/markdown', buffer: Buffer.from('# Notes\n\ntea, no sugar\n') });
    const chip = ferry.attachments.getByRole('listitem').filter({ hasText: 'notes.md' });
    await chip.getByText(/^\d+ B$/).waitFor();
    await ferry.page.getByText('1 of 10 files · 23 B of 14 MB · the proxy takes requests up to 8 KB, 4 KB of text').waitFor();
    await chip.getByRole('button', { name: 'Remove notes.md' }).click();
    assert.equal(await ferry.attachments.count(), 0);
  });

  it("files over what the proxy takes disable Send, saying why, until removed", async () => {
    await ferry.message.fill('Read this table');
    const [chooser] = await Promise.all([ferry.page.waitForEvent('filechooser'), ferry.button('Attach').click()]);
    await chooser.setFiles({ name: 'big.csv', mimeType: 'text/csv', buffer: Buffer.from('a,b\n'.repeat(1750)) });
    const reason = ferry.page
      .getByRole('alert')
      .filter({ hasText: 'These files come to about 10 KB as sent, over the 8 KB your proxy takes.' });
    await reason.waitFor();
    assert.equal(await ferry.button('Send').isDisabled(), true);
    await ferry.button('Remove big.csv').click();
    await reason.waitFor({ state: 'hidden' });
    assert.equal(await ferry.button('Send').isEnabled(), true);
    assert.equal(await ferry.message.inputValue(), 'Read this table');
  });

  it("a text file over the text the proxy takes disables Send, saying why, until removed", async () => {
    await ferry.message.fill('Read this list');
    const [chooser] = await Promise.all([ferry.page.waitForEvent('filechooser'), ferry.button('Attach').click()]);
    // 5 KB: within the cap on a request with files as base64 (7 KB of 8 KB), over the 4 KB
    // of text.
    await chooser.setFiles({ name: 'list.csv', mimeType: 'text/csv', buffer: Buffer.from('a,b\n'.repeat(1250)) });
    const reason = ferry.page
      .getByRole('alert')
      .filter({ hasText: 'This message and its files come to about 5 KB of text, over the 4 KB your proxy takes.' });
    await reason.waitFor();
    assert.equal(await ferry.button('Send').isDisabled(), true);
    await ferry.page.getByText('1 of 10 files · 5 KB of 14 MB · the proxy takes requests up to 8 KB, 4 KB of text').waitFor();
    await ferry.screenshot('attachment-text-over-proxy');
    await ferry.button('Remove list.csv').click();
    await reason.waitFor({ state: 'hidden' });
    assert.equal(await ferry.button('Send').isEnabled(), true);
    assert.equal(await ferry.message.inputValue(), 'Read this list');
  });

  it('Settings shows the storage used and available, whether it is persistent, and keeps originals on request', async () => {
    await ferry.button('Settings').click();
    const dialog = ferry.page.getByRole('dialog', { name: 'Settings' });
    await dialog.getByRole('heading', { name: 'Storage' }).waitFor();
    await dialog.getByText(/^Used: \d+(\.\d)? (B|KB|MB) · Available: \d+(\.\d)? (KB|MB|GB)$/).waitFor();
    await dialog.getByText(/^(Persistent|Not persistent \(the browser may clear it under pressure\))/).waitFor();
    const keep = dialog.getByRole('checkbox', { name: 'Keep original images' });
    assert.equal(await keep.isChecked(), false);
    await keep.check();
    await dialog.getByRole('button', { name: 'Save', exact: true }).click();
    await dialog.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    // Opened again once the agent has told the app the saved settings.
    await ferry.open();
    await ferry.button('Settings').click();
    assert.equal(await dialog.getByRole('checkbox', { name: 'Keep original images' }).isChecked(), true);
    await dialog.getByRole('button', { name: 'Close', exact: true }).click();
  });
});

// Durable data: Settings says what storage that is not persistent means; the backup
// reminder after the chosen number of new messages; automatic backups written to a folder
// the user chose and rolled (the newest 5 kept, attachments included); a database the
// browser deleted or emptied is noticed, never shown as an empty app, and restored from a
// backup file or from the backup folder.
//
// The folder: `window.showDirectoryPicker` is stubbed to answer the origin private file
// system's root (`navigator.storage.getDirectory()`), a real FileSystemDirectoryHandle, so
// the app's backup code runs as it would on a folder the user picked.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';

import { FerryPage, openApp } from './support/app.mjs';

let app;
let ferry;
/** The backup downloaded by "Back up now", for the restore. */
let downloaded;

const stubPicker = () => {
  window.showDirectoryPicker = () => navigator.storage.getDirectory();
};

before(async () => {
  ({ app, ferry } = await openApp({
    beforeOpen: async ({ ferry }) => {
      await ferry.page.context().addInitScript(stubPicker);
      // Five backups of earlier days and a file that is not a backup, already there.
      await ferry.page.goto(`${ferry.url}/ferry-config.json`);
      await ferry.page.evaluate(async () => {
        const root = await navigator.storage.getDirectory();
        for (const name of ['notes.txt', ...[1, 2, 3, 4, 5].map((d) => `ferry-backup-2020-01-0${d}T00-00-00Z.json`)]) {
          const out = await (await root.getFileHandle(name, { create: true })).createWritable();
          await out.write('{}');
          await out.close();
        }
      });
    },
  }));
});
after(() => app?.stop());

/** The names in the backup folder (the private file system's root), sorted. */
const folder = (page = ferry.page) =>
  page.evaluate(async () => {
    const names = [];
    for await (const [name] of (await navigator.storage.getDirectory()).entries()) names.push(name);
    return names.sort();
  });

/** A file of the backup folder, as JSON. */
const backup = (name, page = ferry.page) =>
  page.evaluate(async (name) => {
    const file = await (await (await navigator.storage.getDirectory()).getFileHandle(name)).getFile();
    return JSON.parse(await file.text());
  }, name);

/** Resolves once `check()` does, looking every 250 ms for up to 20 s. */
async function until(check) {
  const end = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out waiting for the backup folder');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const reminder = () => ferry.page.getByRole('region', { name: 'Backup reminder' });

/** Runs `change` on the app's database from a page of the origin that is not the app. */
async function onDatabase(change) {
  await ferry.page.close();
  const page = await app.browser.context.newPage();
  await page.goto(`${app.site.url}/ferry-config.json`);
  await page.evaluate(change);
  await page.close();
  ferry = new FerryPage(await app.browser.context.newPage(), app.site.url);
  await ferry.open();
}

const goneDialog = () => ferry.page.getByRole('dialog', { name: "Ferry's saved chats are gone from this browser" });

describe('durable data', () => {
  it('Settings says what storage that is not persistent means', async () => {
    const persisted = await ferry.page.evaluate(() => navigator.storage.persisted());
    const dialog = await ferry.settings();
    const meaning = dialog.getByText(/it may delete your chats, settings and files without asking/);
    if (persisted) assert.equal(await meaning.count(), 0);
    else await meaning.waitFor();
    await ferry.closeSettings();
  });

  it('reminds to back up after the chosen number of new messages; Back up now downloads a backup', async () => {
    const dialog = await ferry.settings();
    await dialog.getByRole('spinbutton', { name: 'Remind me to back up after', exact: true }).fill('3');
    await ferry.closeSettings();
    await ferry.send('Remember the Lisbon trip');
    await ferry.idle();
    // A question and its answer: 2 of 3.
    await ferry.page.waitForTimeout(500);
    assert.equal(await reminder().count(), 0);
    await ferry.send('And the Porto one');
    await ferry.idle();
    await reminder().getByText('4 new messages since your last backup').waitFor();
    const [download] = await Promise.all([
      ferry.page.waitForEvent('download'),
      reminder().getByRole('button', { name: 'Back up now', exact: true }).click(),
    ]);
    assert.match(download.suggestedFilename(), /^ferry-backup-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\.json$/);
    downloaded = await download.path();
    const document = JSON.parse(readFileSync(downloaded, 'utf8'));
    assert.equal(document.sessions.length, 1);
    assert.ok(Array.isArray(document.blobs));
    assert.ok(!JSON.stringify(document).includes('sk-ui-SECRET'), 'no key in a backup');
    await reminder().waitFor({ state: 'detached' });
    // Dismissed, it comes back only after as many new messages again.
    await ferry.send('One more');
    await ferry.idle();
    await ferry.send('And another');
    await ferry.idle();
    await reminder().getByText('4 new messages since your last backup').waitFor();
    await reminder().getByRole('button', { name: 'Dismiss', exact: true }).click();
    await reminder().waitFor({ state: 'detached' });
  });

  it('backs up to the chosen folder after changes, attachments included, keeping the newest 5', async () => {
    const dialog = await ferry.settings();
    await dialog.getByRole('button', { name: 'Choose backup folder', exact: true }).click();
    await dialog.getByText(/Automatic backups go to the folder/).waitFor();
    await dialog.getByRole('status').filter({ hasText: /Backed up as ferry-backup-/ }).waitFor();
    let names = await folder();
    // The oldest of the six went; the file that is not a backup stays.
    assert.equal(names.filter((n) => n.startsWith('ferry-backup-')).length, 5);
    assert.ok(!names.includes('ferry-backup-2020-01-01T00-00-00Z.json'), names.join());
    assert.ok(names.includes('notes.txt'));
    const first = names.filter((n) => n.startsWith('ferry-backup-')).at(-1);
    await ferry.closeSettings();

    // A change (a message with a file attached) is backed up a few seconds later.
    await ferry.paste([{ name: 'itinerary.md', type: 'text/markdown', bytes: [...Buffer.from('# Day 1\nTram 28')] }]);
    await ferry.attachments.getByText('itinerary.md').waitFor();
    await ferry.send('Here is the itinerary');
    await ferry.idle();
    // The new file is written first and the oldest removed after it: until then there are six.
    await until(async () => {
      const backups = (await folder()).filter((n) => n.startsWith('ferry-backup-'));
      return backups.at(-1) > first && backups.length === 5;
    });
    names = (await folder()).filter((n) => n.startsWith('ferry-backup-'));
    assert.equal(names.length, 5);
    assert.ok(!names.includes('ferry-backup-2020-01-02T00-00-00Z.json'), names.join());
    const latest = await backup(names.at(-1));
    assert.equal(latest.format, 'ferry-export');
    assert.ok(JSON.stringify(latest.messages).includes('Here is the itinerary'));
    const file = latest.blobs.find((b) => b.text?.includes('Tram 28') || Buffer.from(b.data, 'base64').toString().includes('Tram 28'));
    assert.ok(file, 'the attached file is in the backup');
  });

  it('a deleted database is noticed and restored from a backup file', async () => {
    // With the schema's meta record the app can tell a deleted database from an emptied one.
    const meta = await ferry.page.evaluate(
      () =>
        new Promise((resolve) => {
          const open = indexedDB.open('ferry');
          open.onsuccess = () => {
            resolve(open.result.objectStoreNames.contains('meta'));
            open.result.close();
          };
        }),
    );
    await onDatabase(
      () =>
        new Promise((resolve, reject) => {
          const request = indexedDB.deleteDatabase('ferry');
          request.onsuccess = resolve;
          request.onerror = () => reject(request.error);
        }),
    );
    const dialog = goneDialog();
    await dialog.waitFor();
    const how = meta ? 'deleted' : 'emptied';
    await dialog.getByText(new RegExp(`The browser ${how} Ferry's database, which held 1 chat`)).waitFor();
    // A damaged backup (cut short on the way) restores nothing, says why, and the dialog
    // stays for another try.
    const whole = readFileSync(downloaded);
    await dialog.getByLabel('Restore from backup', { exact: true }).setInputFiles({
      name: 'ferry-backup-cut-short.json',
      mimeType: 'application/json',
      buffer: whole.subarray(0, whole.length >> 1),
    });
    await dialog.getByRole('status').getByText(/^Nothing was imported: this is not a Ferry export: EOF/).waitFor();
    assert.ok(await dialog.isVisible());
    await dialog.getByLabel('Restore from backup', { exact: true }).setInputFiles(downloaded);
    await dialog.waitFor({ state: 'hidden' });
    // Keys are not in a backup: Settings asks for one.
    await ferry.configure();
    await ferry.page.getByRole('button', { name: 'Remember the Lisbon trip', exact: true }).click();
    await ferry.questions.getByText('And the Porto one').waitFor();
    assert.equal(await ferry.questions.getByText('Here is the itinerary').count(), 0);
  });

  it('an emptied database is noticed and restored from the backup folder', async () => {
    await ferry.send('Written after the restore');
    await ferry.idle();
    // Backed up to the folder a few seconds later.
    await until(async () => {
      const newest = (await folder()).filter((n) => n.startsWith('ferry-backup-')).at(-1);
      return JSON.stringify(await backup(newest)).includes('Written after the restore');
    });
    await onDatabase(
      () =>
        new Promise((resolve, reject) => {
          const open = indexedDB.open('ferry');
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const db = open.result;
            const tx = db.transaction(['sessions', 'messages'], 'readwrite');
            tx.objectStore('sessions').clear();
            tx.objectStore('messages').clear();
            tx.oncomplete = () => {
              db.close();
              resolve();
            };
            tx.onerror = () => reject(tx.error);
          };
        }),
    );
    const dialog = goneDialog();
    await dialog.waitFor();
    await dialog.getByText(/The browser emptied Ferry's database, which held 1 chat/).waitFor();
    await dialog.getByRole('button', { name: 'Restore from backup folder', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    await ferry.closeSettings();
    await ferry.page.getByRole('button', { name: 'Remember the Lisbon trip', exact: true }).click();
    await ferry.questions.getByText('Written after the restore').waitFor();
  });
});

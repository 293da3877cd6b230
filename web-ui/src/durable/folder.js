// Automatic backups to a folder the user picks, with the File System Access API
// (Chromium). web-sys binds these interfaces only under an unstable cfg, so the few calls
// live here; the app calls them through wasm-bindgen. The folder's handle is kept in a small
// database of its own, `ferry-backup` (store `handles`, key `folder`), apart from Ferry's
// `ferry`: a browser that deletes or recreates that one may leave this one, and then the
// newest backup in the folder is one click away.

const DB = 'ferry-backup';
const STORE = 'handles';
const KEY = 'folder';
/** How many backups the folder keeps: the newest. */
export const KEEP = 5;
/** KEEP, for the app. */
export function kept() {
  return KEEP;
}
const NAME = /^ferry-backup-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z\.json$/;

function withStore(mode, use) {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(DB, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(STORE);
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const tx = db.transaction(STORE, mode);
      const request = use(tx.objectStore(STORE));
      tx.oncomplete = () => {
        db.close();
        resolve(request.result);
      };
      tx.onerror = () => {
        db.close();
        reject(tx.error);
      };
    };
  });
}

async function savedFolder() {
  try {
    return (await withStore('readonly', (s) => s.get(KEY))) ?? null;
  } catch {
    return null;
  }
}

/** Whether this browser lets a page write to a folder the user picks. */
export function canPickFolder() {
  return typeof window.showDirectoryPicker === 'function';
}

/** Asks the user for a folder and keeps it; resolves to its name. */
export async function chooseFolder() {
  const folder = await window.showDirectoryPicker({ id: 'ferry-backups', mode: 'readwrite' });
  await withStore('readwrite', (s) => s.put(folder, KEY));
  return folder.name;
}

/** The kept folder as JSON `{"name","permission"}` (`granted`, `prompt`, `denied`), or "". */
export async function folderState() {
  const folder = await savedFolder();
  if (!folder) return '';
  const permission = folder.queryPermission ? await folder.queryPermission({ mode: 'readwrite' }) : 'granted';
  return JSON.stringify({ name: folder.name, permission });
}

/** Asks again for the kept folder's permission (needs a click); resolves to whether granted. */
export async function allowFolder() {
  const folder = await savedFolder();
  if (!folder) return false;
  const permission = folder.requestPermission ? await folder.requestPermission({ mode: 'readwrite' }) : 'granted';
  return permission === 'granted';
}

/** Forgets the folder (its files stay). */
export async function forgetFolder() {
  await withStore('readwrite', (s) => s.delete(KEY));
}

/** A backup's file name at `ms` (UTC, to the second; names sort as times do). */
export function backupName(ms) {
  return `ferry-backup-${new Date(ms).toISOString().slice(0, 19).replaceAll(':', '-')}Z.json`;
}

async function backupNames(folder) {
  const names = [];
  for await (const [name, entry] of folder.entries()) {
    if (entry.kind === 'file' && NAME.test(name)) names.push(name);
  }
  return names.sort();
}

/**
 * Writes `text` as the backup of `ms` into the kept folder, then removes all but the newest
 * KEEP backups; resolves to the file's name. One tab at a time (a Web Lock).
 */
export async function writeBackup(text, ms) {
  const folder = await savedFolder();
  if (!folder) throw new Error('No backup folder is chosen');
  const write = async () => {
    const name = backupName(ms);
    const file = await folder.getFileHandle(name, { create: true });
    const out = await file.createWritable();
    await out.write(text);
    await out.close();
    const names = await backupNames(folder);
    for (const old of names.slice(0, Math.max(0, names.length - KEEP))) await folder.removeEntry(old);
    return name;
  };
  return navigator.locks ? navigator.locks.request('ferry-backup', write) : write();
}

/** The newest backup in the kept folder, as text; "" when there is none. */
export async function newestBackup() {
  const folder = await savedFolder();
  if (!folder) return '';
  const names = await backupNames(folder);
  if (names.length === 0) return '';
  const file = await (await folder.getFileHandle(names[names.length - 1])).getFile();
  return file.text();
}

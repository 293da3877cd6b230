//! Durable data: the user's chats live in this browser only, so the app watches over them.
//! It notices a database the browser emptied or deleted (the marker of
//! [`Marker`](crate::model::Marker), kept in `localStorage`) and offers to restore a backup
//! rather than showing an empty app; it reminds the user to back up after a number of new
//! messages; where the browser allows it, it writes backups to a folder the user picked, a
//! short while after each change, keeping the newest few.
//!
//! Backups are the agent's export without keys, attachments included (`export`, answered
//! by `exported`): [`exported`] decides where each one goes, in the order they were asked.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

use ferry_protocol::{Change, Command, Event};
use leptos::prelude::*;

use crate::agent_module;
use crate::app::now_ms;
use crate::model::{Gone, MARKER_KEY, Marker, REMINDER_KEY, StorageState, remind_after};

mod folder;
mod views;

pub use views::{BackupReminder, BackupSettings, GoneNotice};

/// A change is backed up to the folder once this long has passed without another.
const BACKUP_DEBOUNCE_MS: u64 = 5_000;

/// Where an asked-for export goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// A file the browser downloads, named as a backup.
    Download,
    /// The backup folder.
    Folder,
}

/// What the views share, in signals.
#[derive(Clone, Copy)]
pub struct Durable {
    pub marker: RwSignal<Marker>,
    /// The chats are gone: how, and how many there were.
    pub gone: RwSignal<Option<(Gone, u32)>>,
    pub remind_after: RwSignal<u32>,
    /// The backup folder, where the browser has one.
    pub folder: RwSignal<Option<folder::Folder>>,
    /// A passing word about backups ("Backed up to …", why one failed).
    pub note: RwSignal<Option<String>>,
}

thread_local! {
    static DURABLE: Cell<Option<Durable>> = const { Cell::new(None) };
    /// Exports asked for by this module, oldest first; others are downloads.
    static PURPOSES: RefCell<VecDeque<Purpose>> = const { RefCell::new(VecDeque::new()) };
    /// The first look at the database is done (before it, nothing may overwrite the marker).
    static CHECKED: Cell<bool> = const { Cell::new(false) };
    /// Something changed since the folder's last backup.
    static DIRTY: Cell<bool> = const { Cell::new(false) };
    /// The latest scheduled backup: earlier ones give way.
    static SCHEDULED: Cell<u32> = const { Cell::new(0) };
}

/// The shared signals; made by the app's root ([`provide`]), so that they live as long.
pub fn durable() -> Durable {
    DURABLE.get().unwrap_or_else(|| {
        let made = Durable {
            marker: RwSignal::new(read_marker()),
            gone: RwSignal::new(None),
            remind_after: RwSignal::new(remind_after(storage_item(REMINDER_KEY).as_deref())),
            folder: RwSignal::new(None),
            note: RwSignal::new(None),
        };
        DURABLE.set(Some(made));
        made
    })
}

/// Makes the shared signals, from the app's root.
pub fn provide() {
    let _ = durable();
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

fn storage_item(key: &str) -> Option<String> {
    local_storage().and_then(|s| s.get_item(key).ok().flatten())
}

fn read_marker() -> Marker {
    storage_item(MARKER_KEY)
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default()
}

/// Keeps `marker`, in the signal and in `localStorage`.
fn keep_marker(marker: Marker) {
    if let (Some(storage), Ok(json)) = (local_storage(), serde_json::to_string(&marker)) {
        let _ = storage.set_item(MARKER_KEY, &json);
    }
    durable().marker.set(marker);
}

/// The reminder's threshold, chosen in Settings (0: never).
pub fn set_remind_after(messages: u32) {
    if let Some(storage) = local_storage() {
        let _ = storage.set_item(REMINDER_KEY, &messages.to_string());
    }
    durable().remind_after.set(messages);
}

/// At start, once the agent is loaded: the first look at the database, and the folder.
pub fn start() {
    leptos::task::spawn_local(async {
        look(true).await;
        refresh_folder().await;
    });
}

/// Looks at what the database holds. The first look decides whether the chats are gone
/// (and then leaves the marker as it was, so a reload still says so); later looks keep the
/// marker up to date.
async fn look(first: bool) {
    if !first && !CHECKED.get() {
        return;
    }
    let Ok(json) = agent_module::storage_state().await else {
        CHECKED.set(true);
        return;
    };
    let Ok(now) = serde_json::from_str::<StorageState>(&json) else {
        CHECKED.set(true);
        return;
    };
    let d = durable();
    let marker = read_marker();
    if first {
        CHECKED.set(true);
        if let Some(gone) = marker.gone(&now) {
            d.gone.set(Some((gone, marker.sessions)));
            return;
        }
    }
    if d.gone.get_untracked().is_some() {
        if now.sessions == 0 {
            return;
        }
        d.gone.set(None);
    }
    keep_marker(marker.seen(&now));
}

/// An event of this tab's agent: what it may change of the counts.
pub fn seen(event: &Event) {
    match event {
        Event::Sessions { .. } => leptos::task::spawn_local(look(false)),
        Event::Imported { .. } => {
            // Restored from a backup, or another export taken in: what the agent holds of
            // settings, keys and servers is read again, and what is there now counts as
            // backed up.
            agent_module::send(&Command::Refresh {
                changed: vec![Change::Settings, Change::Keys, Change::McpServers],
            });
            leptos::task::spawn_local(async {
                look(false).await;
                let d = durable();
                if d.gone.get_untracked().is_none() {
                    keep_marker(d.marker.get_untracked().backed_up(now_ms(), None));
                }
            });
        }
        // A restore that failed (a damaged file) says why in the dialog, the one place
        // in reach while it is open.
        Event::Error {
            kind,
            message,
            session,
        } if durable().gone.with_untracked(Option::is_some) => {
            let said = crate::model::Banner::from_error(*kind, message, session.clone());
            durable().note.set(Some(said.text));
        }
        _ => {}
    }
}

/// The user leaves the lost chats behind: what is there now is the new start.
pub fn start_over() {
    durable().gone.set(None);
    keep_marker(Marker::default());
    leptos::task::spawn_local(look(false));
}

/// This tab wrote something (a message, a chat, settings): the folder gets a backup once
/// things have been quiet for a moment.
pub fn changed() {
    DIRTY.set(true);
    let ticket = SCHEDULED.get().wrapping_add(1);
    SCHEDULED.set(ticket);
    set_timeout(
        move || {
            if SCHEDULED.get() == ticket {
                leptos::task::spawn_local(back_up_to_folder());
            }
        },
        std::time::Duration::from_millis(BACKUP_DEBOUNCE_MS),
    );
}

/// A backup to the folder, if one is kept and writable and something changed.
async fn back_up_to_folder() {
    refresh_folder().await;
    let writable = durable()
        .folder
        .get_untracked()
        .is_some_and(|f| f.writable());
    if writable && DIRTY.replace(false) {
        ask_export(Purpose::Folder);
    }
}

/// `Back up now`: to the folder when one is writable, else a download.
pub fn back_up_now() {
    let to_folder = durable()
        .folder
        .get_untracked()
        .is_some_and(|f| f.writable());
    ask_export(if to_folder {
        Purpose::Folder
    } else {
        Purpose::Download
    });
}

fn ask_export(purpose: Purpose) {
    PURPOSES.with_borrow_mut(|p| p.push_back(purpose));
    agent_module::send(&Command::Export {
        include_keys: false,
    });
}

/// The agent's export arrived: it goes where it was asked for (a plain `Export data` is
/// downloaded as `ferry-export.json`). Each counts as a backup.
pub fn exported(document: String) {
    let at = now_ms();
    match PURPOSES.with_borrow_mut(VecDeque::pop_front) {
        None => {
            crate::app::download("ferry-export.json", &document);
            keep_marker(durable().marker.get_untracked().backed_up(at, None));
        }
        Some(Purpose::Download) => {
            let name = folder::backup_name(at as f64);
            crate::app::download(&name, &document);
            keep_marker(durable().marker.get_untracked().backed_up(at, Some(name)));
        }
        Some(Purpose::Folder) => leptos::task::spawn_local(async move {
            let d = durable();
            match folder::write(&document, at).await {
                Ok(name) => {
                    d.note.set(Some(format!("Backed up as {name}")));
                    keep_marker(d.marker.get_untracked().backed_up(at, Some(name)));
                }
                Err(reason) => {
                    DIRTY.set(true);
                    d.note
                        .set(Some(format!("The backup could not be written: {reason}")));
                }
            }
        }),
    }
}

/// Reads the kept folder's state again.
async fn refresh_folder() {
    if folder::available() {
        durable().folder.set(folder::state().await);
    }
}

/// `Choose backup folder`: the picker, then a first backup there.
pub fn choose_folder() {
    leptos::task::spawn_local(async {
        match folder::choose().await {
            Ok(_) => {
                refresh_folder().await;
                DIRTY.set(true);
                back_up_to_folder().await;
            }
            // A cancelled picker is not worth a word.
            Err(reason) if reason.contains("abort") => {}
            Err(reason) => durable().note.set(Some(reason)),
        }
    });
}

/// `Allow backups to <folder>`: the browser asks the user again (after a reload).
pub fn allow_folder() {
    leptos::task::spawn_local(async {
        if folder::allow().await {
            DIRTY.set(true);
            back_up_to_folder().await;
        } else {
            refresh_folder().await;
        }
    });
}

/// `Stop automatic backups`: the folder is forgotten, its files stay.
pub fn forget_folder() {
    leptos::task::spawn_local(async {
        folder::forget().await;
        durable().folder.set(None);
        durable().note.set(None);
    });
}

/// Restores the newest backup of the kept folder.
pub fn restore_from_folder() {
    leptos::task::spawn_local(async {
        match folder::newest().await {
            Ok(Some(document)) => agent_module::send(&Command::Import { document }),
            Ok(None) => durable()
                .note
                .set(Some("The backup folder holds no backup.".to_owned())),
            Err(reason) => durable().note.set(Some(reason)),
        }
    });
}

/// How many backups the folder keeps.
pub fn kept() -> u32 {
    folder::kept()
}

/// Whether this browser can back up to a folder.
pub fn folder_available() -> bool {
    folder::available()
}

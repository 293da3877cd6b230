//! Durable data as plain decisions: the marker the app keeps outside IndexedDB, whether
//! the database the agent opened is the one that held the user's chats, and when to remind
//! the user to back up.
//!
//! Why a marker outside IndexedDB: a browser that evicts or clears Ferry's database (under
//! storage pressure, a "clear site data" of one kind of storage, a database that would not
//! open and was deleted) leaves the agent to create a new, empty one, which looks exactly
//! like a first visit. `localStorage` is kept apart from IndexedDB by Chromium's eviction,
//! so what it remembers (that this database held chats, and which database it was, by the
//! id the agent keeps in the database's `meta` store) tells the two apart.

use serde::{Deserialize, Serialize};

/// The `localStorage` key of [`Marker`].
pub const MARKER_KEY: &str = "ferry-durable";
/// The `localStorage` key of the reminder's threshold (a number of messages; 0 = never).
pub const REMINDER_KEY: &str = "ferry-backup-reminder";
/// The reminder's threshold when the user has not chosen one.
pub const DEFAULT_REMIND_AFTER: u32 = 100;

/// What the app last saw of the database, kept in `localStorage` under [`MARKER_KEY`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Marker {
    /// The id of the database's `meta` record, when it has one.
    #[serde(default)]
    pub database: Option<String>,
    /// Chats and messages it held.
    #[serde(default)]
    pub sessions: u32,
    #[serde(default)]
    pub messages: u32,
    /// Messages it held at the last backup (or the last dismissed reminder).
    #[serde(default)]
    pub backed_up_messages: u32,
    /// When the last backup was made, in ms since the epoch, and its file's name.
    #[serde(default)]
    pub last_backup_ms: Option<u64>,
    #[serde(default)]
    pub last_backup_file: Option<String>,
}

/// What the agent says the database is and holds (its `storageState()`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct StorageState {
    #[serde(default)]
    pub database: Option<DatabaseId>,
    pub sessions: u32,
    pub messages: u32,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DatabaseId {
    pub id: String,
    pub created_ms: u64,
}

/// How the user's chats went missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gone {
    /// Another database than the one that held the chats: the browser deleted it.
    Deleted,
    /// The same database, emptied.
    Emptied,
}

impl Gone {
    /// The notice's words under its title, `sessions` the chats the database held.
    pub fn explanation(self, sessions: u32) -> String {
        let chats = if sessions == 1 {
            "1 chat".to_owned()
        } else {
            format!("{sessions} chats")
        };
        let what = match self {
            Gone::Deleted => "The browser deleted Ferry's database",
            Gone::Emptied => "The browser emptied Ferry's database",
        };
        format!(
            "{what}, which held {chats} — to free space, or because this site's data was cleared. \
             Restore them from a backup, or start over with an empty Ferry."
        )
    }
}

impl Marker {
    /// Whether the chats the marker remembers are gone from the database `now`.
    pub fn gone(&self, now: &StorageState) -> Option<Gone> {
        if self.sessions == 0 || now.sessions > 0 {
            return None;
        }
        Some(match (&self.database, &now.database) {
            (Some(before), Some(now)) if *before != now.id => Gone::Deleted,
            _ => Gone::Emptied,
        })
    }

    /// The marker after seeing `now` (the user's data as it stands).
    pub fn seen(&self, now: &StorageState) -> Marker {
        Marker {
            database: now
                .database
                .as_ref()
                .map(|d| d.id.clone())
                .or_else(|| self.database.clone()),
            sessions: now.sessions,
            messages: now.messages,
            // Messages deleted since: the count starts again from what is left.
            backed_up_messages: self.backed_up_messages.min(now.messages),
            ..self.clone()
        }
    }

    /// The marker once everything there is now was backed up at `at_ms` (in `file`).
    pub fn backed_up(&self, at_ms: u64, file: Option<String>) -> Marker {
        Marker {
            backed_up_messages: self.messages,
            last_backup_ms: Some(at_ms),
            last_backup_file: file,
            ..self.clone()
        }
    }

    /// The marker once the reminder was dismissed: it comes again after as many messages.
    pub fn dismissed(&self) -> Marker {
        Marker {
            backed_up_messages: self.messages,
            ..self.clone()
        }
    }

    /// Messages saved since the last backup.
    pub fn new_messages(&self) -> u32 {
        self.messages.saturating_sub(self.backed_up_messages)
    }

    /// Whether to remind the user to back up, `remind_after` messages (0: never) after the
    /// last backup.
    pub fn reminder_due(&self, remind_after: u32) -> bool {
        remind_after > 0 && self.new_messages() >= remind_after
    }
}

/// The reminder's threshold as stored (`None`: the default).
pub fn remind_after(stored: Option<&str>) -> u32 {
    stored
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(DEFAULT_REMIND_AFTER)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(id: Option<&str>, sessions: u32, messages: u32) -> StorageState {
        StorageState {
            database: id.map(|id| DatabaseId {
                id: id.to_owned(),
                created_ms: 1,
            }),
            sessions,
            messages,
        }
    }

    #[test]
    fn a_database_that_held_chats_and_comes_back_empty_is_gone() {
        let marker = Marker::default().seen(&state(Some("a"), 3, 10));
        assert_eq!(marker.gone(&state(Some("a"), 3, 10)), None);
        // Emptied in place, or deleted and made anew.
        assert_eq!(marker.gone(&state(Some("a"), 0, 0)), Some(Gone::Emptied));
        assert_eq!(marker.gone(&state(Some("b"), 0, 0)), Some(Gone::Deleted));
        // A schema without the meta record can only say it is empty.
        assert_eq!(marker.gone(&state(None, 0, 0)), Some(Gone::Emptied));
        // A first visit, and a user who deleted every chat, are not losses.
        assert_eq!(Marker::default().gone(&state(Some("b"), 0, 0)), None);
        let deleted_all = marker.seen(&state(Some("a"), 0, 0));
        assert_eq!(deleted_all.gone(&state(Some("a"), 0, 0)), None);
    }

    #[test]
    fn the_reminder_comes_after_its_count_of_new_messages_and_never_at_zero() {
        let mut marker = Marker::default().seen(&state(Some("a"), 1, 3));
        assert!(!marker.reminder_due(4));
        marker = marker.seen(&state(Some("a"), 1, 4));
        assert!(marker.reminder_due(4));
        assert!(!marker.reminder_due(0));
        // Backed up (or dismissed): the count starts again.
        marker = marker.backed_up(99, Some("f.json".into()));
        assert_eq!(
            (marker.new_messages(), marker.last_backup_ms),
            (0, Some(99))
        );
        assert!(!marker.reminder_due(1));
        // Dismissed: the count starts again, the last backup stays what it was.
        marker = marker.seen(&state(Some("a"), 1, 9)).dismissed();
        assert_eq!(
            (marker.new_messages(), marker.last_backup_ms),
            (0, Some(99))
        );
        // Chats deleted: what is left is the new start.
        marker = marker
            .seen(&state(Some("a"), 1, 1))
            .seen(&state(Some("a"), 1, 2));
        assert_eq!(marker.new_messages(), 1);
    }

    #[test]
    fn the_threshold_reads_a_number_else_the_default() {
        assert_eq!(remind_after(None), DEFAULT_REMIND_AFTER);
        assert_eq!(remind_after(Some(" 5 ")), 5);
        assert_eq!(remind_after(Some("0")), 0);
        assert_eq!(remind_after(Some("lots")), DEFAULT_REMIND_AFTER);
    }

    #[test]
    fn the_marker_reads_what_it_writes_and_tolerates_missing_fields() {
        let marker = Marker::default()
            .seen(&state(Some("a"), 2, 5))
            .backed_up(7, None);
        let json = serde_json::to_string(&marker).unwrap();
        assert_eq!(serde_json::from_str::<Marker>(&json).unwrap(), marker);
        assert_eq!(
            serde_json::from_str::<Marker>("{}").unwrap(),
            Marker::default()
        );
        let agent: StorageState = serde_json::from_str(
            r#"{"database":{"id":"x","created_ms":5},"sessions":1,"messages":2}"#,
        )
        .unwrap();
        assert_eq!(agent, state(Some("x"), 1, 2).with_created(5));
    }

    impl StorageState {
        fn with_created(mut self, ms: u64) -> Self {
            if let Some(d) = self.database.as_mut() {
                d.created_ms = ms;
            }
            self
        }
    }
}

//! Several tabs of Ferry in one browser stay coherent. Each tab has its own agent over the
//! one database; when a command of this tab has written (a message, a chat, settings, keys,
//! MCP servers), the tab posts what changed on the `BroadcastChannel` [`CHANNEL`], and the
//! other tabs read it again: their chat list, the open chat, and what their agent keeps in
//! memory ([`Command::Refresh`]).
//!
//! Drafts are per tab and per chat, in `sessionStorage` (each tab has its own) under
//! [`DRAFT_KEY`]`<chat id>` (no chat yet: the bare prefix): a tab never writes over
//! another's draft, switching chats keeps each one's draft, and a reload gives it back.

use ferry_protocol::{Change, Command, SessionId};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::app::State;

/// The channel's name.
pub const CHANNEL: &str = "ferry-sync";
/// The prefix of a draft's `sessionStorage` key.
pub const DRAFT_KEY: &str = "ferry-draft:";

/// What a tab tells the others after a write, as JSON on [`CHANNEL`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Note {
    /// The chat list changed.
    #[serde(default)]
    pub chats: bool,
    /// This chat's messages or details changed.
    #[serde(default)]
    pub session: Option<SessionId>,
    /// It was deleted.
    #[serde(default)]
    pub deleted: bool,
    /// What the agents keep in memory that changed.
    #[serde(default)]
    pub changed: Vec<Change>,
}

/// What `command`, once done, has changed for the other tabs.
pub fn note_of(command: &Command) -> Option<Note> {
    let chat = |session: &SessionId| Note {
        chats: true,
        session: Some(session.clone()),
        ..Note::default()
    };
    let memory = |changed: Vec<Change>| Note {
        changed,
        ..Note::default()
    };
    Some(match command {
        Command::SendMessage { session, .. }
        | Command::Retry { session }
        | Command::Regenerate { session, .. }
        | Command::EditAndResend { session, .. }
        | Command::ApproveToolCall { session, .. }
        | Command::RenameSession { session, .. }
        | Command::SetChatParams { session, .. }
        | Command::SetChatMcp { session, .. }
        | Command::SetChatFallbacks { session, .. }
        | Command::SwitchBranch { session, .. } => chat(session),
        Command::BranchSession { .. } => Note {
            chats: true,
            ..Note::default()
        },
        Command::DeleteSession { session } => Note {
            deleted: true,
            ..chat(session)
        },
        Command::NewSession => Note {
            chats: true,
            ..Note::default()
        },
        Command::Import { .. } => Note {
            chats: true,
            changed: vec![Change::Settings, Change::Keys, Change::McpServers],
            ..Note::default()
        },
        Command::SetSettings { .. } => memory(vec![Change::Settings]),
        Command::SetKey { .. }
        | Command::ClearKey { .. }
        | Command::SignOut
        | Command::CompleteSignIn { .. }
        | Command::SwitchAccount { .. } => memory(vec![Change::Keys]),
        Command::AddMcpServer { .. }
        | Command::RemoveMcpServer { .. }
        | Command::SetMcpServer { .. }
        | Command::SetMcpToken { .. }
        | Command::SetMcpToolApproval { .. }
        | Command::CompleteMcpAuthorization { .. } => memory(vec![Change::McpServers]),
        // Reads, and commands that change nothing stored.
        _ => return None,
    })
}

fn channel() -> Option<web_sys::BroadcastChannel> {
    thread_local! {
        static OPEN: Option<web_sys::BroadcastChannel> = web_sys::BroadcastChannel::new(CHANNEL).ok();
    }
    OPEN.with(Clone::clone)
}

/// A command of this tab that wrote is done: the other tabs hear of it, and the backup
/// folder gets its backup soon.
pub fn written(note: &Note) {
    crate::durable::changed();
    if let (Some(channel), Ok(json)) = (channel(), serde_json::to_string(note)) {
        let _ = channel.post_message(&JsValue::from_str(&json));
    }
}

/// Another tab wrote: this one reads again what it shows.
fn heard(state: State, note: Note) {
    if !note.changed.is_empty() {
        crate::agent_module::send(&Command::Refresh {
            changed: note.changed,
        });
    }
    if note.chats {
        state.refresh_sessions();
    }
    let open = state.chat.with_untracked(|c| c.session.clone());
    if let Some(session) = note.session.filter(|s| open.as_ref() == Some(s)) {
        if note.deleted {
            state.close_chat();
        } else if !state.chat.with_untracked(|c| c.busy) {
            // Redrawn from storage; the composer's draft is not the chat's, and stays.
            state.open(session);
        }
    }
}

/// Listens to the other tabs.
pub fn listen(state: State) {
    let Some(channel) = channel() else { return };
    let closure =
        Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            if let Some(note) = event
                .data()
                .as_string()
                .and_then(|json| serde_json::from_str::<Note>(&json).ok())
            {
                heard(state, note);
            }
        });
    channel.set_onmessage(Some(closure.as_ref().unchecked_ref()));
    closure.forget();
}

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.session_storage().ok().flatten())
}

fn draft_key(session: Option<&SessionId>) -> String {
    format!("{DRAFT_KEY}{}", session.map_or("", String::as_str))
}

fn load_draft(session: Option<&SessionId>) -> String {
    session_storage()
        .and_then(|s| s.get_item(&draft_key(session)).ok().flatten())
        .unwrap_or_default()
}

fn save_draft(session: Option<&SessionId>, draft: &str) {
    if let Some(storage) = session_storage() {
        let key = draft_key(session);
        let _ = if draft.is_empty() {
            storage.remove_item(&key)
        } else {
            storage.set_item(&key, draft)
        };
    }
}

/// Keeps the composer's draft per chat in this tab's `sessionStorage`: saved as it is
/// typed, swapped when another chat opens.
pub fn keep_drafts(state: State) {
    // The chat whose draft the composer holds (`None` until the first run).
    let shown = StoredValue::new(None::<Option<SessionId>>);
    Effect::new(move |_| {
        let session = state.chat.with(|c| c.session.clone());
        let draft = state.draft.get();
        match shown.get_value() {
            Some(before) if before == session => save_draft(session.as_ref(), &draft),
            before => {
                if let Some(before) = before {
                    save_draft(before.as_ref(), &draft);
                }
                shown.set_value(Some(session.clone()));
                let kept = load_draft(session.as_ref());
                if kept != draft {
                    state.draft.set(kept);
                }
            }
        }
    });
}

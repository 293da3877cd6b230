//! What the agent tells the app.

use ferry_core::ProviderId;
use ferry_core::wire::Usage;
use serde::{Deserialize, Serialize};

use crate::{
    DayUsage, ErrorKind, KeyOwner, MessageId, MessageView, SessionId, SessionView, SettingsView,
    UsageRow,
};

/// What the agent tells the UI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// More text of the answer being written; `message` is the answer's id, as it is
    /// stored (one per model call).
    Delta {
        session: SessionId,
        message: MessageId,
        text: String,
    },
    /// More of the model's thinking, before (or between) the answer's text: shown live,
    /// stored with the answer as `message.reasoning_content`.
    ThinkingDelta {
        session: SessionId,
        message: MessageId,
        text: String,
    },
    ToolCallStarted {
        session: SessionId,
        call_id: String,
        name: String,
        arguments: String,
    },
    ToolCallFinished {
        session: SessionId,
        call_id: String,
        output: String,
        ok: bool,
    },
    /// A tool call waits for the user's approval ([`Command::ApproveToolCall`]); the turn
    /// is paused until then. `subject` is what the call would act on: the URL of a fetch,
    /// the text of a note, the query of a search.
    ///
    /// [`Command::ApproveToolCall`]: crate::Command::ApproveToolCall
    ToolApprovalRequested {
        session: SessionId,
        call_id: String,
        name: String,
        subject: String,
    },
    /// A message reached storage (also each progressive save of an answer).
    MessageSaved {
        session: SessionId,
        message: MessageId,
    },
    /// Older messages are now sent as a summary; all of them are still stored.
    Compacted {
        session: SessionId,
        summarized: usize,
    },
    /// The tokens one model call took (thinking in `completion_tokens`), and what it cost
    /// (`usage.cost`, USD: the provider's or proxy's figure, else the price table's
    /// estimate; absent when the price is unknown). Sent once per call, when its answer
    /// is complete; `message` is that answer, as stored (`None` only from older agents).
    Usage {
        session: SessionId,
        #[serde(default)]
        message: Option<MessageId>,
        usage: Usage,
    },
    /// The turn is over: answered, or stopped by the user.
    TurnFinished {
        session: SessionId,
        stopped: bool,
    },
    Error {
        session: Option<SessionId>,
        kind: ErrorKind,
        message: String,
    },
    /// The sessions, newest first (all, or those matching a search).
    Sessions {
        sessions: Vec<SessionView>,
    },
    SessionCreated {
        session: SessionId,
    },
    SessionOpened {
        session: SessionId,
        messages: Vec<MessageView>,
        /// After a compaction: the first message still sent verbatim (the older ones go
        /// as a summary, and are all still here).
        #[serde(default)]
        first_kept: Option<MessageId>,
    },
    /// The settings in force, whose keys the agent holds (never the keys), and who is
    /// signed in (the user id), if anyone.
    Ready {
        settings: SettingsView,
        keys: Vec<KeyOwner>,
        #[serde(default)]
        signed_in: Option<String>,
    },
    MagicLinkSent {
        email: String,
    },
    /// Send the browser here to sign in (the provider's consent, then back with a code).
    SignInRedirect {
        url: String,
    },
    /// A sign-in came back for another account than the signed-in one: nothing of it is in
    /// force until the user answers with [`Command::SwitchAccount`]. Each is the account's
    /// email, or its id when the token carries no email.
    ///
    /// [`Command::SwitchAccount`]: crate::Command::SwitchAccount
    ConfirmAccountSwitch {
        current: String,
        next: String,
    },
    SignedIn {
        user: String,
    },
    SignedOut,
    UsageReport {
        days: Vec<DayUsage>,
        rows: Vec<UsageRow>,
    },
    /// A provider's models, for the Model picker.
    Models {
        provider: ProviderId,
        models: Vec<String>,
    },
    /// Everything, as one JSON document (keys only if asked for, and sealed).
    Exported {
        document: String,
    },
    Imported {
        sessions: usize,
        messages: usize,
        notes: usize,
    },
    /// Tokens of the session's next request (system prompt, summary, messages) and of the
    /// draft; `exact` once the model's tokenizer has counted them, else estimates.
    TokenCount {
        session: Option<SessionId>,
        conversation: u64,
        draft: u64,
        exact: bool,
    },
}

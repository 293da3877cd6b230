//! The boundary between the UI and the agent: [`Command`]s in, [`Event`]s out. The UI never
//! touches storage or the network itself.

use ferry_core::ProviderId;
use ferry_core::wire::Usage;
use serde::{Deserialize, Serialize};

use crate::account_data::{DayUsage, UsageRow};
pub use crate::approval::Decision;
use crate::runtime::Settings;
use crate::store::{KeyOwner, Session, StoredMessage};

pub type SessionId = String;
pub type MessageId = String;

/// What the UI asks of the agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Command {
    SendMessage {
        session: SessionId,
        text: String,
    },
    /// Stop the answer being written; what has arrived is kept, marked stopped.
    Stop {
        session: SessionId,
    },
    /// Answer the last user message again.
    Regenerate {
        session: SessionId,
    },
    /// Replace a user message and answer from there.
    EditAndResend {
        session: SessionId,
        message: MessageId,
        text: String,
    },
    /// Try the failed model call again.
    Retry {
        session: SessionId,
    },
    /// The user's answer to a tool call waiting for approval
    /// ([`Event::ToolApprovalRequested`]); the turn goes on from there.
    ApproveToolCall {
        session: SessionId,
        call_id: String,
        decision: Decision,
    },
    NewSession,
    OpenSession {
        session: SessionId,
    },
    RenameSession {
        session: SessionId,
        title: String,
    },
    DeleteSession {
        session: SessionId,
    },
    SearchSessions {
        query: String,
    },
    SetSettings {
        settings: serde_json::Value,
    },
    /// Store a key (encrypted), or keep it in memory only when `remember` is false. The
    /// owner is a provider (`"openai"`) or a search engine for `web_search` (`"brave"`).
    SetKey {
        provider: KeyOwner,
        key: String,
        remember: bool,
    },
    ClearKey {
        provider: KeyOwner,
    },
    /// Everything to one JSON document; keys only if asked for, and then encrypted.
    Export {
        include_keys: bool,
    },
    Import {
        document: String,
    },
    /// The settings in force and the sessions: what a UI shows first.
    Load,
    /// The provider's models (the key's own list), via the way model calls take.
    ListModels {
        provider: ProviderId,
    },
    /// The user's Supabase access token after sign-in or refresh (`None`: signed out).
    /// Usage rows waiting for a token are sent then.
    SetAccessToken {
        token: Option<String>,
    },
    /// Email a sign-in link that leads back to `redirect_to` (the app's address). PKCE:
    /// only this browser can complete it.
    SignInWithEmail {
        email: String,
        redirect_to: String,
    },
    /// Sign in with GitHub or Google (PKCE): answered by [`Event::SignInRedirect`], the
    /// address to send the browser to.
    SignInWithProvider {
        provider: crate::auth::OAuthProvider,
        redirect_to: String,
    },
    /// The address Supabase came back with: its query (`?code=…` or `?error=…`) and its
    /// fragment. A code is traded with this browser's verifier; a session in the fragment
    /// (`#access_token=…`) is refused.
    CompleteSignIn {
        #[serde(default)]
        query: String,
        #[serde(default)]
        fragment: String,
    },
    /// The answer to [`Event::ConfirmAccountSwitch`]: `true` signs in to the other account,
    /// `false` stays with the current one and drops the other's session.
    SwitchAccount {
        confirm: bool,
    },
    SignOut,
    /// The signed-in user's usage since `since` (RFC 3339): rows and totals per day.
    LoadUsage {
        since: String,
    },
    /// Count the tokens the session's next request would send, and the draft's.
    CountTokens {
        #[serde(default)]
        session: Option<SessionId>,
        #[serde(default)]
        draft: String,
    },
}

impl Command {
    /// Whether it may call a provider, the proxy or Supabase (a sign-in is refreshed first).
    pub fn reaches_the_network(&self) -> bool {
        matches!(
            self,
            Self::SendMessage { .. }
                | Self::Regenerate { .. }
                | Self::EditAndResend { .. }
                | Self::Retry { .. }
                | Self::ApproveToolCall { .. }
                | Self::ListModels { .. }
                | Self::LoadUsage { .. }
                | Self::Load
                // Saved for the user's other devices too.
                | Self::SetSettings { .. }
        )
    }
}

/// What the agent tells the UI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// More text of the answer being written.
    Delta {
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
    Usage {
        session: SessionId,
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
        sessions: Vec<Session>,
    },
    SessionCreated {
        session: SessionId,
    },
    SessionOpened {
        session: SessionId,
        messages: Vec<StoredMessage>,
        /// After a compaction: the first message still sent verbatim (the older ones go
        /// as a summary, and are all still here).
        #[serde(default)]
        first_kept: Option<MessageId>,
    },
    /// The settings in force, whose keys the agent holds (never the keys), and who is
    /// signed in (the user id), if anyone.
    Ready {
        settings: Settings,
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

/// What went wrong, in terms the UI can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ErrorKind {
    /// No network: wait and retry.
    Offline,
    /// Sign in again.
    Unauthorized,
    /// Wait `retry_after_secs`, then retry.
    RateLimited {
        retry_after_secs: u64,
    },
    QuotaExceeded {
        retry_after_secs: u64,
    },
    /// An operator turned the proxy or this provider off for now.
    ProviderDisabled,
    /// The provider refused: a bad key, an unknown model.
    ProviderRefused,
    /// The provider or the proxy failed; a retry may work.
    Upstream,
    /// No key for the provider.
    MissingKey,
    /// The request itself is wrong.
    InvalidRequest,
    Storage,
}

impl ErrorKind {
    /// The kind for an error answer of the proxy (or a provider called directly).
    pub fn from_answer(status: u16, code: Option<&str>, retry_after_secs: Option<u64>) -> Self {
        let wait = retry_after_secs.unwrap_or(1);
        match (status, code) {
            (401, Some("unauthorized")) => Self::Unauthorized,
            (429, Some("quota_exceeded")) => Self::QuotaExceeded {
                retry_after_secs: wait,
            },
            (429, _) => Self::RateLimited {
                retry_after_secs: wait,
            },
            (503, Some("proxy_disabled" | "provider_disabled")) => Self::ProviderDisabled,
            (400 | 413, Some("invalid_request" | "payload_too_large")) => Self::InvalidRequest,
            (400..=499, _) => Self::ProviderRefused,
            _ => Self::Upstream,
        }
    }

    /// Whether a Retry can help.
    pub fn is_retryable(self) -> bool {
        match self {
            Self::Offline
            | Self::RateLimited { .. }
            | Self::QuotaExceeded { .. }
            | Self::ProviderDisabled
            | Self::Upstream => true,
            Self::Unauthorized
            | Self::ProviderRefused
            | Self::MissingKey
            | Self::InvalidRequest
            | Self::Storage => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn proxy_answers_map_to_kinds() {
        let cases = [
            (401, Some("unauthorized"), None, ErrorKind::Unauthorized),
            (
                401,
                Some("invalid_api_key"),
                None,
                ErrorKind::ProviderRefused,
            ),
            (
                429,
                Some("rate_limited"),
                Some(12),
                ErrorKind::RateLimited {
                    retry_after_secs: 12,
                },
            ),
            (
                429,
                Some("quota_exceeded"),
                Some(600),
                ErrorKind::QuotaExceeded {
                    retry_after_secs: 600,
                },
            ),
            (
                503,
                Some("provider_disabled"),
                None,
                ErrorKind::ProviderDisabled,
            ),
            (502, Some("upstream_error"), None, ErrorKind::Upstream),
            (504, Some("upstream_timeout"), None, ErrorKind::Upstream),
            (
                400,
                Some("invalid_request"),
                None,
                ErrorKind::InvalidRequest,
            ),
        ];
        for (status, code, wait, kind) in cases {
            assert_eq!(
                ErrorKind::from_answer(status, code, wait),
                kind,
                "{status} {code:?}"
            );
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn commands_and_events_are_tagged_json() {
        let command: Command =
            serde_json::from_str(r#"{"type":"send_message","session":"s1","text":"hi"}"#).unwrap();
        assert_eq!(
            command,
            Command::SendMessage {
                session: "s1".into(),
                text: "hi".into()
            }
        );
        let event = Event::Error {
            session: None,
            kind: ErrorKind::RateLimited {
                retry_after_secs: 3,
            },
            message: "slow down".into(),
        };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["type"], "error");
        assert_eq!(json["kind"]["kind"], "rate_limited");
    }
}

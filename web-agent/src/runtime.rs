//! The agent at work: takes the UI's [`Command`]s, drives turns (the agent's `Turn`)
//! through their effects — model calls routed and streamed, tools run, messages saved —
//! and reports [`Event`]s. Generic over the seams, so the same code runs in the browser
//! and, with fakes, in tests.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use std::task::{Poll, Waker};

use crate::agent::Turn;
use crate::protocol::{Command, ErrorKind, Event, SessionId};
use crate::seams::{Estimate, Tokenizer, Vault};
use crate::store::{KeyOwner, Store, StoredMessage};
use crate::transport::Transport;
use approvals::Approvals;
use tokens::TokenCounts;

/// Time and fresh ids, from the platform.
#[expect(
    async_fn_in_trait,
    reason = "single-threaded browser code; no Send bound wanted"
)]
pub trait Clock {
    fn now_ms(&self) -> u64;
    fn new_id(&self) -> String;
    /// Resolves after `ms` milliseconds (an MCP call's deadlines, a stream's reconnection).
    async fn sleep(&self, ms: u64);
}

/// The runtime's [`Clock`] as the MCP driver's [`Timer`](crate::mcp::Timer).
pub(crate) struct ClockTimer<'c, C>(pub(crate) &'c C);

impl<C: Clock> crate::mcp::Timer for ClockTimer<'_, C> {
    fn now_ms(&self) -> u64 {
        self.0.now_ms()
    }

    async fn sleep(&self, ms: u64) {
        self.0.sleep(ms).await;
    }
}

/// Lets the UI stop the turn in progress from outside the running command.
#[derive(Debug, Clone, Default)]
pub struct StopHandle(Rc<StopState>);

#[derive(Debug, Default)]
struct StopState {
    pressed: Cell<bool>,
    /// Whoever awaits [`StopHandle::stopped`], woken by [`StopHandle::stop`].
    waiting: RefCell<Vec<Waker>>,
}

impl StopHandle {
    pub fn stop(&self) {
        self.0.pressed.set(true);
        for waker in self.0.waiting.take() {
            waker.wake();
        }
    }

    fn take(&self) -> bool {
        self.0.pressed.replace(false)
    }

    /// Resolves once Stop is pressed (at once if it was and nobody took it yet), leaving
    /// the press for the turn to take.
    pub fn stopped(&self) -> impl Future<Output = ()> + '_ {
        std::future::poll_fn(|cx| {
            if self.0.pressed.get() {
                return Poll::Ready(());
            }
            let mut waiting = self.0.waiting.borrow_mut();
            if !waiting.iter().any(|w| w.will_wake(cx.waker())) {
                waiting.push(cx.waker().clone());
            }
            Poll::Pending
        })
    }
}

impl crate::mcp::Stopped for StopHandle {
    async fn stopped(&self) {
        StopHandle::stopped(self).await;
    }
}

pub struct Runtime<T, S, V, C, K = Estimate> {
    transport: T,
    store: S,
    vault: V,
    clock: C,
    tokens: TokenCounts<K>,
    settings: Settings,
    /// Provider keys in memory: unsealed at start, or never stored ("don't save key").
    keys: BTreeMap<KeyOwner, String>,
    /// The user's Supabase access token, when signed in.
    access_token: Option<String>,
    /// The whole sign-in (refreshable), when the agent signed the user in itself.
    sign_in: Option<crate::auth::SignIn>,
    /// A sign-in to another account, held until the user confirms the switch.
    pending_switch: Option<crate::auth::SignIn>,
    stop: StopHandle,
    /// The turn whose model call failed, kept for Retry.
    failed: Option<(SessionId, Turn)>,
    /// The turn paused on an approval, and the grants "in this chat".
    approvals: Approvals,
    /// Blobs attached since the start and not sent yet (in the composer): never freed.
    pending: RefCell<BTreeSet<String>>,
    /// Blobs' facts and costs, read once.
    known: attachments::Known,
    /// MCP servers' connections, listeners and tokens.
    mcp: mcp::McpState,
    /// Where the turn in progress got to along its fallback chain.
    fallback: fallback::ChainMemory,
}

impl<T: Transport, S: Store, V: Vault, C: Clock> Runtime<T, S, V, C> {
    /// A runtime that estimates token counts; see [`Runtime::with_tokenizer`].
    pub fn new(transport: T, store: S, vault: V, clock: C, settings: Settings) -> Self {
        Self {
            transport,
            store,
            vault,
            clock,
            tokens: TokenCounts::new(Estimate),
            settings,
            keys: BTreeMap::new(),
            access_token: None,
            sign_in: None,
            pending_switch: None,
            stop: StopHandle::default(),
            failed: None,
            approvals: Approvals::default(),
            pending: RefCell::default(),
            known: attachments::Known::default(),
            mcp: mcp::McpState::default(),
            fallback: fallback::ChainMemory::default(),
        }
    }
}

impl<T: Transport, S: Store, V: Vault, C: Clock, K: Tokenizer> Runtime<T, S, V, C, K> {
    /// Counts tokens exactly with `tokenizer` where the model's encoding is known.
    pub fn with_tokenizer<K2: Tokenizer>(self, tokenizer: K2) -> Runtime<T, S, V, C, K2> {
        Runtime {
            transport: self.transport,
            store: self.store,
            vault: self.vault,
            clock: self.clock,
            tokens: TokenCounts::new(tokenizer),
            settings: self.settings,
            keys: self.keys,
            access_token: self.access_token,
            sign_in: self.sign_in,
            pending_switch: self.pending_switch,
            stop: self.stop,
            failed: self.failed,
            approvals: self.approvals,
            pending: self.pending,
            known: self.known,
            mcp: self.mcp,
            fallback: self.fallback,
        }
    }

    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    pub fn set_access_token(&mut self, token: Option<String>) {
        self.access_token = token;
    }

    /// Unseals the stored keys into memory (at start).
    pub async fn unlock(&mut self) -> Result<(), ErrorKind> {
        for record in self.store.keys().await? {
            if let Ok(key) = self.vault.open(&record.sealed).await {
                if record.provider == KeyOwner::Account(crate::store::Account::Supabase) {
                    self.restore_sign_in(&key);
                } else if !matches!(record.provider, KeyOwner::Account(_)) {
                    self.keys.insert(record.provider, key);
                }
            }
        }
        Ok(())
    }

    /// Answers one command. Each goes to the handler of the unit whose job it is: a new
    /// command is one handler there and one line here.
    pub async fn handle(&mut self, command: Command, emit: &mut impl FnMut(Event)) {
        if command.reaches_the_network() {
            self.fresh_sign_in(emit).await;
        }
        if approvals::starts_a_turn(&command) {
            self.end_paused(emit).await;
        }
        let outcome = match command {
            Command::SendMessage {
                session,
                text,
                attachments,
            } => self.send(session, text, attachments, emit).await,
            Command::Retry { session } => self.retry(session, emit).await,
            Command::Stop { session } => self.stop_turn(&session, emit).await,
            Command::ApproveToolCall {
                session,
                call_id,
                decision,
            } => self.approve(session, call_id, decision, emit).await,
            Command::NewSession => self.create_session(emit).await,
            Command::OpenSession {
                session,
                message: None,
            } => self.open(session, emit).await,
            Command::OpenSession {
                session,
                message: Some(message),
            } => self.open_at(session, &message, emit).await,
            Command::SwitchBranch { session, message } => {
                self.switch_branch(session, &message, emit).await
            }
            Command::BranchSession { session, message } => {
                self.branch_session(&session, &message, emit).await
            }
            Command::Load => self.load(emit).await,
            Command::LoadUsage { since } => self.load_usage(&since, emit).await,
            Command::SignInWithEmail { email, redirect_to } => {
                self.sign_in_with_email(&email, &redirect_to, emit).await
            }
            Command::SignInWithProvider {
                provider,
                redirect_to,
            } => {
                self.sign_in_with_provider(provider, &redirect_to, emit)
                    .await
            }
            Command::CompleteSignIn { query, fragment } => {
                self.complete_sign_in(&query, &fragment, emit).await
            }
            Command::SwitchAccount { confirm } => self.switch_account(confirm, emit).await,
            Command::SignOut => self.sign_out(emit).await,
            Command::ListModels { provider } => self.list_models(provider, emit).await,
            Command::RenameSession { session, title } => self.rename(&session, title, emit).await,
            Command::DeleteSession { session } => self.delete_session(&session, emit).await,
            Command::SearchSessions { query } => self.list(Some(&query), emit).await,
            Command::Refresh { changed } => self.refresh(&changed, emit).await,
            Command::Export { include_keys } => self.export(include_keys, emit).await,
            Command::Import { document } => self.import(&document, emit).await,
            Command::SetKey {
                provider,
                key,
                remember,
            } => self.set_key(provider.into(), key, remember).await,
            Command::ClearKey { provider } => self.clear_key(provider.into()).await,
            Command::SetSettings { settings } => self.set_settings(settings, emit).await,
            Command::SetChatParams { session, params } => {
                self.set_chat_params(&session, params, emit).await
            }
            Command::SetChatFallbacks { session, fallbacks } => {
                self.set_chat_fallbacks(&session, fallbacks, emit).await
            }
            Command::Regenerate { session, message } => {
                self.regenerate(session, message.as_deref(), emit).await
            }
            Command::SetAccessToken { token } => self.take_access_token(token).await,
            Command::CountTokens { session, draft } => {
                self.count_tokens(session, &draft, emit).await
            }
            Command::EditAndResend {
                session,
                message,
                text,
            } => self.edit_and_resend(session, &message, text, emit).await,
            command @ (Command::AddMcpServer { .. }
            | Command::RemoveMcpServer { .. }
            | Command::SetMcpServer { .. }
            | Command::SetMcpToken { .. }
            | Command::RefreshMcpServer { .. }
            | Command::SetMcpToolApproval { .. }
            | Command::SetChatMcp { .. }
            | Command::ListMcpServers
            | Command::AuthorizeMcpServer { .. }
            | Command::CompleteMcpAuthorization { .. }
            | Command::GetMcpPrompt { .. }
            | Command::ReadMcpResource { .. }) => self.mcp_command(command, emit).await,
        };
        if let Err(kind) = outcome {
            emit(Event::Error {
                session: None,
                kind,
                message: format!("{kind:?}"),
            });
        }
    }

    /// The session's stored messages, of every branch, in order (see [`Runtime::path`]
    /// for the conversation shown and sent).
    async fn history(&self, session: &str) -> Result<Vec<StoredMessage>, ErrorKind> {
        self.store.messages(session).await.map_err(ErrorKind::from)
    }
}

mod approvals;
mod attachments;
mod branches;
mod calls;
mod compact;
mod direct_usage;
mod export;
mod fallback;
mod mcp;
mod mcp_auth;
mod models;
mod sessions;
mod settings;
mod sign_in;
mod stream;
mod sync;
mod tokens;
mod tool_calls;
mod turns;

pub(crate) use self::attachments::{
    BlobFacts, marker as attachment_marker, view as attachment_view,
};
pub use self::attachments::{Prepared, Refused};
pub use self::mcp::McpListener;
pub use self::sessions::auto_title;
pub use self::settings::Settings;

#[cfg(test)]
mod tests;

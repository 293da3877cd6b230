//! The agent at work: takes the UI's [`Command`]s, drives [`Turn`]s through their effects
//! — model calls routed and streamed, tools run, messages saved — and reports [`Event`]s.
//! Generic over the seams, so the same code runs in the browser and, with fakes, in tests.

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::rc::Rc;

use ferry_core::adapter::{AnswerContext, UpstreamRequest};
use ferry_core::stream::{StreamEvent, StreamReader};
use ferry_core::wire::{ChatRequest, Message, Role};
use ferry_core::{ProviderId, ProxyError};

use crate::agent::{Effect, Input, Turn};
use crate::compaction;
use crate::protocol::{Command, ErrorKind, Event, SessionId};
use crate::routing::{self, Credentials, Failure, Routing, Way};
use crate::seams::{Estimate, Tokenizer, Vault};
use crate::store::{KeyOwner, Store, StoredMessage};
use crate::tools;
use crate::transport::{self, Answer, Body, Transport};
use tokens::TokenCounts;

/// A partial answer is saved at most this often while it streams.
const DRAFT_SAVE_INTERVAL_MS: u64 = 250;
/// Characters of a fetched page handed to the model.
const PAGE_CHARS: usize = 20_000;

/// Time and fresh ids, from the platform.
pub trait Clock {
    fn now_ms(&self) -> u64;
    fn new_id(&self) -> String;
}

/// Lets the UI stop the turn in progress from outside the running command.
#[derive(Debug, Clone, Default)]
pub struct StopHandle(Rc<Cell<bool>>);

impl StopHandle {
    pub fn stop(&self) {
        self.0.set(true);
    }

    fn take(&self) -> bool {
        self.0.replace(false)
    }
}

/// A model call that failed, every way: what the answer said.
struct CallFailure {
    kind: ErrorKind,
    message: String,
}

/// No answer, or an answer cut off while it was read.
impl From<transport::NetworkError> for CallFailure {
    fn from(e: transport::NetworkError) -> Self {
        Self {
            kind: ErrorKind::Offline,
            message: e.to_string(),
        }
    }
}

/// The answer of the round in progress, saved as it grows.
struct Draft {
    id: String,
    seq: u64,
    text: String,
    saved_ms: u64,
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
    session: Option<crate::auth::AuthSession>,
    /// A sign-in to another account, held until the user confirms the switch.
    pending_switch: Option<crate::auth::AuthSession>,
    stop: StopHandle,
    /// The turn whose model call failed, kept for Retry.
    failed: Option<(SessionId, Turn)>,
    /// The turn waiting for the user to approve a tool call.
    paused: Option<Turn>,
    /// Tools allowed "in this chat", per session (in memory: they end with the page).
    chat_grants: BTreeMap<SessionId, BTreeSet<String>>,
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
            session: None,
            pending_switch: None,
            stop: StopHandle::default(),
            failed: None,
            paused: None,
            chat_grants: BTreeMap::new(),
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
            session: self.session,
            pending_switch: self.pending_switch,
            stop: self.stop,
            failed: self.failed,
            paused: self.paused,
            chat_grants: self.chat_grants,
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
                    self.restore_session(&key);
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
            self.fresh_session(emit).await;
        }
        if approvals::starts_a_turn(&command) {
            self.end_paused(emit).await;
        }
        let outcome = match command {
            Command::SendMessage { session, text } => self.send(session, text, emit).await,
            Command::Retry { session } => self.retry(session, emit).await,
            Command::Stop { session } => self.stop_turn(&session, emit).await,
            Command::ApproveToolCall {
                session,
                call_id,
                decision,
            } => self.approve(session, call_id, decision, emit).await,
            Command::NewSession => self.create_session(emit).await,
            Command::OpenSession { session } => self.open(session, emit).await,
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
            Command::Export { include_keys } => self.export(include_keys, emit).await,
            Command::Import { document } => self.import(&document, emit).await,
            Command::SetKey {
                provider,
                key,
                remember,
            } => self.set_key(provider.into(), key, remember).await,
            Command::ClearKey { provider } => self.clear_key(provider.into()).await,
            Command::SetSettings { settings } => self.set_settings(settings).await,
            Command::Regenerate { session } => self.regenerate(session, emit).await,
            Command::SetAccessToken { token } => self.take_access_token(token).await,
            Command::CountTokens { session, draft } => {
                self.count_tokens(session, &draft, emit).await
            }
            Command::EditAndResend {
                session,
                message,
                text,
            } => self.edit_and_resend(session, &message, text, emit).await,
        };
        if let Err(kind) = outcome {
            emit(Event::Error {
                session: None,
                kind,
                message: format!("{kind:?}"),
            });
        }
    }

    /// Stops the turn paused on an approval in `session`, or else the turn in progress.
    async fn stop_turn(
        &mut self,
        session: &str,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        match self.stop_paused(session, emit).await {
            Some(stopped) => stopped,
            None => {
                // A turn in progress watches the handle; nothing else to stop.
                self.stop.stop();
                Ok(())
            }
        }
    }

    /// The session's stored messages, in order.
    async fn history(&self, session: &str) -> Result<Vec<StoredMessage>, ErrorKind> {
        self.store.messages(session).await.map_err(ErrorKind::from)
    }

    async fn send(
        &mut self,
        session: SessionId,
        text: String,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        let mut history = self.history(&session).await?;
        let first = history.is_empty().then_some(text.as_str());
        self.touch(&session, first).await?;
        let user = Message::text(Role::User, text);
        let saved = self
            .save(
                &session,
                self.clock.new_id(),
                next_seq(&history),
                &user,
                false,
                emit,
            )
            .await?;
        history.push(saved);
        self.answer(session, history, emit).await
    }

    /// Answers the last user message again: what followed it is replaced.
    async fn regenerate(
        &mut self,
        session: SessionId,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        let mut history = self.history(&session).await?;
        let last_user = history
            .iter()
            .rposition(|m| m.message.role == Role::User)
            .ok_or(ErrorKind::InvalidRequest)?;
        self.truncate_after(&mut history, last_user).await?;
        self.answer(session, history, emit).await
    }

    /// Replaces a user message's text and answers it anew: what followed it is replaced.
    async fn edit_and_resend(
        &mut self,
        session: SessionId,
        message: &str,
        text: String,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        let mut history = self.history(&session).await?;
        let at = history
            .iter()
            .position(|m| m.id == message && m.message.role == Role::User)
            .ok_or(ErrorKind::InvalidRequest)?;
        history[at].message = Message::text(Role::User, text);
        self.store.put_message(&history[at]).await?;
        self.truncate_after(&mut history, at).await?;
        self.answer(session, history, emit).await
    }

    /// Deletes what followed `history[keep_through]`, in the store and in `history`.
    async fn truncate_after(
        &self,
        history: &mut Vec<StoredMessage>,
        keep_through: usize,
    ) -> Result<(), ErrorKind> {
        for later in history.drain(keep_through + 1..) {
            self.store.delete_message(&later.id).await?;
        }
        Ok(())
    }

    /// Runs a turn answering the session as stored — `history`, already read — whose last
    /// message is the user's.
    async fn answer(
        &mut self,
        session: SessionId,
        history: Vec<StoredMessage>,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        let seq = next_seq(&history);
        let gate = self.gate(&session, &history);
        let entries = self.entries(history).await;
        let compaction = self.compact(&session, &entries, emit).await?;
        let system = Some(self.settings.system_prompt.as_str()).filter(|s| !s.is_empty());
        let context = compaction::context(system, &entries, compaction.as_ref());
        let (turn, effects) = Turn::start(session.clone(), context, self.settings.max_rounds, gate);
        // A Stop pressed since the command arrived (while it saved, counted or compacted)
        // still stops this turn; one that comes after it has ended is dropped.
        let outcome = self.drive(session, turn, effects, seq, emit).await;
        self.stop.take();
        // After the turn, not during it: usage never slows an answer.
        self.flush_usage().await;
        outcome
    }

    async fn retry(
        &mut self,
        session: SessionId,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        let Some((failed_session, mut turn)) = self.failed.take() else {
            return Err(ErrorKind::InvalidRequest);
        };
        if failed_session != session {
            self.failed = Some((failed_session, turn));
            return Err(ErrorKind::InvalidRequest);
        }
        let effects = turn.retry();
        let seq = next_seq(&self.history(&session).await?);
        let outcome = self.drive(session, turn, effects, seq, emit).await;
        self.stop.take();
        // After the turn, not during it: usage never slows an answer.
        self.flush_usage().await;
        outcome
    }

    async fn save(
        &self,
        session: &str,
        id: String,
        seq: u64,
        message: &Message,
        partial: bool,
        emit: &mut impl FnMut(Event),
    ) -> Result<StoredMessage, ErrorKind> {
        let stored = StoredMessage {
            id: id.clone(),
            session: session.to_owned(),
            seq,
            message: message.clone(),
            partial,
            created_ms: self.clock.now_ms(),
        };
        self.store.put_message(&stored).await?;
        if !partial {
            emit(Event::MessageSaved {
                session: session.to_owned(),
                message: id,
            });
        }
        Ok(stored)
    }

    /// Carries out a turn's effects, feeding what they bring back into the turn, until it
    /// finishes or fails. Messages it saves take places from `next_seq` on.
    async fn drive(
        &mut self,
        session: SessionId,
        mut turn: Turn,
        effects: Vec<Effect>,
        mut next_seq: u64,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        let mut place = || {
            next_seq += 1;
            next_seq - 1
        };
        let mut queue = VecDeque::new();
        enqueue(&mut queue, effects);
        let mut draft: Option<Draft> = None;
        while let Some(effect) = queue.pop_front() {
            match effect {
                Effect::CallModel { messages } => {
                    let seq = place();
                    draft = Some(Draft {
                        id: self.clock.new_id(),
                        seq,
                        text: String::new(),
                        saved_ms: self.clock.now_ms(),
                    });
                    let inputs = self
                        .call_model(&session, &mut turn, messages, &mut draft, emit)
                        .await?;
                    enqueue(&mut queue, inputs);
                }
                // Carried out as it was queued (see `enqueue`).
                Effect::CancelModel => {}
                Effect::RunTool {
                    call_id,
                    name,
                    arguments,
                } => {
                    let (output, ok) = match self.run_tool(&name, &arguments).await {
                        Ok(output) => (output, true),
                        Err(output) => (output, false),
                    };
                    let done = turn.step(Input::ToolDone {
                        call_id,
                        output,
                        ok,
                    });
                    enqueue(&mut queue, done);
                }
                Effect::Save { message, stopped } => {
                    let (id, seq) = match (message.role, draft.take()) {
                        (Role::Assistant, Some(d)) => (d.id, d.seq),
                        (_, kept) => {
                            draft = kept;
                            (self.clock.new_id(), place())
                        }
                    };
                    self.save(&session, id, seq, &message, stopped, emit)
                        .await?;
                }
                Effect::Emit(event) => emit(event),
            }
            if self.stop.take() && !turn.is_finished() {
                enqueue(&mut queue, turn.step(Input::Stop));
            }
        }
        if turn.is_awaiting_approval() {
            // Until the user decides (ApproveToolCall) or stops.
            self.paused = Some(turn);
        } else if !turn.is_finished() {
            self.failed = Some((session, turn));
        }
        Ok(())
    }

    /// The chat call's first answer that is not an error; see [`Runtime::first_way`].
    async fn first_answer(
        &self,
        request: &ChatRequest,
    ) -> Result<(Way, Answer<T::Body>), CallFailure> {
        self.first_way(self.settings.provider, |way, credentials, routing| {
            routing::model_call(
                way,
                self.settings.provider,
                request.clone(),
                credentials,
                routing,
            )
        })
        .await
    }

    /// The first way (see [`routing`]) to `provider` whose answer is not an error: the way
    /// and the answer still to read. Network failures and server errors try the next way;
    /// a refusal is the answer. `call` builds the request for a way.
    async fn first_way(
        &self,
        provider: ProviderId,
        call: impl Fn(Way, Credentials<'_>, &Routing) -> Result<UpstreamRequest, ProxyError>,
    ) -> Result<(Way, Answer<T::Body>), CallFailure> {
        let key = self.keys.get(&provider.into()).ok_or_else(|| CallFailure {
            kind: ErrorKind::MissingKey,
            message: format!("no key for {provider}: add one in Settings"),
        })?;
        let routing = Routing {
            proxy_url: self.settings.proxy_url.clone(),
            always_proxy: self.settings.always_proxy,
            // The user's endpoint belongs to the provider it was set for.
            direct_base_url: (provider == self.settings.provider)
                .then(|| self.settings.provider_base_url.clone())
                .flatten(),
        };
        let credentials = Credentials {
            key,
            access_token: self.access_token.as_deref(),
        };
        let mut failure = CallFailure {
            kind: ErrorKind::Upstream,
            message: format!("no way to reach {provider}: set a proxy URL"),
        };
        for way in routing::ways(provider, &routing) {
            let request = call(way, credentials, &routing).map_err(|e| CallFailure {
                kind: ErrorKind::InvalidRequest,
                message: e.to_string(),
            })?;
            let (failed, how) = match self.transport.send(&request).await {
                Ok(answer) if answer.status < 400 => return Ok((way, answer)),
                Ok(mut answer) => {
                    let text = transport::read_all(&mut answer.body)
                        .await
                        .unwrap_or_default();
                    let refused = refusal(
                        routing::answer_provider(way, provider),
                        answer.status,
                        answer.retry_after_secs,
                        &text,
                        key,
                    );
                    (refused, Failure::Status(answer.status))
                }
                Err(e) => (e.into(), Failure::Network),
            };
            failure = failed;
            if !routing::try_next_way(how) {
                break;
            }
        }
        Err(failure)
    }

    /// One model call, its answer streamed into the turn. Returns the effects left to
    /// carry out.
    async fn call_model(
        &mut self,
        session: &str,
        turn: &mut Turn,
        messages: Vec<Message>,
        draft: &mut Option<Draft>,
        emit: &mut impl FnMut(Event),
    ) -> Result<Vec<Effect>, ErrorKind> {
        let request = self.chat_request(messages);
        match self.first_answer(&request).await {
            Ok((way, answer)) => {
                let call = AnswerStream {
                    session,
                    way,
                    provider: self.settings.provider,
                    body: answer.body,
                };
                self.stream(call, turn, draft, emit).await
            }
            Err(failure) => Ok(turn.step(Input::CallFailed {
                kind: failure.kind,
                message: failure.message,
            })),
        }
    }

    fn chat_request(&self, messages: Vec<Message>) -> ChatRequest {
        let mut request = ChatRequest::new(self.settings.model.clone(), messages);
        request.stream = Some(true);
        request.tools = Some(tools::declarations(self.search_engine().is_some()));
        request
    }

    /// Streams an answer into the turn, saving the draft as it grows.
    async fn stream<B: Body>(
        &mut self,
        call: AnswerStream<'_, B>,
        turn: &mut Turn,
        draft: &mut Option<Draft>,
        emit: &mut impl FnMut(Event),
    ) -> Result<Vec<Effect>, ErrorKind> {
        let AnswerStream {
            session,
            way,
            provider,
            mut body,
        } = call;
        let mut reader = StreamReader::new(AnswerContext {
            provider: routing::answer_provider(way, provider),
            model: self.settings.model.clone(),
            created: self.clock.now_ms() / 1000,
        });
        let started_ms = self.clock.now_ms();
        let mut events = Vec::new();
        loop {
            if self.stop.take() {
                return Ok(turn.step(Input::Stop));
            }
            match body.next().await {
                Some(Ok(bytes)) => reader.push(&bytes, &mut events),
                Some(Err(e)) => reader.fail(&ProxyError::invalid(e.0), &mut events),
                None => reader.end(&mut events),
            }
            for event in events.drain(..) {
                match event {
                    StreamEvent::Chunk(chunk) => {
                        for effect in turn.step(Input::Chunk(chunk)) {
                            if let (Effect::Emit(Event::Delta { text, .. }), Some(d)) =
                                (&effect, draft.as_mut())
                            {
                                d.text.push_str(text);
                            }
                            if let Effect::Emit(event) = effect {
                                emit(event);
                            }
                        }
                        self.save_draft(session, draft).await?;
                    }
                    StreamEvent::Done { usage } => {
                        if way == Way::Direct {
                            self.record_direct(usage, started_ms).await;
                        }
                        return Ok(turn.step(Input::AnswerEnded));
                    }
                    // The stream is over; no other way (text already shown).
                    StreamEvent::Error(error) => {
                        return Ok(turn.step(Input::CallFailed {
                            kind: ErrorKind::Upstream,
                            message: error.to_string(),
                        }));
                    }
                }
            }
        }
    }

    async fn save_draft(&self, session: &str, draft: &mut Option<Draft>) -> Result<(), ErrorKind> {
        let Some(d) = draft.as_mut() else {
            return Ok(());
        };
        let now = self.clock.now_ms();
        if d.text.is_empty() || now.saturating_sub(d.saved_ms) < DRAFT_SAVE_INTERVAL_MS {
            return Ok(());
        }
        d.saved_ms = now;
        let message = Message::text(Role::Assistant, d.text.clone());
        self.save(session, d.id.clone(), d.seq, &message, true, &mut |_| {})
            .await
            .map(drop)
    }
}

/// One model call's answer, to be streamed into its turn.
struct AnswerStream<'a, B> {
    session: &'a str,
    /// How the call went, which decides the answer's format.
    way: Way,
    /// The provider the call was for.
    provider: ProviderId,
    body: B,
}

/// Queues a turn's `effects`, carrying out a [`Effect::CancelModel`] at once: the model
/// call it cancels may be queued ahead of it (the next round, asked for as the last tool
/// finished) and is dropped unmade; a call whose answer was being read has stopped
/// already, as [`Runtime::stream`] stops reading on Stop.
fn enqueue(queue: &mut VecDeque<Effect>, effects: Vec<Effect>) {
    for effect in effects {
        match effect {
            Effect::CancelModel => queue.retain(|e| !matches!(e, Effect::CallModel { .. })),
            effect => queue.push_back(effect),
        }
    }
}

/// The place after the last of `history`.
fn next_seq(history: &[StoredMessage]) -> u64 {
    history.last().map_or(0, |m| m.seq + 1)
}

/// An error answer, in the UI's terms, read by core in the format of `provider` (who
/// wrote it: the proxy writes OpenAI's); the key never reaches the message.
fn refusal(
    provider: ProviderId,
    status: u16,
    retry_after: Option<u64>,
    body: &[u8],
    key: &str,
) -> CallFailure {
    let details = ferry_core::adapter::error_details(provider, body).unwrap_or_default();
    let message = Some(details.message)
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| format!("HTTP {status}"));
    CallFailure {
        kind: ErrorKind::from_answer(status, details.code.as_deref(), retry_after),
        message: ferry_core::adapter::redact(&message, key),
    }
}

mod account;
mod approvals;
mod compact;
mod direct_usage;
mod export;
mod models;
mod sessions;
mod settings;
mod tokens;
mod tool_calls;

pub use self::sessions::auto_title;
pub use self::settings::Settings;

#[cfg(test)]
mod tests;

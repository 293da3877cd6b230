//! A model call along the chat's fallback chain: each link called with the conversation
//! translated for it and only the parameters its model takes, raced against the first
//! answer's deadline and Stop; on a failure before the answer's first content, the
//! policy (`crate::fallback::policy`) says wait and retry, try the next link, or end.
//!
//! The turn keeps where its chain got to: a later round (after tools) starts at the link
//! that answered, and the wait budget counts the whole turn.

use std::cell::Cell;

use ferry_core::models::{self, ModelFacts};
use ferry_core::wire::{ChatRequest, Message};
use futures_util::future::{Either, select};

use super::calls::{CallFailure, with_params};
use super::{Clock, Runtime};
use crate::fallback::policy::{self, Fault, Policy, Step, Tried};
use crate::fallback::{self, translate};
use crate::protocol::{AnsweredBy, ChatParams, ErrorKind, Event, ModelRef, Skipped};
use crate::routing::{self, Way};
use crate::seams::{Tokenizer, Vault};
use crate::store::Store;
use crate::tools;
use crate::transport::{Body, NetworkError, Transport};

/// Where the turn in progress got to along its chain.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct ChainTurn {
    /// The link the turn's next call starts at.
    link: usize,
    /// Milliseconds waited on short rate limits in this turn.
    waited_ms: u64,
}

/// The turn's place in its chain, reset when a turn starts.
#[derive(Debug, Default)]
pub(super) struct ChainMemory(Cell<ChainTurn>);

impl ChainMemory {
    pub(super) fn reset(&self) {
        self.0.set(ChainTurn::default());
    }
}

/// What a call along the chain came to.
pub(super) enum Chained<B> {
    Answer(Answered<B>),
    Failed(CallFailure),
    Stopped,
}

/// The answer of the link that answered, its first chunk already read.
pub(super) struct Answered<B> {
    pub(super) way: Way,
    pub(super) link: ModelRef,
    pub(super) body: Primed<B>,
    /// On a chain of several links: who answered, who was skipped.
    pub(super) answered_by: Option<AnsweredBy>,
}

/// An answer's body whose first chunk was read to know it had begun.
pub(super) struct Primed<B> {
    first: Option<Option<Result<Vec<u8>, NetworkError>>>,
    body: B,
}

impl<B: Body> Body for Primed<B> {
    async fn next(&mut self) -> Option<Result<Vec<u8>, NetworkError>> {
        match self.first.take() {
            Some(first) => first,
            None => self.body.next().await,
        }
    }
}

/// One link's call.
enum Attempt<B> {
    Answer(Way, Primed<B>),
    Failed(Fault, CallFailure),
    Stopped,
}

/// A future raced against a deadline and Stop.
enum Raced<T> {
    Done(T),
    TimedOut,
    Stopped,
}

impl<T: Transport, S: Store, V: Vault, C: Clock, K: Tokenizer> Runtime<T, S, V, C, K> {
    /// Sets `session`'s own chain (`None`: the settings' default) and lists the sessions.
    pub(super) async fn set_chat_fallbacks(
        &self,
        session: &str,
        fallbacks: Option<Vec<ModelRef>>,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        let Some(mut stored) = self.session(session).await? else {
            return Err(ErrorKind::InvalidRequest);
        };
        stored.fallbacks = fallbacks;
        self.store.put_session(&stored).await?;
        self.list(None, emit).await
    }

    /// `session`'s chain: the main model, then its own fallbacks or the settings'.
    pub(super) async fn chain(&self, session: &str) -> Result<Vec<ModelRef>, ErrorKind> {
        let own = self.session(session).await?.and_then(|s| s.fallbacks);
        let main = ModelRef {
            provider: self.settings.provider,
            model: self.settings.model().to_owned(),
        };
        Ok(fallback::chain(
            main,
            own.as_deref().unwrap_or(&self.settings.fallbacks),
        ))
    }

    /// The first answer along `session`'s chain for `messages` (see the module doc).
    pub(super) async fn chained_answer(
        &self,
        session: &str,
        messages: &[Message],
        params: &ChatParams,
        emit: &mut impl FnMut(Event),
    ) -> Result<Chained<T::Body>, ErrorKind> {
        let chain = self.chain(session).await?;
        let policy = Policy::default();
        let mut turn = self.fallback.0.get();
        let mut at = turn.link.min(chain.len().saturating_sub(1));
        let mut retries = 0;
        let mut skipped: Vec<Skipped> = Vec::new();
        while let Some(link) = chain.get(at) {
            let (fault, failure) = match self.attempt(link, messages, params).await {
                Attempt::Answer(way, body) => {
                    turn.link = at;
                    self.fallback.0.set(turn);
                    let answered_by = (chain.len() > 1).then(|| AnsweredBy {
                        provider: link.provider,
                        model: link.model.clone(),
                        skipped,
                    });
                    return Ok(Chained::Answer(Answered {
                        way,
                        link: link.clone(),
                        body,
                        answered_by,
                    }));
                }
                Attempt::Stopped => return Ok(Chained::Stopped),
                Attempt::Failed(fault, failure) => (fault, failure),
            };
            let tried = Tried {
                retries,
                waited_ms: turn.waited_ms,
            };
            let now = self.clock.now_ms();
            match policy::next_step(
                &policy,
                chain.len(),
                at,
                &fault,
                &failure.message,
                tried,
                now,
            ) {
                Step::Retry { wait_ms, until_ms } => {
                    emit(Event::FallbackWait {
                        session: session.to_owned(),
                        provider: link.provider,
                        model: link.model.clone(),
                        seconds: wait_ms.div_ceil(1000),
                        until_ms,
                    });
                    let waited = self.raced(self.clock.sleep(wait_ms), None).await;
                    if matches!(waited, Raced::Stopped) {
                        return Ok(Chained::Stopped);
                    }
                    turn.waited_ms = turn.waited_ms.saturating_add(wait_ms);
                    self.fallback.0.set(turn);
                    retries += 1;
                }
                Step::Next { link: next, reason } => {
                    skipped.push(Skipped {
                        provider: link.provider,
                        model: link.model.clone(),
                        reason,
                    });
                    at = next;
                    retries = 0;
                }
                Step::Fail => {
                    self.fallback.0.set(turn);
                    return Ok(Chained::Failed(with_skipped(failure, &skipped)));
                }
            }
        }
        Err(ErrorKind::InvalidRequest)
    }

    /// One call of `link`: the request made for it, sent the first way that answers,
    /// within the first-answer deadline (the answer's headers and its first chunk).
    async fn attempt(
        &self,
        link: &ModelRef,
        messages: &[Message],
        params: &ChatParams,
    ) -> Attempt<T::Body> {
        let facts = models::facts(link.provider, &link.model);
        let messages = translate::for_link(messages.to_vec(), link.provider, &facts);
        let request = self.link_request(messages, params, link, &facts);
        let secs = self.settings.first_answer_timeout_secs.max(1);
        let started = self.clock.now_ms();
        let deadline = started.saturating_add(secs.saturating_mul(1000));
        let call = self.first_way(link.provider, |way, credentials, routing| {
            routing::model_call(way, link.provider, request.clone(), credentials, routing)
        });
        let timed_out = || {
            let failure = CallFailure {
                kind: ErrorKind::Upstream,
                message: format!("no answer from {} in {secs} s", link.model),
            };
            Attempt::Failed(Fault::Timeout { secs }, failure)
        };
        let (way, mut answer) = match self.raced(call, Some(deadline)).await {
            Raced::Done(Ok(found)) => found,
            Raced::Done(Err(failure)) => {
                let fault = fault_of(failure.kind);
                self.record_failed(link, started, fault_code(&fault)).await;
                return Attempt::Failed(fault, failure);
            }
            Raced::TimedOut => {
                self.record_failed(link, started, fault_code(&Fault::Timeout { secs }))
                    .await;
                return timed_out();
            }
            Raced::Stopped => return Attempt::Stopped,
        };
        let first = match self.raced(answer.body.next(), Some(deadline)).await {
            Raced::Done(first) => first,
            Raced::TimedOut => {
                if way == Way::Direct {
                    self.record_failed(link, started, fault_code(&Fault::Timeout { secs }))
                        .await;
                }
                return timed_out();
            }
            Raced::Stopped => return Attempt::Stopped,
        };
        let body = Primed {
            first: Some(first),
            body: answer.body,
        };
        Attempt::Answer(way, body)
    }

    /// The chat request for `link`: its model, the tools if it takes them, and those of
    /// `params` it takes (see [`with_params`]).
    fn link_request(
        &self,
        messages: Vec<Message>,
        params: &ChatParams,
        link: &ModelRef,
        facts: &ModelFacts,
    ) -> ChatRequest {
        let mut request = ChatRequest::new(link.model.clone(), messages);
        request.stream = Some(true);
        if facts.tools {
            let mut declared = tools::declarations(self.search_engine().is_some());
            declared.extend(self.mcp_declarations());
            request.tools = Some(declared);
        }
        with_params(&mut request, params, link.provider, facts);
        request
    }

    /// Races `work` against `deadline_ms` (the clock's), if any, and Stop, which it leaves
    /// pressed for the turn to take.
    async fn raced<F: Future>(&self, work: F, deadline_ms: Option<u64>) -> Raced<F::Output> {
        let left = deadline_ms.map(|d| d.saturating_sub(self.clock.now_ms()));
        let work = std::pin::pin!(work);
        let sleep = std::pin::pin!(async {
            match left {
                Some(ms) => self.clock.sleep(ms).await,
                None => std::future::pending().await,
            }
        });
        let stop = std::pin::pin!(self.stop.stopped());
        match select(work, select(sleep, stop)).await {
            Either::Left((done, _)) => Raced::Done(done),
            Either::Right((Either::Left(_), _)) => Raced::TimedOut,
            Either::Right((Either::Right(_), _)) => Raced::Stopped,
        }
    }

    /// The usage row of a failed call of `link`, when its first way was direct (the proxy
    /// writes its own rows).
    async fn record_failed(&self, link: &ModelRef, started_ms: u64, code: &str) {
        let first = routing::ways(link.provider, &self.routing(link.provider))
            .first()
            .copied();
        if first == Some(Way::Direct) {
            let call = super::direct_usage::DirectCall {
                provider: link.provider,
                model: &link.model,
                usage: None,
                started_ms,
                error_code: Some(code),
            };
            self.record_direct(&call).await;
        }
    }
}

/// What the chain makes of a failed call's kind.
fn fault_of(kind: ErrorKind) -> Fault {
    match kind {
        ErrorKind::Upstream => Fault::Server,
        ErrorKind::Offline => Fault::Network,
        ErrorKind::ProviderDisabled => Fault::Disabled,
        ErrorKind::RateLimited { retry_after_secs } => Fault::RateLimited { retry_after_secs },
        ErrorKind::MissingKey => Fault::NoKey,
        ErrorKind::Unauthorized
        | ErrorKind::QuotaExceeded { .. }
        | ErrorKind::ProviderRefused
        | ErrorKind::InvalidRequest
        | ErrorKind::Storage => Fault::Refused,
    }
}

/// The usage row's error code for a failed attempt.
fn fault_code(fault: &Fault) -> &'static str {
    use ferry_core::code;
    match fault {
        Fault::Server | Fault::Network => code::UPSTREAM_ERROR,
        Fault::Timeout { .. } => code::UPSTREAM_TIMEOUT,
        Fault::Disabled => code::PROVIDER_DISABLED,
        Fault::RateLimited { .. } => code::RATE_LIMITED,
        Fault::NoKey => code::UNAUTHORIZED,
        Fault::Refused => code::PROVIDER_ERROR,
    }
}

/// The chain's last failure, naming the links skipped before it.
fn with_skipped(mut failure: CallFailure, skipped: &[Skipped]) -> CallFailure {
    if !skipped.is_empty() {
        let earlier: Vec<String> = skipped
            .iter()
            .map(|s| format!("{}: {}", s.model, s.reason))
            .collect();
        failure.message = format!("{} (before: {})", failure.message, earlier.join("; "));
    }
    failure
}

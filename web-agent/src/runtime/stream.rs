//! A model's answer streamed into its turn: read as core's typed stream events, shown as it
//! grows (its thinking too), saved as a draft every so often; its usage and cost reported
//! once it is complete, kept with the answer, and recorded for a direct call.
//!
//! The turn names the answer by its round; the UI hears of it by the id it is stored
//! under, in `Delta`, `ThinkingDelta` and `Usage` alike.

use ferry_core::adapter::AnswerContext;
use ferry_core::stream::{StreamEvent, StreamReader};
use ferry_core::wire::{Message, Role, Usage};
use ferry_core::{ProviderId, ProxyError};

use super::{Clock, Runtime};
use crate::agent::{Effect, Input, Turn};
use crate::protocol::{ErrorKind, Event};
use crate::routing::{self, Way};
use crate::seams::{Tokenizer, Vault};
use crate::store::Store;
use crate::transport::{Body, Transport};

/// A partial answer is saved at most this often while it streams.
const DRAFT_SAVE_INTERVAL_MS: u64 = 250;

/// The answer of the round in progress, saved as it grows.
pub(super) struct Draft {
    pub(super) id: String,
    pub(super) seq: u64,
    pub(super) text: String,
    pub(super) thinking: String,
    pub(super) saved_ms: u64,
    /// The call's usage, its `cost` filled in, once reported.
    pub(super) usage: Option<Usage>,
    /// The message the answer follows in the chat's tree.
    pub(super) parent: Option<String>,
    /// Which link of the chat's fallback chain wrote it, when the chain has several.
    pub(super) answered_by: Option<crate::protocol::AnsweredBy>,
}

impl Draft {
    pub(super) fn new(id: String, seq: u64, now_ms: u64) -> Self {
        Self {
            id,
            seq,
            text: String::new(),
            thinking: String::new(),
            saved_ms: now_ms,
            usage: None,
            parent: None,
            answered_by: None,
        }
    }

    /// Takes what an event of the turn shows of the answer, and names the answer in it by
    /// its stored id.
    fn absorb(&mut self, event: &mut Event) {
        match event {
            Event::Delta { message, text, .. } => {
                self.text.push_str(text);
                message.clone_from(&self.id);
            }
            Event::ThinkingDelta { message, text, .. } => {
                self.thinking.push_str(text);
                message.clone_from(&self.id);
            }
            _ => {}
        }
    }

    /// The answer as saved while it streams: what has arrived of text and thinking.
    fn message(&self) -> Message {
        let mut message = Message::text(Role::Assistant, self.text.clone());
        message.reasoning_content = Some(self.thinking.clone()).filter(|t| !t.is_empty());
        message
    }
}

/// `usage` with its cost: the one the provider or the proxy reported, else the price
/// table's estimate for `model` at `provider` (`None` where the price is unknown).
pub(super) fn priced(mut usage: Usage, provider: ProviderId, model: &str) -> Usage {
    usage.cost = usage
        .cost
        .filter(|c| c.is_finite() && *c >= 0.0)
        .or_else(|| ferry_core::pricing::estimate_cost_on(provider, model, &usage));
    usage
}

/// One model call's answer, to be streamed into its turn.
pub(super) struct AnswerStream<'a, B> {
    pub(super) session: &'a str,
    /// How the call went, which decides the answer's format.
    pub(super) way: Way,
    /// The provider the call was for.
    pub(super) provider: ProviderId,
    /// The model the call was for.
    pub(super) model: String,
    pub(super) body: B,
}

impl<T: Transport, S: Store, V: Vault, C: Clock, K: Tokenizer> Runtime<T, S, V, C, K> {
    /// Streams an answer into the turn, saving the draft as it grows.
    pub(super) async fn stream<B: Body>(
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
            model,
            mut body,
        } = call;
        let mut reader = StreamReader::new(AnswerContext {
            provider: routing::answer_provider(way, provider),
            model: model.clone(),
            created: self.clock.now_ms() / 1000,
        });
        let started_ms = self.clock.now_ms();
        let mut events = Vec::new();
        loop {
            // Stop is taken after each read, not before: the first chunk was read before
            // the answer came here (it told the fallback chain the answer had begun), and
            // what has arrived is kept.
            match body.next().await {
                Some(Ok(bytes)) => reader.push(&bytes, &mut events),
                Some(Err(e)) => reader.fail(&ProxyError::invalid(e.0), &mut events),
                None => reader.end(&mut events),
            }
            for event in events.drain(..) {
                match event {
                    StreamEvent::Chunk(chunk) => {
                        if let (Some(usage), Some(d)) = (chunk.usage, draft.as_mut()) {
                            d.usage = Some(priced(usage, provider, &model));
                        }
                        for effect in turn.step(Input::Chunk(chunk)) {
                            if let Effect::Emit(mut event) = effect {
                                if let Some(d) = draft.as_mut() {
                                    d.absorb(&mut event);
                                }
                                emit(event);
                            }
                        }
                        self.save_draft(session, draft).await?;
                    }
                    StreamEvent::Done { usage } => {
                        let reported = draft.as_ref().and_then(|d| d.usage).or(usage);
                        let usage = reported.map(|u| priced(u, provider, &model));
                        if let (Some(usage), Some(d)) = (usage, draft.as_mut()) {
                            d.usage = Some(usage);
                            emit(Event::Usage {
                                session: session.to_owned(),
                                message: Some(d.id.clone()),
                                usage,
                            });
                        }
                        if way == Way::Direct {
                            let call = super::direct_usage::DirectCall {
                                provider,
                                model: &model,
                                usage,
                                started_ms,
                                error_code: None,
                            };
                            self.record_direct(&call).await;
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
            if self.stop.take() {
                return Ok(turn.step(Input::Stop));
            }
        }
    }

    pub(super) async fn save_draft(
        &self,
        session: &str,
        draft: &mut Option<Draft>,
    ) -> Result<(), ErrorKind> {
        let Some(d) = draft.as_mut() else {
            return Ok(());
        };
        let now = self.clock.now_ms();
        let nothing = d.text.is_empty() && d.thinking.is_empty();
        if nothing || now.saturating_sub(d.saved_ms) < DRAFT_SAVE_INTERVAL_MS {
            return Ok(());
        }
        d.saved_ms = now;
        let message = d.message();
        self.save_answer(session, d, &message, true, &mut |_| {})
            .await
            .map(drop)
    }
}

//! A model's answer streamed into its turn: read as core's typed stream events, shown as it
//! grows, saved as a draft every so often, its usage recorded for a direct call.

use ferry_core::adapter::AnswerContext;
use ferry_core::stream::{StreamEvent, StreamReader};
use ferry_core::wire::{Message, Role};
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
    pub(super) saved_ms: u64,
}

/// One model call's answer, to be streamed into its turn.
pub(super) struct AnswerStream<'a, B> {
    pub(super) session: &'a str,
    /// How the call went, which decides the answer's format.
    pub(super) way: Way,
    /// The provider the call was for.
    pub(super) provider: ProviderId,
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

    pub(super) async fn save_draft(
        &self,
        session: &str,
        draft: &mut Option<Draft>,
    ) -> Result<(), ErrorKind> {
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

//! Compaction at work: when a turn's context would pass the budget, the older part is
//! summarized by the model (non-streaming, routed like any call) and stored beside the
//! untouched messages.
//!
//! The budget is the model's context window (from core's model facts, unless the user set
//! one) less room for the answer: the settings' reserve, or the chat's maximum output when
//! that is larger. The summary reads the answers' text and tool steps, never their
//! thinking (see [`compaction::summary_request`]).

use ferry_core::adapter::AnswerContext;
use ferry_core::wire::ChatRequest;

use super::calls::CallFailure;
use super::{Clock, Runtime};
use crate::compaction::{self, Budget, Compaction, Entry, Policy};
use crate::protocol::{ErrorKind, Event};
use crate::routing::Way;
use crate::seams::{Tokenizer, Vault};
use crate::store::{CompactionRecord, Store};
use crate::transport::{self, Transport};

impl<T: Transport, S: Store, V: Vault, C: Clock, K: Tokenizer> Runtime<T, S, V, C, K> {
    /// The session's compaction for this turn: the stored one, or a new one when the
    /// context would pass the budget. A summary that cannot be had after the policy's
    /// attempts is reported, and the turn goes on with the full context.
    pub(super) async fn compact(
        &mut self,
        session: &str,
        entries: &[Entry],
        emit: &mut impl FnMut(Event),
    ) -> Result<Option<Compaction>, ErrorKind> {
        // The summary of this path, if one was made (another branch's does not apply).
        let previous = self
            .path_compaction(session, entries.iter().map(|e| e.id.as_str()))
            .await?;
        // Room for the longest answer the chat asks for (thinking included), at least.
        let longest = self.chat_params(session).await?.max_output_tokens;
        let most = self.settings.facts().max_output;
        let budget = Budget {
            context_window: self.settings.context_window(),
            answer_reserve: self
                .settings
                .answer_reserve
                .max(longest.map_or(0, |n| u64::from(n.min(most)))),
        };
        let policy = Policy {
            keep_recent_tokens: self.settings.keep_recent_tokens,
            ..Policy::default()
        };
        let (sent, _) = self.sent_tokens(entries, previous.as_ref()).await;
        if !compaction::needs_compaction(sent, &budget, &policy) {
            return Ok(previous);
        }
        let Some(plan) = compaction::plan(entries, previous.as_ref(), &policy) else {
            return Ok(previous);
        };
        let update = previous.as_ref().filter(|_| plan.updates_previous);
        let request =
            compaction::summary_request(update, plan.to_summarize(entries), self.settings.model());
        let mut last_error = String::new();
        for _ in 0..policy.max_attempts.max(1) {
            match self.complete(request.clone()).await {
                Ok(summary) if !summary.trim().is_empty() => {
                    let summarized = plan.summarize.len();
                    let compaction = plan.into_compaction(summary);
                    self.store
                        .put_compaction(&CompactionRecord::new(session, compaction.clone()))
                        .await?;
                    emit(Event::Compacted {
                        session: session.to_owned(),
                        summarized,
                    });
                    return Ok(Some(compaction));
                }
                Ok(_) => last_error = "the summary came back empty".to_owned(),
                Err(failure) => last_error = failure.message,
            }
        }
        emit(Event::Error {
            session: Some(session.to_owned()),
            kind: ErrorKind::Upstream,
            message: format!(
                "older messages could not be summarized ({last_error}); sending them all"
            ),
        });
        Ok(previous)
    }

    /// One non-streaming model call, routed like any other: the answer's text.
    pub(super) async fn complete(&self, request: ChatRequest) -> Result<String, CallFailure> {
        let (way, mut answer) = self.first_answer(&request).await?;
        let body = transport::read_all(&mut answer.body).await?;
        let openai = match way {
            Way::Proxy => String::from_utf8_lossy(&body).into_owned(),
            Way::Direct => ferry_core::adapter::chat_response(
                &AnswerContext {
                    provider: self.settings.provider,
                    model: request.model.clone(),
                    created: 0,
                },
                &body,
            )
            .map_err(|e| CallFailure {
                kind: ErrorKind::Upstream,
                message: e.to_string(),
            })?,
        };
        Ok(ferry_core::adapter::answer_text(&openai).unwrap_or_default())
    }
}

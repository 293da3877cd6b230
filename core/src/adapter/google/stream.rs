//! Gemini's event stream, one event at a time, as OpenAI chunks.

use super::{GenerateContentResponse, UsageMetadata, call_id, finish_reason, text_signature};
use crate::ProxyError;
use crate::adapter::{AnswerContext, Progress, parse, write_chunk, write_delta};
use crate::sse::{self, SseEvent};
use crate::wire::{ChatChunk, Delta, FinishReason, Role, ToolCallDelta, Usage};

/// Translation state of one Gemini stream.
#[derive(Debug)]
pub struct StreamState {
    context: AnswerContext,
    id: String,
    started: bool,
    calls: usize,
    /// Reasoning details sent so far.
    details: usize,
    usage: Option<UsageMetadata>,
    finished: bool,
}

impl StreamState {
    pub fn new(context: AnswerContext) -> Self {
        Self {
            context,
            id: "chatcmpl-gemini".to_owned(),
            started: false,
            calls: 0,
            details: 0,
            usage: None,
            finished: false,
        }
    }

    fn write(&self, out: &mut Vec<u8>, delta: &Delta) {
        write_delta(
            out,
            &self.id,
            self.context.created,
            &self.context.model,
            delta,
        );
    }

    pub(crate) fn on_event(
        &mut self,
        event: &SseEvent,
        out: &mut Vec<u8>,
    ) -> Result<Progress, ProxyError> {
        let response: GenerateContentResponse =
            parse(self.context.provider, event.data.as_bytes())?;
        if let Some(error) = response.error {
            return Err(ProxyError::upstream(self.context.provider, error.message));
        }
        if !self.started {
            self.started = true;
            if let Some(id) = response.response_id {
                self.id = id;
            }
            if let Some(model) = response.model_version {
                self.context.model = model;
            }
            self.write(out, &Delta::role(Role::Assistant));
        }
        if let Some(usage) = response.usage_metadata {
            self.usage = Some(usage);
        }
        let blocked = response
            .prompt_feedback
            .and_then(|f| f.block_reason)
            .is_some();
        let Some(candidate) = response.candidates.into_iter().next() else {
            if blocked {
                self.finish(FinishReason::ContentFilter, out);
            }
            return Ok(Progress::More);
        };
        for part in candidate.content.map(|c| c.parts).unwrap_or_default() {
            if part.thought == Some(true) {
                if let Some(text) = part.text.filter(|t| !t.is_empty()) {
                    self.write(out, &Delta::reasoning(text));
                }
                continue;
            }
            if let Some(detail) = text_signature(&part, self.details) {
                self.details += 1;
                self.write(out, &Delta::reasoning_detail(detail));
            }
            if let Some(text) = part.text.filter(|t| !t.is_empty()) {
                self.write(out, &Delta::content(text));
            }
            if let Some(call) = part.function_call {
                let id = call_id(self.calls, part.thought_signature.as_deref());
                let ordinal = u32::try_from(self.calls).unwrap_or(u32::MAX);
                let delta = ToolCallDelta::start(ordinal, &id, &call.name, &call.args.to_string());
                self.write(out, &Delta::tool_call(delta));
                self.calls += 1;
            }
        }
        if let Some(reason) = candidate.finish_reason {
            self.finish(finish_reason(&reason, self.calls > 0), out);
        }
        Ok(Progress::More)
    }

    fn finish(&mut self, reason: FinishReason, out: &mut Vec<u8>) {
        self.finished = true;
        let chunk = ChatChunk::finish(&self.id, self.context.created, &self.context.model, reason);
        write_chunk(out, &chunk);
    }

    /// Gemini closes the stream after the last candidate: complete if it said why it stopped.
    pub(crate) fn on_end(&mut self, out: &mut Vec<u8>) -> Result<(), ProxyError> {
        if !self.finished {
            return Err(ProxyError::upstream(
                self.context.provider,
                "google ended the stream before a finishReason",
            ));
        }
        let usage = self
            .usage
            .unwrap_or_default()
            .to_openai(&self.context.model);
        let chunk = ChatChunk::usage(&self.id, self.context.created, &self.context.model, usage);
        write_chunk(out, &chunk);
        sse::write_data(out, sse::DONE);
        Ok(())
    }

    pub fn usage(&self) -> Option<Usage> {
        self.usage.map(|u| u.to_openai(&self.context.model))
    }
}

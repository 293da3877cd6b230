//! Anthropic's event stream, one event at a time, as OpenAI chunks.

use std::collections::HashMap;

use serde::Deserialize;

use super::{AnthropicUsage, ResponseBlock, finish_reason, thinking_detail};
use crate::adapter::{AnswerContext, Progress, parse, write_chunk, write_delta};
use crate::sse::{self, SseEvent};
use crate::wire::{ChatChunk, Delta, ReasoningDetail, ReasoningFormat, Role, ToolCallDelta, Usage};
use crate::{ProxyError, tokens};

/// One event, as the translator handles it.
#[derive(Debug)]
enum StreamEventData {
    MessageStart {
        message: StartMessage,
    },
    ContentBlockStart {
        index: u32,
        content_block: ResponseBlock,
    },
    ContentBlockDelta {
        index: u32,
        delta: BlockDelta,
    },
    ContentBlockStop {
        index: u32,
    },
    MessageDelta {
        stop_reason: Option<String>,
        usage: Option<AnthropicUsage>,
    },
    MessageStop,
    Error {
        error: ErrorBody,
    },
    /// `ping` and whatever Anthropic adds.
    Other,
}

/// One event as Anthropic sends it, read in a single pass: as an internally tagged enum,
/// serde would first copy every event into a buffer of its own to find the tag.
#[derive(Debug, Deserialize)]
struct RawEvent {
    #[serde(rename = "type")]
    kind: EventKind,
    #[serde(default)]
    index: Option<u32>,
    #[serde(default)]
    message: Option<StartMessage>,
    #[serde(default)]
    content_block: Option<ResponseBlock>,
    #[serde(default)]
    delta: Option<RawDelta>,
    #[serde(default)]
    usage: Option<AnthropicUsage>,
    #[serde(default)]
    error: Option<ErrorBody>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum EventKind {
    MessageStart,
    ContentBlockStart,
    ContentBlockDelta,
    ContentBlockStop,
    MessageDelta,
    MessageStop,
    Error,
    #[serde(other)]
    Other,
}

/// A `content_block_delta`'s or `message_delta`'s `delta`, every field it may hold.
#[derive(Debug, Default, Deserialize)]
struct RawDelta {
    #[serde(rename = "type", default)]
    kind: Option<DeltaKind>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    partial_json: Option<String>,
    #[serde(default)]
    thinking: Option<String>,
    #[serde(default)]
    signature: Option<String>,
    #[serde(default)]
    stop_reason: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum DeltaKind {
    TextDelta,
    InputJsonDelta,
    ThinkingDelta,
    SignatureDelta,
    #[serde(other)]
    Other,
}

impl RawEvent {
    /// The event, or `None` when a field its type requires is missing.
    fn into_event(self) -> Option<StreamEventData> {
        Some(match self.kind {
            EventKind::MessageStart => StreamEventData::MessageStart {
                message: self.message?,
            },
            EventKind::ContentBlockStart => StreamEventData::ContentBlockStart {
                index: self.index?,
                content_block: self.content_block?,
            },
            EventKind::ContentBlockDelta => {
                let delta = self.delta?;
                let text = |field: Option<String>| field.unwrap_or_default();
                StreamEventData::ContentBlockDelta {
                    index: self.index?,
                    delta: match delta.kind? {
                        DeltaKind::TextDelta => BlockDelta::TextDelta {
                            text: text(delta.text),
                        },
                        DeltaKind::InputJsonDelta => BlockDelta::InputJsonDelta {
                            partial_json: text(delta.partial_json),
                        },
                        DeltaKind::ThinkingDelta => BlockDelta::ThinkingDelta {
                            thinking: text(delta.thinking),
                        },
                        DeltaKind::SignatureDelta => BlockDelta::SignatureDelta {
                            signature: text(delta.signature),
                        },
                        DeltaKind::Other => BlockDelta::Other,
                    },
                }
            }
            EventKind::ContentBlockStop => StreamEventData::ContentBlockStop { index: self.index? },
            EventKind::MessageDelta => StreamEventData::MessageDelta {
                stop_reason: self.delta.and_then(|d| d.stop_reason),
                usage: self.usage,
            },
            EventKind::MessageStop => StreamEventData::MessageStop,
            EventKind::Error => StreamEventData::Error { error: self.error? },
            EventKind::Other => StreamEventData::Other,
        })
    }
}

#[derive(Debug, Deserialize)]
struct StartMessage {
    id: String,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    usage: AnthropicUsage,
}

#[derive(Debug)]
enum BlockDelta {
    TextDelta { text: String },
    InputJsonDelta { partial_json: String },
    ThinkingDelta { thinking: String },
    SignatureDelta { signature: String },
    Other,
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    #[serde(default)]
    message: String,
}

/// Translation state of one Anthropic stream.
#[derive(Debug)]
pub struct StreamState {
    context: AnswerContext,
    id: String,
    usage: AnthropicUsage,
    /// Content-block index → what the open block is.
    blocks: HashMap<u32, OpenBlock>,
    tool_calls: u32,
    /// Reasoning details sent so far (the next one's `index`).
    details: u32,
    /// Estimated tokens of the thinking text seen.
    thinking_estimate: u64,
}

/// A content block that has started and not yet stopped.
#[derive(Debug)]
enum OpenBlock {
    /// A tool call, by its OpenAI index.
    Tool(u32),
    /// Thinking: its text so far (sent on as it comes, kept for the closing detail) and
    /// its signature.
    Thinking {
        text: String,
        signature: String,
    },
    Redacted {
        data: String,
    },
}

impl StreamState {
    pub fn new(context: AnswerContext) -> Self {
        Self {
            context,
            id: String::new(),
            usage: AnthropicUsage::default(),
            blocks: HashMap::new(),
            tool_calls: 0,
            details: 0,
            thinking_estimate: 0,
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
        let provider = self.context.provider;
        let raw: RawEvent = parse(provider, event.data.as_bytes())?;
        let kind = raw.kind;
        let Some(data) = raw.into_event() else {
            return Err(ProxyError::upstream(
                provider,
                format!("unreadable answer from {provider}: a {kind:?} event without its fields"),
            ));
        };
        match data {
            StreamEventData::MessageStart { message } => {
                self.id = message.id;
                if let Some(model) = message.model {
                    self.context.model = model;
                }
                self.usage.update(message.usage);
                self.write(out, &Delta::role(Role::Assistant));
            }
            StreamEventData::ContentBlockStart {
                index,
                content_block,
            } => self.on_block_start(index, content_block, out),
            StreamEventData::ContentBlockDelta { index, delta } => {
                self.on_block_delta(index, delta, out);
            }
            StreamEventData::ContentBlockStop { index } => self.on_block_stop(index, out),
            StreamEventData::MessageDelta { stop_reason, usage } => {
                if let Some(usage) = usage {
                    self.usage.update(usage);
                }
                let reason = finish_reason(stop_reason.as_deref());
                let chunk =
                    ChatChunk::finish(&self.id, self.context.created, &self.context.model, reason);
                write_chunk(out, &chunk);
            }
            StreamEventData::MessageStop => {
                let usage = ChatChunk::usage(
                    &self.id,
                    self.context.created,
                    &self.context.model,
                    self.openai_usage(),
                );
                write_chunk(out, &usage);
                sse::write_data(out, sse::DONE);
                return Ok(Progress::Done);
            }
            StreamEventData::Error { error } => {
                return Err(ProxyError::upstream(provider, error.message));
            }
            StreamEventData::Other => {}
        }
        Ok(Progress::More)
    }

    fn on_block_start(&mut self, index: u32, block: ResponseBlock, out: &mut Vec<u8>) {
        match block {
            ResponseBlock::Text { text } if !text.is_empty() => {
                self.write(out, &Delta::content(text));
            }
            ResponseBlock::ToolUse { id, name, .. } => {
                // The opening `input` is always `{}`; the arguments follow as deltas.
                let ordinal = self.tool_calls;
                self.tool_calls = self.tool_calls.saturating_add(1);
                self.blocks.insert(index, OpenBlock::Tool(ordinal));
                let call = ToolCallDelta::start(ordinal, &id, &name, "");
                self.write(out, &Delta::tool_call(call));
            }
            ResponseBlock::Thinking {
                thinking,
                signature,
            } => {
                if !thinking.is_empty() {
                    self.write(out, &Delta::reasoning(thinking.as_str()));
                }
                let block = OpenBlock::Thinking {
                    text: thinking,
                    signature,
                };
                self.blocks.insert(index, block);
            }
            ResponseBlock::RedactedThinking { data } => {
                self.blocks.insert(index, OpenBlock::Redacted { data });
            }
            ResponseBlock::Text { .. } | ResponseBlock::Other => {}
        }
    }

    fn on_block_delta(&mut self, index: u32, delta: BlockDelta, out: &mut Vec<u8>) {
        match (delta, self.blocks.get_mut(&index)) {
            (BlockDelta::TextDelta { text }, _) => {
                self.write(out, &Delta::content(text));
            }
            (BlockDelta::InputJsonDelta { partial_json }, Some(&mut OpenBlock::Tool(ordinal)))
                if !partial_json.is_empty() =>
            {
                let call = ToolCallDelta::arguments(ordinal, &partial_json);
                self.write(out, &Delta::tool_call(call));
            }
            (BlockDelta::ThinkingDelta { thinking }, Some(OpenBlock::Thinking { text, .. }))
                if !thinking.is_empty() =>
            {
                text.push_str(&thinking);
                self.write(out, &Delta::reasoning(thinking));
            }
            (
                BlockDelta::SignatureDelta { signature: more },
                Some(OpenBlock::Thinking { signature, .. }),
            ) => {
                signature.push_str(&more);
            }
            _ => {}
        }
    }

    /// A closed thinking block goes to the client whole, as one reasoning detail.
    fn on_block_stop(&mut self, index: u32, out: &mut Vec<u8>) {
        let detail = match self.blocks.remove(&index) {
            Some(OpenBlock::Thinking { text, signature }) => {
                self.thinking_estimate += tokens::estimate(&text);
                thinking_detail(self.details, text, signature)
            }
            Some(OpenBlock::Redacted { data }) => {
                ReasoningDetail::encrypted(ReasoningFormat::Anthropic, self.details, data)
            }
            Some(OpenBlock::Tool(_)) | None => return,
        };
        self.details = self.details.saturating_add(1);
        self.write(out, &Delta::reasoning_detail(detail));
    }

    fn openai_usage(&self) -> Usage {
        self.usage
            .to_openai(self.thinking_estimate, &self.context.model)
    }

    pub(crate) fn on_end(&mut self, _out: &mut Vec<u8>) -> Result<(), ProxyError> {
        Err(ProxyError::upstream(
            self.context.provider,
            "anthropic ended the stream before message_stop",
        ))
    }

    pub fn usage(&self) -> Option<Usage> {
        (self.usage.input_tokens.is_some() || self.usage.output_tokens.is_some())
            .then(|| self.openai_usage())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ProviderId;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn on(data: &str) -> Result<Progress, ProxyError> {
        let mut state = StreamState::new(AnswerContext {
            provider: ProviderId::Anthropic,
            model: "m".to_owned(),
            created: 0,
        });
        let event = SseEvent {
            data: data.to_owned(),
            ..SseEvent::default()
        };
        state.on_event(&event, &mut Vec::new())
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn an_event_without_the_fields_of_its_type_is_unreadable() {
        for data in [
            r#"{"type":"content_block_delta","delta":{"type":"text_delta","text":"x"}}"#,
            r#"{"type":"content_block_start","index":0}"#,
            r#"{"type":"message_start"}"#,
            r#"{"type":"error"}"#,
            r#"{"index":0}"#,
        ] {
            let error = on(data).err().map(|e| e.code().to_owned());
            assert_eq!(error.as_deref(), Some("upstream_error"), "{data}");
        }
        for data in [
            r#"{"type": "ping"}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"citations_delta","citation":{}}}"#,
            r#"{"type":"some_new_event","whatever":[1]}"#,
        ] {
            assert_eq!(on(data).ok(), Some(Progress::More), "{data}");
        }
    }
}

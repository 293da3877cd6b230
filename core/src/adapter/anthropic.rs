//! Anthropic Messages API, translated both ways.
//!
//! | quirk | handling |
//! |---|---|
//! | `system` is a top-level field | system and developer messages are lifted out, joined by a blank line |
//! | `max_tokens` is required | the client's `max_completion_tokens` / `max_tokens`, else [`DEFAULT_MAX_TOKENS`] |
//! | tool results are `tool_result` blocks in a user turn | each `tool` message becomes one; consecutive ones share a turn |
//! | turns alternate user / assistant | consecutive messages of one role are merged |
//! | tool arguments are a JSON object (`input`) | parsed from OpenAI's JSON text; streamed back as `input_json_delta` pieces |
//! | `input_tokens` excludes cache reads and writes | OpenAI's `prompt_tokens` = input + cache read + cache write; `cached_tokens` = cache read |
//! | thinking, citations, server tools | their blocks and deltas are skipped |
//! | `stop_reason` | `end_turn`/`stop_sequence`/`pause_turn` → stop, `max_tokens` → length, `tool_use` → tool_calls, `refusal` → content_filter |

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    AnswerContext, ImageRef, Piece, Progress, ProviderErrorDetails, content_pieces, parse,
    reject_unsupported, tool_arguments, write_chunk,
};
use crate::sse::{self, SseEvent};
use crate::wire::{
    ChatChunk, ChatCompletion, ChatRequest, Choice, Delta, FinishReason, FunctionCall, Message,
    Model, ModelList, ResponseMessage, Role, ToolCall, ToolCallDelta, ToolChoice, ToolChoiceMode,
    Usage,
};
use crate::{ProviderId, ProxyError};

/// The `anthropic-version` header Ferry speaks.
pub const API_VERSION: &str = "2023-06-01";

/// `max_tokens` when the client sets no limit: the largest every current model accepts.
pub const DEFAULT_MAX_TOKENS: u32 = 4096;

#[derive(Debug, Serialize)]
pub struct MessagesRequest {
    model: String,
    max_tokens: u32,
    messages: Vec<Turn>,
    #[serde(skip_serializing_if = "Option::is_none")]
    system: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    stop_sequences: Vec<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    stream: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tools: Vec<ToolDef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_choice: Option<ToolChoiceDef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<Metadata>,
}

#[derive(Debug, Serialize)]
struct Turn {
    role: &'static str,
    content: Vec<Block>,
}

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Block {
    Text {
        text: String,
    },
    Image {
        source: ImageSource,
    },
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
    ToolResult {
        tool_use_id: String,
        content: Vec<Block>,
    },
}

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ImageSource {
    Base64 { media_type: String, data: String },
    Url { url: String },
}

#[derive(Debug, Serialize)]
struct ToolDef {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    input_schema: Value,
}

#[derive(Debug, Serialize)]
struct ToolChoiceDef {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    disable_parallel_tool_use: Option<bool>,
}

#[derive(Debug, Serialize)]
struct Metadata {
    user_id: String,
}

pub fn chat_request(
    request: &ChatRequest,
    provider: ProviderId,
) -> Result<MessagesRequest, ProxyError> {
    reject_unsupported(request, provider)?;
    let mut system = Vec::new();
    let mut turns: Vec<Turn> = Vec::new();
    for message in &request.messages {
        let (role, blocks) = match message.role {
            Role::System | Role::Developer => {
                system.push(message.text_content());
                continue;
            }
            Role::User => ("user", content_blocks(message, provider)?),
            Role::Assistant => ("assistant", assistant_blocks(message, provider)?),
            Role::Tool => ("user", vec![tool_result(message, provider)?]),
        };
        if blocks.is_empty() {
            continue;
        }
        match turns.last_mut() {
            Some(last) if last.role == role => last.content.extend(blocks),
            _ => turns.push(Turn {
                role,
                content: blocks,
            }),
        }
    }
    let tools = request
        .tools
        .iter()
        .flatten()
        .map(|tool| ToolDef {
            name: tool.function.name.clone(),
            description: tool.function.description.clone(),
            input_schema: tool
                .function
                .parameters
                .clone()
                .unwrap_or_else(|| serde_json::json!({"type": "object", "properties": {}})),
        })
        .collect::<Vec<_>>();
    let tool_choice = tool_choice(request, !tools.is_empty());
    Ok(MessagesRequest {
        model: request.model.clone(),
        max_tokens: request.max_output_tokens().unwrap_or(DEFAULT_MAX_TOKENS),
        messages: turns,
        system: (!system.is_empty()).then(|| system.join("\n\n")),
        temperature: request.temperature,
        top_p: request.top_p,
        stop_sequences: request.stop_sequences(),
        stream: request.is_stream(),
        tools,
        tool_choice,
        metadata: request.user.clone().map(|user_id| Metadata { user_id }),
    })
}

fn tool_choice(request: &ChatRequest, has_tools: bool) -> Option<ToolChoiceDef> {
    let no_parallel = (request.parallel_tool_calls == Some(false)).then_some(true);
    let (kind, name) = match &request.tool_choice {
        None if no_parallel.is_some() && has_tools => ("auto", None),
        None => return None,
        Some(ToolChoice::Mode(ToolChoiceMode::Auto)) => ("auto", None),
        Some(ToolChoice::Mode(ToolChoiceMode::Required)) => ("any", None),
        Some(ToolChoice::Mode(ToolChoiceMode::None)) => ("none", None),
        Some(named @ ToolChoice::Named { .. }) => {
            ("tool", named.function_name().map(str::to_owned))
        }
    };
    Some(ToolChoiceDef {
        kind,
        name,
        disable_parallel_tool_use: no_parallel.filter(|_| kind != "none"),
    })
}

fn content_blocks(message: &Message, provider: ProviderId) -> Result<Vec<Block>, ProxyError> {
    Ok(content_pieces(message, provider)?
        .into_iter()
        .map(|piece| match piece {
            Piece::Text(text) => Block::Text {
                text: text.to_owned(),
            },
            Piece::Image(ImageRef::Inline { mime, data }) => Block::Image {
                source: ImageSource::Base64 {
                    media_type: mime.to_owned(),
                    data: data.to_owned(),
                },
            },
            Piece::Image(ImageRef::Url(url)) => Block::Image {
                source: ImageSource::Url {
                    url: url.to_owned(),
                },
            },
        })
        .collect())
}

fn assistant_blocks(message: &Message, provider: ProviderId) -> Result<Vec<Block>, ProxyError> {
    let mut blocks = content_blocks(message, provider)?;
    for call in message.tool_calls.iter().flatten() {
        blocks.push(Block::ToolUse {
            id: call.id.clone(),
            name: call.function.name.clone(),
            input: tool_arguments(call)?,
        });
    }
    Ok(blocks)
}

fn tool_result(message: &Message, provider: ProviderId) -> Result<Block, ProxyError> {
    let tool_use_id = message
        .tool_call_id
        .clone()
        .ok_or_else(|| ProxyError::invalid("a tool message needs tool_call_id"))?;
    Ok(Block::ToolResult {
        tool_use_id,
        content: content_blocks(message, provider)?,
    })
}

#[derive(Debug, Deserialize)]
struct MessagesResponse {
    id: String,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    content: Vec<ResponseBlock>,
    #[serde(default)]
    stop_reason: Option<String>,
    #[serde(default)]
    usage: AnthropicUsage,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ResponseBlock {
    Text {
        text: String,
    },
    ToolUse {
        id: String,
        name: String,
        #[serde(default)]
        input: Value,
    },
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
struct AnthropicUsage {
    #[serde(default)]
    input_tokens: Option<u64>,
    #[serde(default)]
    output_tokens: Option<u64>,
    #[serde(default)]
    cache_creation_input_tokens: Option<u64>,
    #[serde(default)]
    cache_read_input_tokens: Option<u64>,
}

impl AnthropicUsage {
    /// Later reports (`message_delta`) override what they carry.
    fn update(&mut self, later: AnthropicUsage) {
        self.input_tokens = later.input_tokens.or(self.input_tokens);
        self.output_tokens = later.output_tokens.or(self.output_tokens);
        self.cache_creation_input_tokens = later
            .cache_creation_input_tokens
            .or(self.cache_creation_input_tokens);
        self.cache_read_input_tokens = later
            .cache_read_input_tokens
            .or(self.cache_read_input_tokens);
    }

    fn to_openai(self) -> Usage {
        let cached = self.cache_read_input_tokens.unwrap_or(0);
        let prompt =
            self.input_tokens.unwrap_or(0) + cached + self.cache_creation_input_tokens.unwrap_or(0);
        Usage::new(prompt, self.output_tokens.unwrap_or(0), cached)
    }
}

fn finish_reason(stop_reason: Option<&str>) -> FinishReason {
    match stop_reason {
        Some("max_tokens" | "model_context_window_exceeded") => FinishReason::Length,
        Some("tool_use") => FinishReason::ToolCalls,
        Some("refusal") => FinishReason::ContentFilter,
        _ => FinishReason::Stop,
    }
}

pub fn chat_response(context: &AnswerContext, body: &[u8]) -> Result<ChatCompletion, ProxyError> {
    let response: MessagesResponse = parse(context.provider, body)?;
    let mut text = String::new();
    let mut calls = Vec::new();
    for block in response.content {
        match block {
            ResponseBlock::Text { text: t } => text.push_str(&t),
            ResponseBlock::ToolUse { id, name, input } => calls.push(ToolCall {
                id,
                kind: "function".to_owned(),
                function: FunctionCall {
                    name,
                    arguments: input.to_string(),
                },
            }),
            ResponseBlock::Other => {}
        }
    }
    Ok(ChatCompletion {
        id: response.id,
        object: "chat.completion".to_owned(),
        created: context.created,
        model: response.model.unwrap_or_else(|| context.model.clone()),
        choices: vec![Choice {
            index: 0,
            message: ResponseMessage {
                role: Role::Assistant,
                content: (!text.is_empty() || calls.is_empty()).then_some(text),
                tool_calls: (!calls.is_empty()).then_some(calls),
                reasoning_content: None,
                reasoning_details: None,
            },
            finish_reason: Some(finish_reason(response.stop_reason.as_deref())),
        }],
        usage: Some(response.usage.to_openai()),
        extra: Default::default(),
    })
}

pub fn models_response(provider: ProviderId, body: &[u8]) -> Result<ModelList, ProxyError> {
    #[derive(Deserialize)]
    struct List {
        data: Vec<Entry>,
    }
    #[derive(Deserialize)]
    struct Entry {
        id: String,
    }
    let list: List = parse(provider, body)?;
    Ok(ModelList::new(
        list.data
            .into_iter()
            .map(|m| Model::new(m.id, 0, provider.as_str()))
            .collect(),
    ))
}

pub fn error_details(body: &[u8]) -> Option<ProviderErrorDetails> {
    #[derive(Deserialize)]
    struct Envelope {
        error: Detail,
    }
    #[derive(Deserialize)]
    struct Detail {
        #[serde(rename = "type")]
        kind: Option<String>,
        message: Option<String>,
    }
    let Envelope { error } = serde_json::from_slice(body).ok()?;
    Some(ProviderErrorDetails {
        code: error.kind.clone(),
        kind: error.kind,
        message: error.message.unwrap_or_default(),
    })
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
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
    MessageDelta {
        #[serde(default)]
        delta: MessageDeltaBody,
        #[serde(default)]
        usage: Option<AnthropicUsage>,
    },
    MessageStop,
    Error {
        error: ErrorBody,
    },
    /// `ping`, `content_block_stop` and whatever Anthropic adds.
    #[serde(other)]
    Other,
}

#[derive(Debug, Deserialize)]
struct StartMessage {
    id: String,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    usage: AnthropicUsage,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum BlockDelta {
    TextDelta {
        text: String,
    },
    InputJsonDelta {
        partial_json: String,
    },
    #[serde(other)]
    Other,
}

#[derive(Debug, Default, Deserialize)]
struct MessageDeltaBody {
    #[serde(default)]
    stop_reason: Option<String>,
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
    /// Content-block index → OpenAI tool-call index.
    tool_calls: HashMap<u32, u32>,
}

impl StreamState {
    pub fn new(context: AnswerContext) -> Self {
        Self {
            context,
            id: String::new(),
            usage: AnthropicUsage::default(),
            tool_calls: HashMap::new(),
        }
    }

    fn chunk(&self, delta: Delta) -> ChatChunk {
        ChatChunk::delta(&self.id, self.context.created, &self.context.model, delta)
    }

    pub(crate) fn on_event(
        &mut self,
        event: &SseEvent,
        out: &mut Vec<u8>,
    ) -> Result<Progress, ProxyError> {
        let provider = self.context.provider;
        match parse::<StreamEventData>(provider, event.data.as_bytes())? {
            StreamEventData::MessageStart { message } => {
                self.id = message.id;
                if let Some(model) = message.model {
                    self.context.model = model;
                }
                self.usage.update(message.usage);
                write_chunk(out, &self.chunk(Delta::role(Role::Assistant)));
            }
            StreamEventData::ContentBlockStart {
                index,
                content_block,
            } => match content_block {
                ResponseBlock::Text { text } if !text.is_empty() => {
                    write_chunk(out, &self.chunk(Delta::content(text)));
                }
                ResponseBlock::ToolUse { id, name, .. } => {
                    // The opening `input` is always `{}`; the arguments follow as deltas.
                    let ordinal = u32::try_from(self.tool_calls.len()).unwrap_or(u32::MAX);
                    self.tool_calls.insert(index, ordinal);
                    let call = ToolCallDelta::start(ordinal, &id, &name, "");
                    write_chunk(out, &self.chunk(Delta::tool_call(call)));
                }
                ResponseBlock::Text { .. } | ResponseBlock::Other => {}
            },
            StreamEventData::ContentBlockDelta { index, delta } => match delta {
                BlockDelta::TextDelta { text } => {
                    write_chunk(out, &self.chunk(Delta::content(text)));
                }
                BlockDelta::InputJsonDelta { partial_json } => {
                    if let Some(&ordinal) = self.tool_calls.get(&index)
                        && !partial_json.is_empty()
                    {
                        let call = ToolCallDelta::arguments(ordinal, &partial_json);
                        write_chunk(out, &self.chunk(Delta::tool_call(call)));
                    }
                }
                BlockDelta::Other => {}
            },
            StreamEventData::MessageDelta { delta, usage } => {
                if let Some(usage) = usage {
                    self.usage.update(usage);
                }
                let reason = finish_reason(delta.stop_reason.as_deref());
                let chunk =
                    ChatChunk::finish(&self.id, self.context.created, &self.context.model, reason);
                write_chunk(out, &chunk);
            }
            StreamEventData::MessageStop => {
                let usage = ChatChunk::usage(
                    &self.id,
                    self.context.created,
                    &self.context.model,
                    self.usage.to_openai(),
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

    pub(crate) fn on_end(&mut self, _out: &mut Vec<u8>) -> Result<(), ProxyError> {
        Err(ProxyError::upstream(
            self.context.provider,
            "anthropic ended the stream before message_stop",
        ))
    }

    pub fn usage(&self) -> Option<Usage> {
        (self.usage.input_tokens.is_some() || self.usage.output_tokens.is_some())
            .then(|| self.usage.to_openai())
    }
}

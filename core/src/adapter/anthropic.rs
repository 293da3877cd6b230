//! Anthropic Messages API, translated both ways.
//!
//! | quirk | handling |
//! |---|---|
//! | `system` is a top-level field | system and developer messages are lifted out, joined by a blank line |
//! | `max_tokens` is required | the client's `max_completion_tokens` / `max_tokens`, else [`DEFAULT_MAX_TOKENS`] |
//! | tool results are `tool_result` blocks in a user turn | each `tool` message becomes one; consecutive ones share a turn |
//! | turns alternate user / assistant | consecutive messages of one role are merged |
//! | tool arguments are a JSON object (`input`) | parsed from OpenAI's JSON text; streamed back as `input_json_delta` pieces |
//! | `input_tokens` excludes cache reads and writes | OpenAI's `prompt_tokens` = input + cache read + cache write; `cached_tokens` = cache read, `cache_write_tokens` = cache creation |
//! | thinking (`thinking` / `redacted_thinking` blocks) | text streams as `reasoning_content`; each block, once closed, is one `reasoning_details` entry (format `anthropic-claude-v1`: `reasoning.text` with its signature, `reasoning.encrypted` for redacted data) |
//! | thinking blocks must come back, signature intact, before the turn's `tool_use` | the client's `reasoning_details` of this format become `thinking` / `redacted_thinking` blocks first in the assistant turn, in `index` order; other formats are dropped |
//! | `reasoning_effort` | `thinking.budget_tokens` ([`budget`]), `max_tokens` raised to budget + answer; none → no thinking |
//! | with thinking on, `temperature`, `top_p` and a forced `tool_choice` are refused | dropped (and listed in `dropped`); a forced choice becomes `auto` |
//! | with thinking on, the assistant turn of an unfinished tool loop must open with its thinking | a loop whose turn has none (made without thinking, or by another provider) is continued without thinking, `reasoning_effort` listed in `dropped` |
//! | no separate thinking count in older answers | `reasoning_tokens` = `output_tokens_details.thinking_tokens` when sent, else estimated from the thinking text (about 4 characters a token) |
//! | images and PDFs | `image` blocks (base64 or URL source); a `file` part with an inline PDF becomes a `document` block (base64 source, `application/pdf`, `title` = its file name); a `file_id` or another file type is refused |
//! | citations, server tools | their blocks and deltas are skipped |
//! | `stop_reason` | `end_turn`/`stop_sequence`/`pause_turn` → stop, `max_tokens` → length, `tool_use` → tool_calls, `refusal` → content_filter |

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    AnswerContext, DocumentRef, Dropped, ImageRef, PDF, Piece, ProviderErrorDetails,
    content_pieces, parse, reject_unsupported, sampling, tool_arguments, with_cost,
};
use crate::models::{ModelFacts, Reasoning};
use crate::wire::{
    ChatCompletion, ChatRequest, Choice, FinishReason, FunctionCall, Message, Model, ModelList,
    ReasoningDetail, ReasoningEffort, ReasoningFormat, ReasoningKind, ResponseMessage, Role,
    ToolCall, ToolChoice, ToolChoiceMode, Usage, UsageDetails,
};
use crate::{ProviderId, ProxyError, tokens};

mod stream;

pub use stream::StreamState;

/// The `anthropic-version` header Ferry speaks.
pub const API_VERSION: &str = "2023-06-01";

/// `max_tokens` when the client sets no limit: the largest every current model accepts.
pub const DEFAULT_MAX_TOKENS: u32 = 4096;

/// The smallest thinking budget Anthropic accepts.
pub const MIN_THINKING_BUDGET: u32 = 1024;

/// The thinking budget for an effort (`None` for no thinking).
pub fn budget(effort: ReasoningEffort) -> Option<u32> {
    match effort {
        ReasoningEffort::None => None,
        ReasoningEffort::Minimal => Some(MIN_THINKING_BUDGET),
        ReasoningEffort::Low => Some(2048),
        ReasoningEffort::Medium => Some(8192),
        ReasoningEffort::High => Some(24_576),
    }
}

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
    #[serde(skip_serializing_if = "Option::is_none")]
    thinking: Option<Thinking>,
}

#[derive(Debug, Serialize)]
struct Thinking {
    #[serde(rename = "type")]
    kind: &'static str,
    budget_tokens: u32,
}

#[derive(Debug, Serialize)]
struct Turn {
    role: &'static str,
    content: Vec<Block>,
}

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Block {
    Thinking {
        thinking: String,
        signature: String,
    },
    RedactedThinking {
        data: String,
    },
    Text {
        text: String,
    },
    Image {
        source: Source,
    },
    /// A PDF (`source` base64 with `media_type` `application/pdf`), titled by its file name.
    Document {
        source: Source,
        #[serde(skip_serializing_if = "Option::is_none")]
        title: Option<String>,
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
enum Source {
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

/// The Messages request for `request`; `facts` of its model decide the thinking control, and
/// what is left out is added to `dropped`.
pub fn chat_request(
    request: &ChatRequest,
    provider: ProviderId,
    facts: &ModelFacts,
    dropped: &mut Dropped,
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
    let mut tool_choice = tool_choice(request, !tools.is_empty());
    let answer = request.max_output_tokens().unwrap_or(DEFAULT_MAX_TOKENS);
    let budget = thinking_budget(request, facts, dropped);
    let (temperature, top_p) = sampling(request, facts.temperature && budget.is_none(), dropped);
    if let (Some(_), Some(choice)) = (budget, tool_choice.as_mut())
        && matches!(choice.kind, "any" | "tool")
    {
        // Thinking takes only `auto` or `none`.
        dropped.push("tool_choice");
        choice.kind = "auto";
        choice.name = None;
    }
    Ok(MessagesRequest {
        model: request.model.clone(),
        max_tokens: match budget {
            // Room for the thinking and the answer, within what the model can write.
            Some(budget) => budget
                .saturating_add(answer)
                .min(facts.max_output.max(budget + 1)),
            None => answer,
        },
        messages: turns,
        system: (!system.is_empty()).then(|| system.join("\n\n")),
        temperature,
        top_p,
        stop_sequences: request.stop_sequences(),
        stream: request.is_stream(),
        tools,
        tool_choice,
        metadata: request.user.clone().map(|user_id| Metadata { user_id }),
        thinking: budget.map(|budget_tokens| Thinking {
            kind: "enabled",
            budget_tokens,
        }),
    })
}

/// The thinking budget `request` asks for, if the model takes one: [`budget`] of its effort,
/// kept below the model's output limit.
fn thinking_budget(
    request: &ChatRequest,
    facts: &ModelFacts,
    dropped: &mut Dropped,
) -> Option<u32> {
    let effort = request.reasoning_effort?;
    if facts.reasoning != Reasoning::AnthropicBudget {
        dropped.push("reasoning_effort");
        return None;
    }
    let wanted = budget(effort)?;
    if unsigned_tool_loop(&request.messages) {
        dropped.push("reasoning_effort");
        return None;
    }
    let ceiling = facts
        .max_output
        .saturating_sub(MIN_THINKING_BUDGET)
        .max(MIN_THINKING_BUDGET);
    Some(wanted.min(ceiling))
}

/// Whether the request continues a tool loop whose assistant turn has no thinking of
/// Anthropic's to send back (it was made without thinking, or by another provider).
/// Anthropic refuses thinking then: the turn must open with its thinking block.
fn unsigned_tool_loop(messages: &[Message]) -> bool {
    let Some(last) = messages.iter().rposition(|m| m.role != Role::Tool) else {
        return false;
    };
    messages.get(last).is_some_and(|m| {
        m.role == Role::Assistant
            && m.tool_calls.as_ref().is_some_and(|calls| !calls.is_empty())
            && last + 1 < messages.len()
            && thinking_blocks(m).is_empty()
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
                source: Source::Base64 {
                    media_type: mime.to_owned(),
                    data: data.to_owned(),
                },
            },
            Piece::Image(ImageRef::Url(url)) => Block::Image {
                source: Source::Url {
                    url: url.to_owned(),
                },
            },
            Piece::Document(DocumentRef { name, data }) => Block::Document {
                source: Source::Base64 {
                    media_type: PDF.to_owned(),
                    data: data.to_owned(),
                },
                title: name.map(str::to_owned),
            },
        })
        .collect())
}

fn assistant_blocks(message: &Message, provider: ProviderId) -> Result<Vec<Block>, ProxyError> {
    let mut blocks = thinking_blocks(message);
    blocks.extend(content_blocks(message, provider)?);
    for call in message.tool_calls.iter().flatten() {
        blocks.push(Block::ToolUse {
            id: call.id.clone(),
            name: call.function.name.clone(),
            input: tool_arguments(call)?,
        });
    }
    Ok(blocks)
}

/// The turn's own thinking, back as Anthropic made it: details of this format, in `index`
/// order. A thinking text without its signature would be refused, so it is left out.
fn thinking_blocks(message: &Message) -> Vec<Block> {
    let mut details: Vec<&ReasoningDetail> = message
        .reasoning_details
        .iter()
        .flatten()
        .filter(|d| d.is_from(&ReasoningFormat::Anthropic))
        .collect();
    details.sort_by_key(|d| d.index.unwrap_or(u32::MAX));
    details
        .into_iter()
        .filter_map(
            |detail| match (&detail.kind, &detail.signature, &detail.data) {
                (ReasoningKind::Text, Some(signature), _) => Some(Block::Thinking {
                    thinking: detail.text.clone().unwrap_or_default(),
                    signature: signature.clone(),
                }),
                (ReasoningKind::Encrypted, _, Some(data)) => {
                    Some(Block::RedactedThinking { data: data.clone() })
                }
                _ => None,
            },
        )
        .collect()
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

#[derive(Debug)]
enum ResponseBlock {
    Text {
        text: String,
    },
    Thinking {
        thinking: String,
        signature: String,
    },
    RedactedThinking {
        data: String,
    },
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
    /// A block of a type Ferry does not translate.
    Other,
}

/// Read in one pass, every field any block may hold beside its `type` (as the stream's
/// events are): as an internally tagged enum, serde would first copy each block into a
/// buffer of its own to find the tag.
impl<'de> Deserialize<'de> for ResponseBlock {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        #[derive(Deserialize)]
        #[serde(rename_all = "snake_case")]
        enum Kind {
            Text,
            Thinking,
            RedactedThinking,
            ToolUse,
            #[serde(other)]
            Other,
        }
        #[derive(Deserialize)]
        struct Flat {
            #[serde(rename = "type")]
            kind: Kind,
            text: Option<String>,
            thinking: Option<String>,
            signature: Option<String>,
            data: Option<String>,
            id: Option<String>,
            name: Option<String>,
            input: Option<Value>,
        }
        let flat = Flat::deserialize(deserializer)?;
        let required = |field: Option<String>, name| field.ok_or(D::Error::missing_field(name));
        Ok(match flat.kind {
            Kind::Text => Self::Text {
                text: required(flat.text, "text")?,
            },
            Kind::Thinking => Self::Thinking {
                thinking: flat.thinking.unwrap_or_default(),
                signature: flat.signature.unwrap_or_default(),
            },
            Kind::RedactedThinking => Self::RedactedThinking {
                data: flat.data.unwrap_or_default(),
            },
            Kind::ToolUse => Self::ToolUse {
                id: required(flat.id, "id")?,
                name: required(flat.name, "name")?,
                input: flat.input.unwrap_or_default(),
            },
            Kind::Other => Self::Other,
        })
    }
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
    #[serde(default)]
    output_tokens_details: Option<OutputDetails>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
struct OutputDetails {
    #[serde(default)]
    thinking_tokens: Option<u64>,
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
        self.output_tokens_details = later.output_tokens_details.or(self.output_tokens_details);
    }

    /// OpenAI's usage, with `thinking_estimate` (tokens of the thinking text seen) standing in
    /// for a thinking count Anthropic did not send, and the estimated cost of `model`.
    fn to_openai(self, thinking_estimate: u64, model: &str) -> Usage {
        let cached = self.cache_read_input_tokens.unwrap_or(0);
        let written = self.cache_creation_input_tokens.unwrap_or(0);
        let output = self.output_tokens.unwrap_or(0);
        let prompt = self.input_tokens.unwrap_or(0) + cached + written;
        let mut usage = Usage::new(prompt, output, cached);
        if written > 0 {
            usage
                .prompt_tokens_details
                .get_or_insert_with(UsageDetails::default)
                .cache_write_tokens = Some(written);
        }
        let thinking = self
            .output_tokens_details
            .and_then(|d| d.thinking_tokens)
            .unwrap_or(thinking_estimate)
            .min(output);
        if thinking > 0 {
            usage.completion_tokens_details = Some(UsageDetails {
                reasoning_tokens: Some(thinking),
                ..UsageDetails::default()
            });
        }
        with_cost(ProviderId::Anthropic, model, usage)
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
    let mut thinking = String::new();
    let mut details = Vec::new();
    let mut thinking_estimate = 0;
    for block in response.content {
        match block {
            ResponseBlock::Text { text: t } => text.push_str(&t),
            ResponseBlock::Thinking {
                thinking: t,
                signature,
            } => {
                thinking_estimate += tokens::estimate(&t);
                thinking.push_str(&t);
                let index = u32::try_from(details.len()).unwrap_or(u32::MAX);
                details.push(thinking_detail(index, t, signature));
            }
            ResponseBlock::RedactedThinking { data } => {
                let index = u32::try_from(details.len()).unwrap_or(u32::MAX);
                details.push(ReasoningDetail::encrypted(
                    ReasoningFormat::Anthropic,
                    index,
                    data,
                ));
            }
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
    let model = response.model.unwrap_or_else(|| context.model.clone());
    let usage = response.usage.to_openai(thinking_estimate, &model);
    Ok(ChatCompletion {
        id: response.id,
        object: "chat.completion".to_owned(),
        created: context.created,
        model,
        choices: vec![Choice {
            index: 0,
            message: ResponseMessage {
                role: Role::Assistant,
                content: (!text.is_empty() || calls.is_empty()).then_some(text),
                tool_calls: (!calls.is_empty()).then_some(calls),
                reasoning_content: (!thinking.is_empty()).then_some(thinking),
                reasoning_details: (!details.is_empty()).then_some(details),
            },
            finish_reason: Some(finish_reason(response.stop_reason.as_deref())),
        }],
        usage: Some(usage),
        extra: Default::default(),
    })
}

/// A thinking block as a detail; an empty signature (none was sent) is none.
fn thinking_detail(index: u32, text: String, signature: String) -> ReasoningDetail {
    let signature = (!signature.is_empty()).then_some(signature);
    ReasoningDetail::text(ReasoningFormat::Anthropic, index, text, signature)
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
    let Envelope { error } = crate::json::read(body).ok()?;
    Some(ProviderErrorDetails {
        code: error.kind.clone(),
        kind: error.kind,
        message: error.message.unwrap_or_default(),
    })
}

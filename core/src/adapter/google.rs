//! Google Gemini API (`generateContent`, `streamGenerateContent?alt=sse`), translated both
//! ways.
//!
//! | quirk | handling |
//! |---|---|
//! | the model is in the path, the key in `x-goog-api-key` | `/v1beta/models/{model}:generateContent`; streams add `?alt=sse` |
//! | roles are `user` / `model`; system text is `systemInstruction` | assistant → `model`; system and developer messages lifted out |
//! | function calls have no ids | ids are made up (`call_<n>`); a `thoughtSignature` rides in the id after a `.` and goes back upstream with the call |
//! | function results are keyed by name, not id | the name is looked up from the earlier call with that id |
//! | `functionResponse.response` must be an object | JSON-object tool output is sent as is, anything else as `{"content": text}` |
//! | tool schemas | sent as `parametersJsonSchema` (full JSON Schema) |
//! | function calls arrive whole, not argument by argument | one tool-call delta with all the arguments |
//! | thought parts (`thought: true`) | streamed as `reasoning_content`; `thoughtsTokenCount` is `reasoning_tokens`, inside `completion_tokens` |
//! | `reasoning_effort` | 2.5: `thinkingConfig.thinkingBudget` ([`thinking_budget`]; none → 0 where the model can stop thinking, else its minimum); 3: `thinkingLevel` `low` / `high`; `includeThoughts: true` whenever the model thinks, effort or not |
//! | a text part's `thoughtSignature` (Gemini 3) | a `reasoning.encrypted` detail of format `google-gemini-v1`; sent back as the signature of the turn's text part (the last such detail) |
//! | `cachedContentTokenCount` | `cached_tokens` (part of `prompt_tokens`) |
//! | the stream just ends | complete only if a `finishReason` came; then usage and `[DONE]` are added |
//! | `finishReason` | `STOP` → stop (tool_calls when calls were made), `MAX_TOKENS` → length, safety reasons → content_filter |
//! | images by URL | `fileData` with a MIME type guessed from the extension |
//! | inline images and PDFs | `inlineData` with the MIME type (`application/pdf` for a `file` part, whose file name Gemini has no field for); a `file_id` or another file type is refused |

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    AnswerContext, DocumentRef, Dropped, ImageRef, PDF, Piece, ProviderErrorDetails,
    content_pieces, parse, reject_unsupported, sampling, tool_arguments, with_cost,
};
use crate::models::ModelFacts;
use crate::wire::{
    ChatCompletion, ChatRequest, Choice, Embedding, EmbeddingUsage, EmbeddingsRequest,
    EmbeddingsResponse, FinishReason, FunctionCall, Message, Model, ModelList, ReasoningDetail,
    ReasoningFormat, ReasoningKind, ResponseMessage, Role, ToolCall, ToolChoice, ToolChoiceMode,
    Usage, UsageDetails,
};
use crate::{ProviderId, ProxyError};

/// Separates a made-up call id from the thought signature it carries.
const SIGNATURE_SEPARATOR: char = '.';

mod stream;
mod thinking;

pub use stream::StreamState;
pub use thinking::{MIN_THINKING_BUDGET, thinking_budget, thinking_level};
use thinking::{ThinkingConfig, thinking_config};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerateContentRequest {
    contents: Vec<Turn>,
    #[serde(skip_serializing_if = "Option::is_none")]
    system_instruction: Option<Turn>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tools: Vec<ToolSet>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_config: Option<ToolConfig>,
    #[serde(skip_serializing_if = "GenerationConfig::is_empty")]
    generation_config: GenerationConfig,
}

#[derive(Debug, Serialize)]
struct Turn {
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'static str>,
    parts: Vec<Part>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Part {
    #[serde(flatten)]
    data: PartData,
    #[serde(skip_serializing_if = "Option::is_none")]
    thought_signature: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
enum PartData {
    Text(String),
    InlineData {
        #[serde(rename = "mimeType")]
        mime_type: String,
        data: String,
    },
    FileData {
        #[serde(rename = "mimeType")]
        mime_type: String,
        #[serde(rename = "fileUri")]
        file_uri: String,
    },
    FunctionCall {
        name: String,
        args: Value,
    },
    FunctionResponse {
        name: String,
        response: Value,
    },
}

impl From<PartData> for Part {
    fn from(data: PartData) -> Self {
        Self {
            data,
            thought_signature: None,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ToolSet {
    function_declarations: Vec<FunctionDeclaration>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct FunctionDeclaration {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parameters_json_schema: Option<Value>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ToolConfig {
    function_calling_config: FunctionCallingConfig,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct FunctionCallingConfig {
    mode: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    allowed_function_names: Vec<String>,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct GenerationConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_output_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    stop_sequences: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_mime_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_json_schema: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    thinking_config: Option<ThinkingConfig>,
}

impl GenerationConfig {
    fn is_empty(&self) -> bool {
        self.thinking_config.is_none()
            && self.temperature.is_none()
            && self.top_p.is_none()
            && self.max_output_tokens.is_none()
            && self.stop_sequences.is_empty()
            && self.response_mime_type.is_none()
            && self.response_json_schema.is_none()
    }
}

/// The `generateContent` request for `request`; `facts` of its model decide the thinking
/// control, and what is left out is added to `dropped`.
pub fn chat_request(
    request: &ChatRequest,
    provider: ProviderId,
    facts: &ModelFacts,
    dropped: &mut Dropped,
) -> Result<GenerateContentRequest, ProxyError> {
    reject_unsupported(request, provider)?;
    let mut system = Vec::new();
    let mut contents: Vec<Turn> = Vec::new();
    // Call id → function name, for the results that refer to calls by id.
    let mut call_names: HashMap<&str, &str> = HashMap::new();
    for message in &request.messages {
        let (role, parts) = match message.role {
            Role::System | Role::Developer => {
                system.push(message.text_content());
                continue;
            }
            Role::User => ("user", content_parts(message, provider)?),
            Role::Assistant => {
                let mut parts = content_parts(message, provider)?;
                sign_text_part(message, &mut parts);
                for call in message.tool_calls.iter().flatten() {
                    call_names.insert(&call.id, &call.function.name);
                    let signature = call
                        .id
                        .split_once(SIGNATURE_SEPARATOR)
                        .map(|(_, sig)| sig.to_owned());
                    parts.push(Part {
                        data: PartData::FunctionCall {
                            name: call.function.name.clone(),
                            args: tool_arguments(call)?,
                        },
                        thought_signature: signature,
                    });
                }
                ("model", parts)
            }
            Role::Tool => ("user", vec![function_response(message, &call_names)?]),
        };
        if parts.is_empty() {
            continue;
        }
        match contents.last_mut() {
            Some(last) if last.role == Some(role) => last.parts.extend(parts),
            _ => contents.push(Turn {
                role: Some(role),
                parts,
            }),
        }
    }
    let declarations: Vec<FunctionDeclaration> = request
        .tools
        .iter()
        .flatten()
        .map(|tool| FunctionDeclaration {
            name: tool.function.name.clone(),
            description: tool.function.description.clone(),
            parameters_json_schema: tool.function.parameters.clone(),
        })
        .collect();
    let tool_config = request.tool_choice.as_ref().map(|choice| {
        let (mode, allowed) = match choice {
            ToolChoice::Mode(ToolChoiceMode::Auto) => ("AUTO", Vec::new()),
            ToolChoice::Mode(ToolChoiceMode::Required) => ("ANY", Vec::new()),
            ToolChoice::Mode(ToolChoiceMode::None) => ("NONE", Vec::new()),
            ToolChoice::Named { function, .. } => ("ANY", vec![function.name.clone()]),
        };
        ToolConfig {
            function_calling_config: FunctionCallingConfig {
                mode,
                allowed_function_names: allowed,
            },
        }
    });
    let (response_mime_type, response_json_schema) = response_format(request);
    let thinking_config = thinking_config(request, facts, dropped);
    let (temperature, top_p) = sampling(request, facts.temperature, dropped);
    Ok(GenerateContentRequest {
        contents,
        system_instruction: (!system.is_empty()).then(|| Turn {
            role: None,
            parts: vec![PartData::Text(system.join("\n\n")).into()],
        }),
        tools: if declarations.is_empty() {
            Vec::new()
        } else {
            vec![ToolSet {
                function_declarations: declarations,
            }]
        },
        tool_config,
        generation_config: GenerationConfig {
            temperature,
            top_p,
            max_output_tokens: request.max_output_tokens(),
            stop_sequences: request.stop_sequences(),
            response_mime_type,
            response_json_schema,
            thinking_config,
        },
    })
}

/// Puts the turn's text signature (its last detail of Gemini's format) back on its text
/// part, where Gemini made it. Function-call signatures ride in the call ids instead.
fn sign_text_part(message: &Message, parts: &mut [Part]) {
    let signature = message
        .reasoning_details
        .iter()
        .flatten()
        .filter(|d| d.is_from(&ReasoningFormat::Google) && d.kind == ReasoningKind::Encrypted)
        .max_by_key(|d| d.index.unwrap_or(0))
        .and_then(|d| d.data.clone());
    let text_part = parts
        .iter_mut()
        .rfind(|p| matches!(p.data, PartData::Text(_)));
    if let (Some(signature), Some(part)) = (signature, text_part) {
        part.thought_signature = Some(signature);
    }
}

/// OpenAI's `response_format` as Gemini's JSON mode.
fn response_format(request: &ChatRequest) -> (Option<&'static str>, Option<Value>) {
    let Some(format) = request.extra.get("response_format") else {
        return (None, None);
    };
    match format.get("type").and_then(Value::as_str) {
        Some("json_object") => (Some("application/json"), None),
        Some("json_schema") => (
            Some("application/json"),
            format.pointer("/json_schema/schema").cloned(),
        ),
        _ => (None, None),
    }
}

fn content_parts(message: &Message, provider: ProviderId) -> Result<Vec<Part>, ProxyError> {
    Ok(content_pieces(message, provider)?
        .into_iter()
        .map(|piece| {
            match piece {
                Piece::Text(text) => PartData::Text(text.to_owned()),
                Piece::Image(ImageRef::Inline { mime, data }) => PartData::InlineData {
                    mime_type: mime.to_owned(),
                    data: data.to_owned(),
                },
                Piece::Image(ImageRef::Url(url)) => PartData::FileData {
                    mime_type: guess_image_type(url).to_owned(),
                    file_uri: url.to_owned(),
                },
                // Gemini's inline data has no file name.
                Piece::Document(DocumentRef { data, .. }) => PartData::InlineData {
                    mime_type: PDF.to_owned(),
                    data: data.to_owned(),
                },
            }
            .into()
        })
        .collect())
}

fn guess_image_type(url: &str) -> &'static str {
    let path = url
        .split(['?', '#'])
        .next()
        .unwrap_or(url)
        .to_ascii_lowercase();
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        Some("gif") => "image/gif",
        Some("heic") => "image/heic",
        Some("heif") => "image/heif",
        _ => "image/jpeg",
    }
}

fn function_response(
    message: &Message,
    call_names: &HashMap<&str, &str>,
) -> Result<Part, ProxyError> {
    let id = message
        .tool_call_id
        .as_deref()
        .ok_or_else(|| ProxyError::invalid("a tool message needs tool_call_id"))?;
    let name = call_names
        .get(id)
        .copied()
        .or(message.name.as_deref())
        .ok_or_else(|| {
            ProxyError::invalid(format!(
                "tool result '{id}' answers no earlier tool call in the conversation"
            ))
        })?;
    let text = message.text_content();
    let response = match crate::json::read::<Value>(text.as_bytes()) {
        Ok(object @ Value::Object(_)) => object,
        _ => serde_json::json!({ "content": text }),
    };
    Ok(PartData::FunctionResponse {
        name: name.to_owned(),
        response,
    }
    .into())
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GenerateContentResponse {
    #[serde(default)]
    candidates: Vec<Candidate>,
    #[serde(default)]
    usage_metadata: Option<UsageMetadata>,
    #[serde(default)]
    model_version: Option<String>,
    #[serde(default)]
    response_id: Option<String>,
    #[serde(default)]
    prompt_feedback: Option<PromptFeedback>,
    #[serde(default)]
    error: Option<ErrorDetail>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Candidate {
    #[serde(default)]
    content: Option<CandidateContent>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct CandidateContent {
    #[serde(default)]
    parts: Vec<ResponsePart>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResponsePart {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    thought: Option<bool>,
    #[serde(default)]
    function_call: Option<FunctionCallPart>,
    #[serde(default)]
    thought_signature: Option<String>,
}

#[derive(Debug, Deserialize)]
struct FunctionCallPart {
    name: String,
    #[serde(default)]
    args: Value,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PromptFeedback {
    #[serde(default)]
    block_reason: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UsageMetadata {
    #[serde(default)]
    prompt_token_count: u64,
    #[serde(default)]
    candidates_token_count: u64,
    #[serde(default)]
    cached_content_token_count: u64,
    #[serde(default)]
    thoughts_token_count: u64,
    #[serde(default)]
    tool_use_prompt_token_count: u64,
}

impl UsageMetadata {
    fn to_openai(self, model: &str) -> Usage {
        let mut usage = Usage::new(
            self.prompt_token_count + self.tool_use_prompt_token_count,
            self.candidates_token_count + self.thoughts_token_count,
            self.cached_content_token_count,
        );
        if self.thoughts_token_count > 0 {
            usage.completion_tokens_details = Some(UsageDetails {
                reasoning_tokens: Some(self.thoughts_token_count),
                ..UsageDetails::default()
            });
        }
        with_cost(ProviderId::Google, model, usage)
    }
}

#[derive(Debug, Deserialize)]
struct ErrorDetail {
    #[serde(default)]
    message: String,
    #[serde(default)]
    status: Option<String>,
}

fn finish_reason(reason: &str, made_calls: bool) -> FinishReason {
    match reason {
        "MAX_TOKENS" => FinishReason::Length,
        "SAFETY" | "RECITATION" | "BLOCKLIST" | "PROHIBITED_CONTENT" | "SPII" | "IMAGE_SAFETY" => {
            FinishReason::ContentFilter
        }
        _ if made_calls => FinishReason::ToolCalls,
        _ => FinishReason::Stop,
    }
}

/// The OpenAI id of the `ordinal`-th call, carrying the signature Gemini wants back.
fn call_id(ordinal: usize, signature: Option<&str>) -> String {
    match signature {
        Some(sig) => format!("call_{ordinal}{SIGNATURE_SEPARATOR}{sig}"),
        None => format!("call_{ordinal}"),
    }
}

pub fn chat_response(context: &AnswerContext, body: &[u8]) -> Result<ChatCompletion, ProxyError> {
    let response: GenerateContentResponse = parse(context.provider, body)?;
    if let Some(error) = response.error {
        return Err(ProxyError::upstream(context.provider, error.message));
    }
    let mut text = String::new();
    let mut calls = Vec::new();
    let mut thinking = String::new();
    let mut details = Vec::new();
    let candidate = response.candidates.into_iter().next();
    let reason = candidate.as_ref().and_then(|c| c.finish_reason.clone());
    for part in candidate
        .and_then(|c| c.content)
        .map(|c| c.parts)
        .unwrap_or_default()
    {
        if part.thought == Some(true) {
            thinking.push_str(part.text.as_deref().unwrap_or_default());
            continue;
        }
        if let Some(detail) = text_signature(&part, details.len()) {
            details.push(detail);
        }
        if let Some(t) = part.text {
            text.push_str(&t);
        }
        if let Some(call) = part.function_call {
            calls.push(ToolCall {
                id: call_id(calls.len(), part.thought_signature.as_deref()),
                kind: "function".to_owned(),
                function: FunctionCall {
                    name: call.name,
                    arguments: call.args.to_string(),
                },
            });
        }
    }
    let blocked = response
        .prompt_feedback
        .and_then(|f| f.block_reason)
        .is_some();
    let finish = match reason {
        Some(reason) => finish_reason(&reason, !calls.is_empty()),
        None if blocked => FinishReason::ContentFilter,
        None => FinishReason::Stop,
    };
    let model = response
        .model_version
        .unwrap_or_else(|| context.model.clone());
    let usage = response.usage_metadata.map(|u| u.to_openai(&model));
    Ok(ChatCompletion {
        id: response
            .response_id
            .unwrap_or_else(|| "chatcmpl-gemini".to_owned()),
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
            finish_reason: Some(finish),
        }],
        usage,
        extra: Default::default(),
    })
}

/// The signature on a part other than a thought or a function call (whose signature rides in
/// its id), as the `index`-th detail.
fn text_signature(part: &ResponsePart, index: usize) -> Option<ReasoningDetail> {
    if part.thought == Some(true) || part.function_call.is_some() {
        return None;
    }
    let signature = part.thought_signature.as_ref()?;
    let index = u32::try_from(index).unwrap_or(u32::MAX);
    Some(ReasoningDetail::encrypted(
        ReasoningFormat::Google,
        index,
        signature.clone(),
    ))
}

pub fn models_response(provider: ProviderId, body: &[u8]) -> Result<ModelList, ProxyError> {
    #[derive(Deserialize)]
    struct List {
        #[serde(default)]
        models: Vec<Entry>,
    }
    #[derive(Deserialize)]
    struct Entry {
        name: String,
    }
    let list: List = parse(provider, body)?;
    Ok(ModelList::new(
        list.models
            .into_iter()
            .map(|m| {
                let id = m.name.strip_prefix("models/").unwrap_or(&m.name).to_owned();
                Model::new(id, 0, provider.as_str())
            })
            .collect(),
    ))
}

/// `{base}/v1beta/models/{model}:{method}` with the model as one percent-encoded path
/// segment: a `?`, `#`, `/` or `..` in a client's model name must not reshape the URL
/// (add a query, cut it short, or climb to another endpoint of the API).
pub fn model_url(base: &str, model: &str, method: &str) -> String {
    let mut url = String::with_capacity(base.len() + model.len() + method.len() + 20);
    url.push_str(base);
    url.push_str("/v1beta/models/");
    encode_segment(model, &mut url);
    url.push(':');
    url.push_str(method);
    url
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode_segment(segment: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xf)]));
        }
    }
}

#[derive(Debug, Serialize)]
pub struct BatchEmbedRequest {
    requests: Vec<EmbedRequest>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct EmbedRequest {
    model: String,
    content: Turn,
    #[serde(skip_serializing_if = "Option::is_none")]
    output_dimensionality: Option<u32>,
}

pub fn embeddings_request(request: &EmbeddingsRequest) -> Result<BatchEmbedRequest, ProxyError> {
    let texts = request
        .input
        .texts()
        .ok_or_else(|| ProxyError::invalid("google embeddings take text input, not tokens"))?;
    Ok(BatchEmbedRequest {
        requests: texts
            .into_iter()
            .map(|text| EmbedRequest {
                model: format!("models/{}", request.model),
                content: Turn {
                    role: None,
                    parts: vec![PartData::Text(text.to_owned()).into()],
                },
                output_dimensionality: request.dimensions,
            })
            .collect(),
    })
}

pub fn embeddings_response(
    context: &AnswerContext,
    body: &[u8],
) -> Result<EmbeddingsResponse, ProxyError> {
    #[derive(Deserialize)]
    struct Batch {
        #[serde(default)]
        embeddings: Vec<Values>,
    }
    #[derive(Deserialize)]
    struct Values {
        values: Vec<f64>,
    }
    let batch: Batch = parse(context.provider, body)?;
    Ok(EmbeddingsResponse {
        object: "list".to_owned(),
        data: batch
            .embeddings
            .into_iter()
            .zip(0u32..)
            .map(|(e, index)| Embedding {
                object: "embedding".to_owned(),
                index,
                embedding: e.values,
            })
            .collect(),
        model: context.model.clone(),
        // Gemini does not report token counts for embeddings.
        usage: EmbeddingUsage::default(),
    })
}

pub fn error_details(body: &[u8]) -> Option<ProviderErrorDetails> {
    #[derive(Deserialize)]
    struct Envelope {
        error: ErrorDetail,
    }
    let Envelope { error } = crate::json::read(body).ok()?;
    Some(ProviderErrorDetails {
        code: error.status.as_deref().map(str::to_ascii_lowercase),
        kind: error.status,
        message: error.message,
    })
}

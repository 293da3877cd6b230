//! Chat Completions request and (non-streaming) response.

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Extra, ReasoningDetail, ReasoningEffort, text_or_list};

/// `POST /v1/chat/completions` body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChatRequest {
    pub model: String,
    pub messages: Vec<Message>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<StreamOptions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_completion_tokens: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<Stop>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Tool>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallel_tool_calls: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// How hard a reasoning model should think; each adapter maps it to the provider's control.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_effort: Option<ReasoningEffort>,
    #[serde(flatten)]
    pub extra: Extra,
}

deserialize_with_extra!(
    ChatRequest,
    "a chat completion request",
    required {
        model: "model",
        messages: "messages"
    },
    optional {
        stream: "stream",
        stream_options: "stream_options",
        max_tokens: "max_tokens",
        max_completion_tokens: "max_completion_tokens",
        temperature: "temperature",
        top_p: "top_p",
        stop: "stop",
        tools: "tools",
        tool_choice: "tool_choice",
        parallel_tool_calls: "parallel_tool_calls",
        user: "user",
        reasoning_effort: "reasoning_effort",
    },
);

impl ChatRequest {
    /// A request of `messages` to `model`, every option left to the provider's default.
    pub fn new(model: impl Into<String>, messages: Vec<Message>) -> Self {
        Self {
            model: model.into(),
            messages,
            stream: None,
            stream_options: None,
            max_tokens: None,
            max_completion_tokens: None,
            temperature: None,
            top_p: None,
            stop: None,
            tools: None,
            tool_choice: None,
            parallel_tool_calls: None,
            user: None,
            reasoning_effort: None,
            extra: Extra::new(),
        }
    }

    /// Whether the client asked for a streamed answer.
    pub fn is_stream(&self) -> bool {
        self.stream == Some(true)
    }

    /// The answer-length limit, whichever of the two OpenAI spellings was used.
    pub fn max_output_tokens(&self) -> Option<u32> {
        self.max_completion_tokens.or(self.max_tokens)
    }

    /// The stop sequences as a list.
    pub fn stop_sequences(&self) -> Vec<String> {
        match &self.stop {
            None => Vec::new(),
            Some(Stop::One(s)) => vec![s.clone()],
            Some(Stop::Many(v)) => v.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StreamOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_usage: Option<bool>,
    #[serde(flatten)]
    pub extra: Extra,
}

deserialize_with_extra!(
    StreamOptions,
    "stream options",
    required {},
    optional {
        include_usage: "include_usage"
    },
);

/// One stop sequence or several. Read by hand, as the other values of more than one shape
/// here: serde's untagged enum buffers the value first and then tries each variant.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Stop {
    One(String),
    Many(Vec<String>),
}

impl<'de> Deserialize<'de> for Stop {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        text_or_list(
            deserializer,
            "a stop sequence or a list of them",
            Stop::One,
            Stop::Many,
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    Developer,
    User,
    Assistant,
    Tool,
}

/// One message of the conversation. A flat struct rather than an enum per role, so that
/// unknown fields survive and a message the client built loosely still parses.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Content>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCall>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    /// An assistant turn's thinking text, for display (DeepSeek's and vLLM's field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<String>,
    /// The opaque parts of an assistant turn's thinking, which the client sends back
    /// unchanged so the provider that made them gets them on the next turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_details: Option<Vec<ReasoningDetail>>,
    #[serde(flatten)]
    pub extra: Extra,
}

deserialize_with_extra!(
    Message,
    "a chat message",
    required { role: "role" },
    optional {
        content: "content",
        name: "name",
        tool_calls: "tool_calls",
        tool_call_id: "tool_call_id",
        reasoning_content: "reasoning_content",
        reasoning_details: "reasoning_details",
    },
);

impl Message {
    /// A message with plain text content and nothing else.
    pub fn text(role: Role, text: impl Into<String>) -> Self {
        Self {
            role,
            content: Some(Content::Text(text.into())),
            name: None,
            tool_calls: None,
            tool_call_id: None,
            reasoning_content: None,
            reasoning_details: None,
            extra: Extra::new(),
        }
    }

    /// The text parts of the content, joined; images and unknown parts are skipped.
    pub fn text_content(&self) -> String {
        match &self.content {
            None => String::new(),
            Some(Content::Text(t)) => t.clone(),
            Some(Content::Parts(parts)) => parts
                .iter()
                .filter_map(|p| match p {
                    ContentPart::Text { text } => Some(text.as_str()),
                    _ => None,
                })
                .collect::<Vec<_>>()
                .join(""),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Content {
    Text(String),
    Parts(Vec<ContentPart>),
}

impl<'de> Deserialize<'de> for Content {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        text_or_list(
            deserializer,
            "text or a list of content parts",
            Content::Text,
            Content::Parts,
        )
    }
}

/// A part of multi-part content. Parts of a type Ferry does not translate are kept raw,
/// which OpenAI-format providers receive unchanged; so is a part of a known type whose
/// fields do not read as that type.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentPart {
    Text {
        text: String,
    },
    ImageUrl {
        image_url: ImageUrl,
    },
    /// A document (a PDF), inline as a data URL: OpenAI's `file` part.
    File {
        file: FileRef,
    },
    #[serde(untagged)]
    Other(Value),
}

impl<'de> Deserialize<'de> for ContentPart {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Value::deserialize(deserializer)?;
        Ok(ContentPart::read(&raw).unwrap_or(ContentPart::Other(raw)))
    }
}

impl ContentPart {
    /// A part of a type Ferry translates, if `raw` is one.
    fn read(raw: &Value) -> Option<Self> {
        let field = |name| raw.get(name);
        match field("type")?.as_str()? {
            "text" => Some(Self::Text {
                text: field("text")?.as_str()?.to_owned(),
            }),
            "image_url" => Some(Self::ImageUrl {
                image_url: ImageUrl::deserialize(field("image_url")?).ok()?,
            }),
            "file" => Some(Self::File {
                file: FileRef::deserialize(field("file")?).ok()?,
            }),
            _ => None,
        }
    }
}

/// The `file` of a `file` part: inline bytes as a `data:<mime>;base64,` URL with a file
/// name, or the id of a file uploaded to the provider.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileRef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_id: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

deserialize_with_extra!(
    FileRef,
    "a file reference",
    required {},
    optional {
        filename: "filename",
        file_data: "file_data",
        file_id: "file_id"
    },
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageUrl {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    #[serde(rename = "type")]
    pub kind: String,
    pub function: FunctionDef,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunctionDef {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
    #[serde(flatten)]
    pub extra: Extra,
}

deserialize_with_extra!(
    FunctionDef,
    "a function definition",
    required { name: "name" },
    optional {
        description: "description",
        parameters: "parameters"
    },
);

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ToolChoice {
    Mode(ToolChoiceMode),
    Named {
        #[serde(rename = "type")]
        kind: String,
        function: NamedFunction,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ToolChoiceMode {
    None,
    Auto,
    Required,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedFunction {
    pub name: String,
}

impl<'de> Deserialize<'de> for ToolChoice {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        /// `{"type":"function","function":{"name":…}}`; other fields are ignored.
        #[derive(Deserialize)]
        struct Named {
            #[serde(rename = "type")]
            kind: String,
            function: NamedFunction,
        }
        struct ModeOrNamed;
        impl<'de> Visitor<'de> for ModeOrNamed {
            type Value = ToolChoice;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(r#""none", "auto", "required" or a named function"#)
            }
            fn visit_str<E: de::Error>(self, mode: &str) -> Result<ToolChoice, E> {
                ToolChoiceMode::deserialize(de::value::StrDeserializer::<E>::new(mode))
                    .map(ToolChoice::Mode)
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<ToolChoice, A::Error> {
                let Named { kind, function } =
                    Named::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(ToolChoice::Named { kind, function })
            }
        }
        deserializer.deserialize_any(ModeOrNamed)
    }
}

impl ToolChoice {
    /// The forced function's name, for `{"type":"function","function":{"name":…}}`.
    pub fn function_name(&self) -> Option<&str> {
        match self {
            Self::Named { function, .. } => Some(&function.name),
            Self::Mode(_) => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    pub id: String,
    #[serde(rename = "type", default = "function_kind")]
    pub kind: String,
    pub function: FunctionCall,
}

fn function_kind() -> String {
    "function".to_owned()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionCall {
    pub name: String,
    /// JSON text, as OpenAI sends it.
    #[serde(default)]
    pub arguments: String,
}

/// Non-streaming answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChatCompletion {
    pub id: String,
    pub object: String,
    pub created: u64,
    pub model: String,
    pub choices: Vec<Choice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    #[serde(flatten)]
    pub extra: Extra,
}

deserialize_with_extra!(
    ChatCompletion,
    "a chat completion",
    required {
        id: "id",
        object: "object",
        created: "created",
        model: "model",
        choices: "choices",
    },
    optional { usage: "usage" },
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    pub index: u32,
    pub message: ResponseMessage,
    pub finish_reason: Option<FinishReason>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseMessage {
    pub role: Role,
    pub content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCall>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_details: Option<Vec<ReasoningDetail>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    Stop,
    Length,
    ToolCalls,
    ContentFilter,
    FunctionCall,
}

/// Token usage. `prompt_tokens` includes cached and cache-write tokens, as OpenAI counts
/// them; `completion_tokens` includes reasoning tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_tokens_details: Option<UsageDetails>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_tokens_details: Option<UsageDetails>,
    /// The call's estimated cost in USD (OpenRouter's field), where the price is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<f64>,
}

/// The breakdowns OpenAI reports; only the fields Ferry accounts for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageDetails {
    /// Input read from the provider's cache (in `prompt_tokens_details`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_tokens: Option<u64>,
    /// Thinking (in `completion_tokens_details`); estimated for Anthropic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_tokens: Option<u64>,
    /// Input written to the provider's cache (in `prompt_tokens_details`, OpenRouter's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write_tokens: Option<u64>,
}

impl Usage {
    /// Usage from input, output and cached-input counts (cached is part of input).
    pub fn new(prompt_tokens: u64, completion_tokens: u64, cached_tokens: u64) -> Self {
        Self {
            prompt_tokens,
            completion_tokens,
            total_tokens: prompt_tokens + completion_tokens,
            prompt_tokens_details: (cached_tokens > 0).then_some(UsageDetails {
                cached_tokens: Some(cached_tokens),
                ..UsageDetails::default()
            }),
            completion_tokens_details: None,
            cost: None,
        }
    }

    /// Input tokens written to the cache, zero when not reported.
    pub fn cache_write_tokens(&self) -> u64 {
        self.prompt_tokens_details
            .and_then(|d| d.cache_write_tokens)
            .unwrap_or(0)
    }

    /// Reasoning tokens (part of `completion_tokens`), zero when not reported.
    pub fn reasoning_tokens(&self) -> u64 {
        self.completion_tokens_details
            .and_then(|d| d.reasoning_tokens)
            .unwrap_or(0)
    }

    /// Cached input tokens, zero when not reported.
    pub fn cached_tokens(&self) -> u64 {
        self.prompt_tokens_details
            .and_then(|d| d.cached_tokens)
            .unwrap_or(0)
    }
}

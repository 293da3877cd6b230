//! `chat.completion.chunk`: one event of a streamed answer.

use serde::{Deserialize, Serialize};

use super::{FinishReason, ReasoningDetail, Role, Usage};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatChunk {
    pub id: String,
    pub object: String,
    pub created: u64,
    pub model: String,
    pub choices: Vec<ChunkChoice>,
    /// Present (and `choices` empty) only in the last chunk, when usage was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
}

impl ChatChunk {
    pub const OBJECT: &'static str = "chat.completion.chunk";

    /// A chunk with a single choice carrying `delta`.
    pub fn delta(id: &str, created: u64, model: &str, delta: Delta) -> Self {
        Self {
            id: id.to_owned(),
            object: Self::OBJECT.to_owned(),
            created,
            model: model.to_owned(),
            choices: vec![ChunkChoice {
                index: 0,
                delta,
                finish_reason: None,
            }],
            usage: None,
        }
    }

    /// The closing chunk of a choice: empty delta, a finish reason.
    pub fn finish(id: &str, created: u64, model: &str, reason: FinishReason) -> Self {
        let mut chunk = Self::delta(id, created, model, Delta::default());
        if let Some(choice) = chunk.choices.first_mut() {
            choice.finish_reason = Some(reason);
        }
        chunk
    }

    /// The usage chunk that ends a stream: no choices.
    pub fn usage(id: &str, created: u64, model: &str, usage: Usage) -> Self {
        Self {
            id: id.to_owned(),
            object: Self::OBJECT.to_owned(),
            created,
            model: model.to_owned(),
            choices: Vec::new(),
            usage: Some(usage),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChunkChoice {
    pub index: u32,
    pub delta: Delta,
    pub finish_reason: Option<FinishReason>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Delta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCallDelta>>,
    /// More thinking text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<String>,
    /// Opaque thinking parts: entries of one `index` across chunks are one detail
    /// (see [`crate::wire::merge_reasoning_details`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_details: Option<Vec<ReasoningDetail>>,
}

impl Delta {
    pub fn role(role: Role) -> Self {
        Self {
            role: Some(role),
            content: Some(String::new()),
            ..Self::default()
        }
    }

    pub fn reasoning(text: impl Into<String>) -> Self {
        Self {
            reasoning_content: Some(text.into()),
            ..Self::default()
        }
    }

    pub fn reasoning_detail(detail: ReasoningDetail) -> Self {
        Self {
            reasoning_details: Some(vec![detail]),
            ..Self::default()
        }
    }

    pub fn content(text: impl Into<String>) -> Self {
        Self {
            content: Some(text.into()),
            ..Self::default()
        }
    }

    pub fn tool_call(call: ToolCallDelta) -> Self {
        Self {
            tool_calls: Some(vec![call]),
            ..Self::default()
        }
    }
}

/// A piece of one tool call: the first piece carries `id` and the name, later ones only
/// more `arguments` text for the same `index`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCallDelta {
    pub index: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<FunctionCallDelta>,
}

impl ToolCallDelta {
    /// The opening piece of a call.
    pub fn start(index: u32, id: &str, name: &str, arguments: &str) -> Self {
        Self {
            index,
            id: Some(id.to_owned()),
            kind: Some("function".to_owned()),
            function: Some(FunctionCallDelta {
                name: Some(name.to_owned()),
                arguments: Some(arguments.to_owned()),
            }),
        }
    }

    /// A later piece: more argument text.
    pub fn arguments(index: u32, fragment: &str) -> Self {
        Self {
            index,
            id: None,
            kind: None,
            function: Some(FunctionCallDelta {
                name: None,
                arguments: Some(fragment.to_owned()),
            }),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionCallDelta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<String>,
}

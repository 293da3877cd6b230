//! Embeddings request and response.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Extra;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmbeddingsRequest {
    pub model: String,
    pub input: EmbeddingInput,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimensions: Option<u32>,
    #[serde(flatten)]
    pub extra: Extra,
}

deserialize_with_extra!(
    EmbeddingsRequest,
    "an embeddings request",
    required {
        model: "model",
        input: "input"
    },
    optional {
        dimensions: "dimensions"
    },
);

/// Text or texts to embed; token arrays are passed through to OpenAI-format providers only.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum EmbeddingInput {
    One(String),
    Many(Vec<String>),
    Tokens(Value),
}

/// Read by hand: a string, a list of strings, or anything else as tokens (serde's untagged
/// enum would buffer the value first).
impl<'de> Deserialize<'de> for EmbeddingInput {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Value::deserialize(deserializer)? {
            Value::String(text) => Self::One(text),
            Value::Array(items) if items.iter().all(Value::is_string) => Self::Many(
                items
                    .into_iter()
                    .filter_map(|item| match item {
                        Value::String(text) => Some(text),
                        _ => None,
                    })
                    .collect(),
            ),
            tokens => Self::Tokens(tokens),
        })
    }
}

impl EmbeddingInput {
    /// The texts, or `None` for token input.
    pub fn texts(&self) -> Option<Vec<&str>> {
        match self {
            Self::One(s) => Some(vec![s.as_str()]),
            Self::Many(v) => Some(v.iter().map(String::as_str).collect()),
            Self::Tokens(_) => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingsResponse {
    pub object: String,
    pub data: Vec<Embedding>,
    pub model: String,
    pub usage: EmbeddingUsage,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Embedding {
    pub object: String,
    pub index: u32,
    pub embedding: Vec<f64>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbeddingUsage {
    pub prompt_tokens: u64,
    pub total_tokens: u64,
}

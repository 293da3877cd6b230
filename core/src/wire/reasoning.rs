//! Reasoning on the wire: the effort a client asks for, and the opaque parts of a model's
//! thinking that must go back to the provider that made them.
//!
//! Ferry carries those parts in OpenRouter's `reasoning_details` shape: provider-neutral,
//! each entry says which provider made it (`format`), and OpenRouter passes it through
//! natively.
//!
//! ```json
//! {"type":"reasoning.text","text":"…","signature":"…","format":"anthropic-claude-v1","index":0}
//! {"type":"reasoning.encrypted","data":"…","format":"google-gemini-v1","index":1}
//! {"type":"reasoning.summary","summary":"…","format":"openai-responses-v1","index":0}
//! ```
//!
//! In a stream, entries with the same `index` across chunks are one detail: their strings
//! (`text`, `summary`, `data`) are appended, other fields set ([`merge_reasoning_details`]).
//! Ferry's own translators send each detail complete, once, when its block closes;
//! OpenRouter sends fragments.

use serde::{Deserialize, Serialize};

use super::Extra;

/// OpenAI's `reasoning_effort`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReasoningEffort {
    None,
    Minimal,
    Low,
    Medium,
    High,
}

impl ReasoningEffort {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Minimal => "minimal",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        }
    }
}

/// What a [`ReasoningDetail`] holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ReasoningKind {
    /// Thinking text, with the provider's signature over it when it gives one.
    #[serde(rename = "reasoning.text")]
    Text,
    /// Thinking the client cannot read (Anthropic's redacted thinking, Gemini's signature).
    #[serde(rename = "reasoning.encrypted")]
    Encrypted,
    /// A summary of the thinking.
    #[serde(rename = "reasoning.summary")]
    Summary,
    /// A type Ferry does not know, kept as it came.
    #[serde(untagged)]
    Other(String),
}

/// Which provider made a [`ReasoningDetail`], and so which one it may go back to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ReasoningFormat {
    #[serde(rename = "anthropic-claude-v1")]
    Anthropic,
    #[serde(rename = "google-gemini-v1")]
    Google,
    /// Any other (`openai-responses-v1`, `unknown`, …), kept as it came.
    #[serde(untagged)]
    Other(String),
}

// Both read by hand: a name Ferry does not know is kept as it came (serde's untagged
// variant would buffer the value first).
impl<'de> Deserialize<'de> for ReasoningKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Ok(match name.as_str() {
            "reasoning.text" => Self::Text,
            "reasoning.encrypted" => Self::Encrypted,
            "reasoning.summary" => Self::Summary,
            _ => Self::Other(name),
        })
    }
}

impl<'de> Deserialize<'de> for ReasoningFormat {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Ok(match name.as_str() {
            "anthropic-claude-v1" => Self::Anthropic,
            "google-gemini-v1" => Self::Google,
            _ => Self::Other(name),
        })
    }
}

/// One opaque part of a model's thinking (OpenRouter's `reasoning_details` entry). Fields
/// Ferry does not know are kept in `extra`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReasoningDetail {
    #[serde(rename = "type")]
    pub kind: ReasoningKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<ReasoningFormat>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
    #[serde(flatten)]
    pub extra: Extra,
}

deserialize_with_extra!(
    ReasoningDetail,
    "a reasoning detail",
    required { kind: "type" },
    optional {
        text: "text",
        signature: "signature",
        data: "data",
        summary: "summary",
        format: "format",
        index: "index",
    },
);

impl ReasoningDetail {
    fn new(kind: ReasoningKind, format: ReasoningFormat, index: u32) -> Self {
        Self {
            kind,
            text: None,
            signature: None,
            data: None,
            summary: None,
            format: Some(format),
            index: Some(index),
            extra: Extra::new(),
        }
    }

    /// Thinking text and its signature.
    pub fn text(
        format: ReasoningFormat,
        index: u32,
        text: impl Into<String>,
        signature: Option<String>,
    ) -> Self {
        Self {
            text: Some(text.into()),
            signature,
            ..Self::new(ReasoningKind::Text, format, index)
        }
    }

    /// Opaque data.
    pub fn encrypted(format: ReasoningFormat, index: u32, data: impl Into<String>) -> Self {
        Self {
            data: Some(data.into()),
            ..Self::new(ReasoningKind::Encrypted, format, index)
        }
    }

    /// Whether `format` made this detail.
    pub fn is_from(&self, format: &ReasoningFormat) -> bool {
        self.format.as_ref() == Some(format)
    }
}

/// Folds streamed `fragments` into `details`: a fragment with the `index` of a detail
/// already there extends it (strings appended, other fields set); any other is added.
pub fn merge_reasoning_details(details: &mut Vec<ReasoningDetail>, fragments: &[ReasoningDetail]) {
    for fragment in fragments {
        let same = fragment
            .index
            .and_then(|index| details.iter_mut().find(|d| d.index == Some(index)));
        let Some(detail) = same else {
            details.push(fragment.clone());
            continue;
        };
        append(&mut detail.text, fragment.text.as_deref());
        append(&mut detail.summary, fragment.summary.as_deref());
        append(&mut detail.data, fragment.data.as_deref());
        detail.kind = fragment.kind.clone();
        if fragment.signature.is_some() {
            detail.signature.clone_from(&fragment.signature);
        }
        if fragment.format.is_some() {
            detail.format.clone_from(&fragment.format);
        }
        for (key, value) in &fragment.extra {
            detail.extra.insert(key.clone(), value.clone());
        }
    }
}

fn append(into: &mut Option<String>, more: Option<&str>) {
    if let Some(more) = more {
        into.get_or_insert_with(String::new).push_str(more);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn details(json: &str) -> Vec<ReasoningDetail> {
        serde_json::from_str(json).unwrap_or_default()
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn details_round_trip_known_and_unknown_types() {
        let json = r#"[{"type":"reasoning.text","text":"Let me think","signature":"c2ln","format":"anthropic-claude-v1","index":0},{"type":"reasoning.encrypted","data":"ZGF0YQ==","format":"google-gemini-v1","index":1},{"type":"reasoning.summary","summary":"S","format":"openai-responses-v1","index":2,"id":"rs_1"},{"type":"reasoning.future","blob":[1,2],"format":"unknown"}]"#;
        let parsed = details(json);
        assert_eq!(parsed.len(), 4);
        assert_eq!(
            parsed.first(),
            Some(&ReasoningDetail::text(
                ReasoningFormat::Anthropic,
                0,
                "Let me think",
                Some("c2ln".to_owned())
            ))
        );
        assert_eq!(
            parsed.get(1),
            Some(&ReasoningDetail::encrypted(
                ReasoningFormat::Google,
                1,
                "ZGF0YQ=="
            ))
        );
        assert_eq!(
            parsed.get(3).map(|d| &d.kind),
            Some(&ReasoningKind::Other("reasoning.future".to_owned()))
        );
        let back: serde_json::Value =
            serde_json::from_str(&serde_json::to_string(&parsed).unwrap_or_default())
                .unwrap_or_default();
        let original: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
        assert_eq!(back, original);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn fragments_of_one_index_are_one_detail() {
        let mut merged = Vec::new();
        for fragment in [
            r#"[{"type":"reasoning.text","text":"Let ","format":"anthropic-claude-v1","index":0}]"#,
            r#"[{"type":"reasoning.text","text":"me think","index":0}]"#,
            r#"[{"type":"reasoning.text","text":"","signature":"c2ln","index":0},{"type":"reasoning.encrypted","data":"AB","format":"anthropic-claude-v1","index":1}]"#,
            r#"[{"type":"reasoning.encrypted","data":"CD","index":1}]"#,
        ] {
            merge_reasoning_details(&mut merged, &details(fragment));
        }
        assert_eq!(
            merged,
            vec![
                ReasoningDetail::text(
                    ReasoningFormat::Anthropic,
                    0,
                    "Let me think",
                    Some("c2ln".to_owned())
                ),
                ReasoningDetail::encrypted(ReasoningFormat::Anthropic, 1, "ABCD"),
            ]
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn efforts_are_lowercase_and_unknown_ones_refused() {
        for effort in [
            ReasoningEffort::None,
            ReasoningEffort::Minimal,
            ReasoningEffort::Low,
            ReasoningEffort::Medium,
            ReasoningEffort::High,
        ] {
            let json = format!("\"{}\"", effort.as_str());
            assert_eq!(
                serde_json::from_str::<ReasoningEffort>(&json).ok(),
                Some(effort)
            );
        }
        assert!(serde_json::from_str::<ReasoningEffort>("\"max\"").is_err());
    }
}

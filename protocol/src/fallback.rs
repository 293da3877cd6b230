//! Fallback chains as the app sees them: the models a chat falls back to, in order, and
//! which one wrote an answer and why those before it were passed over.

use ferry_core::ProviderId;
use serde::{Deserialize, Serialize};

/// One link of a fallback chain: a model at a provider.
///
/// JSON: `{"provider":"anthropic","model":"claude-sonnet-4-5"}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ModelRef {
    pub provider: ProviderId,
    /// Empty: the provider's current default model.
    #[serde(default)]
    pub model: String,
}

impl ModelRef {
    /// The links of a stored chain (settings, a chat, an export) that this version can
    /// use: a link that does not read (a service a newer Ferry knows, a damaged record) is
    /// left out rather than failing the record that holds it. For
    /// `#[serde(deserialize_with)]`.
    pub fn known_links<'de, D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<Self>, D::Error> {
        let raw = Vec::<serde_json::Value>::deserialize(deserializer)?;
        Ok(raw
            .into_iter()
            .filter_map(|link| serde_json::from_value(link).ok())
            .collect())
    }

    /// [`ModelRef::known_links`] for a chain that may be absent (`null`: the default).
    pub fn known_links_if_any<'de, D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Vec<Self>>, D::Error> {
        let raw = Option::<Vec<serde_json::Value>>::deserialize(deserializer)?;
        Ok(raw.map(|links| {
            links
                .into_iter()
                .filter_map(|link| serde_json::from_value(link).ok())
                .collect()
        }))
    }
}

/// A link passed over before an answer came: the model, and why in words the app shows
/// ("503: overloaded", "timed out: no answer in 60 s", "no key").
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Skipped {
    pub provider: ProviderId,
    pub model: String,
    pub reason: String,
}

/// Which model wrote an answer, and the links passed over before it (in chain order).
/// Only on answers of a chat whose chain had more than one link.
///
/// JSON: `{"provider":"mistral","model":"mistral-small","skipped":[{"provider","model","reason"}]}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AnsweredBy {
    pub provider: ProviderId,
    pub model: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<Skipped>,
}

/// What the agent waits for a model's first answer before it counts the call as timed
/// out, by default (the setting `first_answer_timeout_secs`).
pub const DEFAULT_FIRST_ANSWER_TIMEOUT_SECS: u64 = 60;

pub(crate) fn default_first_answer_timeout_secs() -> u64 {
    DEFAULT_FIRST_ANSWER_TIMEOUT_SECS
}

pub(crate) fn is_default_timeout(secs: &u64) -> bool {
    *secs == DEFAULT_FIRST_ANSWER_TIMEOUT_SECS
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Command, Event};
    use serde_json::json;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn set_chat_fallbacks_reads_and_writes_its_json() {
        let command = Command::SetChatFallbacks {
            session: "s1".into(),
            fallbacks: Some(vec![ModelRef {
                provider: ProviderId::OpenAi,
                model: "gpt-4o-mini".into(),
            }]),
        };
        let json = json!({"type": "set_chat_fallbacks", "session": "s1",
            "fallbacks": [{"provider": "openai", "model": "gpt-4o-mini"}]});
        assert_eq!(serde_json::to_value(&command).unwrap(), json);
        assert_eq!(serde_json::from_value::<Command>(json).unwrap(), command);
        let default = json!({"type": "set_chat_fallbacks", "session": "s1", "fallbacks": null});
        assert_eq!(
            serde_json::from_value::<Command>(default).unwrap(),
            Command::SetChatFallbacks {
                session: "s1".into(),
                fallbacks: None
            }
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn fallback_wait_reads_and_writes_its_json() {
        let event = Event::FallbackWait {
            session: "s1".into(),
            provider: ProviderId::Mistral,
            model: "mistral-small".into(),
            seconds: 2,
            until_ms: 1_700_000_002_000,
        };
        let json = json!({"type": "fallback_wait", "session": "s1", "provider": "mistral",
            "model": "mistral-small", "seconds": 2, "until_ms": 1_700_000_002_000_u64});
        assert_eq!(serde_json::to_value(&event).unwrap(), json);
        assert_eq!(serde_json::from_value::<Event>(json).unwrap(), event);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn answered_by_reads_and_writes_its_json() {
        let answered = AnsweredBy {
            provider: ProviderId::Mistral,
            model: "mistral-small".into(),
            skipped: vec![Skipped {
                provider: ProviderId::Mistral,
                model: "mistral-error503".into(),
                reason: "503: overloaded".into(),
            }],
        };
        let json = json!({"provider": "mistral", "model": "mistral-small", "skipped": [
            {"provider": "mistral", "model": "mistral-error503", "reason": "503: overloaded"}]});
        assert_eq!(serde_json::to_value(&answered).unwrap(), json);
        assert_eq!(
            serde_json::from_value::<AnsweredBy>(json).unwrap(),
            answered
        );
    }
}

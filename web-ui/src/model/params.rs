//! A chat's parameters as the app offers them: only those the chosen model takes, read from
//! what the user typed.

use ferry_core::ProviderId;
use ferry_core::models::{self, ModelFacts};
use ferry_core::wire::ReasoningEffort;
use ferry_protocol::ChatParams;

/// The choices of `Reasoning effort`, in order; "Default" (no choice) comes first.
pub const EFFORTS: [ReasoningEffort; 5] = [
    ReasoningEffort::None,
    ReasoningEffort::Minimal,
    ReasoningEffort::Low,
    ReasoningEffort::Medium,
    ReasoningEffort::High,
];

/// The highest temperature providers take (OpenAI, Mistral, Gemini: 2; Anthropic: 1).
pub const MAX_TEMPERATURE: f64 = 2.0;

/// Which controls a model gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Controls {
    /// `Reasoning effort`: the model reasons and takes a control for it.
    pub effort: bool,
    /// `Temperature`: the model takes a custom one.
    pub temperature: bool,
    /// The most `Max output tokens` may be.
    pub max_output: u32,
}

impl Controls {
    pub fn of(provider: ProviderId, model: &str) -> Self {
        let mut controls = Self::from_facts(&models::facts(provider, model));
        // The table's guess for a model it does not know (a local one, a new one) is no
        // limit to hold the user to.
        if models::find(provider, model).is_none() {
            controls.max_output = u32::MAX;
        }
        controls
    }

    pub fn from_facts(facts: &ModelFacts) -> Self {
        Self {
            effort: facts.reasoning.takes_effort(),
            temperature: facts.temperature,
            max_output: facts.max_output.max(1),
        }
    }

    /// `params` without what the model does not take: that is neither shown nor sent.
    pub fn fit(&self, params: ChatParams) -> ChatParams {
        ChatParams {
            reasoning_effort: params.reasoning_effort.filter(|_| self.effort),
            temperature: params.temperature.filter(|_| self.temperature),
            max_output_tokens: params.max_output_tokens.map(|m| m.min(self.max_output)),
        }
    }
}

/// The model to choose when the provider's live list `listed` arrives and the field holds
/// `current`, which the user did not choose (none, or the provider's default): the default
/// when listed (kept), else the first listed chat model the facts know (tools taken — not
/// an embedding or image model); `None` keeps `current`.
pub fn preselect(provider: ProviderId, current: &str, listed: &[String]) -> Option<String> {
    let current = current.trim();
    let default = models::default_model(provider);
    let ours = current.is_empty() || current == default;
    if !ours || listed.iter().any(|m| m == current) {
        return None;
    }
    if listed.iter().any(|m| m == default) {
        return Some(default.to_owned());
    }
    listed
        .iter()
        .find(|m| models::find(provider, m).is_some_and(|f| f.facts.tools))
        .cloned()
}

/// The effort a select's value names ("" is the default: none chosen).
pub fn effort_from(value: &str) -> Option<ReasoningEffort> {
    EFFORTS.into_iter().find(|e| e.as_str() == value)
}

/// The effort's name as the select shows it.
pub fn effort_label(effort: ReasoningEffort) -> &'static str {
    match effort {
        ReasoningEffort::None => "None",
        ReasoningEffort::Minimal => "Minimal",
        ReasoningEffort::Low => "Low",
        ReasoningEffort::Medium => "Medium",
        ReasoningEffort::High => "High",
    }
}

/// A typed temperature: empty is the default; else a number from 0 to [`MAX_TEMPERATURE`].
pub fn temperature_from(text: &str) -> Result<Option<f64>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match decimal(text) {
        Some(t) if (0.0..=MAX_TEMPERATURE).contains(&t) => Ok(Some(t)),
        _ => Err(format!(
            "Temperature is a number from 0 to {MAX_TEMPERATURE}."
        )),
    }
}

/// A plain decimal ("0.7", "1", ".5") — all a temperature needs. Read by hand: the
/// standard float parser would add its weight to the first-paint wasm for this one field.
fn decimal(text: &str) -> Option<f64> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.len() <= 6 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(fraction) || (whole.is_empty() && fraction.is_empty()) {
        return None;
    }
    let whole = if whole.is_empty() {
        0
    } else {
        whole.parse::<u32>().ok()?
    };
    let scale = 10_u32.pow(u32::try_from(fraction.len()).ok()?);
    let fraction = if fraction.is_empty() {
        0
    } else {
        fraction.parse::<u32>().ok()?
    };
    Some(f64::from(whole) + f64::from(fraction) / f64::from(scale))
}

/// A typed maximum of output tokens: empty is the default; else a whole number from 1 to
/// `most`.
pub fn max_output_from(text: &str, most: u32) -> Result<Option<u32>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<u32>() {
        Ok(n) if (1..=most).contains(&n) => Ok(Some(n)),
        _ => Err(format!(
            "Max output tokens is a whole number from 1 to {most}."
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reasoning_model_gets_effort_and_others_do_not() {
        let o4 = Controls::of(ProviderId::OpenAi, "o4-mini");
        assert!(o4.effort);
        assert!(
            !o4.temperature,
            "OpenAI's reasoning models take no temperature"
        );
        let plain = Controls::of(ProviderId::Mistral, "mistral-small-latest");
        assert!(!plain.effort && plain.temperature);
        let claude = Controls::of(ProviderId::Anthropic, "claude-sonnet-4-5");
        assert!(claude.effort && claude.temperature);
        let unknown = Controls::of(ProviderId::Mistral, "a-model-nobody-knows");
        assert!(!unknown.effort && unknown.temperature);
        assert_eq!(unknown.max_output, u32::MAX);
        assert!(plain.max_output < u32::MAX);
    }

    #[test]
    fn what_a_model_does_not_take_is_not_sent() {
        let params = ChatParams {
            reasoning_effort: Some(ReasoningEffort::High),
            temperature: Some(0.7),
            max_output_tokens: Some(10_000_000),
        };
        let plain = Controls::of(ProviderId::Mistral, "mistral-small-latest");
        let fitted = plain.fit(params);
        assert_eq!(fitted.reasoning_effort, None);
        assert_eq!(fitted.temperature, Some(0.7));
        assert_eq!(fitted.max_output_tokens, Some(plain.max_output));
        let o4 = Controls::of(ProviderId::OpenAi, "o4-mini").fit(params);
        assert_eq!(o4.reasoning_effort, Some(ReasoningEffort::High));
        assert_eq!(o4.temperature, None);
    }

    #[test]
    fn typed_values_are_read_or_refused_with_a_reason() {
        assert_eq!(temperature_from(""), Ok(None));
        assert_eq!(temperature_from(" 0.3 "), Ok(Some(0.3)));
        assert_eq!(temperature_from("2"), Ok(Some(2.0)));
        assert!(temperature_from("2.5").is_err());
        assert!(temperature_from("-1").is_err());
        assert!(temperature_from("warm").is_err());
        assert_eq!(temperature_from(".5"), Ok(Some(0.5)));
        assert_eq!(temperature_from("1.25"), Ok(Some(1.25)));
        for bad in [".", "1.2.3", "1e0", "+1", "0x1", " . "] {
            assert!(temperature_from(bad).is_err(), "{bad}");
        }
        assert_eq!(max_output_from("", 100), Ok(None));
        assert_eq!(max_output_from("64", 100), Ok(Some(64)));
        assert!(max_output_from("0", 100).is_err());
        assert!(max_output_from("101", 100).is_err());
        assert!(max_output_from("1.5", 100).is_err());
        assert_eq!(effort_from(""), None);
        for effort in EFFORTS {
            assert_eq!(effort_from(effort.as_str()), Some(effort));
        }
    }

    #[test]
    fn the_live_list_preselects_the_default_or_a_known_chat_model_never_over_a_choice() {
        let listed = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
        let openai = ProviderId::OpenAi;
        let default = models::default_model(openai);
        // The default listed: kept; chosen when the field is empty.
        assert_eq!(
            preselect(openai, default, &listed(&["dall-e-3", default])),
            None
        );
        assert_eq!(
            preselect(openai, "", &listed(&["dall-e-3", default])),
            Some(default.to_owned())
        );
        // Not listed: the first listed chat model the facts know, not an image or embedding one.
        assert_eq!(
            preselect(
                openai,
                default,
                &listed(&["dall-e-3", "text-embedding-3-small", "gpt-4.1-mini"])
            ),
            Some("gpt-4.1-mini".to_owned())
        );
        assert_eq!(preselect(openai, "", &listed(&["dall-e-3"])), None);
        // A model of the user's own stands, listed or not.
        assert_eq!(
            preselect(openai, "my-fine-tune", &listed(&["gpt-4.1-mini"])),
            None
        );
    }
}

//! Gemini's thinking control from OpenAI's `reasoning_effort`.

use serde::Serialize;

use crate::adapter::Dropped;
use crate::models::{ModelFacts, Reasoning};
use crate::wire::{ChatRequest, ReasoningEffort};

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ThinkingConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    thinking_budget: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    thinking_level: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    include_thoughts: Option<bool>,
}

/// Gemini 2.5's thinking budget for an effort; `can_disable`: the model may not think at all
/// (Pro cannot, and thinks at least [`MIN_THINKING_BUDGET`]).
pub fn thinking_budget(effort: ReasoningEffort, can_disable: bool) -> u32 {
    match effort {
        ReasoningEffort::None if can_disable => 0,
        ReasoningEffort::None => MIN_THINKING_BUDGET,
        ReasoningEffort::Minimal => 512,
        ReasoningEffort::Low => 1024,
        ReasoningEffort::Medium => 8192,
        ReasoningEffort::High => 24_576,
    }
}

/// The smallest budget of a Gemini 2.5 model that cannot stop thinking.
pub const MIN_THINKING_BUDGET: u32 = 128;

/// Gemini 3's thinking level for an effort.
pub fn thinking_level(effort: ReasoningEffort) -> &'static str {
    match effort {
        ReasoningEffort::None | ReasoningEffort::Minimal | ReasoningEffort::Low => "low",
        ReasoningEffort::Medium | ReasoningEffort::High => "high",
    }
}

/// The thinking control for `request` on a model with `facts`.
pub(super) fn thinking_config(
    request: &ChatRequest,
    facts: &ModelFacts,
    dropped: &mut Dropped,
) -> Option<ThinkingConfig> {
    let effort = request.reasoning_effort;
    match facts.reasoning {
        Reasoning::GeminiBudget { can_disable } => {
            let budget = effort.map(|e| thinking_budget(e, can_disable).min(facts.max_output));
            Some(ThinkingConfig {
                thinking_budget: budget,
                include_thoughts: (budget != Some(0)).then_some(true),
                ..ThinkingConfig::default()
            })
        }
        Reasoning::GeminiLevel => Some(ThinkingConfig {
            thinking_level: effort.map(thinking_level),
            include_thoughts: Some(true),
            ..ThinkingConfig::default()
        }),
        Reasoning::Always => Some(ThinkingConfig {
            include_thoughts: Some(true),
            ..ThinkingConfig::default()
        }),
        Reasoning::None | Reasoning::Effort | Reasoning::AnthropicBudget => {
            if effort.is_some() {
                dropped.push("reasoning_effort");
            }
            None
        }
    }
}

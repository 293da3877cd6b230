//! Estimated cost of a model call, from the list prices in the model table
//! ([`crate::models`]).
//!
//! A model the table does not know has no estimate (`None`), never a guess. Cache reads are
//! priced at the cached-input price, cache writes at the cache-write price (Anthropic's
//! 1.25× input), reasoning tokens as output (they are part of `completion_tokens`).
//! Long-context surcharges are not modelled.

use serde::Serialize;

use crate::models;
use crate::wire::Usage;

/// List prices of one model family, USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Price {
    pub input: f64,
    pub output: f64,
    /// Cached (cache-read) input; the input price where the provider has no discount.
    pub cached_input: f64,
    /// Input written to the cache; the input price where the provider charges no more.
    pub cache_write: f64,
}

/// The list price of `model`, if the table knows its family (on any provider).
pub fn price_of(model: &str) -> Option<Price> {
    models::find_any(model).and_then(|family| family.facts.price)
}

/// Estimated cost in USD of a call to `model` that used `usage`; `None` for unknown models.
pub fn estimate_cost(model: &str, usage: &Usage) -> Option<f64> {
    let price = price_of(model)?;
    let cached = usage.cached_tokens().min(usage.prompt_tokens);
    let fresh = usage.prompt_tokens - cached;
    let micro = fresh as f64 * price.input
        + cached as f64 * price.cached_input
        + usage.completion_tokens as f64 * price.output;
    Some(micro / 1_000_000.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn longest_prefix_wins_and_dated_ids_match() {
        assert_eq!(price_of("gpt-4o-mini-2024-07-18"), price_of("gpt-4o-mini"));
        assert_ne!(price_of("gpt-4o-mini"), price_of("gpt-4o"));
        assert_eq!(
            price_of("claude-sonnet-4-5-20250929").map(|p| p.input),
            Some(3.0)
        );
        assert_eq!(price_of("claude-opus-4-5").map(|p| p.input), Some(5.0));
        assert_eq!(price_of("claude-opus-4-1").map(|p| p.input), Some(15.0));
        assert_eq!(price_of("openai/gpt-4o").map(|p| p.output), Some(10.0));
        assert_eq!(price_of("GEMINI-2.5-FLASH"), price_of("gemini-2.5-flash"));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn unknown_models_have_no_estimate() {
        assert_eq!(price_of("my-local-model"), None);
        assert_eq!(estimate_cost("", &Usage::new(10, 10, 0)), None);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn cost_counts_cached_input_at_its_own_price() {
        // 1M fresh input, 1M cached, 1M output on gpt-4o: 2.50 + 1.25 + 10.00.
        let usage = Usage::new(2_000_000, 1_000_000, 1_000_000);
        let cost = estimate_cost("gpt-4o", &usage).unwrap();
        assert!((cost - 13.75).abs() < 1e-9, "{cost}");
        // Cached beyond the prompt (a provider's rounding) cannot make the cost negative.
        let odd = Usage::new(10, 0, 50);
        assert!(estimate_cost("gpt-4o", &odd).unwrap() >= 0.0);
    }
}

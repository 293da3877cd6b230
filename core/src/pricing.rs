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
///
/// `prompt_tokens` includes cache reads and cache writes; each part is priced at its own
/// rate. Reasoning tokens are part of `completion_tokens`, priced as output.
pub fn estimate_cost(model: &str, usage: &Usage) -> Option<f64> {
    price_of(model).map(|price| cost_at(&price, usage))
}

/// Estimated cost in USD of a call to `model` on `provider`: that provider's own price
/// (a host of open models charges its own), `None` where the table has none.
pub fn estimate_cost_on(provider: crate::ProviderId, model: &str, usage: &Usage) -> Option<f64> {
    models::facts(provider, model)
        .price
        .map(|price| cost_at(&price, usage))
}

/// The cost of `usage` at `price`.
pub fn cost_at(price: &Price, usage: &Usage) -> f64 {
    // A provider's odd counts (reads and writes beyond the prompt) cannot make it negative.
    let cached = usage.cached_tokens().min(usage.prompt_tokens);
    let written = usage.cache_write_tokens().min(usage.prompt_tokens - cached);
    let fresh = usage.prompt_tokens - cached - written;
    let micro = fresh as f64 * price.input
        + cached as f64 * price.cached_input
        + written as f64 * price.cache_write
        + usage.completion_tokens as f64 * price.output;
    micro / 1_000_000.0
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
    fn cache_writes_cost_more_and_reads_less_on_anthropic() {
        // 1M fresh, 1M read, 1M written, 1M output on claude-sonnet-4-5:
        // 3.00 + 0.30 + 3.75 + 15.00.
        let mut usage = Usage::new(3_000_000, 1_000_000, 1_000_000);
        if let Some(details) = usage.prompt_tokens_details.as_mut() {
            details.cache_write_tokens = Some(1_000_000);
        }
        let cost = estimate_cost("claude-sonnet-4-5-20250929", &usage).unwrap();
        assert!((cost - 22.05).abs() < 1e-9, "{cost}");
        // The same tokens with no cache at all: 5M input at 3.00 + 15.00.
        let plain = estimate_cost("claude-sonnet-4-5", &Usage::new(3_000_000, 1_000_000, 0));
        assert!((plain.unwrap() - 24.0).abs() < 1e-9);
        // Writes beyond the prompt are capped at what is left after reads.
        let mut odd = Usage::new(10, 0, 4);
        if let Some(details) = odd.prompt_tokens_details.as_mut() {
            details.cache_write_tokens = Some(500);
        }
        let odd = estimate_cost("claude-sonnet-4-5", &odd).unwrap();
        assert!(
            (odd - (4.0 * 0.3 + 6.0 * 3.75) / 1e6).abs() < 1e-12,
            "{odd}"
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn each_host_charges_its_own_price() {
        use crate::ProviderId::{Fireworks, Groq, OpenRouter, Together};
        let usage = Usage::new(1_000_000, 0, 0);
        let on = |p, m| estimate_cost_on(p, m, &usage);
        assert_eq!(on(Groq, "openai/gpt-oss-120b"), Some(0.15));
        assert_eq!(
            on(Together, "meta-llama/Llama-3.3-70B-Instruct-Turbo"),
            Some(0.88)
        );
        assert_eq!(
            on(
                Fireworks,
                "accounts/fireworks/models/llama-v3p3-70b-instruct"
            ),
            Some(0.90)
        );
        assert_eq!(on(OpenRouter, "anthropic/claude-haiku-4.5"), Some(1.0));
        // Not on Groq's list: no price borrowed from another host.
        assert_eq!(on(Groq, "deepseek-reasoner"), None);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn reasoning_tokens_are_priced_as_output() {
        // o3: 1M input, 2M completion of which 1.5M reasoning: 2.00 + 2 × 8.00.
        let mut usage = Usage::new(1_000_000, 2_000_000, 0);
        usage.completion_tokens_details = Some(crate::wire::UsageDetails {
            reasoning_tokens: Some(1_500_000),
            ..Default::default()
        });
        let cost = estimate_cost("o3-2025-04-16", &usage).unwrap();
        assert!((cost - 18.0).abs() < 1e-9, "{cost}");
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn gemini_and_openai_cached_input_at_their_own_price() {
        // gemini-2.5-flash: 1M fresh at 0.30 + 1M cached at 0.03 + 1M output at 2.50.
        let cost = estimate_cost(
            "gemini-2.5-flash",
            &Usage::new(2_000_000, 1_000_000, 1_000_000),
        );
        assert!((cost.unwrap() - 2.83).abs() < 1e-9);
        // gpt-5-mini: 0.25 + 0.025 + 2.00.
        let cost = estimate_cost("gpt-5-mini", &Usage::new(2_000_000, 1_000_000, 1_000_000));
        assert!((cost.unwrap() - 2.275).abs() < 1e-9);
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

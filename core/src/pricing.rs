//! Estimated cost of a model call, from a table of list prices.
//!
//! Prices are USD per million tokens, matched on the longest known prefix of the model id
//! (so dated ids such as `claude-sonnet-4-5-20250929` find their family). A model the table
//! does not know has no estimate (`None`), never a guess. For OpenRouter-style ids
//! (`openai/gpt-4o`) the part after the vendor is looked up.
//!
//! Simplifications, on purpose: cache *writes* are counted at the plain input price, and
//! long-context surcharges are not modelled.

use crate::wire::Usage;

/// List prices of one model family, USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    pub input: f64,
    pub output: f64,
    /// Cached (cache-read) input; the input price where the provider has no discount.
    pub cached_input: f64,
}

const fn price(input: f64, output: f64, cached_input: f64) -> Price {
    Price {
        input,
        output,
        cached_input,
    }
}

/// `(model id prefix, price)`. Longest matching prefix wins.
const PRICES: &[(&str, Price)] = &[
    // OpenAI
    ("gpt-5", price(1.25, 10.0, 0.125)),
    ("gpt-5-mini", price(0.25, 2.0, 0.025)),
    ("gpt-5-nano", price(0.05, 0.40, 0.005)),
    ("gpt-4.1", price(2.0, 8.0, 0.50)),
    ("gpt-4.1-mini", price(0.40, 1.60, 0.10)),
    ("gpt-4.1-nano", price(0.10, 0.40, 0.025)),
    ("gpt-4o", price(2.50, 10.0, 1.25)),
    ("gpt-4o-mini", price(0.15, 0.60, 0.075)),
    ("o3", price(2.0, 8.0, 0.50)),
    ("o4-mini", price(1.10, 4.40, 0.275)),
    ("text-embedding-3-small", price(0.02, 0.0, 0.02)),
    ("text-embedding-3-large", price(0.13, 0.0, 0.13)),
    // Anthropic
    ("claude-opus-4-5", price(5.0, 25.0, 0.50)),
    ("claude-opus-4", price(15.0, 75.0, 1.50)),
    ("claude-sonnet-4", price(3.0, 15.0, 0.30)),
    ("claude-3-7-sonnet", price(3.0, 15.0, 0.30)),
    ("claude-haiku-4-5", price(1.0, 5.0, 0.10)),
    ("claude-3-5-haiku", price(0.80, 4.0, 0.08)),
    // Google
    ("gemini-2.5-pro", price(1.25, 10.0, 0.31)),
    ("gemini-2.5-flash", price(0.30, 2.50, 0.075)),
    ("gemini-2.5-flash-lite", price(0.10, 0.40, 0.025)),
    ("gemini-2.0-flash", price(0.10, 0.40, 0.025)),
    // DeepSeek
    ("deepseek-chat", price(0.28, 0.42, 0.028)),
    ("deepseek-reasoner", price(0.28, 0.42, 0.028)),
    // Mistral
    ("mistral-large", price(2.0, 6.0, 2.0)),
    ("mistral-small", price(0.10, 0.30, 0.10)),
    // Groq
    ("llama-3.3-70b-versatile", price(0.59, 0.79, 0.59)),
    ("llama-3.1-8b-instant", price(0.05, 0.08, 0.05)),
    // xAI
    ("grok-4", price(3.0, 15.0, 0.75)),
    ("grok-3-mini", price(0.30, 0.50, 0.075)),
];

/// The list price of `model`, if the table knows its family.
pub fn price_of(model: &str) -> Option<Price> {
    let model = model.trim().to_ascii_lowercase();
    let lookup = |id: &str| {
        PRICES
            .iter()
            .filter(|(prefix, _)| id.starts_with(prefix))
            .max_by_key(|(prefix, _)| prefix.len())
            .map(|(_, price)| *price)
    };
    lookup(&model).or_else(|| model.split_once('/').and_then(|(_, rest)| lookup(rest)))
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

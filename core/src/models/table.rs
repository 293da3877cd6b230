//! The model table: one line per model family and provider. To update it, edit a line or add
//! one (a longer prefix overrides a shorter one), then run
//! `FERRY_BLESS=1 cargo test -p ferry-core models` to refresh `core/models.json`.
//!
//! Prices are list prices in USD per million tokens: input, output, cache read, cache write.
//! Long-context surcharges are not modelled (the base tier is listed).
//!
//! `READS*` lines take PDFs natively as well as images: Claude 3.5 and later, Gemini, and
//! OpenAI's models that take images (gpt-4o, gpt-4.1, gpt-5, o1, o3, o4-mini; OpenAI reads
//! PDFs only on vision models, so o3-mini does not). Other providers' OpenAI-compatible
//! endpoints document no `file` part.

use super::{Family, ModelFacts, Reasoning};
use crate::ProviderId::{
    self, Anthropic, DeepSeek, Fireworks, Google, Groq, Mistral, OpenAi, Together, Xai,
};
use crate::pricing::Price;

/// What a family takes besides text and a token limit.
#[derive(Clone, Copy)]
struct Takes {
    images: bool,
    documents: bool,
    tools: bool,
    temperature: bool,
}

const VISION: Takes = Takes {
    images: true,
    documents: false,
    tools: true,
    temperature: true,
};
/// Images and PDFs (Claude's `document` block, Gemini's inline `application/pdf`, OpenAI's
/// `file` part with `file_data`).
const READS: Takes = Takes {
    documents: true,
    ..VISION
};
const TEXT: Takes = Takes {
    images: false,
    documents: false,
    tools: true,
    temperature: true,
};
/// OpenAI's reasoning models refuse a custom temperature.
const VISION_FIXED_TEMP: Takes = Takes {
    images: true,
    documents: false,
    tools: true,
    temperature: false,
};
const READS_FIXED_TEMP: Takes = Takes {
    documents: true,
    ..VISION_FIXED_TEMP
};
const TEXT_FIXED_TEMP: Takes = Takes {
    images: false,
    documents: false,
    tools: true,
    temperature: false,
};
/// Embedding models: text in, vectors out.
const EMBEDDING: Takes = Takes {
    images: false,
    documents: false,
    tools: false,
    temperature: false,
};

const fn family(
    provider: ProviderId,
    prefix: &'static str,
    (context_window, max_output): (u32, u32),
    reasoning: Reasoning,
    takes: Takes,
    price: Option<Price>,
) -> Family {
    Family {
        provider,
        prefix,
        facts: ModelFacts {
            context_window,
            max_output,
            reasoning,
            images: takes.images,
            documents: takes.documents,
            tools: takes.tools,
            temperature: takes.temperature,
            price,
        },
    }
}

/// Input, output, cache read; a cache write costs plain input (OpenAI, Gemini, DeepSeek, xAI).
const fn cached(input: f64, output: f64, cache_read: f64) -> Option<Price> {
    Some(Price {
        input,
        output,
        cached_input: cache_read,
        cache_write: input,
    })
}

/// Anthropic: a cache write costs 1.25× input (5-minute cache), a cache read 0.1×.
const fn anthropic(input: f64, output: f64) -> Option<Price> {
    Some(Price {
        input,
        output,
        cached_input: input / 10.0,
        cache_write: input * 1.25,
    })
}

/// No cache discount published.
const fn flat(input: f64, output: f64) -> Option<Price> {
    Some(Price {
        input,
        output,
        cached_input: input,
        cache_write: input,
    })
}

use Reasoning::{Always, AnthropicBudget, Effort, GeminiLevel};
const BUDGET_OFF: Reasoning = Reasoning::GeminiBudget { can_disable: true };
const BUDGET_ON: Reasoning = Reasoning::GeminiBudget { can_disable: false };
const NONE: Reasoning = Reasoning::None;

#[rustfmt::skip]
pub(super) const FAMILIES: &[Family] = &[
    // OpenAI. Reasoning models (o-series, gpt-5) take `reasoning_effort` and no temperature.
    family(OpenAi, "gpt-5", (400_000, 128_000), Effort, READS_FIXED_TEMP, cached(1.25, 10.0, 0.125)),
    family(OpenAi, "gpt-5-mini", (400_000, 128_000), Effort, READS_FIXED_TEMP, cached(0.25, 2.0, 0.025)),
    family(OpenAi, "gpt-5-nano", (400_000, 128_000), Effort, READS_FIXED_TEMP, cached(0.05, 0.40, 0.005)),
    family(OpenAi, "gpt-5-chat", (128_000, 16_384), NONE, READS_FIXED_TEMP, cached(1.25, 10.0, 0.125)),
    family(OpenAi, "gpt-5.1", (400_000, 128_000), Effort, READS_FIXED_TEMP, cached(1.25, 10.0, 0.125)),
    family(OpenAi, "gpt-5.1-chat", (128_000, 16_384), NONE, READS_FIXED_TEMP, cached(1.25, 10.0, 0.125)),
    family(OpenAi, "gpt-5.2", (400_000, 128_000), Effort, READS_FIXED_TEMP, cached(1.75, 14.0, 0.175)),
    family(OpenAi, "gpt-4.1", (1_047_576, 32_768), NONE, READS, cached(2.0, 8.0, 0.50)),
    family(OpenAi, "gpt-4.1-mini", (1_047_576, 32_768), NONE, READS, cached(0.40, 1.60, 0.10)),
    family(OpenAi, "gpt-4.1-nano", (1_047_576, 32_768), NONE, READS, cached(0.10, 0.40, 0.025)),
    family(OpenAi, "gpt-4o", (128_000, 16_384), NONE, READS, cached(2.50, 10.0, 1.25)),
    family(OpenAi, "gpt-4o-mini", (128_000, 16_384), NONE, READS, cached(0.15, 0.60, 0.075)),
    family(OpenAi, "o1", (200_000, 100_000), Effort, READS_FIXED_TEMP, cached(15.0, 60.0, 7.50)),
    family(OpenAi, "o3", (200_000, 100_000), Effort, READS_FIXED_TEMP, cached(2.0, 8.0, 0.50)),
    family(OpenAi, "o3-mini", (200_000, 100_000), Effort, TEXT_FIXED_TEMP, cached(1.10, 4.40, 0.55)),
    family(OpenAi, "o4-mini", (200_000, 100_000), Effort, READS_FIXED_TEMP, cached(1.10, 4.40, 0.275)),
    family(OpenAi, "text-embedding-3-small", (8_191, 0), NONE, EMBEDDING, flat(0.02, 0.0)),
    family(OpenAi, "text-embedding-3-large", (8_191, 0), NONE, EMBEDDING, flat(0.13, 0.0)),
    // Anthropic. Extended thinking takes `thinking.budget_tokens` and no custom temperature
    // while it is on (the adapter drops it); without thinking, temperature is taken.
    family(Anthropic, "claude-opus-4-6", (200_000, 128_000), AnthropicBudget, READS, anthropic(5.0, 25.0)),
    family(Anthropic, "claude-opus-4-5", (200_000, 64_000), AnthropicBudget, READS, anthropic(5.0, 25.0)),
    family(Anthropic, "claude-opus-4", (200_000, 32_000), AnthropicBudget, READS, anthropic(15.0, 75.0)),
    family(Anthropic, "claude-sonnet-4", (200_000, 64_000), AnthropicBudget, READS, anthropic(3.0, 15.0)),
    family(Anthropic, "claude-3-7-sonnet", (200_000, 64_000), AnthropicBudget, READS, anthropic(3.0, 15.0)),
    family(Anthropic, "claude-haiku-4-5", (200_000, 64_000), AnthropicBudget, READS, anthropic(1.0, 5.0)),
    family(Anthropic, "claude-3-5-sonnet", (200_000, 8_192), NONE, READS, anthropic(3.0, 15.0)),
    family(Anthropic, "claude-3-5-haiku", (200_000, 8_192), NONE, READS, anthropic(0.80, 4.0)),
    family(Anthropic, "claude-3-haiku", (200_000, 4_096), NONE, VISION, anthropic(0.25, 1.25)),
    // Google. 2.5 Pro always thinks (budget 128 at least); Flash and Flash-Lite take 0.
    family(Google, "gemini-3", (1_048_576, 65_536), GeminiLevel, READS, None),
    family(Google, "gemini-3-pro", (1_048_576, 65_536), GeminiLevel, READS, cached(2.0, 12.0, 0.20)),
    family(Google, "gemini-3-flash", (1_048_576, 65_536), GeminiLevel, READS, cached(0.50, 3.0, 0.05)),
    family(Google, "gemini-2.5-pro", (1_048_576, 65_536), BUDGET_ON, READS, cached(1.25, 10.0, 0.125)),
    family(Google, "gemini-2.5-flash", (1_048_576, 65_536), BUDGET_OFF, READS, cached(0.30, 2.50, 0.03)),
    family(Google, "gemini-2.5-flash-lite", (1_048_576, 65_536), BUDGET_OFF, READS, cached(0.10, 0.40, 0.01)),
    family(Google, "gemini-2.0-flash", (1_048_576, 8_192), NONE, READS, cached(0.10, 0.40, 0.025)),
    family(Google, "gemini-2.0-flash-lite", (1_048_576, 8_192), NONE, READS, flat(0.075, 0.30)),
    family(Google, "text-embedding-004", (2_048, 0), NONE, EMBEDDING, flat(0.0, 0.0)),
    // DeepSeek. The reasoner ignores temperature; both take tools (V3.2).
    family(DeepSeek, "deepseek-chat", (128_000, 8_192), NONE, TEXT, cached(0.28, 0.42, 0.028)),
    family(DeepSeek, "deepseek-reasoner", (128_000, 65_536), Always, TEXT_FIXED_TEMP, cached(0.28, 0.42, 0.028)),
    // xAI. Grok 4 reasons always and refuses `reasoning_effort`; Grok 3 Mini takes it.
    family(Xai, "grok-4", (256_000, 32_768), Always, VISION, cached(3.0, 15.0, 0.75)),
    family(Xai, "grok-4-fast", (2_000_000, 32_768), Always, VISION, cached(0.20, 0.50, 0.05)),
    family(Xai, "grok-4-fast-non-reasoning", (2_000_000, 32_768), NONE, VISION, cached(0.20, 0.50, 0.05)),
    family(Xai, "grok-4-1-fast", (2_000_000, 32_768), Always, VISION, cached(0.20, 0.50, 0.05)),
    family(Xai, "grok-4-1-fast-non-reasoning", (2_000_000, 32_768), NONE, VISION, cached(0.20, 0.50, 0.05)),
    family(Xai, "grok-code-fast", (256_000, 32_768), Always, TEXT, cached(0.20, 1.50, 0.02)),
    family(Xai, "grok-3", (131_072, 32_768), NONE, TEXT, cached(3.0, 15.0, 0.75)),
    family(Xai, "grok-3-mini", (131_072, 32_768), Effort, TEXT, cached(0.30, 0.50, 0.075)),
    // Mistral (no cache price published). Magistral always reasons.
    family(Mistral, "mistral-large", (256_000, 32_768), NONE, VISION, flat(0.50, 1.50)),
    family(Mistral, "mistral-large-2411", (128_000, 32_768), NONE, TEXT, flat(2.0, 6.0)),
    family(Mistral, "mistral-medium", (128_000, 32_768), NONE, VISION, flat(0.40, 2.0)),
    family(Mistral, "mistral-small", (128_000, 32_768), NONE, VISION, flat(0.10, 0.30)),
    family(Mistral, "magistral-medium", (128_000, 32_768), Always, VISION, flat(2.0, 5.0)),
    family(Mistral, "magistral-small", (128_000, 32_768), Always, VISION, flat(0.50, 1.50)),
    family(Mistral, "codestral", (256_000, 32_768), NONE, TEXT, flat(0.30, 0.90)),
    family(Mistral, "pixtral-large", (128_000, 32_768), NONE, VISION, flat(2.0, 6.0)),
    family(Mistral, "ministral-8b", (128_000, 32_768), NONE, TEXT, flat(0.10, 0.10)),
    family(Mistral, "ministral-3b", (128_000, 32_768), NONE, TEXT, flat(0.04, 0.04)),
    family(Mistral, "open-mistral-nemo", (128_000, 32_768), NONE, TEXT, flat(0.15, 0.15)),
    // Groq (ids as `vendor/model` are found by their last part).
    family(Groq, "llama-3.3-70b-versatile", (131_072, 32_768), NONE, TEXT, flat(0.59, 0.79)),
    family(Groq, "llama-3.1-8b-instant", (131_072, 131_072), NONE, TEXT, flat(0.05, 0.08)),
    family(Groq, "llama-4-maverick-17b-128e-instruct", (131_072, 8_192), NONE, VISION, flat(0.20, 0.60)),
    family(Groq, "llama-4-scout-17b-16e-instruct", (131_072, 8_192), NONE, VISION, flat(0.11, 0.34)),
    family(Groq, "gpt-oss-120b", (131_072, 65_536), Effort, TEXT, flat(0.15, 0.60)),
    family(Groq, "gpt-oss-20b", (131_072, 65_536), Effort, TEXT, flat(0.075, 0.30)),
    family(Groq, "qwen3-32b", (131_072, 40_960), Always, TEXT, flat(0.29, 0.59)),
    family(Groq, "kimi-k2-instruct", (262_144, 16_384), NONE, TEXT, flat(1.0, 3.0)),
    // Together (ids as `org/Model`, found by their last part).
    family(Together, "llama-3.3-70b-instruct", (131_072, 8_192), NONE, TEXT, flat(0.88, 0.88)),
    family(Together, "llama-4-maverick-17b-128e-instruct", (1_048_576, 8_192), NONE, VISION, flat(0.27, 0.85)),
    family(Together, "deepseek-r1", (163_840, 32_768), Always, TEXT, flat(3.0, 7.0)),
    family(Together, "deepseek-v3", (131_072, 8_192), NONE, TEXT, flat(1.25, 1.25)),
    family(Together, "qwen3-235b-a22b-thinking", (262_144, 32_768), Always, TEXT, flat(0.65, 3.0)),
    family(Together, "qwen3-235b-a22b-instruct", (262_144, 32_768), NONE, TEXT, flat(0.20, 0.60)),
    family(Together, "gpt-oss-120b", (131_072, 65_536), Effort, TEXT, flat(0.15, 0.60)),
    family(Together, "kimi-k2-instruct", (262_144, 16_384), NONE, TEXT, flat(1.0, 3.0)),
    // Fireworks (ids as `accounts/fireworks/models/<model>`, found by their last part).
    family(Fireworks, "llama-v3p3-70b-instruct", (131_072, 16_384), NONE, TEXT, flat(0.90, 0.90)),
    family(Fireworks, "llama-v3p1-8b-instruct", (131_072, 16_384), NONE, TEXT, flat(0.20, 0.20)),
    family(Fireworks, "deepseek-v3p1", (163_840, 16_384), NONE, TEXT, flat(0.56, 1.68)),
    family(Fireworks, "gpt-oss-120b", (131_072, 65_536), Effort, TEXT, flat(0.15, 0.60)),
    family(Fireworks, "kimi-k2-instruct", (131_072, 16_384), NONE, TEXT, flat(0.60, 2.50)),
    // OpenRouter has no lines of its own: `vendor/model` finds the vendor's line above.
];

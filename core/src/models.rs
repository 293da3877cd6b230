//! What Ferry knows of each model family: context window, maximum output, whether and how
//! it reasons, whether it takes images, tools and a custom temperature, and its list prices.
//!
//! The data is one table, [`table::FAMILIES`] (`core/src/models/table.rs`), one line per
//! family and provider. A model id finds its family by the longest matching prefix, so dated
//! ids (`claude-sonnet-4-5-20250929`) and suffixed ones (`gpt-4.1-mini-2025-04-14`) match.
//! Matching ignores case and treats `.` like `-`, so OpenRouter's `claude-sonnet-4.5`
//! finds `claude-sonnet-4-5`. Ids with a path (`openai/gpt-5`,
//! `accounts/fireworks/models/deepseek-r1`) are also looked up by their last part.
//! A model the table does not know gets [`ModelFacts::UNKNOWN`]: no reasoning control, no
//! images or PDFs, tools and temperature allowed, 128k window, 4096 output tokens, no price.

mod table;

use std::cell::RefCell;

use serde::Serialize;

use crate::ProviderId;
use crate::pricing::Price;

/// How a model is asked to reason, if at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reasoning {
    /// No reasoning control; the model may not take a reasoning field.
    None,
    /// OpenAI-style `reasoning_effort` (o-series, gpt-5, grok-3-mini, OpenRouter's `reasoning`).
    Effort,
    /// Anthropic's `thinking.budget_tokens`.
    AnthropicBudget,
    /// Gemini 2.5's `thinkingConfig.thinkingBudget`; `can_disable`: a budget of 0 turns it off.
    GeminiBudget { can_disable: bool },
    /// Gemini 3's `thinkingConfig.thinkingLevel`.
    GeminiLevel,
    /// Always reasons, with no control (deepseek-reasoner).
    Always,
}

impl Reasoning {
    /// Whether a `reasoning_effort` from the client maps to a provider control.
    pub fn takes_effort(&self) -> bool {
        !matches!(self, Self::None | Self::Always)
    }

    /// Whether the model produces reasoning at all.
    pub fn reasons(&self) -> bool {
        !matches!(self, Self::None)
    }
}

/// The facts of one model family.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ModelFacts {
    /// Input plus output tokens the model can hold.
    pub context_window: u32,
    /// Most output tokens one answer may have (reasoning included).
    pub max_output: u32,
    pub reasoning: Reasoning,
    /// Takes image inputs.
    pub images: bool,
    /// Reads PDFs natively (pages as text and images): Claude's `document` block, Gemini's
    /// inline `application/pdf` data, OpenAI's `file` part with `file_data`. Without it a PDF
    /// goes as its extracted text.
    pub documents: bool,
    /// Takes tool (function) definitions.
    pub tools: bool,
    /// Takes a custom `temperature` (OpenAI's reasoning models refuse one).
    pub temperature: bool,
    /// List prices; `None` where unknown.
    pub price: Option<Price>,
}

impl ModelFacts {
    /// What an unknown model is taken to be: safe, not optimistic.
    pub const UNKNOWN: Self = Self {
        context_window: 128_000,
        max_output: 4_096,
        reasoning: Reasoning::None,
        images: false,
        documents: false,
        tools: true,
        temperature: true,
        price: None,
    };
}

/// One line of the table: a model family as one provider serves it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Family {
    pub provider: ProviderId,
    /// Model id prefix, lowercase, as the provider spells it.
    pub prefix: &'static str,
    #[serde(flatten)]
    pub facts: ModelFacts,
}

/// The facts of `model` as `provider` serves it; [`ModelFacts::UNKNOWN`] when the table does
/// not know it.
pub fn facts(provider: ProviderId, model: &str) -> ModelFacts {
    let Some(family) = find(provider, model) else {
        return ModelFacts::UNKNOWN;
    };
    let mut facts = family.facts;
    if provider == ProviderId::OpenRouter {
        // OpenRouter takes one `reasoning: {effort}` for every model that reasons, and
        // bills the vendor's list price.
        if facts.reasoning.reasons() {
            facts.reasoning = Reasoning::Effort;
        }
    } else if family.provider != provider {
        // Another host's price says nothing about this one's.
        facts.price = None;
    }
    facts
}

/// The family `model` belongs to: `provider`'s own lines first, then (for hosts of open
/// models and for OpenRouter) any provider's.
pub fn find(provider: ProviderId, model: &str) -> Option<&'static Family> {
    remembered(Some(provider), model, || {
        let id = normalize(model);
        let last = id.rsplit('/').next().unwrap_or(&id);
        let own = |f: &&Family| f.provider == provider;
        longest(&id, own)
            .or_else(|| longest(last, own))
            .or_else(|| longest(&id, |_| true))
            .or_else(|| longest(last, |_| true))
    })
}

/// The family of `model` on any provider (the first listed wins a tie): for callers that
/// know only the model id.
pub fn find_any(model: &str) -> Option<&'static Family> {
    remembered(None, model, || {
        let id = normalize(model);
        let last = id.rsplit('/').next().unwrap_or(&id);
        longest(&id, |_| true).or_else(|| longest(last, |_| true))
    })
}

/// How many lookups [`remembered`] keeps.
const REMEMBERED: usize = 32;

/// A lookup: the provider asked for (none for [`find_any`]), the model as given, the answer.
type Lookup = (Option<ProviderId>, Box<str>, Option<&'static Family>);

thread_local! {
    /// The latest lookups, oldest first. A proxy or an agent asks for the same few models
    /// again and again (each call's adapter, price and estimate), and a lookup scans the
    /// whole table up to four times.
    static LOOKUPS: RefCell<Vec<Lookup>> = const { RefCell::new(Vec::new()) };
}

/// `look()`'s answer for `model` on `provider`, remembered for the next time it is asked.
fn remembered(
    provider: Option<ProviderId>,
    model: &str,
    look: impl FnOnce() -> Option<&'static Family>,
) -> Option<&'static Family> {
    let known = LOOKUPS.with_borrow(|lookups| {
        lookups
            .iter()
            .find(|(p, m, _)| *p == provider && **m == *model)
            .map(|(_, _, family)| *family)
    });
    if let Some(family) = known {
        return family;
    }
    let family = look();
    LOOKUPS.with_borrow_mut(|lookups| {
        if lookups.len() == REMEMBERED {
            lookups.remove(0);
        }
        lookups.push((provider, model.into(), family));
    });
    family
}

/// The model a new chat on `provider` starts with.
pub fn default_model(provider: ProviderId) -> &'static str {
    match provider {
        ProviderId::OpenAi => "gpt-5-mini",
        ProviderId::Anthropic => "claude-sonnet-4-6",
        ProviderId::Google => "gemini-2.5-flash",
        ProviderId::OpenRouter => "openai/gpt-5-mini",
        ProviderId::Groq => "llama-3.3-70b-versatile",
        ProviderId::Mistral => "mistral-medium-latest",
        ProviderId::DeepSeek => "deepseek-chat",
        ProviderId::Xai => "grok-4",
        ProviderId::Together => "meta-llama/Llama-3.3-70B-Instruct-Turbo",
        ProviderId::Fireworks => "accounts/fireworks/models/llama-v3p3-70b-instruct",
    }
}

/// The whole table, in its order.
pub fn families() -> &'static [Family] {
    table::FAMILIES
}

/// The table as pretty JSON: what `core/models.json` holds, for the end-to-end tests and
/// anyone outside Rust (a test keeps the file equal to this).
pub fn families_json() -> String {
    serde_json::to_string_pretty(table::FAMILIES).unwrap_or_default() + "\n"
}

/// Lowercase, trimmed; `.` is matched as `-` by [`matches`], so it is kept here.
fn normalize(model: &str) -> String {
    model.trim().to_ascii_lowercase()
}

/// Whether `id` starts with `prefix`, a `.` in either matching a `-` in the other.
fn matches(id: &str, prefix: &str) -> bool {
    let dash = |b: u8| if b == b'.' { b'-' } else { b };
    id.len() >= prefix.len()
        && id
            .bytes()
            .zip(prefix.bytes())
            .all(|(a, b)| dash(a) == dash(b))
}

fn longest(id: &str, keep: impl Fn(&&Family) -> bool) -> Option<&'static Family> {
    let mut best: Option<&'static Family> = None;
    for family in table::FAMILIES.iter().filter(keep) {
        let longer = best.is_none_or(|b| family.prefix.len() > b.prefix.len());
        if longer && matches(id, family.prefix) {
            best = Some(family);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn unknown_models_get_safe_defaults() {
        let unknown = facts(ProviderId::OpenAi, "my-local-model");
        assert_eq!(unknown, ModelFacts::UNKNOWN);
        assert_eq!(
            (
                unknown.reasoning,
                unknown.images,
                unknown.tools,
                unknown.temperature
            ),
            (Reasoning::None, false, true, true)
        );
        assert_eq!(
            (unknown.context_window, unknown.max_output),
            (128_000, 4_096)
        );
        assert_eq!(unknown.price, None);
        for odd in [
            "",
            "   ",
            "/",
            "gpt",
            "-",
            "accounts/fireworks/models/",
            "😀",
        ] {
            assert_eq!(
                facts(ProviderId::Fireworks, odd),
                ModelFacts::UNKNOWN,
                "{odd:?}"
            );
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn dated_dotted_and_pathed_ids_find_their_family() {
        let sonnet = facts(ProviderId::Anthropic, "claude-sonnet-4-5-20250929");
        assert_eq!(sonnet.reasoning, Reasoning::AnthropicBudget);
        assert_eq!(sonnet.price.map(|p| p.input), Some(3.0));
        assert_eq!(
            facts(ProviderId::OpenRouter, "anthropic/claude-sonnet-4.5").context_window,
            sonnet.context_window
        );
        assert_eq!(
            facts(ProviderId::OpenAi, "GPT-4.1-mini-2025-04-14"),
            facts(ProviderId::OpenAi, "gpt-4.1-mini")
        );
        // The longer prefix wins: mini is not priced as gpt-4.1, gpt-5.1-chat not as gpt-5.1.
        assert_eq!(
            facts(ProviderId::OpenAi, "gpt-4.1-mini")
                .price
                .map(|p| p.input),
            Some(0.40)
        );
        assert_eq!(
            facts(ProviderId::OpenAi, "gpt-5.1-chat-latest").reasoning,
            Reasoning::None
        );
        assert_eq!(
            facts(ProviderId::OpenAi, "gpt-5.1-2025-11-13").reasoning,
            Reasoning::Effort
        );
        let fireworks = facts(
            ProviderId::Fireworks,
            "accounts/fireworks/models/llama-v3p3-70b-instruct",
        );
        assert_eq!(fireworks.price.map(|p| p.input), Some(0.90));
        let together = facts(
            ProviderId::Together,
            "meta-llama/Llama-3.3-70B-Instruct-Turbo",
        );
        assert_eq!(together.price.map(|p| p.input), Some(0.88));
        assert_eq!(
            facts(ProviderId::Groq, "openai/gpt-oss-120b").reasoning,
            Reasoning::Effort
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn each_provider_reasons_its_own_way() {
        use Reasoning::*;
        for (provider, model, reasoning) in [
            (ProviderId::OpenAi, "o3", Effort),
            (ProviderId::OpenAi, "o4-mini-2025-04-16", Effort),
            (ProviderId::OpenAi, "gpt-5-mini", Effort),
            (ProviderId::OpenAi, "gpt-4o", None),
            (
                ProviderId::Anthropic,
                "claude-opus-4-1-20250805",
                AnthropicBudget,
            ),
            (
                ProviderId::Anthropic,
                "claude-3-7-sonnet-20250219",
                AnthropicBudget,
            ),
            (ProviderId::Anthropic, "claude-haiku-4-5", AnthropicBudget),
            (ProviderId::Anthropic, "claude-3-5-haiku-latest", None),
            (
                ProviderId::Google,
                "gemini-2.5-pro",
                GeminiBudget { can_disable: false },
            ),
            (
                ProviderId::Google,
                "gemini-2.5-flash",
                GeminiBudget { can_disable: true },
            ),
            (
                ProviderId::Google,
                "gemini-2.5-flash-lite",
                GeminiBudget { can_disable: true },
            ),
            (ProviderId::Google, "gemini-3-pro-preview", GeminiLevel),
            (ProviderId::Google, "gemini-3.1-pro-preview", GeminiLevel),
            (ProviderId::Google, "gemini-2.0-flash", None),
            (ProviderId::DeepSeek, "deepseek-reasoner", Always),
            (ProviderId::DeepSeek, "deepseek-chat", None),
            (ProviderId::Xai, "grok-4-0709", Always),
            (ProviderId::Xai, "grok-4-fast-non-reasoning", None),
            (ProviderId::Xai, "grok-3-mini", Effort),
            (ProviderId::Mistral, "magistral-medium-latest", Always),
            (ProviderId::Mistral, "mistral-small-latest", None),
            (ProviderId::OpenRouter, "deepseek/deepseek-r1", Effort),
            (ProviderId::OpenRouter, "openai/gpt-4o", None),
        ] {
            assert_eq!(
                facts(provider, model).reasoning,
                reasoning,
                "{provider:?} {model}"
            );
        }
        assert!(!Always.takes_effort() && Always.reasons());
        assert!(!None.takes_effort() && !None.reasons());
        assert!(AnthropicBudget.takes_effort() && GeminiLevel.takes_effort());
        // OpenAI's reasoning models take no temperature; Claude takes one (without thinking).
        assert!(!facts(ProviderId::OpenAi, "o3").temperature);
        assert!(facts(ProviderId::Anthropic, "claude-sonnet-4-5").temperature);
        assert!(!facts(ProviderId::DeepSeek, "deepseek-chat").images);
        assert!(facts(ProviderId::Google, "gemini-2.5-flash").images);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn pdf_readers_are_the_documented_ones() {
        for (provider, model, documents) in [
            (ProviderId::Anthropic, "claude-sonnet-4-5-20250929", true),
            (ProviderId::Anthropic, "claude-opus-4-6", true),
            (ProviderId::Anthropic, "claude-3-7-sonnet-latest", true),
            (ProviderId::Anthropic, "claude-3-5-haiku-latest", true),
            (ProviderId::Anthropic, "claude-3-haiku-20240307", false),
            (ProviderId::Google, "gemini-2.5-flash", true),
            (ProviderId::Google, "gemini-2.0-flash-lite", true),
            (ProviderId::Google, "gemini-3-pro-preview", true),
            (ProviderId::Google, "text-embedding-004", false),
            (ProviderId::OpenAi, "gpt-4o-mini", true),
            (ProviderId::OpenAi, "gpt-4.1-nano", true),
            (ProviderId::OpenAi, "gpt-5-mini", true),
            (ProviderId::OpenAi, "gpt-5.1-chat-latest", true),
            (ProviderId::OpenAi, "o1", true),
            (ProviderId::OpenAi, "o3", true),
            (ProviderId::OpenAi, "o4-mini", true),
            // OpenAI takes PDFs only on models that take images.
            (ProviderId::OpenAi, "o3-mini", false),
            (ProviderId::OpenAi, "text-embedding-3-small", false),
            (ProviderId::OpenRouter, "anthropic/claude-sonnet-4.5", true),
            (ProviderId::OpenRouter, "google/gemini-2.5-pro", true),
            (ProviderId::OpenRouter, "openai/gpt-5", true),
            (ProviderId::OpenRouter, "x-ai/grok-4", false),
            (ProviderId::DeepSeek, "deepseek-chat", false),
            (ProviderId::Xai, "grok-4", false),
            (ProviderId::Mistral, "mistral-medium-latest", false),
            (ProviderId::Groq, "llama-4-scout-17b-16e-instruct", false),
            (ProviderId::OpenAi, "my-local-model", false),
        ] {
            assert_eq!(
                facts(provider, model).documents,
                documents,
                "{provider:?} {model}"
            );
        }
        for family in families() {
            assert!(
                !family.facts.documents || family.facts.images,
                "{}: reads PDFs but not images",
                family.prefix
            );
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn openrouter_reasons_by_effort_at_the_vendor_price() {
        let via = facts(ProviderId::OpenRouter, "anthropic/claude-sonnet-4.5");
        let own = facts(ProviderId::Anthropic, "claude-sonnet-4-5");
        assert_eq!(via.reasoning, Reasoning::Effort);
        assert_eq!(via.price, own.price);
        assert!(via.reasoning.takes_effort());
        assert_eq!(
            facts(ProviderId::OpenRouter, "google/gemini-2.5-flash").reasoning,
            Reasoning::Effort
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn remembered_lookups_answer_as_the_table_does() {
        let ids = [
            "gpt-4o-mini",
            "GPT-4.1",
            "llama-3.3-70b-versatile",
            "deepseek-chat",
            "x",
        ];
        let providers = [ProviderId::OpenAi, ProviderId::Groq, ProviderId::OpenRouter];
        let ask = || -> Vec<_> {
            ids.iter()
                .flat_map(|id| providers.map(|p| (find(p, id), find_any(id))))
                .map(|(a, b)| (a.map(|f| f.prefix), b.map(|f| f.prefix)))
                .collect()
        };
        let first = ask();
        assert_eq!(ask(), first, "asked again");
        // More models than are remembered: the oldest are looked up afresh.
        for n in 0..2 * REMEMBERED {
            assert_eq!(
                find(ProviderId::OpenAi, &format!("gpt-4o-{n}")).map(|f| f.prefix),
                Some("gpt-4o")
            );
        }
        assert_eq!(ask(), first, "after the remembered ones were replaced");
        // The same id on three providers is three lookups, each finding its own line.
        for provider in [
            ProviderId::Groq,
            ProviderId::Together,
            ProviderId::Fireworks,
        ] {
            let family = find(provider, "gpt-oss-120b").map(|f| f.provider);
            assert_eq!(family, Some(provider));
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn another_hosts_price_is_not_borrowed() {
        // Groq does not list deepseek-reasoner: its facts are DeepSeek's, its price unknown.
        let borrowed = facts(ProviderId::Groq, "deepseek-reasoner");
        assert_eq!(borrowed.reasoning, Reasoning::Always);
        assert_eq!(borrowed.price, None);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn every_default_model_is_in_the_table_with_a_price() {
        for provider in ProviderId::ALL {
            let model = default_model(provider);
            assert!(find(provider, model).is_some(), "{provider:?} {model}");
            assert!(
                facts(provider, model).price.is_some(),
                "{provider:?} {model}"
            );
            assert!(facts(provider, model).tools, "{provider:?} {model}");
        }
        assert_ne!(default_model(ProviderId::OpenAi), "gpt-4o-mini");
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_table_is_well_formed() {
        let mut seen = std::collections::BTreeSet::new();
        for family in families() {
            let Family {
                provider,
                prefix,
                facts,
            } = *family;
            assert!(
                seen.insert((provider, prefix)),
                "twice: {provider:?} {prefix}"
            );
            assert_eq!(prefix, prefix.trim().to_ascii_lowercase(), "{prefix}");
            assert!(!prefix.is_empty() && !prefix.contains('/'), "{prefix}");
            assert!(facts.max_output <= facts.context_window, "{prefix}");
            assert!(facts.context_window >= 2_048, "{prefix}");
            if let Some(p) = facts.price {
                for value in [p.input, p.output, p.cached_input, p.cache_write] {
                    assert!(value.is_finite() && value >= 0.0, "{prefix}");
                }
                assert!(p.cached_input <= p.input, "{prefix}");
                assert!(p.cache_write >= p.input, "{prefix}");
            }
            if let (ProviderId::Anthropic, Some(p)) = (provider, facts.price) {
                assert!((p.cache_write - p.input * 1.25).abs() < 1e-9, "{prefix}");
                assert!((p.cached_input - p.input * 0.1).abs() < 1e-9, "{prefix}");
            }
            // Each line is found by its own prefix, on its own provider.
            assert_eq!(
                find(provider, prefix),
                Some(family),
                "{provider:?} {prefix}"
            );
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_json_copy_is_current() {
        let file = include_str!("../models.json");
        #[cfg(not(target_family = "wasm"))]
        if std::env::var_os("FERRY_BLESS").is_some() {
            std::fs::write(
                concat!(env!("CARGO_MANIFEST_DIR"), "/models.json"),
                families_json(),
            )
            .unwrap();
            return;
        }
        assert_eq!(
            file,
            families_json(),
            "core/models.json is stale: FERRY_BLESS=1 cargo test -p ferry-core models"
        );
        let parsed: serde_json::Value = serde_json::from_str(file).unwrap();
        let first = &parsed[0];
        assert_eq!(first["provider"], "openai");
        assert_eq!(first["reasoning"]["kind"], "effort");
        assert_eq!(first["documents"], true);
        assert!(first["price"]["cache_write"].is_number());
    }
}

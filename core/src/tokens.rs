//! Which tokenizer counts a model's tokens, and the cheap estimate that stands in until the
//! exact one is loaded (or for families whose tokenizer is not public).
//!
//! The exact counting itself lives in `ferry-tokenizer`, a wasm module of its own: its BPE
//! tables are megabytes, so nothing here pulls them in.

use serde::{Deserialize, Serialize};

/// A tiktoken encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// GPT-4o, GPT-4.1, GPT-5, o1/o3/o4 and later OpenAI models.
    O200kBase,
    /// GPT-4, GPT-3.5 and OpenAI's embeddings models.
    Cl100kBase,
}

impl Encoding {
    pub const fn name(self) -> &'static str {
        match self {
            Self::O200kBase => "o200k_base",
            Self::Cl100kBase => "cl100k_base",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "o200k_base" => Some(Self::O200kBase),
            "cl100k_base" => Some(Self::Cl100kBase),
            _ => None,
        }
    }
}

/// Model-name prefixes (after any `vendor/` part) and their encodings; longest prefix wins.
const ENCODINGS: &[(&str, Encoding)] = &[
    ("gpt-4o", Encoding::O200kBase),
    ("gpt-4.1", Encoding::O200kBase),
    ("gpt-4.5", Encoding::O200kBase),
    ("gpt-5", Encoding::O200kBase),
    ("gpt-oss", Encoding::O200kBase),
    ("chatgpt-4o", Encoding::O200kBase),
    ("o1", Encoding::O200kBase),
    ("o3", Encoding::O200kBase),
    ("o4", Encoding::O200kBase),
    ("gpt-4", Encoding::Cl100kBase),
    ("gpt-3.5", Encoding::Cl100kBase),
    ("text-embedding-3", Encoding::Cl100kBase),
    ("text-embedding-ada", Encoding::Cl100kBase),
];

/// The encoding that counts `model`'s tokens exactly, when the model is OpenAI's (directly
/// or as `openai/…` on a router). Other families get `None`: estimates for them.
pub fn encoding_for(model: &str) -> Option<Encoding> {
    let name = match model.split_once('/') {
        Some(("openai", rest)) => rest,
        Some(_) => return None,
        None => model,
    };
    ENCODINGS
        .iter()
        .filter(|(prefix, _)| {
            name.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['-', '.', ':']))
        })
        .max_by_key(|(prefix, _)| prefix.len())
        .map(|&(_, encoding)| encoding)
}

/// Tokens a chat message costs beyond its text (role and delimiters), as in OpenAI's
/// accounting for its chat formats.
pub const MESSAGE_OVERHEAD: u64 = 4;

/// A cheap count of `text`'s tokens: about four characters a token. English prose runs
/// 4–5 characters a token in the BPE encodings, so this errs high there, which is the safe
/// side for a budget.
pub fn estimate(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4)
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    #[wasm_bindgen_test(unsupported = test)]
    fn openai_models_find_their_encoding() {
        for (model, encoding) in [
            ("gpt-4o", Some(Encoding::O200kBase)),
            ("gpt-4o-mini-2024-07-18", Some(Encoding::O200kBase)),
            ("gpt-4.1-nano", Some(Encoding::O200kBase)),
            ("gpt-5", Some(Encoding::O200kBase)),
            ("o3-mini", Some(Encoding::O200kBase)),
            ("openai/gpt-4o", Some(Encoding::O200kBase)),
            ("gpt-4-turbo", Some(Encoding::Cl100kBase)),
            ("gpt-4", Some(Encoding::Cl100kBase)),
            ("gpt-3.5-turbo", Some(Encoding::Cl100kBase)),
            ("text-embedding-3-small", Some(Encoding::Cl100kBase)),
        ] {
            assert_eq!(encoding_for(model), encoding, "{model}");
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn other_families_are_estimated() {
        for model in [
            "claude-sonnet-4-5",
            "gemini-2.5-flash",
            "anthropic/claude-3.5-haiku",
            "llama3.2",
            "o3x",
            "gpt-4otto",
        ] {
            assert_eq!(encoding_for(model), None, "{model}");
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn names_round_trip() {
        for encoding in [Encoding::O200kBase, Encoding::Cl100kBase] {
            assert_eq!(Encoding::from_name(encoding.name()), Some(encoding));
        }
        assert_eq!(Encoding::from_name("p50k_base"), None);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn estimates_round_up_by_characters() {
        assert_eq!(estimate(""), 0);
        assert_eq!(estimate("abcde"), 2);
        assert_eq!(estimate("ééééé"), 2);
    }
}

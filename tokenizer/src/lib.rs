//! Exact token counts with `tiktoken-rs`, built as a wasm module of its own.
//!
//! The BPE tables weigh about 1–1.5 MB gzip an encoding and take a few hundred milliseconds
//! to load, so the browser agent never links this crate: a Web Worker
//! (`web-agent/tokenizer-worker.js`) loads it on first need, and the page counts by
//! estimate until the worker is ready. It is built once per encoding (features `o200k`,
//! `cl100k`), and the worker imports only the module of the encoding a model uses.
//!
//! [`Counter`] is the plain-Rust part; [`wasm`] is the thin binding the worker calls.

use std::collections::BTreeMap;

use ferry_core::tokens::Encoding;
use tiktoken_rs::CoreBPE;

/// Why counting failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CountError {
    UnknownEncoding(String),
    /// The encoding's tables could not be built (never expected for the built-in ones).
    Load(String),
    /// This build carries another encoding's tables (its feature was not enabled).
    NotInThisModule(&'static str),
}

impl std::fmt::Display for CountError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::UnknownEncoding(name) => write!(f, "unknown encoding {name:?}"),
            Self::Load(reason) => write!(f, "the encoding could not be loaded: {reason}"),
            Self::NotInThisModule(name) => write!(f, "this module does not carry {name}"),
        }
    }
}

impl std::error::Error for CountError {}

/// Counts tokens, building each encoding's tables once, on first use.
#[derive(Default)]
pub struct Counter {
    loaded: BTreeMap<Encoding, CoreBPE>,
}

impl Counter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds `encoding`'s tables now (so the first count is not the slow one).
    pub fn load(&mut self, encoding: Encoding) -> Result<&CoreBPE, CountError> {
        match self.loaded.entry(encoding) {
            std::collections::btree_map::Entry::Occupied(loaded) => Ok(loaded.into_mut()),
            std::collections::btree_map::Entry::Vacant(slot) => {
                let bpe = match encoding {
                    #[cfg(feature = "o200k")]
                    Encoding::O200kBase => tiktoken_rs::o200k_base(),
                    #[cfg(feature = "cl100k")]
                    Encoding::Cl100kBase => tiktoken_rs::cl100k_base(),
                    #[allow(
                        unreachable_patterns,
                        reason = "with both features every encoding is here"
                    )]
                    other => return Err(CountError::NotInThisModule(other.name())),
                }
                .map_err(|e| CountError::Load(e.to_string()))?;
                Ok(slot.insert(bpe))
            }
        }
    }

    /// The number of tokens in `text`. Special-token markup (`<|endoftext|>`) counts as the
    /// ordinary text it is, since user text never carries real special tokens.
    pub fn count(&mut self, encoding: Encoding, text: &str) -> Result<u64, CountError> {
        let bpe = self.load(encoding)?;
        Ok(bpe.encode_ordinary(text).len() as u64)
    }
}

#[cfg(target_arch = "wasm32")]
pub mod wasm {
    //! The worker's entry points: `load(encoding)` and `countMany(encoding, texts)`.

    use std::cell::RefCell;

    use ferry_core::tokens::Encoding;
    use wasm_bindgen::prelude::*;

    use super::{CountError, Counter};

    thread_local! {
        static COUNTER: RefCell<Counter> = RefCell::new(Counter::new());
    }

    fn encoding(name: &str) -> Result<Encoding, JsValue> {
        Encoding::from_name(name).ok_or_else(|| error(&CountError::UnknownEncoding(name.into())))
    }

    fn error(e: &CountError) -> JsValue {
        js_sys_error(&e.to_string())
    }

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_name = Error)]
        fn js_sys_error(message: &str) -> JsValue;
    }

    /// Builds an encoding's tables ahead of the first count.
    #[wasm_bindgen]
    pub fn load(encoding_name: &str) -> Result<(), JsValue> {
        let encoding = encoding(encoding_name)?;
        COUNTER.with_borrow_mut(|counter| counter.load(encoding).map(|_| ()).map_err(|e| error(&e)))
    }

    /// Counts each text's tokens.
    #[wasm_bindgen(js_name = countMany)]
    pub fn count_many(encoding_name: &str, texts: Vec<String>) -> Result<Vec<u32>, JsValue> {
        let encoding = encoding(encoding_name)?;
        COUNTER.with_borrow_mut(|counter| {
            texts
                .iter()
                .map(|text| {
                    counter
                        .count(encoding, text)
                        .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
                        .map_err(|e| error(&e))
                })
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    // The published examples (OpenAI's cookbook); the browser test compares whole texts
    // against js-tiktoken, an independent implementation.
    #[wasm_bindgen_test(unsupported = test)]
    fn counts_match_tiktoken() {
        let mut counter = Counter::new();
        for (encoding, text, tokens) in [
            (Encoding::Cl100kBase, "hello world", 2),
            (Encoding::O200kBase, "hello world", 2),
            (Encoding::Cl100kBase, "", 0),
            (Encoding::Cl100kBase, "tiktoken is great!", 6),
        ] {
            assert_eq!(
                counter.count(encoding, text),
                Ok(tokens),
                "{encoding:?} {text:?}"
            );
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn special_token_markup_is_ordinary_text() {
        let mut counter = Counter::new();
        let tokens = counter
            .count(Encoding::Cl100kBase, "<|endoftext|>")
            .unwrap_or(0);
        assert!(
            tokens > 1,
            "counted as text, not one special token: {tokens}"
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_estimate_errs_high_on_prose() {
        let prose = "The quick brown fox jumps over the lazy dog. ".repeat(50);
        let mut counter = Counter::new();
        let exact = counter.count(Encoding::O200kBase, &prose).unwrap_or(0);
        let estimate = ferry_core::tokens::estimate(&prose);
        assert!(estimate >= exact, "estimate {estimate} < exact {exact}");
        assert!(
            estimate <= exact * 2,
            "estimate {estimate} far above {exact}"
        );
    }
}

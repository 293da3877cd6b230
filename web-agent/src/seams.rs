//! The platform behind narrow traits, so the agent runs natively in tests with fakes and in
//! the browser with `fetch`, IndexedDB and Web Crypto (`browser`).
//!
//! The traits are `?Send`: in the browser everything runs on one thread.

use ferry_core::tokens::Encoding;
use serde::{Deserialize, Serialize};

/// A secret sealed with AES-GCM: what is stored instead of a provider key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sealed {
    /// The 12-byte nonce, base64 — fresh for every sealing.
    pub iv: String,
    /// Ciphertext and tag, base64.
    pub ciphertext: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    #[error("the key store is not available: {0}")]
    Unavailable(String),
    /// Wrong key or passphrase, or tampered data.
    #[error("the secret could not be opened")]
    Open,
    #[error("encryption failed: {0}")]
    Seal(String),
}

/// A secret that cannot be sealed or opened is a storage failure to the UI.
impl From<VaultError> for crate::protocol::ErrorKind {
    fn from(_: VaultError) -> Self {
        Self::Storage
    }
}

/// Seals and opens secrets under a key that never leaves the vault.
#[expect(
    async_fn_in_trait,
    reason = "single-threaded browser code; no Send bound wanted"
)]
pub trait Vault {
    async fn seal(&self, plaintext: &str) -> Result<Sealed, VaultError>;
    async fn open(&self, sealed: &Sealed) -> Result<String, VaultError>;
}

/// Exact token counts, from a tokenizer that loads lazily and off the main thread.
#[expect(
    async_fn_in_trait,
    reason = "single-threaded browser code; no Send bound wanted"
)]
pub trait Tokenizer {
    /// The tokens of each text in `encoding`, or `None` while that encoding is not loaded
    /// (asking starts the loading) or cannot be: the caller estimates meanwhile.
    async fn count(&self, encoding: Encoding, texts: &[&str]) -> Option<Vec<u64>>;
}

/// No tokenizer: every count is an estimate.
#[derive(Debug, Clone, Copy, Default)]
pub struct Estimate;

impl Tokenizer for Estimate {
    async fn count(&self, _: Encoding, _: &[&str]) -> Option<Vec<u64>> {
        None
    }
}

/// An optional tokenizer: estimates when absent.
impl<K: Tokenizer> Tokenizer for Option<K> {
    async fn count(&self, encoding: Encoding, texts: &[&str]) -> Option<Vec<u64>> {
        match self {
            Some(tokenizer) => tokenizer.count(encoding, texts).await,
            None => None,
        }
    }
}

//! The user's settings and provider keys: the settings parsed, saved and pushed to the
//! user's other devices; keys sealed by the vault or kept in memory only.

use ferry_core::ProviderId;
use serde::{Deserialize, Serialize};

use super::{Clock, Runtime};
use crate::compaction;
use crate::protocol::ErrorKind;
use crate::seams::{Tokenizer, Vault};
use crate::store::{KeyOwner, KeyRecord, Store};
use crate::transport::Transport;

/// The user's settings (synced, never containing keys).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub provider: ProviderId,
    pub model: String,
    #[serde(default)]
    pub system_prompt: String,
    #[serde(default)]
    pub proxy_url: Option<String>,
    #[serde(default)]
    pub always_proxy: bool,
    /// Where direct calls go instead of the provider's own API (a local Ollama, a
    /// compatible gateway).
    #[serde(default)]
    pub provider_base_url: Option<String>,
    /// Model calls per user turn at most (tool rounds included).
    #[serde(default = "default_max_rounds")]
    pub max_rounds: u32,
    /// The model's context window, in tokens.
    #[serde(default = "default_context_window")]
    pub context_window: u64,
    /// Tokens kept free for the answer.
    #[serde(default = "default_answer_reserve")]
    pub answer_reserve: u64,
    /// Tokens of recent conversation kept verbatim when older messages are summarized.
    #[serde(default = "default_keep_recent")]
    pub keep_recent_tokens: u64,
    /// The Supabase project, when the user signs in: direct calls' usage goes there.
    #[serde(default)]
    pub supabase_url: Option<String>,
    /// The project's public (anon) API key, which Supabase's REST API asks for.
    #[serde(default)]
    pub supabase_anon_key: Option<String>,
    /// Tools the user chose to "always allow": their calls never wait for approval.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub always_allow: Vec<String>,
}

fn default_max_rounds() -> u32 {
    8
}

fn default_context_window() -> u64 {
    128_000
}

fn default_answer_reserve() -> u64 {
    4_096
}

fn default_keep_recent() -> u64 {
    compaction::Policy::default().keep_recent_tokens
}

impl<T: Transport, S: Store, V: Vault, C: Clock, K: Tokenizer> Runtime<T, S, V, C, K> {
    /// Takes `settings` as the user's, saves them and sends them to the user's other
    /// devices; settings that do not parse are refused and nothing changes.
    pub(super) async fn set_settings(
        &mut self,
        settings: serde_json::Value,
    ) -> Result<(), ErrorKind> {
        let Ok(parsed) = serde_json::from_value(settings.clone()) else {
            return Err(ErrorKind::InvalidRequest);
        };
        self.settings = parsed;
        let saved = self
            .store
            .put_settings(&settings)
            .await
            .map_err(ErrorKind::from);
        // For the user's other devices.
        self.push_settings().await;
        saved
    }

    pub(super) async fn set_key(
        &mut self,
        provider: KeyOwner,
        key: String,
        remember: bool,
    ) -> Result<(), ErrorKind> {
        if remember {
            let sealed = self.vault.seal(&key).await?;
            self.store.put_key(&KeyRecord { provider, sealed }).await?;
        } else {
            // "Don't save key": forget any stored copy, keep it in memory only.
            self.store.delete_key(provider).await?;
        }
        self.keys.insert(provider, key);
        Ok(())
    }

    /// Forgets the key of `provider`, in memory and in the store.
    pub(super) async fn clear_key(&mut self, provider: KeyOwner) -> Result<(), ErrorKind> {
        self.keys.remove(&provider);
        self.store
            .delete_key(provider)
            .await
            .map_err(ErrorKind::from)
    }
}

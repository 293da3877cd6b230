//! The user's settings and provider keys: the settings parsed, saved and pushed to the
//! user's other devices; keys sealed by the vault or kept in memory only.

use ferry_core::ProviderId;
use ferry_core::models::{self, ModelFacts};
use serde::{Deserialize, Serialize};

use super::{Clock, Runtime};
use crate::compaction;
use crate::protocol::{ChatParams, ErrorKind, Event, ModelRef};
use crate::seams::{Tokenizer, Vault};
use crate::store::{KeyOwner, KeyRecord, Store};
use crate::transport::Transport;

/// The user's settings (synced, never containing keys). Read stored or sent settings
/// with [`Settings::read`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub provider: ProviderId,
    /// Empty: the provider's current default ([`Settings::model`]).
    #[serde(default)]
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
    /// The context window compaction keeps to, in tokens; `None`: the model's own
    /// ([`Settings::context_window`]).
    #[serde(default)]
    pub context_window: Option<u64>,
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
    /// Every chat's default parameters (a chat's own take their place field by field).
    #[serde(default)]
    pub params: ChatParams,
    /// Whether an attached image's original is kept beside the downscaled copy sent.
    #[serde(default)]
    pub keep_original_images: bool,
    /// The proxy's `MAX_MEDIA_BODY_BYTES` as served (`max_media_body_bytes` in its
    /// `ferry-config.json`), from the page's defaults; `None`: the proxy's default. It
    /// sizes what a request through the proxy carries of earlier messages' files. A fact
    /// of the server, not the user's choice: settings saved without it keep it, and the
    /// page's figure wins over a saved one ([`Settings::served_by`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_max_media_body_bytes: Option<u64>,
    /// The models every chat falls back to, in order, after the main one (a chat may have
    /// its own).
    /// Stored links this version cannot use are left out ([`ModelRef::known_links`]);
    /// [`Runtime::set_settings`] refuses them.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "ModelRef::known_links"
    )]
    pub fallbacks: Vec<ModelRef>,
    /// Seconds a model call may take to its first answer before the chain moves on.
    #[serde(
        default = "default_first_answer_timeout_secs",
        skip_serializing_if = "is_default_timeout"
    )]
    pub first_answer_timeout_secs: u64,
}

/// The context window every version before per-chat parameters wrote, chosen or not.
const LEGACY_CONTEXT_WINDOW: u64 = 128_000;

impl Settings {
    /// Settings as stored or sent (JSON). Settings written before chats had parameters
    /// (no `params` field) always carried `context_window: 128000`, the old default,
    /// whether the user chose it or not: there it is read as not set, so the model's own
    /// window applies. From this version on `params` is always written, and a
    /// `context_window` beside it is the user's.
    pub fn read(json: serde_json::Value) -> Result<Self, serde_json::Error> {
        let legacy = json.get("params").is_none();
        let mut settings: Self = serde_json::from_value(json)?;
        if legacy && settings.context_window == Some(LEGACY_CONTEXT_WINDOW) {
            settings.context_window = None;
        }
        Ok(settings)
    }

    /// These (the user's saved settings) with what the page that opens the agent serves
    /// (`page`, its defaults): the proxy's media cap, when the page gives one.
    pub fn served_by(mut self, page: &Settings) -> Self {
        if page.proxy_max_media_body_bytes.is_some() {
            self.proxy_max_media_body_bytes = page.proxy_max_media_body_bytes;
        }
        self
    }

    /// The model chats use: the one chosen, or the provider's current default.
    pub fn model(&self) -> &str {
        if self.model.trim().is_empty() {
            models::default_model(self.provider)
        } else {
            &self.model
        }
    }

    /// What Ferry knows of the model chats use.
    pub fn facts(&self) -> ModelFacts {
        models::facts(self.provider, self.model())
    }

    /// The context window compaction keeps to: the user's, else the model's.
    pub fn context_window(&self) -> u64 {
        self.context_window
            .unwrap_or_else(|| u64::from(self.facts().context_window))
    }
}

fn default_first_answer_timeout_secs() -> u64 {
    crate::protocol::DEFAULT_FIRST_ANSWER_TIMEOUT_SECS
}

fn is_default_timeout(secs: &u64) -> bool {
    *secs == crate::protocol::DEFAULT_FIRST_ANSWER_TIMEOUT_SECS
}

fn default_max_rounds() -> u32 {
    8
}

/// Whether `params` are values a provider could take: a temperature from 0 to 2 (OpenAI's
/// range, the widest), an answer of at least one token.
pub(super) fn valid_params(params: &ChatParams) -> bool {
    params
        .temperature
        .is_none_or(|t| t.is_finite() && (0.0..=2.0).contains(&t))
        && params.max_output_tokens.is_none_or(|n| n > 0)
}

fn default_answer_reserve() -> u64 {
    4_096
}

fn default_keep_recent() -> u64 {
    compaction::Policy::default().keep_recent_tokens
}

/// Why a fallback link of `settings` (as sent) cannot be used, in words: the first one
/// that does not read as a model at a service Ferry knows.
fn unusable_link(settings: &serde_json::Value) -> Option<String> {
    let links = settings.get("fallbacks")?.as_array()?;
    links.iter().enumerate().find_map(|(at, link)| {
        let refused = serde_json::from_value::<ModelRef>(link.clone()).err()?;
        let what = match link.get("provider").and_then(serde_json::Value::as_str) {
            Some(provider) if link.get("model").is_none_or(serde_json::Value::is_string) => {
                format!("the service \"{provider}\" is not one Ferry knows")
            }
            _ => refused.to_string(),
        };
        Some(format!("fallback model {}: {what}", at + 1))
    })
}

impl<T: Transport, S: Store, V: Vault, C: Clock, K: Tokenizer> Runtime<T, S, V, C, K> {
    /// Takes `settings` as the user's, saves them and sends them to the user's other
    /// devices; settings that do not parse are refused and nothing changes. A fallback
    /// link this version cannot use is refused by name, not left out as a stored one is.
    pub(super) async fn set_settings(
        &mut self,
        settings: serde_json::Value,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        if let Some(problem) = unusable_link(&settings) {
            emit(Event::Error {
                session: None,
                kind: ErrorKind::InvalidRequest,
                message: format!("the settings were not saved: {problem}"),
            });
            return Ok(());
        }
        let mut parsed = match Settings::read(settings) {
            Ok(parsed) if valid_params(&parsed.params) => parsed,
            _ => return Err(ErrorKind::InvalidRequest),
        };
        // The app's settings form does not carry what the page serves.
        if parsed.proxy_max_media_body_bytes.is_none() {
            parsed.proxy_max_media_body_bytes = self.settings.proxy_max_media_body_bytes;
        }
        self.settings = parsed;
        // As read: with `params` always written, so the legacy rule never applies again.
        let saved = match serde_json::to_value(&self.settings) {
            Ok(json) => self
                .store
                .put_settings(&json)
                .await
                .map_err(ErrorKind::from),
            Err(_) => Err(ErrorKind::InvalidRequest),
        };
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

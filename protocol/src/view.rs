//! The plain values Commands and Events carry: what the app shows and sends, shaped for
//! the app. None of them is how the agent stores anything; the agent converts its records
//! into these at the boundary, so a change of its storage never reaches the app.

use ferry_core::ProviderId;
use ferry_core::media::MediaKind;
use ferry_core::search::SearchEngine;
use ferry_core::wire::{Message, ReasoningEffort, Usage};
use serde::{Deserialize, Serialize};

pub type SessionId = String;
pub type MessageId = String;

/// The answer text a tool call left unanswered gets when the user stops the turn.
pub const STOPPED_TOOL_OUTPUT: &str = "(not run: the user stopped the turn)";
/// The answer text of a tool call the user declined.
pub const DECLINED_TOOL_OUTPUT: &str =
    "(not run: the user declined this call; do not try it again without asking them)";

/// A chat, as the sidebar lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionView {
    pub id: SessionId,
    pub title: String,
    pub created_ms: u64,
    pub updated_ms: u64,
    /// This chat's own parameters; a field left `None` takes the default of
    /// [`SettingsView::params`].
    #[serde(default)]
    pub params: ChatParams,
    /// What the answers the chat holds cost, in USD (`None`: no answer reported a cost).
    #[serde(default)]
    pub cost_usd: Option<f64>,
    /// This chat's own switches for MCP servers, by server id; a server not named follows
    /// its global switch.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub mcp: crate::ChatMcp,
    /// In search results: the first message that matched (in any branch), so opening the
    /// hit shows the branch holding it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hit: Option<MessageId>,
    /// This chat's own fallback chain after the main model; `None`: the default of
    /// [`SettingsView::fallbacks`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallbacks: Option<Vec<crate::ModelRef>>,
}

/// The parameters of a chat's model calls. In [`SettingsView::params`] they are the
/// defaults, in [`SessionView::params`] one chat's choices; a `None` field is "not set"
/// (the chat takes the default; the default leaves it to the provider). Only the fields
/// set are written. A parameter the model does not take (see
/// `ferry_core::models::facts`) is neither shown nor sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatParams {
    /// How hard a reasoning model thinks before it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_effort: Option<ReasoningEffort>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// The answer's length at most, in tokens, at most the model's own maximum. As the
    /// provider counts it: OpenAI's and Gemini's include the thinking; with Anthropic's
    /// thinking on, the thinking budget comes on top.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<u32>,
}

impl ChatParams {
    /// These parameters, each one not set taken from `defaults`.
    pub fn or(self, defaults: &ChatParams) -> ChatParams {
        ChatParams {
            reasoning_effort: self.reasoning_effort.or(defaults.reasoning_effort),
            temperature: self.temperature.or(defaults.temperature),
            max_output_tokens: self.max_output_tokens.or(defaults.max_output_tokens),
        }
    }

    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        *self == ChatParams::default()
    }
}

/// One message of a chat, as the conversation shows it. An answer still streaming, or cut
/// short by Stop, is `partial`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageView {
    pub id: MessageId,
    pub session: SessionId,
    /// Order within the session.
    pub seq: u64,
    pub message: Message,
    #[serde(default)]
    pub partial: bool,
    pub created_ms: u64,
    /// What this answer cost, in USD: the provider's (or proxy's) figure, else an
    /// estimate from the price table. Only on answers whose usage is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
    /// The tokens this answer took (its thinking counted in `completion_tokens`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// On a tool result: whether the tool ran and succeeded (`false` for a failed, unknown,
    /// declined or stopped call). `None` on other messages and on results stored before
    /// the flag was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_ok: Option<bool>,
    /// The files the user attached to this message (only on user messages).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<AttachmentView>,
    /// The message this one follows in the chat's tree (`None`: a first message).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<MessageId>,
    /// The versions of this message (its parent's children, oldest first, itself among
    /// them); empty when it is the only one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub siblings: Vec<MessageId>,
    /// On an answer of a chat with a fallback chain: which model wrote it, and the links
    /// passed over before it, with why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_by: Option<crate::AnsweredBy>,
}

/// One attachment of a message, as the app shows it and sends it back with
/// [`Command::SendMessage`]. Of a view sent back the agent trusts only `id` and `name`: the
/// rest it reads from what it stored.
///
/// [`Command::SendMessage`]: crate::Command::SendMessage
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentView {
    /// Lowercase hex SHA-256 of the stored bytes: the same content is stored once.
    pub id: String,
    /// The file's name as picked (`"screenshot.png"` for a pasted image).
    pub name: String,
    /// The MIME type of the stored bytes (`image/jpeg`, `application/pdf`, `text/markdown`).
    pub mime: String,
    pub kind: MediaKind,
    /// Bytes stored and sent (an image after downscaling).
    pub size: u64,
    /// An image's size in pixels, as stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// A PDF's page count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pages: Option<u32>,
    /// The id of the original image, kept beside the downscaled one only when the user
    /// asked for it ([`SettingsView::keep_original_images`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original: Option<String>,
    /// The original's size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_size: Option<u64>,
    /// The UTF-8 bytes of the text the agent sends for it when it goes as text: a text
    /// file's `<file name=…>` text, a PDF's `<document …>` text (its text read, for a model
    /// that does not take PDFs). The app counts it against the proxy's cap on a request's
    /// text before sending. `None` for images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_bytes: Option<u64>,
}

/// The user's settings as the app shows and edits them (never containing keys). The app
/// sends them back whole, as JSON, with [`Command::SetSettings`].
///
/// [`Command::SetSettings`]: crate::Command::SetSettings
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingsView {
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
    /// The context window compaction keeps to, in tokens; `None`: the model's own (from
    /// `ferry_core::models::facts`).
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
    /// The default parameters of every chat's model calls.
    #[serde(default)]
    pub params: ChatParams,
    /// Whether an attached image's original is kept beside the downscaled copy that is
    /// sent (the model never sees it; it takes storage).
    #[serde(default)]
    pub keep_original_images: bool,
    /// The models every chat falls back to, in order, after the main one (a chat may have
    /// its own, [`SessionView::fallbacks`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fallbacks: Vec<crate::ModelRef>,
    /// Seconds a model call may take to its first answer (headers and first chunk) before
    /// it counts as timed out and the chain moves on.
    #[serde(
        default = "crate::fallback::default_first_answer_timeout_secs",
        skip_serializing_if = "crate::fallback::is_default_timeout"
    )]
    pub first_answer_timeout_secs: u64,
}

// The agent's own defaults; it always sends every field, so these only matter for a view
// read from elsewhere. The agent's tests check that both read the same.
fn default_max_rounds() -> u32 {
    8
}

fn default_answer_reserve() -> u64 {
    4_096
}

fn default_keep_recent() -> u64 {
    20_000
}

/// Whose key it is: a model provider's, or a search engine's (for `web_search`). Sent as
/// the plain name (`"openai"`, `"brave"`); read by that name with [`Deserialize`] written
/// out, not derived (serde's untagged enum buffers the value first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(untagged)]
pub enum KeyOwner {
    Provider(ProviderId),
    Search(SearchEngine),
}

impl<'de> Deserialize<'de> for KeyOwner {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Name;
        impl serde::de::Visitor<'_> for Name {
            type Value = KeyOwner;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a provider or a search engine")
            }
            fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<KeyOwner, E> {
                let provider = ProviderId::ALL.into_iter().map(KeyOwner::Provider);
                let search = SearchEngine::ALL.into_iter().map(KeyOwner::Search);
                provider
                    .chain(search)
                    .find(|owner| owner.as_str() == name)
                    .ok_or_else(|| {
                        E::custom("data did not match any variant of untagged enum KeyOwner")
                    })
            }
        }
        deserializer.deserialize_str(Name)
    }
}

impl KeyOwner {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Provider(provider) => provider.as_str(),
            Self::Search(engine) => engine.as_str(),
        }
    }
}

impl From<ProviderId> for KeyOwner {
    fn from(provider: ProviderId) -> Self {
        Self::Provider(provider)
    }
}

/// The OAuth providers the app offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OAuthProvider {
    Github,
    Google,
}

impl OAuthProvider {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Github => "github",
            Self::Google => "google",
        }
    }
}

/// The user's answer to a tool call that waits for approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Run this call.
    AllowOnce,
    /// Run this call and every later call of the tool in this chat.
    AllowInChat,
    /// Run this call and every later call of the tool, in every chat (kept in settings).
    AlwaysAllow,
    /// Do not run it: the model is told the user declined.
    Deny,
}

impl Decision {
    pub fn allows(self) -> bool {
        match self {
            Self::AllowOnce | Self::AllowInChat | Self::AlwaysAllow => true,
            Self::Deny => false,
        }
    }
}

/// One model call, as the Usage page lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsageRow {
    /// RFC 3339, UTC.
    pub created_at: String,
    pub route: String,
    pub provider: String,
    pub model: String,
    pub input_tokens: u64,
    /// Thinking included.
    pub output_tokens: u64,
    /// Thinking, part of `output_tokens` (Anthropic's is an estimate).
    #[serde(default)]
    pub reasoning_tokens: u64,
    /// Input written to the provider's cache, part of `input_tokens`.
    #[serde(default)]
    pub cache_write_tokens: u64,
    pub cost_usd: Option<f64>,
    pub error_code: Option<String>,
}

/// One day's totals, as the Usage page charts them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayUsage {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    pub calls: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: f64,
}

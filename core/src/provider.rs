//! The provider registry: the ten providers of the contract and what Ferry knows of each.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ProxyError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderId {
    #[serde(rename = "openai")]
    OpenAi,
    Anthropic,
    Google,
    #[serde(rename = "openrouter")]
    OpenRouter,
    Groq,
    Mistral,
    #[serde(rename = "deepseek")]
    DeepSeek,
    Xai,
    Together,
    Fireworks,
}

/// The API dialect a provider speaks upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WireFormat {
    /// OpenAI Chat Completions, passed through.
    OpenAi,
    /// Anthropic Messages, translated.
    Anthropic,
    /// Gemini generateContent, translated.
    Google,
}

/// How the user's key travels to the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthStyle {
    /// `Authorization: Bearer <key>`
    Bearer,
    /// `x-api-key: <key>` (Anthropic)
    XApiKey,
    /// `x-goog-api-key: <key>` (Gemini)
    XGoogApiKey,
}

impl AuthStyle {
    /// The header name and value that carry `key`.
    pub fn header(self, key: &str) -> (&'static str, String) {
        match self {
            Self::Bearer => ("authorization", format!("Bearer {key}")),
            Self::XApiKey => ("x-api-key", key.to_owned()),
            Self::XGoogApiKey => ("x-goog-api-key", key.to_owned()),
        }
    }
}

/// A header a request sent from a browser page must carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Header {
    pub name: &'static str,
    pub value: &'static str,
}

/// What Ferry knows of a provider: the one registry, read by the proxy, the agent's
/// routing, the app and (through `core/providers.json`) the end-to-end tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ProviderInfo {
    pub id: ProviderId,
    /// The name people know it by, as the app shows it.
    pub display_name: &'static str,
    /// API root as the provider's own SDK takes it.
    pub default_base_url: &'static str,
    pub wire: WireFormat,
    pub auth: AuthStyle,
    /// Whether a browser page may call the provider directly (it answers CORS preflights).
    pub browser_cors: bool,
    /// What a browser page's direct call must add (Anthropic's opt-in, their name for it).
    pub browser_header: Option<Header>,
    /// Prefix of the provider's variables: `<PREFIX>_BASE_URL`, `PROXY_DISABLE_<PREFIX>`.
    pub env_prefix: &'static str,
}

/// An OpenAI-format provider called with a bearer key.
const fn openai_format(
    id: ProviderId,
    display_name: &'static str,
    default_base_url: &'static str,
    browser_cors: bool,
    env_prefix: &'static str,
) -> ProviderInfo {
    ProviderInfo {
        id,
        display_name,
        default_base_url,
        wire: WireFormat::OpenAi,
        auth: AuthStyle::Bearer,
        browser_cors,
        browser_header: None,
        env_prefix,
    }
}

const OPENAI: ProviderInfo = openai_format(
    ProviderId::OpenAi,
    "OpenAI",
    "https://api.openai.com/v1",
    true,
    "OPENAI",
);
const ANTHROPIC: ProviderInfo = ProviderInfo {
    id: ProviderId::Anthropic,
    display_name: "Anthropic",
    default_base_url: "https://api.anthropic.com",
    wire: WireFormat::Anthropic,
    auth: AuthStyle::XApiKey,
    browser_cors: true,
    browser_header: Some(Header {
        name: "anthropic-dangerous-direct-browser-access",
        value: "true",
    }),
    env_prefix: "ANTHROPIC",
};
const GOOGLE: ProviderInfo = ProviderInfo {
    id: ProviderId::Google,
    display_name: "Google Gemini",
    default_base_url: "https://generativelanguage.googleapis.com",
    wire: WireFormat::Google,
    auth: AuthStyle::XGoogApiKey,
    browser_cors: true,
    browser_header: None,
    env_prefix: "GOOGLE",
};
const OPENROUTER: ProviderInfo = openai_format(
    ProviderId::OpenRouter,
    "OpenRouter",
    "https://openrouter.ai/api/v1",
    true,
    "OPENROUTER",
);
const GROQ: ProviderInfo = openai_format(
    ProviderId::Groq,
    "Groq",
    "https://api.groq.com/openai/v1",
    true,
    "GROQ",
);
const MISTRAL: ProviderInfo = openai_format(
    ProviderId::Mistral,
    "Mistral",
    "https://api.mistral.ai/v1",
    false,
    "MISTRAL",
);
const DEEPSEEK: ProviderInfo = openai_format(
    ProviderId::DeepSeek,
    "DeepSeek",
    "https://api.deepseek.com/v1",
    false,
    "DEEPSEEK",
);
const XAI: ProviderInfo =
    openai_format(ProviderId::Xai, "xAI", "https://api.x.ai/v1", false, "XAI");
const TOGETHER: ProviderInfo = openai_format(
    ProviderId::Together,
    "Together",
    "https://api.together.xyz/v1",
    false,
    "TOGETHER",
);
const FIREWORKS: ProviderInfo = openai_format(
    ProviderId::Fireworks,
    "Fireworks",
    "https://api.fireworks.ai/inference/v1",
    false,
    "FIREWORKS",
);

impl ProviderId {
    pub const ALL: [ProviderId; 10] = [
        Self::OpenAi,
        Self::Anthropic,
        Self::Google,
        Self::OpenRouter,
        Self::Groq,
        Self::Mistral,
        Self::DeepSeek,
        Self::Xai,
        Self::Together,
        Self::Fireworks,
    ];

    /// The id as the contract spells it (`X-Provider`, JSON, `/health`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OpenAi => "openai",
            Self::Anthropic => "anthropic",
            Self::Google => "google",
            Self::OpenRouter => "openrouter",
            Self::Groq => "groq",
            Self::Mistral => "mistral",
            Self::DeepSeek => "deepseek",
            Self::Xai => "xai",
            Self::Together => "together",
            Self::Fireworks => "fireworks",
        }
    }

    /// The provider's entry in the registry.
    pub fn info(self) -> &'static ProviderInfo {
        match self {
            Self::OpenAi => &OPENAI,
            Self::Anthropic => &ANTHROPIC,
            Self::Google => &GOOGLE,
            Self::OpenRouter => &OPENROUTER,
            Self::Groq => &GROQ,
            Self::Mistral => &MISTRAL,
            Self::DeepSeek => &DEEPSEEK,
            Self::Xai => &XAI,
            Self::Together => &TOGETHER,
            Self::Fireworks => &FIREWORKS,
        }
    }
}

/// The registry as JSON, for tools outside Rust (the end-to-end tests read it from
/// `core/providers.json`, which a test keeps equal to this).
pub fn registry_json() -> String {
    let all: Vec<&ProviderInfo> = ProviderId::ALL.into_iter().map(ProviderId::info).collect();
    // Plain strings, bools and enums: serializing cannot fail.
    serde_json::to_string_pretty(&all).unwrap_or_default() + "\n"
}

impl fmt::Display for ProviderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProviderId {
    type Err = ProxyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        Self::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| ProxyError::invalid(format!("unknown provider '{wanted}'")))
    }
}

/// Which provider a request is for, and the model name to send it.
///
/// The longest model name the proxy accepts, in characters. Real model ids are well under
/// 100 (`accounts/fireworks/models/llama-v3p1-405b-instruct` is one of the long ones); 256
/// leaves room for routers' and fine-tunes' names while keeping logs and usage rows sane.
pub const MAX_MODEL_CHARS: usize = 256;

/// Checks a client's `model` before it goes anywhere (upstream, the log, a usage row):
/// not empty, at most [`MAX_MODEL_CHARS`] characters, printable characters only — no
/// control characters (U+0000 cannot even be stored in a PostgreSQL `text`), no line or
/// paragraph separators, no invisible format or bidirectional-override characters. The
/// message names the offending code point, never repeats the name.
pub fn check_model_name(model: &str) -> Result<(), ProxyError> {
    if model.trim().is_empty() {
        return Err(ProxyError::invalid("model must not be empty"));
    }
    let chars = model.chars().count();
    if chars > MAX_MODEL_CHARS {
        return Err(ProxyError::invalid(format!(
            "model is {chars} characters long; at most {MAX_MODEL_CHARS} are accepted"
        )));
    }
    if let Some(bad) = model.chars().find(|&c| !is_printable(c)) {
        return Err(ProxyError::invalid(format!(
            "model contains a character that is not printable (U+{:04X})",
            u32::from(bad)
        )));
    }
    Ok(())
}

fn is_printable(c: char) -> bool {
    !(c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{061C}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{FEFF}'
                | '\u{FFF9}'..='\u{FFFB}'
                | '\u{E0000}'..='\u{E007F}'
        )
        || (0xFDD0..=0xFDEF).contains(&u32::from(c))
        || u32::from(c) & 0xFFFE == 0xFFFE)
}

/// `X-Provider` wins; without it, a model of the form `<provider>/<model>` selects the
/// provider and the prefix is stripped. With it, the model is sent as given (OpenRouter's
/// own model ids contain a slash).
pub fn resolve_provider(
    header: Option<&str>,
    model: &str,
) -> Result<(ProviderId, String), ProxyError> {
    if let Some(header) = header.filter(|h| !h.trim().is_empty()) {
        return Ok((header.parse()?, model.to_owned()));
    }
    match model.split_once('/') {
        Some((prefix, rest)) if !rest.is_empty() => match prefix.parse() {
            Ok(provider) => Ok((provider, rest.to_owned())),
            Err(_) => Err(ProxyError::invalid(format!(
                "unknown provider '{prefix}' in model '{model}'; send X-Provider or use <provider>/<model>"
            ))),
        },
        _ => Err(ProxyError::invalid(
            "missing provider: send X-Provider or a model of the form <provider>/<model>",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn model_names_must_be_printable_and_of_sane_length() {
        for good in [
            "gpt-4o-mini",
            "openai/gpt-4o",
            "accounts/fireworks/models/llama-v3p1-405b-instruct",
            "ft:gpt-4o-mini:my-org::abc123",
            "gemini-2.5-flash",
            "модель-ü",
            &"m".repeat(MAX_MODEL_CHARS),
        ] {
            assert_eq!(check_model_name(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "   ",
            "gpt\u{0}4o",
            "\u{0}",
            "gpt-4o\n",
            "gpt\t4o",
            "gpt\u{7f}",
            "gpt\u{85}",
            "gpt\u{200B}4o",
            "gpt\u{202E}o4",
            "gpt\u{2028}",
            "gpt\u{FEFF}",
            "gpt\u{FFFF}",
            &"m".repeat(MAX_MODEL_CHARS + 1),
        ] {
            let error = check_model_name(bad).unwrap_err();
            assert_eq!(
                (error.status(), error.code()),
                (400, "invalid_request"),
                "{bad:?}"
            );
            assert!(!error.to_string().contains('\u{0}'));
        }
        assert!(
            check_model_name("a\u{0}b")
                .unwrap_err()
                .to_string()
                .contains("U+0000")
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn ids_round_trip_through_text_and_json() {
        for id in ProviderId::ALL {
            assert_eq!(id.as_str().parse::<ProviderId>(), Ok(id));
            assert_eq!(
                serde_json::to_string(&id).unwrap(),
                format!("\"{}\"", id.as_str())
            );
            assert_eq!(id.info().env_prefix, id.as_str().to_ascii_uppercase());
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_registry_has_one_entry_per_provider_and_tools_read_it_as_is() {
        for id in ProviderId::ALL {
            assert_eq!(id.info().id, id);
            assert!(!id.info().display_name.is_empty());
        }
        assert_eq!(
            ProviderId::Anthropic.info().browser_header,
            Some(Header {
                name: "anthropic-dangerous-direct-browser-access",
                value: "true"
            })
        );
        let file = include_str!("../providers.json");
        #[cfg(not(target_family = "wasm"))]
        if std::env::var_os("FERRY_BLESS").is_some() {
            std::fs::write(
                concat!(env!("CARGO_MANIFEST_DIR"), "/providers.json"),
                registry_json(),
            )
            .unwrap();
            return;
        }
        assert_eq!(
            file,
            registry_json(),
            "core/providers.json is stale: FERRY_BLESS=1 cargo test -p ferry-core"
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn header_wins_and_keeps_the_model_whole() {
        assert_eq!(
            resolve_provider(Some("openrouter"), "openai/gpt-4o"),
            Ok((ProviderId::OpenRouter, "openai/gpt-4o".to_owned()))
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn model_prefix_selects_and_is_stripped() {
        assert_eq!(
            resolve_provider(None, "anthropic/claude-sonnet-4-5"),
            Ok((ProviderId::Anthropic, "claude-sonnet-4-5".to_owned()))
        );
        assert_eq!(
            resolve_provider(Some(" "), "google/gemini-2.5-flash"),
            Ok((ProviderId::Google, "gemini-2.5-flash".to_owned()))
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn missing_or_unknown_provider_is_invalid() {
        for (header, model) in [
            (None, "gpt-4o"),
            (None, "nope/gpt-4o"),
            (Some("nope"), "gpt-4o"),
            (None, "openai/"),
        ] {
            let err = resolve_provider(header, model).unwrap_err();
            assert_eq!(err.code(), "invalid_request", "{header:?} {model}");
        }
    }
}

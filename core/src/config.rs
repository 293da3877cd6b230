//! The proxy's configuration, read from named variables, and the kill-switch decision.
//!
//! Parsing is a pure function of a lookup (`name → value`), so the worker hands in its
//! environment and tests hand in a map. A value that does not parse is reported in
//! [`Config::warnings`] and falls back to the default — except a switch, which falls to its
//! safe side: `PROXY_ENABLED` off, `PROXY_DISABLE_<PROVIDER>` on (that provider off),
//! `FETCH_ALLOW_PRIVATE` and `ALLOW_ANONYMOUS_USERS` off. Switches read `true`, `1`, `yes`,
//! `on` as on and `false`, `0`, `no`, `off` as off, in any case.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::search::SearchEngine;
use crate::{ProviderId, ProxyError, check_model_name};

mod body;

pub use body::inline_media_bytes;

/// Who the caller is taken to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// A Supabase access token is required.
    Supabase,
    /// Local use: the caller's IP is the identity.
    None,
}

/// Which browser origins may call the proxy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedOrigins {
    Any,
    List(Vec<String>),
}

impl AllowedOrigins {
    /// The `Access-Control-Allow-Origin` value for a request from `origin`, if allowed.
    pub fn allow(&self, origin: &str) -> Option<String> {
        match self {
            Self::Any => Some("*".to_owned()),
            Self::List(list) => list
                .iter()
                .any(|o| o.eq_ignore_ascii_case(origin))
                .then(|| origin.to_owned()),
        }
    }
}

/// A secret value: usable, but never shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// The operators' kill switches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KillSwitch {
    pub proxy_enabled: bool,
    pub disabled: Vec<ProviderId>,
    /// The MCP relay (`/v1/proxy/mcp`) is off (`PROXY_DISABLE_MCP`).
    pub mcp_disabled: bool,
}

impl KillSwitch {
    /// Whether a request for `provider` may go ahead.
    pub fn check(&self, provider: Option<ProviderId>) -> Result<(), ProxyError> {
        if !self.proxy_enabled {
            return Err(ProxyError::ProxyDisabled);
        }
        match provider {
            Some(provider) if self.disabled.contains(&provider) => {
                Err(ProxyError::ProviderDisabled { provider })
            }
            _ => Ok(()),
        }
    }

    /// Whether a request for the MCP relay may go ahead.
    pub fn check_mcp(&self) -> Result<(), ProxyError> {
        self.check(None)?;
        if self.mcp_disabled {
            return Err(ProxyError::RelayDisabled {
                relay: Self::MCP_RELAY,
            });
        }
        Ok(())
    }

    /// The MCP relay's name in errors and `/health`.
    pub const MCP_RELAY: &'static str = "mcp";

    /// The `/health` report.
    pub fn health(&self, version: &str) -> Health {
        Health {
            mcp: if self.check_mcp().is_ok() {
                "enabled"
            } else {
                "disabled"
            },
            status: if self.proxy_enabled { "ok" } else { "disabled" },
            version: version.to_owned(),
            providers: map_of(ProviderId::ALL.into_iter().map(|p| {
                let on = self.check(Some(p)).is_ok();
                (p, if on { "enabled" } else { "disabled" })
            })),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Health {
    pub status: &'static str,
    pub version: String,
    pub providers: BTreeMap<ProviderId, &'static str>,
    /// The MCP relay: `enabled` or `disabled`.
    pub mcp: &'static str,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub kill_switch: KillSwitch,
    pub auth_mode: AuthMode,
    pub supabase_url: Option<String>,
    /// Verifies HS256 access tokens.
    pub supabase_jwt_secret: Option<Secret>,
    /// Writes `usage_events` and reads the day's cost.
    pub supabase_service_role_key: Option<Secret>,
    /// The daily estimated cost that triggers the alert, in USD.
    pub daily_cost_alert_usd: Option<f64>,
    pub cost_alert_webhook_url: Option<Secret>,
    pub rate_limit_per_minute: u32,
    pub daily_token_quota: u64,
    /// The most a request body may have (`MAX_BODY_BYTES`), on every route; a chat request
    /// may go past it only by its images' and files' data ([`Config::check_chat_body`]).
    pub max_body_bytes: u64,
    /// The most a chat request with inline images or files may have (`MAX_MEDIA_BODY_BYTES`).
    pub max_media_body_bytes: u64,
    pub stream_timeout_ms: u64,
    pub request_timeout_ms: u64,
    pub allowed_origins: AllowedOrigins,
    /// Upstream roots overridden by `<PROVIDER>_BASE_URL`.
    pub base_urls: BTreeMap<ProviderId, String>,
    /// Search engine roots overridden by `BRAVE_BASE_URL` / `TAVILY_BASE_URL`.
    pub search_base_urls: BTreeMap<SearchEngine, String>,
    /// The DNS-over-HTTPS resolver that checks web-fetch names (`FETCH_DOH_URL`).
    pub fetch_doh_url: String,
    pub fetch_allow_private: bool,
    /// Whether tokens of Supabase anonymous sign-ins (`is_anonymous: true`) are accepted
    /// (`ALLOW_ANONYMOUS_USERS`, default off: anyone can mint such a token).
    pub allow_anonymous_users: bool,
    /// The Supabase project's anon key (`SUPABASE_ANON_KEY`): public by design, for the app.
    pub supabase_anon_key: Option<String>,
    /// The provider a new user of the app starts with (`DEFAULT_PROVIDER`).
    pub default_provider: Option<ProviderId>,
    /// The model a new user of the app starts with (`DEFAULT_MODEL`); unset with a
    /// `DEFAULT_PROVIDER`, the app is told that provider's `models::default_model`.
    pub default_model: Option<String>,
    /// Variables that did not parse, by name (values are not repeated: they may be secret).
    pub warnings: Vec<String>,
}

/// The app's `ferry-config.json`, as the Worker that serves the app answers it: made from the
/// variables on each request, never a file. No `proxy_url`: the app and the proxy share an
/// origin, and the app takes its own origin as the proxy when the config names none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppConfig {
    /// `"supabase"` or `"none"`, as `AUTH_MODE` reads.
    pub auth_mode: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supabase_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supabase_anon_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<ProviderId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The proxy's `MAX_BODY_BYTES`: the most a request without images or files may have.
    pub max_body_bytes: u64,
    /// The proxy's `MAX_MEDIA_BODY_BYTES`: the most a chat request with images or files may
    /// have, base64 and JSON included (the app checks a message against it before sending).
    pub max_media_body_bytes: u64,
}

impl Config {
    pub const DEFAULT_RATE_LIMIT_PER_MINUTE: u32 = 20;
    pub const DEFAULT_DAILY_TOKEN_QUOTA: u64 = 100_000;
    pub const DEFAULT_MAX_BODY_BYTES: u64 = 131_072;
    /// 3 MiB: about 2.3 MB of images or PDFs once base64 (4/3) is taken off. Measured in
    /// workerd (`bench/media-cpu.mjs`), the proxy's own work on a media body is about 2.5 ms
    /// of CPU a MiB, so 3 MiB stays within the Workers Free plan's 10 ms a request and 4 MiB
    /// does not.
    pub const DEFAULT_MAX_MEDIA_BODY_BYTES: u64 = 3 * 1024 * 1024;
    pub const DEFAULT_STREAM_TIMEOUT_SECS: f64 = 120.0;
    pub const DEFAULT_REQUEST_TIMEOUT_SECS: f64 = 30.0;
    pub const DEFAULT_FETCH_DOH_URL: &'static str = "https://cloudflare-dns.com/dns-query";

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let mut warnings = Vec::new();
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        // A switch: unset → `default`; a value that does not parse → `fail_safe`, the side
        // that cannot open anything up (a kill switch meant as "off" must not read as on).
        let mut flag = |name: &str, default: bool, fail_safe: bool| match get(name) {
            None => default,
            Some(v) => parse_bool(&v).unwrap_or_else(|| {
                warnings.push(format!(
                    "{name}: expected true or false (taken as {fail_safe})"
                ));
                fail_safe
            }),
        };
        let proxy_enabled = flag("PROXY_ENABLED", true, false);
        let disabled = ProviderId::ALL
            .into_iter()
            .filter(|p| {
                flag(
                    &format!("PROXY_DISABLE_{}", p.info().env_prefix),
                    false,
                    true,
                )
            })
            .collect();
        let mcp_disabled = flag("PROXY_DISABLE_MCP", false, true);
        let fetch_allow_private = flag("FETCH_ALLOW_PRIVATE", false, false);
        let allow_anonymous_users = flag("ALLOW_ANONYMOUS_USERS", false, false);
        let auth_mode = match get("AUTH_MODE").as_deref().map(str::to_ascii_lowercase) {
            None => AuthMode::Supabase,
            Some(m) if m == "supabase" => AuthMode::Supabase,
            Some(m) if m == "none" => AuthMode::None,
            Some(_) => {
                // Failing closed: an unreadable mode keeps authentication on.
                warnings.push("AUTH_MODE: expected supabase or none".to_owned());
                AuthMode::Supabase
            }
        };
        let mut number = |name: &str, default: f64| match get(name) {
            None => default,
            // JSON's number syntax, by the JSON reader the worker carries anyway: `str::parse`
            // would link a second float reader and its 10 KB table of powers of five.
            Some(v) => match crate::json::read_str::<f64>(&v) {
                Ok(n) if n.is_finite() && n > 0.0 => n,
                _ => {
                    warnings.push(format!("{name}: expected a positive number"));
                    default
                }
            },
        };
        let rate_limit_per_minute = number(
            "RATE_LIMIT_PER_MINUTE",
            Self::DEFAULT_RATE_LIMIT_PER_MINUTE.into(),
        ) as u32;
        let daily_token_quota =
            number("DAILY_TOKEN_QUOTA", Self::DEFAULT_DAILY_TOKEN_QUOTA as f64) as u64;
        let max_body_bytes = number("MAX_BODY_BYTES", Self::DEFAULT_MAX_BODY_BYTES as f64) as u64;
        let max_media_body_bytes = number(
            "MAX_MEDIA_BODY_BYTES",
            Self::DEFAULT_MAX_MEDIA_BODY_BYTES as f64,
        ) as u64;
        let stream_timeout_ms =
            (number("STREAM_TIMEOUT_SECS", Self::DEFAULT_STREAM_TIMEOUT_SECS) * 1000.0) as u64;
        let request_timeout_ms =
            (number("REQUEST_TIMEOUT_SECS", Self::DEFAULT_REQUEST_TIMEOUT_SECS) * 1000.0) as u64;
        // An unreadable threshold turns the alert off rather than firing it every day.
        let daily_cost_alert_usd =
            Some(number("DAILY_COST_ALERT_USD", f64::NAN)).filter(|n| n.is_finite());
        let allowed_origins = match get("ALLOWED_ORIGINS") {
            Some(v) if v == "*" => AllowedOrigins::Any,
            Some(v) => AllowedOrigins::List(
                v.split(',')
                    .map(|o| o.trim().trim_end_matches('/').to_owned())
                    .filter(|o| !o.is_empty())
                    .collect(),
            ),
            None => AllowedOrigins::List(Vec::new()),
        };
        let base_urls = map_of(ProviderId::ALL.into_iter().filter_map(|p| {
            let url = get(&format!("{}_BASE_URL", p.info().env_prefix))?;
            Some((p, url.trim_end_matches('/').to_owned()))
        }));
        let default_provider = get("DEFAULT_PROVIDER").and_then(|v| match v.parse() {
            Ok(provider) => Some(provider),
            Err(_) => {
                warnings.push("DEFAULT_PROVIDER: expected a provider id".to_owned());
                None
            }
        });
        let default_model = get("DEFAULT_MODEL").and_then(|v| match check_model_name(&v) {
            Ok(()) => Some(v),
            Err(_) => {
                warnings.push("DEFAULT_MODEL: expected a model name".to_owned());
                None
            }
        });
        let search_base_urls = map_of(SearchEngine::ALL.into_iter().filter_map(|e| {
            let url = get(&format!("{}_BASE_URL", e.env_prefix()))?;
            Some((e, url.trim_end_matches('/').to_owned()))
        }));
        Self {
            search_base_urls,
            fetch_doh_url: get("FETCH_DOH_URL")
                .unwrap_or_else(|| Self::DEFAULT_FETCH_DOH_URL.to_owned()),
            kill_switch: KillSwitch {
                proxy_enabled,
                disabled,
                mcp_disabled,
            },
            auth_mode,
            supabase_url: get("SUPABASE_URL").map(|u| u.trim_end_matches('/').to_owned()),
            supabase_jwt_secret: get("SUPABASE_JWT_SECRET").map(Secret),
            supabase_service_role_key: get("SUPABASE_SERVICE_ROLE_KEY").map(Secret),
            daily_cost_alert_usd,
            // A webhook URL carries its own credential: kept as a secret.
            cost_alert_webhook_url: get("COST_ALERT_WEBHOOK_URL").map(Secret),
            rate_limit_per_minute,
            daily_token_quota,
            max_body_bytes,
            max_media_body_bytes,
            stream_timeout_ms,
            request_timeout_ms,
            allowed_origins,
            base_urls,
            fetch_allow_private,
            allow_anonymous_users,
            supabase_anon_key: get("SUPABASE_ANON_KEY"),
            default_provider,
            default_model,
            warnings,
        }
    }

    /// The search engine's root: the override, else the engine's own.
    pub fn search_base_url(&self, engine: SearchEngine) -> &str {
        self.search_base_urls
            .get(&engine)
            .map(String::as_str)
            .unwrap_or(engine.default_base_url())
    }

    /// What the app served beside the proxy is told (`GET /ferry-config.json`).
    pub fn app_config(&self) -> AppConfig {
        AppConfig {
            auth_mode: match self.auth_mode {
                AuthMode::Supabase => "supabase",
                AuthMode::None => "none",
            },
            supabase_url: self.supabase_url.clone(),
            supabase_anon_key: self.supabase_anon_key.clone(),
            provider: self.default_provider,
            // A provider without a model starts on that provider's current default.
            model: self.default_model.clone().or_else(|| {
                self.default_provider
                    .map(|p| crate::models::default_model(p).to_owned())
            }),
            max_body_bytes: self.max_body_bytes,
            max_media_body_bytes: self.chat_body_limit().0,
        }
    }

    /// The upstream root for `provider`: the override, else the provider's own.
    pub fn base_url(&self, provider: ProviderId) -> &str {
        self.base_urls
            .get(&provider)
            .map(String::as_str)
            .unwrap_or(provider.info().default_base_url)
    }
}

/// The accepted spellings of a switch, case-insensitive; anything else is `None`.
fn parse_bool(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// The pairs as a map, inserted one by one. `collect` would sort them first, which links a
/// stable sort (about 4 KB of wasm) for each key type, to order a handful of pairs.
fn map_of<K: Ord, V>(pairs: impl IntoIterator<Item = (K, V)>) -> BTreeMap<K, V> {
    let mut map = BTreeMap::new();
    map.extend(pairs);
    map
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn config(vars: &[(&str, &str)]) -> Config {
        let vars: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn defaults_follow_the_contract() {
        let c = config(&[]);
        assert_eq!(
            c.kill_switch,
            KillSwitch {
                proxy_enabled: true,
                disabled: vec![],
                mcp_disabled: false,
            }
        );
        assert_eq!(c.auth_mode, AuthMode::Supabase);
        assert_eq!(c.rate_limit_per_minute, 20);
        assert_eq!(c.daily_token_quota, 100_000);
        assert_eq!(c.max_body_bytes, 131_072);
        assert_eq!(c.max_media_body_bytes, 3 * 1024 * 1024);
        assert_eq!(
            (c.stream_timeout_ms, c.request_timeout_ms),
            (120_000, 30_000)
        );
        assert_eq!(c.base_url(ProviderId::OpenAi), "https://api.openai.com/v1");
        assert!(c.warnings.is_empty());
        assert_eq!(c.supabase_jwt_secret, None);
        assert_eq!(c.daily_cost_alert_usd, None);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn cost_alert_threshold_is_off_unless_readable() {
        assert_eq!(
            config(&[("DAILY_COST_ALERT_USD", "12.5")]).daily_cost_alert_usd,
            Some(12.5)
        );
        let bad = config(&[("DAILY_COST_ALERT_USD", "lots")]);
        assert_eq!(bad.daily_cost_alert_usd, None);
        assert_eq!(bad.warnings.len(), 1);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn numbers_are_read_in_json_number_syntax_and_anything_else_warns() {
        for (value, read) in [("60", 60), (" 45 ", 45), ("1e2", 100), ("12.9", 12)] {
            let c = config(&[("RATE_LIMIT_PER_MINUTE", value)]);
            assert_eq!(c.rate_limit_per_minute, read, "{value:?}");
            assert!(c.warnings.is_empty(), "{value:?}");
        }
        for value in [
            "lots", "0", "-5", "+5", ".5", "5.", "0x10", "inf", "NaN", "1e999", "5 5", "\"5\"",
            "[5]", "5,", "1_000",
        ] {
            let c = config(&[("RATE_LIMIT_PER_MINUTE", value)]);
            assert_eq!(c.rate_limit_per_minute, 20, "{value:?}");
            assert_eq!(
                c.warnings,
                vec!["RATE_LIMIT_PER_MINUTE: expected a positive number".to_owned()],
                "{value:?}"
            );
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn secrets_never_show_in_debug_output() {
        let c = config(&[("SUPABASE_JWT_SECRET", "hunter2-hunter2")]);
        assert_eq!(
            c.supabase_jwt_secret.as_ref().map(Secret::expose),
            Some("hunter2-hunter2")
        );
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn kill_switches_refuse_with_the_contract_codes() {
        let c = config(&[("PROXY_DISABLE_ANTHROPIC", "true")]);
        assert_eq!(
            c.kill_switch.check(Some(ProviderId::Anthropic)),
            Err(ProxyError::ProviderDisabled {
                provider: ProviderId::Anthropic
            })
        );
        assert_eq!(c.kill_switch.check(Some(ProviderId::OpenAi)), Ok(()));
        let health = c.kill_switch.health("1.0.0");
        assert_eq!(health.status, "ok");
        assert_eq!(health.providers[&ProviderId::Anthropic], "disabled");
        assert_eq!(health.providers[&ProviderId::Google], "enabled");

        assert_eq!(health.mcp, "enabled");
        assert_eq!(c.kill_switch.check_mcp(), Ok(()));

        let off = config(&[("PROXY_ENABLED", "false")]);
        assert_eq!(off.kill_switch.check(None), Err(ProxyError::ProxyDisabled));
        assert_eq!(off.kill_switch.check_mcp(), Err(ProxyError::ProxyDisabled));
        assert_eq!(off.kill_switch.health("1").mcp, "disabled");
        assert_eq!(off.kill_switch.health("1").status, "disabled");
        assert!(
            off.kill_switch
                .health("1")
                .providers
                .values()
                .all(|s| *s == "disabled")
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_mcp_relay_has_its_own_switch_that_fails_shut() {
        let off = config(&[("PROXY_DISABLE_MCP", "true")]);
        let refused = off.kill_switch.check_mcp().unwrap_err();
        assert_eq!(refused, ProxyError::RelayDisabled { relay: "mcp" });
        assert_eq!(
            (refused.status(), refused.code()),
            (503, "provider_disabled")
        );
        let body: serde_json::Value = serde_json::from_str(&refused.to_json()).unwrap();
        assert_eq!(body["error"]["provider"], "mcp");
        assert_eq!(
            body["error"]["message"],
            "the mcp relay is temporarily disabled"
        );
        // Only the relay: every provider stays on.
        assert!(off.kill_switch.disabled.is_empty());
        assert_eq!(off.kill_switch.check(None), Ok(()));
        assert_eq!(off.kill_switch.health("1").mcp, "disabled");
        for value in ["maybe", "2"] {
            let c = config(&[("PROXY_DISABLE_MCP", value)]);
            assert!(c.kill_switch.mcp_disabled, "{value}");
            assert_eq!(c.warnings.len(), 1);
        }
        assert!(
            !config(&[("PROXY_DISABLE_MCP", "off")])
                .kill_switch
                .mcp_disabled
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn bad_values_fall_back_and_warn_without_the_value() {
        let c = config(&[
            ("MAX_BODY_BYTES", "lots"),
            ("MAX_MEDIA_BODY_BYTES", "-1"),
            ("AUTH_MODE", "maybe"),
            ("PROXY_ENABLED", "sk-secret"),
        ]);
        assert_eq!(c.max_body_bytes, 131_072);
        assert_eq!(c.max_media_body_bytes, Config::DEFAULT_MAX_MEDIA_BODY_BYTES);
        assert_eq!(c.auth_mode, AuthMode::Supabase);
        // An unreadable kill switch fails safe: the proxy is off.
        assert!(!c.kill_switch.proxy_enabled);
        assert_eq!(c.warnings.len(), 4);
        assert!(c.warnings.iter().all(|w| !w.contains("sk-secret")));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_proxy_is_on_only_for_a_truthy_spelling() {
        for on in [
            "true", "TRUE", "True", "1", "yes", "Yes", "on", "ON", " true ",
        ] {
            let c = config(&[("PROXY_ENABLED", on)]);
            assert!(c.kill_switch.proxy_enabled, "{on}");
            assert!(c.warnings.is_empty(), "{on}");
        }
        for off in ["false", "0", "no", "off", "OFF", "No"] {
            let c = config(&[("PROXY_ENABLED", off)]);
            assert!(!c.kill_switch.proxy_enabled, "{off}");
            assert!(c.warnings.is_empty(), "{off}");
        }
        for unreadable in [
            "disabled", "disable", "enabled", "nope", "2", "-1", "t", "y", "tru",
        ] {
            let c = config(&[("PROXY_ENABLED", unreadable)]);
            assert!(!c.kill_switch.proxy_enabled, "{unreadable}");
            assert_eq!(c.kill_switch.check(None), Err(ProxyError::ProxyDisabled));
            assert_eq!(c.warnings.len(), 1, "{unreadable}");
        }
        // Unset or empty: the default, on.
        assert!(config(&[("PROXY_ENABLED", "")]).kill_switch.proxy_enabled);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_provider_switch_that_does_not_parse_disables_the_provider() {
        for value in ["disabled", "please", "2", "enabled"] {
            let c = config(&[("PROXY_DISABLE_GROQ", value)]);
            assert_eq!(c.kill_switch.disabled, vec![ProviderId::Groq], "{value}");
            assert_eq!(c.warnings.len(), 1);
        }
        for value in ["false", "0", "no", "off"] {
            let c = config(&[("PROXY_DISABLE_GROQ", value)]);
            assert!(c.kill_switch.disabled.is_empty(), "{value}");
        }
        for value in ["true", "1", "yes", "on"] {
            let c = config(&[("PROXY_DISABLE_GROQ", value)]);
            assert_eq!(c.kill_switch.disabled, vec![ProviderId::Groq], "{value}");
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn opening_switches_stay_shut_unless_clearly_on() {
        let c = config(&[]);
        assert!(!c.allow_anonymous_users && !c.fetch_allow_private);
        let c = config(&[
            ("ALLOW_ANONYMOUS_USERS", "maybe"),
            ("FETCH_ALLOW_PRIVATE", "sure"),
        ]);
        assert!(!c.allow_anonymous_users && !c.fetch_allow_private);
        assert_eq!(c.warnings.len(), 2);
        let c = config(&[("ALLOW_ANONYMOUS_USERS", "true")]);
        assert!(c.allow_anonymous_users);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_apps_config_comes_from_the_variables() {
        let c = config(&[
            ("AUTH_MODE", "supabase"),
            ("SUPABASE_URL", "https://abc.supabase.co/"),
            ("SUPABASE_ANON_KEY", "eyJ.anon.key"),
            ("SUPABASE_SERVICE_ROLE_KEY", "service-role-SECRET"),
            ("SUPABASE_JWT_SECRET", "jwt-SECRET"),
            ("DEFAULT_PROVIDER", "Anthropic"),
            ("DEFAULT_MODEL", "claude-sonnet-4-5"),
        ]);
        assert_eq!(
            serde_json::to_value(c.app_config()).ok(),
            Some(serde_json::json!({
                "auth_mode": "supabase",
                "supabase_url": "https://abc.supabase.co",
                "supabase_anon_key": "eyJ.anon.key",
                "provider": "anthropic",
                "model": "claude-sonnet-4-5",
                "max_body_bytes": 131_072,
                "max_media_body_bytes": 3_145_728,
            }))
        );
        // Unset: the mode and the caps, so the app keeps its own defaults (and its own origin).
        assert_eq!(
            serde_json::to_value(config(&[("AUTH_MODE", "none")]).app_config()).ok(),
            Some(serde_json::json!({
                "auth_mode": "none",
                "max_body_bytes": 131_072,
                "max_media_body_bytes": 3_145_728,
            }))
        );
        // A provider alone: its current default model from the model table.
        assert_eq!(
            serde_json::to_value(
                config(&[("AUTH_MODE", "none"), ("DEFAULT_PROVIDER", "google")]).app_config()
            )
            .ok(),
            Some(serde_json::json!({
                "auth_mode": "none",
                "provider": "google",
                "model": crate::models::default_model(ProviderId::Google),
                "max_body_bytes": 131_072,
                "max_media_body_bytes": 3_145_728,
            }))
        );
        let bad = config(&[
            ("DEFAULT_PROVIDER", "acme"),
            ("DEFAULT_MODEL", "bad\nmodel"),
        ]);
        assert_eq!((bad.default_provider, bad.default_model), (None, None));
        assert_eq!(bad.warnings.len(), 2);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn overrides_and_origins() {
        let c = config(&[
            ("ANTHROPIC_BASE_URL", "http://127.0.0.1:9/anthropic/"),
            ("STREAM_TIMEOUT_SECS", "1.5"),
            ("ALLOWED_ORIGINS", "https://a.example, https://b.example/"),
            ("AUTH_MODE", "none"),
        ]);
        assert_eq!(
            c.base_url(ProviderId::Anthropic),
            "http://127.0.0.1:9/anthropic"
        );
        assert_eq!(c.stream_timeout_ms, 1500);
        assert_eq!(c.auth_mode, AuthMode::None);
        assert_eq!(
            c.allowed_origins.allow("https://b.example"),
            Some("https://b.example".to_owned())
        );
        assert_eq!(c.allowed_origins.allow("https://evil.example"), None);
        assert_eq!(AllowedOrigins::Any.allow("x"), Some("*".to_owned()));
    }
}

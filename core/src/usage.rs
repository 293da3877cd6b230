//! One usage record per proxied model call: the row the proxy writes to Supabase's
//! `usage_events` (and the browser, for the calls it makes directly).

use serde::{Deserialize, Serialize};

use crate::ProviderId;
use crate::pricing::estimate_cost_on;
use crate::wire::Usage;

/// Who made the call: `proxy` rows are written by the proxy, `direct` rows by the browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UsageRoute {
    Proxy,
    Direct,
}

/// A row of `usage_events`, with the column names of the table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsageRecord {
    /// The request's `X-Request-Id`: unique, so a retried insert is not a second row.
    pub request_id: String,
    pub user_id: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub route: UsageRoute,
    pub provider: ProviderId,
    pub model: String,
    pub input_tokens: u64,
    /// Includes reasoning tokens.
    pub output_tokens: u64,
    /// Input read from the provider's cache (part of `input_tokens`).
    pub cached_tokens: u64,
    /// Thinking (part of `output_tokens`); Anthropic's is estimated from the thinking text.
    #[serde(default)]
    pub reasoning_tokens: u64,
    /// Input written to the provider's cache (part of `input_tokens`).
    #[serde(default)]
    pub cache_write_tokens: u64,
    pub latency_ms: u64,
    /// `None` for a model without a known price.
    pub cost_usd: Option<f64>,
    pub error_code: Option<String>,
}

/// What is known of a finished call.
#[derive(Debug, Clone, PartialEq)]
pub struct CallOutcome<'a> {
    pub request_id: &'a str,
    pub user_id: &'a str,
    pub started_ms: u64,
    pub finished_ms: u64,
    pub route: UsageRoute,
    pub provider: ProviderId,
    pub model: &'a str,
    /// The provider's own count; `None` when it reported none (a failed call).
    pub usage: Option<Usage>,
    pub error_code: Option<&'a str>,
}

impl UsageRecord {
    pub fn new(call: &CallOutcome<'_>) -> Self {
        let usage = call.usage.unwrap_or_default();
        Self {
            request_id: call.request_id.to_owned(),
            user_id: call.user_id.to_owned(),
            created_at: rfc3339(call.started_ms),
            route: call.route,
            provider: call.provider,
            model: call.model.to_owned(),
            input_tokens: usage.prompt_tokens,
            output_tokens: usage.completion_tokens,
            cached_tokens: usage.cached_tokens(),
            reasoning_tokens: usage.reasoning_tokens(),
            cache_write_tokens: usage.cache_write_tokens(),
            latency_ms: call.finished_ms.saturating_sub(call.started_ms),
            cost_usd: call
                .usage
                .and_then(|u| cost_of(call.provider, call.model, &u)),
            error_code: call.error_code.map(str::to_owned),
        }
    }
}

/// The cost of a call: OpenRouter's own figure when it reports one (it bills that); else
/// the table's price on this provider (a host of open models charges its own), else the
/// figure the answer carried (a model only another provider's line knows).
fn cost_of(provider: ProviderId, model: &str, usage: &Usage) -> Option<f64> {
    let reported = usage.cost.filter(|c| c.is_finite() && *c >= 0.0);
    let estimated = || estimate_cost_on(provider, model, usage);
    match provider {
        ProviderId::OpenRouter => reported.or_else(estimated),
        _ => estimated().or(reported),
    }
}

/// Unix milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn rfc3339(unix_ms: u64) -> String {
    let secs = unix_ms / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        unix_ms % 1000
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(rfc3339(1_795_551_038_123), "2026-11-24T20:10:38.123Z");
        assert_eq!(rfc3339(4_102_444_799_999), "2099-12-31T23:59:59.999Z");
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_record_carries_tokens_cost_and_latency() {
        let record = UsageRecord::new(&CallOutcome {
            request_id: "req_1",
            user_id: "u",
            started_ms: 1_000,
            finished_ms: 1_250,
            route: UsageRoute::Proxy,
            provider: ProviderId::OpenAi,
            model: "gpt-4o-mini",
            usage: Some(Usage::new(1_000_000, 0, 0)),
            error_code: None,
        });
        assert_eq!(record.latency_ms, 250);
        assert_eq!(record.input_tokens, 1_000_000);
        assert_eq!(record.cost_usd, Some(0.15));
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(json["route"], "proxy");
        assert_eq!(json["provider"], "openai");
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_record_carries_reasoning_and_cache_write_tokens_and_their_cost() {
        let mut usage = Usage::new(3_000, 2_000, 1_000);
        if let Some(details) = usage.prompt_tokens_details.as_mut() {
            details.cache_write_tokens = Some(1_000);
        }
        usage.completion_tokens_details = Some(crate::wire::UsageDetails {
            reasoning_tokens: Some(1_500),
            ..Default::default()
        });
        let call = CallOutcome {
            request_id: "req_3",
            user_id: "u",
            started_ms: 0,
            finished_ms: 1,
            route: UsageRoute::Proxy,
            provider: ProviderId::Anthropic,
            model: "claude-sonnet-4-5",
            usage: Some(usage),
            error_code: None,
        };
        let record = UsageRecord::new(&call);
        assert_eq!(
            (
                record.input_tokens,
                record.cached_tokens,
                record.cache_write_tokens,
                record.output_tokens,
                record.reasoning_tokens
            ),
            (3_000, 1_000, 1_000, 2_000, 1_500)
        );
        // 1,000 fresh × 3.00 + 1,000 read × 0.30 + 1,000 written × 3.75 + 2,000 out × 15.00.
        let cost = record.cost_usd.unwrap();
        assert!((cost - 0.03705).abs() < 1e-12, "{cost}");
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(
            (
                json["reasoning_tokens"].as_u64(),
                json["cache_write_tokens"].as_u64()
            ),
            (Some(1_500), Some(1_000))
        );
        // Rows written before these columns read back with zeros.
        let mut old = json.clone();
        old.as_object_mut()
            .unwrap()
            .retain(|k, _| k != "reasoning_tokens" && k != "cache_write_tokens");
        let old: UsageRecord = serde_json::from_value(old).unwrap();
        assert_eq!((old.reasoning_tokens, old.cache_write_tokens), (0, 0));
        // A cost the answer carried does not replace this provider's own price ...
        let mut reported = usage;
        reported.cost = Some(0.5);
        let record = UsageRecord::new(&CallOutcome {
            usage: Some(reported),
            ..call
        });
        assert!((record.cost_usd.unwrap() - 0.03705).abs() < 1e-12);
        // ... but OpenRouter's own figure is what it bills, so it wins; a broken one does not.
        let routed = CallOutcome {
            provider: ProviderId::OpenRouter,
            model: "anthropic/claude-sonnet-4.5",
            ..call
        };
        let record = UsageRecord::new(&CallOutcome {
            usage: Some(reported),
            ..routed
        });
        assert_eq!(record.cost_usd, Some(0.5));
        reported.cost = Some(f64::NAN);
        let record = UsageRecord::new(&CallOutcome {
            usage: Some(reported),
            ..routed
        });
        assert!((record.cost_usd.unwrap() - 0.03705).abs() < 1e-12);
        // A model this provider's lines do not price keeps the figure the answer carried.
        reported.cost = Some(0.25);
        let hosted = CallOutcome {
            provider: ProviderId::Groq,
            model: "deepseek-reasoner",
            ..call
        };
        let record = UsageRecord::new(&CallOutcome {
            usage: Some(reported),
            ..hosted
        });
        assert_eq!(record.cost_usd, Some(0.25));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_failed_call_has_no_cost_and_its_error() {
        let record = UsageRecord::new(&CallOutcome {
            request_id: "req_2",
            user_id: "u",
            started_ms: 0,
            finished_ms: 5,
            route: UsageRoute::Proxy,
            provider: ProviderId::Anthropic,
            model: "claude-sonnet-4-5",
            usage: None,
            error_code: Some("upstream_error"),
        });
        assert_eq!((record.input_tokens, record.cost_usd), (0, None));
        assert_eq!(record.error_code.as_deref(), Some("upstream_error"));
    }
}

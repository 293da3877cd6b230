//! What the signed-in user keeps in Supabase, through its REST API with their own token:
//! their settings (`user_settings`, so a second device gets them — never keys, messages or
//! memory) and their usage (`usage_events`, read back for the Usage page, summed per day).
//! Plain requests and answers; row-level security keeps each user to their own rows.

use std::collections::BTreeMap;

use ferry_core::adapter::{HttpMethod, UpstreamRequest};
use serde::{Deserialize, Serialize};

use crate::auth::Project;

fn headers(project: &Project, token: &str) -> Vec<(&'static str, String)> {
    vec![
        ("apikey", project.anon_key.clone()),
        ("authorization", format!("Bearer {token}")),
    ]
}

fn root(project: &Project) -> &str {
    project.url.trim_end_matches('/')
}

/// The user's synced settings (one row; none yet is an empty list).
pub fn settings_request(project: &Project, token: &str) -> UpstreamRequest {
    UpstreamRequest {
        method: HttpMethod::Get,
        url: format!("{}/rest/v1/user_settings?select=settings", root(project)),
        headers: headers(project, token),
        body: None,
    }
}

/// The settings object from the answer to [`settings_request`], if the user has saved any.
pub fn settings_from_answer(body: &[u8]) -> Option<serde_json::Value> {
    #[derive(Deserialize)]
    struct Row {
        settings: serde_json::Value,
    }
    let rows: Vec<Row> = serde_json::from_slice(body).ok()?;
    rows.into_iter()
        .next()
        .map(|row| row.settings)
        .filter(|s| s.as_object().is_some_and(|o| !o.is_empty()))
}

/// Saves `settings` as the user's (insert, or replace their row).
pub fn save_settings_request(
    project: &Project,
    token: &str,
    user_id: &str,
    settings: &serde_json::Value,
) -> UpstreamRequest {
    let mut headers = headers(project, token);
    headers.push(("content-type", "application/json".to_owned()));
    headers.push((
        "prefer",
        "resolution=merge-duplicates,return=minimal".to_owned(),
    ));
    UpstreamRequest {
        method: HttpMethod::Post,
        url: format!(
            "{}/rest/v1/user_settings?on_conflict=user_id",
            root(project)
        ),
        headers,
        body: Some(serde_json::json!({ "user_id": user_id, "settings": settings }).to_string()),
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
    pub output_tokens: u64,
    /// PostgREST sends `numeric` as a JSON number.
    pub cost_usd: Option<f64>,
    pub error_code: Option<String>,
}

/// One day's totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayUsage {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    pub calls: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: f64,
}

/// Rows at most the Usage page reads.
pub const USAGE_ROWS: u32 = 1000;

/// The user's calls since `since` (RFC 3339), newest first.
pub fn usage_request(project: &Project, token: &str, since: &str) -> UpstreamRequest {
    let since: String = url::form_urlencoded::byte_serialize(since.as_bytes()).collect();
    UpstreamRequest {
        method: HttpMethod::Get,
        url: format!(
            "{}/rest/v1/usage_events?select=created_at,route,provider,model,input_tokens,output_tokens,cost_usd,error_code&created_at=gte.{since}&order=created_at.desc&limit={USAGE_ROWS}",
            root(project)
        ),
        headers: headers(project, token),
        body: None,
    }
}

/// Totals per UTC day, oldest first.
pub fn per_day(rows: &[UsageRow]) -> Vec<DayUsage> {
    let mut days: BTreeMap<&str, DayUsage> = BTreeMap::new();
    for row in rows {
        let day = row.created_at.get(..10).unwrap_or(&row.created_at);
        let total = days.entry(day).or_insert_with(|| DayUsage {
            day: day.to_owned(),
            calls: 0,
            input_tokens: 0,
            output_tokens: 0,
            cost_usd: 0.0,
        });
        total.calls += 1;
        total.input_tokens += row.input_tokens;
        total.output_tokens += row.output_tokens;
        total.cost_usd += row.cost_usd.unwrap_or(0.0);
    }
    days.into_values().collect()
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    fn project() -> Project {
        Project {
            url: "https://abc.supabase.co".into(),
            anon_key: "anon".into(),
        }
    }

    fn row(at: &str, input: u64, output: u64, cost: Option<f64>) -> UsageRow {
        UsageRow {
            created_at: at.into(),
            route: "proxy".into(),
            provider: "openai".into(),
            model: "gpt-4o-mini".into(),
            input_tokens: input,
            output_tokens: output,
            cost_usd: cost,
            error_code: None,
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn usage_is_summed_per_utc_day_oldest_first() {
        let rows = [
            row("2026-11-24T09:00:00.5+00:00", 10, 5, Some(0.25)),
            row("2026-11-23T23:59:59+00:00", 1, 1, None),
            row("2026-11-24T01:00:00+00:00", 20, 10, Some(0.5)),
        ];
        let days = per_day(&rows);
        assert_eq!(days.len(), 2);
        assert_eq!(days[0].day, "2026-11-23");
        assert_eq!((days[0].calls, days[0].cost_usd), (1, 0.0));
        assert_eq!(
            (days[1].calls, days[1].input_tokens, days[1].output_tokens),
            (2, 30, 15)
        );
        assert!((days[1].cost_usd - 0.75).abs() < 1e-9);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_requests_carry_the_users_token_and_the_project_key() {
        let call = usage_request(&project(), "jwt", "2026-11-01T00:00:00Z");
        assert!(
            call.url
                .starts_with("https://abc.supabase.co/rest/v1/usage_events?select=")
        );
        assert!(call.url.contains("created_at=gte.2026-11-01T00%3A00%3A00Z"));
        assert!(call.url.contains("order=created_at.desc"));
        assert!(
            call.headers
                .contains(&("authorization", "Bearer jwt".to_owned()))
        );
        assert!(call.headers.contains(&("apikey", "anon".to_owned())));

        let save =
            save_settings_request(&project(), "jwt", "u1", &serde_json::json!({"model": "m"}));
        assert_eq!(
            save.url,
            "https://abc.supabase.co/rest/v1/user_settings?on_conflict=user_id"
        );
        assert_eq!(
            save.body.as_deref(),
            Some(r#"{"settings":{"model":"m"},"user_id":"u1"}"#)
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn synced_settings_are_read_when_there_are_any() {
        assert_eq!(
            settings_from_answer(br#"[{"settings":{"model":"m"}}]"#),
            Some(serde_json::json!({"model": "m"}))
        );
        assert_eq!(settings_from_answer(b"[]"), None);
        assert_eq!(settings_from_answer(br#"[{"settings":{}}]"#), None);
        assert_eq!(settings_from_answer(b"not json"), None);
    }
}

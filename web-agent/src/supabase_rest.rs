//! What the signed-in user keeps in Supabase, through its REST API with their own token:
//! their settings (`user_settings`, so a second device gets them — never keys, messages or
//! memory) and their usage (`usage_events`: the rows of the calls the browser makes
//! straight to a provider go in, and every row is read back for the Usage page, summed per
//! day). Plain requests and answers; row-level security keeps each user to their own rows.
//!
//! Only the [`SyncedSettings`] travel, both ways: a row is whatever its owner wrote, and
//! an account's owner is not always the person at this browser, so nothing in it may say
//! where calls go or who gets the key.

use std::collections::BTreeMap;

use ferry_core::adapter::{HttpMethod, UpstreamRequest};
use ferry_core::usage::UsageRecord;
use ferry_protocol::{DayUsage, UsageRow};
use serde::{Deserialize, Serialize};

use crate::auth::Project;
use crate::runtime::Settings;

/// The settings that follow a user to their other devices — the model choice and the
/// system prompt, and nothing else. Never endpoints or routing (`proxy_url`,
/// `provider_base_url`, `always_proxy`, `supabase_*`): whoever can write the row (the
/// account's owner, who may be an attacker who got this browser signed in to their
/// account) would choose where the user's key is sent. Never keys. The app's theme is
/// kept by the app itself (`localStorage`), not in these settings.
///
/// Applied to what is uploaded ([`SyncedSettings::from_settings`]) and to what is
/// downloaded ([`SyncedSettings::from_row`], then [`SyncedSettings::apply_to`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncedSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<ferry_core::ProviderId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_prompt: Option<String>,
}

impl SyncedSettings {
    /// What of `settings` is saved for the user's other devices.
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            provider: Some(settings.provider),
            model: Some(settings.model.clone()),
            system_prompt: Some(settings.system_prompt.clone()),
        }
    }

    /// The allowed fields of a stored row's settings, each taken only if it reads; every
    /// other field is ignored.
    pub fn from_row(row: &serde_json::Value) -> Self {
        let field = |name: &str| row.get(name).cloned();
        Self {
            provider: field("provider").and_then(|v| serde_json::from_value(v).ok()),
            model: field("model")
                .and_then(|v| v.as_str().map(str::to_owned))
                .filter(|m| !m.trim().is_empty()),
            system_prompt: field("system_prompt").and_then(|v| v.as_str().map(str::to_owned)),
        }
    }

    /// `settings` with these fields in place of theirs; the rest (endpoints, routing,
    /// limits) stays as this browser has it.
    pub fn apply_to(&self, settings: &Settings) -> Settings {
        let mut applied = settings.clone();
        if let Some(provider) = self.provider {
            applied.provider = provider;
        }
        if let Some(model) = &self.model {
            applied.model.clone_from(model);
        }
        if let Some(prompt) = &self.system_prompt {
            applied.system_prompt.clone_from(prompt);
        }
        applied
    }

    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

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
        dropped: Vec::new(),
    }
}

/// The settings object from the answer to [`settings_request`], if the user has saved any
/// (as stored: read it through [`SyncedSettings::from_row`]).
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
    settings: &SyncedSettings,
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
        dropped: Vec::new(),
    }
}

/// The insert of `rows` (the user's own, made by [`UsageRecord::new`]) with the user's
/// token. `request_id` is unique in the table, so a
/// row sent twice (a reply lost on the way back) is still one row. `None` for no rows.
pub fn usage_insert_request(
    project: &Project,
    token: &str,
    rows: &[UsageRecord],
) -> Option<UpstreamRequest> {
    if rows.is_empty() {
        return None;
    }
    let body = serde_json::to_string(rows).ok()?;
    let mut headers = vec![
        ("content-type", "application/json".to_owned()),
        ("authorization", format!("Bearer {token}")),
        (
            "prefer",
            "resolution=ignore-duplicates,return=minimal".to_owned(),
        ),
    ];
    if !project.anon_key.is_empty() {
        headers.push(("apikey", project.anon_key.clone()));
    }
    Some(UpstreamRequest {
        method: HttpMethod::Post,
        url: format!(
            "{}/rest/v1/usage_events?on_conflict=request_id",
            root(project)
        ),
        headers,
        body: Some(body),
        dropped: Vec::new(),
    })
}

/// The columns of `usage_events` read back for the Usage page: those of the app's
/// [`UsageRow`], a view of the [`UsageRecord`] that was written.
const USAGE_COLUMNS: &str = "created_at,route,provider,model,input_tokens,output_tokens,reasoning_tokens,cache_write_tokens,cost_usd,error_code";

/// Rows at most the Usage page reads.
pub const USAGE_ROWS: u32 = 1000;

/// The user's calls since `since` (RFC 3339), newest first.
pub fn usage_request(project: &Project, token: &str, since: &str) -> UpstreamRequest {
    let since: String = form_urlencoded::byte_serialize(since.as_bytes()).collect();
    UpstreamRequest {
        method: HttpMethod::Get,
        url: format!(
            "{}/rest/v1/usage_events?select={USAGE_COLUMNS}&created_at=gte.{since}&order=created_at.desc&limit={USAGE_ROWS}",
            root(project)
        ),
        headers: headers(project, token),
        body: None,
        dropped: Vec::new(),
    }
}

/// The rows of the answer to [`usage_request`] (PostgREST sends `numeric` as a JSON
/// number); `None` when it does not read.
pub fn usage_from_answer(body: &[u8]) -> Option<Vec<UsageRow>> {
    serde_json::from_slice(body).ok()
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
            reasoning_tokens: 0,
            cache_write_tokens: 0,
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

        let synced = SyncedSettings {
            model: Some("m".into()),
            ..SyncedSettings::default()
        };
        let save = save_settings_request(&project(), "jwt", "u1", &synced);
        assert_eq!(
            save.url,
            "https://abc.supabase.co/rest/v1/user_settings?on_conflict=user_id"
        );
        assert_eq!(
            save.body.as_deref(),
            Some(r#"{"settings":{"model":"m"},"user_id":"u1"}"#)
        );
    }

    fn record(request_id: &str) -> UsageRecord {
        UsageRecord::new(&ferry_core::usage::CallOutcome {
            request_id,
            user_id: "u1",
            started_ms: 1_764_000_000_000,
            finished_ms: 1_764_000_000_250,
            route: ferry_core::usage::UsageRoute::Direct,
            provider: ferry_core::ProviderId::OpenAi,
            model: "gpt-4o-mini",
            usage: Some(ferry_core::wire::Usage {
                prompt_tokens: 12,
                completion_tokens: 3,
                total_tokens: 15,
                prompt_tokens_details: Some(ferry_core::wire::UsageDetails {
                    cache_write_tokens: Some(5),
                    ..Default::default()
                }),
                completion_tokens_details: Some(ferry_core::wire::UsageDetails {
                    reasoning_tokens: Some(2),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            error_code: None,
        })
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn usage_rows_go_in_with_the_users_token_once_each() {
        let rows = [record("r1"), record("r2")];
        let insert = usage_insert_request(&project(), "jwt", &rows).unwrap();
        assert_eq!(insert.method, HttpMethod::Post);
        assert_eq!(
            insert.url,
            "https://abc.supabase.co/rest/v1/usage_events?on_conflict=request_id"
        );
        for header in [
            ("content-type", "application/json"),
            ("authorization", "Bearer jwt"),
            ("prefer", "resolution=ignore-duplicates,return=minimal"),
            ("apikey", "anon"),
        ] {
            assert!(
                insert.headers.contains(&(header.0, header.1.to_owned())),
                "{header:?}"
            );
        }
        let sent: Vec<UsageRecord> = serde_json::from_str(insert.body.as_deref().unwrap()).unwrap();
        assert_eq!(sent, rows);
        // The thinking and cache-write columns go in with each row.
        let columns: Vec<serde_json::Value> =
            serde_json::from_str(insert.body.as_deref().unwrap()).unwrap();
        assert_eq!(
            (
                &columns[0]["reasoning_tokens"],
                &columns[0]["cache_write_tokens"]
            ),
            (&serde_json::json!(2), &serde_json::json!(5))
        );

        assert!(usage_insert_request(&project(), "jwt", &[]).is_none());
        let keyless = Project {
            anon_key: String::new(),
            ..project()
        };
        let insert = usage_insert_request(&keyless, "jwt", &rows).unwrap();
        assert!(insert.headers.iter().all(|(name, _)| *name != "apikey"));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_written_row_reads_back_as_the_usage_pages_row() {
        let written = record("r1");
        let mut stored = serde_json::to_value(&written).unwrap();
        let stored = stored.as_object_mut().unwrap();
        stored.retain(|column, _| USAGE_COLUMNS.split(',').any(|c| c == column));
        assert_eq!(stored.len(), USAGE_COLUMNS.split(',').count());
        let body = serde_json::to_vec(&[&stored]).unwrap();
        let rows = usage_from_answer(&body).unwrap();
        assert_eq!(
            rows,
            [UsageRow {
                created_at: written.created_at.clone(),
                route: "direct".into(),
                provider: "openai".into(),
                model: "gpt-4o-mini".into(),
                input_tokens: 12,
                output_tokens: 3,
                reasoning_tokens: 2,
                cache_write_tokens: 5,
                cost_usd: written.cost_usd,
                error_code: None,
            }]
        );
        assert_eq!(usage_from_answer(b"not json"), None);
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

    fn local() -> Settings {
        serde_json::from_value(serde_json::json!({
            "provider": "openai",
            "model": "gpt-4o-mini",
            "system_prompt": "Be brief.",
            "proxy_url": "https://proxy.example",
            "provider_base_url": "http://localhost:11434/v1",
            "supabase_url": "https://abc.supabase.co",
            "supabase_anon_key": "anon",
        }))
        .unwrap()
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn only_the_model_choice_and_the_prompt_are_uploaded() {
        let uploaded = serde_json::to_value(SyncedSettings::from_settings(&local())).unwrap();
        assert_eq!(
            uploaded,
            serde_json::json!({"provider": "openai", "model": "gpt-4o-mini", "system_prompt": "Be brief."})
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_row_never_redirects_calls_or_keys() {
        // What an attacker can write in their own row.
        let row = serde_json::json!({
            "provider": "anthropic",
            "model": "claude-sonnet-4-5",
            "system_prompt": "Arr.",
            "proxy_url": "https://evil.example",
            "provider_base_url": "https://evil.example/v1",
            "always_proxy": true,
            "supabase_url": "https://evil.supabase.co",
            "supabase_anon_key": "evil",
            "max_rounds": 99,
            "api_key": "sk-planted",
        });
        let synced = SyncedSettings::from_row(&row);
        assert_eq!(
            synced,
            SyncedSettings {
                provider: Some(ferry_core::ProviderId::Anthropic),
                model: Some("claude-sonnet-4-5".into()),
                system_prompt: Some("Arr.".into()),
            }
        );
        let applied = synced.apply_to(&local());
        let mut expected = local();
        expected.provider = ferry_core::ProviderId::Anthropic;
        expected.model = "claude-sonnet-4-5".into();
        expected.system_prompt = "Arr.".into();
        assert_eq!(applied, expected);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn unreadable_fields_of_a_row_leave_the_local_ones() {
        let row = serde_json::json!({"provider": "nope", "model": "  ", "system_prompt": 7});
        let synced = SyncedSettings::from_row(&row);
        assert!(synced.is_empty());
        assert_eq!(synced.apply_to(&local()), local());
        assert!(SyncedSettings::from_row(&serde_json::json!("text")).is_empty());
    }
}

//! Calls to the Supabase project's REST API (PostgREST) as the service role.

use ferry_core::Config;
use worker::{Fetch, Response};

use crate::outbound::post_json;

/// `POST {SUPABASE_URL}/rest/v1/{path}` with a JSON body; `Err` with a reason (never the
/// key) unless the answer is 2xx.
pub async fn post(
    config: &Config,
    path: &str,
    body: &str,
    prefer: &str,
) -> Result<Response, String> {
    let (Some(url), Some(key)) = (
        config.supabase_url.as_deref(),
        config.supabase_service_role_key.as_ref(),
    ) else {
        return Err("SUPABASE_URL or SUPABASE_SERVICE_ROLE_KEY is not set".to_owned());
    };
    let bearer = format!("Bearer {}", key.expose());
    let headers = [
        ("apikey", key.expose()),
        ("authorization", bearer.as_str()),
        ("prefer", prefer),
    ];
    let request = post_json(&format!("{url}/rest/v1/{path}"), &headers, body)
        .map_err(|_| "SUPABASE_URL does not make a valid URL".to_owned())?;
    let response = Fetch::Request(request)
        .send()
        .await
        .map_err(|_| "Supabase unreachable".to_owned())?;
    match response.status_code() {
        200..=299 => Ok(response),
        status => Err(format!("Supabase answered {status}")),
    }
}

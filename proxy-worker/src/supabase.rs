//! Calls to the Supabase project's REST API (PostgREST) as the service role.

use ferry_core::Config;
use worker::Response;

use crate::outbound::{Unsent, post_json};

/// Why a call to Supabase did not succeed: Supabase's status when it answered, and a
/// reason (never the key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub status: Option<u16>,
    pub reason: String,
}

impl Failure {
    fn new(status: Option<u16>, reason: impl Into<String>) -> Self {
        Self {
            status,
            reason: reason.into(),
        }
    }

    /// Whether Supabase refused what was sent (a row's data or constraints: 400, 409,
    /// 422…), as opposed to being unreachable, failing (5xx) or refusing the proxy itself
    /// (401, 403: the same for every row).
    pub fn refused_the_data(&self) -> bool {
        matches!(self.status, Some(400..=499) if !matches!(self.status, Some(401 | 403)))
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

impl From<Failure> for String {
    fn from(failure: Failure) -> Self {
        failure.reason
    }
}

/// `POST {SUPABASE_URL}/rest/v1/{path}` with a JSON body; `Err` unless the answer is 2xx.
pub async fn post(
    config: &Config,
    path: &str,
    body: &str,
    prefer: &str,
) -> Result<Response, Failure> {
    let (Some(url), Some(key)) = (
        config.supabase_url.as_deref(),
        config.supabase_service_role_key.as_ref(),
    ) else {
        return Err(Failure::new(
            None,
            "SUPABASE_URL or SUPABASE_SERVICE_ROLE_KEY is not set",
        ));
    };
    let bearer = format!("Bearer {}", key.expose());
    let headers = [
        ("apikey", key.expose()),
        ("authorization", bearer.as_str()),
        ("prefer", prefer),
    ];
    let response = post_json(&format!("{url}/rest/v1/{path}"), &headers, body)
        .await
        .map_err(|unsent| match unsent {
            Unsent::BadUrl => Failure::new(None, "SUPABASE_URL does not make a valid URL"),
            Unsent::Unreachable => Failure::new(None, "Supabase unreachable"),
        })?;
    match response.status_code() {
        200..=299 => Ok(response),
        status => Err(Failure::new(
            Some(status),
            format!("Supabase answered {status}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_refusals_of_the_data_are_the_rows_fault() {
        let refused = |status| Failure::new(status, "x").refused_the_data();
        for status in [400, 404, 409, 413, 422] {
            assert!(refused(Some(status)), "{status}");
        }
        for status in [None, Some(401), Some(403), Some(500), Some(502), Some(503)] {
            assert!(!refused(status), "{status:?}");
        }
    }
}

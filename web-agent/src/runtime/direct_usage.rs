//! Usage of the calls the browser makes straight to a provider: a `route = 'direct'` row
//! for Supabase's `usage_events`, queued in the store first and sent with the user's own
//! token, so an offline moment or an expired token delays rows but loses none. A row
//! leaves the queue only once Supabase has taken it; `request_id` is unique there, so a
//! row sent twice (a reply lost on the way back) is still one row. Calls through the proxy
//! are logged by the proxy.
//!
//! Each row carries its owner (`user_id`), and only the signed-in user's rows are sent:
//! Supabase's row-level security would refuse a batch holding anyone else's. The rows of a
//! user who signed out or switched accounts stay set aside in the queue, and go when that
//! user signs in here again.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ferry_core::usage::{CallOutcome, UsageRecord, UsageRoute};
use ferry_core::wire::Usage;

use super::{Clock, Runtime};
use crate::seams::{Tokenizer, Vault};
use crate::store::Store;
use crate::supabase_rest;
use crate::transport::{self, Transport};

/// The user id (`sub`) of a Supabase access token. The token is not verified here: it is
/// the user's own, and Supabase checks it when the row is sent.
pub fn token_subject(token: &str) -> Option<String> {
    token_claim(token, "sub")
}

/// A string claim of a Supabase access token (unverified, as for [`token_subject`]).
pub fn token_claim(token: &str, claim: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims.get(claim)?.as_str().map(str::to_owned)
}

/// One direct call, as its usage row tells it.
pub(super) struct DirectCall<'a> {
    pub(super) provider: ferry_core::ProviderId,
    pub(super) model: &'a str,
    /// The provider's count; `None` for a failed call.
    pub(super) usage: Option<Usage>,
    pub(super) started_ms: u64,
    /// The contract's code of a failed call.
    pub(super) error_code: Option<&'a str>,
}

impl<T: Transport, S: Store, V: Vault, C: Clock, K: Tokenizer> Runtime<T, S, V, C, K> {
    /// Queues the row of a direct call, when the user is signed in to a Supabase project.
    pub(super) async fn record_direct(&self, call: &DirectCall<'_>) {
        let (Some(_), Some(token)) = (&self.settings.supabase_url, &self.access_token) else {
            return;
        };
        let Some(user_id) = token_subject(token) else {
            return;
        };
        let request_id = self.clock.new_id();
        let record = UsageRecord::new(&CallOutcome {
            request_id: &request_id,
            user_id: &user_id,
            started_ms: call.started_ms,
            finished_ms: self.clock.now_ms(),
            route: UsageRoute::Direct,
            provider: call.provider,
            model: call.model,
            usage: call.usage,
            error_code: call.error_code,
        });
        // A row that cannot even be queued is only a missing statistic, never an error.
        let _ = self.store.put_outbox(&record).await;
    }

    /// Sends the signed-in user's queued rows; what Supabase does not take stays queued for
    /// next time, and so do other users' rows (see the module doc). A batch refused for
    /// what it holds is sent again row by row, so one row Supabase will never take (a model
    /// name PostgreSQL cannot store, a row over the caps) is dropped alone instead of
    /// holding every later row back for good.
    pub(super) async fn flush_usage(&self) {
        let (Some(_), Some(token)) = (&self.settings.supabase_url, &self.access_token) else {
            return;
        };
        let Some(user) = token_subject(token) else {
            return;
        };
        let Ok(queued) = self.store.outbox().await else {
            return;
        };
        let rows: Vec<UsageRecord> = queued.into_iter().filter(|r| r.user_id == user).collect();
        match self.insert_usage(&rows).await {
            Some(Inserted::Taken) => self.dequeue(&rows).await,
            Some(Inserted::Refused) if rows.len() > 1 => {
                for row in &rows {
                    if self.insert_usage(std::slice::from_ref(row)).await.is_some() {
                        self.dequeue(std::slice::from_ref(row)).await;
                    }
                }
            }
            Some(Inserted::Refused) => self.dequeue(&rows).await,
            None => {}
        }
    }

    /// One insert of `rows` with the user's token: `None` when it should be tried again
    /// later (offline, an expired token, Supabase failing).
    async fn insert_usage(&self, rows: &[UsageRecord]) -> Option<Inserted> {
        let project = self.project().ok()?;
        let token = self.access_token.as_deref()?;
        let request = supabase_rest::usage_insert_request(&project, token, rows)?;
        let answer = transport::fetch(&self.transport, &request).await.ok()?;
        Inserted::from_status(answer.status)
    }

    async fn dequeue(&self, rows: &[UsageRecord]) {
        for row in rows {
            let _ = self.store.delete_outbox(&row.request_id).await;
        }
    }
}

/// What Supabase did with an insert of usage rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Inserted {
    Taken,
    /// Refused for what the rows hold (a 4xx other than the token's or the moment's fault:
    /// PostgREST answers a row-level-security refusal with 403); sending them again as
    /// they are can never work.
    Refused,
}

impl Inserted {
    /// `None`: not the rows' fault (401 an expired token, 408 / 429 the moment, 5xx
    /// Supabase): try again later.
    fn from_status(status: u16) -> Option<Self> {
        match status {
            200..=299 => Some(Self::Taken),
            401 | 408 | 429 => None,
            400..=499 => Some(Self::Refused),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn only_refusals_of_the_rows_themselves_drop_them() {
        for status in [200, 201, 204] {
            assert_eq!(
                Inserted::from_status(status),
                Some(Inserted::Taken),
                "{status}"
            );
        }
        for status in [400, 403, 404, 409, 413, 422] {
            assert_eq!(
                Inserted::from_status(status),
                Some(Inserted::Refused),
                "{status}"
            );
        }
        for status in [401, 408, 429, 500, 502, 503] {
            assert_eq!(Inserted::from_status(status), None, "{status}");
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_subject_of_a_token() {
        let payload = URL_SAFE_NO_PAD
            .encode(br#"{"sub":"7a6f0c2e-3b1d-4c5e-9f8a-0b1c2d3e4f50","aud":"authenticated"}"#);
        let token = format!("eyJhbGciOiJIUzI1NiJ9.{payload}.sig");
        assert_eq!(
            token_subject(&token).as_deref(),
            Some("7a6f0c2e-3b1d-4c5e-9f8a-0b1c2d3e4f50")
        );
        assert_eq!(token_subject("garbage"), None);
    }
}

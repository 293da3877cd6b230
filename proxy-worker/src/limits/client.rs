//! The worker's side of the limits: asks the user's `LimitsObject` before a call and
//! settles after it.
//!
//! If the object cannot be reached (no binding, an outage, an error), the request goes
//! ahead unlimited and a warning is logged: limits guard the operator against abuse, and a
//! storage hiccup should not take every user's chat down with it. Such responses carry no
//! `X-RateLimit-*` headers.

use ferry_core::ProxyError;
use ferry_core::quota::Reservation;
use serde::Serialize;
use worker::wasm_bindgen::JsValue;
use worker::{Env, Headers, Method, Request, RequestInit, Response};

use super::{Admission, AdmitRequest, Outcome, SettleRequest};
use crate::identity::Identity;

/// The Durable Object binding in `wrangler.toml`.
pub const BINDING: &str = "LIMITS";

/// A reservation to settle once the call's real usage is known.
#[derive(Debug)]
pub struct Pending {
    env: Env,
    name: String,
    reservation: Reservation,
}

impl Pending {
    /// Replaces the reservation by `used_tokens`. Failures are logged: the reservation then
    /// holds until the day ends, erring on the user's side of the quota.
    pub async fn settle(self, used_tokens: u64) {
        let body = SettleRequest {
            reservation: self.reservation,
            used_tokens,
        };
        if call(&self.env, &self.name, "settle", &body).await.is_err() {
            worker::console_warn!("ferry: could not settle a quota reservation");
        }
    }
}

/// The object's name for a caller: one object per user (or per address without auth).
fn object_name(identity: &Identity) -> String {
    match identity {
        Identity::User(sub) => format!("user:{sub}"),
        Identity::Address(ip) => format!("ip:{ip}"),
    }
}

async fn call<T: Serialize>(env: &Env, name: &str, op: &str, body: &T) -> worker::Result<Response> {
    let stub = env
        .durable_object(BINDING)?
        .id_from_name(name)?
        .get_stub()?;
    let headers = Headers::new();
    headers.set("content-type", "application/json")?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(JsValue::from_str(&serde_json::to_string(body)?)));
    let request = Request::new_with_init(&format!("https://limits.internal/{op}"), &init)?;
    let response = stub.fetch_with_request(request).await?;
    if response.status_code() >= 300 {
        return Err(worker::Error::RustError(format!(
            "limits object answered {}",
            response.status_code()
        )));
    }
    Ok(response)
}

/// Counts a request against the caller's limits. `Ok(None)` when the limits could not be
/// consulted (fail open); an error for a refused request.
pub async fn admit(
    env: &Env,
    identity: &Identity,
    ask: AdmitRequest,
) -> Result<Option<(Admission, Option<Pending>)>, (Admission, ProxyError)> {
    let name = object_name(identity);
    let answer = async {
        let mut response = call(env, &name, "admit", &ask).await?;
        response.json::<Admission>().await
    }
    .await;
    let admission = match answer {
        Ok(admission) => admission,
        Err(_) => {
            worker::console_warn!("ferry: limits unavailable, request admitted unlimited");
            return Ok(None);
        }
    };
    match admission.outcome {
        Outcome::Admitted { reservation } => Ok(Some((
            admission,
            reservation.map(|reservation| Pending {
                env: env.clone(),
                name,
                reservation,
            }),
        ))),
        Outcome::RateLimited { retry_after_secs } => {
            Err((admission, ProxyError::RateLimited { retry_after_secs }))
        }
        Outcome::QuotaExceeded { retry_after_secs } => {
            Err((admission, ProxyError::QuotaExceeded { retry_after_secs }))
        }
    }
}

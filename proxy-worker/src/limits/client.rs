//! The worker's side of the limits: asks the user's `LimitsObject` before a call and
//! settles after it.
//!
//! If the object cannot be reached (no binding, an outage, any error — an overloaded
//! object too, which a user can provoke with a burst against their own), [`admit`] says
//! so and the route decides ([`WhenUnavailable`]): model calls go on under a per-isolate
//! limiter of the same per-minute rate (`local`), so a storage hiccup does not take every
//! user's chat down and a user cannot switch their limit off; web fetch and search, which
//! cost the operator money, are refused with 503 `limits_unavailable`. A warning is logged
//! either way.

use ferry_core::ProxyError;
use ferry_core::json;
use ferry_core::quota::Reservation;
use serde::Serialize;
use wasm_bindgen::prelude::wasm_bindgen;
use worker::Env;
use worker::js_sys;
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::web_sys;
use worker::worker_sys::DurableObjectNamespace;

use super::{Admission, AdmitRequest, Claim, Outcome, SettleRequest};
use crate::identity::Identity;

/// The object that records operator notices sent (one a day, whoever's cron runs).
const OPS_OBJECT: &str = "ops";

/// The Durable Object binding in `wrangler.toml`.
pub const BINDING: &str = "LIMITS";

/// A reservation to settle once the call's real usage is known, with the stub of the
/// object that made it (a stub serves the request that made it, which a settlement is part
/// of: looking the object up again would cross into the runtime three more times).
#[derive(Debug)]
pub struct Pending {
    stub: ObjectStub,
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
        if call(&self.stub, "settle", &body).await.is_err() {
            worker::console_warn!("ferry: could not settle a quota reservation");
        }
    }
}

/// The object's name for a caller: one object per user (or per address without auth).
pub fn object_name(identity: &Identity) -> String {
    match identity {
        Identity::User(sub) => format!("user:{sub}"),
        Identity::Address(ip) => format!("ip:{ip}"),
    }
}

#[wasm_bindgen]
extern "C" {
    /// A Durable Object stub, for `fetch(url, init)`: worker's `Stub` takes a `Request`
    /// only, and answers with a `Response` whose text it reads chunk by chunk.
    #[wasm_bindgen(extends = js_sys::Object)]
    #[derive(Debug)]
    type ObjectStub;

    #[wasm_bindgen(method, catch, js_name = fetch)]
    fn fetch_with_init(
        this: &ObjectStub,
        url: &str,
        init: &web_sys::RequestInit,
    ) -> Result<js_sys::Promise, JsValue>;
}

/// The stub of the object `name`.
fn stub(env: &Env, name: &str) -> worker::Result<ObjectStub> {
    let binding = js_sys::Reflect::get(env, &JsValue::from_str(BINDING))?;
    if binding.is_undefined() {
        return Err(worker::Error::RustError(format!("no {BINDING} binding")));
    }
    let namespace: DurableObjectNamespace = binding.unchecked_into();
    Ok(namespace
        .get(&namespace.id_from_name(name)?)?
        .unchecked_into())
}

/// One call to the object of `stub`: `op` with `body` as JSON; the answer's text, read
/// whole by the runtime.
async fn call<T: Serialize>(stub: &ObjectStub, op: &str, body: &T) -> worker::Result<String> {
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&JsValue::from_str(&serde_json::to_string(body)?));
    let url = format!("https://limits.internal/{op}");
    let response: web_sys::Response = JsFuture::from(stub.fetch_with_init(&url, &init)?)
        .await?
        .dyn_into()?;
    if response.status() >= 300 {
        return Err(worker::Error::RustError(format!(
            "limits object answered {}",
            response.status()
        )));
    }
    JsFuture::from(response.text()?)
        .await?
        .as_string()
        .ok_or_else(|| worker::Error::RustError("limits object answered no text".to_owned()))
}

/// What a route does when the caller's limits object cannot be consulted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenUnavailable {
    /// Go on under the per-isolate limiter (same per-minute rate, no quota).
    LimitLocally,
    /// Refuse with 503 `limits_unavailable`.
    Refuse,
}

/// Counts a request against the limits of the object `name` ([`object_name`]).
/// `Ok(None)` when the limits could not be consulted; an error for a refused request.
pub async fn admit(
    env: &Env,
    name: &str,
    ask: AdmitRequest,
) -> Result<Option<(Admission, Option<Pending>)>, (Admission, ProxyError)> {
    let answer = async {
        let stub = stub(env, name)?;
        let answer = call(&stub, "admit", &ask).await?;
        // Parsed in Rust: the runtime's `json()` would build a JavaScript object first.
        Ok::<_, worker::Error>((json::read::<Admission>(answer.as_bytes())?, stub))
    }
    .await;
    let (admission, stub) = match answer {
        Ok(answered) => answered,
        Err(_) => {
            worker::console_warn!("ferry: limits unavailable (the limits object failed)");
            return Ok(None);
        }
    };
    match admission.outcome {
        Outcome::Admitted { reservation } => Ok(Some((
            admission,
            reservation.map(|reservation| Pending { stub, reservation }),
        ))),
        Outcome::RateLimited { retry_after_secs } => {
            Err((admission, ProxyError::RateLimited { retry_after_secs }))
        }
        Outcome::QuotaExceeded { retry_after_secs } => {
            Err((admission, ProxyError::QuotaExceeded { retry_after_secs }))
        }
    }
}

/// Claims `label` once: `true` the first time, `false` after (until released).
pub async fn claim(env: &Env, label: &str) -> Result<bool, String> {
    let answer = call(
        &stub(env, OPS_OBJECT).map_err(|e| e.to_string())?,
        "claim",
        &Claim {
            label: label.to_owned(),
        },
    )
    .await
    .map_err(|e| e.to_string())?;
    serde_json::from_slice::<bool>(answer.as_bytes()).map_err(|e| e.to_string())
}

/// Gives a claim back, so that a later run may try again.
pub async fn release(env: &Env, label: &str) -> Result<(), String> {
    call(
        &stub(env, OPS_OBJECT).map_err(|e| e.to_string())?,
        "release",
        &Claim {
            label: label.to_owned(),
        },
    )
    .await
    .map(drop)
    .map_err(|e| e.to_string())
}

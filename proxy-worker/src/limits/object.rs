//! The `LimitsObject` Durable Object: one per user, the single place where that user's
//! requests are counted. Its input gate makes each `/admit` and `/settle` atomic: no other
//! request of the user is handled while one reads and writes the quota. The settled count
//! is written at once, or by the object's alarm when it was written in the last five
//! seconds ([`Writes`]).

use std::cell::RefCell;

use ferry_core::json;
use ferry_core::quota::QuotaState;
use worker::js_sys::JSON;
use worker::wasm_bindgen::JsValue;
use worker::{Date, DurableObject, Env, Request, Response, Result, State, Storage, durable_object};

use super::{AdmitRequest, Claim, SettleRequest, UserLimits, Write, Writes};

const QUOTA_KEY: &str = "quota";

#[durable_object(alarm)]
pub struct LimitsObject {
    state: State,
    limits: RefCell<Option<UserLimits>>,
    /// The stored quota, read once per object lifetime; the truth while the object lives.
    quota: RefCell<Option<QuotaState>>,
    writes: RefCell<Writes>,
}

impl LimitsObject {
    async fn quota(&self) -> Result<QuotaState> {
        if let Some(quota) = *self.quota.borrow() {
            return Ok(quota);
        }
        let stored = match stored(&self.state.storage(), QUOTA_KEY).await? {
            Some(value) => {
                let text = JSON::stringify(&value)?;
                json::read_str(&String::from(text))?
            }
            None => QuotaState::default(),
        };
        *self.quota.borrow_mut() = Some(stored);
        Ok(stored)
    }

    /// Keeps `after`, and writes it when the day or the settled count changed, as
    /// [`Writes`] plans. An object that goes with calls in flight forgets their
    /// reservations, which lets at most those calls' estimates through the quota again, and
    /// what it settled since its last write, should it go before its alarm rings.
    async fn store(&self, now_ms: u64, before: QuotaState, after: QuotaState) -> Result<()> {
        *self.quota.borrow_mut() = Some(after);
        if (before.day, before.used) == (after.day, after.used) {
            return Ok(());
        }
        let plan = self.writes.borrow_mut().changed(now_ms);
        match plan {
            Write::Now => self.write(after).await,
            Write::Later => Ok(()),
            Write::AlarmAt(at_ms) => {
                let offset = i64::try_from(at_ms.saturating_sub(now_ms)).unwrap_or(i64::MAX);
                if self.state.storage().set_alarm(offset).await.is_err() {
                    self.writes.borrow_mut().due(now_ms);
                    return self.write(after).await;
                }
                Ok(())
            }
        }
    }

    /// Writes the day and its settled count. Reservations stay in memory: one written
    /// beside a count that a later settlement changed unwritten would outlive its call.
    async fn write(&self, quota: QuotaState) -> Result<()> {
        let settled = QuotaState {
            reserved: 0,
            ..quota
        };
        // The same object serde-wasm-bindgen made of it, built by the runtime's parser.
        let value = JSON::parse(&serde_json::to_string(&settled)?)?;
        self.state.storage().put_raw(QUOTA_KEY, value).await
    }
}

impl DurableObject for LimitsObject {
    fn new(state: State, _env: Env) -> Self {
        Self {
            state,
            limits: RefCell::new(None),
            quota: RefCell::new(None),
            writes: RefCell::new(Writes::default()),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let now_ms = Date::now().as_millis();
        let before = self.quota().await?;
        let mut quota = before;
        let response = match req.path().as_str() {
            "/admit" => {
                let ask: AdmitRequest = read_json(&mut req).await?;
                let admission = self
                    .limits
                    .borrow_mut()
                    .get_or_insert_with(|| UserLimits::new(ask.per_minute))
                    .admit(now_ms, &mut quota, &ask);
                Response::from_json(&admission)?
            }
            "/claim" => {
                let claim: Claim = read_json(&mut req).await?;
                let key = format!("claim:{}", claim.label);
                let storage = self.state.storage();
                let fresh = stored(&storage, &key).await?.is_none();
                if fresh {
                    storage.put_raw(&key, JsValue::TRUE).await?;
                }
                Response::from_json(&fresh)?
            }
            "/release" => {
                let claim: Claim = read_json(&mut req).await?;
                self.state
                    .storage()
                    .delete(&format!("claim:{}", claim.label))
                    .await?;
                Response::empty()?.with_status(204)
            }
            "/settle" => {
                let settle: SettleRequest = read_json(&mut req).await?;
                quota.settle(now_ms, settle.reservation, settle.used_tokens);
                Response::empty()?.with_status(204)
            }
            _ => Response::error("not found", 404)?,
        };
        self.store(now_ms, before, quota).await?;
        Ok(response)
    }

    /// Writes what changed since the last write, if this object still holds it.
    async fn alarm(&self) -> Result<Response> {
        let now_ms = Date::now().as_millis();
        let due = self.writes.borrow_mut().due(now_ms);
        let quota = *self.quota.borrow();
        if let Some(quota) = quota.filter(|_| due)
            && let Err(error) = self.write(quota).await
        {
            // The runtime rings a failed alarm again.
            self.writes.borrow_mut().again(now_ms);
            return Err(error);
        }
        Response::empty()
    }
}

/// The value stored under `key`, as the runtime holds it. worker's `get` reads it through
/// serde-wasm-bindgen, whose readers the quota's JSON form makes unneeded.
async fn stored(storage: &Storage, key: &str) -> Result<Option<JsValue>> {
    let found = storage.get_multiple(vec![key]).await?;
    let value = found.get(&JsValue::from_str(key));
    Ok((!value.is_undefined()).then_some(value))
}

/// A request's JSON body, parsed in Rust (the runtime's `json()` builds a JavaScript object
/// only for it to be walked again into the Rust value).
async fn read_json<T: serde::de::DeserializeOwned>(req: &mut Request) -> Result<T> {
    Ok(json::read(&req.bytes().await?)?)
}

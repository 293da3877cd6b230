//! One module per endpoint of the contract, and the steps they share.

pub mod app_config;
pub mod chat;
pub mod embeddings;
pub mod fetch;
pub mod health;
pub mod mcp;
pub mod models;
pub mod preflight;
pub mod search;

use std::pin::pin;
use std::rc::Rc;

use ferry_core::adapter::{Target, UpstreamRequest};
use ferry_core::{BodyCap, Config, ProviderId, ProxyError, check_model_name, resolve_provider};
use futures_util::future::{Either, select};
use serde::de::DeserializeOwned;
use worker::{Context, Env, Response};

use crate::body;
use crate::identity::{self, Identity};
use crate::incoming::Request;
use crate::limits::client::{self, Pending, WhenUnavailable};
use crate::limits::outlook::Ticket;
use crate::limits::{AdmitRequest, Outcome, local};
use crate::respond::{Exchange, now_ms};
use crate::upstream;

/// What a handler works with besides the request.
pub struct Scope<'a> {
    pub config: &'a Config,
    pub env: &'a Env,
    /// Shared with streams, which settle their quota after the handler has returned.
    pub ctx: &'a Rc<Context>,
    pub exchange: &'a Exchange,
}

/// A caller let in: who they are and the provider key they brought.
pub struct Caller {
    pub identity: Identity,
    pub key: String,
}

/// What every proxied call starts with: the proxy on and the caller known.
pub async fn identify(req: &Request, scope: &Scope<'_>) -> Result<Identity, ProxyError> {
    let config = scope.config;
    config.kill_switch.check(None)?;
    let identity = identity::identify(req, config).await?;
    if let Identity::User(sub) = &identity {
        scope.exchange.note_user(sub);
    }
    Ok(identity)
}

/// [`identify`], and the provider key the caller brought.
pub async fn admit(req: &Request, scope: &Scope<'_>) -> Result<Caller, ProxyError> {
    let identity = identify(req, scope).await?;
    let key = req
        .headers()
        .get("x-provider-key")
        .ok()
        .flatten()
        .map(|k| k.trim().to_owned())
        .filter(|k| !k.is_empty())
        .ok_or_else(|| ProxyError::invalid("missing X-Provider-Key: the provider key to use"))?;
    Ok(Caller { identity, key })
}

/// Counts the call against the caller's per-minute rate and, with `reserve_tokens`, the
/// daily quota. The decision's figures go to the exchange for the `X-RateLimit-*` headers.
/// When the limits cannot be consulted, `when_unavailable` decides.
pub async fn limit(
    scope: &Scope<'_>,
    identity: &Identity,
    reserve_tokens: u64,
    when_unavailable: WhenUnavailable,
) -> Result<Option<Pending>, ProxyError> {
    let ticket = Ticket::ask(client::object_name(identity), reserve_tokens, now_ms());
    decide(scope, ticket, reserve_tokens, when_unavailable, false).await
}

/// A model call's limits and its provider call: the provider's answer (its headers in)
/// and the reservation to settle. The limits' round trip runs beside the provider call
/// when this isolate's last word from the caller's limits shows room for it
/// ([`outlook`]), and before it otherwise. A call the limits refuse is aborted and the
/// refusal is the answer; a failed provider call gives its reservation back.
pub async fn send_within_limits(
    scope: &Scope<'_>,
    identity: &Identity,
    reserve_tokens: u64,
    call: &UpstreamRequest,
    provider: ProviderId,
    key: &str,
    timeout_ms: u64,
) -> Result<((Response, upstream::Call), Option<Pending>), ProxyError> {
    let ticket = Ticket::ask(client::object_name(identity), reserve_tokens, now_ms());
    let early = ticket.early();
    let limits = decide(
        scope,
        ticket,
        reserve_tokens,
        WhenUnavailable::LimitLocally,
        early,
    );
    if !early {
        let pending = limits.await?;
        scope.exchange.note_upstream();
        return match upstream::send(call, provider, key, timeout_ms).await {
            Ok(sent) => Ok((sent, pending)),
            Err(error) => {
                settle_later(scope, pending, 0);
                Err(error)
            }
        };
    }
    scope.exchange.note_upstream();
    let limits = pin!(limits);
    let sending = pin!(upstream::send(call, provider, key, timeout_ms));
    let (pending, sent) = match select(limits, sending).await {
        // Refused while the provider call is out: returning drops it, which aborts it.
        Either::Left((Err(refused), _sending)) => return Err(refused),
        Either::Left((Ok(pending), sending)) => (pending, sending.await),
        Either::Right((sent, limits)) => match limits.await {
            Ok(pending) => (pending, sent),
            Err(refused) => {
                if let Ok((_, call)) = sent {
                    call.cancel();
                }
                return Err(refused);
            }
        },
    };
    match sent {
        Ok(sent) => Ok((sent, pending)),
        Err(error) => {
            settle_later(scope, pending, 0);
            Err(error)
        }
    }
}

/// Asks the caller's limits object (or, when it cannot be reached, this isolate's
/// limiter) and tells the outlook and the exchange what it said.
async fn decide(
    scope: &Scope<'_>,
    ticket: Ticket,
    reserve_tokens: u64,
    when_unavailable: WhenUnavailable,
    beside_upstream: bool,
) -> Result<Option<Pending>, ProxyError> {
    let ask = AdmitRequest {
        per_minute: scope.config.rate_limit_per_minute,
        daily_quota: scope.config.daily_token_quota,
        reserve_tokens,
    };
    let started = now_ms();
    let answer = client::admit(scope.env, ticket.user(), ask).await;
    let answered = now_ms();
    scope
        .exchange
        .note_limits_time(answered.saturating_sub(started), beside_upstream);
    match answer {
        Ok(None) => {
            let name = ticket.user().to_owned();
            ticket.answer(None, answered);
            match when_unavailable {
                WhenUnavailable::Refuse => Err(ProxyError::LimitsUnavailable {
                    message: "the per-user limits cannot be checked right now, and this route \
                              does not run without them; try again shortly"
                        .to_owned(),
                }),
                WhenUnavailable::LimitLocally => {
                    let admission = local::admit(&name, ask.per_minute, answered);
                    scope.exchange.note_limits(admission);
                    match admission.outcome {
                        Outcome::RateLimited { retry_after_secs } => {
                            Err(ProxyError::RateLimited { retry_after_secs })
                        }
                        Outcome::Admitted { .. } | Outcome::QuotaExceeded { .. } => Ok(None),
                    }
                }
            }
        }
        Ok(Some((admission, pending))) => {
            ticket.answer(Some(&admission), answered);
            scope.exchange.note_limits(admission);
            Ok(pending)
        }
        Err((admission, refused)) => {
            ticket.answer(Some(&admission), answered);
            scope.exchange.note_limits(admission);
            Err(refused)
        }
    }
}

/// Settles a reservation after the response has gone out.
pub fn settle_later(scope: &Scope<'_>, pending: Option<Pending>, used_tokens: u64) {
    if let Some(pending) = pending {
        scope.ctx.wait_until(pending.settle(used_tokens));
    }
}

/// A model call read and routed: the body parsed, the provider and model resolved.
pub struct ModelCall<T> {
    pub caller: Caller,
    pub request: T,
    /// The bytes of the body as read.
    pub body_len: u64,
    pub provider: ProviderId,
    /// The model to send upstream (a `provider/` prefix stripped).
    pub model: String,
}

/// The common start of the model-call routes: admission, the body within `limit`,
/// parsing, and the provider from `X-Provider` or the model's prefix.
pub async fn read_model_call<T: DeserializeOwned>(
    req: &mut Request,
    scope: &Scope<'_>,
    limit: (u64, BodyCap),
    model_of: fn(&T) -> &str,
) -> Result<ModelCall<T>, ProxyError> {
    let caller = admit(req, scope).await?;
    let bytes = body::read_limited(req, limit).await?;
    let request: T = body::parse_json(&bytes)?;
    check_model_name(model_of(&request))?;
    let (provider, model) = resolve_provider(provider_header(req).as_deref(), model_of(&request))?;
    scope.exchange.note_target(provider, &model);
    Ok(ModelCall {
        caller,
        request,
        body_len: bytes.len() as u64,
        provider,
        model,
    })
}

/// The `X-Provider` header, if sent.
pub fn provider_header(req: &Request) -> Option<String> {
    req.headers().get("x-provider").ok().flatten()
}

/// The upstream target once the provider is known and allowed.
pub fn target<'a>(
    config: &'a Config,
    provider: ProviderId,
    key: &'a str,
) -> Result<Target<'a>, ProxyError> {
    config.kill_switch.check(Some(provider))?;
    Ok(Target {
        provider,
        base_url: config.base_url(provider),
        key,
    })
}

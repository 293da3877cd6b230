//! One module per endpoint of the contract.

pub mod chat;
pub mod embeddings;
pub mod health;
pub mod models;
pub mod preflight;

use ferry_core::adapter::Target;
use ferry_core::{Config, ProviderId, ProxyError, resolve_provider};
use serde::de::DeserializeOwned;
use worker::Request;

use crate::respond::Exchange;
use crate::{body, identity};

/// A model call read and routed: the body parsed, the provider and model resolved.
pub struct ModelCall<T> {
    pub key: String,
    pub request: T,
    pub provider: ProviderId,
    /// The model to send upstream (a `provider/` prefix stripped).
    pub model: String,
}

/// The common start of the model-call routes: admission, the body within its limit,
/// parsing, and the provider from `X-Provider` or the model's prefix.
pub async fn read_model_call<T: DeserializeOwned>(
    req: &mut Request,
    config: &Config,
    exchange: &Exchange,
    model_of: fn(&T) -> &str,
) -> Result<ModelCall<T>, ProxyError> {
    let key = admit(req, config).await?;
    let bytes = body::read_limited(req, config.max_body_bytes).await?;
    let request: T = body::parse_json(&bytes)?;
    let (provider, model) = resolve_provider(provider_header(req).as_deref(), model_of(&request))?;
    exchange.note_target(provider, &model);
    Ok(ModelCall {
        key,
        request,
        provider,
        model,
    })
}

/// What every proxied call starts with: the proxy on, the caller known, the key present.
/// Returns the user's key.
pub async fn admit(req: &Request, config: &Config) -> Result<String, ProxyError> {
    config.kill_switch.check(None)?;
    identity::identify(req, config).await?;
    req.headers()
        .get("x-provider-key")
        .ok()
        .flatten()
        .map(|k| k.trim().to_owned())
        .filter(|k| !k.is_empty())
        .ok_or_else(|| ProxyError::invalid("missing X-Provider-Key: the provider key to use"))
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

//! One module per endpoint of the contract.

pub mod chat;
pub mod embeddings;
pub mod health;
pub mod models;
pub mod preflight;

use ferry_core::adapter::Target;
use ferry_core::{Config, ProviderId, ProxyError};
use worker::Request;

use crate::identity;

/// What every proxied call starts with: the proxy on, the caller known, the key present.
/// Returns the user's key.
pub fn admit(req: &Request, config: &Config) -> Result<String, ProxyError> {
    config.kill_switch.check(None)?;
    identity::identify(req, config)?;
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

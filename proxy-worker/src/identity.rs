//! Who is calling. This is the seam where Supabase JWT verification plugs in; until it
//! does, `AUTH_MODE=supabase` fails closed.

use ferry_core::{AuthMode, Config, ProxyError};
use worker::Request;

/// The caller, as far as limits and usage are concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// `AUTH_MODE=none`: the caller's IP address.
    Address(String),
}

pub fn identify(req: &Request, config: &Config) -> Result<Identity, ProxyError> {
    match config.auth_mode {
        AuthMode::None => Ok(Identity::Address(
            req.headers()
                .get("cf-connecting-ip")
                .ok()
                .flatten()
                .unwrap_or_else(|| "unknown".to_owned()),
        )),
        AuthMode::Supabase => Err(ProxyError::Unauthorized {
            message: "this proxy requires a Supabase access token, and token verification is not \
                      configured; run it with AUTH_MODE=none for local use"
                .to_owned(),
        }),
    }
}

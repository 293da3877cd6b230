//! Who is calling: a Supabase user (`AUTH_MODE=supabase`, verified access token) or, for
//! local use (`AUTH_MODE=none`), the caller's IP address.

pub mod token;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use ferry_core::{AuthMode, Config, ProxyError};
use jsonwebtoken::Algorithm;
use jsonwebtoken::jwk::JwkSet;
use sha2::{Digest, Sha256};
use worker::{Fetch, Request};

use self::token::{TokenError, Verifier};
use crate::respond::now_ms;

/// The caller, as far as limits and usage are concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// A verified Supabase user: the token's `sub`.
    User(String),
    /// `AUTH_MODE=none`: the caller's IP address.
    Address(String),
}

/// How long fetched signing keys are trusted before they are fetched again.
const JWKS_TTL_MS: u64 = 10 * 60 * 1000;
/// An unknown `kid` refetches the keys, but not more often than this.
const JWKS_REFRESH_MIN_MS: u64 = 5 * 1000;

struct CachedKeys {
    url: String,
    keys: Rc<JwkSet>,
    fetched_ms: u64,
}

/// Tokens verified in this isolate, at most this many (then the cache starts afresh).
const VERIFIED_CAPACITY: usize = 4096;

/// A token that passed verification: its user and when it stops being valid.
#[derive(Clone)]
struct Verified {
    sub: String,
    exp: u64,
}

thread_local! {
    // One isolate serves many requests; the keys are shared by them, never by users' data.
    static JWKS: RefCell<Option<CachedKeys>> = const { RefCell::new(None) };
    // A user sends the same access token with every request for up to an hour: verifying
    // its signature once per isolate spares a public-key operation on every call. Keyed by
    // a hash of the token and what it was checked against, so no token is kept.
    static VERIFIED: RefCell<HashMap<[u8; 32], Verified>> = RefCell::new(HashMap::new());
}

fn verified_key(token: &str, supabase_url: &str, secret: Option<&str>) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in [supabase_url, secret.unwrap_or(""), token] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hasher.finalize().into()
}

pub async fn identify(req: &Request, config: &Config) -> Result<Identity, ProxyError> {
    match config.auth_mode {
        AuthMode::None => Ok(Identity::Address(
            req.headers()
                .get("cf-connecting-ip")
                .ok()
                .flatten()
                .unwrap_or_else(|| "unknown".to_owned()),
        )),
        AuthMode::Supabase => verify_request(req, config).await.map(Identity::User),
    }
}

fn unauthorized(message: impl Into<String>) -> ProxyError {
    ProxyError::Unauthorized {
        message: message.into(),
    }
}

async fn verify_request(req: &Request, config: &Config) -> Result<String, ProxyError> {
    let header = req.headers().get("authorization").ok().flatten();
    let token = header
        .as_deref()
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| unauthorized("missing Authorization: Bearer <Supabase access token>"))?;
    let supabase_url = config
        .supabase_url
        .as_deref()
        .ok_or_else(|| unauthorized("the proxy has no SUPABASE_URL to verify tokens against"))?;
    let secret = config.supabase_jwt_secret.as_ref().map(|s| s.expose());
    let now_secs = now_ms() / 1000;
    let cache_key = verified_key(token, supabase_url, secret);
    let hit = VERIFIED.with_borrow(|cache| cache.get(&cache_key).cloned());
    if let Some(verified) = hit {
        if verified.exp.saturating_add(token::LEEWAY_SECS) > now_secs {
            return Ok(verified.sub);
        }
        return Err(unauthorized(TokenError::Expired.to_string()));
    }
    // HS256 tokens need no key set: no fetch for projects that sign with the shared secret.
    let asymmetric = jsonwebtoken::decode_header(token)
        .map(|h| h.alg != Algorithm::HS256)
        .unwrap_or(false);
    let keys = if asymmetric {
        signing_keys(supabase_url, false).await
    } else {
        Rc::default()
    };
    let verified = Verifier::new(supabase_url, secret, &keys).verify(token, now_secs);
    let claims = match verified {
        Err(TokenError::UnknownKey) => {
            // The project may have rotated its keys since they were fetched.
            let keys = signing_keys(supabase_url, true).await;
            Verifier::new(supabase_url, secret, &keys).verify(token, now_secs)
        }
        other => other,
    }
    .map_err(|e| unauthorized(e.to_string()))?;
    VERIFIED.with_borrow_mut(|cache| {
        if cache.len() >= VERIFIED_CAPACITY {
            cache.clear();
        }
        cache.insert(
            cache_key,
            Verified {
                sub: claims.sub.clone(),
                exp: claims.exp,
            },
        );
    });
    Ok(claims.sub)
}

/// The project's signing keys, from the isolate's cache or fetched. A failed fetch gives an
/// empty set (tokens then fail as signed by an unknown key) rather than an error page.
async fn signing_keys(supabase_url: &str, refresh: bool) -> Rc<JwkSet> {
    let url = format!("{supabase_url}/auth/v1/.well-known/jwks.json");
    let now = now_ms();
    let cached = JWKS.with_borrow(|cache| {
        cache.as_ref().and_then(|c| {
            let age = now.saturating_sub(c.fetched_ms);
            let fresh = c.url == url && age < JWKS_TTL_MS;
            let may_refetch = age >= JWKS_REFRESH_MIN_MS;
            (fresh && !(refresh && may_refetch)).then(|| Rc::clone(&c.keys))
        })
    });
    if let Some(keys) = cached {
        return keys;
    }
    let fetched = async {
        let mut response = Fetch::Url(url.parse().ok()?).send().await.ok()?;
        if response.status_code() != 200 {
            return None;
        }
        response.json::<JwkSet>().await.ok()
    }
    .await;
    match fetched {
        Some(keys) => {
            let keys = Rc::new(keys);
            JWKS.with_borrow_mut(|cache| {
                *cache = Some(CachedKeys {
                    url,
                    keys: Rc::clone(&keys),
                    fetched_ms: now,
                });
            });
            keys
        }
        None => {
            worker::console_warn!("ferry: could not fetch the Supabase signing keys");
            Rc::default()
        }
    }
}

//! Who is calling: a Supabase user (`AUTH_MODE=supabase`, verified access token) or, for
//! local use (`AUTH_MODE=none`), the caller's IP address.

mod signature;
pub mod token;

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::rc::Rc;

use ferry_core::adapter::{HttpMethod, UpstreamRequest};
use ferry_core::{AuthMode, Config, ProxyError};
use sha2::{Digest, Sha256};

use self::token::{Claims, JwkSet, TokenError, Verifier};
use crate::incoming::Request;
use crate::respond::now_ms;
use crate::upstream::{self, Outbound};

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
/// The whole JWKS fetch, body included, must be done within this.
pub const JWKS_TIMEOUT_MS: u64 = 3_000;
/// After a failed fetch, the keys are not fetched again for this long: an unreachable
/// Supabase Auth is not asked again by every request.
pub const JWKS_RETRY_AFTER_FAILURE_MS: u64 = 30_000;

struct CachedKeys {
    url: String,
    keys: Rc<JwkSet>,
    fetched_ms: u64,
}

/// The last failed fetch of the keys: where from and when.
struct FailedFetch {
    url: String,
    at_ms: u64,
}

/// Tokens verified in this isolate, at most this many (then the cache starts afresh).
const VERIFIED_CAPACITY: usize = 4096;

/// A token that passed verification: its user, when it stops being valid, and whether the
/// user is an anonymous sign-in.
#[derive(Clone)]
struct Verified {
    sub: String,
    exp: u64,
    is_anonymous: bool,
}

thread_local! {
    // One isolate serves many requests; the keys are shared by them, never by users' data.
    static JWKS: RefCell<Option<CachedKeys>> = const { RefCell::new(None) };
    static JWKS_FAILED: RefCell<Option<FailedFetch>> = const { RefCell::new(None) };
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
        AuthMode::None => {
            let ip = req.headers().get("cf-connecting-ip").ok().flatten();
            Ok(Identity::Address(address_key(ip.as_deref().unwrap_or(""))))
        }
        AuthMode::Supabase => {
            let verified = verify_request(req, config).await?;
            if verified.is_anonymous && !config.allow_anonymous_users {
                return Err(unauthorized(
                    "anonymous sign-ins cannot use this proxy: sign in with an account",
                ));
            }
            Ok(Identity::User(verified.sub))
        }
    }
}

/// The identity of a caller known only by address (`AUTH_MODE=none`): an IPv4 address as
/// itself (a /32); an IPv6 address by its /64 — one site's subnet, whose host can take any
/// of 2^64 addresses, so a /128 would hand it endless fresh limits; an IPv4-mapped IPv6
/// address as the IPv4 address. Anything else is `unknown` (all such callers share one).
pub fn address_key(raw: &str) -> String {
    match raw.trim().parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let [a, b, c, d, ..] = v6.segments();
                format!("{}/64", Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0))
            }
        },
        Err(_) => "unknown".to_owned(),
    }
}

fn unauthorized(message: impl Into<String>) -> ProxyError {
    ProxyError::Unauthorized {
        message: message.into(),
    }
}

async fn verify_request(req: &Request, config: &Config) -> Result<Verified, ProxyError> {
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
            return Ok(verified);
        }
        return Err(unauthorized(TokenError::Expired.to_string()));
    }
    // HS256 tokens need no key set: no fetch for projects that sign with the shared secret.
    let asymmetric = token::is_asymmetric(token);
    let keys = if asymmetric {
        signing_keys(supabase_url, false).await?
    } else {
        Rc::default()
    };
    let verified = check(&Verifier::new(supabase_url, secret, &keys), token, now_secs).await;
    let claims = match verified {
        Err(TokenError::UnknownKey) if asymmetric => {
            // The project may have rotated its keys since they were fetched.
            let keys = signing_keys(supabase_url, true).await?;
            check(&Verifier::new(supabase_url, secret, &keys), token, now_secs).await
        }
        other => other,
    }
    .map_err(|e| unauthorized(e.to_string()))?;
    let verified = Verified {
        sub: claims.sub,
        exp: claims.exp,
        is_anonymous: claims.is_anonymous,
    };
    VERIFIED.with_borrow_mut(|cache| {
        if cache.len() >= VERIFIED_CAPACITY {
            cache.clear();
        }
        cache.insert(cache_key, verified.clone());
    });
    Ok(verified)
}

/// `token` read by `verifier`, its signature checked by Web Crypto, its claims at
/// `now_secs`. A key Web Crypto cannot import counts as an unknown one.
async fn check(verifier: &Verifier<'_>, token: &str, now_secs: u64) -> Result<Claims, TokenError> {
    let pending = verifier.prepare(token)?;
    let signed = signature::verify(&pending)
        .await
        .map_err(|signature::Unusable| TokenError::UnknownKey)?;
    verifier.finish(pending, signed, now_secs)
}

/// The project's signing keys, from the isolate's cache or fetched (within
/// [`JWKS_TIMEOUT_MS`]). When they cannot be had, 503 `auth_unavailable`: the token may be
/// fine, so a 401 (sign in again) would be wrong. A failed fetch is not retried for
/// [`JWKS_RETRY_AFTER_FAILURE_MS`]; keys fetched earlier serve meanwhile, even if old.
async fn signing_keys(supabase_url: &str, refresh: bool) -> Result<Rc<JwkSet>, ProxyError> {
    let url = format!("{supabase_url}/auth/v1/.well-known/jwks.json");
    let now = now_ms();
    let (fresh, held) = JWKS.with_borrow(|cache| match cache.as_ref() {
        Some(c) if c.url == url => {
            let age = now.saturating_sub(c.fetched_ms);
            let may_refetch = age >= JWKS_REFRESH_MIN_MS;
            let fresh = age < JWKS_TTL_MS && !(refresh && may_refetch);
            (fresh, Some(Rc::clone(&c.keys)))
        }
        _ => (false, None),
    });
    if let (true, Some(keys)) = (fresh, &held) {
        return Ok(Rc::clone(keys));
    }
    let failed_at = JWKS_FAILED.with_borrow(|failed| {
        failed
            .as_ref()
            .filter(|f| f.url == url && now.saturating_sub(f.at_ms) < JWKS_RETRY_AFTER_FAILURE_MS)
            .map(|f| f.at_ms)
    });
    if let Some(at_ms) = failed_at {
        let wait_ms = (at_ms + JWKS_RETRY_AFTER_FAILURE_MS).saturating_sub(now);
        return held.ok_or_else(|| keys_unavailable(wait_ms));
    }
    match fetch_keys(&url).await {
        Ok(keys) => {
            let keys = Rc::new(keys);
            JWKS.with_borrow_mut(|cache| {
                *cache = Some(CachedKeys {
                    url,
                    keys: Rc::clone(&keys),
                    fetched_ms: now,
                });
            });
            JWKS_FAILED.with_borrow_mut(|failed| *failed = None);
            Ok(keys)
        }
        Err(reason) => {
            worker::console_warn!("ferry: could not fetch the Supabase signing keys ({reason})");
            JWKS_FAILED.with_borrow_mut(|failed| {
                *failed = Some(FailedFetch { url, at_ms: now });
            });
            held.ok_or_else(|| keys_unavailable(JWKS_RETRY_AFTER_FAILURE_MS))
        }
    }
}

fn keys_unavailable(wait_ms: u64) -> ProxyError {
    ProxyError::AuthUnavailable {
        message: format!(
            "the proxy cannot fetch the keys that verify sign-ins right now; try again in {} s",
            wait_ms.div_ceil(1000).max(1)
        ),
    }
}

/// One fetch of the key set, body included, within [`JWKS_TIMEOUT_MS`].
async fn fetch_keys(url: &str) -> Result<JwkSet, &'static str> {
    let request = UpstreamRequest {
        method: HttpMethod::Get,
        url: url.to_owned(),
        headers: vec![("accept", "application/json".to_owned())],
        body: None,
        dropped: Vec::new(),
    };
    let how = Outbound {
        timeout_ms: JWKS_TIMEOUT_MS,
        on_timeout: ProxyError::RemoteTimeout {
            service: "Supabase Auth".to_owned(),
            timeout_secs: JWKS_TIMEOUT_MS.div_ceil(1000),
        },
        on_failure: ProxyError::RemoteFailed {
            service: "Supabase Auth".to_owned(),
            message: "unreachable".to_owned(),
        },
        follow_redirects: true,
    };
    let describe = |error: ProxyError| match error {
        ProxyError::RemoteTimeout { .. } => "timed out",
        _ => "unreachable",
    };
    let (response, call) = upstream::fetch(&request, &how).await.map_err(describe)?;
    if response.status_code() != 200 {
        return Err("answered with an error");
    }
    let body = upstream::read_all(call).await.map_err(describe)?;
    JwkSet::parse(&body).ok_or("answered with no key set")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_callers_are_their_address() {
        assert_eq!(address_key("203.0.113.7"), "203.0.113.7");
        assert_eq!(address_key(" 198.51.100.1 "), "198.51.100.1");
    }

    #[test]
    fn ipv6_callers_are_their_64() {
        assert_eq!(address_key("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
        // Every address of one /64 is the same caller…
        assert_eq!(
            address_key("2001:db8:1:2:ffff:ffff:ffff:ffff"),
            address_key("2001:db8:1:2::1")
        );
        // …and the next /64 is another.
        assert_ne!(
            address_key("2001:db8:1:3::1"),
            address_key("2001:db8:1:2::1")
        );
        assert_eq!(address_key("::1"), "::/64");
    }

    #[test]
    fn ipv4_mapped_ipv6_is_the_ipv4_address() {
        assert_eq!(address_key("::ffff:203.0.113.7"), "203.0.113.7");
        assert_eq!(address_key("::ffff:cb00:7107"), "203.0.113.7");
    }

    #[test]
    fn anything_else_is_unknown() {
        for raw in [
            "",
            "unknown",
            "203.0.113.7, 10.0.0.1",
            "2001:db8::1%eth0",
            "[::1]",
        ] {
            assert_eq!(address_key(raw), "unknown", "{raw}");
        }
    }
}

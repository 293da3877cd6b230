//! Supabase access-token verification, as plain Rust over `jsonwebtoken` (RustCrypto
//! backend): no worker types here, so it is tested natively against hostile tokens.
//!
//! The algorithm comes from the key, never from the token: HS256 tokens are checked only
//! with `SUPABASE_JWT_SECRET`; RS256 / ES256 tokens only with the JWKS key of their `kid`,
//! and only with the algorithm that key is for. `alg: none`, an HS256 token carrying an
//! asymmetric key's `kid` (the classic confusion), tampered payloads and unknown `kid`s
//! all fail. Time checks take `now` as a parameter.

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::Deserialize;

/// Seconds of clock skew tolerated on `exp` and `nbf`.
pub const LEEWAY_SECS: u64 = 30;

/// The audience of Supabase user tokens.
pub const AUDIENCE: &str = "authenticated";

/// Why a token was refused. The proxy answers all of them with 401 `unauthorized`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the access token is malformed")]
    Malformed,
    #[error("the access token's algorithm is not accepted")]
    Algorithm,
    /// Worth one JWKS refresh: the keys may have rotated.
    #[error("the access token was signed with an unknown key")]
    UnknownKey,
    #[error("the access token's signature is invalid")]
    Signature,
    #[error("the access token has expired")]
    Expired,
    #[error("the access token is not valid yet")]
    NotYetValid,
    #[error("the access token is for another audience")]
    Audience,
    #[error("the access token is from another issuer")]
    Issuer,
    #[error("the access token names no valid user")]
    Subject,
}

/// The claims Ferry uses.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub exp: u64,
    #[serde(default)]
    pub nbf: Option<u64>,
    #[serde(default)]
    pub aud: Option<Audience>,
    #[serde(default)]
    pub iss: Option<String>,
    #[serde(default)]
    pub role: Option<String>,
    /// Supabase's anonymous sign-ins: a user anyone can become with one unauthenticated
    /// call, refused by the proxy unless the operator allows them.
    #[serde(default)]
    pub is_anonymous: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    fn contains(&self, wanted: &str) -> bool {
        match self {
            Self::One(a) => a == wanted,
            Self::Many(list) => list.iter().any(|a| a == wanted),
        }
    }
}

/// What tokens are checked against.
pub struct Verifier<'a> {
    hs256_secret: Option<&'a [u8]>,
    jwks: &'a JwkSet,
    /// `SUPABASE_URL/auth/v1`
    issuer: String,
}

impl<'a> Verifier<'a> {
    pub fn new(supabase_url: &str, hs256_secret: Option<&'a str>, jwks: &'a JwkSet) -> Self {
        Self {
            hs256_secret: hs256_secret.filter(|s| !s.is_empty()).map(str::as_bytes),
            jwks,
            issuer: format!("{}/auth/v1", supabase_url.trim_end_matches('/')),
        }
    }

    /// Verifies `token` at `now_secs` (Unix seconds) and returns its claims.
    pub fn verify(&self, token: &str, now_secs: u64) -> Result<Claims, TokenError> {
        let header = decode_header(token).map_err(|_| TokenError::Malformed)?;
        let (key, algorithm) = match header.alg {
            Algorithm::HS256 => {
                let secret = self.hs256_secret.ok_or(TokenError::Algorithm)?;
                (DecodingKey::from_secret(secret), Algorithm::HS256)
            }
            Algorithm::RS256 | Algorithm::ES256 => {
                let kid = header.kid.as_deref().ok_or(TokenError::UnknownKey)?;
                let jwk = self.jwks.find(kid).ok_or(TokenError::UnknownKey)?;
                let expected = match &jwk.algorithm {
                    AlgorithmParameters::RSA(_) => Algorithm::RS256,
                    AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => {
                        Algorithm::ES256
                    }
                    _ => return Err(TokenError::Algorithm),
                };
                if header.alg != expected {
                    return Err(TokenError::Algorithm);
                }
                let key = DecodingKey::from_jwk(jwk).map_err(|_| TokenError::UnknownKey)?;
                (key, expected)
            }
            _ => return Err(TokenError::Algorithm),
        };
        // Only the signature is checked by the library; the claims are checked below
        // against the caller's clock.
        let mut validation = Validation::new(algorithm);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let claims = decode::<Claims>(token, &key, &validation)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::InvalidSignature => TokenError::Signature,
                _ => TokenError::Malformed,
            })?
            .claims;
        self.check_claims(&claims, now_secs)?;
        Ok(claims)
    }

    fn check_claims(&self, claims: &Claims, now_secs: u64) -> Result<(), TokenError> {
        if claims.exp.saturating_add(LEEWAY_SECS) <= now_secs {
            return Err(TokenError::Expired);
        }
        if claims
            .nbf
            .is_some_and(|nbf| nbf > now_secs.saturating_add(LEEWAY_SECS))
        {
            return Err(TokenError::NotYetValid);
        }
        if !claims.aud.as_ref().is_some_and(|a| a.contains(AUDIENCE)) {
            return Err(TokenError::Audience);
        }
        if claims.iss.as_deref() != Some(self.issuer.as_str()) {
            return Err(TokenError::Issuer);
        }
        if !is_uuid(&claims.sub) {
            return Err(TokenError::Subject);
        }
        Ok(())
    }
}

/// `8-4-4-4-12` hexadecimal digits.
fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests;

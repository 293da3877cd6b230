//! Supabase access-token verification as plain Rust, tested natively against hostile
//! tokens: everything but the signature's arithmetic. [`Verifier::prepare`] reads the
//! token and chooses the key and algorithm; the platform checks the signature (the Worker
//! with Web Crypto's `SubtleCrypto.verify`, so no RSA or elliptic-curve code ships in its
//! wasm); [`Verifier::finish`] checks the claims.
//!
//! The algorithm comes from the key, never from the token: HS256 tokens are checked only
//! with `SUPABASE_JWT_SECRET`; RS256 / ES256 tokens only with the JWKS key of their `kid`,
//! and only with the algorithm that key is for. `alg: none`, an HS256 token carrying an
//! asymmetric key's `kid` (the classic confusion), tampered payloads and unknown `kid`s
//! all fail. Time checks take `now` as a parameter.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ferry_core::json;
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

/// Read by hand: serde's untagged enum would buffer the value first.
impl<'de> Deserialize<'de> for Audience {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        ferry_core::wire::text_or_list(
            deserializer,
            "an audience or a list of them",
            Audience::One,
            Audience::Many,
        )
    }
}

impl Audience {
    fn contains(&self, wanted: &str) -> bool {
        match self {
            Self::One(a) => a == wanted,
            Self::Many(list) => list.iter().any(|a| a == wanted),
        }
    }
}

/// A signing algorithm Ferry accepts. The token's `alg` only has to agree: which one
/// applies comes from the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// HMAC with SHA-256 and the project's shared secret.
    Hs256,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// ECDSA on P-256 with SHA-256; the signature is `r || s`, 32 bytes each.
    Es256,
}

/// One key of the project's JWKS (`/auth/v1/.well-known/jwks.json`), as far as Ferry
/// reads it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Jwk {
    pub kty: String,
    #[serde(default)]
    pub kid: Option<String>,
    #[serde(default)]
    pub crv: Option<String>,
    #[serde(default)]
    pub n: Option<String>,
    #[serde(default)]
    pub e: Option<String>,
    #[serde(default)]
    pub x: Option<String>,
    #[serde(default)]
    pub y: Option<String>,
}

impl Jwk {
    /// The one algorithm this key verifies, if Ferry accepts any for it.
    pub fn algorithm(&self) -> Option<Algorithm> {
        match (self.kty.as_str(), self.crv.as_deref()) {
            ("RSA", _) if self.n.is_some() && self.e.is_some() => Some(Algorithm::Rs256),
            ("EC", Some("P-256")) if self.x.is_some() && self.y.is_some() => Some(Algorithm::Es256),
            _ => None,
        }
    }

    /// The public key alone, as Web Crypto's `importKey("jwk", …)` takes it: no `alg`,
    /// `use` or `key_ops` that could disagree with how it is used.
    pub fn public_jwk(&self) -> serde_json::Value {
        let mut jwk = serde_json::Map::new();
        jwk.insert("kty".into(), self.kty.clone().into());
        for (name, value) in [
            ("crv", &self.crv),
            ("n", &self.n),
            ("e", &self.e),
            ("x", &self.x),
            ("y", &self.y),
        ] {
            if let Some(value) = value {
                jwk.insert(name.into(), value.clone().into());
            }
        }
        jwk.into()
    }
}

/// The project's signing keys. A key Ferry cannot read (another type, a field missing)
/// is left out; the others still serve.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JwkSet {
    pub keys: Vec<Jwk>,
}

impl JwkSet {
    /// The key set of a JWKS document; `None` when it is not one.
    pub fn parse(json: &[u8]) -> Option<Self> {
        #[derive(Deserialize)]
        struct Raw {
            keys: Vec<serde_json::Value>,
        }
        let raw: Raw = json::read(json).ok()?;
        let keys = raw
            .keys
            .into_iter()
            .filter_map(|key| serde_json::from_value(key).ok())
            .collect();
        Some(Self { keys })
    }

    pub fn find(&self, kid: &str) -> Option<&Jwk> {
        self.keys.iter().find(|k| k.kid.as_deref() == Some(kid))
    }
}

/// The key a signature is checked with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key<'a> {
    /// `SUPABASE_JWT_SECRET`'s bytes.
    Secret(&'a [u8]),
    Public(&'a Jwk),
}

/// A token read and matched to its key, its signature still to be checked: by the
/// platform, over [`Pending::signing_input`], before [`Verifier::finish`].
#[derive(Debug)]
pub struct Pending<'t, 'k> {
    pub algorithm: Algorithm,
    pub key: Key<'k>,
    /// `header.payload`, as the token has them: what was signed.
    pub signing_input: &'t str,
    pub signature: Vec<u8>,
    payload: Vec<u8>,
}

/// A token's header, as far as Ferry reads it.
#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
}

/// Whether the token's `alg` is one that some key might take: any the JOSE registry
/// names for signatures. Anything else (`none`, a made-up name) is a malformed token.
fn is_registered(alg: &str) -> bool {
    matches!(
        alg,
        "HS256"
            | "HS384"
            | "HS512"
            | "RS256"
            | "RS384"
            | "RS512"
            | "PS256"
            | "PS384"
            | "PS512"
            | "ES256"
            | "ES384"
            | "ES512"
            | "EdDSA"
    )
}

/// Whether `token`'s header asks for a key from the key set (anything but HS256), so a
/// project that signs with its shared secret never fetches keys. A token that does not
/// read is not asymmetric.
pub fn is_asymmetric(token: &str) -> bool {
    token
        .split('.')
        .next()
        .and_then(|header| URL_SAFE_NO_PAD.decode(header).ok())
        .and_then(|json| json::read::<Header>(&json).ok())
        .is_some_and(|h| h.alg != "HS256")
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

    /// Reads `token` and chooses what its signature is checked with: HS256 only with the
    /// secret; RS256 / ES256 only with the key of its `kid`, and only with the algorithm
    /// that key is for.
    pub fn prepare<'t>(&self, token: &'t str) -> Result<Pending<'t, 'a>, TokenError> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let decode = |part: &str| {
            URL_SAFE_NO_PAD
                .decode(part)
                .map_err(|_| TokenError::Malformed)
        };
        let header: Header = json::read(&decode(header)?).map_err(|_| TokenError::Malformed)?;
        if !is_registered(&header.alg) {
            return Err(TokenError::Malformed);
        }
        let (algorithm, key) = match header.alg.as_str() {
            "HS256" => {
                let secret = self.hs256_secret.ok_or(TokenError::Algorithm)?;
                (Algorithm::Hs256, Key::Secret(secret))
            }
            "RS256" | "ES256" => {
                let kid = header.kid.as_deref().ok_or(TokenError::UnknownKey)?;
                let jwk = self.jwks.find(kid).ok_or(TokenError::UnknownKey)?;
                let expected = jwk.algorithm().ok_or(TokenError::Algorithm)?;
                let named = if header.alg == "RS256" {
                    Algorithm::Rs256
                } else {
                    Algorithm::Es256
                };
                if named != expected {
                    return Err(TokenError::Algorithm);
                }
                (expected, Key::Public(jwk))
            }
            _ => return Err(TokenError::Algorithm),
        };
        let signing_input = &token[..token.len() - signature.len() - 1];
        Ok(Pending {
            algorithm,
            key,
            signing_input,
            signature: decode(signature)?,
            payload: decode(payload)?,
        })
    }

    /// The claims of a token whose signature the platform checked (`signature_ok`),
    /// checked at `now_secs` (Unix seconds).
    pub fn finish(
        &self,
        pending: Pending<'_, '_>,
        signature_ok: bool,
        now_secs: u64,
    ) -> Result<Claims, TokenError> {
        if !signature_ok {
            return Err(TokenError::Signature);
        }
        let claims: Claims = json::read(&pending.payload).map_err(|_| TokenError::Malformed)?;
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

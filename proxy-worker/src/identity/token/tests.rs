//! Supabase token verification against a corpus of good and hostile tokens, minted here
//! with test-only keys (`fixtures/jwt/`: an RSA and a P-256 key and their JWKS, made for
//! these tests and used nowhere else). The signatures are checked natively by RustCrypto
//! (through `jsonwebtoken`, a test-only dependency) where the Worker uses Web Crypto; the
//! end-to-end tests run the same corpus through workerd.

use super::{Claims, JwkSet, Key, TokenError, Verifier, is_asymmetric};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, encode};
use serde_json::{Value, json};

const URL: &str = "https://project.supabase.co";
const SECRET: &str = "super-secret-jwt-token-with-at-least-32-characters";
const NOW: u64 = 1_800_000_000;
const USER: &str = "7a6f0c2e-3b1d-4c5e-9f8a-0b1c2d3e4f50";

fn jwks() -> JwkSet {
    JwkSet::parse(include_bytes!("fixtures/jwt/jwks.json")).unwrap()
}

/// What the Worker does with Web Crypto, done with RustCrypto: prepare, check the
/// signature with the chosen key and algorithm, finish.
fn verify(v: &Verifier<'_>, token: &str, now: u64) -> Result<Claims, TokenError> {
    let pending = v.prepare(token)?;
    let (key, algorithm) = match pending.key {
        Key::Secret(secret) => (DecodingKey::from_secret(secret), Algorithm::HS256),
        Key::Public(jwk) => {
            let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk.public_jwk()).unwrap();
            let algorithm = match pending.algorithm {
                super::Algorithm::Rs256 => Algorithm::RS256,
                super::Algorithm::Es256 => Algorithm::ES256,
                super::Algorithm::Hs256 => unreachable!("a public key is never HMAC's"),
            };
            (DecodingKey::from_jwk(&jwk).unwrap(), algorithm)
        }
    };
    let signature = URL_SAFE_NO_PAD.encode(&pending.signature);
    let ok = jsonwebtoken::crypto::verify(
        &signature,
        pending.signing_input.as_bytes(),
        &key,
        algorithm,
    )
    .unwrap_or(false);
    v.finish(pending, ok, now)
}

fn claims() -> Value {
    json!({
        "sub": USER, "aud": "authenticated", "role": "authenticated",
        "iss": format!("{URL}/auth/v1"), "iat": NOW - 60, "exp": NOW + 3600,
    })
}

fn with(overrides: Value) -> Value {
    let mut c = claims();
    for (k, v) in overrides.as_object().unwrap() {
        if v.is_null() {
            c.as_object_mut().unwrap().remove(k);
        } else {
            c[k] = v.clone();
        }
    }
    c
}

fn hs256(claims: &Value) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

fn rs256(claims: &Value, kid: &str) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    let key = EncodingKey::from_rsa_pem(include_bytes!("fixtures/jwt/rsa.pem")).unwrap();
    encode(&header, claims, &key).unwrap()
}

fn es256(claims: &Value, kid: &str) -> String {
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(kid.to_owned());
    let key = EncodingKey::from_ec_pem(include_bytes!("fixtures/jwt/ec.pem")).unwrap();
    encode(&header, claims, &key).unwrap()
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}

#[test]
fn good_tokens_of_each_algorithm_pass() {
    let keys = jwks();
    let v = Verifier::new(URL, Some(SECRET), &keys);
    for token in [
        hs256(&claims()),
        rs256(&claims(), "rsa-test-1"),
        es256(&claims(), "ec-test-1"),
    ] {
        let c = verify(&v, &token, NOW).unwrap();
        assert_eq!(c.sub, USER);
    }
    // Within the leeway either side.
    assert!(verify(&v, &hs256(&with(json!({"exp": NOW - 10}))), NOW).is_ok());
    assert!(verify(&v, &hs256(&with(json!({"nbf": NOW + 10}))), NOW).is_ok());
    // An audience list that includes ours.
    let list = with(json!({"aud": ["other", "authenticated"]}));
    assert!(verify(&v, &hs256(&list), NOW).is_ok());
}

#[test]
fn hostile_tokens_are_refused() {
    let keys = jwks();
    let v = Verifier::new(URL, Some(SECRET), &keys);
    let good = rs256(&claims(), "rsa-test-1");
    let parts: Vec<&str> = good.split('.').collect();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64(&with(
            json!({"sub": "00000000-0000-0000-0000-000000000000"})
        )),
        parts[2]
    );
    let none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        b64(&claims())
    );
    // HS256 keyed with the RSA public key, naming the RSA key's kid: algorithm confusion.
    let mut confused_header = Header::new(Algorithm::HS256);
    confused_header.kid = Some("rsa-test-1".to_owned());
    let confused = encode(
        &confused_header,
        &claims(),
        &EncodingKey::from_secret(include_bytes!("fixtures/jwt/rsa.pub.pem")),
    )
    .unwrap();
    // An RS256 header on the EC key's kid.
    let mismatched = rs256(&claims(), "ec-test-1");
    let wrong_secret = encode(
        &Header::new(Algorithm::HS256),
        &claims(),
        &EncodingKey::from_secret(b"not-the-secret-not-the-secret-not-the-secret"),
    )
    .unwrap();
    let cases: Vec<(&str, String, TokenError)> = vec![
        ("alg none", none, TokenError::Malformed),
        ("hs/rs confusion", confused, TokenError::Signature),
        ("alg/key mismatch", mismatched, TokenError::Algorithm),
        ("tampered payload", tampered, TokenError::Signature),
        ("wrong secret", wrong_secret, TokenError::Signature),
        (
            "unknown kid",
            es256(&claims(), "rotated-away"),
            TokenError::UnknownKey,
        ),
        (
            "expired",
            hs256(&with(json!({"exp": NOW - 31}))),
            TokenError::Expired,
        ),
        (
            "not yet valid",
            hs256(&with(json!({"nbf": NOW + 3600}))),
            TokenError::NotYetValid,
        ),
        (
            "wrong audience",
            hs256(&with(json!({"aud": "anon"}))),
            TokenError::Audience,
        ),
        (
            "no audience",
            hs256(&with(json!({"aud": null}))),
            TokenError::Audience,
        ),
        (
            "wrong issuer",
            hs256(&with(json!({"iss": "https://evil.example/auth/v1"}))),
            TokenError::Issuer,
        ),
        (
            "sub not a uuid",
            hs256(&with(json!({"sub": "admin"}))),
            TokenError::Subject,
        ),
        (
            "no exp",
            hs256(&with(json!({"exp": null}))),
            TokenError::Malformed,
        ),
        ("garbage", "not.a.jwt".to_owned(), TokenError::Malformed),
        ("empty", String::new(), TokenError::Malformed),
    ];
    for (name, token, expected) in cases {
        assert_eq!(verify(&v, &token, NOW), Err(expected), "{name}");
    }
}

#[test]
fn hs256_is_refused_without_a_configured_secret() {
    let keys = jwks();
    let v = Verifier::new(URL, None, &keys);
    assert_eq!(
        verify(&v, &hs256(&claims()), NOW),
        Err(TokenError::Algorithm)
    );
    assert!(verify(&v, &es256(&claims(), "ec-test-1"), NOW).is_ok());
}

#[test]
fn a_key_set_keeps_the_keys_it_can_read() {
    let document = br#"{"keys": [
        {"kty": "OKP", "kid": "ed", "crv": "Ed25519", "x": "AAAA"},
        {"kid": "no-type"},
        {"kty": "EC", "kid": "p384", "crv": "P-384", "x": "AA", "y": "AA"},
        {"kty": "RSA", "kid": "r", "n": "AQAB", "e": "AQAB", "alg": "RS256", "key_ops": ["sign"]}
    ]}"#;
    let set = JwkSet::parse(document).unwrap();
    let kids: Vec<_> = set.keys.iter().filter_map(|k| k.kid.as_deref()).collect();
    assert_eq!(kids, ["ed", "p384", "r"]);
    // Only RSA and P-256 verify anything; what is imported is the public key alone.
    assert_eq!(set.find("ed").unwrap().algorithm(), None);
    assert_eq!(set.find("p384").unwrap().algorithm(), None);
    assert_eq!(
        set.find("r").unwrap().public_jwk(),
        json!({"kty": "RSA", "n": "AQAB", "e": "AQAB"})
    );
    assert_eq!(JwkSet::parse(b"[]"), None);
    assert_eq!(JwkSet::parse(b"not json"), None);
}

#[test]
fn only_a_token_that_names_a_public_key_algorithm_asks_for_the_key_set() {
    assert!(!is_asymmetric(&hs256(&claims())));
    assert!(is_asymmetric(&rs256(&claims(), "rsa-test-1")));
    assert!(is_asymmetric(&es256(&claims(), "ec-test-1")));
    assert!(!is_asymmetric("garbage"));
    assert!(!is_asymmetric(""));
}

#[test]
fn a_token_with_a_part_too_many_or_too_few_is_malformed() {
    let keys = jwks();
    let v = Verifier::new(URL, Some(SECRET), &keys);
    let good = hs256(&claims());
    assert!(verify(&v, &good, NOW).is_ok());
    assert_eq!(
        verify(&v, &format!("{good}.x"), NOW),
        Err(TokenError::Malformed)
    );
    let two: Vec<&str> = good.rsplitn(2, '.').collect();
    assert_eq!(verify(&v, two[1], NOW), Err(TokenError::Malformed));
    // A signature that is not base64url.
    assert_eq!(
        verify(&v, &format!("{}.!!", two[1]), NOW),
        Err(TokenError::Malformed)
    );
}

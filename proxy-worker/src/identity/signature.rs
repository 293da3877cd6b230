//! A token's signature checked by the runtime's own Web Crypto (`crypto.subtle`): HMAC,
//! RSASSA-PKCS1-v1_5 and ECDSA P-256 run in workerd itself, so none of that arithmetic is
//! compiled into the Worker's wasm. Everything else about a token is decided in plain Rust
//! ([`super::token`]).
//!
//! An imported key is kept for the isolate's later requests, by a hash of what it was
//! imported from, so a key is imported once, not per request.

use std::cell::RefCell;
use std::collections::HashMap;

use sha2::{Digest, Sha256};
use worker::js_sys::{self, Array, Function, Promise, Reflect, Uint8Array};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;

use super::token::{Algorithm, Key, Pending};

/// Keys imported in this isolate, at most this many (then the cache starts afresh).
const IMPORTED_CAPACITY: usize = 64;

thread_local! {
    static IMPORTED: RefCell<HashMap<[u8; 32], JsValue>> = RefCell::new(HashMap::new());
}

/// The key could not be imported (a public key that is not one, a secret Web Crypto
/// refuses): the token is then as good as signed by an unknown key.
#[derive(Debug)]
pub struct Unusable;

/// Whether `pending`'s signature is right.
pub async fn verify(pending: &Pending<'_, '_>) -> Result<bool, Unusable> {
    let subtle = subtle().ok_or(Unusable)?;
    let key = imported(&subtle, pending.algorithm, pending.key).await?;
    let (name, hash) = match pending.algorithm {
        Algorithm::Hs256 => ("HMAC", None),
        Algorithm::Rs256 => ("RSASSA-PKCS1-v1_5", None),
        Algorithm::Es256 => ("ECDSA", Some("SHA-256")),
    };
    let args = Array::of4(
        &algorithm(name, hash.map(|h| ("hash", h))),
        &key,
        &Uint8Array::from(pending.signature.as_slice()),
        &Uint8Array::from(pending.signing_input.as_bytes()),
    );
    // A signature of the wrong shape is `false`, or a rejection on some runtimes: either
    // way, not a valid signature.
    Ok(call(&subtle, "verify", &args)
        .await
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false))
}

/// The `CryptoKey` of `key` for `algorithm`, imported now or earlier in this isolate.
async fn imported(
    subtle: &JsValue,
    algorithm: Algorithm,
    key: Key<'_>,
) -> Result<JsValue, Unusable> {
    let (format, data, how) = match (algorithm, key) {
        (Algorithm::Hs256, Key::Secret(secret)) => (
            "raw",
            JsValue::from(Uint8Array::from(secret)),
            self::algorithm("HMAC", Some(("hash", "SHA-256"))),
        ),
        (Algorithm::Rs256, Key::Public(jwk)) => (
            "jwk",
            js_sys::JSON::parse(&jwk.public_jwk().to_string()).map_err(|_| Unusable)?,
            self::algorithm("RSASSA-PKCS1-v1_5", Some(("hash", "SHA-256"))),
        ),
        (Algorithm::Es256, Key::Public(jwk)) => (
            "jwk",
            js_sys::JSON::parse(&jwk.public_jwk().to_string()).map_err(|_| Unusable)?,
            self::algorithm("ECDSA", Some(("namedCurve", "P-256"))),
        ),
        _ => return Err(Unusable),
    };
    let id = identify(algorithm, key);
    if let Some(key) = IMPORTED.with_borrow(|keys| keys.get(&id).cloned()) {
        return Ok(key);
    }
    let usages = Array::of1(&"verify".into());
    let args = Array::of5(&format.into(), &data, &how, &JsValue::FALSE, &usages);
    let key = call(subtle, "importKey", &args)
        .await
        .map_err(|_| Unusable)?;
    IMPORTED.with_borrow_mut(|keys| {
        if keys.len() >= IMPORTED_CAPACITY {
            keys.clear();
        }
        keys.insert(id, key.clone());
    });
    Ok(key)
}

/// What a key is imported from, hashed: no secret is kept as itself.
fn identify(algorithm: Algorithm, key: Key<'_>) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update([algorithm as u8]);
    match key {
        Key::Secret(secret) => hasher.update(secret),
        Key::Public(jwk) => hasher.update(jwk.public_jwk().to_string()),
    }
    hasher.finalize().into()
}

/// `{name, <field>: <value>}`, as Web Crypto takes an algorithm.
fn algorithm(name: &str, field: Option<(&str, &str)>) -> JsValue {
    let object = js_sys::Object::new();
    let _ = Reflect::set(&object, &"name".into(), &name.into());
    if let Some((field, value)) = field {
        let _ = Reflect::set(&object, &field.into(), &value.into());
    }
    object.into()
}

/// The runtime's `crypto.subtle`.
fn subtle() -> Option<JsValue> {
    let crypto = Reflect::get(&js_sys::global(), &"crypto".into()).ok()?;
    Reflect::get(&crypto, &"subtle".into())
        .ok()
        .filter(JsValue::is_object)
}

/// `subtle[method](...args)`, awaited.
async fn call(subtle: &JsValue, method: &str, args: &Array) -> Result<JsValue, JsValue> {
    let function: Function = Reflect::get(subtle, &method.into())?.dyn_into()?;
    let promise: Promise = function.apply(subtle, args)?.dyn_into()?;
    JsFuture::from(promise).await
}

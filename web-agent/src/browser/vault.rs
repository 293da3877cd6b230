//! [`Vault`] on Web Crypto: AES-GCM 256 under a key the page can use but never read.
//!
//! Two ways to get the key:
//! - [`WebVault::device`]: generated once per browser profile and origin, non-extractable,
//!   and kept as a `CryptoKey` object in its own IndexedDB database ([`DEVICE_DB`]). The
//!   browser stores the key material itself; script only ever holds a handle, so a stolen
//!   export of the app's data cannot be opened elsewhere.
//! - [`WebVault::from_passphrase`]: PBKDF2-SHA-256 over a passphrase with the
//!   [`PassphraseParams`] (salt and iteration count) stored beside what it seals; no key is
//!   persisted, so it also opens on another device. [`WebVault::unlock_passphrase`] opens
//!   data sealed under an older, lower count and seals it again at [`PBKDF2_ITERATIONS`].
//!
//! Everything comes from the global object rather than `window`, so the vault works in a
//! worker as well as in a page.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use indexed_db_futures::database::{Database, VersionChangeEvent};
use indexed_db_futures::error::{DomException, Error as IdbError};
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::TransactionMode;
use js_sys::{Array, Reflect, Uint8Array};
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AesDerivedKeyParams, AesGcmParams, AesKeyGenParams, Crypto, CryptoKey, Pbkdf2Params,
    SubtleCrypto,
};

use crate::seams::{Sealed, Vault, VaultError};

/// PBKDF2-SHA-256 rounds for new passphrase keys: OWASP's 2023 figure for PBKDF2-HMAC-SHA256.
/// The count is recorded in the [`PassphraseParams`] beside the salt, so raising it later
/// leaves what was sealed before still open (and re-sealed on unlock).
pub const PBKDF2_ITERATIONS: u32 = 600_000;
/// The rounds of passphrase vaults made before the count was recorded (OWASP's 2021
/// figure): params without an `iterations` field are read as this.
pub const LEGACY_PBKDF2_ITERATIONS: u32 = 310_000;
/// The IndexedDB database holding the device key; nothing else lives there, so clearing the
/// app's data store never drops the key that opens it.
pub const DEVICE_DB: &str = "ferry-vault";
/// The object store in [`DEVICE_DB`], keys out of line.
pub const DEVICE_STORE: &str = "keys";
/// The record in [`DEVICE_STORE`] holding the device `CryptoKey`.
pub const DEVICE_KEY_ID: &str = "device";

const DEVICE_DB_VERSION: u32 = 1;
const AES_GCM: &str = "AES-GCM";
const KEY_BITS: u16 = 256;
/// 96 bits: the size GCM is specified for; other sizes go through an extra GHASH step.
const IV_LEN: usize = 12;

/// Seals and opens secrets with AES-GCM under a non-extractable `CryptoKey`.
#[derive(Debug, Clone)]
pub struct WebVault {
    crypto: Crypto,
    subtle: SubtleCrypto,
    key: CryptoKey,
}

impl WebVault {
    /// The vault under this device's key, generated and stored on first use.
    pub async fn device() -> Result<Self, VaultError> {
        let (crypto, subtle) = web_crypto()?;
        let db = open_device_db().await?;
        let key = device_key(&db, &subtle).await;
        // Closing at once keeps a later schema upgrade from being blocked by this handle.
        db.close();
        Ok(Self {
            crypto,
            subtle,
            key: key?,
        })
    }

    /// The vault under a key derived from `passphrase` with `params` (salt, rounds); the same
    /// pair gives the same key anywhere. Takes a noticeable moment by design
    /// ([`PBKDF2_ITERATIONS`]).
    pub async fn from_passphrase(
        passphrase: &str,
        params: &PassphraseParams,
    ) -> Result<Self, VaultError> {
        let salt = BASE64
            .decode(&params.salt)
            .map_err(|_| VaultError::Unavailable("the vault's salt is not base64".into()))?;
        if params.iterations == 0 {
            return Err(VaultError::Unavailable(
                "the vault's iteration count is zero".into(),
            ));
        }
        let (crypto, subtle) = web_crypto()?;
        let secret = Uint8Array::from(passphrase.as_bytes());
        let imported =
            subtle.import_key_with_str("raw", &secret, "PBKDF2", false, &usages(&["deriveKey"]));
        // importKey has copied the bytes before returning; wipe the JS copy rather than
        // leave the passphrase in the JS heap until it is collected.
        secret.fill(0, 0, secret.length());
        let material: CryptoKey = resolve(imported).await.map_err(unavailable)?;

        let params = Pbkdf2Params::new_with_str(
            "PBKDF2",
            "SHA-256",
            params.iterations,
            &Uint8Array::from(salt.as_slice()),
        );
        let derived = subtle.derive_key_with_object_and_object(
            &params,
            &material,
            &AesDerivedKeyParams::new(AES_GCM, u32::from(KEY_BITS)),
            false,
            &usages(&["encrypt", "decrypt"]),
        );
        let key = resolve(derived).await.map_err(unavailable)?;
        Ok(Self {
            crypto,
            subtle,
            key,
        })
    }
}

/// What a passphrase vault needs besides the passphrase, stored beside what it sealed: the
/// salt and the PBKDF2 iteration count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassphraseParams {
    /// Base64 (standard alphabet).
    pub salt: String,
    /// Absent in params stored before the count was recorded: those used
    /// [`LEGACY_PBKDF2_ITERATIONS`].
    #[serde(default = "legacy_iterations")]
    pub iterations: u32,
}

fn legacy_iterations() -> u32 {
    LEGACY_PBKDF2_ITERATIONS
}

impl PassphraseParams {
    /// A fresh salt at today's count: for sealing anew.
    pub fn new() -> Result<Self, VaultError> {
        Ok(Self {
            salt: BASE64.encode(new_salt()?),
            iterations: PBKDF2_ITERATIONS,
        })
    }

    /// Whether keys derived with these are as strong as new ones.
    pub fn is_current(&self) -> bool {
        self.iterations >= PBKDF2_ITERATIONS
    }
}

/// What [`WebVault::unlock_passphrase`] gives back: the vault, the params and the sealed
/// secrets to store from now on (new ones if `upgraded`).
#[derive(Debug)]
pub struct Unlocked {
    pub vault: WebVault,
    pub params: PassphraseParams,
    pub sealed: Vec<Sealed>,
    /// The secrets were sealed again under a new salt at [`PBKDF2_ITERATIONS`]: store
    /// `params` and `sealed` in place of the old ones.
    pub upgraded: bool,
}

impl WebVault {
    /// Opens a passphrase vault: derives the key with the stored `params` and checks that
    /// it opens every one of `sealed` (a wrong passphrase is [`VaultError::Open`]). If the
    /// params are older than [`PBKDF2_ITERATIONS`], everything is sealed again under a
    /// fresh salt at today's count, and the old key is dropped.
    pub async fn unlock_passphrase(
        passphrase: &str,
        params: &PassphraseParams,
        sealed: &[Sealed],
    ) -> Result<Unlocked, VaultError> {
        let vault = Self::from_passphrase(passphrase, params).await?;
        let mut secrets = Vec::with_capacity(sealed.len());
        for one in sealed {
            secrets.push(vault.open(one).await?);
        }
        if params.is_current() {
            return Ok(Unlocked {
                vault,
                params: params.clone(),
                sealed: sealed.to_vec(),
                upgraded: false,
            });
        }
        let params = PassphraseParams::new()?;
        let vault = Self::from_passphrase(passphrase, &params).await?;
        let mut resealed = Vec::with_capacity(secrets.len());
        for secret in &secrets {
            resealed.push(vault.seal(secret).await?);
        }
        Ok(Unlocked {
            vault,
            params,
            sealed: resealed,
            upgraded: true,
        })
    }
}

/// A fresh random salt for [`PassphraseParams`], to be stored beside what it seals.
pub fn new_salt() -> Result<[u8; 16], VaultError> {
    let (crypto, _) = web_crypto()?;
    let bytes = random_bytes(&crypto, 16).map_err(unavailable)?;
    let mut salt = [0u8; 16];
    bytes.copy_to(&mut salt);
    Ok(salt)
}

impl Vault for WebVault {
    async fn seal(&self, plaintext: &str) -> Result<Sealed, VaultError> {
        // A repeated (key, IV) pair under GCM leaks the XOR of the plaintexts and the
        // authentication key, so every sealing draws its own.
        let iv = random_bytes(&self.crypto, IV_LEN as u32).map_err(seal_failed)?;
        let encrypted = self.subtle.encrypt_with_object_and_u8_array(
            &AesGcmParams::new(AES_GCM, &iv),
            &self.key,
            plaintext.as_bytes(),
        );
        let ciphertext: JsValue = resolve(encrypted).await.map_err(seal_failed)?;
        Ok(Sealed {
            iv: BASE64.encode(iv.to_vec()),
            ciphertext: BASE64.encode(Uint8Array::new(&ciphertext).to_vec()),
        })
    }

    async fn open(&self, sealed: &Sealed) -> Result<String, VaultError> {
        // Malformed fields are tampering as far as the caller can tell.
        let iv = BASE64.decode(&sealed.iv).map_err(|_| VaultError::Open)?;
        if iv.len() != IV_LEN {
            return Err(VaultError::Open);
        }
        let ciphertext = BASE64
            .decode(&sealed.ciphertext)
            .map_err(|_| VaultError::Open)?;
        let decrypted = self.subtle.decrypt_with_object_and_u8_array(
            &AesGcmParams::new(AES_GCM, &Uint8Array::from(iv.as_slice())),
            &self.key,
            &ciphertext,
        );
        let plaintext: JsValue = resolve(decrypted).await.map_err(|e| {
            // Web Crypto reports a failed tag check — wrong key or altered bytes — as a bare
            // OperationError; anything else is the platform failing.
            if error_name(&e).as_deref() == Some("OperationError") {
                VaultError::Open
            } else {
                unavailable(e)
            }
        })?;
        String::from_utf8(Uint8Array::new(&plaintext).to_vec()).map_err(|_| VaultError::Open)
    }
}

/// `crypto` and `crypto.subtle` of the current global, page or worker.
fn web_crypto() -> Result<(Crypto, SubtleCrypto), VaultError> {
    let crypto: Crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto"))
        .map_err(unavailable)?
        .dyn_into()
        .map_err(|_| VaultError::Unavailable("this context has no Web Crypto".into()))?;
    // Browsers expose `subtle` only to secure contexts (https, localhost).
    let subtle: SubtleCrypto = Reflect::get(&crypto, &JsValue::from_str("subtle"))
        .map_err(unavailable)?
        .dyn_into()
        .map_err(|_| {
            VaultError::Unavailable("Web Crypto needs a secure context (https or localhost)".into())
        })?;
    Ok((crypto, subtle))
}

fn random_bytes(crypto: &Crypto, len: u32) -> Result<Uint8Array, JsValue> {
    let bytes = Uint8Array::new_with_length(len);
    crypto.get_random_values_with_js_u8_array(&bytes)?;
    Ok(bytes)
}

fn usages(names: &[&str]) -> JsValue {
    names
        .iter()
        .map(|name| JsValue::from_str(name))
        .collect::<Array>()
        .into()
}

/// Awaits a Web Crypto promise, a synchronous throw included, as a value of type `T`.
async fn resolve<T: JsCast>(promise: Result<js_sys::Promise, JsValue>) -> Result<T, JsValue> {
    let value = JsFuture::from(promise?).await?;
    value.dyn_into()
}

async fn open_device_db() -> Result<Database, VaultError> {
    Database::open(DEVICE_DB)
        .with_version(DEVICE_DB_VERSION)
        .with_on_upgrade_needed(upgrade)
        .await
        .map_err(|e| VaultError::Unavailable(e.to_string()))
}

fn upgrade(event: VersionChangeEvent, db: Database) -> indexed_db_futures::Result<()> {
    if event.old_version() < 1.0 {
        db.create_object_store(DEVICE_STORE).build()?;
    }
    Ok(())
}

/// The stored device key, or a new one if there is none yet.
async fn device_key(db: &Database, subtle: &SubtleCrypto) -> Result<CryptoKey, VaultError> {
    if let Some(key) = stored_key(db).await? {
        return Ok(key);
    }
    let generated = subtle.generate_key_with_object(
        &AesKeyGenParams::new(AES_GCM, KEY_BITS),
        false,
        &usages(&["encrypt", "decrypt"]),
    );
    let key: CryptoKey = resolve(generated).await.map_err(unavailable)?;
    // Another tab may have stored its own key since we looked. `add` refuses to overwrite,
    // so the first key stored wins and everyone uses it: overwriting would orphan whatever
    // had been sealed under it.
    match add_key(db, &key).await {
        Ok(()) => Ok(key),
        Err(IdbError::DomException(DomException::ConstraintError(_))) => stored_key(db)
            .await?
            .ok_or_else(|| VaultError::Unavailable("the device key vanished".into())),
        Err(e) => Err(VaultError::Unavailable(e.to_string())),
    }
}

async fn stored_key(db: &Database) -> Result<Option<CryptoKey>, VaultError> {
    let found: Option<JsValue> = async {
        let tx = db.transaction(DEVICE_STORE).build()?;
        let store = tx.object_store(DEVICE_STORE)?;
        store.get(DEVICE_KEY_ID).primitive()?.await
    }
    .await
    .map_err(|e: IdbError| VaultError::Unavailable(e.to_string()))?;
    found
        .map(|value| {
            value
                .dyn_into::<CryptoKey>()
                .map_err(|_| VaultError::Unavailable("the stored device key is not a key".into()))
        })
        .transpose()
}

async fn add_key(db: &Database, key: &CryptoKey) -> Result<(), IdbError> {
    let tx = db
        .transaction(DEVICE_STORE)
        .with_mode(TransactionMode::Readwrite)
        .build()?;
    let store = tx.object_store(DEVICE_STORE)?;
    // Stored as the object itself (structured clone): the key material never passes
    // through script.
    let value: &JsValue = key.as_ref();
    store
        .add(value)
        .with_key(DEVICE_KEY_ID)
        .primitive()?
        .await?;
    tx.commit().await
}

fn error_name(error: &JsValue) -> Option<String> {
    Reflect::get(error, &JsValue::from_str("name"))
        .ok()?
        .as_string()
}

/// `name: message` of a platform error. Web Crypto and IndexedDB errors never quote the data
/// they were given, so no secret reaches the message.
fn describe(error: &JsValue) -> String {
    let message = Reflect::get(error, &JsValue::from_str("message"))
        .ok()
        .and_then(|m| m.as_string());
    match (error_name(error), message) {
        (Some(name), Some(message)) => format!("{name}: {message}"),
        (Some(name), None) => name,
        (None, Some(message)) => message,
        (None, None) => "unknown error".into(),
    }
}

fn unavailable(error: JsValue) -> VaultError {
    VaultError::Unavailable(describe(&error))
}

fn seal_failed(error: JsValue) -> VaultError {
    VaultError::Seal(describe(&error))
}

//! Runs in headless Chromium: the Web Crypto vault seals, opens, persists its device key
//! without ever letting it out, and refuses wrong keys and altered data.
#![cfg(all(target_arch = "wasm32", feature = "browser"))]
#![expect(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

use std::task::Poll;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use indexed_db_futures::database::Database;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::TransactionMode;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_agent::browser::vault::{
    DEVICE_DB, DEVICE_KEY_ID, DEVICE_STORE, LEGACY_PBKDF2_ITERATIONS, PBKDF2_ITERATIONS,
    PassphraseParams, WebVault,
};
use web_agent::seams::{Sealed, Vault, VaultError};
use web_sys::CryptoKey;

wasm_bindgen_test_configure!(run_in_browser);

const SECRET: &str = "sk-test-0123456789abcdefghijklmnopqrstuvwxyz";

/// The device key as IndexedDB holds it, read behind the vault's back.
async fn stored_device_key() -> CryptoKey {
    let db = Database::open(DEVICE_DB).await.unwrap();
    let tx = db.transaction(DEVICE_STORE).build().unwrap();
    let store = tx.object_store(DEVICE_STORE).unwrap();
    let found: Option<JsValue> = store.get(DEVICE_KEY_ID).primitive().unwrap().await.unwrap();
    drop(store);
    drop(tx);
    db.close();
    found.expect("a device key is stored").dyn_into().unwrap()
}

/// Deletes the stored device key, as a fresh profile would have none.
async fn forget_device_key() {
    let db = Database::open(DEVICE_DB).await.unwrap();
    let tx = db
        .transaction(DEVICE_STORE)
        .with_mode(TransactionMode::Readwrite)
        .build()
        .unwrap();
    let store = tx.object_store(DEVICE_STORE).unwrap();
    store
        .delete(DEVICE_KEY_ID)
        .primitive()
        .unwrap()
        .await
        .unwrap();
    tx.commit().await.unwrap();
    db.close();
}

fn bytes(b64: &str) -> Vec<u8> {
    BASE64.decode(b64).unwrap()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[wasm_bindgen_test]
async fn sealing_then_opening_gives_the_secret_back() {
    let vault = WebVault::device().await.unwrap();
    let sealed = vault.seal(SECRET).await.unwrap();
    assert_eq!(vault.open(&sealed).await.unwrap(), SECRET);
    assert_eq!(
        vault.open(&vault.seal("").await.unwrap()).await.unwrap(),
        ""
    );
}

#[wasm_bindgen_test]
async fn every_sealing_has_its_own_iv_and_hides_the_plaintext() {
    let vault = WebVault::device().await.unwrap();
    let first = vault.seal(SECRET).await.unwrap();
    let second = vault.seal(SECRET).await.unwrap();

    assert_ne!(first.iv, second.iv);
    assert_ne!(first.ciphertext, second.ciphertext);
    for sealed in [&first, &second] {
        assert_eq!(bytes(&sealed.iv).len(), 12);
        // GCM adds a 16-byte tag and no padding.
        assert_eq!(bytes(&sealed.ciphertext).len(), SECRET.len() + 16);
        assert!(!contains(&bytes(&sealed.ciphertext), SECRET.as_bytes()));
        assert!(!sealed.ciphertext.contains(SECRET));
        assert!(!format!("{sealed:?}").contains(SECRET));
    }
}

#[wasm_bindgen_test]
async fn the_device_key_is_stored_and_cannot_be_exported() {
    WebVault::device().await.unwrap();
    let key = stored_device_key().await;

    assert!(!key.extractable());
    assert_eq!(key.type_(), "secret");
    let usages: Vec<String> = key.usages().iter().filter_map(|u| u.as_string()).collect();
    assert_eq!(usages, ["encrypt", "decrypt"]);
    let algorithm = key.algorithm().unwrap();
    let name = js_sys::Reflect::get(&algorithm, &"name".into()).unwrap();
    let length = js_sys::Reflect::get(&algorithm, &"length".into()).unwrap();
    assert_eq!(name.as_string().as_deref(), Some("AES-GCM"));
    assert_eq!(length.as_f64(), Some(256.0));

    let subtle = web_sys::window().unwrap().crypto().unwrap().subtle();
    for format in ["raw", "jwk"] {
        let exported = match subtle.export_key(format, &key) {
            Ok(promise) => JsFuture::from(promise).await,
            Err(thrown) => Err(thrown),
        };
        let error = exported.expect_err("a non-extractable key does not export");
        let name = js_sys::Reflect::get(&error, &"name".into()).unwrap();
        assert_eq!(name.as_string().as_deref(), Some("InvalidAccessError"));
    }
}

#[wasm_bindgen_test]
async fn a_later_device_vault_opens_what_an_earlier_one_sealed() {
    let sealed = WebVault::device()
        .await
        .unwrap()
        .seal(SECRET)
        .await
        .unwrap();
    let again = WebVault::device().await.unwrap();
    assert_eq!(again.open(&sealed).await.unwrap(), SECRET);
}

#[wasm_bindgen_test]
async fn vaults_opened_at_the_same_time_agree_on_one_device_key() {
    // Opening a vault first makes sure the database exists, so the deletion has a store.
    WebVault::device().await.unwrap();
    forget_device_key().await;
    let (a, b) = futures_join(WebVault::device(), WebVault::device()).await;
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(
        b.open(&a.seal(SECRET).await.unwrap()).await.unwrap(),
        SECRET
    );
    assert_eq!(
        a.open(&b.seal(SECRET).await.unwrap()).await.unwrap(),
        SECRET
    );
}

#[wasm_bindgen_test]
async fn a_passphrase_opens_what_it_sealed_and_a_wrong_one_does_not() {
    const { assert!(PBKDF2_ITERATIONS >= 600_000) };
    let params = PassphraseParams::new().unwrap();
    assert_eq!(params.iterations, PBKDF2_ITERATIONS);
    let sealed = WebVault::from_passphrase("correct horse battery staple", &params)
        .await
        .unwrap()
        .seal(SECRET)
        .await
        .unwrap();

    let same = WebVault::from_passphrase("correct horse battery staple", &params)
        .await
        .unwrap();
    assert_eq!(same.open(&sealed).await.unwrap(), SECRET);

    let wrong = WebVault::from_passphrase("correct horse battery stapler", &params)
        .await
        .unwrap();
    assert_eq!(wrong.open(&sealed).await, Err(VaultError::Open));

    let other = PassphraseParams::new().unwrap();
    assert_ne!(params.salt, other.salt);
    let salted_differently = WebVault::from_passphrase("correct horse battery staple", &other)
        .await
        .unwrap();
    assert_eq!(
        salted_differently.open(&sealed).await,
        Err(VaultError::Open)
    );
    // The count is part of the key: the same salt at another count does not open it.
    let fewer = PassphraseParams {
        iterations: LEGACY_PBKDF2_ITERATIONS,
        ..params.clone()
    };
    let weaker = WebVault::from_passphrase("correct horse battery staple", &fewer)
        .await
        .unwrap();
    assert_eq!(weaker.open(&sealed).await, Err(VaultError::Open));
}

#[wasm_bindgen_test]
async fn the_count_is_recorded_and_old_params_read_as_310_000() {
    let params = PassphraseParams::new().unwrap();
    let stored = serde_json::to_value(&params).unwrap();
    assert_eq!(stored["iterations"], 600_000);
    // Params stored before the count was recorded: a salt alone.
    let old: PassphraseParams =
        serde_json::from_value(serde_json::json!({ "salt": params.salt })).unwrap();
    assert_eq!(old.iterations, 310_000);
    assert!(!old.is_current());
    assert!(params.is_current());
}

#[wasm_bindgen_test]
async fn data_sealed_at_310_000_opens_and_is_sealed_again_at_600_000() {
    let passphrase = "correct horse battery staple";
    // A vault of before: a salt alone recorded, secrets sealed at 310,000 rounds.
    let old: PassphraseParams = serde_json::from_value(serde_json::json!({
        "salt": PassphraseParams::new().unwrap().salt
    }))
    .unwrap();
    let before = WebVault::from_passphrase(passphrase, &old).await.unwrap();
    let sealed = vec![
        before.seal(SECRET).await.unwrap(),
        before.seal("a second secret").await.unwrap(),
    ];

    // A wrong passphrase opens nothing and upgrades nothing.
    assert_eq!(
        WebVault::unlock_passphrase("wrong", &old, &sealed)
            .await
            .err(),
        Some(VaultError::Open)
    );

    let unlocked = WebVault::unlock_passphrase(passphrase, &old, &sealed)
        .await
        .unwrap();
    assert!(unlocked.upgraded);
    assert_eq!(unlocked.params.iterations, 600_000);
    assert_ne!(unlocked.params.salt, old.salt);
    assert_eq!(unlocked.sealed.len(), 2);
    assert_eq!(
        unlocked.vault.open(&unlocked.sealed[0]).await.unwrap(),
        SECRET
    );
    // What it gives back opens with the new params from scratch, and not with the old ones.
    let now = WebVault::from_passphrase(passphrase, &unlocked.params)
        .await
        .unwrap();
    assert_eq!(
        now.open(&unlocked.sealed[1]).await.unwrap(),
        "a second secret"
    );
    assert_eq!(
        before.open(&unlocked.sealed[0]).await,
        Err(VaultError::Open)
    );

    // Unlocked again with the new params: nothing more to do.
    let again = WebVault::unlock_passphrase(passphrase, &unlocked.params, &unlocked.sealed)
        .await
        .unwrap();
    assert!(!again.upgraded);
    assert_eq!(again.sealed, unlocked.sealed);
}

#[wasm_bindgen_test]
async fn the_device_key_does_not_open_a_passphrase_sealing() {
    let sealed = WebVault::from_passphrase("hunter2", &PassphraseParams::new().unwrap())
        .await
        .unwrap()
        .seal(SECRET)
        .await
        .unwrap();
    let device = WebVault::device().await.unwrap();
    assert_eq!(device.open(&sealed).await, Err(VaultError::Open));
}

#[wasm_bindgen_test]
async fn altered_data_does_not_open() {
    let vault = WebVault::device().await.unwrap();
    let sealed = vault.seal(SECRET).await.unwrap();

    let mut ciphertext = bytes(&sealed.ciphertext);
    ciphertext[0] ^= 1;
    let flipped_body = Sealed {
        ciphertext: BASE64.encode(&ciphertext),
        ..sealed.clone()
    };

    let mut ciphertext = bytes(&sealed.ciphertext);
    let last = ciphertext.len() - 1;
    ciphertext[last] ^= 0x80;
    let flipped_tag = Sealed {
        ciphertext: BASE64.encode(&ciphertext),
        ..sealed.clone()
    };

    let mut iv = bytes(&sealed.iv);
    iv[0] ^= 1;
    let flipped_iv = Sealed {
        iv: BASE64.encode(&iv),
        ..sealed.clone()
    };

    let mut ciphertext = bytes(&sealed.ciphertext);
    ciphertext.truncate(ciphertext.len() - 1);
    let truncated = Sealed {
        ciphertext: BASE64.encode(&ciphertext),
        ..sealed.clone()
    };

    let short_iv = Sealed {
        iv: BASE64.encode([0u8; 8]),
        ..sealed.clone()
    };
    let not_base64 = Sealed {
        ciphertext: "not base64!".into(),
        ..sealed.clone()
    };
    let empty = Sealed {
        ciphertext: String::new(),
        ..sealed.clone()
    };

    for altered in [
        flipped_body,
        flipped_tag,
        flipped_iv,
        truncated,
        short_iv,
        not_base64,
        empty,
    ] {
        assert_eq!(
            vault.open(&altered).await,
            Err(VaultError::Open),
            "{altered:?}"
        );
    }
    assert_eq!(vault.open(&sealed).await.unwrap(), SECRET);
}

/// Polls two futures together on the single browser thread, so both reach IndexedDB before
/// either has stored a key.
async fn futures_join<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let mut a = std::pin::pin!(a);
    let mut b = std::pin::pin!(b);
    let (mut out_a, mut out_b) = (None, None);
    std::future::poll_fn(|cx| {
        if out_a.is_none()
            && let Poll::Ready(v) = a.as_mut().poll(cx)
        {
            out_a = Some(v);
        }
        if out_b.is_none()
            && let Poll::Ready(v) = b.as_mut().poll(cx)
        {
            out_b = Some(v);
        }
        match (out_a.take(), out_b.take()) {
            (Some(a), Some(b)) => Poll::Ready((a, b)),
            (a, b) => {
                (out_a, out_b) = (a, b);
                Poll::Pending
            }
        }
    })
    .await
}

//! [`Store`] on IndexedDB (`indexed_db_futures`).
//!
//! Schema, version by version; the browser runs each step a database has not seen yet, in
//! order ([`upgrade`]):
//! 1. object stores `sessions` (key `id`), `messages` (key `id`, index `by_session` on
//!    `session`), `notes` (key `id`), `keys` (key `provider`), `settings` (one record under
//!    [`SETTINGS_KEY`]);
//! 2. `compactions` (key `session`);
//! 3. `usage_outbox` (key `request_id`): direct-call usage rows not yet sent;
//! 4. `blobs` (key `id`, the SHA-256 of the bytes): attachments, one record per distinct
//!    content, its bytes a `Uint8Array` (not a JSON array of numbers) beside its other fields;
//! 5. `mcp_servers` (key `id`): the MCP servers, their secrets sealed;
//! 6. chats as trees ([`v6`]): messages' `parent`, sessions' `head`; `compactions` keyed by
//!    `id` (session and `first_kept`) with index `by_session`; `meta` (keys out of line):
//!    facts about the database itself.

use ferry_core::usage::UsageRecord;
use indexed_db_futures::database::{Database, VersionChangeEvent};
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::TransactionMode;
use js_sys::{JSON, Object, Reflect, Uint8Array};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};

use crate::compaction::Compaction;
use crate::memory::Note;
use crate::store::{
    Blob, CompactionRecord, KeyOwner, KeyRecord, McpServer, Session, Store, StoreError,
    StoredMessage,
};

/// The schema version this code writes.
pub const VERSION: u32 = 6;
const SETTINGS_KEY: &str = "settings";

const SESSIONS: &str = "sessions";
const MESSAGES: &str = "messages";
const BY_SESSION: &str = "by_session";
const NOTES: &str = "notes";
const KEYS: &str = "keys";
const SETTINGS: &str = "settings";
const COMPACTIONS: &str = "compactions";
const OUTBOX: &str = "usage_outbox";
const BLOBS: &str = "blobs";
const MCP_SERVERS: &str = "mcp_servers";
/// Facts about the database itself (keys out of line).
pub(crate) const META: &str = "meta";

mod v6;

/// Deletes every record of `store` its `by_session` index files under `session`, in the
/// caller's transaction.
async fn delete_of_session(
    store: &indexed_db_futures::object_store::ObjectStore<'_>,
    session: &str,
) -> Result<(), StoreError> {
    let ids = store
        .index(BY_SESSION)
        .map_err(failed)?
        .get_all_keys::<String>()
        .with_query(session.to_owned())
        .primitive()
        .map_err(failed)?
        .await
        .map_err(failed)?;
    for id in ids {
        store
            .delete(id.map_err(failed)?)
            .primitive()
            .map_err(failed)?
            .await
            .map_err(failed)?;
    }
    Ok(())
}

fn failed(e: impl std::fmt::Display) -> StoreError {
    StoreError::Failed(e.to_string())
}

/// `value` as the plain object IndexedDB keeps: serde writes it as JSON and the browser's
/// `JSON.parse` builds the object. serde-wasm-bindgen built the same objects field by field,
/// at the cost of a second copy of every record type's serde code in the module; the
/// records it wrote read back the same (its `undefined` for a missing value is left out of
/// JSON, and serde reads both as `None`).
pub(crate) fn to_js<T: Serialize>(value: &T) -> Result<JsValue, StoreError> {
    let json = serde_json::to_string(value).map_err(failed)?;
    JSON::parse(&json).map_err(|e| failed(format!("{e:?}")))
}

/// The value a record holds: the browser's `JSON.stringify` writes it, serde reads it.
pub(crate) fn from_js<T: DeserializeOwned>(record: &JsValue) -> Result<T, StoreError> {
    let json = JSON::stringify(record)
        .ok()
        .and_then(|json| json.as_string())
        .ok_or_else(|| failed("a record that is not JSON"))?;
    serde_json::from_str(&json).map_err(failed)
}

/// The value a `get` found, if it found one (`undefined` when the key holds nothing).
pub(crate) fn from_js_if_any<T: DeserializeOwned>(
    record: Option<JsValue>,
) -> Result<Option<T>, StoreError> {
    record
        .filter(|r| !r.is_undefined())
        .map(|r| from_js(&r))
        .transpose()
}

/// The records of a `get_all`, read back.
fn read_all<T: DeserializeOwned>(
    records: impl Iterator<Item = indexed_db_futures::Result<JsValue>>,
) -> Result<Vec<T>, StoreError> {
    records.map(|r| from_js(&r.map_err(failed)?)).collect()
}

/// Clones share one connection (the page handle keeps one beside the runtime's).
#[derive(Clone)]
pub struct IdbStore {
    db: Database,
}

impl IdbStore {
    /// Opens (creating or upgrading) the database `name`.
    pub async fn open(name: &str) -> Result<Self, StoreError> {
        Self::open_at(name, VERSION).await
    }

    /// Opens `name` at an older schema `version`: for tests of the upgrade path.
    #[doc(hidden)]
    pub async fn open_at(name: &str, version: u32) -> Result<Self, StoreError> {
        let db = Database::open(name)
            .with_version(version)
            .with_on_upgrade_needed_fut(move |event: VersionChangeEvent, db: Database| {
                let (from, to) = (event.old_version() as u64, u64::from(version));
                // The steps that only create stores at once; those that move records
                // within the same transaction, awaiting each request.
                let created = upgrade(from, to, &db);
                async move {
                    created?;
                    if from < 6 && to >= 6 {
                        v6::upgrade(&db).await?;
                    }
                    Ok(())
                }
            })
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Ok(Self { db })
    }

    /// The connection itself, for reads outside the [`Store`] trait (the database's meta
    /// record, counts).
    pub(crate) fn database(&self) -> &Database {
        &self.db
    }

    /// Writes `record` as it is into `store` (in-line keys): for tests that seed a
    /// database in an older schema's shape.
    #[doc(hidden)]
    pub async fn put_record(
        &self,
        store: &str,
        record: &serde_json::Value,
    ) -> Result<(), StoreError> {
        self.put(store, record).await
    }

    /// The names of the database's object stores.
    #[doc(hidden)]
    pub fn store_names(&self) -> Vec<String> {
        self.db.object_store_names().collect()
    }

    /// Closes the connection (a later open may then upgrade the schema).
    pub fn close(self) {
        self.db.close();
    }

    /// Asks the browser to keep the data under storage pressure (`navigator.storage.persist()`);
    /// `false` when it declines or cannot say.
    pub async fn request_persistence() -> bool {
        let Some(window) = web_sys::window() else {
            return false;
        };
        let Ok(promise) = window.navigator().storage().persist() else {
            return false;
        };
        wasm_bindgen_futures::JsFuture::from(promise)
            .await
            .ok()
            .and_then(|granted| granted.as_bool())
            .unwrap_or(false)
    }

    async fn put<T: Serialize>(&self, store: &str, value: &T) -> Result<(), StoreError> {
        self.put_raw(store, &to_js(value)?).await
    }

    /// Writes `record`, an object built by the caller, into `store` (in-line keys): for
    /// [`Self::put`], and for tests that seed records as another writer made them.
    #[doc(hidden)]
    pub async fn put_raw(&self, store: &str, record: &JsValue) -> Result<(), StoreError> {
        let tx = self
            .db
            .transaction(store)
            .with_mode(TransactionMode::Readwrite)
            .build()
            .map_err(failed)?;
        tx.object_store(store)
            .map_err(failed)?
            .put(record)
            .primitive()
            .map_err(failed)?
            .await
            .map_err(failed)?;
        tx.commit().await.map_err(failed)
    }

    async fn all<T: DeserializeOwned>(&self, store: &str) -> Result<Vec<T>, StoreError> {
        let tx = self.db.transaction(store).build().map_err(failed)?;
        let records = tx
            .object_store(store)
            .map_err(failed)?
            .get_all::<JsValue>()
            .primitive()
            .map_err(failed)?
            .await
            .map_err(failed)?;
        read_all(records)
    }

    /// The record under `key` in `store`, if any.
    async fn get<T: DeserializeOwned>(
        &self,
        store: &str,
        key: String,
    ) -> Result<Option<T>, StoreError> {
        let tx = self.db.transaction(store).build().map_err(failed)?;
        let record: Option<JsValue> = tx
            .object_store(store)
            .map_err(failed)?
            .get(key)
            .primitive()
            .map_err(failed)?
            .await
            .map_err(failed)?;
        from_js_if_any(record)
    }

    async fn delete(&self, store: &str, key: String) -> Result<(), StoreError> {
        let tx = self
            .db
            .transaction(store)
            .with_mode(TransactionMode::Readwrite)
            .build()
            .map_err(failed)?;
        tx.object_store(store)
            .map_err(failed)?
            .delete(key)
            .primitive()
            .map_err(failed)?
            .await
            .map_err(failed)?;
        tx.commit().await.map_err(failed)
    }
}

/// Creates what each schema version adds, from the database's version `from` to `to`.
fn upgrade(from: u64, to: u64, db: &Database) -> indexed_db_futures::Result<()> {
    if from < 1 && to >= 1 {
        db.create_object_store(SESSIONS)
            .with_key_path("id".into())
            .build()?;
        let messages = db
            .create_object_store(MESSAGES)
            .with_key_path("id".into())
            .build()?;
        messages
            .create_index(BY_SESSION, "session".into())
            .build()?;
        db.create_object_store(NOTES)
            .with_key_path("id".into())
            .build()?;
        db.create_object_store(KEYS)
            .with_key_path("provider".into())
            .build()?;
        db.create_object_store(SETTINGS).build()?;
    }
    if from < 2 && to >= 2 {
        db.create_object_store(COMPACTIONS)
            .with_key_path("session".into())
            .build()?;
    }
    if from < 3 && to >= 3 {
        db.create_object_store(OUTBOX)
            .with_key_path("request_id".into())
            .build()?;
    }
    if from < 4 && to >= 4 {
        db.create_object_store(BLOBS)
            .with_key_path("id".into())
            .build()?;
    }
    if from < 5 && to >= 5 {
        db.create_object_store(MCP_SERVERS)
            .with_key_path("id".into())
            .build()?;
    }
    Ok(())
}

/// `blob` as its record: a plain object, with the bytes as a `Uint8Array` (serde would
/// write them as an array of numbers, eight times larger).
fn blob_record(blob: &Blob) -> Result<JsValue, StoreError> {
    let record = Object::new();
    let set = |key: &str, value: JsValue| {
        Reflect::set(&record, &key.into(), &value)
            .map(|_| ())
            .map_err(|e| failed(format!("{e:?}")))
    };
    set("id", blob.id.as_str().into())?;
    set("mime", blob.mime.as_str().into())?;
    set("bytes", Uint8Array::from(blob.bytes.as_slice()).into())?;
    if let Some(text) = &blob.text {
        set("text", text.as_str().into())?;
    }
    for (key, value) in [
        ("pages", blob.pages),
        ("width", blob.width),
        ("height", blob.height),
    ] {
        if let Some(value) = value {
            set(key, value.into())?;
        }
    }
    set("created_ms", (blob.created_ms as f64).into())?;
    Ok(record.into())
}

/// The [`Blob`] a record holds.
fn blob_from_record(record: &JsValue) -> Result<Blob, StoreError> {
    let get = |key: &str| Reflect::get(record, &key.into()).unwrap_or(JsValue::UNDEFINED);
    let string = |key: &str| {
        get(key)
            .as_string()
            .ok_or_else(|| failed(format!("a blob record without `{key}`")))
    };
    let number = |key: &str| get(key).as_f64().map(|v| v as u32);
    let bytes = get("bytes")
        .dyn_into::<Uint8Array>()
        .map_err(|_| failed("a blob record without bytes"))?;
    Ok(Blob {
        id: string("id")?,
        mime: string("mime")?,
        bytes: bytes.to_vec(),
        text: get("text").as_string(),
        pages: number("pages"),
        width: number("width"),
        height: number("height"),
        created_ms: get("created_ms").as_f64().map_or(0, |v| v as u64),
    })
}

impl Store for IdbStore {
    async fn put_session(&self, session: &Session) -> Result<(), StoreError> {
        self.put(SESSIONS, session).await
    }

    async fn sessions(&self) -> Result<Vec<Session>, StoreError> {
        self.all(SESSIONS).await
    }

    async fn delete_session(&self, id: &str) -> Result<(), StoreError> {
        // One transaction: a session never loses only some of its messages.
        let tx = self
            .db
            .transaction([SESSIONS, MESSAGES, COMPACTIONS])
            .with_mode(TransactionMode::Readwrite)
            .build()
            .map_err(failed)?;
        for store in [COMPACTIONS, MESSAGES] {
            delete_of_session(&tx.object_store(store).map_err(failed)?, id).await?;
        }
        tx.object_store(SESSIONS)
            .map_err(failed)?
            .delete(id.to_owned())
            .primitive()
            .map_err(failed)?
            .await
            .map_err(failed)?;
        tx.commit().await.map_err(failed)
    }

    async fn put_message(&self, message: &StoredMessage) -> Result<(), StoreError> {
        self.put(MESSAGES, message).await
    }

    async fn messages(&self, session: &str) -> Result<Vec<StoredMessage>, StoreError> {
        let tx = self.db.transaction(MESSAGES).build().map_err(failed)?;
        let records = tx
            .object_store(MESSAGES)
            .map_err(failed)?
            .index(BY_SESSION)
            .map_err(failed)?
            .get_all::<JsValue>()
            .with_query(session.to_owned())
            .primitive()
            .map_err(failed)?
            .await
            .map_err(failed)?;
        let mut messages: Vec<StoredMessage> = read_all(records)?;
        messages.sort_by_key(|m| m.seq);
        Ok(messages)
    }

    async fn delete_message(&self, id: &str) -> Result<(), StoreError> {
        self.delete(MESSAGES, id.to_owned()).await
    }

    async fn put_note(&self, note: &Note) -> Result<(), StoreError> {
        self.put(NOTES, note).await
    }

    async fn notes(&self) -> Result<Vec<Note>, StoreError> {
        self.all(NOTES).await
    }

    async fn delete_note(&self, id: &str) -> Result<(), StoreError> {
        self.delete(NOTES, id.to_owned()).await
    }

    async fn put_key(&self, key: &KeyRecord) -> Result<(), StoreError> {
        self.put(KEYS, key).await
    }

    async fn keys(&self) -> Result<Vec<KeyRecord>, StoreError> {
        self.all(KEYS).await
    }

    async fn delete_key(&self, provider: KeyOwner) -> Result<(), StoreError> {
        self.delete(KEYS, provider.as_str().to_owned()).await
    }

    async fn put_settings(&self, settings: &serde_json::Value) -> Result<(), StoreError> {
        let tx = self
            .db
            .transaction(SETTINGS)
            .with_mode(TransactionMode::Readwrite)
            .build()
            .map_err(failed)?;
        tx.object_store(SETTINGS)
            .map_err(failed)?
            .put(to_js(settings)?)
            .with_key(SETTINGS_KEY.to_owned())
            .primitive()
            .map_err(failed)?
            .await
            .map_err(failed)?;
        tx.commit().await.map_err(failed)
    }

    async fn put_compaction(&self, record: &CompactionRecord) -> Result<(), StoreError> {
        self.put(COMPACTIONS, record).await
    }

    async fn session(&self, id: &str) -> Result<Option<Session>, StoreError> {
        self.get(SESSIONS, id.to_owned()).await
    }

    async fn compactions(&self, session: &str) -> Result<Vec<Compaction>, StoreError> {
        let tx = self.db.transaction(COMPACTIONS).build().map_err(failed)?;
        let records = tx
            .object_store(COMPACTIONS)
            .map_err(failed)?
            .index(BY_SESSION)
            .map_err(failed)?
            .get_all::<JsValue>()
            .with_query(session.to_owned())
            .primitive()
            .map_err(failed)?
            .await
            .map_err(failed)?;
        let records: Vec<CompactionRecord> = read_all(records)?;
        Ok(records.into_iter().map(|r| r.compaction).collect())
    }

    async fn put_outbox(&self, record: &UsageRecord) -> Result<(), StoreError> {
        self.put(OUTBOX, record).await
    }

    async fn outbox(&self) -> Result<Vec<UsageRecord>, StoreError> {
        self.all(OUTBOX).await
    }

    async fn delete_outbox(&self, request_id: &str) -> Result<(), StoreError> {
        self.delete(OUTBOX, request_id.to_owned()).await
    }

    async fn settings(&self) -> Result<Option<serde_json::Value>, StoreError> {
        self.get(SETTINGS, SETTINGS_KEY.to_owned()).await
    }

    async fn put_blob(&self, blob: &Blob) -> Result<(), StoreError> {
        let record = blob_record(blob)?;
        let tx = self
            .db
            .transaction(BLOBS)
            .with_mode(TransactionMode::Readwrite)
            .build()
            .map_err(failed)?;
        tx.object_store(BLOBS)
            .map_err(failed)?
            .put(record)
            .primitive()
            .map_err(failed)?
            .await
            .map_err(failed)?;
        tx.commit().await.map_err(failed)
    }

    async fn blob(&self, id: &str) -> Result<Option<Blob>, StoreError> {
        let tx = self.db.transaction(BLOBS).build().map_err(failed)?;
        let record: Option<JsValue> = tx
            .object_store(BLOBS)
            .map_err(failed)?
            .get(id.to_owned())
            .primitive()
            .map_err(failed)?
            .await
            .map_err(failed)?;
        record
            .filter(|r| !r.is_undefined())
            .map(|r| blob_from_record(&r))
            .transpose()
    }

    async fn blob_ids(&self) -> Result<Vec<String>, StoreError> {
        let tx = self.db.transaction(BLOBS).build().map_err(failed)?;
        let keys = tx
            .object_store(BLOBS)
            .map_err(failed)?
            .get_all_keys::<String>()
            .primitive()
            .map_err(failed)?
            .await
            .map_err(failed)?;
        keys.map(|k| k.map_err(failed)).collect()
    }

    async fn delete_blob(&self, id: &str) -> Result<(), StoreError> {
        self.delete(BLOBS, id.to_owned()).await
    }

    async fn mcp_servers(&self) -> Result<Vec<McpServer>, StoreError> {
        let mut servers: Vec<McpServer> = self.all(MCP_SERVERS).await?;
        // Kept by id; listed in the order they were added.
        servers.sort_by_key(|s| s.added_ms);
        Ok(servers)
    }

    async fn mcp_server(&self, id: &str) -> Result<Option<McpServer>, StoreError> {
        self.get(MCP_SERVERS, id.to_owned()).await
    }

    async fn put_mcp_server(&self, server: &McpServer) -> Result<(), StoreError> {
        self.put(MCP_SERVERS, server).await
    }

    async fn delete_mcp_server(&self, id: &str) -> Result<(), StoreError> {
        self.delete(MCP_SERVERS, id.to_owned()).await
    }
}

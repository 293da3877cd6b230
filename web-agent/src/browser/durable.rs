//! What the app needs to notice a database the browser emptied or deleted: the database's
//! own identity, kept in the `meta` object store (record [`DATABASE_KEY`]), and how much
//! it holds. The app keeps a copy of both outside IndexedDB (`localStorage`); a database
//! that held chats and comes back new or empty is then noticed, never shown as an empty app.

use indexed_db_futures::database::Database;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::TransactionMode;
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;

use super::clock::BrowserClock;
use super::idb::{IdbStore, from_js_if_any, to_js};
use crate::runtime::Clock;
use crate::store::StoreError;

/// The object store of single records about the database itself (out-of-line keys).
const META: &str = "meta";
/// The meta record naming this database: written once, when it is first seen without one.
pub const DATABASE_KEY: &str = "database";

/// The record under [`DATABASE_KEY`]: a fresh id for each database the browser creates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatabaseRecord {
    pub id: String,
    pub created_ms: u64,
}

/// What `storageState()` answers, as JSON.
#[derive(Debug, Clone, Serialize)]
pub struct StorageState {
    /// `None` where the schema has no `meta` store yet.
    pub database: Option<DatabaseRecord>,
    pub sessions: u32,
    pub messages: u32,
}

fn failed(e: impl std::fmt::Display) -> StoreError {
    StoreError::Failed(e.to_string())
}

async fn count(db: &Database, store: &str) -> Result<u32, StoreError> {
    let tx = db.transaction(store).build().map_err(failed)?;
    tx.object_store(store)
        .map_err(failed)?
        .count()
        .primitive()
        .map_err(failed)?
        .await
        .map_err(failed)
}

/// This database's record, written now if it has none.
async fn database_record(db: &Database) -> Result<Option<DatabaseRecord>, StoreError> {
    if !db.object_store_names().any(|name| name == META) {
        return Ok(None);
    }
    let tx = db
        .transaction(META)
        .with_mode(TransactionMode::Readwrite)
        .build()
        .map_err(failed)?;
    let store = tx.object_store(META).map_err(failed)?;
    let known: Option<JsValue> = store
        .get(DATABASE_KEY.to_owned())
        .primitive()
        .map_err(failed)?
        .await
        .map_err(failed)?;
    let known: Option<DatabaseRecord> = from_js_if_any(known)?;
    let record = match known {
        Some(record) => record,
        None => {
            let clock = BrowserClock;
            let record = DatabaseRecord {
                id: clock.new_id(),
                created_ms: clock.now_ms(),
            };
            store
                .put(to_js(&record)?)
                .with_key(DATABASE_KEY.to_owned())
                .primitive()
                .map_err(failed)?
                .await
                .map_err(failed)?;
            record
        }
    };
    tx.commit().await.map_err(failed)?;
    Ok(Some(record))
}

/// The database's identity and how many chats and messages it holds.
pub async fn storage_state(store: &IdbStore) -> Result<StorageState, StoreError> {
    let db = store.database();
    Ok(StorageState {
        database: database_record(db).await?,
        sessions: count(db, "sessions").await?,
        messages: count(db, "messages").await?,
    })
}

//! Schema 6: chats become trees. Each message of a chat stored before gets the one before
//! it (by `seq`) as its parent and each session its last message as its head, so every
//! existing chat is a tree of one branch; compactions are keyed by session and
//! `first_kept` (one per path) with an index by session; and an empty `meta` store (keys
//! out of line) holds facts about the database itself.
//!
//! Records are changed as plain objects, field by field, so nothing this step does not
//! know of is lost.

use std::collections::BTreeMap;

use indexed_db_futures::database::Database;
use indexed_db_futures::prelude::*;
use js_sys::Reflect;
use wasm_bindgen::JsValue;

use super::{BY_SESSION, COMPACTIONS, MESSAGES, META, SESSIONS};
use crate::store::CompactionRecord;

fn text(record: &JsValue, key: &str) -> Option<String> {
    Reflect::get(record, &key.into()).ok()?.as_string()
}

fn set(record: &JsValue, key: &str, value: &str) -> indexed_db_futures::Result<()> {
    Reflect::set(record, &key.into(), &value.into())?;
    Ok(())
}

/// Runs inside the upgrade's transaction, after the steps before it.
pub(super) async fn upgrade(db: &Database) -> indexed_db_futures::Result<()> {
    let meta = db.create_object_store(META).build()?;
    let tx = meta.transaction();

    // Compactions: read, then the store again under its new key.
    let old: Vec<JsValue> = tx
        .object_store(COMPACTIONS)?
        .get_all::<JsValue>()
        .primitive()?
        .await?
        .collect::<Result<_, _>>()?;
    db.delete_object_store(COMPACTIONS)?;
    let compactions = db
        .create_object_store(COMPACTIONS)
        .with_key_path("id".into())
        .build()?;
    compactions
        .create_index(BY_SESSION, "session".into())
        .build()?;
    for record in old {
        let first_kept = Reflect::get(&record, &"compaction".into())
            .ok()
            .and_then(|c| text(&c, "first_kept"));
        if let (Some(session), Some(first_kept)) = (text(&record, "session"), first_kept) {
            set(
                &record,
                "id",
                &CompactionRecord::id_of(&session, &first_kept),
            )?;
            compactions.put(record).primitive()?.await?;
        }
    }

    // Messages: each chat one branch, in the order it was shown.
    let messages = tx.object_store(MESSAGES)?;
    let all: Vec<JsValue> = messages
        .get_all::<JsValue>()
        .primitive()?
        .await?
        .collect::<Result<_, _>>()?;
    let mut chats: BTreeMap<String, Vec<(f64, JsValue)>> = BTreeMap::new();
    for record in all {
        let seq = Reflect::get(&record, &"seq".into())
            .ok()
            .and_then(|s| s.as_f64())
            .unwrap_or(0.0);
        if let Some(session) = text(&record, "session") {
            chats.entry(session).or_default().push((seq, record));
        }
    }
    let mut heads = BTreeMap::new();
    for (session, mut chat) in chats {
        chat.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut previous: Option<String> = None;
        for (_, record) in chat {
            if let Some(parent) = &previous
                && text(&record, "parent").is_none()
            {
                set(&record, "parent", parent)?;
                messages.put(&record).primitive()?.await?;
            }
            previous = text(&record, "id");
        }
        if let Some(head) = previous {
            heads.insert(session, head);
        }
    }

    let sessions = tx.object_store(SESSIONS)?;
    let records: Vec<JsValue> = sessions
        .get_all::<JsValue>()
        .primitive()?
        .await?
        .collect::<Result<_, _>>()?;
    for record in records {
        let head = text(&record, "id").and_then(|id| heads.get(&id));
        if let Some(head) = head
            && text(&record, "head").is_none()
        {
            set(&record, "head", head)?;
            sessions.put(&record).primitive()?.await?;
        }
    }
    Ok(())
}

//! IndexedDB storage in headless Chromium: the same conformance checks as the in-memory
//! store, data surviving a reopen of the database, and the database's own record and
//! counts (what the app compares with its marker outside IndexedDB to notice a database the
//! browser emptied or deleted).
#![cfg(all(target_arch = "wasm32", feature = "browser"))]
#![expect(clippy::unwrap_used, reason = "test code")]

use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_agent::browser::durable::storage_state;
use web_agent::browser::idb::IdbStore;
use web_agent::store::{Store, conformance};

wasm_bindgen_test_configure!(run_in_browser);

fn unique(name: &str) -> String {
    format!("{name}-{}", js_sys::Math::random())
}

#[wasm_bindgen_test]
async fn indexed_db_conforms() {
    let store = IdbStore::open(&unique("ferry-a")).await.unwrap();
    let fresh = IdbStore::open(&unique("ferry-b")).await.unwrap();
    assert_eq!(conformance::check(&store, &fresh).await, Ok(()));
}

#[wasm_bindgen_test]
async fn data_survives_a_reopen() {
    let name = unique("ferry-reopen");
    {
        let store = IdbStore::open(&name).await.unwrap();
        store.put_session(&conformance::session("s")).await.unwrap();
        store
            .put_message(&conformance::message("m", "s", 1, "kept"))
            .await
            .unwrap();
        store
            .put_message(&conformance::thinking_answer("a", "s", 2))
            .await
            .unwrap();
    }
    let reopened = IdbStore::open(&name).await.unwrap();
    let messages = reopened.messages("s").await.unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0].message.text_content(), "kept");
    // Thinking, its opaque parts, usage and cost come back as they were saved.
    assert_eq!(messages[1], conformance::thinking_answer("a", "s", 2));
}

/// Records as serde-wasm-bindgen wrote them, before the store wrote JSON: a missing value
/// is a property that holds `undefined`. They read back as they were.
#[wasm_bindgen_test]
async fn records_written_field_by_field_read_back() {
    use wasm_bindgen::JsValue;

    let store = IdbStore::open(&unique("ferry-objects")).await.unwrap();
    let as_written = |json: serde_json::Value, undefined: &[&str]| {
        let record = js_sys::JSON::parse(&json.to_string()).unwrap();
        for key in undefined {
            js_sys::Reflect::set(&record, &(*key).into(), &JsValue::UNDEFINED).unwrap();
        }
        record
    };
    let session = serde_json::to_value(conformance::session("s")).unwrap();
    store
        .put_raw("sessions", &as_written(session, &["cost_usd", "head"]))
        .await
        .unwrap();
    let message = conformance::message("m", "s", 1, "written field by field");
    let json = serde_json::to_value(&message).unwrap();
    store
        .put_raw(
            "messages",
            &as_written(json, &["parent", "usage", "cost_usd"]),
        )
        .await
        .unwrap();

    let read = store.session("s").await.unwrap().unwrap();
    assert_eq!((read.cost_usd, read.head), (None, None));
    assert_eq!(store.messages("s").await.unwrap(), [message]);
}

#[wasm_bindgen_test]
async fn a_version_1_database_is_upgraded_keeping_its_data() {
    use web_agent::compaction::Compaction;
    use web_agent::store::CompactionRecord;

    let name = unique("ferry-upgrade");
    let old = IdbStore::open_at(&name, 1).await.unwrap();
    old.put_session(&conformance::session("s")).await.unwrap();
    old.put_message(&conformance::message("m", "s", 1, "from v1"))
        .await
        .unwrap();
    old.close();

    let upgraded = IdbStore::open(&name).await.unwrap();
    assert_eq!(
        upgraded.messages("s").await.unwrap()[0]
            .message
            .text_content(),
        "from v1"
    );
    let record = CompactionRecord::new(
        "s",
        Compaction {
            summary: "sum".into(),
            first_kept: "m".into(),
            summarized_tokens: 1,
        },
    );
    upgraded.put_compaction(&record).await.unwrap();
    assert_eq!(
        upgraded.compactions("s").await.unwrap(),
        [record.compaction]
    );
}

#[wasm_bindgen_test]
async fn a_version_4_database_is_upgraded_to_mcp_servers_keeping_its_data() {
    let name = unique("ferry-upgrade-v5");
    let old = IdbStore::open_at(&name, 4).await.unwrap();
    old.put_session(&conformance::session("s")).await.unwrap();
    old.put_message(&conformance::message("m", "s", 1, "from v4"))
        .await
        .unwrap();
    old.close();

    let upgraded = IdbStore::open(&name).await.unwrap();
    assert_eq!(
        upgraded.messages("s").await.unwrap()[0]
            .message
            .text_content(),
        "from v4"
    );
    assert!(upgraded.mcp_servers().await.unwrap().is_empty());
    // Its tools' schemas and the approvals (maps) read back as they were written.
    let mut server = conformance::mcp_server("mcp1", 5);
    server
        .approvals
        .insert("echo".into(), web_agent::protocol::ToolApproval::Chat);
    upgraded.put_mcp_server(&server).await.unwrap();
    upgraded.close();
    let reopened = IdbStore::open(&name).await.unwrap();
    assert_eq!(reopened.mcp_servers().await.unwrap(), vec![server.clone()]);
    assert_eq!(reopened.mcp_server("mcp1").await.unwrap(), Some(server));
}

/// A database of schema 5 (chats as lists, one compaction per session) opened by this
/// code: every chat becomes a tree of one branch, in the order it was shown, its head on
/// its last message; the compaction is kept, keyed by its path; `meta` exists.
#[wasm_bindgen_test]
async fn a_version_5_database_is_upgraded_to_trees_keeping_its_data() {
    use serde_json::json;
    use web_agent::compaction::Compaction;
    use web_agent::tree::Tree;

    let name = unique("ferry-upgrade-v6");
    let old = IdbStore::open_at(&name, 5).await.unwrap();
    for id in ["s", "s2"] {
        old.put_record(
            "sessions",
            &json!({"id": id, "title": "T", "created_ms": 1, "updated_ms": 2, "params": {}, "cost_usd": null}),
        )
        .await
        .unwrap();
    }
    // Out of order on purpose: the chain follows seq.
    for (id, session, seq, role) in [
        ("m3", "s", 3, "user"),
        ("m1", "s", 1, "user"),
        ("m2", "s", 2, "assistant"),
        ("x1", "s2", 1, "user"),
    ] {
        old.put_record(
            "messages",
            &json!({"id": id, "session": session, "seq": seq,
                "message": {"role": role, "content": format!("text of {id}")},
                "partial": false, "created_ms": seq}),
        )
        .await
        .unwrap();
    }
    old.put_record(
        "compactions",
        &json!({"session": "s", "compaction": {"summary": "sum", "first_kept": "m2", "summarized_tokens": 7}}),
    )
    .await
    .unwrap();
    old.close();

    let upgraded = IdbStore::open(&name).await.unwrap();
    assert!(upgraded.store_names().contains(&"meta".to_owned()));
    let messages = upgraded.messages("s").await.unwrap();
    let parents: Vec<Option<&str>> = messages.iter().map(|m| m.parent.as_deref()).collect();
    assert_eq!(parents, [None, Some("m1"), Some("m2")]);
    let session = upgraded.session("s").await.unwrap().unwrap();
    assert_eq!(session.head.as_deref(), Some("m3"));
    let path: Vec<&str> = Tree::new(&messages)
        .path(session.head.as_deref())
        .iter()
        .map(|m| m.id.as_str())
        .collect();
    assert_eq!(path, ["m1", "m2", "m3"]);
    assert_eq!(messages[1].message.text_content(), "text of m2");
    let other = upgraded.session("s2").await.unwrap().unwrap();
    assert_eq!(other.head.as_deref(), Some("x1"));
    assert_eq!(upgraded.messages("s2").await.unwrap()[0].parent, None);
    let compaction = Compaction {
        summary: "sum".into(),
        first_kept: "m2".into(),
        summarized_tokens: 7,
    };
    assert_eq!(upgraded.compactions("s").await.unwrap(), [compaction]);
    assert!(upgraded.compactions("s2").await.unwrap().is_empty());
    // Deleting the chat takes its compactions with it.
    upgraded.delete_session("s").await.unwrap();
    assert!(upgraded.compactions("s").await.unwrap().is_empty());
}

#[wasm_bindgen_test]
async fn a_database_is_named_once_and_its_chats_and_messages_counted() {
    let name = unique("ferry-durable");
    let store = IdbStore::open(&name).await.unwrap();
    let first = storage_state(&store).await.unwrap();
    assert_eq!((first.sessions, first.messages), (0, 0));
    store.put_session(&conformance::session("s")).await.unwrap();
    for (id, seq) in [("m1", 1), ("m2", 2)] {
        store
            .put_message(&conformance::message(id, "s", seq, "hi"))
            .await
            .unwrap();
    }
    store.close();

    let reopened = IdbStore::open(&name).await.unwrap();
    let later = storage_state(&reopened).await.unwrap();
    assert_eq!((later.sessions, later.messages), (1, 2));
    // Named once: the same record after a reopen.
    assert_eq!(later.database, first.database);

    // Where the schema has the meta store, another database is another name.
    if let Some(named) = first.database {
        let other = IdbStore::open(&unique("ferry-durable")).await.unwrap();
        let other = storage_state(&other).await.unwrap().database.unwrap();
        assert_ne!(other.id, named.id);
        assert!(other.created_ms >= named.created_ms);
    }
}

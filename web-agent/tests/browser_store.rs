//! IndexedDB storage in headless Chromium: the same conformance checks as the in-memory
//! store, and data surviving a reopen of the database.
#![cfg(all(target_arch = "wasm32", feature = "browser"))]
#![expect(clippy::unwrap_used, reason = "test code")]

use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
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
    let record = CompactionRecord {
        session: "s".into(),
        compaction: Compaction {
            summary: "sum".into(),
            first_kept: "m".into(),
            summarized_tokens: 1,
        },
    };
    upgraded.put_compaction(&record).await.unwrap();
    assert_eq!(
        upgraded.compaction("s").await.unwrap(),
        Some(record.compaction)
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

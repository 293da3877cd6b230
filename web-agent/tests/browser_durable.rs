//! The database's own record and counts, in headless Chromium: what the app compares with
//! its marker outside IndexedDB to notice a database the browser emptied or deleted.
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

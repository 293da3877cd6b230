//! Export and import of everything stored.

use super::*;

#[wasm_bindgen_test(unsupported = test)]
fn export_then_import_into_a_fresh_agent_restores_everything() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    transport.answer(
        200,
        &[&chunk(serde_json::json!({"content": "Hi"})), "[DONE]"],
    );
    send(&mut rt, "s", "hello");
    let exported = command(
        &mut rt,
        Command::Export {
            include_keys: false,
        },
    );
    let Some(Event::Exported { document }) = exported.first() else {
        panic!("{exported:?}")
    };
    assert!(!document.contains(KEY));
    let mut fresh = Runtime::new(
        &transport,
        MemoryStore::default(),
        FakeVault,
        FakeClock::default(),
        settings(ProviderId::OpenAi),
    );
    let imported = command(
        &mut fresh,
        Command::Import {
            document: document.clone(),
        },
    );
    assert!(matches!(
        imported[0],
        Event::Imported {
            sessions: 1,
            messages: 2,
            ..
        }
    ));
    assert_eq!(stored_texts(&fresh, "s"), stored_texts(&rt, "s"));
    let refused = command(
        &mut fresh,
        Command::Import {
            document: "{}".into(),
        },
    );
    assert!(matches!(
        refused[0],
        Event::Error {
            kind: ErrorKind::InvalidRequest,
            ..
        }
    ));
}

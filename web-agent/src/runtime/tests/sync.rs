//! Another tab wrote: the agent reads again what it keeps in memory, and only on request.

use super::*;
use crate::protocol::Change;
use crate::store::KeyRecord;
use crate::store::Store;

/// What another tab's agent leaves in the shared store: other settings, a Brave key.
fn written_elsewhere(rt: &TestRuntime<'_>) {
    let mut other = settings(ProviderId::Mistral);
    other.model = "mistral-large".into();
    other.proxy_max_media_body_bytes = Some(1);
    run(rt
        .store()
        .put_settings(&serde_json::to_value(&other).unwrap()))
    .unwrap();
    let sealed = run(FakeVault.seal("brave-key")).unwrap();
    run(rt.store().put_key(&KeyRecord {
        provider: KeyOwner::Search(ferry_core::search::SearchEngine::Brave),
        sealed,
    }))
    .unwrap();
}

#[wasm_bindgen_test(unsupported = test)]
fn refresh_reads_settings_and_keys_again_and_tells_them() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    rt.settings.proxy_max_media_body_bytes = Some(3_000_000);
    written_elsewhere(&rt);
    // Until asked, the agent goes on with what it holds.
    assert_eq!(rt.settings.provider, ProviderId::OpenAi);

    let events = command(
        &mut rt,
        Command::Refresh {
            changed: vec![Change::Settings, Change::Keys],
        },
    );
    let [Event::Ready { settings, keys, .. }] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert_eq!(
        (settings.provider, settings.model.as_str()),
        (ProviderId::Mistral, "mistral-large")
    );
    assert!(keys.contains(&crate::protocol::KeyOwner::Search(
        ferry_core::search::SearchEngine::Brave
    )));
    assert!(keys.contains(&crate::protocol::KeyOwner::Provider(ProviderId::OpenAi)));
    // What this page serves stays its own.
    assert_eq!(rt.settings.proxy_max_media_body_bytes, Some(3_000_000));
    assert_eq!(rt.settings.model, "mistral-large");
}

#[wasm_bindgen_test(unsupported = test)]
fn refresh_of_settings_only_leaves_keys_and_of_servers_lists_them() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    written_elsewhere(&rt);
    let events = command(
        &mut rt,
        Command::Refresh {
            changed: vec![Change::Settings],
        },
    );
    let [Event::Ready { keys, .. }] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert_eq!(
        keys,
        &[crate::protocol::KeyOwner::Provider(ProviderId::OpenAi)]
    );
    let events = command(
        &mut rt,
        Command::Refresh {
            changed: vec![Change::McpServers],
        },
    );
    assert_eq!(events, [Event::McpServers { servers: vec![] }]);
}

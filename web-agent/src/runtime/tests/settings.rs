//! Keys and settings: sealed or kept in memory, told to the UI without the keys, synced settings.

use super::*;

#[wasm_bindgen_test(unsupported = test)]
fn keys_are_sealed_or_kept_in_memory_only_and_never_told() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    let stored = run(rt.store().keys()).unwrap();
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].sealed.ciphertext.contains(KEY));
    run(rt.handle(
        Command::SetKey {
            provider: ProviderId::OpenAi.into(),
            key: KEY.into(),
            remember: false,
        },
        &mut |_| {},
    ));
    assert!(run(rt.store().keys()).unwrap().is_empty());
    // A refusal that quotes the key does not carry it to the UI.
    transport.json(
        401,
        None,
        &format!(r#"{{"error":{{"code":"invalid_api_key","message":"bad key {KEY}"}}}}"#),
    );
    let events = send(&mut rt, "s", "hi");
    let told = format!("{events:?}");
    assert!(told.contains("ProviderRefused"));
    assert!(!told.contains(KEY));
}

#[wasm_bindgen_test(unsupported = test)]
fn load_tells_the_settings_and_which_keys_are_held_never_the_keys() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    let events = command(&mut rt, Command::Load);
    let Event::Ready { settings, keys, .. } = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(settings.provider, ProviderId::OpenAi);
    assert_eq!(
        keys,
        &[crate::protocol::KeyOwner::Provider(ProviderId::OpenAi)]
    );
    // Then the MCP servers (none yet), then the chats.
    assert_eq!(events[1], Event::McpServers { servers: vec![] });
    assert!(matches!(events[2], Event::Sessions { .. }));
    assert!(!format!("{events:?}").contains(KEY));
}

#[wasm_bindgen_test(unsupported = test)]
fn settings_saved_on_another_device_arrive_with_the_sign_in() {
    let transport = FakeTransport::default();
    let mut rt = signed_in_runtime(&transport, 3600);
    // Changed elsewhere: a Load (at start) takes them.
    let before = rt.settings.clone();
    let mut elsewhere = serde_json::to_value(settings(ProviderId::Mistral)).unwrap();
    elsewhere["model"] = "mistral-large".into();
    // What the row's owner may also have written: never taken.
    elsewhere["supabase_url"] = "https://evil.supabase.test".into();
    elsewhere["proxy_url"] = "https://evil.test".into();
    elsewhere["provider_base_url"] = "https://evil.test/v1".into();
    elsewhere["always_proxy"] = true.into();
    transport.json(
        200,
        None,
        &serde_json::json!([{ "settings": elsewhere }]).to_string(),
    );
    let events = command(&mut rt, Command::Load);
    let Some(Event::Ready { settings, .. }) = events.last() else {
        panic!("{events:?}")
    };
    assert_eq!(settings.model, "mistral-large");
    assert_eq!(
        (
            &settings.proxy_url,
            &settings.provider_base_url,
            settings.always_proxy,
            &settings.supabase_url
        ),
        (
            &before.proxy_url,
            &before.provider_base_url,
            before.always_proxy,
            &before.supabase_url
        )
    );
    let stored = run(rt.store().settings()).unwrap().unwrap();
    assert_eq!(stored["model"], "mistral-large");
    assert_eq!(stored["proxy_url"], "https://proxy.test");
    assert!(!stored.to_string().contains("evil"), "{stored}");
    // And a change here goes there.
    transport.json(201, None, "");
    let mut mine = serde_json::to_value(settings.clone()).unwrap();
    mine["model"] = "mistral-small".into();
    command(&mut rt, Command::SetSettings { settings: mine });
    let last = transport.sent.borrow().last().cloned().unwrap();
    assert!(
        last.url
            .ends_with("/rest/v1/user_settings?on_conflict=user_id")
    );
    let body = last.body.unwrap();
    assert!(body.contains("mistral-small"));
    assert!(!body.contains("proxy"), "{body}");
}

#[wasm_bindgen_test(unsupported = test)]
fn the_old_default_window_reads_as_unset_and_a_chosen_one_stays() {
    // Written before chats had parameters: every such settings carried 128000.
    let old = serde_json::json!({"provider": "anthropic", "model": "claude-sonnet-4-5",
        "context_window": 128_000, "answer_reserve": 4096});
    let read = Settings::read(old).unwrap();
    assert_eq!(read.context_window, None);
    assert_eq!(
        read.context_window(),
        u64::from(
            ferry_core::models::facts(ProviderId::Anthropic, "claude-sonnet-4-5").context_window
        )
    );
    // An older window the user changed is theirs.
    let chosen = serde_json::json!({"provider": "openai", "model": "m", "context_window": 32_000});
    assert_eq!(Settings::read(chosen).unwrap().context_window, Some(32_000));
    // From this version on `params` is written, and 128000 beside it was chosen.
    let new = serde_json::json!({"provider": "openai", "model": "m", "context_window": 128_000,
        "params": {}});
    assert_eq!(Settings::read(new).unwrap().context_window, Some(128_000));

    // Saved settings always carry `params`, so a chosen 128000 reads back as chosen.
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    let mut mine = serde_json::to_value(settings(ProviderId::OpenAi)).unwrap();
    mine["context_window"] = 128_000.into();
    mine.as_object_mut().unwrap().remove("params");
    command(&mut rt, Command::SetSettings { settings: mine });
    let stored = run(rt.store().settings()).unwrap().unwrap();
    assert_eq!(stored["params"], serde_json::json!({}));
    assert_eq!(Settings::read(stored).unwrap().context_window, None);
}

#[wasm_bindgen_test(unsupported = test)]
fn no_model_chosen_is_the_providers_current_default() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    rt.settings.model = String::new();
    transport.answer(
        200,
        &[&chunk(serde_json::json!({"content": "Hi"})), "[DONE]"],
    );
    send(&mut rt, "s", "hi");
    assert_eq!(
        transport.body(0)["model"],
        ferry_core::models::default_model(ProviderId::OpenAi)
    );
    let read = Settings::read(serde_json::json!({"provider": "anthropic"})).unwrap();
    assert_eq!(
        read.model(),
        ferry_core::models::default_model(ProviderId::Anthropic)
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn default_params_no_provider_takes_are_refused() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    let mut mine = serde_json::to_value(settings(ProviderId::OpenAi)).unwrap();
    mine["params"] = serde_json::json!({"temperature": 7.5});
    let events = command(&mut rt, Command::SetSettings { settings: mine });
    assert!(matches!(
        events[..],
        [Event::Error {
            kind: ErrorKind::InvalidRequest,
            ..
        }]
    ));
    assert_eq!(rt.settings.params, crate::protocol::ChatParams::default());
}

//! Tools the model calls: run, their results sent back, offered only when they can work.

use super::*;

#[wasm_bindgen_test(unsupported = test)]
fn a_memory_tool_runs_and_its_result_goes_back() {
    let transport = FakeTransport::default();
    let call = serde_json::json!({"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
        "function": {"name": "memory_save", "arguments": "{\"text\":\"likes green tea\"}"}}]});
    transport.answer(200, &[&chunk(call), "[DONE]"]);
    transport.answer(
        200,
        &[&chunk(serde_json::json!({"content": "Noted."})), "[DONE]"],
    );
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    let events = send(&mut rt, "s", "remember: I like green tea");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::ToolCallFinished { ok: true, .. }))
    );
    let notes = run(rt.store().notes()).unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].text, "likes green tea");
    let second: serde_json::Value =
        serde_json::from_str(transport.sent.borrow()[1].body.as_deref().unwrap()).unwrap();
    let last = &second["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["role"], "tool");
    assert_eq!(last["tool_call_id"], "call_1");
    let roles: Vec<Role> = stored_texts(&rt, "s")
        .into_iter()
        .map(|(r, ..)| r)
        .collect();
    assert_eq!(
        roles,
        [Role::User, Role::Assistant, Role::Tool, Role::Assistant]
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn web_search_is_offered_once_a_search_key_is_set_and_goes_through_the_proxy() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    transport.answer(
        200,
        &[&chunk(serde_json::json!({"content": "Hi."})), "[DONE]"],
    );
    send(&mut rt, "s", "hello");
    assert!(!declared_tools(&transport.sent.borrow()[0]).contains(&"web_search".to_owned()));

    let brave: crate::protocol::KeyOwner = serde_json::from_str(r#""brave""#).unwrap();
    assert_eq!(
        brave,
        crate::protocol::KeyOwner::Search(ferry_core::search::SearchEngine::Brave)
    );
    run(rt.handle(
        Command::SetKey {
            provider: brave,
            key: "BSA-search-key".into(),
            remember: true,
        },
        &mut |_| {},
    ));
    let call = serde_json::json!({"tool_calls": [{"index": 0, "id": "call_s", "type": "function",
        "function": {"name": "web_search", "arguments": "{\"query\":\"ferry rust\",\"count\":2}"}}]});
    transport.answer(200, &[&chunk(call), "[DONE]"]);
    transport.json(
        200,
        None,
        r#"{"results":[{"title":"Ferry","url":"https://ferry.example/","snippet":"Bring your own key."}]}"#,
    );
    transport.answer(
        200,
        &[
            &chunk(serde_json::json!({"content": "Found it."})),
            "[DONE]",
        ],
    );
    let events = send(&mut rt, "s", "search for ferry");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::ToolCallFinished { ok: true, .. })),
        "{events:?}"
    );
    let sent = transport.sent.borrow();
    assert!(declared_tools(&sent[1]).contains(&"web_search".to_owned()));
    let search = &sent[2];
    assert_eq!(search.url, "https://proxy.test/v1/proxy/search");
    let header = |name: &str| {
        search
            .headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(header("x-provider").as_deref(), Some("brave"));
    assert_eq!(header("x-provider-key").as_deref(), Some("BSA-search-key"));
    let body: serde_json::Value = serde_json::from_str(search.body.as_deref().unwrap()).unwrap();
    assert_eq!(body, serde_json::json!({"query": "ferry rust", "count": 2}));
    // The results went back to the model; the search key did not.
    let last_call = sent[3].body.as_deref().unwrap();
    assert!(last_call.contains("https://ferry.example/"));
    assert!(!last_call.contains("BSA-search-key"));
    // Stored sealed, like a provider key.
    let keys = run(rt.store().keys()).unwrap();
    assert!(keys.iter().any(|k| k.provider == KeyOwner::from(brave)));
}

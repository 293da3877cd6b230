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

#[wasm_bindgen_test(unsupported = test)]
fn a_call_of_a_tool_that_does_not_exist_fails_and_the_model_is_told() {
    let transport = FakeTransport::default();
    let call = serde_json::json!({"tool_calls": [
        {"index": 0, "id": "call_x", "type": "function",
            "function": {"name": "get_weather", "arguments": "{\"city\":\"Oslo\"}"}},
        {"index": 1, "id": "call_m", "type": "function",
            "function": {"name": "memory_search", "arguments": "{\"query\":\"tea\"}"}}]});
    transport.answer(200, &[&chunk(call), "[DONE]"]);
    transport.answer(
        200,
        &[
            &chunk(serde_json::json!({"content": "No weather tool."})),
            "[DONE]",
        ],
    );
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    let events = send(&mut rt, "s", "weather in Oslo?");
    let finished: Vec<(&str, bool, &str)> = events
        .iter()
        .filter_map(|e| match e {
            Event::ToolCallFinished {
                call_id,
                ok,
                output,
                ..
            } => Some((call_id.as_str(), *ok, output.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(finished.len(), 2, "{events:?}");
    assert_eq!(finished[0].0, "call_x");
    assert!(!finished[0].1, "an unknown tool is a failure, not done");
    assert!(
        finished[0].2.contains("there is no tool named get_weather"),
        "{}",
        finished[0].2
    );
    assert!(finished[1].1, "the other call of the round runs");
    // Nobody was asked to approve a call that cannot run.
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::ToolApprovalRequested { .. }))
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::TurnFinished { stopped: false, .. }))
    );
    // The model read why, in the order of its calls.
    let second = transport.body(1);
    let messages = second["messages"].as_array().unwrap();
    let results: Vec<&serde_json::Value> =
        messages.iter().filter(|m| m["role"] == "tool").collect();
    assert_eq!(results[0]["tool_call_id"], "call_x");
    assert!(
        results[0]["content"]
            .as_str()
            .unwrap()
            .contains("no tool named")
    );
    assert_eq!(results[1]["tool_call_id"], "call_m");
}

#[wasm_bindgen_test(unsupported = test)]
fn a_tool_that_fails_is_reported_failed() {
    let transport = FakeTransport::default();
    let call = serde_json::json!({"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
        "function": {"name": "memory_save", "arguments": "{\"text\":\"  \"}"}}]});
    transport.answer(200, &[&chunk(call), "[DONE]"]);
    transport.answer(
        200,
        &[&chunk(serde_json::json!({"content": "Sorry."})), "[DONE]"],
    );
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    let events = send(&mut rt, "s", "remember nothing");
    assert!(
        events.iter().any(|e| matches!(e,
            Event::ToolCallFinished { ok: false, output, .. } if output.contains("must not be empty"))),
        "{events:?}"
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_tool_result_keeps_whether_it_succeeded_when_the_chat_is_read_again() {
    let transport = FakeTransport::default();
    // One round: a call that works, one that fails, one to a tool Ferry does not have.
    let calls = serde_json::json!({"tool_calls": [
        {"index": 0, "id": "call_ok", "type": "function",
            "function": {"name": "memory_save", "arguments": "{\"text\":\"likes tea\"}"}},
        {"index": 1, "id": "call_bad", "type": "function",
            "function": {"name": "memory_save", "arguments": "{\"text\":\"  \"}"}},
        {"index": 2, "id": "call_none", "type": "function",
            "function": {"name": "fixed_version", "arguments": "{}"}}]});
    transport.answer(200, &[&chunk(calls), "[DONE]"]);
    transport.answer(
        200,
        &[&chunk(serde_json::json!({"content": "Done."})), "[DONE]"],
    );
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    send(&mut rt, "s", "remember tea");
    let outcomes = |messages: Vec<(Option<String>, Option<bool>)>| {
        messages
            .into_iter()
            .filter_map(|(id, ok)| Some((id?, ok)))
            .collect::<Vec<_>>()
    };
    let stored = run(rt.store().messages("s")).unwrap();
    let expected = vec![
        ("call_ok".to_owned(), Some(true)),
        ("call_bad".to_owned(), Some(false)),
        ("call_none".to_owned(), Some(false)),
    ];
    assert_eq!(
        outcomes(
            stored
                .iter()
                .map(|m| (m.message.tool_call_id.clone(), m.tool_ok))
                .collect()
        ),
        expected
    );
    // Only tool results carry the flag.
    assert!(
        stored
            .iter()
            .filter(|m| m.message.role != Role::Tool)
            .all(|m| m.tool_ok.is_none())
    );
    let opened = command(
        &mut rt,
        Command::OpenSession {
            session: "s".into(),
            message: None,
        },
    );
    let Some(Event::SessionOpened { messages, .. }) = opened.first() else {
        panic!("{opened:?}")
    };
    assert_eq!(
        outcomes(
            messages
                .iter()
                .map(|m| (m.message.tool_call_id.clone(), m.tool_ok))
                .collect()
        ),
        expected
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_tool_result_stored_before_the_flag_reads_without_one() {
    let old = r#"{"id":"m","session":"s","seq":2,"message":{"role":"tool","content":"ok","tool_call_id":"c"},"created_ms":3}"#;
    let stored: crate::store::StoredMessage = serde_json::from_str(old).unwrap();
    assert_eq!(stored.tool_ok, None);
    assert!(!serde_json::to_string(&stored).unwrap().contains("tool_ok"));
}

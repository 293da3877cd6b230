//! A turn: its answer streamed and saved, the ways tried, refusals, Stop, Retry, regenerating and editing.

use super::*;

#[wasm_bindgen_test(unsupported = test)]
fn a_turn_streams_deltas_and_saves_both_messages() {
    let transport = FakeTransport::default();
    transport.answer(
        200,
        &[
            &chunk(serde_json::json!({"content": "Hel"})),
            &chunk(serde_json::json!({"content": "lo"})),
            "[DONE]",
        ],
    );
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    let events = send(&mut rt, "s", "hi");
    let deltas: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::Delta { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(deltas, ["Hel", "lo"]);
    assert!(matches!(
        events.last(),
        Some(Event::TurnFinished { stopped: false, .. })
    ));
    assert_eq!(
        stored_texts(&rt, "s"),
        [
            (Role::User, "hi".into(), false),
            (Role::Assistant, "Hello".into(), false)
        ]
    );
    // OpenAI takes browser calls: straight there, the system prompt first.
    let sent = transport.sent.borrow();
    assert_eq!(sent[0].url, "https://api.openai.com/v1/chat/completions");
    let body: serde_json::Value = serde_json::from_str(sent[0].body.as_deref().unwrap()).unwrap();
    assert_eq!(body["messages"][0]["content"], "Be brief.");
    assert_eq!(body["tools"].as_array().map(Vec::len), Some(4));
}

#[wasm_bindgen_test(unsupported = test)]
fn an_unreachable_provider_is_tried_through_the_proxy() {
    let transport = FakeTransport::default();
    transport.unreachable();
    transport.answer(
        200,
        &[
            &chunk(serde_json::json!({"content": "via proxy"})),
            "[DONE]",
        ],
    );
    let mut rt = runtime(&transport, ProviderId::Anthropic);
    send(&mut rt, "s", "hi");
    assert_eq!(
        transport.urls(),
        [
            "https://api.anthropic.com/v1/messages",
            "https://proxy.test/v1/proxy/chat/completions"
        ]
    );
    assert_eq!(stored_texts(&rt, "s")[1].1, "via proxy");
}

#[wasm_bindgen_test(unsupported = test)]
fn a_rate_limit_is_reported_with_its_wait_and_retry_works() {
    let transport = FakeTransport::default();
    let refused =
        r#"{"error":{"type":"rate_limit_error","code":"rate_limited","message":"slow down"}}"#;
    transport.json(429, Some(12), refused);
    transport.answer(
        200,
        &[&chunk(serde_json::json!({"content": "ok now"})), "[DONE]"],
    );
    // Mistral takes no browser calls: the proxy only, and a 429 is an answer, not a failure.
    let mut rt = runtime(&transport, ProviderId::Mistral);
    let events = send(&mut rt, "s", "hi");
    assert!(events.iter().any(|e| matches!(
        e,
        Event::Error {
            kind: ErrorKind::RateLimited {
                retry_after_secs: 12
            },
            ..
        }
    )));
    assert_eq!(transport.urls().len(), 1);
    let mut retried = Vec::new();
    run(rt.handle(
        Command::Retry {
            session: "s".into(),
        },
        &mut |e| retried.push(e),
    ));
    assert!(matches!(
        retried.last(),
        Some(Event::TurnFinished { stopped: false, .. })
    ));
    assert_eq!(stored_texts(&rt, "s")[1].1, "ok now");
}

#[wasm_bindgen_test(unsupported = test)]
fn stop_keeps_the_partial_answer() {
    let transport = FakeTransport::default();
    transport.answer(
        200,
        &[
            &chunk(serde_json::json!({"content": "Half"})),
            &chunk(serde_json::json!({"content": " more"})),
            "[DONE]",
        ],
    );
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    *transport.stop_after_first.borrow_mut() = Some(rt.stop_handle());
    let events = send(&mut rt, "s", "hi");
    assert!(matches!(
        events.last(),
        Some(Event::TurnFinished { stopped: true, .. })
    ));
    assert_eq!(
        stored_texts(&rt, "s")[1],
        (Role::Assistant, "Half".into(), true)
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_stop_while_a_tool_runs_makes_no_further_model_call() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    // The model fetches the page the user named (no asking); Stop is pressed while it loads.
    let url = "https://docs.example/guide";
    let arguments = serde_json::json!({ "url": url }).to_string();
    let call = serde_json::json!({"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
        "function": {"name": "web_fetch", "arguments": arguments}}]});
    transport.answer(200, &[&chunk(call), "[DONE]"]);
    let page = serde_json::json!({"url": url, "status": 200, "content_type": "text/html",
        "text": "A page."});
    transport.json(200, None, &page.to_string());
    transport.answer(
        200,
        &[&chunk(serde_json::json!({"content": "Read."})), "[DONE]"],
    );
    let fetch = "https://proxy.test/v1/proxy/fetch";
    *transport.stop_reading.borrow_mut() = Some((fetch.into(), rt.stop_handle()));
    let events = send(&mut rt, "s", "Summarize https://docs.example/guide please");
    let urls = transport.urls();
    assert_eq!(urls.len(), 2, "one model call, then the page: {urls:?}");
    assert_eq!(urls[1], fetch);
    assert!(matches!(
        events.last(),
        Some(Event::TurnFinished { stopped: true, .. })
    ));
    assert!(!events.iter().any(|e| matches!(e, Event::Delta { .. })));
    let stored = stored_texts(&rt, "s");
    assert_eq!(
        stored.iter().map(|(role, ..)| *role).collect::<Vec<_>>(),
        [Role::User, Role::Assistant, Role::Tool, Role::Assistant]
    );
    assert_eq!(stored[3], (Role::Assistant, String::new(), true));
}

#[wasm_bindgen_test(unsupported = test)]
fn without_a_key_the_ui_is_told_to_add_one() {
    let transport = FakeTransport::default();
    let mut rt = Runtime::new(
        &transport,
        MemoryStore::default(),
        FakeVault,
        FakeClock::default(),
        settings(ProviderId::OpenAi),
    );
    let events = send(&mut rt, "s", "hi");
    assert!(events.iter().any(|e| matches!(
        e,
        Event::Error {
            kind: ErrorKind::MissingKey,
            ..
        }
    )));
    assert!(transport.sent.borrow().is_empty());
}

#[wasm_bindgen_test(unsupported = test)]
fn regenerate_and_edit_add_versions_and_keep_what_followed() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    transport.answer(
        200,
        &[&chunk(serde_json::json!({"content": "first"})), "[DONE]"],
    );
    send(&mut rt, "s", "question");
    transport.answer(
        200,
        &[&chunk(serde_json::json!({"content": "second"})), "[DONE]"],
    );
    command(
        &mut rt,
        Command::Regenerate {
            session: "s".into(),
            message: None,
        },
    );
    let texts: Vec<String> = stored_texts(&rt, "s")
        .into_iter()
        .map(|(_, t, _)| t)
        .collect();
    // Nothing replaced: the first answer stays, as the other version.
    assert_eq!(texts, ["question", "first", "second"]);
    // The regenerated call saw the question, not the old answer.
    let body: serde_json::Value =
        serde_json::from_str(transport.sent.borrow()[1].body.as_deref().unwrap()).unwrap();
    assert_eq!(
        body["messages"].as_array().unwrap().last().unwrap()["content"],
        "question"
    );

    let question = run(rt.store().messages("s")).unwrap()[0].id.clone();
    transport.answer(
        200,
        &[&chunk(serde_json::json!({"content": "third"})), "[DONE]"],
    );
    command(
        &mut rt,
        Command::EditAndResend {
            session: "s".into(),
            message: question,
            text: "better question".into(),
        },
    );
    let texts: Vec<String> = stored_texts(&rt, "s")
        .into_iter()
        .map(|(_, t, _)| t)
        .collect();
    assert_eq!(
        texts,
        ["question", "first", "second", "better question", "third"]
    );
    // The edit's call sent the new version only.
    let body = transport.body(2);
    let sent = body["messages"].as_array().unwrap();
    assert_eq!(
        sent.len(),
        2,
        "the system prompt and the new version: {sent:?}"
    );
    assert_eq!(sent[1]["content"], "better question");
    let refused = command(
        &mut rt,
        Command::EditAndResend {
            session: "s".into(),
            message: "nope".into(),
            text: "x".into(),
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

#[wasm_bindgen_test(unsupported = test)]
fn a_stop_pressed_before_the_first_token_still_stops_the_turn() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    transport.answer(
        200,
        &[
            &chunk(serde_json::json!({"content": "never "})),
            &chunk(serde_json::json!({"content": "shown"})),
            "[DONE]",
        ],
    );
    // Pressed while the command is on its way, before any answer.
    rt.stop_handle().stop();
    let events = send(&mut rt, "s", "hi");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::TurnFinished { stopped: true, .. })),
        "{events:?}"
    );
    // Consumed by that turn: the next one runs to its end.
    transport.answer(
        200,
        &[&chunk(serde_json::json!({"content": "ok"})), "[DONE]"],
    );
    let events = send(&mut rt, "s", "again");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::TurnFinished { stopped: false, .. }))
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn refusals_are_read_by_core_in_the_format_of_who_wrote_them() {
    // Anthropic called directly: its envelope, its type as the code.
    let anthropic = refusal(
        ProviderId::Anthropic,
        401,
        None,
        format!(r#"{{"type":"error","error":{{"type":"authentication_error","message":"invalid x-api-key {KEY}"}}}}"#).as_bytes(),
        KEY,
    );
    assert_eq!(anthropic.kind, ErrorKind::ProviderRefused);
    assert_eq!(anthropic.message, "invalid x-api-key [redacted]");
    // Gemini called directly: its numeric code is no contract code.
    let google = refusal(
        ProviderId::Google,
        429,
        Some(7),
        br#"{"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED"}}"#,
        KEY,
    );
    assert_eq!(
        (google.kind, google.message.as_str()),
        (
            ErrorKind::RateLimited {
                retry_after_secs: 7
            },
            "Resource has been exhausted"
        )
    );
    // The proxy writes the contract's body (OpenAI's format) with its codes.
    let proxy = refusal(
        ProviderId::OpenAi,
        429,
        Some(600),
        br#"{"error":{"type":"rate_limit_error","code":"quota_exceeded","message":"daily token quota exceeded"}}"#,
        KEY,
    );
    assert_eq!(
        proxy.kind,
        ErrorKind::QuotaExceeded {
            retry_after_secs: 600
        }
    );
    let disabled = refusal(
        ProviderId::OpenAi,
        503,
        None,
        br#"{"error":{"type":"service_unavailable","code":"proxy_disabled","message":"off"}}"#,
        KEY,
    );
    assert_eq!(disabled.kind, ErrorKind::ProviderDisabled);
    // A body that is no error of its format: the status is the message.
    for body in [&b"<html>Bad gateway</html>"[..], br#"{"error":{}}"#] {
        let failed = refusal(ProviderId::Google, 502, None, body, KEY);
        assert_eq!(
            (failed.kind, failed.message.as_str()),
            (ErrorKind::Upstream, "HTTP 502")
        );
    }
}

//! Export and import of everything stored.

use super::*;

/// An OpenAI agent with nothing stored that imported `document`, one chat of two messages.
fn imported_into_fresh(transport: &FakeTransport, document: String) -> TestRuntime<'_> {
    let mut rt = empty_runtime(transport, ProviderId::OpenAi);
    let events = command(&mut rt, Command::Import { document });
    assert!(
        matches!(
            events[0],
            Event::Imported {
                sessions: 1,
                messages: 2,
                ..
            }
        ),
        "{events:?}"
    );
    rt
}

#[wasm_bindgen_test(unsupported = test)]
fn export_then_import_into_a_fresh_agent_restores_everything() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    transport.answer(
        200,
        &[&chunk(serde_json::json!({"content": "Hi"})), "[DONE]"],
    );
    send(&mut rt, "s", "hello");
    let document = exported(&mut rt, false);
    assert!(!document.contains(KEY));
    let mut fresh = imported_into_fresh(&transport, document);
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

#[wasm_bindgen_test(unsupported = test)]
fn thinking_cost_and_chat_params_survive_export_and_import() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::Mistral);
    let detail = serde_json::json!({"type": "reasoning.text", "text": "Hm.",
        "signature": "c2lnbmF0dXJl+/==", "format": "anthropic-claude-v1", "index": 0});
    let mut usage = ferry_core::wire::Usage::new(10, 40, 0);
    usage.cost = Some(0.003);
    usage.completion_tokens_details = Some(ferry_core::wire::UsageDetails {
        reasoning_tokens: Some(30),
        ..Default::default()
    });
    transport.answer(
        200,
        &[
            &chunk(serde_json::json!({"reasoning_content": "Hm."})),
            &chunk(serde_json::json!({"reasoning_details": [detail]})),
            &chunk(serde_json::json!({"content": "Hi"})),
            &serde_json::json!({"id": "c", "object": "chat.completion.chunk", "created": 1,
                "model": "m", "choices": [], "usage": usage})
            .to_string(),
            "[DONE]",
        ],
    );
    send(&mut rt, "s", "hello");
    let params = crate::protocol::ChatParams {
        reasoning_effort: Some(ferry_core::wire::ReasoningEffort::High),
        ..Default::default()
    };
    command(
        &mut rt,
        Command::SetChatParams {
            session: "s".into(),
            params,
        },
    );
    let document = exported(&mut rt, false);
    let mut fresh = empty_runtime(&transport, ProviderId::Mistral);
    command(&mut fresh, Command::Import { document });
    let answer = run(fresh.store().messages("s")).unwrap().pop().unwrap();
    assert_eq!(answer.message.reasoning_content.as_deref(), Some("Hm."));
    assert_eq!(
        serde_json::to_value(&answer.message.reasoning_details).unwrap(),
        serde_json::json!([detail])
    );
    assert_eq!(answer.cost_usd, Some(0.003));
    assert_eq!(answer.usage, Some(usage));
    let session = run(fresh.store().sessions()).unwrap().remove(0);
    assert_eq!((session.params, session.cost_usd), (params, Some(0.003)));
    // And the imported chat opens as it was.
    let opened = command(
        &mut fresh,
        Command::OpenSession {
            session: "s".into(),
            message: None,
        },
    );
    let Some(Event::SessionOpened { messages, .. }) = opened.first() else {
        panic!("{opened:?}")
    };
    assert_eq!(
        messages[1].message.reasoning_content.as_deref(),
        Some("Hm.")
    );
    assert_eq!(messages[1].cost_usd, Some(0.003));
}

/// The export of a one-chat agent ("s": "hello" and its answer), with its keys, as JSON to
/// damage.
fn one_chat_export(transport: &FakeTransport) -> serde_json::Value {
    let mut rt = runtime(transport, ProviderId::OpenAi);
    transport.answer(
        200,
        &[&chunk(serde_json::json!({"content": "Hi"})), "[DONE]"],
    );
    send(&mut rt, "s", "hello");
    serde_json::from_str(&exported(&mut rt, true)).unwrap()
}

#[wasm_bindgen_test(unsupported = test)]
fn a_damaged_export_is_refused_whole_says_why_and_changes_nothing() {
    let transport = FakeTransport::default();
    let good = one_chat_export(&transport);
    let damaged = |damage: &dyn Fn(&mut serde_json::Value)| {
        let mut document = good.clone();
        damage(&mut document);
        document.to_string()
    };
    let text = good.to_string();
    let cases: Vec<(String, &str)> = vec![
        (
            text[..text.len() / 2].to_owned(),
            "this is not a Ferry export: EOF",
        ),
        ("[1, 2]".to_owned(), "this is not a Ferry export"),
        (
            damaged(&|d| d["format"] = "someone-else".into()),
            r#"its format is "someone-else""#,
        ),
        (
            damaged(&|d| d["version"] = 99.into()),
            "a newer Ferry made it (export version 99",
        ),
        (
            // The question and its answer each other's parent.
            damaged(&|d| {
                let question = d["messages"][0]["id"].clone();
                d["messages"][0]["parent"] = d["messages"][1]["id"].clone();
                d["messages"][1]["parent"] = question;
            }),
            "parents go round in a circle",
        ),
        (
            damaged(&|d| d["messages"][1]["parent"] = "gone".into()),
            r#"follows "gone", which is not in its chat"#,
        ),
        (
            damaged(&|d| d["messages"][1]["session"] = "elsewhere".into()),
            "which is not in its chat",
        ),
        (
            damaged(&|d| d["sessions"][0]["head"] = "gone".into()),
            r#"chat "s" shows message "gone", which is not one of its messages"#,
        ),
    ];
    for (document, why) in cases {
        let mut rt = runtime(&transport, ProviderId::OpenAi);
        transport.answer(
            200,
            &[&chunk(serde_json::json!({"content": "Mine"})), "[DONE]"],
        );
        send(&mut rt, "mine", "my own chat");
        let before = stored_texts(&rt, "mine");
        let events = command(&mut rt, Command::Import { document });
        let [Event::Error { kind, message, .. }] = events.as_slice() else {
            panic!("{why}: {events:?}")
        };
        assert_eq!(*kind, ErrorKind::InvalidRequest, "{why}");
        assert!(message.starts_with("nothing was imported: "), "{message}");
        assert!(message.contains(why), "{why}: {message}");
        assert!(!message.contains(KEY), "{message}");
        // Nothing of the document was stored, and nothing here was lost.
        let sessions = run(rt.store().sessions()).unwrap();
        let ids: Vec<_> = sessions.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["mine"], "{why}");
        assert!(run(rt.store().messages("s")).unwrap().is_empty(), "{why}");
        assert_eq!(stored_texts(&rt, "mine"), before, "{why}");
    }
    // Undamaged, the same document imports.
    imported_into_fresh(&transport, good.to_string());
}

#[wasm_bindgen_test(unsupported = test)]
fn a_fallback_link_to_a_service_ferry_does_not_know_is_left_out_on_import() {
    let transport = FakeTransport::default();
    let mut document = one_chat_export(&transport);
    let chain = serde_json::json!([
        {"provider": "mistral", "model": "mistral-small"},
        {"provider": "a-service-of-the-future", "model": "m"},
    ]);
    document["sessions"][0]["fallbacks"] = chain.clone();
    let mut saved = serde_json::to_value(settings(ProviderId::OpenAi)).unwrap();
    saved["fallbacks"] = chain;
    document["settings"] = saved;
    let rt = imported_into_fresh(&transport, document.to_string());
    let kept = vec![crate::protocol::ModelRef {
        provider: ProviderId::Mistral,
        model: "mistral-small".into(),
    }];
    let session = run(rt.store().sessions()).unwrap().remove(0);
    assert_eq!(session.fallbacks, Some(kept.clone()));
    let saved = run(rt.store().settings()).unwrap().unwrap();
    let settings = Settings::read(saved).unwrap();
    assert_eq!(
        (settings.provider, settings.fallbacks),
        (ProviderId::OpenAi, kept)
    );
}

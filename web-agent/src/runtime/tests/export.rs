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
    let exported = command(
        &mut rt,
        Command::Export {
            include_keys: false,
        },
    );
    let Some(Event::Exported { document }) = exported.first() else {
        panic!("{exported:?}")
    };
    let mut fresh = Runtime::new(
        &transport,
        MemoryStore::default(),
        FakeVault,
        FakeClock::default(),
        settings(ProviderId::Mistral),
    );
    command(
        &mut fresh,
        Command::Import {
            document: document.clone(),
        },
    );
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

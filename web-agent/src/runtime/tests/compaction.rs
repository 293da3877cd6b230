//! Long conversations: older messages summarized, none lost from the store.

use super::*;

#[wasm_bindgen_test(unsupported = test)]
fn a_long_session_is_compacted_and_every_message_stays_stored() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    // About 30 tokens a message: three turns stay under 90 % of the usable 220 tokens, the
    // fourth question passes it.
    rt.settings.context_window = Some(270);
    rt.settings.answer_reserve = 50;
    rt.settings.keep_recent_tokens = 60;
    let long = "word ".repeat(20);
    for i in 0..3 {
        transport.answer(
            200,
            &[
                &chunk(serde_json::json!({"content": format!("answer {i} {long}")})),
                "[DONE]",
            ],
        );
        send(&mut rt, "s", &format!("question {i} {long}"));
    }
    assert_eq!(transport.sent.borrow().len(), 3, "no compaction yet");
    // A summary first, then the turn.
    let summary = serde_json::json!({"id": "x", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "## Goal\nQuestions."}, "finish_reason": "stop"}]});
    transport.json(200, None, &summary.to_string());
    transport.answer(
        200,
        &[&chunk(serde_json::json!({"content": "short"})), "[DONE]"],
    );
    let events = send(&mut rt, "s", &format!("last question {long}"));
    assert!(events.iter().any(|e| matches!(e, Event::Compacted { .. })));
    let sent = transport.sent.borrow();
    let summary_call: serde_json::Value =
        serde_json::from_str(sent[3].body.as_deref().unwrap()).unwrap();
    assert_eq!(summary_call["stream"], false);
    let turn_call: serde_json::Value =
        serde_json::from_str(sent[4].body.as_deref().unwrap()).unwrap();
    let text = turn_call["messages"].to_string();
    assert!(text.contains("## Goal"), "{text}");
    assert!(
        !text.contains("question 0"),
        "the oldest turn is summarized, not sent"
    );
    assert!(text.contains("last question"));
    drop(sent);
    // Nothing stored was deleted: 4 questions and 4 answers.
    assert_eq!(stored_texts(&rt, "s").len(), 8);
    assert_eq!(run(rt.store().compactions("s")).unwrap().len(), 1);
}

#[wasm_bindgen_test(unsupported = test)]
fn exact_counts_decide_when_to_compact() {
    let transport = FakeTransport::default();
    let tokenizer = WordTokenizer {
        ready: Cell::new(true),
        ..WordTokenizer::default()
    };
    let mut rt = runtime(&transport, ProviderId::OpenAi).with_tokenizer(&tokenizer);
    rt.settings.model = "gpt-4o".into();
    rt.settings.context_window = Some(120);
    rt.settings.answer_reserve = 0;
    rt.settings.keep_recent_tokens = 20;
    // One-letter words: a token each for the tokenizer, half a token by the estimate.
    // Two turns of 2 × 24 words stay under 90 % of 120; the estimate would never get there.
    let words = "a ".repeat(20);
    for i in 0..2 {
        transport.answer(
            200,
            &[
                &chunk(serde_json::json!({"content": format!("b {words}")})),
                "[DONE]",
            ],
        );
        run(rt.handle(
            Command::SendMessage {
                session: "s".into(),
                text: format!("q{i} {words}"),
                attachments: Vec::new(),
            },
            &mut |_| {},
        ));
    }
    assert_eq!(transport.sent.borrow().len(), 2, "no compaction yet");
    let summary = serde_json::json!({"id": "x", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "## Goal\nQ."}, "finish_reason": "stop"}]});
    transport.json(200, None, &summary.to_string());
    transport.answer(
        200,
        &[&chunk(serde_json::json!({"content": "ok"})), "[DONE]"],
    );
    let mut events = Vec::new();
    run(rt.handle(
        Command::SendMessage {
            session: "s".into(),
            text: format!("q2 {words}"),
            attachments: Vec::new(),
        },
        &mut |e| events.push(e),
    ));
    assert!(
        events.iter().any(|e| matches!(e, Event::Compacted { .. })),
        "{events:?}"
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn the_summary_reads_answers_and_tool_steps_never_their_thinking() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    rt.settings.answer_reserve = 50;
    rt.settings.keep_recent_tokens = 60;
    let long = "word ".repeat(20);
    let detail = serde_json::json!({"type": "reasoning.encrypted", "data": "SECRETDETAIL",
        "format": "google-gemini-v1", "index": 0});
    let call = serde_json::json!({"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
        "function": {"name": "memory_search", "arguments": "{\"query\":\"tea\"}"}}]});
    for i in 0..3 {
        transport.answer(
            200,
            &[
                &chunk(serde_json::json!({"reasoning_content": format!("PRIVATETHOUGHT{i} ")})),
                &chunk(serde_json::json!({"reasoning_details": [detail]})),
                &chunk(call.clone()),
                "[DONE]",
            ],
        );
        transport.answer(
            200,
            &[
                &chunk(serde_json::json!({"content": format!("answer {i} {long}")})),
                "[DONE]",
            ],
        );
        send(&mut rt, "s", &format!("question {i} {long}"));
    }
    let before = transport.sent.borrow().len();
    assert_eq!(before, 6, "no compaction yet");
    // Now the conversation is past the window.
    rt.settings.context_window = Some(300);
    let summary = serde_json::json!({"id": "x", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "## Goal\nTea."}, "finish_reason": "stop"}]});
    transport.json(200, None, &summary.to_string());
    transport.answer(
        200,
        &[&chunk(serde_json::json!({"content": "short"})), "[DONE]"],
    );
    let events = send(&mut rt, "s", &format!("last question {long}"));
    assert!(
        events.iter().any(|e| matches!(e, Event::Compacted { .. })),
        "{events:?}"
    );
    let summary_call = transport.sent.borrow()[before].body.clone().unwrap();
    assert!(summary_call.contains("question 0"), "{summary_call}");
    assert!(summary_call.contains("Tool call: memory_search"));
    assert!(summary_call.contains("answer 0"));
    assert!(!summary_call.contains("PRIVATETHOUGHT"), "{summary_call}");
    assert!(!summary_call.contains("SECRETDETAIL"), "{summary_call}");
    // The thinking is still stored.
    let stored = run(rt.store().messages("s")).unwrap();
    assert!(stored.iter().any(|m| {
        m.message
            .reasoning_content
            .as_deref()
            .is_some_and(|t| t.starts_with("PRIVATETHOUGHT0"))
    }));
}

#[wasm_bindgen_test(unsupported = test)]
fn the_budget_is_the_models_own_window_unless_the_user_set_one() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::Anthropic);
    rt.settings.model = "claude-sonnet-4-5".into();
    rt.settings.context_window = None;
    let facts = ferry_core::models::facts(ProviderId::Anthropic, "claude-sonnet-4-5");
    assert_eq!(
        rt.settings.context_window(),
        u64::from(facts.context_window)
    );
    rt.settings.context_window = Some(9_000);
    assert_eq!(rt.settings.context_window(), 9_000);
    // An unknown model: the table's safe default.
    rt.settings.model = "my-local-model".into();
    rt.settings.context_window = None;
    assert_eq!(
        rt.settings.context_window(),
        u64::from(ferry_core::models::ModelFacts::UNKNOWN.context_window)
    );
}

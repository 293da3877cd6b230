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
    assert!(run(rt.store().compaction("s")).unwrap().is_some());
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
        },
        &mut |e| events.push(e),
    ));
    assert!(
        events.iter().any(|e| matches!(e, Event::Compacted { .. })),
        "{events:?}"
    );
}

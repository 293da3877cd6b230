//! Models that think: their thinking shown live, stored with the answer and sent back to
//! the provider that made it, byte for byte, through tool rounds; each chat's parameters;
//! cost per answer and per chat.

use ferry_core::wire::{Message, ReasoningEffort, ReasoningFormat, ReasoningKind};

use super::*;
use crate::protocol::ChatParams;

const CLAUDE: &str = "claude-sonnet-4-5";
/// Signatures as Anthropic writes them: base64, with `+`, `/` and `=` that must survive.
const SIG_ONE: &str = "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxDdlNm+/Ev1Q==";
const SIG_TWO: &str = "ErUBCkYIBRgCIkB0c2lnbmF0dXJlL3R3bw+/=";
const REDACTED: &str = "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP";

/// An Anthropic stream in its documented format (`event:` and `data:` lines).
fn anthropic_stream(blocks: &[serde_json::Value], stop_reason: &str) -> String {
    let mut events = vec![serde_json::json!({"type": "message_start", "message": {
        "id": "msg_1", "type": "message", "role": "assistant", "content": [], "model": CLAUDE,
        "stop_reason": null, "stop_sequence": null,
        "usage": {"input_tokens": 1000, "output_tokens": 1}}})];
    for (index, block) in blocks.iter().enumerate() {
        let (start, deltas): (serde_json::Value, Vec<serde_json::Value>) = match block["type"]
            .as_str()
            .unwrap()
        {
            "thinking" => (
                serde_json::json!({"type": "thinking", "thinking": "", "signature": ""}),
                vec![
                    serde_json::json!({"type": "thinking_delta", "thinking": block["thinking"]}),
                    serde_json::json!({"type": "signature_delta", "signature": block["signature"]}),
                ],
            ),
            "redacted_thinking" => (block.clone(), vec![]),
            "tool_use" => (
                serde_json::json!({"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}),
                vec![serde_json::json!({"type": "input_json_delta",
                        "partial_json": block["input"].to_string()})],
            ),
            _ => (
                serde_json::json!({"type": "text", "text": ""}),
                vec![serde_json::json!({"type": "text_delta", "text": block["text"]})],
            ),
        };
        events.push(serde_json::json!({"type": "content_block_start", "index": index, "content_block": start}));
        for delta in deltas {
            events.push(
                serde_json::json!({"type": "content_block_delta", "index": index, "delta": delta}),
            );
        }
        events.push(serde_json::json!({"type": "content_block_stop", "index": index}));
    }
    events.push(serde_json::json!({"type": "message_delta",
        "delta": {"stop_reason": stop_reason, "stop_sequence": null}, "usage": {"output_tokens": 200}}));
    events.push(serde_json::json!({"type": "message_stop"}));
    events
        .iter()
        .map(|e| format!("event: {}\ndata: {e}\n\n", e["type"].as_str().unwrap()))
        .collect()
}

fn thinking(text: &str, signature: &str) -> serde_json::Value {
    serde_json::json!({"type": "thinking", "thinking": text, "signature": signature})
}

fn search(id: &str, query: &str) -> serde_json::Value {
    serde_json::json!({"type": "tool_use", "id": id, "name": "memory_search", "input": {"query": query}})
}

fn claude_runtime(transport: &FakeTransport) -> TestRuntime<'_> {
    let mut rt = runtime(transport, ProviderId::Anthropic);
    rt.settings.model = CLAUDE.into();
    rt.settings.params.reasoning_effort = Some(ReasoningEffort::Medium);
    rt
}

/// Round one thinks and searches; round two thinks (a redacted block first) and searches
/// again; round three answers.
fn script_two_tool_rounds(transport: &FakeTransport, piece: usize) {
    let rounds = [
        anthropic_stream(
            &[
                thinking("I should look in memory.", SIG_ONE),
                search("toolu_1", "tea"),
            ],
            "tool_use",
        ),
        anthropic_stream(
            &[
                serde_json::json!({"type": "redacted_thinking", "data": REDACTED}),
                thinking("Nothing yet; once more.", SIG_TWO),
                search("toolu_2", "green tea"),
            ],
            "tool_use",
        ),
        anthropic_stream(
            &[serde_json::json!({"type": "text", "text": "You like tea."})],
            "end_turn",
        ),
    ];
    for round in &rounds {
        transport.pieces(200, round, piece);
    }
}

/// The assistant turns of an Anthropic request, as sent.
fn assistant_turns(body: &serde_json::Value) -> Vec<serde_json::Value> {
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "assistant")
        .map(|m| m["content"].clone())
        .collect()
}

#[wasm_bindgen_test(unsupported = test)]
fn thinking_goes_back_to_anthropic_byte_for_byte_through_two_tool_rounds() {
    // Whole events, and cut every 7 and every 64 bytes.
    for piece in [usize::MAX, 7, 64] {
        let transport = FakeTransport::default();
        let mut rt = claude_runtime(&transport);
        script_two_tool_rounds(&transport, piece);
        let events = send(&mut rt, "s", "What do I like to drink?");
        assert_eq!(transport.sent.borrow().len(), 3, "{events:?}");

        // Round two sends round one's thinking first in its assistant turn, signature intact.
        let second = transport.body(1);
        assert_eq!(second["thinking"]["type"], "enabled");
        let turns = assistant_turns(&second);
        assert_eq!(turns.len(), 1);
        assert_eq!(
            turns[0][0],
            serde_json::json!({"type": "thinking", "thinking": "I should look in memory.", "signature": SIG_ONE})
        );
        assert_eq!(turns[0][1]["type"], "tool_use");
        assert_eq!(turns[0][1]["id"], "toolu_1");
        let raw = transport.sent.borrow()[1].body.clone().unwrap();
        assert!(
            raw.contains(&format!("\"signature\":\"{SIG_ONE}\"")),
            "{raw}"
        );

        // Round three: both turns, each with its own blocks in their order.
        let third = transport.body(2);
        let turns = assistant_turns(&third);
        assert_eq!(turns.len(), 2);
        assert_eq!(turns[0][0]["signature"], SIG_ONE);
        assert_eq!(
            turns[1][0],
            serde_json::json!({"type": "redacted_thinking", "data": REDACTED})
        );
        assert_eq!(
            turns[1][1],
            serde_json::json!({"type": "thinking", "thinking": "Nothing yet; once more.", "signature": SIG_TWO})
        );
        assert_eq!(turns[1][2]["id"], "toolu_2");
        let raw = transport.sent.borrow()[2].body.clone().unwrap();
        assert!(raw.contains(REDACTED) && raw.contains(SIG_TWO), "{raw}");

        // Shown live, under the id each answer is stored by.
        let stored = run(rt.store().messages("s")).unwrap();
        let answers: Vec<&crate::store::StoredMessage> = stored
            .iter()
            .filter(|m| m.message.role == Role::Assistant)
            .collect();
        assert_eq!(answers.len(), 3);
        let thought: Vec<(String, String)> = events
            .iter()
            .filter_map(|e| match e {
                Event::ThinkingDelta { message, text, .. } => Some((message.clone(), text.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(
            thought,
            [
                (answers[0].id.clone(), "I should look in memory.".to_owned()),
                (answers[1].id.clone(), "Nothing yet; once more.".to_owned()),
            ]
        );
        assert!(events.iter().any(|e| matches!(e,
            Event::Delta { message, text, .. } if *message == answers[2].id && text == "You like tea.")));

        // Stored with the answers: the text to show, the details to send back.
        assert_eq!(
            answers[0].message.reasoning_content.as_deref(),
            Some("I should look in memory.")
        );
        let details = answers[1].message.reasoning_details.as_ref().unwrap();
        assert_eq!(details.len(), 2);
        assert_eq!(details[0].kind, ReasoningKind::Encrypted);
        assert_eq!(details[0].data.as_deref(), Some(REDACTED));
        assert_eq!(details[0].format, Some(ReasoningFormat::Anthropic));
        assert_eq!(details[1].signature.as_deref(), Some(SIG_TWO));
        assert_eq!(answers[2].message.reasoning_details, None);
        assert_eq!(answers[2].message.text_content(), "You like tea.");
        assert!(!answers.iter().any(|a| a.partial));
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn through_the_proxy_the_details_go_back_as_they_came() {
    let transport = FakeTransport::default();
    let mut rt = claude_runtime(&transport);
    rt.settings.always_proxy = true;
    // What the proxy streams: OpenAI chunks with thinking text, then the complete detail.
    let detail = serde_json::json!({"type": "reasoning.text", "text": "I should look in memory.",
        "signature": SIG_ONE, "format": "anthropic-claude-v1", "index": 0});
    let call = serde_json::json!({"tool_calls": [{"index": 0, "id": "toolu_1", "type": "function",
        "function": {"name": "memory_search", "arguments": "{\"query\":\"tea\"}"}}]});
    transport.answer(
        200,
        &[
            &chunk(serde_json::json!({"reasoning_content": "I should look "})),
            &chunk(serde_json::json!({"reasoning_content": "in memory."})),
            &chunk(serde_json::json!({"reasoning_details": [detail]})),
            &chunk(call),
            "[DONE]",
        ],
    );
    transport.answer(
        200,
        &[
            &chunk(serde_json::json!({"content": "You like tea."})),
            "[DONE]",
        ],
    );
    let events = send(&mut rt, "s", "What do I like to drink?");
    let urls = transport.urls();
    assert_eq!(urls.len(), 2, "{events:?}");
    assert!(
        urls.iter()
            .all(|u| u.ends_with("/v1/proxy/chat/completions"))
    );
    let first = transport.body(0);
    assert_eq!(first["reasoning_effort"], "medium");
    let second = transport.body(1);
    let assistant = &second["messages"][2];
    assert_eq!(assistant["role"], "assistant");
    assert_eq!(assistant["reasoning_details"], serde_json::json!([detail]));
    assert_eq!(assistant["reasoning_content"], "I should look in memory.");
    assert_eq!(assistant["tool_calls"][0]["id"], "toolu_1");
    let thought: String = events
        .iter()
        .filter_map(|e| match e {
            Event::ThinkingDelta { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(thought, "I should look in memory.");
}

/// The recorded stream of a real Claude call that thought, then called a tool Ferry does
/// not have: the call fails (the model is told), and the next request carries the real
/// signature back unchanged. Skipped where the recording is not at hand.
#[wasm_bindgen_test(unsupported = test)]
fn a_recorded_claude_stream_keeps_its_signature() {
    // Not part of the repository: `FERRY_REAL_STREAMS`, else beside the repository's parent.
    let dir = std::env::var_os("FERRY_REAL_STREAMS").map_or_else(
        || std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/real-streams"),
        std::path::PathBuf::from,
    );
    let Ok(recorded) = std::fs::read_to_string(dir.join("anthropic_stream_thinking_tool_use.sse"))
    else {
        return;
    };
    let signature = recorded
        .split("\"signature\":\"")
        .nth(2)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    assert!(signature.len() > 100, "{signature}");
    let transport = FakeTransport::default();
    let mut rt = claude_runtime(&transport);
    rt.settings.model = "claude-haiku-4-5".into();
    transport.pieces(200, &recorded, 13);
    transport.pieces(
        200,
        &anthropic_stream(
            &[serde_json::json!({"type": "text", "text": "1.0, no joke."})],
            "end_turn",
        ),
        usize::MAX,
    );
    let events = send(&mut rt, "s", "version?");
    assert!(events.iter().any(|e| matches!(e,
        Event::ToolCallFinished { ok: false, output, .. } if output.contains("no tool named fixed_version"))));
    let second = transport.body(1);
    let turns = assistant_turns(&second);
    assert_eq!(turns[0][0]["type"], "thinking");
    assert_eq!(turns[0][0]["signature"], signature.as_str());
}

#[wasm_bindgen_test(unsupported = test)]
fn a_stopped_answer_keeps_the_thinking_that_arrived() {
    let transport = FakeTransport::default();
    let mut rt = claude_runtime(&transport);
    rt.settings.always_proxy = true;
    *transport.stop_after_first.borrow_mut() = Some(rt.stop_handle());
    transport.answer(
        200,
        &[
            &chunk(serde_json::json!({"reasoning_content": "Half a thought"})),
            &chunk(serde_json::json!({"content": "never read"})),
            "[DONE]",
        ],
    );
    let events = send(&mut rt, "s", "hi");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::TurnFinished { stopped: true, .. }))
    );
    let stored = run(rt.store().messages("s")).unwrap();
    let answer = stored.last().unwrap();
    assert!(answer.partial);
    assert_eq!(
        answer.message.reasoning_content.as_deref(),
        Some("Half a thought")
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_chats_own_params_win_over_the_defaults_and_only_those_the_model_takes_are_sent() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    rt.settings.params = ChatParams {
        reasoning_effort: Some(ReasoningEffort::Low),
        temperature: Some(0.4),
        max_output_tokens: Some(1_000),
    };
    let answered = || {
        transport.answer(
            200,
            &[&chunk(serde_json::json!({"content": "ok"})), "[DONE]"],
        );
    };
    // A model that reasons and takes no temperature: the defaults, less the temperature.
    rt.settings.model = "gpt-5-mini".into();
    answered();
    send(&mut rt, "s", "hi");
    let body = transport.body(0);
    assert_eq!(body["reasoning_effort"], "low");
    assert_eq!(body.get("temperature"), None);
    assert_eq!(body["max_completion_tokens"], 1_000);

    // This chat asks for more effort and a longer answer: its own win, field by field.
    let events = command(
        &mut rt,
        Command::SetChatParams {
            session: "s".into(),
            params: ChatParams {
                reasoning_effort: Some(ReasoningEffort::High),
                temperature: None,
                max_output_tokens: Some(2_000),
            },
        },
    );
    let Some(Event::Sessions { sessions }) = events.last() else {
        panic!("{events:?}")
    };
    assert_eq!(
        sessions[0].params.reasoning_effort,
        Some(ReasoningEffort::High)
    );
    answered();
    send(&mut rt, "s", "again");
    let body = transport.body(1);
    assert_eq!(body["reasoning_effort"], "high");
    assert_eq!(body["max_completion_tokens"], 2_000);

    // Another chat keeps the defaults.
    answered();
    send(&mut rt, "other", "hi");
    assert_eq!(transport.body(2)["reasoning_effort"], "low");

    // A model without reasoning that takes a temperature: no effort, the temperature.
    rt.settings.model = "gpt-4.1-mini".into();
    answered();
    send(&mut rt, "other", "and now?");
    let body = transport.body(3);
    assert_eq!(body.get("reasoning_effort"), None);
    assert_eq!(body["temperature"], 0.4);

    // No more output than the model can write.
    rt.settings.params.max_output_tokens = Some(10_000_000);
    answered();
    send(&mut rt, "other", "long");
    let most = ferry_core::models::facts(ProviderId::OpenAi, "gpt-4.1-mini").max_output;
    assert_eq!(transport.body(4)["max_completion_tokens"], most);
}

#[wasm_bindgen_test(unsupported = test)]
fn anthropic_thinking_takes_no_temperature_and_other_providers_read_max_tokens() {
    let transport = FakeTransport::default();
    let mut rt = claude_runtime(&transport);
    rt.settings.always_proxy = true;
    rt.settings.params.temperature = Some(0.2);
    rt.settings.params.max_output_tokens = Some(3_000);
    transport.answer(
        200,
        &[&chunk(serde_json::json!({"content": "ok"})), "[DONE]"],
    );
    send(&mut rt, "s", "hi");
    let body = transport.body(0);
    assert_eq!(body["reasoning_effort"], "medium");
    assert_eq!(body.get("temperature"), None);
    assert_eq!(body["max_tokens"], 3_000);
    assert_eq!(body.get("max_completion_tokens"), None);
    // Effort none: no thinking, so the temperature is taken.
    command(
        &mut rt,
        Command::SetChatParams {
            session: "s".into(),
            params: ChatParams {
                reasoning_effort: Some(ReasoningEffort::None),
                ..ChatParams::default()
            },
        },
    );
    transport.answer(
        200,
        &[&chunk(serde_json::json!({"content": "ok"})), "[DONE]"],
    );
    send(&mut rt, "s", "again");
    let body = transport.body(1);
    assert_eq!(body["reasoning_effort"], "none");
    assert_eq!(body["temperature"], 0.2);
}

#[wasm_bindgen_test(unsupported = test)]
fn params_no_provider_takes_are_refused_and_change_nothing() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    run(rt.new_session()).unwrap();
    let id = run(rt.store().sessions()).unwrap()[0].id.clone();
    for params in [
        ChatParams {
            temperature: Some(-1.0),
            ..ChatParams::default()
        },
        ChatParams {
            temperature: Some(f64::NAN),
            ..ChatParams::default()
        },
        ChatParams {
            max_output_tokens: Some(0),
            ..ChatParams::default()
        },
    ] {
        let events = command(
            &mut rt,
            Command::SetChatParams {
                session: id.clone(),
                params,
            },
        );
        assert!(
            matches!(
                events[..],
                [Event::Error {
                    kind: ErrorKind::InvalidRequest,
                    ..
                }]
            ),
            "{events:?}"
        );
    }
    assert!(run(rt.store().sessions()).unwrap()[0].params.is_empty());
    // A chat that does not exist has no params to set.
    let events = command(
        &mut rt,
        Command::SetChatParams {
            session: "nowhere".into(),
            params: ChatParams::default(),
        },
    );
    assert!(matches!(events[..], [Event::Error { .. }]), "{events:?}");
}

#[wasm_bindgen_test(unsupported = test)]
fn each_answer_keeps_its_cost_and_the_chat_sums_them() {
    let transport = FakeTransport::default();
    let mut rt = claude_runtime(&transport);
    script_two_tool_rounds(&transport, usize::MAX);
    let events = send(&mut rt, "s", "What do I like to drink?");
    let stored = run(rt.store().messages("s")).unwrap();
    let answers: Vec<&crate::store::StoredMessage> = stored
        .iter()
        .filter(|m| m.message.role == Role::Assistant)
        .collect();
    // 1,000 tokens in and 200 out a call, at the table's price.
    let one = ferry_core::pricing::estimate_cost_on(
        ProviderId::Anthropic,
        CLAUDE,
        &ferry_core::wire::Usage::new(1_000, 200, 0),
    )
    .unwrap();
    for answer in &answers {
        let cost = answer.cost_usd.unwrap();
        assert!((cost - one).abs() < 1e-9, "{cost} != {one}");
        assert_eq!(answer.usage.map(|u| u.prompt_tokens), Some(1_000));
        assert!(events.iter().any(|e| matches!(e,
            Event::Usage { message: Some(id), usage, .. } if *id == answer.id && usage.cost == Some(cost))));
    }
    let usages = events
        .iter()
        .filter(|e| matches!(e, Event::Usage { .. }))
        .count();
    assert_eq!(usages, 3, "one report a call");
    let views: Vec<crate::protocol::MessageView> = stored
        .into_iter()
        .map(crate::protocol::MessageView::from)
        .collect();
    assert!(views[1].cost_usd.is_some() && views[0].cost_usd.is_none());

    // The chat's cost is its answers' sum, listed without reading a message.
    let listed = command(&mut rt, Command::Load);
    let Some(Event::Sessions { sessions }) = listed.last() else {
        panic!("{listed:?}")
    };
    let chat = sessions[0].cost_usd.unwrap();
    assert!((chat - 3.0 * one).abs() < 1e-9, "{chat}");

    // Regenerated: the chat costs what the answers it holds cost, every version's.
    transport.pieces(
        200,
        &anthropic_stream(
            &[serde_json::json!({"type": "text", "text": "Tea."})],
            "end_turn",
        ),
        usize::MAX,
    );
    command(
        &mut rt,
        Command::Regenerate {
            session: "s".into(),
            message: None,
        },
    );
    // Every version is kept, so the chat costs all it spent: the three answers and the new one.
    let session = run(rt.store().sessions()).unwrap().remove(0);
    assert!((session.cost_usd.unwrap() - 4.0 * one).abs() < 1e-9);
}

#[wasm_bindgen_test(unsupported = test)]
fn a_cost_the_proxy_reports_is_the_one_kept() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::Mistral);
    let mut usage = ferry_core::wire::Usage::new(10, 5, 0);
    usage.cost = Some(0.0042);
    let usage_chunk = serde_json::json!({"id": "c", "object": "chat.completion.chunk",
        "created": 1, "model": "m", "choices": [], "usage": usage});
    transport.answer(
        200,
        &[
            &chunk(serde_json::json!({"content": "Hi"})),
            &usage_chunk.to_string(),
            "[DONE]",
        ],
    );
    let events = send(&mut rt, "s", "hi");
    let answer = run(rt.store().messages("s")).unwrap().pop().unwrap();
    assert_eq!(answer.cost_usd, Some(0.0042));
    assert!(events.iter().any(|e| matches!(e,
        Event::Usage { message: Some(id), usage, .. } if *id == answer.id && usage.cost == Some(0.0042))));
    let session = run(rt.store().sessions()).unwrap().remove(0);
    assert_eq!(session.cost_usd, Some(0.0042));
    // An unknown model's answer without a reported cost has none.
    transport.answer(
        200,
        &[
            &chunk(serde_json::json!({"content": "Hi"})),
            &serde_json::json!({"id": "c", "object": "chat.completion.chunk", "created": 1,
                "model": "m", "choices": [], "usage": ferry_core::wire::Usage::new(10, 5, 0)})
            .to_string(),
            "[DONE]",
        ],
    );
    send(&mut rt, "s", "again");
    let answer = run(rt.store().messages("s")).unwrap().pop().unwrap();
    assert_eq!(answer.cost_usd, None);
    assert!(answer.usage.is_some());
    let session = run(rt.store().sessions()).unwrap().remove(0);
    assert_eq!(session.cost_usd, Some(0.0042));
}

#[wasm_bindgen_test(unsupported = test)]
fn thinking_counts_in_the_token_figures() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    let count = |rt: &mut TestRuntime<'_>| {
        token_count(&command(
            rt,
            Command::CountTokens {
                session: Some("s".into()),
                draft: String::new(),
            },
        ))
        .0
    };
    transport.answer(
        200,
        &[&chunk(serde_json::json!({"content": "Hi"})), "[DONE]"],
    );
    send(&mut rt, "s", "hello");
    let without = count(&mut rt);
    let mut stored = run(rt.store().messages("s")).unwrap().pop().unwrap();
    stored.message.reasoning_content = Some("a long thought ".repeat(40));
    run(rt.store().put_message(&stored)).unwrap();
    let with = count(&mut rt);
    assert!(with >= without + 100, "{without} → {with}");
}

/// The message a stored answer becomes in the next request is the one stored.
#[wasm_bindgen_test(unsupported = test)]
fn a_reloaded_chat_sends_its_answers_thinking_back() {
    let transport = FakeTransport::default();
    let mut rt = claude_runtime(&transport);
    rt.settings.always_proxy = true;
    let detail = serde_json::json!({"type": "reasoning.encrypted", "data": "opaque==",
        "format": "google-gemini-v1", "index": 0});
    transport.answer(
        200,
        &[
            &chunk(serde_json::json!({"reasoning_content": "hm", "reasoning_details": [detail]})),
            &chunk(serde_json::json!({"content": "Paris."})),
            "[DONE]",
        ],
    );
    send(&mut rt, "s", "Capital of France?");
    let stored: Vec<Message> = run(rt.store().messages("s"))
        .unwrap()
        .into_iter()
        .map(|m| m.message)
        .collect();
    transport.answer(
        200,
        &[&chunk(serde_json::json!({"content": "Lyon."})), "[DONE]"],
    );
    send(&mut rt, "s", "And the second city?");
    let body = transport.body(1);
    assert_eq!(
        body["messages"][2],
        serde_json::to_value(&stored[1]).unwrap()
    );
    assert_eq!(body["messages"][2]["reasoning_details"][0], detail);
}

/// A Gemini stream in its documented format: one `data:` event per part list.
fn gemini_stream(events: &[serde_json::Value], thoughts: u64) -> String {
    let last = events.len() - 1;
    events
        .iter()
        .enumerate()
        .map(|(i, parts)| {
            let mut candidate =
                serde_json::json!({"content": {"parts": parts, "role": "model"}, "index": 0});
            if i == last {
                candidate["finishReason"] = "STOP".into();
            }
            let event = serde_json::json!({"candidates": [candidate],
                "usageMetadata": {"promptTokenCount": 500, "candidatesTokenCount": 40,
                    "thoughtsTokenCount": thoughts, "totalTokenCount": 540 + thoughts},
                "modelVersion": "gemini-3-pro-preview", "responseId": "r"});
            format!("data: {event}\n\n")
        })
        .collect()
}

#[wasm_bindgen_test(unsupported = test)]
fn gemini_thinks_through_two_tool_rounds_and_its_signatures_go_back() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::Google);
    rt.settings.model = "gemini-3-pro-preview".into();
    rt.settings.params.reasoning_effort = Some(ReasoningEffort::High);
    let call = |query: &str, signature: &str| {
        serde_json::json!([{"functionCall": {"name": "memory_search", "args": {"query": query}},
            "thoughtSignature": signature}])
    };
    for round in [
        gemini_stream(
            &[
                serde_json::json!([{"text": "Look it up.", "thought": true}]),
                call("tea", "G-SIG-ONE+/="),
            ],
            30,
        ),
        gemini_stream(
            &[
                serde_json::json!([{"text": "Once more.", "thought": true}]),
                call("green tea", "G-SIG-TWO"),
            ],
            20,
        ),
        gemini_stream(
            &[serde_json::json!([{"text": "You like tea.", "thoughtSignature": "G-SIG-TEXT"}])],
            0,
        ),
    ] {
        transport.pieces(200, &round, 11);
    }
    let events = send(&mut rt, "s", "What do I like?");
    assert_eq!(transport.sent.borrow().len(), 3, "{events:?}");
    let first = transport.body(0);
    assert_eq!(
        first["generationConfig"]["thinkingConfig"]["includeThoughts"],
        true
    );
    // Each call goes back with its own signature, on the call.
    let third = transport.body(2);
    let signed: Vec<(String, String)> = third["contents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["role"] == "model")
        .flat_map(|c| c["parts"].as_array().unwrap().clone())
        .filter_map(|p| {
            Some((
                p["functionCall"]["args"]["query"].as_str()?.to_owned(),
                p["thoughtSignature"].as_str()?.to_owned(),
            ))
        })
        .collect();
    assert_eq!(
        signed,
        [
            ("tea".to_owned(), "G-SIG-ONE+/=".to_owned()),
            ("green tea".to_owned(), "G-SIG-TWO".to_owned())
        ]
    );
    let thought: String = events
        .iter()
        .filter_map(|e| match e {
            Event::ThinkingDelta { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(thought, "Look it up.Once more.");
    // The answer's text signature is kept, and goes back on its text part next turn.
    let answer = run(rt.store().messages("s")).unwrap().pop().unwrap();
    let details = answer.message.reasoning_details.clone().unwrap();
    assert_eq!(details[0].format, Some(ReasoningFormat::Google));
    assert_eq!(details[0].data.as_deref(), Some("G-SIG-TEXT"));
    // Thinking is counted as output, and as thinking.
    let first_answer = run(rt.store().messages("s")).unwrap().remove(1);
    let usage = first_answer.usage.unwrap();
    assert_eq!(
        (usage.completion_tokens, usage.reasoning_tokens()),
        (70, 30)
    );
    transport.pieces(
        200,
        &gemini_stream(&[serde_json::json!([{"text": "Bye."}])], 0),
        usize::MAX,
    );
    send(&mut rt, "s", "Thanks");
    let next = transport.body(3);
    let text_part = next["contents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["role"] == "model")
        .flat_map(|c| c["parts"].as_array().unwrap().clone())
        .find(|p| p["text"] == "You like tea.")
        .unwrap();
    assert_eq!(text_part["thoughtSignature"], "G-SIG-TEXT");
    // Thinking text is never sent back to Gemini as text.
    assert!(!next.to_string().contains("Look it up."), "{next}");
}

/// What the proxy streams for `upstream` (an Anthropic stream): core's translation, the
/// same the worker sends.
fn as_the_proxy_sends(upstream: &str) -> String {
    let mut translator =
        ferry_core::adapter::StreamTranslator::new(ferry_core::adapter::AnswerContext {
            provider: ProviderId::Anthropic,
            model: CLAUDE.into(),
            created: 1,
        });
    let mut out = Vec::new();
    translator.push(upstream.as_bytes(), &mut out);
    translator.end(&mut out);
    String::from_utf8(out).unwrap()
}

#[wasm_bindgen_test(unsupported = test)]
fn direct_and_through_the_proxy_a_thinking_turn_ends_the_same() {
    let rounds = [
        anthropic_stream(
            &[
                thinking("I should look in memory.", SIG_ONE),
                search("toolu_1", "tea"),
            ],
            "tool_use",
        ),
        anthropic_stream(
            &[
                serde_json::json!({"type": "redacted_thinking", "data": REDACTED}),
                serde_json::json!({"type": "text", "text": "You like tea."}),
            ],
            "end_turn",
        ),
    ];
    let mut outcomes = Vec::new();
    for proxy in [false, true] {
        let transport = FakeTransport::default();
        let mut rt = claude_runtime(&transport);
        rt.settings.always_proxy = proxy;
        for round in &rounds {
            let body = if proxy {
                as_the_proxy_sends(round)
            } else {
                round.clone()
            };
            transport.pieces(200, &body, 9);
        }
        let events = send(&mut rt, "s", "What do I like?");
        let urls = transport.urls();
        assert_eq!(urls.len(), 2);
        assert_eq!(urls[0].contains("/v1/proxy/"), proxy);
        let messages: Vec<(Message, Option<f64>)> = run(rt.store().messages("s"))
            .unwrap()
            .into_iter()
            .map(|m| (m.message, m.cost_usd))
            .collect();
        let shown: Vec<String> = events
            .iter()
            .filter_map(|e| match e {
                Event::ThinkingDelta { text, .. } => Some(format!("thinking {text}")),
                Event::Delta { text, .. } => Some(format!("text {text}")),
                Event::ToolCallFinished { ok, .. } => Some(format!("tool {ok}")),
                Event::Usage { usage, .. } => Some(format!("usage {}", usage.total_tokens)),
                _ => None,
            })
            .collect();
        outcomes.push((messages, shown));
    }
    assert_eq!(outcomes[0], outcomes[1]);
    let (messages, shown) = &outcomes[0];
    assert_eq!(messages.len(), 4, "{messages:?}");
    assert!(messages[1].0.reasoning_details.is_some());
    assert!(messages[3].0.reasoning_details.is_some());
    assert!(messages[1].1.is_some(), "costed either way");
    assert!(shown.contains(&"thinking I should look in memory.".to_owned()));
}

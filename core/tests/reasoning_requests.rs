//! Reasoning on the way up: how `reasoning_effort` becomes each provider's control, what is
//! dropped (and said to be), and how a turn's thinking goes back to the provider that made it.

#![expect(clippy::unwrap_used, reason = "test code")]

use ferry_core::ProviderId;
use ferry_core::adapter::{self, AnswerContext, StreamTranslator, Target};
use ferry_core::wire::{ChatChunk, ChatRequest, ReasoningDetail, merge_reasoning_details};
use serde_json::{Value, json};
use wasm_bindgen_test::wasm_bindgen_test;

/// The body sent upstream for `request`, and the parameters left out.
fn upstream(provider: ProviderId, request: Value) -> (Value, Vec<&'static str>) {
    let request: ChatRequest = serde_json::from_value(request).unwrap();
    let model = request.model.clone();
    let target = Target {
        provider,
        base_url: "https://upstream.test",
        key: "sk-test",
    };
    let sent = adapter::chat_request(&target, request, model).unwrap();
    (
        serde_json::from_str(sent.body.as_deref().unwrap()).unwrap(),
        sent.dropped,
    )
}

fn ask(model: &str, extra: Value) -> Value {
    let mut request = json!({"model": model, "messages": [{"role": "user", "content": "Hi"}]});
    if let (Some(request), Some(extra)) = (request.as_object_mut(), extra.as_object()) {
        request.extend(extra.clone());
    }
    request
}

const SIGNATURE: &str = "EqQBCkgIARABGAIiQ+/x==\u{2028}";

fn assistant_with_details() -> Value {
    json!({
        "role": "assistant",
        "content": "Let me check.",
        "reasoning_content": "Paris first.",
        "tool_calls": [{"id": "toolu_01", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}],
        "reasoning_details": [
            {"type": "reasoning.encrypted", "data": "REDACTED+/==", "format": "anthropic-claude-v1", "index": 1},
            {"type": "reasoning.encrypted", "data": "GOOGLESIG==", "format": "google-gemini-v1", "index": 2},
            {"type": "reasoning.text", "text": "Paris first.", "signature": SIGNATURE, "format": "anthropic-claude-v1", "index": 0},
            {"type": "reasoning.text", "text": "unsigned", "format": "anthropic-claude-v1", "index": 3},
            {"type": "reasoning.summary", "summary": "S", "format": "openai-responses-v1", "index": 4}
        ]
    })
}

#[wasm_bindgen_test(unsupported = test)]
fn anthropic_gets_its_thinking_back_first_in_order_and_byte_exact() {
    let (body, dropped) = upstream(
        ProviderId::Anthropic,
        json!({
            "model": "claude-sonnet-4-5",
            "reasoning_effort": "low",
            "messages": [
                {"role": "user", "content": "Weather in Paris?"},
                assistant_with_details(),
                {"role": "tool", "tool_call_id": "toolu_01", "content": "18°C"}
            ]
        }),
    );
    assert_eq!(
        body["messages"][1],
        json!({"role": "assistant", "content": [
            {"type": "thinking", "thinking": "Paris first.", "signature": SIGNATURE},
            {"type": "redacted_thinking", "data": "REDACTED+/=="},
            {"type": "text", "text": "Let me check."},
            {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"city": "Paris"}}
        ]})
    );
    assert!(dropped.is_empty(), "{dropped:?}");
    // The signature is sent as it came, byte for byte.
    let text = serde_json::to_string(&body).unwrap();
    assert!(text.contains(&serde_json::to_string(SIGNATURE).unwrap()));
}

#[wasm_bindgen_test(unsupported = test)]
fn anthropic_thinking_streamed_out_comes_back_as_the_same_blocks() {
    let input = include_bytes!("fixtures/anthropic/stream_thinking.sse");
    let mut translator = StreamTranslator::new(AnswerContext {
        provider: ProviderId::Anthropic,
        model: "claude-sonnet-4-5".to_owned(),
        created: 0,
    });
    let mut out = Vec::new();
    translator.push(input, &mut out);
    let mut details: Vec<ReasoningDetail> = Vec::new();
    let mut framer = ferry_core::sse::SseFramer::new();
    for event in framer.feed(&out) {
        if let Ok(chunk) = serde_json::from_str::<ChatChunk>(&event.data) {
            for choice in chunk.choices {
                merge_reasoning_details(
                    &mut details,
                    choice
                        .delta
                        .reasoning_details
                        .as_deref()
                        .unwrap_or_default(),
                );
            }
        }
    }
    let (body, _) = upstream(
        ProviderId::Anthropic,
        json!({"model": "claude-sonnet-4-5", "messages": [
            {"role": "user", "content": "Weather?"},
            {"role": "assistant", "content": "Let me check.", "reasoning_details": details}
        ]}),
    );
    assert_eq!(
        body["messages"][1]["content"],
        json!([
            {"type": "thinking", "thinking": "The user wants the weather in Paris. I should call get_weather with \"Paris\" — ça va.", "signature": "EqQBCgIYAhIMFerryFixtureSig+/=="},
            {"type": "redacted_thinking", "data": "EmwKAhgBEgyFerryRedactedData+/0123456789=="},
            {"type": "text", "text": "Let me check."}
        ])
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn anthropic_effort_is_a_budget_and_thinking_drops_what_it_refuses() {
    for (effort, budget) in [
        ("minimal", 1024),
        ("low", 2048),
        ("medium", 8192),
        ("high", 24_576),
    ] {
        let (body, dropped) = upstream(
            ProviderId::Anthropic,
            ask(
                "claude-sonnet-4-5-20250929",
                json!({"reasoning_effort": effort, "temperature": 0.2, "top_p": 0.9, "max_tokens": 1000,
                       "tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": "required"}),
            ),
        );
        assert_eq!(
            body["thinking"],
            json!({"type": "enabled", "budget_tokens": budget})
        );
        assert_eq!(body["max_tokens"], json!(budget + 1000), "{effort}");
        assert_eq!(body.get("temperature"), None);
        assert_eq!(body.get("top_p"), None);
        assert_eq!(body["tool_choice"], json!({"type": "auto"}));
        assert_eq!(dropped, ["temperature", "top_p", "tool_choice"]);
    }
    // Within the model's output limit (claude-opus-4: 32,000).
    let (body, _) = upstream(
        ProviderId::Anthropic,
        ask(
            "claude-opus-4-1",
            json!({"reasoning_effort": "high", "max_tokens": 16000}),
        ),
    );
    assert_eq!(body["thinking"]["budget_tokens"], json!(24_576));
    assert_eq!(body["max_tokens"], json!(32_000));
    // Effort none: no thinking, nothing dropped.
    let (body, dropped) = upstream(
        ProviderId::Anthropic,
        ask(
            "claude-sonnet-4-5",
            json!({"reasoning_effort": "none", "temperature": 0.2}),
        ),
    );
    assert_eq!(body.get("thinking"), None);
    assert_eq!(body["temperature"], json!(0.2));
    assert!(dropped.is_empty());
}

#[wasm_bindgen_test(unsupported = test)]
fn a_model_that_does_not_reason_drops_the_effort() {
    let effort_only: &[&str] = &["reasoning_effort"];
    for (provider, model, expected) in [
        (
            ProviderId::Anthropic,
            "claude-3-5-haiku-20241022",
            effort_only,
        ),
        (ProviderId::Google, "gemini-2.0-flash", effort_only),
        (ProviderId::OpenAi, "gpt-4o-mini", effort_only),
        (ProviderId::OpenAi, "a-model-nobody-knows", effort_only),
        // Always thinks, with no control; takes no temperature either.
        (
            ProviderId::DeepSeek,
            "deepseek-reasoner",
            &["reasoning_effort", "temperature"],
        ),
    ] {
        let (body, dropped) = upstream(
            provider,
            ask(
                model,
                json!({"reasoning_effort": "high", "temperature": 0.3}),
            ),
        );
        assert_eq!(dropped, expected, "{model}");
        for key in ["thinking", "reasoning_effort", "reasoning"] {
            assert_eq!(body.get(key), None, "{model} {key}");
        }
        assert_eq!(
            body.pointer("/generationConfig/thinkingConfig"),
            None,
            "{model}"
        );
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn gemini_effort_is_a_budget_on_2_5_and_a_level_on_3() {
    let thinking = |model: &str, effort: Option<&str>| {
        let extra = effort.map_or(json!({}), |e| json!({"reasoning_effort": e}));
        let (body, dropped) = upstream(ProviderId::Google, ask(model, extra));
        assert!(dropped.is_empty());
        body.pointer("/generationConfig/thinkingConfig").cloned()
    };
    assert_eq!(
        thinking("gemini-2.5-flash", Some("low")),
        Some(json!({"thinkingBudget": 1024, "includeThoughts": true}))
    );
    assert_eq!(
        thinking("gemini-2.5-flash", Some("high")),
        Some(json!({"thinkingBudget": 24_576, "includeThoughts": true}))
    );
    // Flash can stop thinking; Pro cannot, and thinks as little as it may.
    assert_eq!(
        thinking("gemini-2.5-flash", Some("none")),
        Some(json!({"thinkingBudget": 0}))
    );
    assert_eq!(
        thinking("gemini-2.5-pro", Some("none")),
        Some(json!({"thinkingBudget": 128, "includeThoughts": true}))
    );
    assert_eq!(
        thinking("gemini-3-pro-preview", Some("medium")),
        Some(json!({"thinkingLevel": "high", "includeThoughts": true}))
    );
    assert_eq!(
        thinking("gemini-3-pro-preview", Some("minimal")),
        Some(json!({"thinkingLevel": "low", "includeThoughts": true}))
    );
    // No effort: the model's own default, with its thoughts shown.
    assert_eq!(
        thinking("gemini-2.5-flash", None),
        Some(json!({"includeThoughts": true}))
    );
    assert_eq!(thinking("gemini-2.0-flash", None), None);
}

#[wasm_bindgen_test(unsupported = test)]
fn gemini_gets_its_text_signature_back_on_the_text_part() {
    let (body, _) = upstream(
        ProviderId::Google,
        json!({"model": "gemini-3-pro-preview", "messages": [
            {"role": "user", "content": "Haiku?"},
            {"role": "assistant", "content": "Autumn moonlight", "reasoning_content": "5-7-5",
             "reasoning_details": [
                {"type": "reasoning.text", "text": "x", "signature": "ANTHROPIC", "format": "anthropic-claude-v1", "index": 0},
                {"type": "reasoning.encrypted", "data": "TEXTSIG+/==", "format": "google-gemini-v1", "index": 1}
             ],
             "tool_calls": [{"id": "call_0.CALLSIG", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "call_0.CALLSIG", "content": "{}"}
        ]}),
    );
    assert_eq!(
        body["contents"][1],
        json!({"role": "model", "parts": [
            {"text": "Autumn moonlight", "thoughtSignature": "TEXTSIG+/=="},
            {"functionCall": {"name": "f", "args": {}}, "thoughtSignature": "CALLSIG"}
        ]})
    );
    // The thinking text itself is never sent back.
    assert!(!body.to_string().contains("5-7-5"));
}

#[wasm_bindgen_test(unsupported = test)]
fn openai_reasoning_models_take_the_effort_and_refuse_sampling() {
    let (body, dropped) = upstream(
        ProviderId::OpenAi,
        ask(
            "o4-mini",
            json!({"reasoning_effort": "high", "temperature": 0.5, "top_p": 0.9, "max_tokens": 500}),
        ),
    );
    assert_eq!(body["reasoning_effort"], json!("high"));
    assert_eq!(body["max_completion_tokens"], json!(500));
    for key in ["max_tokens", "temperature", "top_p"] {
        assert_eq!(body.get(key), None, "{key}");
    }
    assert_eq!(dropped, ["temperature", "top_p"]);
    // A model that takes a temperature keeps it, and its max_tokens.
    let (body, dropped) = upstream(
        ProviderId::OpenAi,
        ask(
            "gpt-4.1-mini",
            json!({"temperature": 0.5, "max_tokens": 500}),
        ),
    );
    assert_eq!(
        (body["temperature"].clone(), body["max_tokens"].clone()),
        (json!(0.5), json!(500))
    );
    assert!(dropped.is_empty());
}

#[wasm_bindgen_test(unsupported = test)]
fn openrouter_spells_the_effort_reasoning_and_takes_details_back() {
    let (body, dropped) = upstream(
        ProviderId::OpenRouter,
        json!({"model": "anthropic/claude-sonnet-4.5", "reasoning_effort": "medium", "messages": [
            {"role": "user", "content": "Weather?"},
            assistant_with_details(),
            {"role": "tool", "tool_call_id": "toolu_01", "content": "18°C"}
        ]}),
    );
    assert!(dropped.is_empty());
    assert_eq!(body["reasoning"], json!({"effort": "medium"}));
    assert_eq!(body.get("reasoning_effort"), None);
    let assistant = &body["messages"][1];
    assert_eq!(assistant.get("reasoning_content"), None);
    assert_eq!(
        assistant["reasoning_details"],
        assistant_with_details()["reasoning_details"]
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn deepseek_gets_reasoning_content_back_only_within_a_tool_loop() {
    let (body, _) = upstream(
        ProviderId::DeepSeek,
        json!({"model": "deepseek-reasoner", "messages": [
            {"role": "user", "content": "9.11 or 9.8?"},
            {"role": "assistant", "content": "9.8", "reasoning_content": "tenths"},
            {"role": "user", "content": "Weather?"},
            {"role": "assistant", "content": null, "reasoning_content": "call it",
             "reasoning_details": [{"type": "reasoning.text", "text": "t", "format": "unknown", "index": 0}],
             "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "w", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "c1", "content": "18°C"},
            {"role": "assistant", "content": "18°C", "reasoning_content": "answer"},
            {"role": "user", "content": "Thanks"}
        ]}),
    );
    let reasoning: Vec<Value> = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.get("reasoning_content").cloned().unwrap_or(Value::Null))
        .collect();
    assert_eq!(
        reasoning,
        [
            Value::Null,
            Value::Null,
            Value::Null,
            json!("call it"),
            Value::Null,
            json!("answer"),
            Value::Null
        ]
    );
    assert!(!body.to_string().contains("reasoning_details"));
}

#[wasm_bindgen_test(unsupported = test)]
fn other_openai_format_providers_get_no_reasoning_fields_back() {
    for provider in [ProviderId::OpenAi, ProviderId::Groq, ProviderId::Mistral] {
        let (body, _) = upstream(
            provider,
            json!({"model": "m", "messages": [
                {"role": "user", "content": "Weather?"},
                assistant_with_details()
            ]}),
        );
        let text = body.to_string();
        assert!(
            !text.contains("reasoning_content") && !text.contains("reasoning_details"),
            "{provider}"
        );
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn anthropic_continues_a_tool_loop_without_its_thinking_unthinking() {
    let call = json!({"role": "assistant", "content": null, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
    ]});
    let result = json!({"role": "tool", "tool_call_id": "call_1", "content": "18°C"});
    let request = |messages: Vec<Value>| json!({"model": "claude-sonnet-4-5", "reasoning_effort": "low", "messages": messages});
    let user = json!({"role": "user", "content": "Weather?"});
    // The loop's turn came from elsewhere: no thinking block to open it with.
    let (body, dropped) = upstream(
        ProviderId::Anthropic,
        request(vec![user.clone(), call.clone(), result.clone()]),
    );
    assert_eq!(body.get("thinking"), None);
    assert_eq!(dropped, ["reasoning_effort"]);
    // With its thinking, the loop goes on thinking.
    let (body, dropped) = upstream(
        ProviderId::Anthropic,
        request(vec![
            user.clone(),
            assistant_with_details(),
            json!({"role": "tool", "tool_call_id": "toolu_01", "content": "18°C"}),
        ]),
    );
    assert_eq!(body["thinking"]["budget_tokens"], json!(2048));
    assert!(dropped.is_empty());
    // A finished loop (the user spoke since) does not hold thinking back.
    let (body, _) = upstream(
        ProviderId::Anthropic,
        request(vec![user.clone(), call, result, user]),
    );
    assert_eq!(body["thinking"]["budget_tokens"], json!(2048));
}

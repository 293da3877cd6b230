//! The conversation translated for each kind of target, compared whole: what goes in,
//! exactly what comes out.

use super::*;
use ferry_core::models;
use serde_json::{Value, json};
use wasm_bindgen_test::wasm_bindgen_test;

fn messages(value: Value) -> Vec<Message> {
    serde_json::from_value(value).unwrap()
}

fn translated(value: Value, to: ProviderId, model: &str) -> Value {
    let out = for_link(messages(value), to, &models::facts(to, model));
    serde_json::to_value(out).unwrap()
}

/// Claude thought (signed) and called a tool in this turn, after an earlier turn.
fn claude_turn() -> Value {
    json!([
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!", "reasoning_content": "Greet back.",
         "reasoning_details": [{"type": "reasoning.text", "text": "Greet back.", "signature": "sig-a", "format": "anthropic-claude-v1", "index": 0}]},
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": "Let me look.", "reasoning_content": "Use the tool.",
         "reasoning_details": [{"type": "reasoning.text", "text": "Use the tool.", "signature": "sig-b", "format": "anthropic-claude-v1", "index": 0}],
         "tool_calls": [{"id": "toolu_01A", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
        {"role": "tool", "tool_call_id": "toolu_01A", "content": "18 °C"}
    ])
}

#[wasm_bindgen_test(unsupported = test)]
fn the_same_provider_gets_its_conversation_unchanged() {
    let turn = claude_turn();
    assert_eq!(
        translated(turn.clone(), ProviderId::Anthropic, "claude-sonnet-4-5"),
        turn
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn claudes_thinking_goes_to_gpt_as_text_and_its_calls_as_calls() {
    let out = translated(claude_turn(), ProviderId::OpenAi, "gpt-4o");
    assert_eq!(
        out,
        json!([
            {"role": "user", "content": "Hi"},
            // An earlier turn: left to the adapter, which drops another provider's thinking.
            {"role": "assistant", "content": "Hello!", "reasoning_content": "Greet back.",
             "reasoning_details": [{"type": "reasoning.text", "text": "Greet back.", "signature": "sig-a", "format": "anthropic-claude-v1", "index": 0}]},
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": "<thinking>\nUse the tool.\n</thinking>\n\nLet me look.",
             "tool_calls": [{"id": "toolu_01A", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
            {"role": "tool", "tool_call_id": "toolu_01A", "content": "18 °C"}
        ])
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_model_without_tools_reads_calls_and_results_as_text() {
    let mut turn = claude_turn();
    let calls = turn[3]["tool_calls"].as_array_mut().unwrap();
    calls.push(json!({"id": "toolu_01B", "type": "function", "function": {"name": "web_fetch", "arguments": "{\"url\":\"https://example.com\"}"}}));
    turn.as_array_mut()
        .unwrap()
        .push(json!({"role": "tool", "tool_call_id": "toolu_01B", "content": "Example Domain"}));
    let facts = ModelFacts {
        tools: false,
        ..ModelFacts::UNKNOWN
    };
    let out = serde_json::to_value(for_link(messages(turn), ProviderId::Together, &facts)).unwrap();
    assert_eq!(
        tail(&out, 3),
        json!([
            {"role": "assistant", "content": "<thinking>\nUse the tool.\n</thinking>\n\nLet me look.\n\n[called get_weather with {\"city\":\"Paris\"}]\n\n[called web_fetch with {\"url\":\"https://example.com\"}]"},
            {"role": "user", "content": "[get_weather returned: 18 °C]\n\n[web_fetch returned: Example Domain]"}
        ])
    );
}

/// Gemini 2.5 called a tool twice in two answers: its made-up ids repeat, the first
/// carrying a thought signature after the `.`.
fn gemini_turn() -> Value {
    json!([
        {"role": "user", "content": "Weather in Paris and Rome?"},
        {"role": "assistant", "tool_calls": [{"id": "call_0.c2lnbmF0dXJlLW9mLWdlbWluaS10aGF0LWlzLWxvbmc+/=", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
        {"role": "tool", "tool_call_id": "call_0.c2lnbmF0dXJlLW9mLWdlbWluaS10aGF0LWlzLWxvbmc+/=", "content": "18 °C"},
        {"role": "assistant", "tool_calls": [{"id": "call_0", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Rome\"}"}}]},
        {"role": "tool", "tool_call_id": "call_0", "content": "24 °C"},
        {"role": "assistant", "tool_calls": [{"id": "call_0", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Oslo\"}"}}]},
        {"role": "tool", "tool_call_id": "call_0", "content": "3 °C"}
    ])
}

/// The messages of `out` from `from` on.
fn tail(out: &Value, from: usize) -> Value {
    Value::Array(out.as_array().unwrap()[from..].to_vec())
}

fn ids(out: &Value) -> Vec<(String, String)> {
    out.as_array()
        .unwrap()
        .iter()
        .filter_map(|m| {
            let id = m["tool_calls"][0]["id"]
                .as_str()
                .or(m["tool_call_id"].as_str())?;
            Some((m["role"].as_str()?.to_owned(), id.to_owned()))
        })
        .collect()
}

#[wasm_bindgen_test(unsupported = test)]
fn geminis_ids_are_rewritten_short_and_unique_for_claude() {
    let out = translated(gemini_turn(), ProviderId::Anthropic, "claude-sonnet-4-5");
    let expected = [
        ("assistant", "fc0000001"),
        ("tool", "fc0000001"),
        ("assistant", "call_0"),
        ("tool", "call_0"),
        ("assistant", "fc0000002"),
        ("tool", "fc0000002"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(r, i)| ((*r).to_owned(), (*i).to_owned()))
        .collect();
    assert_eq!(ids(&out), expected);
}

#[wasm_bindgen_test(unsupported = test)]
fn mistral_gets_nine_letters_and_digits() {
    let out = translated(claude_turn(), ProviderId::Mistral, "mistral-small");
    assert_eq!(out[3]["tool_calls"][0]["id"], "fc0000001");
    assert_eq!(out[4]["tool_call_id"], "fc0000001");
}

#[wasm_bindgen_test(unsupported = test)]
fn gemini_keeps_its_own_ids_and_signatures() {
    let turn = gemini_turn();
    assert_eq!(
        translated(turn.clone(), ProviderId::Google, "gemini-2.5-flash"),
        turn
    );
    // Gemini 3 signs every answer's first call: its own turn crosses back unchanged.
    let signed = serde_json::to_string(&turn)
        .unwrap()
        .replace("\"call_0\"", "\"call_0.c2ln\"");
    let signed: Value = serde_json::from_str(&signed).unwrap();
    assert_eq!(
        translated(signed.clone(), ProviderId::Google, "gemini-3-pro-preview"),
        signed
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn gemini_3_reads_another_providers_calls_of_this_turn_as_text() {
    let out = translated(claude_turn(), ProviderId::Google, "gemini-3-pro-preview");
    assert_eq!(
        tail(&out, 2),
        json!([
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": "<thinking>\nUse the tool.\n</thinking>\n\nLet me look.\n\n[called get_weather with {\"city\":\"Paris\"}]"},
            {"role": "user", "content": "[get_weather returned: 18 °C]"}
        ])
    );
    // Gemini 2.5 takes calls without signatures.
    let out = translated(claude_turn(), ProviderId::Google, "gemini-2.5-flash");
    assert_eq!(out[3]["tool_calls"][0]["id"], "toolu_01A");
}

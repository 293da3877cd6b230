//! The proxy's hot path, natively: parse + route + translate one chat request, and
//! translate one 50-event stream, per provider format; then two thinking-heavy streams
//! (Anthropic thinking with its signature and a closing detail, Gemini thought parts with
//! a text signature), per event.
//!
//! `cargo bench -p ferry-core --bench hot_path` prints time per operation (median of
//! batches) side by side for the three formats.

#![expect(clippy::unwrap_used, clippy::print_stdout, reason = "benchmark binary")]

use std::hint::black_box;
use std::time::Instant;

use ferry_core::adapter::{self, AnswerContext, StreamTranslator, Target};
use ferry_core::wire::ChatRequest;
use ferry_core::{ProviderId, resolve_provider};

/// A realistic request: a system prompt, a few turns, one tool.
fn request_json() -> String {
    let mut messages = vec![
        serde_json::json!({"role": "system", "content": "You are Ferry, a helpful assistant. Answer concisely and cite sources when you use tools."}),
    ];
    for i in 0..6 {
        messages.push(serde_json::json!({"role": "user", "content": format!("Question {i}: what is the capital of country number {i}, and why does it matter historically?")}));
        messages.push(serde_json::json!({"role": "assistant", "content": format!("Answer {i}: the capital is City {i}. It matters because it was the seat of government for centuries and a hub of trade.")}));
    }
    serde_json::json!({
        "model": "fixture-model", "stream": true, "max_tokens": 1024,
        "messages": messages,
        "tools": [{"type": "function", "function": {"name": "web_search", "description": "Search the web", "parameters": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}}}]
    })
    .to_string()
}

fn stream_bytes(provider: ProviderId) -> Vec<u8> {
    let mut out = String::new();
    match provider {
        ProviderId::Anthropic => {
            out.push_str("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude\",\"content\":[],\"usage\":{\"input_tokens\":120,\"output_tokens\":1}}}\n\n");
            out.push_str("event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n");
            for i in 0..46 {
                out.push_str(&format!("event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{{\"type\":\"text_delta\",\"text\":\"token {i} \"}}}}\n\n"));
            }
            out.push_str("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":46}}\n\n");
            out.push_str("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
        }
        ProviderId::Google => {
            for i in 0..49 {
                out.push_str(&format!("data: {{\"candidates\":[{{\"content\":{{\"parts\":[{{\"text\":\"token {i} \"}}],\"role\":\"model\"}},\"index\":0}}],\"usageMetadata\":{{\"promptTokenCount\":120,\"candidatesTokenCount\":{i},\"totalTokenCount\":{}}},\"modelVersion\":\"gemini\",\"responseId\":\"r\"}}\r\n\r\n", 120 + i));
            }
            out.push_str("data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\".\"}],\"role\":\"model\"},\"finishReason\":\"STOP\",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":120,\"candidatesTokenCount\":50,\"totalTokenCount\":170}}\r\n\r\n");
        }
        _ => {
            for i in 0..48 {
                out.push_str(&format!("data: {{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"token {i} \"}},\"finish_reason\":null}}]}}\n\n"));
            }
            out.push_str("data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt\",\"choices\":[],\"usage\":{\"prompt_tokens\":120,\"completion_tokens\":48,\"total_tokens\":168}}\n\n");
            out.push_str("data: [DONE]\n\n");
        }
    }
    out.into_bytes()
}

/// A thinking-heavy Anthropic stream of `EVENTS` events: 40 thinking deltas, the signature,
/// the closed block (one detail with all the thinking), a short answer.
fn anthropic_thinking_stream() -> Vec<u8> {
    let mut out = String::new();
    out.push_str("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\",\"content\":[],\"usage\":{\"input_tokens\":120,\"cache_read_input_tokens\":2000,\"output_tokens\":1}}}\n\n");
    out.push_str("event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}}\n\n");
    for i in 0..40 {
        out.push_str(&format!("event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{{\"type\":\"thinking_delta\",\"thinking\":\"step {i}: the user asks for the capital, so I weigh the options and check \\\"facts\\\" once more. \"}}}}\n\n"));
    }
    let signature = "EqQBCgIYAhIM".repeat(40);
    out.push_str(&format!("event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{{\"type\":\"signature_delta\",\"signature\":\"{signature}\"}}}}\n\n"));
    out.push_str(
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
    );
    out.push_str("event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n");
    for i in 0..2 {
        out.push_str(&format!("event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{{\"type\":\"text_delta\",\"text\":\"token {i} \"}}}}\n\n"));
    }
    out.push_str(
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n",
    );
    out.push_str("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":900}}\n\n");
    out.push_str("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
    out.into_bytes()
}

/// A Gemini thinking stream of `EVENTS` events: 45 thought parts, a text part with its
/// signature, more text, the finish with usage.
fn gemini_thinking_stream() -> Vec<u8> {
    let mut out = String::new();
    for i in 0..45 {
        out.push_str(&format!("data: {{\"candidates\":[{{\"content\":{{\"parts\":[{{\"text\":\"**Step {i}**\\nThe user asks for the capital; I weigh the options once more.\",\"thought\":true}}],\"role\":\"model\"}},\"index\":0}}],\"usageMetadata\":{{\"promptTokenCount\":120,\"totalTokenCount\":120}},\"modelVersion\":\"gemini-2.5-flash\",\"responseId\":\"r\"}}\r\n\r\n"));
    }
    let signature = "CiQB0e2Kb3".repeat(40);
    out.push_str(&format!("data: {{\"candidates\":[{{\"content\":{{\"parts\":[{{\"text\":\"The capital\",\"thoughtSignature\":\"{signature}\"}}],\"role\":\"model\"}},\"index\":0}}],\"modelVersion\":\"gemini-2.5-flash\",\"responseId\":\"r\"}}\r\n\r\n"));
    for i in 0..3 {
        out.push_str(&format!("data: {{\"candidates\":[{{\"content\":{{\"parts\":[{{\"text\":\" token {i}\"}}],\"role\":\"model\"}},\"index\":0}}],\"modelVersion\":\"gemini-2.5-flash\",\"responseId\":\"r\"}}\r\n\r\n"));
    }
    out.push_str("data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\".\"}],\"role\":\"model\"},\"finishReason\":\"STOP\",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":120,\"candidatesTokenCount\":5,\"thoughtsTokenCount\":900,\"totalTokenCount\":1025}}\r\n\r\n");
    out.into_bytes()
}

/// Events in each thinking stream.
const EVENTS: u32 = 50;

/// Times to translate a whole stream fed in 512-byte chunks, fastest first.
fn stream_times(provider: ProviderId, stream: &[u8]) -> Vec<f64> {
    batches(|| {
        let mut translator = StreamTranslator::new(AnswerContext {
            provider,
            model: "m".to_owned(),
            created: 1,
        });
        let mut out = Vec::with_capacity(stream.len() * 2);
        for chunk in black_box(stream).chunks(512) {
            translator.push(chunk, &mut out);
        }
        translator.end(&mut out);
        assert!(translator.is_complete());
        black_box(out);
    })
}

/// Median time per call of `f`, over batches sized to take ~20 ms each.
fn measure(f: impl FnMut()) -> f64 {
    let samples = batches(f);
    samples[samples.len() / 2]
}

/// Times per call of `f` in 15 batches of ~20 ms each, fastest first. On a shared machine
/// the fastest batch is the one least disturbed by other work.
fn batches(mut f: impl FnMut()) -> Vec<f64> {
    let start = Instant::now();
    let mut calibrate = 0u32;
    while start.elapsed().as_millis() < 20 {
        f();
        calibrate += 1;
    }
    let per_batch = calibrate.max(1);
    let mut samples: Vec<f64> = (0..15)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..per_batch {
                f();
            }
            t.elapsed().as_nanos() as f64 / f64::from(per_batch)
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples
}

fn main() {
    let body = request_json();
    let formats = [
        ProviderId::OpenAi,
        ProviderId::Anthropic,
        ProviderId::Google,
    ];
    println!(
        "request: {} bytes; stream: 50 events, fed in 512-byte chunks\n",
        body.len()
    );
    println!(
        "{:<10} {:>22} {:>22} {:>14}",
        "format", "request parse+route+translate", "50-event stream", "per event"
    );
    for provider in formats {
        let header = provider.as_str();
        let request_ns = measure(|| {
            let request: ChatRequest = serde_json::from_str(black_box(&body)).unwrap();
            let (provider, model) = resolve_provider(Some(header), &request.model).unwrap();
            let target = Target {
                provider,
                base_url: provider.info().default_base_url,
                key: "sk-bench",
            };
            black_box(adapter::chat_request(&target, request, model).unwrap());
        });
        let times = stream_times(provider, &stream_bytes(provider));
        let stream_ns = times[times.len() / 2];
        println!(
            "{:<10} {:>19.1} µs {:>19.1} µs {:>11.2} µs",
            header,
            request_ns / 1000.0,
            stream_ns / 1000.0,
            stream_ns / 50_000.0
        );
    }
    println!("\nthinking-heavy streams: {EVENTS} events each, fed in 512-byte chunks\n");
    println!(
        "{:<22} {:>16} {:>14} {:>24}",
        "stream", "whole stream", "per event", "per event, fastest batch"
    );
    for (name, provider, stream) in [
        (
            "anthropic thinking",
            ProviderId::Anthropic,
            anthropic_thinking_stream(),
        ),
        (
            "gemini thoughts",
            ProviderId::Google,
            gemini_thinking_stream(),
        ),
    ] {
        let times = stream_times(provider, &stream);
        let (median, fastest) = (times[times.len() / 2], times[0]);
        let per_event = |ns: f64| ns / f64::from(EVENTS) / 1000.0;
        println!(
            "{:<22} {:>13.1} µs {:>11.2} µs {:>21.2} µs",
            name,
            median / 1000.0,
            per_event(median),
            per_event(fastest)
        );
    }
}

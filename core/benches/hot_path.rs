//! The proxy's hot path, natively: parse + route + translate one chat request, and
//! translate one 50-event stream, per provider format.
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

/// Median time per call of `f`, over batches sized to take ~20 ms each.
fn measure(mut f: impl FnMut()) -> f64 {
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
    samples[samples.len() / 2]
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
        let stream = stream_bytes(provider);
        let stream_ns = measure(|| {
            let mut translator = StreamTranslator::new(AnswerContext {
                provider,
                model: "m".to_owned(),
                created: 1,
            });
            let mut out = Vec::with_capacity(stream.len() * 2);
            for chunk in black_box(&stream).chunks(512) {
                translator.push(chunk, &mut out);
            }
            translator.end(&mut out);
            assert!(translator.failure().is_none());
            black_box(out);
        });
        println!(
            "{:<10} {:>19.1} µs {:>19.1} µs {:>11.2} µs",
            header,
            request_ns / 1000.0,
            stream_ns / 1000.0,
            stream_ns / 50_000.0
        );
    }
}

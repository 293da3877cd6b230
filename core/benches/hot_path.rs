//! The proxy's hot path, natively: parse + route + translate one chat request, and
//! translate one 50-event stream, per provider format; then two thinking-heavy streams
//! (Anthropic thinking with its signature and a closing detail, Gemini thought parts with
//! a text signature), per event.
//!
//! Then requests carrying media: 1 MiB and 4 MiB bodies, mostly one image data URL or one
//! PDF `file` part, through what the proxy does with them (parse, the body-cap check, the
//! quota estimate, translate and write the upstream body). On Linux the 4 MiB figures
//! include the system allocator handing each large block back and faulting in fresh pages
//! every time; WebAssembly keeps its memory, which
//! `GLIBC_TUNABLES=glibc.malloc.mmap_threshold=268435456:glibc.malloc.trim_threshold=1073741824`
//! imitates.
//!
//! `cargo bench -p ferry-core --bench hot_path` prints time per operation (median of
//! batches) side by side for the three formats; `-- <filter>` runs only the sections whose
//! name (`request stream`, `thinking stream`, `media request`) contains it.

#![expect(clippy::unwrap_used, clippy::print_stdout, reason = "benchmark binary")]

use std::hint::black_box;
use std::time::Instant;

use ferry_core::adapter::{self, AnswerContext, StreamTranslator, Target};
use ferry_core::wire::ChatRequest;
use ferry_core::{Config, ProviderId, quota, resolve_provider};

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

/// `len` characters of base64-looking data (a fixed pseudo-random sequence).
fn base64_data(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            char::from(ALPHABET[(state % 64) as usize])
        })
        .collect()
}

/// A chat request of about `size` bytes: a question and one image (`pdf`: one PDF) whose
/// data fills the rest.
fn media_request_json(size: usize, pdf: bool) -> String {
    let question = "Compare the chart in this file with last quarter's report, page by page.";
    let data = base64_data(size.saturating_sub(300) / 4 * 4);
    let part = if pdf {
        serde_json::json!({"type": "file", "file": {"filename": "report.pdf",
            "file_data": format!("data:application/pdf;base64,{data}")}})
    } else {
        serde_json::json!({"type": "image_url", "image_url": {
            "url": format!("data:image/jpeg;base64,{data}")}})
    };
    serde_json::json!({
        "model": "fixture-model", "stream": true, "max_tokens": 1024,
        "messages": [
            {"role": "system", "content": "You are Ferry."},
            {"role": "user", "content": [{"type": "text", "text": question}, part]}
        ]
    })
    .to_string()
}

/// The proxy's work on one chat body: parse, body caps, quota estimate, translation (the
/// upstream body written).
fn proxy_request(body: &[u8], header: &str, config: &Config) {
    let request: ChatRequest = serde_json::from_slice(black_box(body)).unwrap();
    config.check_chat_body(body.len() as u64, &request).unwrap();
    black_box(quota::estimate_input_tokens(&request));
    let (provider, model) = resolve_provider(Some(header), &request.model).unwrap();
    let target = Target {
        provider,
        base_url: provider.info().default_base_url,
        key: "sk-bench",
    };
    black_box(adapter::chat_request(&target, request, model).unwrap());
}

fn media(formats: [ProviderId; 3]) {
    // Caps that take the 4 MiB bodies (the default media cap is lower).
    let config = Config::from_lookup(|name| {
        (name == "MAX_MEDIA_BODY_BYTES").then(|| (8 * 1024 * 1024).to_string())
    });
    println!(
        "\nrequests with media: parse + body caps + quota estimate + translate (median; fastest)\n"
    );
    println!(
        "{:<10} {:>22} {:>22} {:>22} {:>22}",
        "format", "1 MiB image", "1 MiB PDF", "4 MiB image", "4 MiB PDF"
    );
    let bodies: Vec<Vec<u8>> = [(1, false), (1, true), (4, false), (4, true)]
        .into_iter()
        .map(|(mib, pdf)| media_request_json(mib * 1024 * 1024 - 64, pdf).into_bytes())
        .collect();
    for provider in formats {
        let header = provider.as_str();
        let cells: Vec<String> = bodies
            .iter()
            .map(|body| {
                let times = batches(|| proxy_request(body, header, &config));
                let (median, fastest) = (times[times.len() / 2], times[0]);
                format!("{:.2} ms; {:.2} ms", median / 1e6, fastest / 1e6)
            })
            .collect();
        println!(
            "{:<10} {:>22} {:>22} {:>22} {:>22}",
            header, cells[0], cells[1], cells[2], cells[3]
        );
    }
    println!("\nparse alone (serde_json::from_slice of the 4 MiB image body):");
    let body = &bodies[2];
    let times = batches(|| {
        black_box(serde_json::from_slice::<ChatRequest>(black_box(body)).unwrap());
    });
    println!(
        "{:>10.2} ms median; {:.2} ms fastest",
        times[times.len() / 2] / 1e6,
        times[0] / 1e6
    );
}

fn main() {
    // `cargo bench` passes `--bench`; anything else is a section filter.
    let filter = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .unwrap_or_default();
    let runs = |section: &str| section.contains(filter.as_str());
    let formats = [
        ProviderId::OpenAi,
        ProviderId::Anthropic,
        ProviderId::Google,
    ];
    if runs("request stream") {
        plain(formats);
    }
    if runs("thinking stream") {
        thinking();
    }
    if runs("media request") {
        media(formats);
    }
}

fn plain(formats: [ProviderId; 3]) {
    let body = request_json();
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
}

fn thinking() {
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

//! Answers recorded from the providers' real APIs, through the translators: thinking, its
//! signatures and the usage must come out right, whatever the chunking.
//!
//! The recordings are not part of this repository. They are read from the directory named
//! by `FERRY_REAL_STREAMS`, else `real-streams` beside the repository's parent; when it is
//! absent every test here passes without checking anything.

#![cfg(not(target_family = "wasm"))]
#![expect(clippy::unwrap_used, clippy::print_stderr, reason = "test code")]

use std::path::PathBuf;

use ferry_core::ProviderId;
use ferry_core::adapter::{self, AnswerContext, StreamTranslator};
use ferry_core::wire::{
    ChatChunk, ChatCompletion, ReasoningDetail, ReasoningFormat, ReasoningKind, Usage,
    merge_reasoning_details,
};

/// Where the recordings are: `FERRY_REAL_STREAMS`, else beside the repository's parent.
fn recordings_dir() -> PathBuf {
    std::env::var_os("FERRY_REAL_STREAMS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/real-streams"),
        PathBuf::from,
    )
}

fn recording(name: &str) -> Option<Vec<u8>> {
    let bytes = std::fs::read(recordings_dir().join(name)).ok();
    if bytes.is_none() {
        eprintln!("{name}: no recording, skipped");
    }
    bytes
}

fn context(provider: ProviderId) -> AnswerContext {
    AnswerContext {
        provider,
        model: "recorded".to_owned(),
        created: 0,
    }
}

/// What a client reassembles from a translated stream.
#[derive(Debug, Default, PartialEq)]
struct Answer {
    text: String,
    reasoning: String,
    details: Vec<ReasoningDetail>,
    tool_calls: Vec<String>,
    /// Which came first, in order: `r` thinking text, `d` a detail, `t` text, `c` a call.
    order: String,
    usage: Option<Usage>,
    done: bool,
}

fn translate(provider: ProviderId, input: &[u8], size: usize) -> Answer {
    let mut translator = StreamTranslator::new(context(provider));
    let mut out = Vec::new();
    for chunk in input.chunks(size.max(1)) {
        translator.push(chunk, &mut out);
    }
    translator.end(&mut out);
    assert!(translator.is_complete(), "{:?}", translator.failure());
    let mut answer = Answer::default();
    let mut framer = ferry_core::sse::SseFramer::new();
    for event in framer.feed(&out) {
        if event.data == "[DONE]" {
            answer.done = true;
            continue;
        }
        let chunk: ChatChunk = serde_json::from_str(&event.data).unwrap();
        if chunk.usage.is_some() {
            answer.usage = chunk.usage;
        }
        for choice in chunk.choices {
            let delta = choice.delta;
            let mut mark = |m: char| {
                if !answer.order.ends_with(m) {
                    answer.order.push(m);
                }
            };
            if let Some(text) = delta.reasoning_content.filter(|t| !t.is_empty()) {
                mark('r');
                answer.reasoning.push_str(&text);
            }
            if let Some(details) = delta.reasoning_details {
                mark('d');
                merge_reasoning_details(&mut answer.details, &details);
            }
            if let Some(text) = delta.content.filter(|t| !t.is_empty()) {
                mark('t');
                answer.text.push_str(&text);
            }
            for call in delta.tool_calls.into_iter().flatten() {
                if let Some(id) = call.id {
                    mark('c');
                    answer.tool_calls.push(id);
                }
            }
        }
    }
    answer
}

/// The same answer in 1-byte, 7-byte and whole chunks.
fn translate_all_ways(provider: ProviderId, name: &str) -> Option<(Answer, Vec<u8>)> {
    let input = recording(name)?;
    let whole = translate(provider, &input, input.len());
    for size in [1, 7] {
        assert_eq!(
            translate(provider, &input, size),
            whole,
            "{name} in {size}s"
        );
    }
    assert!(whole.done, "{name}");
    Some((whole, input))
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn anthropic_thinking_stream_gives_text_signature_and_cost() {
    let Some((answer, input)) =
        translate_all_ways(ProviderId::Anthropic, "anthropic_stream_thinking.sse")
    else {
        return;
    };
    assert!(!answer.reasoning.is_empty());
    assert!(answer.order.starts_with("rd"), "{}", answer.order);
    let [detail] = answer.details.as_slice() else {
        panic!("{:?}", answer.details);
    };
    assert_eq!(detail.kind, ReasoningKind::Text);
    assert!(detail.is_from(&ReasoningFormat::Anthropic));
    assert_eq!(detail.text.as_deref(), Some(answer.reasoning.as_str()));
    let signature = detail.signature.as_deref().unwrap();
    assert!(signature.len() > 100 && contains(&input, signature));
    let usage = answer.usage.unwrap();
    assert_eq!((usage.prompt_tokens, usage.completion_tokens), (46, 133));
    // No thinking count in this recording: estimated from the text.
    assert_eq!(
        usage.reasoning_tokens(),
        ferry_core::tokens::estimate(&answer.reasoning)
    );
    assert!(usage.cost.unwrap() > 0.0);
}

#[test]
fn anthropic_thinking_before_tool_use_keeps_its_order_and_count() {
    let Some((answer, _)) = translate_all_ways(
        ProviderId::Anthropic,
        "anthropic_stream_thinking_tool_use.sse",
    ) else {
        return;
    };
    assert_eq!(answer.order, "rdc");
    assert_eq!(answer.tool_calls, ["toolu_01825dXWLSoJwCst1qTsiWdb"]);
    assert!(answer.details.first().unwrap().signature.is_some());
    // Anthropic's own count, where it sends one.
    assert_eq!(answer.usage.unwrap().reasoning_tokens(), 53);
}

#[test]
fn anthropic_redacted_thinking_comes_out_as_encrypted_details() {
    let Some((answer, input)) = translate_all_ways(
        ProviderId::Anthropic,
        "anthropic_stream_redacted_thinking.sse",
    ) else {
        return;
    };
    assert!(answer.order.starts_with("dt"), "{}", answer.order);
    assert_eq!(answer.details.len(), 2);
    for (index, detail) in (0..).zip(&answer.details) {
        assert_eq!(detail.kind, ReasoningKind::Encrypted);
        assert_eq!(detail.index, Some(index));
        assert!(contains(&input, detail.data.as_deref().unwrap()));
    }
    assert!(answer.reasoning.is_empty());
}

#[test]
fn gemini_thought_parts_are_reasoning_and_counted() {
    let Some((answer, _)) = translate_all_ways(ProviderId::Google, "gemini_stream_thinking.sse")
    else {
        return;
    };
    assert_eq!(answer.order, "rt");
    assert!(answer.reasoning.contains("Prime"));
    assert_eq!(answer.text, "3");
    let usage = answer.usage.unwrap();
    assert_eq!(usage.reasoning_tokens(), 1947);
    assert_eq!(usage.completion_tokens, 1947);
    assert_eq!(usage.total_tokens, 1977);
    assert!(usage.cost.unwrap() > 0.0);
}

fn whole(provider: ProviderId, name: &str) -> Option<ChatCompletion> {
    let body = recording(name)?;
    let answer = adapter::chat_response(&context(provider), &body).unwrap();
    Some(serde_json::from_str(&answer).unwrap())
}

#[test]
fn anthropic_whole_answer_with_thinking() {
    let Some(answer) = whole(ProviderId::Anthropic, "anthropic_json_thinking.json") else {
        return;
    };
    let message = &answer.choices.first().unwrap().message;
    let thinking = message.reasoning_content.as_deref().unwrap();
    let details = message.reasoning_details.as_deref().unwrap();
    assert_eq!(details.len(), 1);
    assert_eq!(details.first().unwrap().text.as_deref(), Some(thinking));
    assert_eq!(
        details.first().unwrap().signature.as_deref().map(str::len),
        Some(3044)
    );
    let usage = answer.usage.unwrap();
    assert_eq!(usage.completion_tokens, 964);
    assert_eq!(
        usage.reasoning_tokens(),
        ferry_core::tokens::estimate(thinking)
    );
}

#[test]
fn anthropic_whole_answer_cache_read_is_cached_tokens() {
    let Some(answer) = whole(
        ProviderId::Anthropic,
        "anthropic_json_tool_use_cache_read.json",
    ) else {
        return;
    };
    let usage = answer.usage.unwrap();
    assert_eq!(usage.prompt_tokens, 151 + 4602);
    assert_eq!(usage.cached_tokens(), 4602);
    assert_eq!(usage.cache_write_tokens(), 0);
    // claude-sonnet-4: $3 input, $0.30 cache read, $15 output per million.
    let expected = (151.0 * 3.0 + 4602.0 * 0.3 + 38.0 * 15.0) / 1e6;
    assert!((usage.cost.unwrap() - expected).abs() < 1e-9);
}

#[test]
fn gemini_whole_answer_implicit_cache_is_cached_tokens() {
    let Some(answer) = whole(ProviderId::Google, "gemini_json_implicit_cache.json") else {
        return;
    };
    let usage = answer.usage.unwrap();
    assert_eq!(usage.prompt_tokens, 3797);
    assert_eq!(usage.cached_tokens(), 3055);
    assert_eq!(usage.completion_tokens, 656 + 1549);
    assert_eq!(usage.reasoning_tokens(), 1549);
}

#[test]
fn every_recorded_stream_translates_alike_at_any_chunking() {
    let dir = recordings_dir();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("no recordings, skipped");
        return;
    };
    let raw = |provider: ProviderId, input: &[u8], size: usize| {
        let mut translator = StreamTranslator::new(context(provider));
        let mut out = Vec::new();
        for chunk in input.chunks(size.max(1)) {
            translator.push(chunk, &mut out);
        }
        translator.end(&mut out);
        (out, translator.is_complete())
    };
    let mut seen = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let provider = match name.split('_').next() {
            _ if !name.ends_with(".sse") => continue,
            Some("anthropic") => ProviderId::Anthropic,
            Some("gemini") => ProviderId::Google,
            Some("openai") => ProviderId::OpenAi,
            _ => continue,
        };
        let input = std::fs::read(entry.path()).unwrap();
        let (whole, complete) = raw(provider, &input, input.len());
        for size in [1, 7] {
            assert_eq!(
                raw(provider, &input, size),
                (whole.clone(), complete),
                "{name}"
            );
        }
        // Only the recording of an error event ends in one.
        assert_eq!(complete, !name.contains("error"), "{name}");
        seen += 1;
    }
    assert!(seen >= 10, "{seen} recordings");
}

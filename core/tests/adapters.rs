//! Data-driven adapter tests over fixtures in each provider's documented wire format.
//!
//! Requests: `<provider>/chat_request.json` (OpenAI in) must become
//! `chat_request.expected.json` (provider's body out). Streams: `<name>.sse` (provider's
//! events) must become `<name>.expected.json` (the OpenAI events, `"[DONE]"` included),
//! whatever the chunking. Answers: `<name>.json` → `<name>.expected.json`.
//!
//! `FERRY_BLESS=1 cargo test -p ferry-core --test adapters` rewrites the expected files of
//! streams and answers from the current output, for review in the diff.

#![expect(clippy::unwrap_used, reason = "test code")]

use ferry_core::ProviderId;
use ferry_core::adapter::{self, AnswerContext, StreamTranslator, Target};
use ferry_core::wire::ChatRequest;
use serde_json::Value;
use wasm_bindgen_test::wasm_bindgen_test;

const CREATED: u64 = 1_700_000_000;

fn context(provider: ProviderId, model: &str) -> AnswerContext {
    AnswerContext {
        provider,
        model: model.to_owned(),
        created: CREATED,
    }
}

/// Runs a stream through the translator in chunks of `size` bytes.
fn translate(provider: ProviderId, model: &str, input: &[u8], size: usize) -> Vec<Value> {
    let mut translator = StreamTranslator::new(context(provider, model));
    let mut out = Vec::new();
    for chunk in input.chunks(size.max(1)) {
        translator.push(chunk, &mut out);
    }
    translator.end(&mut out);
    assert!(translator.is_finished());
    let mut framer = ferry_core::sse::SseFramer::new();
    let events = framer.feed(&out);
    assert!(!framer.has_partial(), "output ends mid-event");
    events
        .into_iter()
        .map(|e| serde_json::from_str(&e.data).unwrap_or(Value::String(e.data)))
        .collect()
}

fn check_golden(path: &str, expected: &str, actual: &Value) {
    #[cfg(not(target_family = "wasm"))]
    if std::env::var_os("FERRY_BLESS").is_some() {
        let full = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
        let text = serde_json::to_string_pretty(actual).unwrap() + "\n";
        std::fs::write(full, text).unwrap();
        return;
    }
    let expected: Value = serde_json::from_str(expected).unwrap();
    assert_eq!(actual, &expected, "{path}");
}

macro_rules! stream_case {
    ($name:ident, $provider:expr, $file:literal) => {
        stream_case!($name, $provider, "fixture-model", $file);
    };
    ($name:ident, $provider:expr, $model:literal, $file:literal) => {
        #[wasm_bindgen_test(unsupported = test)]
        fn $name() {
            let input = include_bytes!(concat!("fixtures/", $file, ".sse"));
            let whole = translate($provider, $model, input, input.len());
            for size in [1, 3, 7, 17] {
                assert_eq!(
                    translate($provider, $model, input, size),
                    whole,
                    "chunks of {size}"
                );
            }
            check_golden(
                concat!($file, ".expected.json"),
                include_str!(concat!("fixtures/", $file, ".expected.json")),
                &Value::Array(whole),
            );
        }
    };
}

stream_case!(
    openai_stream_passes_through,
    ProviderId::OpenAi,
    "openai/stream_text"
);
stream_case!(
    openai_stream_cut_ends_in_error,
    ProviderId::OpenAi,
    "openai/stream_cut"
);
stream_case!(
    anthropic_stream_text,
    ProviderId::Anthropic,
    "anthropic/stream_text"
);
stream_case!(
    anthropic_stream_tools,
    ProviderId::Anthropic,
    "anthropic/stream_tools"
);
stream_case!(
    anthropic_stream_error_event,
    ProviderId::Anthropic,
    "anthropic/stream_overloaded"
);
stream_case!(
    anthropic_stream_cut,
    ProviderId::Anthropic,
    "anthropic/stream_cut"
);
stream_case!(
    anthropic_stream_thinking_redacted_then_tool_use,
    ProviderId::Anthropic,
    "anthropic/stream_thinking"
);
stream_case!(
    google_stream_thought_parts_and_text_signature,
    ProviderId::Google,
    "google/stream_thinking"
);
stream_case!(
    openai_stream_reasoning_tokens_get_a_cost,
    ProviderId::OpenAi,
    "o4-mini",
    "openai/stream_reasoning_usage"
);
stream_case!(
    deepseek_stream_reasoning_content_passes,
    ProviderId::DeepSeek,
    "deepseek-reasoner",
    "deepseek/stream_reasoning"
);
stream_case!(
    openrouter_stream_reasoning_becomes_reasoning_content,
    ProviderId::OpenRouter,
    "anthropic/claude-sonnet-4.5",
    "openrouter/stream_reasoning"
);
stream_case!(google_stream_text, ProviderId::Google, "google/stream_text");
stream_case!(
    google_stream_tools,
    ProviderId::Google,
    "google/stream_tools"
);
stream_case!(
    google_stream_unfinished,
    ProviderId::Google,
    "google/stream_unfinished"
);

macro_rules! request_case {
    ($name:ident, $provider:expr, $dir:literal) => {
        request_case!($name, $provider, $dir, "chat_request");
    };
    ($name:ident, $provider:expr, $dir:literal, $file:literal) => {
        #[wasm_bindgen_test(unsupported = test)]
        fn $name() {
            let request: ChatRequest = serde_json::from_str(include_str!(concat!(
                "fixtures/",
                $dir,
                "/",
                $file,
                ".json"
            )))
            .unwrap();
            let model = request.model.clone();
            let target = Target {
                provider: $provider,
                base_url: "https://upstream.test",
                key: "sk-fixture",
            };
            let upstream = adapter::chat_request(&target, request, model).unwrap();
            let body: Value = serde_json::from_str(upstream.body.as_deref().unwrap()).unwrap();
            let expected: Value = serde_json::from_str(include_str!(concat!(
                "fixtures/",
                $dir,
                "/",
                $file,
                ".expected.json"
            )))
            .unwrap();
            assert_eq!(body, expected);
        }
    };
}

request_case!(
    openai_request_adds_usage_option,
    ProviderId::OpenAi,
    "openai"
);
request_case!(
    anthropic_request_translation,
    ProviderId::Anthropic,
    "anthropic"
);
request_case!(google_request_translation, ProviderId::Google, "google");
request_case!(
    openai_request_passes_images_and_files_as_they_are,
    ProviderId::OpenAi,
    "openai",
    "chat_request_files"
);
request_case!(
    anthropic_request_images_and_pdfs_become_image_and_document_blocks,
    ProviderId::Anthropic,
    "anthropic",
    "chat_request_files"
);
request_case!(
    google_request_images_and_pdfs_become_inline_data,
    ProviderId::Google,
    "google",
    "chat_request_files"
);

macro_rules! answer_case {
    ($name:ident, $provider:expr, $file:literal) => {
        answer_case!($name, $provider, "fixture-model", $file);
    };
    ($name:ident, $provider:expr, $model:literal, $file:literal) => {
        #[wasm_bindgen_test(unsupported = test)]
        fn $name() {
            let body = include_bytes!(concat!("fixtures/", $file, ".json"));
            let answer = adapter::chat_response(&context($provider, $model), body).unwrap();
            check_golden(
                concat!($file, ".expected.json"),
                include_str!(concat!("fixtures/", $file, ".expected.json")),
                &serde_json::from_str(&answer).unwrap(),
            );
        }
    };
}

answer_case!(
    anthropic_answer_with_tools,
    ProviderId::Anthropic,
    "anthropic/response_tools"
);
answer_case!(
    google_answer_with_tools,
    ProviderId::Google,
    "google/response_tools"
);

#[wasm_bindgen_test(unsupported = test)]
fn upstream_urls_and_auth_headers() {
    let request: ChatRequest = serde_json::from_value(serde_json::json!({
        "model": "m", "stream": true, "messages": [{"role": "user", "content": "hi"}]
    }))
    .unwrap();
    let cases = [
        (
            ProviderId::OpenAi,
            "https://api.openai.com/v1/chat/completions",
            ("authorization", "Bearer k"),
        ),
        (
            ProviderId::Anthropic,
            "https://api.anthropic.com/v1/messages",
            ("x-api-key", "k"),
        ),
        (
            ProviderId::Google,
            "https://generativelanguage.googleapis.com/v1beta/models/m:streamGenerateContent?alt=sse",
            ("x-goog-api-key", "k"),
        ),
    ];
    for (provider, url, auth) in cases {
        let target = Target {
            provider,
            base_url: provider.info().default_base_url,
            key: "k",
        };
        let upstream = adapter::chat_request(&target, request.clone(), "m".into()).unwrap();
        assert_eq!(upstream.url, url);
        assert!(
            upstream
                .headers
                .iter()
                .any(|(n, v)| (*n, v.as_str()) == auth),
            "{provider}: {:?}",
            upstream.headers.iter().map(|(n, _)| n).collect::<Vec<_>>()
        );
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn gemini_model_names_are_one_encoded_path_segment() {
    let target = Target {
        provider: ProviderId::Google,
        base_url: "https://g.example",
        key: "k",
    };
    let request: ChatRequest = serde_json::from_value(serde_json::json!({
        "model": "x", "messages": [{"role": "user", "content": "hi"}]
    }))
    .unwrap();
    let url = |model: &str| {
        adapter::chat_request(&target, request.clone(), model.into())
            .unwrap()
            .url
    };
    assert_eq!(
        url("gemini-2.5-flash"),
        "https://g.example/v1beta/models/gemini-2.5-flash:generateContent"
    );
    assert_eq!(
        url("gemini?key=x#frag"),
        "https://g.example/v1beta/models/gemini%3Fkey%3Dx%23frag:generateContent"
    );
    assert_eq!(
        url("../../v1/files"),
        "https://g.example/v1beta/models/..%2F..%2Fv1%2Ffiles:generateContent"
    );
    assert_eq!(
        url("a b:c%d é"),
        "https://g.example/v1beta/models/a%20b%3Ac%25d%20%C3%A9:generateContent"
    );
    let embeddings: ferry_core::wire::EmbeddingsRequest =
        serde_json::from_value(serde_json::json!({"model": "x", "input": "hi"})).unwrap();
    let upstream = adapter::embeddings_request(&target, embeddings, "e/../m?".into()).unwrap();
    assert_eq!(
        upstream.url,
        "https://g.example/v1beta/models/e%2F..%2Fm%3F:batchEmbedContents"
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn translated_providers_refuse_what_they_cannot_honour() {
    let request: ChatRequest = serde_json::from_value(serde_json::json!({
        "model": "m", "n": 2, "messages": [{"role": "user", "content": "hi"}]
    }))
    .unwrap();
    for provider in [ProviderId::Anthropic, ProviderId::Google] {
        let target = Target {
            provider,
            base_url: "https://x",
            key: "k",
        };
        let err = adapter::chat_request(&target, request.clone(), "m".into()).unwrap_err();
        assert_eq!(err.code(), "invalid_request");
    }
    let bad_image: ChatRequest = serde_json::from_value(serde_json::json!({
        "model": "m", "messages": [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "file:///etc/passwd"}}
        ]}]
    }))
    .unwrap();
    let target = Target {
        provider: ProviderId::Anthropic,
        base_url: "https://x",
        key: "k",
    };
    assert_eq!(
        adapter::chat_request(&target, bad_image, "m".into())
            .unwrap_err()
            .status(),
        400
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn translated_providers_refuse_files_they_cannot_read() {
    for file in [
        serde_json::json!({"file_id": "file-abc"}),
        serde_json::json!({"filename": "a.docx", "file_data": "data:application/vnd.openxmlformats-officedocument.wordprocessingml.document;base64,UEsDBA=="}),
        serde_json::json!({"filename": "a.pdf", "file_data": "https://example.com/a.pdf"}),
    ] {
        let request: ChatRequest = serde_json::from_value(serde_json::json!({
            "model": "m", "messages": [{"role": "user", "content": [
                {"type": "text", "text": "read"}, {"type": "file", "file": file}
            ]}]
        }))
        .unwrap();
        for provider in [ProviderId::Anthropic, ProviderId::Google] {
            let target = Target {
                provider,
                base_url: "https://x",
                key: "k",
            };
            let error = adapter::chat_request(&target, request.clone(), "m".into()).unwrap_err();
            assert_eq!(
                (error.status(), error.code()),
                (400, "invalid_request"),
                "{provider} {file}"
            );
        }
        let target = Target {
            provider: ProviderId::OpenAi,
            base_url: "https://x",
            key: "k",
        };
        assert!(adapter::chat_request(&target, request, "m".into()).is_ok());
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn unknown_content_parts_survive_for_openai_format() {
    let raw = serde_json::json!({
        "model": "m", "messages": [{"role": "user", "content": [
            {"type": "input_audio", "input_audio": {"data": "AAA", "format": "wav"}}
        ], "x_custom": 1}]
    });
    let request: ChatRequest = serde_json::from_value(raw.clone()).unwrap();
    assert_eq!(serde_json::to_value(&request).unwrap(), raw);
}
answer_case!(
    anthropic_answer_with_thinking,
    ProviderId::Anthropic,
    "anthropic/response_thinking"
);
answer_case!(
    google_answer_with_thoughts,
    ProviderId::Google,
    "google/response_thinking"
);
answer_case!(
    openrouter_answer_reasoning_becomes_reasoning_content,
    ProviderId::OpenRouter,
    "deepseek/deepseek-r1",
    "openrouter/response_reasoning"
);
answer_case!(
    deepseek_answer_reasoning_content_passes,
    ProviderId::DeepSeek,
    "deepseek-reasoner",
    "deepseek/response_reasoning"
);

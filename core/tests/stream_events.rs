//! The typed stream the agent reads is the stream the proxy sends: over every recorded
//! stream, [`StreamReader`]'s events are the `<name>.expected.json` events of the
//! translator's bytes, whatever the chunking, and end in exactly one `Done` or `Error`.

#![expect(clippy::unwrap_used, reason = "test code")]

use ferry_core::ProviderId;
use ferry_core::adapter::AnswerContext;
use ferry_core::stream::{StreamEvent, StreamReader};
use ferry_core::wire::ChatChunk;
use serde_json::Value;
use wasm_bindgen_test::wasm_bindgen_test;

fn read(provider: ProviderId, input: &[u8], size: usize) -> Vec<StreamEvent> {
    let mut reader = StreamReader::new(AnswerContext {
        provider,
        model: "fixture-model".to_owned(),
        created: 1_700_000_000,
    });
    let mut events = Vec::new();
    for chunk in input.chunks(size.max(1)) {
        reader.push(chunk, &mut events);
    }
    reader.end(&mut events);
    assert!(reader.is_ended());
    events
}

/// An expected event as the typed stream has it: chunks through [`ChatChunk`] (which keeps
/// what the agent reads, not a pass-through's extra fields), `[DONE]` and error bodies as
/// they are.
fn typed(expected: &Value) -> Value {
    match expected {
        Value::Object(o) if o.contains_key("error") => expected.clone(),
        Value::String(done) => Value::String(done.clone()),
        chunk => serde_json::to_value(serde_json::from_value::<ChatChunk>(chunk.clone()).unwrap())
            .unwrap(),
    }
}

fn check(provider: ProviderId, input: &[u8], expected: &str) {
    let expected: Vec<Value> = serde_json::from_str(expected).unwrap();
    let expected: Vec<Value> = expected.iter().map(typed).collect();
    for size in [1, 3, 17, input.len()] {
        let events = read(provider, input, size);
        let (last, chunks) = events.split_last().unwrap();
        assert!(
            chunks.iter().all(|e| matches!(e, StreamEvent::Chunk(_))),
            "one end, last"
        );
        let actual: Vec<Value> = events
            .iter()
            .map(|event| match event {
                StreamEvent::Chunk(chunk) => serde_json::to_value(chunk).unwrap(),
                StreamEvent::Done { .. } => Value::String("[DONE]".to_owned()),
                StreamEvent::Error(error) => serde_json::to_value(error.body()).unwrap(),
            })
            .collect();
        assert_eq!(actual, expected, "chunks of {size}");
        if let StreamEvent::Done { usage } = last {
            assert!(
                usage.is_some(),
                "every recorded complete stream reports usage"
            );
        }
    }
}

macro_rules! typed_case {
    ($name:ident, $provider:expr, $file:literal) => {
        #[wasm_bindgen_test(unsupported = test)]
        fn $name() {
            check(
                $provider,
                include_bytes!(concat!("fixtures/", $file, ".sse")),
                include_str!(concat!("fixtures/", $file, ".expected.json")),
            );
        }
    };
}

typed_case!(openai_text, ProviderId::OpenAi, "openai/stream_text");
typed_case!(openai_cut, ProviderId::OpenAi, "openai/stream_cut");
typed_case!(
    anthropic_text,
    ProviderId::Anthropic,
    "anthropic/stream_text"
);
typed_case!(
    anthropic_tools,
    ProviderId::Anthropic,
    "anthropic/stream_tools"
);
typed_case!(anthropic_cut, ProviderId::Anthropic, "anthropic/stream_cut");
typed_case!(
    anthropic_overloaded,
    ProviderId::Anthropic,
    "anthropic/stream_overloaded"
);
typed_case!(google_text, ProviderId::Google, "google/stream_text");
typed_case!(google_tools, ProviderId::Google, "google/stream_tools");
typed_case!(
    google_unfinished,
    ProviderId::Google,
    "google/stream_unfinished"
);

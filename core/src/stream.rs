//! A translated answer stream as typed events, for a client in the same program (the
//! browser agent calling a provider directly, or reading the proxy's stream).
//!
//! The proxy sends [`StreamTranslator`]'s bytes on as they are: OpenAI-format providers'
//! events pass through untouched (their extra fields included), which no typed value
//! could reproduce byte for byte. [`StreamReader`] reads those same bytes back into
//! [`StreamEvent`]s, so the agent never frames or digs into JSON itself, and both see one
//! stream.

use crate::adapter::{AnswerContext, StreamTranslator};
use crate::sse::{self, SseEvent, SseFramer};
use crate::wire::{ChatChunk, Usage};
use crate::{ProviderId, ProxyError};

/// One event of an answer stream. A stream ends in exactly one `Done` or `Error`.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    Chunk(ChatChunk),
    /// The answer is complete; the usage the provider reported, if any.
    Done {
        usage: Option<Usage>,
    },
    /// The answer broke off: the provider's error event, an unreadable event, a cut or a
    /// failed connection.
    Error(ProxyError),
}

/// Turns upstream bytes into [`StreamEvent`]s, through a [`StreamTranslator`].
#[derive(Debug)]
pub struct StreamReader {
    translator: StreamTranslator,
    provider: ProviderId,
    framer: SseFramer,
    /// The translator's output of one step, reused.
    bytes: Vec<u8>,
    frames: Vec<SseEvent>,
    ended: bool,
}

impl StreamReader {
    pub fn new(context: AnswerContext) -> Self {
        Self {
            provider: context.provider,
            translator: StreamTranslator::new(context),
            framer: SseFramer::new(),
            bytes: Vec::new(),
            frames: Vec::new(),
            ended: false,
        }
    }

    /// Feeds upstream bytes; appends the events they complete.
    pub fn push(&mut self, bytes: &[u8], out: &mut Vec<StreamEvent>) {
        self.bytes.clear();
        self.translator.push(bytes, &mut self.bytes);
        self.decode(out);
    }

    /// The upstream stream ended: `Done`, or an `Error` when the answer was not complete.
    pub fn end(&mut self, out: &mut Vec<StreamEvent>) {
        self.bytes.clear();
        self.translator.end(&mut self.bytes);
        self.decode(out);
    }

    /// Ends the stream with `error` (the connection failed), unless it has ended.
    pub fn fail(&mut self, error: &ProxyError, out: &mut Vec<StreamEvent>) {
        self.bytes.clear();
        self.translator.fail(error, &mut self.bytes);
        self.decode(out);
    }

    /// Whether the stream has ended (its `Done` or `Error` given).
    pub fn is_ended(&self) -> bool {
        self.ended
    }

    /// Usage the provider reported so far.
    pub fn usage(&self) -> Option<Usage> {
        self.translator.usage()
    }

    fn decode(&mut self, out: &mut Vec<StreamEvent>) {
        if self.ended {
            return;
        }
        let mut frames = std::mem::take(&mut self.frames);
        self.framer.push(&self.bytes, &mut frames);
        for frame in frames.drain(..) {
            let event = self.event(&frame.data);
            self.ended = !matches!(event, StreamEvent::Chunk(_));
            out.push(event);
            if self.ended {
                break;
            }
        }
        frames.clear();
        self.frames = frames;
        // A dialect that finished properly without a `[DONE]` event still ends in `Done`.
        if !self.ended && self.translator.is_complete() {
            self.ended = true;
            out.push(StreamEvent::Done {
                usage: self.translator.usage(),
            });
        }
    }

    fn event(&self, data: &str) -> StreamEvent {
        if data == sse::DONE {
            return StreamEvent::Done {
                usage: self.translator.usage(),
            };
        }
        if let Ok(chunk) = crate::json::read::<ChatChunk>(data.as_bytes()) {
            return StreamEvent::Chunk(chunk);
        }
        // The translator's error event is the last it writes, and it keeps the error.
        match self.translator.failure() {
            Some(failure) if data == failure.to_json() => StreamEvent::Error(failure.clone()),
            _ => StreamEvent::Error(ProxyError::upstream(self.provider, "the answer broke off")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn reader(provider: ProviderId) -> StreamReader {
        StreamReader::new(AnswerContext {
            provider,
            model: "m".to_owned(),
            created: 1,
        })
    }

    fn read(provider: ProviderId, input: &str) -> Vec<StreamEvent> {
        let mut reader = reader(provider);
        let mut events = Vec::new();
        for chunk in input.as_bytes().chunks(7) {
            reader.push(chunk, &mut events);
        }
        reader.end(&mut events);
        assert!(reader.is_ended());
        events
    }

    fn texts(events: &[StreamEvent]) -> Vec<String> {
        events
            .iter()
            .map(|e| match e {
                StreamEvent::Chunk(c) => c
                    .choices
                    .first()
                    .and_then(|c| c.delta.content.clone())
                    .unwrap_or_default(),
                StreamEvent::Done { usage } => format!("done {:?}", usage.map(|u| u.total_tokens)),
                StreamEvent::Error(e) => format!("error {e}"),
            })
            .collect()
    }

    const OPENAI_CHUNK: &str = r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}],"system_fingerprint":"fp"}"#;

    #[wasm_bindgen_test(unsupported = test)]
    fn a_complete_stream_is_chunks_then_done_with_usage() {
        let usage = r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}"#;
        let input = format!("data: {OPENAI_CHUNK}\n\ndata: {usage}\n\ndata: [DONE]\n\n");
        let events = read(ProviderId::OpenAi, &input);
        assert_eq!(texts(&events), ["Hi", "", "done Some(5)"]);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_translated_stream_ends_in_done() {
        let input = concat!(
            "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hi\"}],\"role\":\"model\"},\"index\":0}]}\n\n",
            "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"!\"}],\"role\":\"model\"},\"finishReason\":\"STOP\",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":3,\"candidatesTokenCount\":2,\"totalTokenCount\":5}}\n\n",
        );
        let events = read(ProviderId::Google, input);
        assert_eq!(
            texts(&events).last().map(String::as_str),
            Some("done Some(5)")
        );
        assert!(texts(&events).contains(&"Hi".to_owned()));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn errors_end_the_stream_once_with_their_own_words() {
        // The provider's error event.
        let input = format!(
            "data: {OPENAI_CHUNK}\n\ndata: {{\"error\":{{\"message\":\"overloaded\"}}}}\n\ndata: {OPENAI_CHUNK}\n\n"
        );
        let events = read(ProviderId::OpenAi, &input);
        assert_eq!(texts(&events), ["Hi", "error overloaded"]);
        // A cut.
        let events = read(ProviderId::OpenAi, &format!("data: {OPENAI_CHUNK}\n\n"));
        assert_eq!(
            texts(&events),
            ["Hi", "error openai ended the stream before [DONE]"]
        );
        // An event that is no chunk.
        let events = read(
            ProviderId::OpenAi,
            "data: {\"object\":\"ping\"}\n\ndata: [DONE]\n\n",
        );
        assert_eq!(texts(&events), ["error the answer broke off"]);
        // A failed connection; nothing after the end.
        let mut reader = reader(ProviderId::Anthropic);
        let mut events = Vec::new();
        reader.fail(&ProxyError::invalid("connection reset"), &mut events);
        reader.end(&mut events);
        reader.push(OPENAI_CHUNK.as_bytes(), &mut events);
        assert_eq!(texts(&events), ["error connection reset"]);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn thinking_reads_back_as_typed_reasoning_and_details() {
        let input = concat!(
            "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m1\",\"model\":\"claude-sonnet-4-5\",\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\n",
            "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}}\n\n",
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"Hmm.\"}}\n\n",
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\",\"signature\":\"c2ln\"}}\n\n",
            "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
            "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":9}}\n\n",
            "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
        );
        let events = read(ProviderId::Anthropic, input);
        let deltas: Vec<_> = events
            .iter()
            .filter_map(|e| match e {
                StreamEvent::Chunk(c) => c.choices.first().map(|c| c.delta.clone()),
                _ => None,
            })
            .collect();
        let thinking: String = deltas
            .iter()
            .filter_map(|d| d.reasoning_content.clone())
            .collect();
        assert_eq!(thinking, "Hmm.");
        let details: Vec<_> = deltas
            .iter()
            .filter_map(|d| d.reasoning_details.clone())
            .flatten()
            .collect();
        assert_eq!(
            details,
            [crate::wire::ReasoningDetail::text(
                crate::wire::ReasoningFormat::Anthropic,
                0,
                "Hmm.",
                Some("c2ln".to_owned())
            )]
        );
        let Some(StreamEvent::Done { usage: Some(usage) }) = events.last() else {
            panic!("{events:?}");
        };
        assert_eq!(usage.reasoning_tokens(), 1);
        assert!(usage.cost.is_some_and(|c| c > 0.0));
    }
}

//! The stream translator: upstream bytes in, the client's OpenAI chunk events out.

use super::{AnswerContext, anthropic, google, openai};
use crate::sse::{self, SseEvent, SseFramer};
use crate::wire::Usage;
use crate::{ProxyError, WireFormat};

/// Turns an upstream event stream into an OpenAI `chat.completion.chunk` stream, one event
/// at a time: framing, translation, the closing usage chunk and `[DONE]`, or one error event.
#[derive(Debug)]
pub struct StreamTranslator {
    framer: SseFramer,
    events: Vec<SseEvent>,
    dialect: Dialect,
    finished: bool,
    failure: Option<ProxyError>,
    /// Characters of answer text sent to the client so far (content, reasoning, tool-call
    /// arguments): what an unfinished stream is estimated by.
    output_chars: u64,
}

#[derive(Debug)]
enum Dialect {
    OpenAi(openai::StreamState),
    Anthropic(anthropic::StreamState),
    Google(google::StreamState),
}

impl StreamTranslator {
    pub fn new(context: AnswerContext) -> Self {
        let dialect = match context.provider.info().wire {
            WireFormat::OpenAi => Dialect::OpenAi(openai::StreamState::new(context)),
            WireFormat::Anthropic => Dialect::Anthropic(anthropic::StreamState::new(context)),
            WireFormat::Google => Dialect::Google(google::StreamState::new(context)),
        };
        Self {
            framer: SseFramer::new(),
            events: Vec::new(),
            dialect,
            finished: false,
            failure: None,
            output_chars: 0,
        }
    }

    /// Feeds upstream bytes; appends the client's bytes for every event they complete.
    /// After an error (written to `out` as one error event) the stream is over and further
    /// input is ignored: check [`Self::is_finished`].
    pub fn push(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        if self.finished {
            return;
        }
        let start = out.len();
        // The event buffer is reused across pushes to spare an allocation per chunk.
        let mut events = std::mem::take(&mut self.events);
        self.framer.push(bytes, &mut events);
        for event in events.drain(..) {
            let step = match &mut self.dialect {
                Dialect::OpenAi(state) => state.on_event(&event, out),
                Dialect::Anthropic(state) => state.on_event(&event, out),
                Dialect::Google(state) => state.on_event(&event, out),
            };
            match step {
                Ok(Progress::More) => {}
                Ok(Progress::Done) => {
                    self.finished = true;
                    break;
                }
                Err(error) => {
                    self.fail(&error, out);
                    break;
                }
            }
        }
        events.clear();
        self.events = events;
        self.output_chars += answer_chars(out.get(start..).unwrap_or_default());
    }

    /// The upstream stream ended: close the client's stream properly, or with an error
    /// event when the answer was not complete.
    pub fn end(&mut self, out: &mut Vec<u8>) {
        if self.finished {
            return;
        }
        let step = match &mut self.dialect {
            Dialect::OpenAi(state) => state.on_end(out),
            Dialect::Anthropic(state) => state.on_end(out),
            Dialect::Google(state) => state.on_end(out),
        };
        match step {
            Ok(()) => self.finished = true,
            Err(error) => self.fail(&error, out),
        }
    }

    /// Ends the client's stream with one error event (upstream broke, or timed out).
    pub fn fail(&mut self, error: &ProxyError, out: &mut Vec<u8>) {
        if !self.finished {
            self.finished = true;
            sse::write_data(out, &error.to_json());
            self.failure = Some(error.clone());
        }
    }

    /// Why the stream ended in an error event, if it did.
    pub fn failure(&self) -> Option<&ProxyError> {
        self.failure.as_ref()
    }

    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Characters of answer text the client has been sent so far.
    pub fn output_chars(&self) -> u64 {
        self.output_chars
    }

    /// Whether the stream ended properly (not with an error event, not cut short).
    pub fn is_complete(&self) -> bool {
        self.finished && self.failure.is_none()
    }

    /// Usage the provider reported so far (complete once the stream has finished).
    pub fn usage(&self) -> Option<Usage> {
        match &self.dialect {
            Dialect::OpenAi(state) => state.usage(),
            Dialect::Anthropic(state) => state.usage(),
            Dialect::Google(state) => state.usage(),
        }
    }
}

/// Characters of answer text in OpenAI chunk events: the string values of `content`,
/// `reasoning_content` and `arguments` (an escape counts as one character). A search, no
/// parse: the chunks are compact JSON, and a key inside a string value would be escaped.
fn answer_chars(events: &[u8]) -> u64 {
    // One pass over the string-valued fields (`"key":"`), keeping the answer's.
    let mut count = 0;
    let mut from = 0;
    while let Some(at) = events
        .get(from..)
        .and_then(|rest| sse::find_either(rest, b':', b':'))
    {
        let colon = from + at;
        from = colon + 1;
        let quoted = colon > 0
            && events.get(colon - 1) == Some(&b'"')
            && events.get(colon + 1) == Some(&b'"');
        if !quoted {
            continue;
        }
        let key = events.get(..colon - 1).unwrap_or_default();
        if key.ends_with(b"content") || key.ends_with(b"arguments") {
            let (chars, len) = string_chars(events.get(colon + 2..).unwrap_or_default());
            count += chars;
            from = colon + 2 + len;
        }
    }
    count
}

/// Characters of a JSON string's body, up to its closing quote, and the bytes they take.
fn string_chars(body: &[u8]) -> (u64, usize) {
    let mut count = 0;
    let mut i = 0;
    while let Some(&byte) = body.get(i) {
        match byte {
            b'"' => break,
            b'\\' => {
                // `\uXXXX` is one character; other escapes are two bytes.
                i += if body.get(i + 1) == Some(&b'u') { 6 } else { 2 };
                count += 1;
                continue;
            }
            // UTF-8 continuation bytes belong to a character already counted.
            0x80..=0xBF => {}
            _ => count += 1,
        }
        i += 1;
    }
    (count, i.min(body.len()))
}

/// What a dialect's stream state says after one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Progress {
    More,
    /// The client's stream is complete (`[DONE]` written).
    Done,
}

/// Writes a chunk as one `data:` event, serialised in place: compact JSON has no line
/// break, so it is one `data:` line.
pub(crate) fn write_chunk(out: &mut Vec<u8>, chunk: &crate::wire::ChatChunk) {
    let start = out.len();
    out.extend_from_slice(b"data: ");
    if serde_json::to_writer(&mut *out, chunk).is_ok() {
        out.extend_from_slice(b"\n\n");
    } else {
        out.truncate(start);
    }
}

/// Writes one `data:` event of a chunk with a single choice carrying `delta`: the same
/// bytes as serialising [`crate::wire::ChatChunk::delta`], without building one (the id,
/// object and model strings would be copied for every event).
pub(crate) fn write_delta(
    out: &mut Vec<u8>,
    id: &str,
    created: u64,
    model: &str,
    delta: &crate::wire::Delta,
) {
    let start = out.len();
    out.extend_from_slice(b"data: {\"id\":");
    let written = serde_json::to_writer(&mut *out, id).and_then(|()| {
        out.extend_from_slice(b",\"object\":\"chat.completion.chunk\",\"created\":");
        out.extend_from_slice(created.to_string().as_bytes());
        out.extend_from_slice(b",\"model\":");
        serde_json::to_writer(&mut *out, model)?;
        out.extend_from_slice(b",\"choices\":[{\"index\":0,\"delta\":");
        serde_json::to_writer(&mut *out, delta)
    });
    match written {
        Ok(()) => out.extend_from_slice(b",\"finish_reason\":null}]}\n\n"),
        Err(_) => out.truncate(start),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ProviderId;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn answer_text_is_counted_in_chunk_events() {
        let events = concat!(
            "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n",
            "data: {\"choices\":[{\"delta\":{\"content\":\"Hé \\\"x\\\" \\u00e9\\n\"}}]}\n\n",
            "data: {\"choices\":[{\"delta\":{\"reasoning_content\":\"abcd\"}}]}\n\n",
            "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"function\":{\"arguments\":\"{\\\"a\\\":1}\"}}]}}]}\n\n",
            "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1}}\n\n",
        );
        // "Hé \"x\" é\n" is 9 characters, "abcd" 4, {"a":1} 7.
        assert_eq!(answer_chars(events.as_bytes()), 9 + 4 + 7);
        assert_eq!(answer_chars(b"data: [DONE]\n\n"), 0);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_translator_counts_what_the_client_was_sent() {
        let mut translator = StreamTranslator::new(AnswerContext {
            provider: ProviderId::OpenAi,
            model: "m".into(),
            created: 0,
        });
        let mut out = Vec::new();
        translator.push(
            b"data: {\"id\":\"1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"}}]}\n\n",
            &mut out,
        );
        translator.push(
            b"data: {\"id\":\"1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" world\"},\"finish_reason\":\"stop\"}]}\n\n",
            &mut out,
        );
        assert_eq!(translator.output_chars(), 11);
        assert!(!translator.is_complete());
        assert_eq!(translator.usage(), None);
        translator.push(b"data: [DONE]\n\n", &mut out);
        assert!(translator.is_complete());
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_delta_event_is_the_chunk_serialised() {
        use crate::wire::{ChatChunk, Delta};
        for delta in [
            Delta::role(crate::wire::Role::Assistant),
            Delta::content("Hé \"x\"\n"),
            Delta::reasoning("think"),
        ] {
            let mut direct = Vec::new();
            write_delta(&mut direct, "msg_\"1", 17, "m/\u{e9}", &delta);
            let mut built = Vec::new();
            write_chunk(
                &mut built,
                &ChatChunk::delta("msg_\"1", 17, "m/\u{e9}", delta),
            );
            assert_eq!(
                String::from_utf8_lossy(&direct),
                String::from_utf8_lossy(&built)
            );
        }
    }
}

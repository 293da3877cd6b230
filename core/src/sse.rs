//! An incremental Server-Sent Events framer: bytes in, whole events out.
//!
//! Follows the WHATWG event-stream rules: lines end in `\n`, `\r\n` or `\r` (also when the
//! two bytes of `\r\n` arrive in different chunks); `:` starts a comment; several `data:`
//! lines join with `\n`; a blank line dispatches; an event left unfinished when the stream
//! ends is not dispatched. `id:` sets the last event id (kept across events, as a client
//! resuming with `Last-Event-ID` needs it) and `retry:` the reconnection delay; a proxied
//! model stream ignores both, an MCP client reads them.

use std::borrow::Cow;

/// One dispatched event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field, if any.
    pub event: Option<String>,
    pub data: String,
    /// The last event id when the event was dispatched (set by this or an earlier `id:`).
    pub id: Option<String>,
    /// A `retry:` field (milliseconds) read since the previous event was dispatched.
    pub retry: Option<u64>,
}

#[derive(Debug, Default)]
pub struct SseFramer {
    /// Bytes of the line not yet ended.
    line: Vec<u8>,
    /// The last chunk ended in `\r`: a `\n` opening the next one belongs to it.
    after_cr: bool,
    /// Whether the first line (which may open with a byte-order mark) has been read.
    started: bool,
    event: Option<String>,
    data: String,
    has_data: bool,
    last_event_id: Option<String>,
    retry: Option<u64>,
    /// The last `retry:` of the whole stream, kept after dispatch.
    last_retry: Option<u64>,
}

impl SseFramer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds bytes, appending every event they complete to `out`.
    pub fn push(&mut self, mut bytes: &[u8], out: &mut Vec<SseEvent>) {
        if self.after_cr {
            self.after_cr = false;
            bytes = bytes.strip_prefix(b"\n").unwrap_or(bytes);
        }
        while let Some(end) = find_either(bytes, b'\n', b'\r') {
            let (head, rest) = bytes.split_at(end);
            // The line is read in place unless part of it came in an earlier chunk.
            let mut pending = std::mem::take(&mut self.line);
            let whole = if pending.is_empty() {
                head
            } else {
                pending.extend_from_slice(head);
                pending.as_slice()
            };
            let text = match std::str::from_utf8(whole) {
                Ok(text) => Cow::Borrowed(text),
                Err(_) => String::from_utf8_lossy(whole),
            };
            let line = if self.started {
                &*text
            } else {
                self.started = true;
                text.strip_prefix('\u{feff}').unwrap_or(&text)
            };
            self.on_line(line, out);
            drop(text);
            pending.clear();
            self.line = pending;
            bytes = match rest {
                [b'\r', b'\n', tail @ ..] => tail,
                [b'\r'] => {
                    self.after_cr = true;
                    &[]
                }
                [_, tail @ ..] => tail,
                [] => &[],
            };
        }
        self.line.extend_from_slice(bytes);
    }

    /// Convenience: feeds bytes and returns the completed events.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<SseEvent> {
        let mut out = Vec::new();
        self.push(bytes, &mut out);
        out
    }

    /// Whether bytes of an unfinished event are held (the stream was cut mid-event).
    pub fn has_partial(&self) -> bool {
        !self.line.is_empty() || self.has_data || self.event.is_some()
    }

    /// The last event id read so far (also from events with no data), for `Last-Event-ID`.
    pub fn last_event_id(&self) -> Option<&str> {
        self.last_event_id.as_deref()
    }

    /// The last reconnection delay the stream asked for, in milliseconds.
    pub fn retry_ms(&self) -> Option<u64> {
        self.last_retry
    }

    fn on_line(&mut self, line: &str, out: &mut Vec<SseEvent>) {
        if line.is_empty() {
            if self.has_data {
                out.push(SseEvent {
                    event: self.event.take(),
                    data: std::mem::take(&mut self.data),
                    id: self.last_event_id.clone(),
                    retry: self.retry.take(),
                });
            }
            self.retry = None;
            self.event = None;
            self.data.clear();
            self.has_data = false;
            return;
        }
        if line.starts_with(':') {
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match field {
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            "event" => self.event = Some(value.to_owned()),
            // An id holding NUL is ignored (WHATWG); an empty one resets it.
            "id" if !value.contains('\0') => {
                self.last_event_id = (!value.is_empty()).then(|| value.to_owned());
            }
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                let ms = value.parse().ok();
                self.retry = ms;
                self.last_retry = ms;
            }
            _ => {}
        }
    }
}

/// The index of the first byte of `bytes` that is `a` or `b`. Eight bytes at a time: the
/// lines of a stream are long (thinking text, signatures) and this is its hottest loop.
pub(crate) fn find_either(bytes: &[u8], a: u8, b: u8) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let (fill_a, fill_b) = (ONES * u64::from(a), ONES * u64::from(b));
    // Whether a word holds a zero byte (exact as a yes or no, not as to where).
    let has_zero = |word: u64| word.wrapping_sub(ONES) & !word & HIGHS != 0;
    let mut start = 0;
    for chunk in bytes.chunks_exact(8) {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        if has_zero(word ^ fill_a) || has_zero(word ^ fill_b) {
            break;
        }
        start += 8;
    }
    let at = bytes.get(start..)?.iter().position(|&x| x == a || x == b)?;
    Some(start + at)
}

/// Appends one `data:` event to `out`; a line break in `data` becomes a further `data:`
/// line, so the client's framer joins it back as it was.
pub fn write_data(out: &mut Vec<u8>, data: &str) {
    for line in data.split('\n') {
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(line.strip_suffix('\r').unwrap_or(line).as_bytes());
        out.push(b'\n');
    }
    out.push(b'\n');
}

/// The event that ends an OpenAI stream.
pub const DONE: &str = "[DONE]";

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn find_either_finds_the_first_of_two_bytes_anywhere() {
        let text = b"0123456789abcdef0123456789abcdef!";
        for at in 0..text.len() {
            let mut bytes = text.to_vec();
            if let Some(byte) = bytes.get_mut(at) {
                *byte = b'\r';
            }
            bytes.push(b'\n');
            assert_eq!(find_either(&bytes, b'\n', b'\r'), Some(at));
        }
        assert_eq!(find_either(text, b'\n', b'\r'), None);
        assert_eq!(find_either(b"", b'\n', b'\r'), None);
        // Bytes just above and below the ones looked for are no match.
        assert_eq!(
            find_either(b"\x09\x0b\x0c\x0e\x8a\x8d\xff\x00\x0a", b'\n', b'\r'),
            Some(8)
        );
    }

    fn data(d: &str) -> SseEvent {
        SseEvent {
            data: d.to_owned(),
            ..SseEvent::default()
        }
    }

    /// Every way of cutting `input` in two gives the same events as feeding it whole.
    fn assert_split_invariant(input: &[u8], expected: &[SseEvent]) {
        assert_eq!(SseFramer::new().feed(input), expected, "whole");
        for cut in 0..=input.len() {
            let mut framer = SseFramer::new();
            let mut events = framer.feed(&input[..cut]);
            events.extend(framer.feed(&input[cut..]));
            assert_eq!(events, expected, "cut at {cut}");
        }
        let mut framer = SseFramer::new();
        let bytewise: Vec<_> = input.iter().flat_map(|b| framer.feed(&[*b])).collect();
        assert_eq!(bytewise, expected, "byte by byte");
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn line_endings_of_every_kind() {
        for input in [
            &b"data: a\n\ndata: b\n\n"[..],
            b"data: a\r\n\r\ndata: b\r\n\r\n",
            b"data: a\r\rdata: b\r\r",
            b"data: a\r\n\ndata: b\n\r\n",
        ] {
            assert_split_invariant(input, &[data("a"), data("b")]);
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn comments_named_events_and_multi_line_data() {
        let input =
            b": keep-alive\nevent: message_start\ndata: {\"a\":\ndata: 1}\nid: 7\nretry: 10\n\n";
        assert_split_invariant(
            input,
            &[SseEvent {
                event: Some("message_start".into()),
                data: "{\"a\":\n1}".into(),
                id: Some("7".into()),
                retry: Some(10),
            }],
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_last_event_id_outlives_its_event_and_a_bad_retry_is_ignored() {
        let input = b"id: p1\nretry: 3000\ndata:\n\nretry: x\ndata: a\n\nid\ndata: b\n\n";
        let expected = [
            SseEvent {
                id: Some("p1".into()),
                retry: Some(3000),
                ..data("")
            },
            SseEvent {
                id: Some("p1".into()),
                ..data("a")
            },
            data("b"),
        ];
        assert_split_invariant(input, &expected);
        let mut framer = SseFramer::new();
        framer.feed(b"id: 9\nretry: 500\n\n");
        assert_eq!(framer.last_event_id(), Some("9"));
        assert_eq!(framer.retry_ms(), Some(500));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn field_without_space_or_colon_and_event_without_data() {
        // An event with no data is not dispatched; `data` alone is an empty data line.
        assert_split_invariant(b"event: ping\n\ndata:x\n\ndata\n\n", &[data("x"), data("")]);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn utf8_split_across_chunks_and_bom() {
        let input = "\u{feff}data: h\u{e9}llo \u{1f980}\n\n".as_bytes();
        assert_split_invariant(input, &[data("h\u{e9}llo \u{1f980}")]);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn written_events_frame_back_to_the_same_data() {
        let mut out = Vec::new();
        write_data(&mut out, "{\"a\":1}");
        write_data(&mut out, "two\nlines");
        assert_eq!(out, b"data: {\"a\":1}\n\ndata: two\ndata: lines\n\n");
        assert_eq!(
            SseFramer::new().feed(&out),
            vec![data("{\"a\":1}"), data("two\nlines")]
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn unfinished_event_is_held_not_dispatched() {
        let mut framer = SseFramer::new();
        assert!(framer.feed(b"data: {\"half\"").is_empty());
        assert!(framer.has_partial());
        let mut done = SseFramer::new();
        assert_eq!(done.feed(b"data: x\n\n"), vec![data("x")]);
        assert!(!done.has_partial());
    }
}

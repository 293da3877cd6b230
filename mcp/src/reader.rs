//! An answer's body read as JSON-RPC messages, whichever way it comes: one JSON document
//! (read at the end), or an SSE stream (each `data:` a message, as it arrives). Events
//! with empty data — the priming event servers send first — carry no message, but their
//! id counts for resumption.
//!
//! A message larger than [`MAX_MESSAGE_BYTES`] is refused rather than held: a server that
//! streams without end cannot fill the tab's memory.

use ferry_core::sse::SseFramer;

use crate::jsonrpc::{Incoming, Unreadable};

/// The largest message taken (16 MiB): room for a few large images in base64.
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

/// Reads one answer's body.
#[derive(Debug)]
pub enum AnswerReader {
    Json(Vec<u8>),
    /// The framer, and the bytes fed since it last completed an event.
    Sse(SseFramer, usize),
}

fn too_large() -> Unreadable {
    Unreadable(format!(
        "a message larger than {} MiB",
        MAX_MESSAGE_BYTES / (1024 * 1024)
    ))
}

impl AnswerReader {
    pub fn json() -> Self {
        Self::Json(Vec::new())
    }

    pub fn sse() -> Self {
        Self::Sse(SseFramer::new(), 0)
    }

    /// Feeds a chunk; the messages it completes.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<Incoming>, Unreadable> {
        match self {
            Self::Json(buffer) => {
                if buffer.len() + bytes.len() > MAX_MESSAGE_BYTES {
                    return Err(too_large());
                }
                buffer.extend_from_slice(bytes);
                Ok(Vec::new())
            }
            Self::Sse(framer, pending) => {
                let events = framer.feed(bytes);
                *pending = if events.is_empty() {
                    *pending + bytes.len()
                } else {
                    0
                };
                if *pending > MAX_MESSAGE_BYTES {
                    return Err(too_large());
                }
                let mut messages = Vec::new();
                for event in events {
                    let kind = event.event.as_deref().unwrap_or("message");
                    if kind != "message" || event.data.trim().is_empty() {
                        continue;
                    }
                    messages.extend(Incoming::parse(&event.data)?);
                }
                Ok(messages)
            }
        }
    }

    /// The body ended: the messages still held (a JSON body's).
    pub fn finish(&mut self) -> Result<Vec<Incoming>, Unreadable> {
        match self {
            Self::Json(buffer) => {
                let text = std::mem::take(buffer);
                let text = String::from_utf8_lossy(&text);
                if text.trim().is_empty() {
                    return Ok(Vec::new());
                }
                Incoming::parse(&text)
            }
            Self::Sse(..) => Ok(Vec::new()),
        }
    }

    /// The last event id seen, to resume with.
    pub fn last_event_id(&self) -> Option<&str> {
        match self {
            Self::Json(_) => None,
            Self::Sse(framer, _) => framer.last_event_id(),
        }
    }

    /// The server's reconnection delay, if it gave one.
    pub fn retry_ms(&self) -> Option<u64> {
        match self {
            Self::Json(_) => None,
            Self::Sse(framer, _) => framer.retry_ms(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jsonrpc::RequestId;
    use serde_json::json;
    use wasm_bindgen_test::wasm_bindgen_test;

    /// A long-running call's answer as the reference server streams it: a priming event
    /// (id, empty data), two progress notifications, the response.
    const LONG_RUN: &str = "id: 11111111-aaaa\ndata: \n\n\
event: message\nid: 22222222-bbbb\ndata: {\"method\":\"notifications/progress\",\"params\":{\"progress\":1,\"total\":2,\"progressToken\":\"p5\"},\"jsonrpc\":\"2.0\"}\n\n\
event: message\nid: 33333333-cccc\ndata: {\"method\":\"notifications/progress\",\"params\":{\"progress\":2,\"total\":2,\"progressToken\":\"p5\"},\"jsonrpc\":\"2.0\"}\n\n\
event: message\nid: 44444444-dddd\ndata: {\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"Long running operation completed. Duration: 2 seconds, Steps: 2.\"}]},\"jsonrpc\":\"2.0\",\"id\":5}\n\n";

    fn read_in(chunk: usize) -> (Vec<Incoming>, Option<String>) {
        let mut reader = AnswerReader::sse();
        let mut got = Vec::new();
        for piece in LONG_RUN.as_bytes().chunks(chunk) {
            got.extend(reader.push(piece).unwrap());
        }
        got.extend(reader.finish().unwrap());
        (got, reader.last_event_id().map(str::to_owned))
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn an_sse_answer_in_any_chunking() {
        let (whole, last) = read_in(LONG_RUN.len());
        assert_eq!(whole.len(), 3);
        assert!(
            matches!(&whole[0], Incoming::Notification { method, .. } if method == "notifications/progress")
        );
        assert_eq!(whole[2].answers(), Some(&RequestId::Number(5)));
        assert_eq!(last.as_deref(), Some("44444444-dddd"));
        for chunk in [1, 2, 7, 64, 333] {
            assert_eq!(read_in(chunk).0, whole, "chunks of {chunk}");
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_priming_event_alone_gives_an_id_and_no_message() {
        let mut reader = AnswerReader::sse();
        assert!(
            reader
                .push(b"id: p-1\nretry: 2500\ndata: \n\n")
                .unwrap()
                .is_empty()
        );
        assert_eq!(reader.last_event_id(), Some("p-1"));
        assert_eq!(reader.retry_ms(), Some(2500));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_json_answer_is_read_at_its_end() {
        let mut reader = AnswerReader::json();
        let body = br#"{"jsonrpc":"2.0","id":2,"result":{"tools":[]}}"#;
        assert!(reader.push(&body[..10]).unwrap().is_empty());
        assert!(reader.push(&body[10..]).unwrap().is_empty());
        assert_eq!(
            reader.finish().unwrap(),
            vec![Incoming::Response {
                id: 2.into(),
                result: json!({"tools": []})
            }]
        );
        assert!(AnswerReader::json().finish().unwrap().is_empty());
        let mut bad = AnswerReader::sse();
        assert!(bad.push(b"data: {oops\n\n").is_err());
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_message_without_end_is_refused_not_held() {
        let chunk = vec![b'x'; 1024 * 1024];
        let mut json = AnswerReader::json();
        let mut sse = AnswerReader::sse();
        let opening = [&b"data: "[..], &chunk[6..]].concat();
        for n in 0..16 {
            assert!(json.push(&chunk).unwrap().is_empty());
            let piece = if n == 0 { &opening } else { &chunk };
            assert!(sse.push(piece).unwrap().is_empty());
        }
        assert_eq!(json.push(b"x"), Err(too_large()));
        assert_eq!(sse.push(b"x"), Err(too_large()));
        // A long stream of messages each within the cap reads on.
        let mut long = AnswerReader::sse();
        let event = format!(
            "data: {}\n\n",
            json!({"jsonrpc": "2.0", "method": "notifications/message", "params": {"data": "y".repeat(1024 * 1024)}})
        );
        for _ in 0..20 {
            assert_eq!(long.push(event.as_bytes()).unwrap().len(), 1);
        }
    }
}

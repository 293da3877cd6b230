//! The fetch transport in headless Chromium against a loopback server
//! (`tests/support/sse-server.mjs`, started by `scripts/test.sh`, which passes its URL in
//! `FERRY_SSE_SERVER` and a URL where nothing listens in `FERRY_CLOSED_URL`): Server-Sent Events arrive chunk by chunk as they are sent, not
//! buffered; refusals keep their status and `Retry-After`; a closed port is a network error.
#![cfg(all(target_arch = "wasm32", feature = "browser"))]
#![expect(clippy::unwrap_used, clippy::panic, reason = "test code")]

use ferry_core::adapter::{HttpMethod, UpstreamRequest};
use ferry_core::sse::SseFramer;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_agent::browser::transport::FetchTransport;
use web_agent::transport::{Body, Transport, read_all};

wasm_bindgen_test_configure!(run_in_browser);

fn env(value: Option<&'static str>) -> &'static str {
    match value {
        Some(url) => url,
        None => panic!(
            "FERRY_SSE_SERVER / FERRY_CLOSED_URL are not set: run \
             `node web-agent/tests/support/sse-server.mjs` and build the tests with the two \
             URLs it prints (scripts/test.sh does both)"
        ),
    }
}

fn server() -> &'static str {
    env(option_env!("FERRY_SSE_SERVER"))
}

fn get(url: String) -> UpstreamRequest {
    UpstreamRequest {
        method: HttpMethod::Get,
        url,
        headers: vec![("accept", "text/event-stream".to_owned())],
        body: None,
        dropped: Vec::new(),
    }
}

#[wasm_bindgen_test]
async fn server_sent_events_stream_in_as_they_are_sent() {
    let mut answer = FetchTransport
        .send(&get(format!("{}/events?n=5&gap=60", server())))
        .await
        .unwrap();
    assert_eq!(answer.status, 200);
    let mut framer = SseFramer::new();
    let mut events = Vec::new();
    let mut chunks = Vec::new();
    while let Some(chunk) = answer.body.next().await {
        let chunk = chunk.unwrap();
        framer.push(&chunk, &mut events);
        chunks.push(String::from_utf8(chunk).unwrap());
    }
    let data: Vec<&str> = events.iter().map(|e| e.data.as_str()).collect();
    assert_eq!(
        data,
        [
            r#"{"i":0}"#,
            r#"{"i":1}"#,
            r#"{"i":2}"#,
            r#"{"i":3}"#,
            r#"{"i":4}"#,
            "[DONE]"
        ]
    );
    // Sent 60 ms apart: a buffering transport would hand over one chunk at the end.
    assert!(chunks.len() >= 3, "{chunks:?}");
    assert!(!chunks[0].contains("[DONE]"), "{chunks:?}");
}

#[wasm_bindgen_test]
async fn a_refusal_keeps_its_status_body_and_retry_after() {
    let mut answer = FetchTransport
        .send(&get(format!("{}/limited", server())))
        .await
        .unwrap();
    assert_eq!((answer.status, answer.retry_after_secs), (429, Some(7)));
    let body = read_all(&mut answer.body).await.unwrap();
    assert!(String::from_utf8(body).unwrap().contains("rate_limited"));
}

#[wasm_bindgen_test]
async fn a_closed_port_is_a_network_error() {
    let closed = env(option_env!("FERRY_CLOSED_URL"));
    let result = FetchTransport.send(&get(format!("{closed}/events"))).await;
    assert!(result.is_err());
}

//! The MCP client in headless Chromium against the real reference server (npm
//! `@modelcontextprotocol/server-everything`, Streamable HTTP) behind a recording front
//! (`tests/support/mcp-server.mjs`, started by `scripts/test.sh`, which passes the MCP
//! endpoint in `FERRY_MCP_SERVER` and the front's log in `FERRY_MCP_LOG`): connect and list,
//! call tools (text, an image, structured content), progress of a long-running call, Stop
//! mid-call (the fetch aborted, the call cancelled on the server), a forgotten session, an
//! answer stream cut mid-call and resumed with `Last-Event-ID`, the server's own stream
//! bringing a list change, a prompt, a resource.
#![cfg(all(target_arch = "wasm32", feature = "browser"))]
#![expect(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use ferry_mcp::content::ToolOutput;
use js_sys::{Function, Promise, Reflect};
use serde_json::{Value, json};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_agent::browser::transport::FetchTransport;
use web_agent::mcp::{
    Connection, Endpoint, McpFailure, Notice, Progress, Stopped, Timer, Way, listen,
};
use web_agent::transport::{Transport, read_all};

wasm_bindgen_test_configure!(run_in_browser);

fn env(value: Option<&'static str>) -> &'static str {
    match value {
        Some(url) => url,
        None => panic!(
            "FERRY_MCP_SERVER / FERRY_MCP_LOG are not set: run \
             `node web-agent/tests/support/mcp-server.mjs` and build the tests with the two \
             URLs it prints (scripts/test.sh does both)"
        ),
    }
}

fn endpoint() -> Endpoint<'static> {
    Endpoint {
        url: env(option_env!("FERRY_MCP_SERVER")),
        bearer: None,
        relay: None,
        prefer: Way::Direct,
    }
}

/// `Date.now()` and `setTimeout`.
struct BrowserTimer;

impl Timer for BrowserTimer {
    fn now_ms(&self) -> u64 {
        js_sys::Date::now() as u64
    }

    async fn sleep(&self, ms: u64) {
        let promise = Promise::new(&mut |resolve, _| {
            let global = js_sys::global();
            let set_timeout: Function = Reflect::get(&global, &JsValue::from_str("setTimeout"))
                .unwrap()
                .dyn_into()
                .unwrap();
            set_timeout
                .call2(&global, &resolve, &JsValue::from_f64(ms as f64))
                .unwrap();
        });
        JsFuture::from(promise).await.unwrap();
    }
}

/// A Stop button, pressed by the test (looked at every 20 ms).
#[derive(Clone, Default)]
struct StopButton(Rc<Cell<bool>>);

impl Stopped for StopButton {
    async fn stopped(&self) {
        while !self.0.get() {
            BrowserTimer.sleep(20).await;
        }
    }
}

async fn open() -> Connection {
    let (connection, _) = Connection::open(&FetchTransport, &BrowserTimer, &endpoint())
        .await
        .unwrap();
    connection
}

async fn call(connection: &mut Connection, tool: &str, arguments: Value) -> ToolOutput {
    let result = connection
        .call_tool(
            &FetchTransport,
            &BrowserTimer,
            &endpoint(),
            tool,
            arguments,
            &mut |_| {},
            &StopButton::default(),
        )
        .await
        .unwrap();
    ToolOutput::from(&result)
}

/// What the recording front saw, for this session only.
async fn front_log(session: &str) -> (f64, Vec<Value>) {
    let request = ferry_core::adapter::UpstreamRequest {
        method: ferry_core::adapter::HttpMethod::Get,
        url: format!("{}/requests", env(option_env!("FERRY_MCP_LOG"))),
        headers: Vec::new(),
        body: None,
        dropped: Vec::new(),
    };
    let mut answer = FetchTransport.send(&request).await.unwrap();
    let log: Value = serde_json::from_slice(&read_all(&mut answer.body).await.unwrap()).unwrap();
    let requests = log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["session"] == session)
        .cloned()
        .collect();
    (log["now"].as_f64().unwrap(), requests)
}

#[wasm_bindgen_test]
async fn connects_and_lists_the_reference_server() {
    let (connection, listing) = Connection::open(&FetchTransport, &BrowserTimer, &endpoint())
        .await
        .unwrap();
    assert_eq!(listing.server.name, "mcp-servers/everything");
    assert_eq!(
        listing.server.title.as_deref(),
        Some("Everything Reference Server")
    );
    assert_eq!(listing.server.version, "2.0.0");
    assert_eq!(listing.server.protocol_version, "2025-11-25");
    let tools: Vec<&str> = listing.tools.iter().map(|t| t.name.as_str()).collect();
    for tool in [
        "echo",
        "get-tiny-image",
        "get-structured-content",
        "trigger-long-running-operation",
    ] {
        assert!(tools.contains(&tool), "{tool} in {tools:?}");
    }
    let echo = listing.tools.iter().find(|t| t.name == "echo").unwrap();
    assert!(echo.annotations.read_only);
    assert!(!listing.prompts.is_empty());
    assert!(!listing.resources.is_empty());
    assert_eq!(connection.way(), Way::Direct);
    assert!(
        connection.session_id().is_some(),
        "the session id header is exposed to the page"
    );
    connection.close(&FetchTransport, &endpoint()).await;
}

#[wasm_bindgen_test]
async fn tools_answer_text_an_image_and_structured_content() {
    let mut connection = open().await;
    let echo = call(
        &mut connection,
        "echo",
        json!({"message": "hello from Ferry"}),
    )
    .await;
    assert_eq!(echo.text, "Echo: hello from Ferry");
    assert!(echo.ok);
    let image = call(&mut connection, "get-tiny-image", json!({})).await;
    assert_eq!(image.images.len(), 1);
    assert_eq!(image.images[0].0, "image/png");
    assert!(
        image.images[0].1.starts_with("iVBORw0KGgo"),
        "a PNG in base64"
    );
    assert!(!image.text.is_empty());
    let result = connection
        .call_tool(
            &FetchTransport,
            &BrowserTimer,
            &endpoint(),
            "get-structured-content",
            json!({"location": "New York"}),
            &mut |_| {},
            &StopButton::default(),
        )
        .await
        .unwrap();
    let structured = result.structured.unwrap();
    assert!(structured["temperature"].is_number(), "{structured}");
    let missing = call(&mut connection, "no-such-tool", json!({})).await;
    assert!(!missing.ok, "{}", missing.text);
    connection.close(&FetchTransport, &endpoint()).await;
}

#[wasm_bindgen_test]
async fn a_long_running_call_reports_progress_as_it_goes() {
    let mut connection = open().await;
    let started = js_sys::Date::now();
    let mut progress: Vec<(Progress, f64)> = Vec::new();
    let result = connection
        .call_tool(
            &FetchTransport,
            &BrowserTimer,
            &endpoint(),
            "trigger-long-running-operation",
            json!({"duration": 2, "steps": 4}),
            &mut |p| progress.push((p, js_sys::Date::now())),
            &StopButton::default(),
        )
        .await
        .unwrap();
    let ended = js_sys::Date::now();
    let output = ToolOutput::from(&result);
    assert!(output.text.contains("completed"), "{}", output.text);
    let steps: Vec<f64> = progress.iter().map(|(p, _)| p.progress).collect();
    assert_eq!(steps, [1.0, 2.0, 3.0, 4.0]);
    assert_eq!(progress[0].0.total, Some(4.0));
    // Streamed, not buffered: the first step arrived well before the end.
    assert!(
        progress[0].1 - started < ended - started - 1_000.0,
        "{progress:?}"
    );
    connection.close(&FetchTransport, &endpoint()).await;
}

#[wasm_bindgen_test]
async fn stop_mid_call_aborts_the_request_and_cancels_the_call_on_the_server() {
    let mut connection = open().await;
    let session = connection.session_id().unwrap().to_owned();
    let stop = StopButton::default();
    let pressed = stop.clone();
    let started = js_sys::Date::now();
    let outcome = connection
        .call_tool(
            &FetchTransport,
            &BrowserTimer,
            &endpoint(),
            "trigger-long-running-operation",
            json!({"duration": 30, "steps": 30}),
            &mut |_| pressed.0.set(true),
            &stop,
        )
        .await;
    assert_eq!(outcome, Err(McpFailure::Stopped));
    assert!(js_sys::Date::now() - started < 10_000.0);
    // The front sees the call's request closed by its caller long before the 30 s
    // operation ends, and the cancellation naming the call.
    let mut closed = false;
    let mut requests = Vec::new();
    for _ in 0..50 {
        let (_, seen) = front_log(&session).await;
        requests = seen;
        let call = requests
            .iter()
            .find(|r| r["body"]["method"] == "tools/call")
            .unwrap();
        if !call["closedAt"].is_null() {
            closed = true;
            break;
        }
        BrowserTimer.sleep(100).await;
    }
    assert!(closed, "the call's request was not aborted: {requests:?}");
    let call = requests
        .iter()
        .find(|r| r["body"]["method"] == "tools/call")
        .unwrap();
    let cancelled = requests
        .iter()
        .find(|r| r["body"]["method"] == "notifications/cancelled")
        .unwrap();
    assert_eq!(cancelled["body"]["params"]["requestId"], call["body"]["id"]);
    assert_eq!(cancelled["body"]["params"]["reason"], "stopped by the user");
    assert_eq!(cancelled["status"], 202);
    connection.close(&FetchTransport, &endpoint()).await;
}

#[wasm_bindgen_test]
async fn a_forgotten_session_is_initialized_again() {
    let mut connection = open().await;
    let first = connection.session_id().unwrap().to_owned();
    // The session ends on the server; the connection still holds its id.
    connection.close(&FetchTransport, &endpoint()).await;
    let echo = call(&mut connection, "echo", json!({"message": "again"})).await;
    assert_eq!(echo.text, "Echo: again");
    let second = connection.session_id().unwrap().to_owned();
    assert_ne!(first, second);
    let (_, old) = front_log(&first).await;
    let methods: Vec<(String, Value)> = old
        .iter()
        .map(|r| {
            (
                r["method"].as_str().unwrap().to_owned(),
                r["body"]["method"].clone(),
            )
        })
        .collect();
    assert_eq!(
        methods[methods.len() - 2..],
        [
            ("DELETE".to_owned(), Value::Null),
            ("POST".to_owned(), json!("tools/call")),
        ]
    );
    let (_, new) = front_log(&second).await;
    let calls: Vec<&Value> = new.iter().map(|r| &r["body"]["method"]).collect();
    assert_eq!(
        calls,
        [&json!("notifications/initialized"), &json!("tools/call")]
    );
    connection.close(&FetchTransport, &endpoint()).await;
}

#[wasm_bindgen_test]
async fn the_server_s_own_stream_brings_a_list_change() {
    let mut connection = open().await;
    let session = connection.session_id().unwrap().to_owned();
    let handle = connection.listen_handle().unwrap();
    let inbox = Rc::new(RefCell::new(Vec::new()));
    let held = Rc::clone(&inbox);
    wasm_bindgen_futures::spawn_local(async move {
        listen(&FetchTransport, &BrowserTimer, &endpoint(), handle, &inbox).await;
    });
    // The GET stream is open once the front has seen it.
    for _ in 0..50 {
        if front_log(&session)
            .await
            .1
            .iter()
            .any(|r| r["method"] == "GET")
        {
            break;
        }
        BrowserTimer.sleep(50).await;
    }
    // A tool that adds a resource to the session; the server announces it on its stream.
    let made = call(
        &mut connection,
        "gzip-file-as-resource",
        json!({"name": "hello.txt.gz", "data": "data:text/plain;base64,aGVsbG8gRmVycnk=",
               "outputType": "resourceLink"}),
    )
    .await;
    assert!(
        made.text.starts_with("[resource: hello.txt.gz <"),
        "{}",
        made.text
    );
    for _ in 0..100 {
        if held.borrow().contains(&Notice::ResourcesChanged) {
            break;
        }
        BrowserTimer.sleep(50).await;
    }
    assert_eq!(*held.borrow(), [Notice::ResourcesChanged]);
    drop(held);
    let listing = connection
        .refresh_listing(&FetchTransport, &BrowserTimer, &endpoint())
        .await
        .unwrap();
    let made = listing
        .resources
        .iter()
        .find(|r| r.name == "hello.txt.gz")
        .unwrap();
    let contents = connection
        .read_resource(&FetchTransport, &BrowserTimer, &endpoint(), &made.uri)
        .await
        .unwrap();
    assert_eq!(contents[0].mime_type.as_deref(), Some("application/gzip"));
    assert!(
        contents[0]
            .blob
            .as_deref()
            .is_some_and(|b| b.starts_with("H4sI")),
        "gzip in base64"
    );
    connection.close(&FetchTransport, &endpoint()).await;
}

#[wasm_bindgen_test]
async fn a_prompt_with_arguments() {
    let mut connection = open().await;
    let arguments = BTreeMap::from([("city".to_owned(), "Lisbon".to_owned())]);
    let prompt = connection
        .get_prompt(
            &FetchTransport,
            &BrowserTimer,
            &endpoint(),
            "args-prompt",
            &arguments,
        )
        .await
        .unwrap();
    assert_eq!(prompt.messages.len(), 1);
    assert_eq!(prompt.messages[0].role, "user");
    assert_eq!(
        prompt.messages[0].content,
        ferry_mcp::types::Content::Text {
            text: "What's weather in Lisbon?".into()
        }
    );
    connection.close(&FetchTransport, &endpoint()).await;
}

#[wasm_bindgen_test]
async fn a_cut_answer_stream_is_resumed_after_its_last_event() {
    // The log server's `/cut/mcp` cuts a long-running call's answer after its first progress.
    let url = format!("{}/cut/mcp", env(option_env!("FERRY_MCP_LOG")));
    let endpoint = Endpoint {
        url: &url,
        ..endpoint()
    };
    let (mut connection, _) = Connection::open(&FetchTransport, &BrowserTimer, &endpoint)
        .await
        .unwrap();
    let session = connection.session_id().unwrap().to_owned();
    let mut steps = Vec::new();
    let result = connection
        .call_tool(
            &FetchTransport,
            &BrowserTimer,
            &endpoint,
            "trigger-long-running-operation",
            json!({"duration": 1, "steps": 2}),
            &mut |p| steps.push(p.progress),
            &StopButton::default(),
        )
        .await
        .unwrap();
    assert!(ToolOutput::from(&result).text.contains("completed"));
    assert_eq!(steps.first(), Some(&1.0));
    let (_, seen) = front_log(&session).await;
    let resumed: Vec<&Value> = seen.iter().filter(|r| r["method"] == "GET").collect();
    assert_eq!(resumed.len(), 1, "{seen:?}");
    assert!(resumed[0]["lastEventId"].is_string(), "{seen:?}");
    connection.close(&FetchTransport, &endpoint).await;
}

//! The driver against a scripted server that answers as the reference server does (SSE
//! answers opening with a priming event, a session id on the initialize answer, 202 for
//! notifications), with a timer that jumps and a Stop pressed from the progress callback.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use ferry_core::adapter::{HttpMethod, UpstreamRequest};
use serde_json::{Value, json};
use wasm_bindgen_test::wasm_bindgen_test;

use super::*;
use crate::transport::{Answer, Body, NetworkError, Transport};

/// One scripted reply.
enum Reply {
    Answer {
        status: u16,
        headers: Vec<(String, String)>,
        chunks: Vec<String>,
        /// After its chunks the body neither ends nor errs (a call still running).
        hang: bool,
    },
    Unreachable,
}

#[derive(Default)]
struct Server {
    script: RefCell<VecDeque<Reply>>,
    sent: RefCell<Vec<UpstreamRequest>>,
}

struct Chunks {
    chunks: VecDeque<Vec<u8>>,
    hang: bool,
}

impl Body for Chunks {
    async fn next(&mut self) -> Option<Result<Vec<u8>, NetworkError>> {
        if let Some(chunk) = self.chunks.pop_front() {
            return Some(Ok(chunk));
        }
        if self.hang {
            std::future::pending::<()>().await;
        }
        None
    }
}

impl Transport for Server {
    type Body = Chunks;

    async fn send(&self, request: &UpstreamRequest) -> Result<Answer<Chunks>, NetworkError> {
        self.sent.borrow_mut().push(request.clone());
        match self.script.borrow_mut().pop_front() {
            Some(Reply::Answer {
                status,
                headers,
                chunks,
                hang,
            }) => Ok(Answer {
                status,
                retry_after_secs: None,
                headers,
                body: Chunks {
                    chunks: chunks.into_iter().map(String::into_bytes).collect(),
                    hang,
                },
            }),
            Some(Reply::Unreachable) | None => Err(NetworkError("Failed to fetch".into())),
        }
    }
}

impl Server {
    fn reply(&self, status: u16, headers: &[(&str, &str)], chunks: Vec<String>, hang: bool) {
        self.script.borrow_mut().push_back(Reply::Answer {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            chunks,
            hang,
        });
    }

    /// An SSE answer carrying `messages`, as the reference server writes it.
    fn stream(&self, messages: &[Value]) {
        self.reply(200, &SSE, vec![sse(messages)], false);
    }

    fn json(&self, message: Value) {
        self.reply(
            200,
            &[("content-type", "application/json")],
            vec![message.to_string()],
            false,
        );
    }

    fn accepted(&self) {
        self.reply(202, &[], Vec::new(), false);
    }

    fn sent(&self) -> Vec<UpstreamRequest> {
        self.sent.borrow().clone()
    }

    fn bodies(&self) -> Vec<Value> {
        self.sent()
            .iter()
            .filter_map(|r| r.body.as_deref())
            .map(|b| serde_json::from_str(b).unwrap())
            .collect()
    }
}

const SSE: [(&str, &str); 1] = [("content-type", "text/event-stream")];

fn sse(messages: &[Value]) -> String {
    let mut out = String::from("id: prime-0\ndata: \n\n");
    for (n, message) in messages.iter().enumerate() {
        out.push_str(&format!(
            "event: message\nid: ev-{}\ndata: {message}\n\n",
            n + 1
        ));
    }
    out
}

fn header<'a>(request: &'a UpstreamRequest, name: &str) -> Option<&'a str> {
    request
        .headers
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.as_str())
}

/// A clock that jumps: `sleep` returns at once with the time moved on, unless frozen (then
/// it never returns, so no deadline passes).
struct Clock {
    now: Cell<u64>,
    frozen: bool,
}

impl Clock {
    fn running() -> Self {
        Self {
            now: Cell::new(1_000),
            frozen: false,
        }
    }
    fn frozen() -> Self {
        Self {
            now: Cell::new(1_000),
            frozen: true,
        }
    }
}

impl Timer for Clock {
    fn now_ms(&self) -> u64 {
        self.now.get()
    }
    async fn sleep(&self, ms: u64) {
        if self.frozen {
            std::future::pending::<()>().await;
        }
        self.now.set(self.now.get() + ms);
    }
}

#[derive(Default)]
struct StopFlag(Cell<bool>);

impl Stopped for StopFlag {
    async fn stopped(&self) {
        std::future::poll_fn(|_| {
            if self.0.get() {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await;
    }
}

/// Runs a future that is ready without outside wakes (every fake answers at once).
fn run<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..1_000 {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
    panic!("the future never finished");
}

const URL: &str = "http://127.0.0.1:3001/mcp";

fn direct() -> Endpoint<'static> {
    Endpoint {
        url: URL,
        bearer: None,
        relay: None,
        prefer: Way::Direct,
    }
}

fn init_result(id: i64) -> Value {
    json!({"result": {"protocolVersion": "2025-11-25",
        "capabilities": {"tools": {"listChanged": true}, "prompts": {"listChanged": true},
                         "resources": {"subscribe": true, "listChanged": true}, "logging": {}},
        "serverInfo": {"name": "mcp-servers/everything", "title": "Everything Reference Server", "version": "2.0.0"}},
        "jsonrpc": "2.0", "id": id})
}

fn echo_tool() -> Value {
    json!({"name": "echo", "title": "Echo Tool", "description": "Echoes back the input string",
        "inputSchema": {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
                        "properties": {"message": {"type": "string"}}, "required": ["message"]},
        "annotations": {"readOnlyHint": true, "destructiveHint": false, "idempotentHint": true, "openWorldHint": false}})
}

/// The handshake's replies: initialize (session `s-1`), initialized.
fn script_handshake(server: &Server, id: i64, session: &str) {
    server.reply(
        200,
        &[
            ("content-type", "text/event-stream"),
            ("mcp-session-id", session),
        ],
        vec![sse(&[init_result(id)])],
        false,
    );
    server.accepted();
}

/// Handshake and the three lists, one page each, ids from 1.
fn script_open(server: &Server) {
    script_handshake(server, 1, "s-1");
    server.stream(&[json!({"result": {"tools": [echo_tool()]}, "jsonrpc": "2.0", "id": 2})]);
    server.stream(&[json!({"result": {"prompts": []}, "jsonrpc": "2.0", "id": 3})]);
    server.stream(&[json!({"result": {"resources": []}, "jsonrpc": "2.0", "id": 4})]);
}

fn opened(server: &Server) -> Connection {
    script_open(server);
    let (connection, _) = run(Connection::open(server, &Clock::frozen(), &direct())).unwrap();
    server.sent.borrow_mut().clear();
    connection
}

fn call(
    connection: &mut Connection,
    server: &Server,
    clock: &Clock,
    stop: &StopFlag,
    progress: &mut Vec<Progress>,
) -> Result<CallResult, McpFailure> {
    run(connection.call_tool(
        server,
        clock,
        &direct(),
        "trigger-long-running-operation",
        json!({"duration": 2, "steps": 2}),
        &mut |p| {
            progress.push(p);
            stop.0.set(true);
        },
        &StopFlag::default(),
    ))
}

#[wasm_bindgen_test(unsupported = test)]
fn open_initializes_and_lists_every_page() {
    let server = Server::default();
    script_handshake(&server, 1, "s-1");
    server.stream(&[
        json!({"result": {"tools": [echo_tool()], "nextCursor": "p2"}, "jsonrpc": "2.0", "id": 2}),
    ]);
    server.json(json!({"result": {"tools": [{"name": "get-tiny-image", "inputSchema": {"type": "object"}}]}, "jsonrpc": "2.0", "id": 3}));
    server.stream(&[
        json!({"result": {"prompts": [{"name": "simple-prompt"}]}, "jsonrpc": "2.0", "id": 4}),
    ]);
    server.stream(&[json!({"result": {"resources": [{"uri": "demo://resource/static/document/architecture.md", "name": "architecture.md", "mimeType": "text/markdown"}]}, "jsonrpc": "2.0", "id": 5})]);
    let (connection, listing) =
        run(Connection::open(&server, &Clock::frozen(), &direct())).unwrap();
    assert_eq!(listing.server.name, "mcp-servers/everything");
    assert_eq!(listing.server.version, "2.0.0");
    let tools: Vec<&str> = listing.tools.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(tools, ["echo", "get-tiny-image"]);
    assert!(listing.tools[0].annotations.read_only);
    assert_eq!(listing.prompts[0].name, "simple-prompt");
    assert_eq!(
        listing.resources[0].mime_type.as_deref(),
        Some("text/markdown")
    );
    assert_eq!(connection.way(), Way::Direct);
    assert_eq!(connection.session_id(), Some("s-1"));

    let sent = server.sent();
    let methods: Vec<Value> = server
        .bodies()
        .iter()
        .map(|b| b["method"].clone())
        .collect();
    assert_eq!(
        methods,
        [
            "initialize",
            "notifications/initialized",
            "tools/list",
            "tools/list",
            "prompts/list",
            "resources/list"
        ]
    );
    assert_eq!(header(&sent[0], "mcp-session-id"), None);
    assert_eq!(
        header(&sent[0], "accept"),
        Some("application/json, text/event-stream")
    );
    for later in &sent[1..] {
        assert_eq!(header(later, "mcp-session-id"), Some("s-1"));
        assert_eq!(header(later, "mcp-protocol-version"), Some("2025-11-25"));
    }
    assert_eq!(server.bodies()[3]["params"], json!({"cursor": "p2"}));
}

#[wasm_bindgen_test(unsupported = test)]
fn a_tool_call_reports_progress_and_returns_its_result() {
    let server = Server::default();
    let mut connection = opened(&server);
    server.stream(&[
        json!({"method": "notifications/progress", "params": {"progress": 1, "total": 2, "progressToken": "ferry-5"}, "jsonrpc": "2.0"}),
        json!({"method": "notifications/progress", "params": {"progress": 1, "progressToken": "someone-else"}, "jsonrpc": "2.0"}),
        json!({"method": "notifications/progress", "params": {"progress": 2, "total": 2, "message": "done", "progressToken": "ferry-5"}, "jsonrpc": "2.0"}),
        json!({"result": {"content": [{"type": "text", "text": "Long running operation completed. Duration: 2 seconds, Steps: 2."}]}, "jsonrpc": "2.0", "id": 5}),
    ]);
    let mut progress = Vec::new();
    let result = run(connection.call_tool(
        &server,
        &Clock::frozen(),
        &direct(),
        "trigger-long-running-operation",
        json!({"duration": 2, "steps": 2}),
        &mut |p| progress.push(p),
        &StopFlag::default(),
    ))
    .unwrap();
    assert!(!result.is_error);
    assert_eq!(
        progress,
        [
            Progress {
                progress: 1.0,
                total: Some(2.0),
                message: None
            },
            Progress {
                progress: 2.0,
                total: Some(2.0),
                message: Some("done".into())
            },
        ]
    );
    let body = &server.bodies()[0];
    assert_eq!(body["method"], "tools/call");
    assert_eq!(body["id"], 5);
    assert_eq!(body["params"]["name"], "trigger-long-running-operation");
    assert_eq!(
        body["params"]["arguments"],
        json!({"duration": 2, "steps": 2})
    );
    assert_eq!(body["params"]["_meta"]["progressToken"], "ferry-5");
}

#[wasm_bindgen_test(unsupported = test)]
fn stop_mid_call_cancels_it_on_the_server() {
    let server = Server::default();
    let mut connection = opened(&server);
    let first = sse(&[
        json!({"method": "notifications/progress", "params": {"progress": 1, "total": 5, "progressToken": "ferry-5"}, "jsonrpc": "2.0"}),
    ]);
    server.reply(200, &SSE, vec![first], true);
    server.accepted();
    let stop = StopFlag::default();
    let mut progress = Vec::new();
    let outcome = run(connection.call_tool(
        &server,
        &Clock::frozen(),
        &direct(),
        "trigger-long-running-operation",
        json!({}),
        &mut |p| {
            progress.push(p);
            stop.0.set(true);
        },
        &stop,
    ));
    assert_eq!(outcome, Err(McpFailure::Stopped));
    assert_eq!(progress.len(), 1);
    let bodies = server.bodies();
    assert_eq!(bodies.len(), 2);
    assert_eq!(
        bodies[1],
        json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
               "params": {"requestId": 5, "reason": "stopped by the user"}})
    );
    assert_eq!(header(&server.sent()[1], "mcp-session-id"), Some("s-1"));
}

#[wasm_bindgen_test(unsupported = test)]
fn a_call_without_news_times_out_and_is_cancelled() {
    let server = Server::default();
    let mut connection = opened(&server);
    server.reply(200, &SSE, vec!["id: prime-0\ndata: \n\n".into()], true);
    server.accepted();
    let clock = Clock::running();
    let mut progress = Vec::new();
    let outcome = call(
        &mut connection,
        &server,
        &clock,
        &StopFlag::default(),
        &mut progress,
    );
    assert_eq!(outcome, Err(McpFailure::Timeout));
    assert_eq!(
        clock.now_ms(),
        1_000 + ferry_mcp::policy::CALL_IDLE_TIMEOUT_MS
    );
    assert_eq!(server.bodies()[1]["params"]["reason"], "timed out");
}

#[wasm_bindgen_test(unsupported = test)]
fn a_forgotten_session_is_initialized_again_and_the_request_resent() {
    for (status, body) in [
        (
            404,
            r#"{"jsonrpc":"2.0","error":{"code":-32001,"message":"Session not found"}}"#,
        ),
        (
            400,
            r#"{"jsonrpc":"2.0","error":{"code":-32000,"message":"Bad Request: No valid session ID provided"}}"#,
        ),
    ] {
        let server = Server::default();
        let mut connection = opened(&server);
        server.reply(
            status,
            &[("content-type", "application/json")],
            vec![body.into()],
            false,
        );
        script_handshake(&server, 6, "s-2");
        server.stream(&[json!({"result": {"content": [{"type": "text", "text": "Echo: hi"}]}, "jsonrpc": "2.0", "id": 7})]);
        let result = run(connection.call_tool(
            &server,
            &Clock::frozen(),
            &direct(),
            "echo",
            json!({"message": "hi"}),
            &mut |_| {},
            &StopFlag::default(),
        ))
        .unwrap();
        assert_eq!(
            result.content,
            vec![ferry_mcp::types::Content::Text {
                text: "Echo: hi".into()
            }]
        );
        let sent = server.sent();
        let methods: Vec<Value> = server
            .bodies()
            .iter()
            .map(|b| b["method"].clone())
            .collect();
        assert_eq!(
            methods,
            [
                "tools/call",
                "initialize",
                "notifications/initialized",
                "tools/call"
            ],
            "{status}"
        );
        assert_eq!(header(&sent[0], "mcp-session-id"), Some("s-1"));
        assert_eq!(header(&sent[1], "mcp-session-id"), None);
        assert_eq!(header(&sent[3], "mcp-session-id"), Some("s-2"));
        assert_eq!(connection.session_id(), Some("s-2"));
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn a_session_forgotten_twice_is_an_error() {
    let server = Server::default();
    let mut connection = opened(&server);
    server.reply(404, &[], Vec::new(), false);
    script_handshake(&server, 6, "s-2");
    server.reply(404, &[], Vec::new(), false);
    let outcome = run(connection.call_tool(
        &server,
        &Clock::frozen(),
        &direct(),
        "echo",
        json!({}),
        &mut |_| {},
        &StopFlag::default(),
    ));
    assert!(
        matches!(outcome, Err(McpFailure::Http { status: 404, .. })),
        "{outcome:?}"
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_cut_answer_stream_is_resumed_after_its_last_event() {
    let server = Server::default();
    let mut connection = opened(&server);
    let cut = sse(&[
        json!({"method": "notifications/progress", "params": {"progress": 1, "total": 2, "progressToken": "ferry-5"}, "jsonrpc": "2.0"}),
    ]);
    server.reply(200, &SSE, vec![cut], false);
    server.reply(200, &SSE, vec![
        "event: message\nid: ev-2\ndata: {\"result\":{\"content\":[]},\"jsonrpc\":\"2.0\",\"id\":5}\n\n".into(),
    ], true);
    let clock = Clock::running();
    let mut progress = Vec::new();
    let result = call(
        &mut connection,
        &server,
        &clock,
        &StopFlag::default(),
        &mut progress,
    )
    .unwrap();
    assert!(result.content.is_empty());
    assert_eq!(progress.len(), 1);
    let sent = server.sent();
    assert_eq!(sent[1].method, HttpMethod::Get);
    assert_eq!(header(&sent[1], "last-event-id"), Some("ev-1"));
    assert_eq!(header(&sent[1], "accept"), Some("text/event-stream"));
    assert_eq!(header(&sent[1], "mcp-session-id"), Some("s-1"));
}

#[wasm_bindgen_test(unsupported = test)]
fn a_stream_cut_again_and_again_is_given_up() {
    let server = Server::default();
    let mut connection = opened(&server);
    for _ in 0..=ferry_mcp::policy::MAX_RESUMES {
        server.reply(200, &SSE, vec!["id: ev-1\ndata: \n\n".into()], false);
    }
    let outcome = call(
        &mut connection,
        &server,
        &Clock::running(),
        &StopFlag::default(),
        &mut Vec::new(),
    );
    assert!(
        matches!(outcome, Err(McpFailure::Network(_))),
        "{outcome:?}"
    );
    assert_eq!(
        server.sent().len(),
        1 + ferry_mcp::policy::MAX_RESUMES as usize
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn server_requests_are_answered_and_list_changes_kept() {
    let server = Server::default();
    let mut connection = opened(&server);
    server.stream(&[
        json!({"jsonrpc": "2.0", "id": 0, "method": "ping"}),
        json!({"jsonrpc": "2.0", "id": 1, "method": "roots/list"}),
        json!({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"}),
        json!({"jsonrpc": "2.0", "method": "notifications/message", "params": {"level": "info", "data": "x"}}),
        json!({"result": {"content": [{"type": "text", "text": "Echo: a"}]}, "jsonrpc": "2.0", "id": 5}),
    ]);
    server.accepted();
    server.accepted();
    let outcome = run(connection.call_tool(
        &server,
        &Clock::frozen(),
        &direct(),
        "echo",
        json!({"message": "a"}),
        &mut |_| {},
        &StopFlag::default(),
    ));
    assert!(outcome.is_ok());
    let bodies = server.bodies();
    assert_eq!(bodies[1], json!({"jsonrpc": "2.0", "id": 0, "result": {}}));
    assert_eq!(bodies[2]["error"]["code"], -32601);
    assert_eq!(bodies[2]["id"], 1);
    assert_eq!(connection.take_notifications(), [Notice::ToolsChanged]);
    assert!(connection.take_notifications().is_empty());
}

#[wasm_bindgen_test(unsupported = test)]
fn errors_as_the_user_reads_them() {
    let server = Server::default();
    let mut connection = opened(&server);
    server.stream(&[
        json!({"jsonrpc": "2.0", "id": 5, "error": {"code": -32602, "message": "Invalid params"}}),
    ]);
    let outcome = run(connection.call_tool(
        &server,
        &Clock::frozen(),
        &direct(),
        "echo",
        json!({}),
        &mut |_| {},
        &StopFlag::default(),
    ));
    assert_eq!(
        outcome,
        Err(McpFailure::Rpc {
            code: -32602,
            message: "Invalid params".into()
        })
    );
    server.reply(
        401,
        &[(
            "www-authenticate",
            "Bearer resource_metadata=\"http://x/.well-known/oauth-protected-resource\"",
        )],
        Vec::new(),
        false,
    );
    let outcome = run(connection.call_tool(
        &server,
        &Clock::frozen(),
        &direct(),
        "echo",
        json!({}),
        &mut |_| {},
        &StopFlag::default(),
    ));
    assert_eq!(
        outcome,
        Err(McpFailure::Unauthorized {
            challenge: Some(
                "Bearer resource_metadata=\"http://x/.well-known/oauth-protected-resource\"".into()
            )
        })
    );
    server.reply(500, &[], vec!["boom".into()], false);
    let outcome = run(connection.call_tool(
        &server,
        &Clock::frozen(),
        &direct(),
        "echo",
        json!({}),
        &mut |_| {},
        &StopFlag::default(),
    ));
    assert_eq!(
        outcome,
        Err(McpFailure::Http {
            status: 500,
            message: "boom".into()
        })
    );
    assert_eq!(
        McpFailure::Http {
            status: 500,
            message: "boom".into()
        }
        .to_string(),
        "the MCP server answered HTTP 500: boom"
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_network_failure_falls_back_to_the_relay_and_it_is_remembered() {
    let server = Server::default();
    let relay = Endpoint {
        url: URL,
        bearer: Some("srv"),
        relay: Some(Relay {
            proxy_root: "https://proxy.example",
            access_token: Some("jwt"),
        }),
        prefer: Way::Direct,
    };
    server.script.borrow_mut().push_back(Reply::Unreachable);
    let relayed = [
        ("content-type", "text/event-stream"),
        ("mcp-session-id", "s-1"),
        ("x-mcp-relayed", "true"),
    ];
    server.reply(200, &relayed, vec![sse(&[init_result(1)])], false);
    server.reply(202, &[("x-mcp-relayed", "true")], Vec::new(), false);
    for (id, list) in [(2, "tools"), (3, "prompts"), (4, "resources")] {
        server.reply(
            200,
            &relayed,
            vec![sse(&[
                json!({"result": {list: []}, "jsonrpc": "2.0", "id": id}),
            ])],
            false,
        );
    }
    let (connection, _) = run(Connection::open(&server, &Clock::frozen(), &relay)).unwrap();
    assert_eq!(connection.way(), Way::Relay);
    let sent = server.sent();
    assert_eq!(sent.len(), 6);
    assert_eq!(sent[0].url, URL);
    assert_eq!(header(&sent[0], "authorization"), Some("Bearer srv"));
    for later in &sent[1..] {
        assert_eq!(later.url, "https://proxy.example/v1/proxy/mcp");
        assert_eq!(header(later, "x-mcp-server"), Some(URL));
        assert_eq!(header(later, "x-mcp-authorization"), Some("Bearer srv"));
        assert_eq!(header(later, "authorization"), Some("Bearer jwt"));
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn the_proxy_s_own_refusal_is_told_apart() {
    let server = Server::default();
    let relay = Endpoint {
        url: URL,
        bearer: None,
        relay: Some(Relay {
            proxy_root: "https://proxy.example",
            access_token: None,
        }),
        prefer: Way::Relay,
    };
    server.reply(
        403,
        &[("content-type", "application/json")],
        vec![r#"{"error":{"code":"forbidden_target","message":"the MCP server's address is not public"}}"#.into()],
        false,
    );
    let outcome = run(Connection::open(&server, &Clock::frozen(), &relay));
    assert_eq!(
        outcome.map(|_| ()),
        Err(McpFailure::Http {
            status: 403,
            message: "the MCP server's address is not public".into()
        })
    );
    assert_eq!(server.sent().len(), 1);
}

#[wasm_bindgen_test(unsupported = test)]
fn the_get_stream_brings_notifications_and_reconnects_after_its_last_event() {
    let server = Server::default();
    let connection = opened(&server);
    let handle = connection.listen_handle().unwrap();
    server.reply(200, &SSE, vec![
        "id: g-0\nretry: 2000\ndata: \n\n".into(),
        "event: message\nid: g-1\ndata: {\"method\":\"notifications/tools/list_changed\",\"jsonrpc\":\"2.0\"}\n\n".into(),
    ], false);
    server.reply(405, &[], Vec::new(), false);
    let inbox = Rc::new(RefCell::new(Vec::new()));
    let held = Rc::clone(&inbox);
    let clock = Clock::running();
    run(listen(&server, &clock, &direct(), handle, &inbox));
    assert_eq!(*held.borrow(), [Notice::ToolsChanged]);
    let sent = server.sent();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].method, HttpMethod::Get);
    assert_eq!(header(&sent[0], "last-event-id"), None);
    assert_eq!(header(&sent[1], "last-event-id"), Some("g-1"));
    assert_eq!(clock.now_ms(), 3_000, "the server's retry");
}

#[wasm_bindgen_test(unsupported = test)]
fn the_get_stream_gives_up_after_failures_in_a_row() {
    let server = Server::default();
    let connection = opened(&server);
    let inbox = Rc::new(RefCell::new(Vec::new()));
    let _held = Rc::clone(&inbox);
    run(listen(
        &server,
        &Clock::running(),
        &direct(),
        connection.listen_handle().unwrap(),
        &inbox,
    ));
    assert_eq!(
        server.sent().len(),
        1 + ferry_mcp::policy::RECONNECT_MAX_FAILURES as usize
    );
    // Nobody left to read the inbox: no stream at all.
    let server = Server::default();
    let connection = opened(&server);
    run(listen(
        &server,
        &Clock::running(),
        &direct(),
        connection.listen_handle().unwrap(),
        &Rc::new(RefCell::new(Vec::new())),
    ));
    assert!(server.sent().is_empty());
}

#[wasm_bindgen_test(unsupported = test)]
fn close_ends_the_session() {
    let server = Server::default();
    let connection = opened(&server);
    server.reply(200, &[], Vec::new(), false);
    run(connection.close(&server, &direct()));
    let sent = server.sent();
    assert_eq!(sent[0].method, HttpMethod::Delete);
    assert_eq!(header(&sent[0], "mcp-session-id"), Some("s-1"));
}

#[wasm_bindgen_test(unsupported = test)]
fn without_a_relay_the_server_is_called_directly_whatever_worked_before() {
    let server = Server::default();
    script_open(&server);
    let endpoint = Endpoint {
        prefer: Way::Relay,
        ..direct()
    };
    let (connection, _) = run(Connection::open(&server, &Clock::frozen(), &endpoint)).unwrap();
    assert_eq!(connection.way(), Way::Direct);
    assert!(server.sent().iter().all(|r| r.url == URL));
}

/// A clock that lets go of `held` at its first sleep: the inbox's reader leaves while the
/// stream is quiet.
struct LeavingClock {
    now: Cell<u64>,
    held: RefCell<Option<Rc<RefCell<Vec<Notice>>>>>,
}

impl Timer for LeavingClock {
    fn now_ms(&self) -> u64 {
        self.now.get()
    }
    async fn sleep(&self, ms: u64) {
        self.held.borrow_mut().take();
        self.now.set(self.now.get() + ms);
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn a_quiet_get_stream_is_dropped_once_its_reader_has_left() {
    let server = Server::default();
    let connection = opened(&server);
    server.reply(200, &SSE, vec!["id: g-0\ndata: \n\n".into()], true);
    let inbox = Rc::new(RefCell::new(Vec::new()));
    let clock = LeavingClock {
        now: Cell::new(0),
        held: RefCell::new(Some(Rc::clone(&inbox))),
    };
    run(listen(
        &server,
        &clock,
        &direct(),
        connection.listen_handle().unwrap(),
        &inbox,
    ));
    assert_eq!(server.sent().len(), 1);
    assert_eq!(clock.now_ms(), 1_000);
}

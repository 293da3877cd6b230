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
use crate::transport::scripted::{ScriptedBody, owned_headers};
use crate::transport::{Answer, NetworkError, Transport};
use ferry_mcp::types::CallResult;

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

impl Transport for Server {
    type Body = ScriptedBody;

    async fn send(&self, request: &UpstreamRequest) -> Result<Answer<ScriptedBody>, NetworkError> {
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
                body: ScriptedBody::of(chunks, hang),
            }),
            Some(Reply::Unreachable) | None => Err(NetworkError("Failed to fetch".into())),
        }
    }
}

impl Server {
    fn reply(&self, status: u16, headers: &[(&str, &str)], chunks: Vec<String>, hang: bool) {
        self.script.borrow_mut().push_back(Reply::Answer {
            status,
            headers: owned_headers(headers),
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

/// Tool `tool` called on a frozen clock, with no progress watched and no Stop.
fn call_simply(
    connection: &mut Connection,
    server: &Server,
    tool: &str,
    arguments: Value,
) -> Result<CallResult, McpFailure> {
    run(connection.call_tool(
        server,
        &Clock::frozen(),
        &direct(),
        tool,
        arguments,
        &mut |_| {},
        &StopFlag::default(),
    ))
}

mod calls;
mod streams;

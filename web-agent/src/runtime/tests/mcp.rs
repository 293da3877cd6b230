//! MCP servers through the runtime, against a scripted server that answers as the
//! reference server (server-everything) does: SSE answers with a priming event, a session
//! id on `initialize`, progress notifications during a call.
//!
//! The server's script and the set-up are here; what Settings does with servers (adding,
//! removing, tokens, prompts and resources) is in [`servers`], their tools in turns in
//! [`turns`].

use serde_json::{Value, json};

use super::*;
use crate::protocol::McpServerView;

mod servers;
mod turns;

const MCP: &str = "https://mcp.test/mcp";
const SESSION_ID: &str = "sess-1";
/// A 1×1 PNG.
const PNG: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";

/// Each message an SSE event, after the priming event with empty data.
fn sse(messages: &[Value]) -> Vec<String> {
    let mut events = vec!["id: prime\ndata: \n\n".to_owned()];
    for (n, message) in messages.iter().enumerate() {
        events.push(format!("event: message\nid: ev-{n}\ndata: {message}\n\n"));
    }
    events
}

fn stream(transport: &FakeTransport, messages: &[Value]) {
    transport.headed(
        200,
        &[
            ("content-type", "text/event-stream"),
            ("mcp-session-id", SESSION_ID),
        ],
        sse(messages),
        false,
    );
}

fn result(id: u64, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

fn accepted(transport: &FakeTransport) {
    transport.headed(202, &[], Vec::new(), false);
}

fn tools() -> Value {
    json!([
        // No hints: destructive, as the spec has it.
        {"name": "echo", "description": "Echoes back the input",
         "inputSchema": {"type": "object", "properties": {"message": {"type": "string"}},
                         "required": ["message"]}},
        {"name": "get-sum", "inputSchema": {"type": "object"},
         "annotations": {"readOnlyHint": true}},
        {"name": "add-note", "inputSchema": {"type": "object"},
         "annotations": {"readOnlyHint": false, "destructiveHint": false}},
        {"name": "get-tiny-image", "inputSchema": {"type": "object"},
         "annotations": {"readOnlyHint": true}},
    ])
}

/// What the server answers while being added: initialize (1), initialized, tools (2),
/// prompts (3), resources (4).
fn script_connect(transport: &FakeTransport) {
    stream(
        transport,
        &[result(
            1,
            json!({"protocolVersion": "2025-11-25",
                   "capabilities": {"tools": {"listChanged": true}, "prompts": {}, "resources": {}},
                   "serverInfo": {"name": "mcp-servers/everything",
                                  "title": "Everything Reference Server", "version": "2.0.0"}}),
        )],
    );
    accepted(transport);
    stream(transport, &[result(2, json!({"tools": tools()}))]);
    stream(
        transport,
        &[result(
            3,
            json!({"prompts": [{"name": "args-prompt", "description": "A prompt with arguments",
                    "arguments": [{"name": "city", "required": true}]}]}),
        )],
    );
    stream(
        transport,
        &[result(
            4,
            json!({"resources": [{"uri": "demo://resource/static/document/architecture.md",
                    "name": "architecture.md", "mimeType": "text/markdown"}]}),
        )],
    );
}
pub(super) fn servers(events: &[Event]) -> Vec<McpServerView> {
    events
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::McpServers { servers } => Some(servers.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no mcp_servers in {events:?}"))
}

/// A runtime with the scripted server added; its id.
fn with_server(transport: &FakeTransport) -> (TestRuntime<'_>, String) {
    let mut rt = runtime(transport, ProviderId::OpenAi);
    script_connect(transport);
    let events = command(
        &mut rt,
        Command::AddMcpServer {
            url: MCP.into(),
            token: Some("mcp-token".into()),
        },
    );
    let id = servers(&events)[0].id.clone();
    (rt, id)
}
/// The JSON bodies sent to the MCP server.
fn mcp_bodies(transport: &FakeTransport) -> Vec<Value> {
    transport
        .sent
        .borrow()
        .iter()
        .filter(|r| r.url == MCP)
        .filter_map(|r| r.body.as_deref())
        .map(|b| serde_json::from_str(b).unwrap())
        .collect()
}

//! MCP servers through the runtime, against a scripted server that answers as the
//! reference server (server-everything) does: SSE answers with a priming event, a session
//! id on `initialize`, progress notifications during a call.

use serde_json::{Value, json};

use super::*;
use crate::agent::STOPPED_TOOL_OUTPUT;
use crate::approval::Decision;
use crate::protocol::{McpServerView, McpStatus, McpWay, ToolApproval};

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

fn servers(events: &[Event]) -> Vec<McpServerView> {
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

fn tool_call(transport: &FakeTransport, id: &str, name: &str, arguments: Value) {
    let call = json!({"tool_calls": [{"index": 0, "id": id, "type": "function",
        "function": {"name": name, "arguments": arguments.to_string()}}]});
    transport.answer(200, &[&chunk(call), "[DONE]"]);
}

fn answer(transport: &FakeTransport, text: &str) {
    transport.answer(200, &[&chunk(json!({ "content": text })), "[DONE]"]);
}

fn set_approval(rt: &mut TestRuntime<'_>, server: &str, tool: &str, approval: ToolApproval) {
    command(
        rt,
        Command::SetMcpToolApproval {
            server: server.into(),
            tool: tool.into(),
            approval,
        },
    );
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

/// The messages of the last model call.
fn last_model_messages(transport: &FakeTransport) -> Vec<Value> {
    let sent = transport.sent.borrow();
    let call = sent.iter().rev().find(|r| r.url != MCP).unwrap();
    let body: Value = serde_json::from_str(call.body.as_deref().unwrap()).unwrap();
    body["messages"].as_array().unwrap().clone()
}

fn finished(events: &[Event]) -> Vec<(bool, String, usize)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::ToolCallFinished {
                ok,
                output,
                attachments,
                ..
            } => Some((*ok, output.clone(), attachments.len())),
            _ => None,
        })
        .collect()
}

#[wasm_bindgen_test(unsupported = test)]
fn an_added_server_is_listed_with_its_tools_and_their_approval_defaults() {
    let transport = FakeTransport::default();
    let (mut rt, id) = with_server(&transport);
    let listed = command(&mut rt, Command::ListMcpServers);
    let [server] = &servers(&listed)[..] else {
        panic!("{listed:?}")
    };
    assert_eq!(server.id, id);
    assert_eq!(
        (
            server.name.as_str(),
            server.title.as_deref(),
            server.version.as_str()
        ),
        (
            "mcp-servers/everything",
            Some("Everything Reference Server"),
            "2.0.0"
        )
    );
    assert_eq!(server.prefix, "everything");
    assert_eq!(server.status, McpStatus::Connected);
    assert_eq!(server.via, Some(McpWay::Direct));
    assert_eq!(server.auth, crate::protocol::McpAuth::Bearer);
    let approvals: Vec<(&str, &str, ToolApproval)> = server
        .tools
        .iter()
        .map(|t| (t.name.as_str(), t.qualified.as_str(), t.approval))
        .collect();
    assert_eq!(
        approvals,
        [
            ("echo", "everything__echo", ToolApproval::Ask),
            ("get-sum", "everything__get-sum", ToolApproval::Always),
            ("add-note", "everything__add-note", ToolApproval::Chat),
            (
                "get-tiny-image",
                "everything__get-tiny-image",
                ToolApproval::Always
            ),
        ]
    );
    assert_eq!(server.prompts[0].arguments[0].name, "city");
    assert_eq!(server.resources[0].name, "architecture.md");
    // The token went as a bearer, and is stored sealed, never in plaintext.
    let sent = transport.sent.borrow();
    assert!(
        sent[0]
            .headers
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case("authorization") && v == "Bearer mcp-token")
    );
    drop(sent);
    let stored = run(rt.store.mcp_servers()).unwrap();
    assert!(stored[0].token.is_some());
    assert!(!format!("{stored:?}").contains("mcp-token"));
    // `load` tells them after `ready`.
    let loaded = command(&mut rt, Command::Load);
    assert!(matches!(loaded[0], Event::Ready { .. }));
    assert_eq!(servers(&loaded).len(), 1);
}

#[wasm_bindgen_test(unsupported = test)]
fn a_server_that_cannot_be_reached_is_not_kept() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    // Nothing scripted: every request fails as the network would (direct, then relay).
    let events = command(
        &mut rt,
        Command::AddMcpServer {
            url: MCP.into(),
            token: None,
        },
    );
    assert!(
        events.iter().any(|e| matches!(e,
            Event::McpServerFailed { server: None, url, unauthorized: false, .. } if url == MCP)),
        "{events:?}"
    );
    assert!(run(rt.store.mcp_servers()).unwrap().is_empty());
    let bad = command(
        &mut rt,
        Command::AddMcpServer {
            url: "ftp://mcp.test".into(),
            token: None,
        },
    );
    assert!(matches!(bad[..], [Event::McpServerFailed { .. }]));
}

#[wasm_bindgen_test(unsupported = test)]
fn a_turn_calls_an_mcp_tool_after_approval_and_the_model_reads_its_result() {
    let transport = FakeTransport::default();
    let (mut rt, _) = with_server(&transport);
    tool_call(
        &transport,
        "c1",
        "everything__echo",
        json!({"message": "hi"}),
    );
    let events = send(&mut rt, "s", "echo hi");
    // Offered beside the built-in tools.
    let model_call = transport
        .sent
        .borrow()
        .iter()
        .rev()
        .find(|r| r.url != MCP)
        .cloned()
        .unwrap();
    let declared = declared_tools(&model_call);
    assert!(declared.contains(&"everything__echo".to_owned()));
    assert!(declared.contains(&"web_fetch".to_owned()));
    assert!(events.iter().any(|e| matches!(e,
        Event::ToolCallStarted { name, server: Some(server), tool: Some(tool), .. }
            if name == "everything__echo" && server == "Everything Reference Server" && tool == "echo")));
    let subject = events
        .iter()
        .find_map(|e| match e {
            Event::ToolApprovalRequested { subject, .. } => Some(subject.clone()),
            _ => None,
        })
        .expect("asked");
    assert_eq!(
        subject,
        r#"Everything Reference Server / echo: {"message":"hi"}"#
    );

    stream(
        &transport,
        &[
            json!({"jsonrpc": "2.0", "method": "notifications/progress",
                   "params": {"progressToken": "ferry-5", "progress": 1, "total": 2, "message": "half"}}),
            result(
                5,
                json!({"content": [{"type": "text", "text": "Echo: hi"}]}),
            ),
        ],
    );
    answer(&transport, "It said hi.");
    let events = command(
        &mut rt,
        Command::ApproveToolCall {
            session: "s".into(),
            call_id: "c1".into(),
            decision: Decision::AllowOnce,
        },
    );
    let call = mcp_bodies(&transport)
        .into_iter()
        .find(|b| b["method"] == "tools/call")
        .unwrap();
    assert_eq!(call["params"]["name"], "echo");
    assert_eq!(call["params"]["arguments"]["message"], "hi");
    assert!(events.iter().any(|e| matches!(e,
        Event::ToolProgress { progress, total: Some(total), message: Some(m), .. }
            if *progress == 1.0 && *total == 2.0 && m == "half")));
    assert_eq!(finished(&events), [(true, "Echo: hi".to_owned(), 0)]);
    let messages = last_model_messages(&transport);
    let tool = messages.iter().find(|m| m["role"] == "tool").unwrap();
    assert_eq!(tool["content"], "Echo: hi");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::TurnFinished { stopped: false, .. }))
    );
    assert_eq!(
        stored_texts(&rt, "s").last().unwrap().1,
        "It said hi.".to_owned()
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_tool_error_fails_the_call_and_the_turn_goes_on() {
    let transport = FakeTransport::default();
    let (mut rt, id) = with_server(&transport);
    set_approval(&mut rt, &id, "echo", ToolApproval::Always);
    tool_call(
        &transport,
        "c1",
        "everything__echo",
        json!({"message": "x"}),
    );
    stream(
        &transport,
        &[result(
            5,
            json!({"content": [{"type": "text", "text": "boom"}], "isError": true}),
        )],
    );
    answer(&transport, "The tool failed.");
    let events = send(&mut rt, "s", "echo x");
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::ToolApprovalRequested { .. }))
    );
    assert_eq!(finished(&events), [(false, "boom".to_owned(), 0)]);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::TurnFinished { stopped: false, .. }))
    );
    // A server that answers a JSON-RPC error: the same.
    tool_call(
        &transport,
        "c2",
        "everything__echo",
        json!({"message": "y"}),
    );
    stream(
        &transport,
        &[
            json!({"jsonrpc": "2.0", "id": 6, "error": {"code": -32602, "message": "Invalid params"}}),
        ],
    );
    answer(&transport, "Again.");
    let events = send(&mut rt, "s", "echo y");
    let [(false, output, 0)] = &finished(&events)[..] else {
        panic!("{events:?}")
    };
    assert!(output.contains("Invalid params"), "{output}");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::TurnFinished { stopped: false, .. }))
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_server_off_in_a_chat_offers_no_tools_there() {
    let transport = FakeTransport::default();
    let (mut rt, id) = with_server(&transport);
    answer(&transport, "Hello.");
    send(&mut rt, "s", "hi");
    let events = command(
        &mut rt,
        Command::SetChatMcp {
            session: "s".into(),
            server: id.clone(),
            enabled: Some(false),
        },
    );
    let Some(Event::Sessions { sessions }) = events.last() else {
        panic!("{events:?}")
    };
    assert_eq!(sessions[0].mcp.get(&id), Some(&false));
    let declared = |transport: &FakeTransport| {
        let sent = transport.sent.borrow();
        declared_tools(sent.iter().rev().find(|r| r.url != MCP).unwrap())
    };
    answer(&transport, "Hello again.");
    send(&mut rt, "s", "hi again");
    assert!(
        !declared(&transport)
            .iter()
            .any(|n| n.starts_with("everything__"))
    );
    // Following the global switch again; switched off globally, off everywhere.
    command(
        &mut rt,
        Command::SetChatMcp {
            session: "s".into(),
            server: id.clone(),
            enabled: None,
        },
    );
    answer(&transport, "Back.");
    send(&mut rt, "s", "and now");
    assert!(declared(&transport).contains(&"everything__echo".to_owned()));
    let off = command(
        &mut rt,
        Command::SetMcpServer {
            server: id,
            enabled: false,
        },
    );
    assert_eq!(servers(&off)[0].status, McpStatus::Off);
    answer(&transport, "Off.");
    send(&mut rt, "s", "off?");
    assert!(
        !declared(&transport)
            .iter()
            .any(|n| n.starts_with("everything__"))
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn stop_during_a_call_cancels_it_on_the_server_and_ends_the_turn() {
    let transport = FakeTransport::default();
    let (mut rt, id) = with_server(&transport);
    set_approval(&mut rt, &id, "echo", ToolApproval::Always);
    tool_call(
        &transport,
        "c1",
        "everything__echo",
        json!({"message": "slow"}),
    );
    // The call's stream: a progress notification, then nothing (the server still works).
    transport.headed(
        200,
        &[("content-type", "text/event-stream")],
        sse(
            &[json!({"jsonrpc": "2.0", "method": "notifications/progress",
                     "params": {"progressToken": "ferry-5", "progress": 1, "total": 10}})],
        ),
        true,
    );
    // The cancellation is accepted.
    accepted(&transport);
    *transport.stop_reading.borrow_mut() = Some((MCP.to_owned(), rt.stop_handle()));
    let events = send(&mut rt, "s", "slow echo");
    let cancelled = mcp_bodies(&transport)
        .into_iter()
        .find(|b| b["method"] == "notifications/cancelled")
        .unwrap_or_else(|| panic!("no cancellation sent: {events:?}"));
    assert_eq!(cancelled["params"]["requestId"], 5);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::TurnFinished { stopped: true, .. }))
    );
    let stored = stored_texts(&rt, "s");
    assert_eq!(stored.last().unwrap().1, STOPPED_TOOL_OUTPUT);
    // No further model call was made.
    assert_eq!(
        transport
            .sent
            .borrow()
            .iter()
            .filter(|r| r.url != MCP)
            .count(),
        1
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn an_image_result_is_stored_and_sent_to_a_model_that_takes_images() {
    let transport = FakeTransport::default();
    let (mut rt, _) = with_server(&transport);
    rt.settings.model = "gpt-4o".into();
    tool_call(&transport, "c1", "everything__get-tiny-image", json!({}));
    stream(
        &transport,
        &[result(
            5,
            json!({"content": [
                {"type": "text", "text": "Here is a tiny image:"},
                {"type": "image", "data": PNG, "mimeType": "image/png"},
                {"type": "text", "text": "The image above is the MCP logo."}]}),
        )],
    );
    answer(&transport, "A logo.");
    let events = send(&mut rt, "s", "show me");
    let attachments = events
        .iter()
        .find_map(|e| match e {
            Event::ToolCallFinished { attachments, .. } => Some(attachments.clone()),
            _ => None,
        })
        .unwrap();
    let [image] = &attachments[..] else {
        panic!("{events:?}")
    };
    assert_eq!(image.name, "get-tiny-image-1.png");
    assert_eq!((image.width, image.height), (Some(1), Some(1)));
    assert!(run(rt.store.blob(&image.id)).unwrap().is_some());
    // The tool's message keeps it.
    let history = run(rt.store.messages("s")).unwrap();
    let tool = history
        .iter()
        .find(|m| m.message.role == Role::Tool)
        .unwrap();
    assert_eq!(tool.attachments[0].id, image.id);
    // The next call sends it right after the tool results.
    let messages = last_model_messages(&transport);
    let at = messages.iter().position(|m| m["role"] == "tool").unwrap();
    let images = &messages[at + 1];
    assert_eq!(images["role"], "user");
    assert_eq!(
        images["content"][0]["text"],
        "Images from Everything Reference Server/get-tiny-image:"
    );
    assert!(
        images["content"][1]["image_url"]["url"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,")
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn always_allow_on_an_mcp_tool_sets_it_to_always() {
    let transport = FakeTransport::default();
    let (mut rt, _) = with_server(&transport);
    tool_call(
        &transport,
        "c1",
        "everything__echo",
        json!({"message": "a"}),
    );
    send(&mut rt, "s", "echo a");
    stream(
        &transport,
        &[result(
            5,
            json!({"content": [{"type": "text", "text": "Echo: a"}]}),
        )],
    );
    answer(&transport, "Done.");
    let events = command(
        &mut rt,
        Command::ApproveToolCall {
            session: "s".into(),
            call_id: "c1".into(),
            decision: Decision::AlwaysAllow,
        },
    );
    let echo = servers(&events)[0].tools[0].clone();
    assert_eq!(
        (echo.name.as_str(), echo.approval),
        ("echo", ToolApproval::Always)
    );
    // Not among the built-in tools' grants.
    assert!(rt.settings.always_allow.is_empty());
}

#[wasm_bindgen_test(unsupported = test)]
fn prompts_and_resources_are_read_for_the_composer() {
    let transport = FakeTransport::default();
    let (mut rt, id) = with_server(&transport);
    stream(
        &transport,
        &[result(
            5,
            json!({"messages": [{"role": "user",
                    "content": {"type": "text", "text": "What is the weather in Oslo?"}}]}),
        )],
    );
    let events = command(
        &mut rt,
        Command::GetMcpPrompt {
            server: id.clone(),
            prompt: "args-prompt".into(),
            arguments: [("city".to_owned(), "Oslo".to_owned())].into(),
        },
    );
    assert_eq!(
        events,
        [Event::McpPrompt {
            server: id.clone(),
            prompt: "args-prompt".into(),
            text: "What is the weather in Oslo?".into(),
        }]
    );
    let asked = mcp_bodies(&transport).pop().unwrap();
    assert_eq!(asked["method"], "prompts/get");
    assert_eq!(asked["params"]["arguments"]["city"], "Oslo");

    let uri = "demo://resource/static/document/architecture.md";
    stream(
        &transport,
        &[result(
            6,
            json!({"contents": [{"uri": uri, "mimeType": "text/markdown", "text": "# Architecture"}]}),
        )],
    );
    let events = command(
        &mut rt,
        Command::ReadMcpResource {
            server: id.clone(),
            uri: uri.into(),
        },
    );
    assert_eq!(
        events,
        [Event::McpResource {
            server: id,
            uri: uri.into(),
            name: "architecture.md".into(),
            mime_type: "text/markdown".into(),
            text: Some("# Architecture".into()),
            blob: None,
        }]
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_removed_server_ends_its_session_and_an_export_keeps_no_token() {
    let transport = FakeTransport::default();
    let (mut rt, id) = with_server(&transport);
    let exported = command(
        &mut rt,
        Command::Export {
            include_keys: false,
        },
    );
    let Some(Event::Exported { document }) = exported.last() else {
        panic!("{exported:?}")
    };
    assert!(document.contains("mcp-servers/everything"));
    assert!(!document.contains("\"token\""));
    accepted(&transport);
    let events = command(&mut rt, Command::RemoveMcpServer { server: id });
    assert!(servers(&events).is_empty());
    let last = transport.sent.borrow().last().cloned().unwrap();
    assert_eq!(last.method, ferry_core::adapter::HttpMethod::Delete);
    assert!(run(rt.store.mcp_servers()).unwrap().is_empty());
}

#[wasm_bindgen_test(unsupported = test)]
fn a_tool_set_to_chat_asks_once_per_chat() {
    let transport = FakeTransport::default();
    let (mut rt, _) = with_server(&transport);
    let note = |transport: &FakeTransport, call: &str, id: u64| {
        tool_call(
            transport,
            call,
            "everything__add-note",
            json!({"text": "tea"}),
        );
        stream(
            transport,
            &[result(
                id,
                json!({"content": [{"type": "text", "text": "noted"}]}),
            )],
        );
        answer(transport, "Noted.");
    };
    let asked = |events: &[Event]| {
        events
            .iter()
            .any(|e| matches!(e, Event::ToolApprovalRequested { .. }))
    };
    note(&transport, "c1", 5);
    let events = send(&mut rt, "s", "note tea");
    assert!(asked(&events));
    // Allowed once: the rest of this chat runs unasked.
    let events = command(
        &mut rt,
        Command::ApproveToolCall {
            session: "s".into(),
            call_id: "c1".into(),
            decision: Decision::AllowOnce,
        },
    );
    assert_eq!(finished(&events), [(true, "noted".to_owned(), 0)]);
    note(&transport, "c2", 6);
    let events = send(&mut rt, "s", "again");
    assert!(!asked(&events), "{events:?}");
    assert_eq!(finished(&events), [(true, "noted".to_owned(), 0)]);
    // Another chat asks again.
    tool_call(
        &transport,
        "c3",
        "everything__add-note",
        json!({"text": "tea"}),
    );
    let events = send(&mut rt, "t", "note tea");
    assert!(asked(&events));
}

#[wasm_bindgen_test(unsupported = test)]
fn a_new_token_reconnects_and_a_failed_refresh_shows_the_error() {
    let transport = FakeTransport::default();
    let (mut rt, id) = with_server(&transport);
    script_connect(&transport);
    let events = command(
        &mut rt,
        Command::SetMcpToken {
            server: id.clone(),
            token: Some("second".into()),
        },
    );
    assert_eq!(servers(&events)[0].status, McpStatus::Connected);
    let sent = transport.sent.borrow();
    let initialize = sent.iter().rev().nth(4).unwrap();
    assert!(initialize.body.as_deref().unwrap().contains("initialize"));
    assert!(
        initialize
            .headers
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case("authorization") && v == "Bearer second")
    );
    drop(sent);
    // The server is gone (nothing answers, either way): shown as failed, kept.
    let events = command(&mut rt, Command::RefreshMcpServer { server: id.clone() });
    assert!(events.iter().any(|e| matches!(e,
        Event::McpServerFailed { server: Some(s), unauthorized: false, .. } if *s == id)));
    let [server] = &servers(&events)[..] else {
        panic!("{events:?}")
    };
    assert_eq!(server.status, McpStatus::Error);
    assert!(server.error.is_some());
    assert_eq!(server.tools.len(), 4, "the last listing is kept");
}

//! A server's tools in turns: offered beside the built-in ones, asked about as their
//! approval says, run with progress and Stop, their errors and images passed on, off in a
//! chat that turned the server off.

use serde_json::{Value, json};

use super::*;
use crate::agent::STOPPED_TOOL_OUTPUT;
use crate::approval::Decision;
use crate::protocol::{McpStatus, ToolApproval};

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
/// The model calls the server's `echo` with `message`.
fn echo_call(transport: &FakeTransport, call: &str, message: &str) {
    tool_call(
        transport,
        call,
        "everything__echo",
        json!({ "message": message }),
    );
}

/// The server's answer to call `id`: one text.
fn text_result(transport: &FakeTransport, id: u64, text: &str) {
    stream(
        transport,
        &[result(
            id,
            json!({"content": [{"type": "text", "text": text}]}),
        )],
    );
}

/// The user's answer to chat `s`'s approval request for `call`.
fn approve(rt: &mut TestRuntime<'_>, call: &str, decision: Decision) -> Vec<Event> {
    command(
        rt,
        Command::ApproveToolCall {
            session: "s".into(),
            call_id: call.into(),
            decision,
        },
    )
}

/// The turn ended of itself, not stopped.
fn finished_unstopped(events: &[Event]) -> bool {
    events
        .iter()
        .any(|e| matches!(e, Event::TurnFinished { stopped: false, .. }))
}

#[wasm_bindgen_test(unsupported = test)]
fn a_turn_calls_an_mcp_tool_after_approval_and_the_model_reads_its_result() {
    let transport = FakeTransport::default();
    let (mut rt, _) = with_server(&transport);
    echo_call(&transport, "c1", "hi");
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
    let events = approve(&mut rt, "c1", Decision::AllowOnce);
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
    assert!(finished_unstopped(&events));
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
    echo_call(&transport, "c1", "x");
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
    assert!(finished_unstopped(&events));
    // A server that answers a JSON-RPC error: the same.
    echo_call(&transport, "c2", "y");
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
    assert!(finished_unstopped(&events));
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
    echo_call(&transport, "c1", "slow");
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
    echo_call(&transport, "c1", "a");
    send(&mut rt, "s", "echo a");
    text_result(&transport, 5, "Echo: a");
    answer(&transport, "Done.");
    let events = approve(&mut rt, "c1", Decision::AlwaysAllow);
    let echo = servers(&events)[0].tools[0].clone();
    assert_eq!(
        (echo.name.as_str(), echo.approval),
        ("echo", ToolApproval::Always)
    );
    // Not among the built-in tools' grants.
    assert!(rt.settings.always_allow.is_empty());
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
        text_result(transport, id, "noted");
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
    let events = approve(&mut rt, "c1", Decision::AllowOnce);
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

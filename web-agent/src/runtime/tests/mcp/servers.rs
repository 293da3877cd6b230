//! What Settings does with a server: added and listed (or not kept when out of reach),
//! prompts and resources read, removed, a new token.

use serde_json::json;

use super::*;
use crate::protocol::{McpStatus, McpWay, ToolApproval};

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

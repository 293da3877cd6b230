//! Opening, tool calls, Stop and timeouts, a forgotten session, errors, the relay.

use super::*;

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
        let result =
            call_simply(&mut connection, &server, "echo", json!({"message": "hi"})).unwrap();
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
    let outcome = call_simply(&mut connection, &server, "echo", json!({}));
    assert!(
        matches!(outcome, Err(McpFailure::Http { status: 404, .. })),
        "{outcome:?}"
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn errors_as_the_user_reads_them() {
    let server = Server::default();
    let mut connection = opened(&server);
    server.stream(&[
        json!({"jsonrpc": "2.0", "id": 5, "error": {"code": -32602, "message": "Invalid params"}}),
    ]);
    let outcome = call_simply(&mut connection, &server, "echo", json!({}));
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
    let outcome = call_simply(&mut connection, &server, "echo", json!({}));
    assert_eq!(
        outcome,
        Err(McpFailure::Unauthorized {
            challenge: Some(
                "Bearer resource_metadata=\"http://x/.well-known/oauth-protected-resource\"".into()
            )
        })
    );
    server.reply(500, &[], vec!["boom".into()], false);
    let outcome = call_simply(&mut connection, &server, "echo", json!({}));
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

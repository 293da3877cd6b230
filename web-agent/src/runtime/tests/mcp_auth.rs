//! Signing in to an MCP server with OAuth through the runtime, against scripted servers
//! that answer as the official SDK's demo (`--oauth --oauth-strict`) does: a 401 with a
//! challenge, protected resource and authorization server metadata, registration, the
//! code traded, the server connected with the token; refresh before expiry; a refused
//! refresh that asks for a sign-in again.

use ferry_core::adapter::UpstreamRequest;
use ferry_mcp::oauth::{OAuthState, parse_form};
use serde_json::{Value, json};

use super::mcp::servers;
use super::*;
use crate::protocol::{McpAuth, McpStatus};

const MCP: &str = "http://localhost:3000/mcp";
const REDIRECT: &str = "http://127.0.0.1:8080/mcp-oauth.html";
const CHALLENGE: &str = r#"Bearer error="invalid_token", error_description="Missing Authorization header", resource_metadata="http://localhost:3000/.well-known/oauth-protected-resource/mcp""#;

fn failures(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::McpServerFailed { message, .. } => Some(message.clone()),
            _ => None,
        })
        .collect()
}

fn json_answer(transport: &FakeTransport, status: u16, body: Value) {
    transport.headed(
        status,
        &[("content-type", "application/json")],
        vec![body.to_string()],
        false,
    );
}

/// The token endpoint's answer to a refresh: `access`, valid an hour, no new refresh token.
fn refreshed_token(transport: &FakeTransport, access: &str) {
    json_answer(
        transport,
        200,
        json!({"access_token": access, "token_type": "bearer", "expires_in": 3600}),
    );
}

/// Settings' Refresh on server `id`.
fn refresh(rt: &mut TestRuntime<'_>, id: &str) -> Vec<Event> {
    command(rt, Command::RefreshMcpServer { server: id.into() })
}

/// The demo's MCP server without a token, then its metadata.
fn script_discovery(transport: &FakeTransport) {
    transport.headed(
        401,
        &[
            ("content-type", "application/json"),
            ("www-authenticate", CHALLENGE),
        ],
        vec![r#"{"error":"invalid_token"}"#.into()],
        false,
    );
    json_answer(
        transport,
        200,
        json!({"resource": MCP, "authorization_servers": ["http://localhost:3001/"],
               "scopes_supported": ["mcp:tools"], "resource_name": "MCP Demo Server"}),
    );
    json_answer(
        transport,
        200,
        json!({"issuer": "http://localhost:3001/",
               "authorization_endpoint": "http://localhost:3001/authorize",
               "token_endpoint": "http://localhost:3001/token",
               "registration_endpoint": "http://localhost:3001/register",
               "response_types_supported": ["code"],
               "code_challenge_methods_supported": ["S256"],
               "token_endpoint_auth_methods_supported": ["client_secret_post", "none"]}),
    );
}

/// initialize (with a session id), initialized, tools/list.
fn script_connect(transport: &FakeTransport) {
    let sse = |message: Value| {
        vec![
            "id: prime\ndata: \n\n".to_owned(),
            format!("event: message\nid: 1\ndata: {message}\n\n"),
        ]
    };
    transport.headed(
        200,
        &[
            ("content-type", "text/event-stream"),
            ("mcp-session-id", "sess-1"),
        ],
        sse(json!({"jsonrpc": "2.0", "id": 1, "result": {
            "protocolVersion": "2025-11-25", "capabilities": {"tools": {}},
            "serverInfo": {"name": "simple-streamable-http-server", "version": "1.0.0"}}})),
        false,
    );
    transport.headed(202, &[], Vec::new(), false);
    transport.headed(
        200,
        &[("content-type", "text/event-stream")],
        sse(json!({"jsonrpc": "2.0", "id": 2, "result": {"tools": [
            {"name": "greet", "description": "A simple greeting tool",
             "inputSchema": {"type": "object", "properties": {"name": {"type": "string"}}}}]}})),
        false,
    );
}

fn header(request: &UpstreamRequest, name: &str) -> Option<String> {
    request
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.clone())
}

fn form_value(request: &UpstreamRequest, name: &str) -> Option<String> {
    parse_form(request.body.as_deref().unwrap_or_default())
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
}

fn oauth_of(rt: &TestRuntime<'_>, id: &str) -> OAuthState {
    let record = run(rt.store().mcp_server(id)).ok().flatten();
    let sealed = record
        .and_then(|r| r.oauth)
        .unwrap_or_else(|| panic!("no oauth"));
    let json = run(FakeVault.open(&sealed)).unwrap_or_default();
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"))
}

/// Added (401 → discovered), then `Sign in`: the authorize URL's query, and the server id.
fn added_and_authorizing(
    transport: &FakeTransport,
) -> (TestRuntime<'_>, String, Vec<(String, String)>) {
    let mut rt = runtime(transport, ProviderId::OpenAi);
    script_discovery(transport);
    let events = command(
        &mut rt,
        Command::AddMcpServer {
            url: MCP.into(),
            token: None,
        },
    );
    let listed = servers(&events);
    assert_eq!(listed.len(), 1, "{events:?}");
    assert_eq!(listed[0].auth, McpAuth::Oauth);
    assert_eq!(listed[0].status, McpStatus::Unauthorized);
    let id = listed[0].id.clone();

    json_answer(
        transport,
        201,
        json!({"client_id": "client-7", "token_endpoint_auth_method": "none",
               "redirect_uris": [REDIRECT]}),
    );
    let events = command(
        &mut rt,
        Command::AuthorizeMcpServer {
            server: id.clone(),
            redirect_uri: REDIRECT.into(),
        },
    );
    let url = events
        .iter()
        .find_map(|e| match e {
            Event::McpAuthorizeUrl { server, url } if *server == id => Some(url.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no authorize url in {events:?}"));
    let (endpoint, query) = url.split_once('?').unwrap_or_default();
    assert_eq!(endpoint, "http://localhost:3001/authorize");
    (rt, id, parse_form(query))
}

fn get<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map_or("", |(_, v)| v.as_str())
}

fn signed_in(transport: &FakeTransport, expires_in: u64) -> (TestRuntime<'_>, String) {
    let (mut rt, id, query) = added_and_authorizing(transport);
    json_answer(
        transport,
        200,
        json!({"access_token": "at-1", "token_type": "bearer", "expires_in": expires_in,
               "refresh_token": "rt-1", "scope": "mcp:tools"}),
    );
    script_connect(transport);
    let events = command(
        &mut rt,
        Command::CompleteMcpAuthorization {
            query: format!("?code=code-1&state={}", get(&query, "state")),
        },
    );
    assert_eq!(failures(&events), Vec::<String>::new());
    let listed = servers(&events);
    assert_eq!(listed[0].status, McpStatus::Connected, "{events:?}");
    (rt, id)
}

#[wasm_bindgen_test(unsupported = test)]
fn a_401_server_is_signed_in_to_with_pkce_and_the_resource() {
    let transport = FakeTransport::default();
    let (rt, id) = signed_in(&transport, 3600);
    let sent = transport.sent.borrow();
    let urls: Vec<&str> = sent.iter().map(|r| r.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            MCP,
            "http://localhost:3000/.well-known/oauth-protected-resource/mcp",
            "http://localhost:3001/.well-known/oauth-authorization-server",
            "http://localhost:3001/register",
            "http://localhost:3001/token",
            MCP,
            MCP,
            MCP,
        ]
    );
    let registration: Value =
        serde_json::from_str(sent[3].body.as_deref().unwrap_or_default()).unwrap_or_default();
    assert_eq!(registration["token_endpoint_auth_method"], "none");
    assert_eq!(registration["redirect_uris"], json!([REDIRECT]));
    // The code traded with the verifier whose challenge went out, for the resource.
    let token = &sent[4];
    assert_eq!(
        form_value(token, "grant_type").as_deref(),
        Some("authorization_code")
    );
    assert_eq!(form_value(token, "code").as_deref(), Some("code-1"));
    assert_eq!(form_value(token, "resource").as_deref(), Some(MCP));
    assert_eq!(form_value(token, "client_id").as_deref(), Some("client-7"));
    assert_eq!(form_value(token, "redirect_uri").as_deref(), Some(REDIRECT));
    // The MCP requests carry the access token.
    assert_eq!(
        header(&sent[5], "authorization").as_deref(),
        Some("Bearer at-1")
    );
    // Kept sealed: the tokens, the client; the sign-in in progress used up.
    let oauth = oauth_of(&rt, &id);
    assert_eq!(oauth.access_token(), Some("at-1"));
    assert_eq!(oauth.pending, None);
    assert_eq!(oauth.client.map(|c| c.client_id), Some("client-7".into()));
    let record = run(rt.store().mcp_server(&id)).ok().flatten();
    let stored = serde_json::to_string(&record).unwrap_or_default();
    assert!(
        !stored.contains("at-1") && !stored.contains("rt-1"),
        "{stored}"
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn the_authorize_url_carries_s256_state_resource_and_scope() {
    let transport = FakeTransport::default();
    let (rt, id, query) = added_and_authorizing(&transport);
    assert_eq!(get(&query, "response_type"), "code");
    assert_eq!(get(&query, "client_id"), "client-7");
    assert_eq!(get(&query, "redirect_uri"), REDIRECT);
    assert_eq!(get(&query, "code_challenge_method"), "S256");
    assert_eq!(get(&query, "resource"), MCP);
    assert_eq!(get(&query, "scope"), "mcp:tools");
    // The verifier and the state are kept sealed on the record (a reload keeps them).
    let pending = oauth_of(&rt, &id)
        .pending
        .unwrap_or_else(|| panic!("no pending"));
    assert_eq!(get(&query, "state"), pending.state);
    assert_eq!(
        get(&query, "code_challenge"),
        ferry_mcp::oauth::challenge_of(&pending.verifier)
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_way_back_with_another_state_or_an_error_signs_nobody_in() {
    let transport = FakeTransport::default();
    let (mut rt, id, query) = added_and_authorizing(&transport);
    let sent = transport.sent.borrow().len();
    let events = command(
        &mut rt,
        Command::CompleteMcpAuthorization {
            query: "?code=stolen&state=someone-elses".into(),
        },
    );
    assert_eq!(transport.sent.borrow().len(), sent, "nothing traded");
    assert_eq!(failures(&events).len(), 1, "{events:?}");
    let events = command(
        &mut rt,
        Command::CompleteMcpAuthorization {
            query: format!(
                "?error=access_denied&error_description=The+user+said+no&state={}",
                get(&query, "state")
            ),
        },
    );
    assert_eq!(
        failures(&events),
        ["the authorization server refused the sign-in: access_denied: The user said no"]
    );
    assert_eq!(servers(&events)[0].status, McpStatus::Unauthorized);
    assert_eq!(oauth_of(&rt, &id).pending, None);
}

#[wasm_bindgen_test(unsupported = test)]
fn a_refused_code_shows_the_servers_words() {
    let transport = FakeTransport::default();
    let (mut rt, _, query) = added_and_authorizing(&transport);
    json_answer(
        &transport,
        400,
        json!({"error": "invalid_grant", "error_description": "Invalid resource"}),
    );
    let events = command(
        &mut rt,
        Command::CompleteMcpAuthorization {
            query: format!("?code=c&state={}", get(&query, "state")),
        },
    );
    assert_eq!(
        failures(&events),
        ["the authorization server refused the token request: invalid_grant: Invalid resource"]
    );
    assert_eq!(servers(&events)[0].status, McpStatus::Unauthorized);
}

#[wasm_bindgen_test(unsupported = test)]
fn a_server_without_registration_needs_a_client_registered_in_advance() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    script_discovery(&transport);
    // The authorization server's metadata without a registration endpoint.
    if let Some(Scripted::Headed { chunks, .. }) = transport.script.borrow_mut().back_mut() {
        let mut metadata: Value = serde_json::from_str(&chunks[0]).unwrap_or_default();
        metadata
            .as_object_mut()
            .map(|m| m.remove("registration_endpoint"));
        chunks[0] = metadata.to_string();
    }
    let events = command(
        &mut rt,
        Command::AddMcpServer {
            url: MCP.into(),
            token: None,
        },
    );
    let id = servers(&events)[0].id.clone();
    let events = command(
        &mut rt,
        Command::AuthorizeMcpServer {
            server: id,
            redirect_uri: REDIRECT.into(),
        },
    );
    let failed = failures(&events);
    assert_eq!(failed.len(), 1, "{events:?}");
    assert!(failed[0].contains("registered in advance"), "{failed:?}");
}

/// An hour's token is 50 s from its end (the fake clock moves 100 ms at every look).
fn within_a_minute_of_expiry(rt: &TestRuntime<'_>) {
    for _ in 0..(3_600_000 - 50_000) / 100 {
        rt.clock.now_ms();
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn tokens_are_refreshed_a_minute_before_expiry() {
    let transport = FakeTransport::default();
    let (mut rt, id) = signed_in(&transport, 3600);
    within_a_minute_of_expiry(&rt);
    let before = transport.sent.borrow().len();
    refreshed_token(&transport, "at-2");
    script_connect(&transport);
    let events = refresh(&mut rt, &id);
    assert_eq!(
        servers(&events)[0].status,
        McpStatus::Connected,
        "{events:?}"
    );
    let sent = transport.sent.borrow();
    let refresh = &sent[before];
    assert_eq!(refresh.url, "http://localhost:3001/token");
    assert_eq!(
        form_value(refresh, "grant_type").as_deref(),
        Some("refresh_token")
    );
    assert_eq!(
        form_value(refresh, "refresh_token").as_deref(),
        Some("rt-1")
    );
    assert_eq!(form_value(refresh, "resource").as_deref(), Some(MCP));
    assert_eq!(
        header(&sent[before + 1], "authorization").as_deref(),
        Some("Bearer at-2")
    );
    drop(sent);
    let oauth = oauth_of(&rt, &id);
    assert_eq!(oauth.access_token(), Some("at-2"));
    // The refresh token is kept when the answer brings no new one.
    assert_eq!(
        oauth.tokens.and_then(|t| t.refresh_token).as_deref(),
        Some("rt-1")
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_refused_refresh_asks_for_a_sign_in_again() {
    let transport = FakeTransport::default();
    let (mut rt, id) = signed_in(&transport, 3600);
    within_a_minute_of_expiry(&rt);
    json_answer(
        &transport,
        400,
        json!({"error": "invalid_grant", "error_description": "revoked"}),
    );
    let events = refresh(&mut rt, &id);
    assert_eq!(
        servers(&events)[0].status,
        McpStatus::Unauthorized,
        "{events:?}"
    );
    assert_eq!(oauth_of(&rt, &id).tokens, None);
}

#[wasm_bindgen_test(unsupported = test)]
fn a_token_the_server_refuses_is_refreshed_once() {
    let transport = FakeTransport::default();
    let (mut rt, id) = signed_in(&transport, 3600);
    let before = transport.sent.borrow().len();
    let refused = |transport: &FakeTransport| {
        transport.headed(
            401,
            &[("www-authenticate", CHALLENGE)],
            vec![r#"{"error":"invalid_token"}"#.into()],
            false,
        );
    };
    refused(&transport);
    refreshed_token(&transport, "at-2");
    script_connect(&transport);
    let events = refresh(&mut rt, &id);
    assert_eq!(
        servers(&events)[0].status,
        McpStatus::Connected,
        "{events:?}"
    );
    {
        let sent = transport.sent.borrow();
        assert_eq!(
            header(&sent[before], "authorization").as_deref(),
            Some("Bearer at-1")
        );
        assert_eq!(sent[before + 1].url, "http://localhost:3001/token");
        assert_eq!(
            header(&sent[before + 2], "authorization").as_deref(),
            Some("Bearer at-2")
        );
    }
    // Refused again after the refresh: a sign-in is needed, and nothing loops.
    refused(&transport);
    refreshed_token(&transport, "at-3");
    refused(&transport);
    let events = refresh(&mut rt, &id);
    assert_eq!(
        servers(&events)[0].status,
        McpStatus::Unauthorized,
        "{events:?}"
    );
    assert_eq!(failures(&events).len(), 1);
}

//! The OAuth driver against a scripted MCP server and authorization server that answer by
//! URL as the official SDK's demo does.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::task::{Context, Poll, Waker};

use ferry_core::adapter::{HttpMethod, UpstreamRequest};
use ferry_mcp::oauth::{Callback, OAuthError, parse_callback, parse_form};
use wasm_bindgen_test::wasm_bindgen_test;

use super::*;
use crate::mcp::Relay;
use crate::transport::{Answer, Body, NetworkError};

fn run<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => unreachable!("the scripted servers never wait"),
    }
}

struct Whole(Option<Vec<u8>>);

impl Body for Whole {
    async fn next(&mut self) -> Option<Result<Vec<u8>, NetworkError>> {
        self.0.take().map(Ok)
    }
}

/// Answers by URL (several answers for one URL: in turn, the last one kept); anything
/// else is a 404. Records what was sent.
#[derive(Default)]
struct Servers {
    routes: RefCell<BTreeMap<String, VecDeque<(u16, String)>>>,
    sent: RefCell<Vec<UpstreamRequest>>,
    /// Origins the browser may not call (no CORS): only the relay reaches them.
    no_cors: RefCell<Vec<String>>,
    /// The relay refuses (its own answer, as for a private address).
    relay_refuses: std::cell::Cell<bool>,
}

/// The proxy's root, as [`Relay`] names it.
const PROXY: &str = "https://proxy.test";

impl Servers {
    fn route(&self, url: &str, status: u16, body: &str) {
        self.routes
            .borrow_mut()
            .entry(url.to_owned())
            .or_default()
            .push_back((status, body.to_owned()));
    }

    /// The demo's token endpoint answers next with `body`.
    fn token_answer(&self, status: u16, body: &str) {
        self.route("http://localhost:3001/token", status, body);
    }

    fn urls(&self) -> Vec<String> {
        self.sent.borrow().iter().map(|r| r.url.clone()).collect()
    }

    fn form(&self, n: usize) -> Vec<(String, String)> {
        parse_form(self.sent.borrow()[n].body.as_deref().unwrap_or_default())
    }
}

impl Transport for Servers {
    type Body = Whole;

    async fn send(&self, request: &UpstreamRequest) -> Result<Answer<Whole>, NetworkError> {
        self.sent.borrow_mut().push(request.clone());
        let relayed = request.url == format!("{PROXY}/v1/proxy/mcp");
        let url = match relayed {
            true => request
                .headers
                .iter()
                .find(|(name, _)| *name == "x-mcp-server")
                .map(|(_, url)| url.clone())
                .unwrap_or_default(),
            false => request.url.clone(),
        };
        let blocked = self
            .no_cors
            .borrow()
            .iter()
            .any(|o| url.starts_with(o.as_str()));
        if (!relayed && blocked) || url.contains("unreachable") {
            return Err(NetworkError("Failed to fetch".into()));
        }
        if relayed && self.relay_refuses.get() {
            return Ok(Answer {
                status: 403,
                retry_after_secs: None,
                headers: vec![("content-type".into(), "application/json".into())],
                body: Whole(Some(
                    br#"{"error":{"code":"forbidden","message":"a private address"}}"#.to_vec(),
                )),
            });
        }
        let mut routes = self.routes.borrow_mut();
        let (status, body) = match routes.get_mut(&url) {
            Some(answers) if answers.len() > 1 => answers.pop_front().unwrap_or_default(),
            Some(answers) => answers.front().cloned().unwrap_or_default(),
            None => (404, "Not Found".into()),
        };
        let mut headers = vec![("content-type".into(), "application/json".into())];
        if relayed {
            headers.push(("x-mcp-relayed".into(), "true".into()));
        }
        Ok(Answer {
            status,
            retry_after_secs: None,
            headers,
            body: Whole(Some(body.into_bytes())),
        })
    }
}

fn net(servers: &Servers) -> Net<'_, Servers> {
    Net {
        transport: servers,
        relay: None,
    }
}

const MCP: &str = "http://localhost:3000/mcp";
const CHALLENGE: &str = r#"Bearer error="invalid_token", error_description="Missing Authorization header", resource_metadata="http://localhost:3000/.well-known/oauth-protected-resource/mcp""#;
const REDIRECT: &str = "http://127.0.0.1:8080/mcp-oauth.html";

/// The SDK's demo (`simpleStreamableHttp.js --oauth --oauth-strict`), as it answers.
fn demo() -> Servers {
    let servers = Servers::default();
    servers.route(
        "http://localhost:3000/.well-known/oauth-protected-resource/mcp",
        200,
        r#"{"resource":"http://localhost:3000/mcp","authorization_servers":["http://localhost:3001/"],"scopes_supported":["mcp:tools"],"resource_name":"MCP Demo Server"}"#,
    );
    servers.route(
        "http://localhost:3001/.well-known/oauth-authorization-server",
        200,
        r#"{"issuer":"http://localhost:3001/","authorization_endpoint":"http://localhost:3001/authorize","response_types_supported":["code"],"code_challenge_methods_supported":["S256"],"token_endpoint":"http://localhost:3001/token","token_endpoint_auth_methods_supported":["client_secret_post","none"],"grant_types_supported":["authorization_code","refresh_token"],"scopes_supported":["mcp:tools"],"registration_endpoint":"http://localhost:3001/register"}"#,
    );
    servers.route(
        "http://localhost:3001/register",
        201,
        r#"{"redirect_uris":["http://127.0.0.1:8080/mcp-oauth.html"],"token_endpoint_auth_method":"none","grant_types":["authorization_code","refresh_token"],"response_types":["code"],"client_name":"Ferry","client_id":"client-7","client_id_issued_at":1796195532}"#,
    );
    servers
}

fn signed_in(servers: &Servers) -> OAuthState {
    let mut state =
        run(discover(&net(servers), MCP, Some(CHALLENGE))).unwrap_or_else(|e| unreachable!("{e}"));
    run(register(&net(servers), &mut state, REDIRECT)).unwrap_or_else(|e| unreachable!("{e}"));
    let url = state.begin(&[9u8; 48], 1_000).unwrap_or_default();
    let state_param = parse_form(url.split_once('?').map_or("", |(_, q)| q))
        .into_iter()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v)
        .unwrap_or_default();
    run(exchange(
        &net(servers),
        &mut state,
        "code-1",
        &state_param,
        None,
        2_000,
    ))
    .unwrap_or_else(|e| unreachable!("{e}"));
    state
}

#[wasm_bindgen_test(unsupported = test)]
fn a_401_leads_through_discovery_and_registration_to_the_authorize_url() {
    let servers = demo();
    let mut state =
        run(discover(&net(&servers), MCP, Some(CHALLENGE))).unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(state.resource, "http://localhost:3000/mcp");
    assert_eq!(state.scope.as_deref(), Some("mcp:tools"));
    assert_eq!(
        state.auth_server.token_endpoint,
        "http://localhost:3001/token"
    );
    run(register(&net(&servers), &mut state, REDIRECT)).unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(
        state.client.as_ref().map(|c| c.client_id.as_str()),
        Some("client-7")
    );
    // Registered once per redirect URI.
    run(register(&net(&servers), &mut state, REDIRECT)).unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(
        servers.urls(),
        [
            "http://localhost:3000/.well-known/oauth-protected-resource/mcp",
            "http://localhost:3001/.well-known/oauth-authorization-server",
            "http://localhost:3001/register",
        ]
    );
    let sent: serde_json::Value =
        serde_json::from_str(servers.sent.borrow()[2].body.as_deref().unwrap_or_default())
            .unwrap_or_default();
    assert_eq!(sent["token_endpoint_auth_method"], "none");
    assert_eq!(sent["redirect_uris"], serde_json::json!([REDIRECT]));

    let url = state.begin(&[3u8; 48], 10).unwrap_or_default();
    let (endpoint, query) = url.split_once('?').unwrap_or_default();
    assert_eq!(endpoint, "http://localhost:3001/authorize");
    let names: Vec<String> = parse_form(query).into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        names,
        [
            "response_type",
            "client_id",
            "redirect_uri",
            "code_challenge",
            "code_challenge_method",
            "state",
            "resource",
            "scope"
        ]
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn without_a_challenge_the_well_knowns_are_tried_path_first() {
    let servers = Servers::default();
    servers.route(
        "https://m.example/.well-known/oauth-protected-resource",
        200,
        r#"{"resource":"https://m.example","authorization_servers":["https://as.example/tenant"]}"#,
    );
    servers.route(
        "https://as.example/tenant/.well-known/openid-configuration",
        200,
        r#"{"issuer":"https://as.example/tenant","authorization_endpoint":"https://as.example/tenant/auth","token_endpoint":"https://as.example/tenant/token","code_challenge_methods_supported":["S256"]}"#,
    );
    let state = run(discover(
        &net(&servers),
        "https://m.example/v1/mcp",
        Some("Bearer"),
    ));
    let state = state.unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(state.resource, "https://m.example");
    assert_eq!(state.scope, None);
    assert_eq!(
        servers.urls(),
        [
            "https://m.example/.well-known/oauth-protected-resource/v1/mcp",
            "https://m.example/.well-known/oauth-protected-resource",
            "https://as.example/.well-known/oauth-authorization-server/tenant",
            "https://as.example/.well-known/openid-configuration/tenant",
            "https://as.example/tenant/.well-known/openid-configuration",
        ]
    );
    // No registration offered: the server needs a client registered in advance.
    let mut state = state;
    assert_eq!(
        run(register(&net(&servers), &mut state, REDIRECT)),
        Err(AuthFailure::OAuth(OAuthError::NeedsClient(
            "https://as.example/tenant".into()
        )))
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn discovery_failures_say_what_is_missing() {
    let servers = Servers::default();
    assert_eq!(
        run(discover(&net(&servers), MCP, None)),
        Err(AuthFailure::NoMetadata)
    );
    let servers = demo();
    servers.routes.borrow_mut().insert(
        "http://localhost:3001/.well-known/oauth-authorization-server".into(),
        VecDeque::from([(
            200,
            r#"{"issuer":"http://localhost:3001/","authorization_endpoint":"http://localhost:3001/authorize","token_endpoint":"http://localhost:3001/token"}"#.to_owned(),
        )]),
    );
    assert_eq!(
        run(discover(&net(&servers), MCP, Some(CHALLENGE))),
        Err(AuthFailure::OAuth(OAuthError::NoS256(
            "http://localhost:3001/".into()
        )))
    );
    let servers = Servers::default();
    servers.route(
        "http://localhost:3000/.well-known/oauth-protected-resource/mcp",
        200,
        r#"{"resource":"http://localhost:3000/mcp","authorization_servers":["http://as.example"]}"#,
    );
    assert_eq!(
        run(discover(&net(&servers), MCP, None)),
        Err(AuthFailure::OAuth(OAuthError::Insecure(
            "http://as.example".into()
        )))
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn the_code_is_traded_with_the_verifier_and_the_resource() {
    let servers = demo();
    servers.token_answer(
        200,
        r#"{"access_token":"at-1","token_type":"bearer","expires_in":3600,"scope":"mcp:tools"}"#,
    );
    let state = signed_in(&servers);
    let tokens = state.tokens.clone().unwrap_or_else(|| unreachable!());
    assert_eq!(tokens.access_token, "at-1");
    assert_eq!(tokens.expires_at_ms, Some(2_000 + 3_600_000));
    let sent = servers
        .sent
        .borrow()
        .last()
        .cloned()
        .unwrap_or_else(|| unreachable!());
    assert_eq!(sent.method, HttpMethod::Post);
    assert_eq!(sent.url, "http://localhost:3001/token");
    let form = servers.form(servers.sent.borrow().len() - 1);
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(get("grant_type"), Some("authorization_code"));
    assert_eq!(get("code"), Some("code-1"));
    assert_eq!(get("resource"), Some("http://localhost:3000/mcp"));
    assert_eq!(get("redirect_uri"), Some(REDIRECT));
    assert_eq!(get("client_id"), Some("client-7"));
    assert_eq!(get("code_verifier").map(str::len), Some(43));
}

#[wasm_bindgen_test(unsupported = test)]
fn a_refused_code_says_what_the_server_said() {
    let servers = demo();
    servers.token_answer(400, r#"{"error":"invalid_grant","error_description":"Invalid resource: http://localhost:3000/"}"#);
    let mut state =
        run(discover(&net(&servers), MCP, Some(CHALLENGE))).unwrap_or_else(|e| unreachable!("{e}"));
    run(register(&net(&servers), &mut state, REDIRECT)).unwrap_or_else(|e| unreachable!("{e}"));
    let url = state.begin(&[1u8; 48], 0).unwrap_or_default();
    let Callback::Code { state: param, .. } = parse_callback(&format!(
        "?code=c&state={}",
        state.pending.as_ref().map_or("", |p| &p.state)
    )) else {
        unreachable!("{url}")
    };
    let failure = run(exchange(&net(&servers), &mut state, "c", &param, None, 1));
    assert_eq!(
        failure.map_err(|e| e.to_string()),
        Err("the authorization server refused the token request: invalid_grant: Invalid resource: http://localhost:3000/".into())
    );
    assert_eq!(state.tokens, None);
}

#[wasm_bindgen_test(unsupported = test)]
fn tokens_are_refreshed_a_minute_before_expiry_and_after_a_401() {
    let servers = demo();
    servers.token_answer(
        200,
        r#"{"access_token":"at-1","token_type":"bearer","expires_in":3600,"refresh_token":"rt-1"}"#,
    );
    servers.token_answer(
        200,
        r#"{"access_token":"at-2","token_type":"bearer","expires_in":3600}"#,
    );
    let mut state = signed_in(&servers);
    let expires = 2_000 + 3_600_000;
    let sent = servers.sent.borrow().len();
    // Well before expiry: the token as it is, nothing sent.
    assert_eq!(
        run(fresh_token(
            &net(&servers),
            &mut state,
            expires - 60_001,
            false
        )),
        Ok("at-1".into())
    );
    assert_eq!(servers.sent.borrow().len(), sent);
    // Within the minute: refreshed, the refresh token kept.
    assert_eq!(
        run(fresh_token(
            &net(&servers),
            &mut state,
            expires - 60_000,
            false
        )),
        Ok("at-2".into())
    );
    let form = servers.form(sent);
    assert!(form.contains(&("grant_type".into(), "refresh_token".into())));
    assert!(form.contains(&("refresh_token".into(), "rt-1".into())));
    assert!(form.contains(&("resource".into(), MCP.into())));
    assert_eq!(
        state
            .tokens
            .as_ref()
            .and_then(|t| t.refresh_token.as_deref()),
        Some("rt-1")
    );
    // A 401 with a fresh token: refreshed once more; refused this time → signed out.
    servers.token_answer(
        400,
        r#"{"error":"invalid_grant","error_description":"revoked"}"#,
    );
    assert_eq!(
        run(fresh_token(
            &net(&servers),
            &mut state,
            expires - 60_000,
            true
        )),
        Ok("at-2".into())
    );
    let failed = run(fresh_token(
        &net(&servers),
        &mut state,
        expires - 60_000,
        true,
    ));
    assert!(matches!(
        failed,
        Err(AuthFailure::OAuth(OAuthError::Refused { .. }))
    ));
    assert_eq!(state.tokens, None);
    assert_eq!(
        run(fresh_token(&net(&servers), &mut state, 0, false)),
        Err(AuthFailure::SignedOut)
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn without_a_refresh_token_an_expired_one_signs_out() {
    let servers = demo();
    servers.token_answer(
        200,
        r#"{"access_token":"at-1","token_type":"bearer","expires_in":3600}"#,
    );
    let mut state = signed_in(&servers);
    let expires = 2_000 + 3_600_000;
    // Within the minute but not expired: still sent.
    assert_eq!(
        run(fresh_token(&net(&servers), &mut state, expires - 1, false)),
        Ok("at-1".into())
    );
    assert_eq!(
        run(fresh_token(&net(&servers), &mut state, expires, false)),
        Err(AuthFailure::SignedOut)
    );
    assert_eq!(state.tokens, None);
}

#[wasm_bindgen_test(unsupported = test)]
fn an_unreachable_token_endpoint_keeps_the_tokens() {
    let servers = demo();
    servers.token_answer(
        200,
        r#"{"access_token":"at-1","token_type":"bearer","expires_in":60,"refresh_token":"rt"}"#,
    );
    let mut state = signed_in(&servers);
    state.auth_server.token_endpoint = "http://localhost:3001/unreachable".into();
    // A minute early: the token as it is.
    assert_eq!(
        run(fresh_token(&net(&servers), &mut state, 2_000, false)),
        Ok("at-1".into())
    );
    // Refused by the server, or expired: the failure says so, the tokens are kept.
    let failed = run(fresh_token(&net(&servers), &mut state, 2_000, true));
    assert!(
        matches!(failed, Err(AuthFailure::Network(..))),
        "{failed:?}"
    );
    let failed = run(fresh_token(&net(&servers), &mut state, 62_000, false));
    assert!(
        matches!(failed, Err(AuthFailure::Network(..))),
        "{failed:?}"
    );
    assert!(state.tokens.is_some());
}

#[wasm_bindgen_test(unsupported = test)]
fn what_the_browser_cannot_reach_goes_through_the_relay() {
    let servers = demo();
    servers.token_answer(
        200,
        r#"{"access_token":"at-1","token_type":"bearer","expires_in":3600}"#,
    );
    // The authorization server without CORS.
    servers
        .no_cors
        .borrow_mut()
        .push("http://localhost:3001".into());
    let relayed = Net {
        transport: &servers,
        relay: Some(Relay {
            proxy_root: PROXY,
            access_token: Some("user-jwt"),
        }),
    };
    let mut state =
        run(discover(&relayed, MCP, Some(CHALLENGE))).unwrap_or_else(|e| unreachable!("{e}"));
    run(register(&relayed, &mut state, REDIRECT)).unwrap_or_else(|e| unreachable!("{e}"));
    let _ = state.begin(&[5u8; 48], 0);
    let param = state
        .pending
        .as_ref()
        .map(|p| p.state.clone())
        .unwrap_or_default();
    run(exchange(&relayed, &mut state, "c", &param, None, 1))
        .unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(state.access_token(), Some("at-1"));
    let sent = servers.sent.borrow();
    let token = sent.last().unwrap_or_else(|| unreachable!());
    assert_eq!(token.url, "https://proxy.test/v1/proxy/mcp");
    assert!(
        token
            .headers
            .contains(&("x-mcp-server", "http://localhost:3001/token".to_owned()))
    );
    assert!(
        token
            .headers
            .contains(&("authorization", "Bearer user-jwt".to_owned()))
    );
    assert!(token.headers.contains(&(
        "content-type",
        "application/x-www-form-urlencoded".to_owned()
    )));
    // The protected resource's metadata (with CORS) went straight.
    assert_eq!(
        sent[0].url,
        "http://localhost:3000/.well-known/oauth-protected-resource/mcp"
    );
    drop(sent);

    // Without a relay, the failure names the server.
    state.tokens = None;
    let _ = state.begin(&[6u8; 48], 0);
    let param = state
        .pending
        .as_ref()
        .map(|p| p.state.clone())
        .unwrap_or_default();
    assert_eq!(
        run(exchange(&net(&servers), &mut state, "c", &param, None, 1)),
        Err(AuthFailure::Network(
            "http://localhost:3001".into(),
            "Failed to fetch".into()
        ))
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_proxy_refusal_is_no_answer_from_the_server() {
    let servers = demo();
    servers
        .no_cors
        .borrow_mut()
        .push("http://localhost:3001".into());
    servers.relay_refuses.set(true);
    let relayed = Net {
        transport: &servers,
        relay: Some(Relay {
            proxy_root: PROXY,
            access_token: None,
        }),
    };
    assert_eq!(
        run(discover(&relayed, MCP, Some(CHALLENGE))).map(|_| ()),
        Err(AuthFailure::Network(
            "http://localhost:3001".into(),
            "Failed to fetch (and through the proxy: a private address)".into()
        ))
    );
}

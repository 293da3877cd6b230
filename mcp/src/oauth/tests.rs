//! The flow's requests and answers, and one server's sign-in kept in [`OAuthState`].

use ferry_core::adapter::HttpMethod;
use wasm_bindgen_test::wasm_bindgen_test;

use super::*;

fn server() -> AuthServer {
    AuthServer {
        issuer: "https://as.example/".into(),
        authorization_endpoint: "https://as.example/authorize".into(),
        token_endpoint: "https://as.example/token".into(),
        registration_endpoint: Some("https://as.example/register".into()),
        token_endpoint_auth_methods_supported: vec!["none".into()],
        authorization_response_iss_parameter_supported: false,
    }
}

fn public_client() -> Client {
    Client {
        client_id: "client-1".into(),
        client_secret: None,
        auth: ClientAuth::None,
        redirect_uri: "https://app.example/mcp-oauth.html".into(),
    }
}

fn body(request: &ferry_core::adapter::UpstreamRequest) -> Vec<(String, String)> {
    parse_form(request.body.as_deref().unwrap_or_default())
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[wasm_bindgen_test(unsupported = test)]
fn pkce_is_s256_of_a_43_character_verifier() {
    let pkce = Pkce::from_random(&[7u8; 32]);
    assert_eq!(pkce.verifier.len(), 43);
    assert_eq!(pkce.verifier, "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc");
    assert_eq!(pkce.challenge, challenge_of(&pkce.verifier));
    // RFC 7636, appendix B.
    assert_eq!(
        challenge_of("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
    assert!(!format!("{pkce:?}").contains(&pkce.verifier));
}

#[wasm_bindgen_test(unsupported = test)]
fn the_canonical_resource_is_lower_case_without_fragment_or_root_slash() {
    let canonical = |url: &str| HttpUrl::parse(url).map(|u| u.canonical());
    assert_eq!(
        canonical("HTTP://LocalHost:3000/mcp#x"),
        Ok("http://localhost:3000/mcp".into())
    );
    assert_eq!(
        canonical("https://MCP.example.com/"),
        Ok("https://mcp.example.com".into())
    );
    assert_eq!(
        canonical("https://mcp.example.com:8443"),
        Ok("https://mcp.example.com:8443".into())
    );
    assert!(canonical("mcp.example.com").is_err());
}

#[wasm_bindgen_test(unsupported = test)]
fn registration_asks_for_a_public_client_with_the_callback_page() {
    let request = registration_request(
        &server(),
        "https://app.example/mcp-oauth.html",
        Some("mcp:tools"),
    );
    let request = request.unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(request.method, HttpMethod::Post);
    assert_eq!(request.url, "https://as.example/register");
    assert!(
        request
            .headers
            .contains(&("content-type", "application/json".to_owned()))
    );
    let sent: serde_json::Value =
        serde_json::from_str(request.body.as_deref().unwrap_or_default()).unwrap_or_default();
    assert_eq!(
        sent,
        serde_json::json!({
            "client_name": "Ferry",
            "redirect_uris": ["https://app.example/mcp-oauth.html"],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
            "scope": "mcp:tools",
        })
    );
    let without = AuthServer {
        registration_endpoint: None,
        ..server()
    };
    assert_eq!(
        registration_request(&without, "https://app.example/mcp-oauth.html", None).err(),
        Some(OAuthError::NeedsClient("https://as.example/".into()))
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn registration_answers_give_the_client() {
    let redirect = "https://app.example/mcp-oauth.html";
    let demo = br#"{"redirect_uris":["https://app.example/mcp-oauth.html"],"token_endpoint_auth_method":"none","client_name":"Ferry","client_id":"ff20","client_id_issued_at":1796195532}"#;
    assert_eq!(
        registration_answer(&server(), redirect, 201, demo),
        Ok(Client {
            client_id: "ff20".into(),
            ..public_client()
        })
    );
    // A server that issues a secret anyway: it is used as it says.
    let secret = br#"{"client_id":"c","client_secret":"s","token_endpoint_auth_method":"client_secret_post"}"#;
    let client = registration_answer(&server(), redirect, 201, secret);
    assert_eq!(
        client.as_ref().map(|c| c.auth),
        Ok(ClientAuth::ClientSecretPost)
    );
    assert!(!format!("{client:?}").contains("\"s\""));
    let refused = br#"{"error":"invalid_redirect_uri","error_description":"not allowed"}"#;
    assert_eq!(
        registration_answer(&server(), redirect, 400, refused),
        Err(OAuthError::Refused {
            what: "client registration",
            reason: "invalid_redirect_uri: not allowed".into()
        })
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn the_authorize_url_has_every_parameter() {
    let url = authorize_url(
        &server(),
        &public_client(),
        &AuthorizeParams {
            challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            state: "st-1",
            resource: "http://localhost:3000/mcp",
            scope: Some("mcp:tools files:read"),
        },
    );
    assert_eq!(
        url,
        "https://as.example/authorize?response_type=code&client_id=client-1\
         &redirect_uri=https%3A%2F%2Fapp.example%2Fmcp-oauth.html\
         &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM\
         &code_challenge_method=S256&state=st-1\
         &resource=http%3A%2F%2Flocalhost%3A3000%2Fmcp&scope=mcp%3Atools+files%3Aread"
    );
    // An endpoint with a query of its own keeps it; no scope, no parameter.
    let with_query = AuthServer {
        authorization_endpoint: "https://as.example/oauth?tenant=a".into(),
        ..server()
    };
    let url = authorize_url(
        &with_query,
        &public_client(),
        &AuthorizeParams {
            challenge: "c",
            state: "s",
            resource: "https://m.example",
            scope: None,
        },
    );
    assert!(
        url.starts_with("https://as.example/oauth?tenant=a&response_type=code&"),
        "{url}"
    );
    assert!(!url.contains("scope="), "{url}");
}

#[wasm_bindgen_test(unsupported = test)]
fn token_and_refresh_requests_are_form_encoded() {
    let request = token_request(
        &server(),
        &public_client(),
        "code 1",
        "verifier-1",
        "http://localhost:3000/mcp",
    );
    assert_eq!(request.method, HttpMethod::Post);
    assert_eq!(request.url, "https://as.example/token");
    assert!(request.headers.contains(&(
        "content-type",
        "application/x-www-form-urlencoded".to_owned()
    )));
    assert_eq!(
        request.body.as_deref(),
        Some(
            "grant_type=authorization_code&code=code+1\
             &redirect_uri=https%3A%2F%2Fapp.example%2Fmcp-oauth.html\
             &code_verifier=verifier-1&resource=http%3A%2F%2Flocalhost%3A3000%2Fmcp\
             &client_id=client-1"
        )
    );
    let request = refresh_request(&server(), &public_client(), "r-1", "https://m.example");
    assert_eq!(
        body(&request),
        pairs(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "r-1"),
            ("resource", "https://m.example"),
            ("client_id", "client-1"),
        ])
    );
    // A confidential registration: its secret by HTTP Basic, never in the body.
    let basic = Client {
        client_secret: Some("s:1".into()),
        auth: ClientAuth::ClientSecretBasic,
        ..public_client()
    };
    let request = refresh_request(&server(), &basic, "r-1", "https://m.example");
    assert!(
        request
            .headers
            .contains(&("authorization", "Basic Y2xpZW50LTE6cyUzQTE=".to_owned()))
    );
    assert!(
        !request
            .body
            .as_deref()
            .unwrap_or_default()
            .contains("client_id")
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn token_answers_are_read_with_the_clock_passed_in() {
    let demo =
        br#"{"access_token":"at-1","token_type":"bearer","expires_in":3600,"scope":"mcp:tools"}"#;
    let tokens = Tokens::parse(200, demo, 1_000, None).unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(
        tokens,
        Tokens {
            access_token: "at-1".into(),
            token_type: "bearer".into(),
            refresh_token: None,
            expires_at_ms: Some(3_601_000),
            scope: Some("mcp:tools".into()),
        }
    );
    assert!(!format!("{tokens:?}").contains("at-1"));
    // A refresh that brings no new refresh token keeps the old one.
    let before = Tokens {
        refresh_token: Some("r-1".into()),
        ..tokens.clone()
    };
    let again = Tokens::parse(
        200,
        br#"{"access_token":"at-2","token_type":"Bearer","expires_in":"60"}"#,
        10,
        Some(&before),
    );
    assert_eq!(
        again
            .as_ref()
            .map(|t| (t.refresh_token.as_deref(), t.expires_at_ms)),
        Ok((Some("r-1"), Some(60_010)))
    );
    let refused = br#"{"error":"invalid_grant","error_description":"Invalid refresh token"}"#;
    assert_eq!(
        Tokens::parse(400, refused, 0, None),
        Err(OAuthError::Refused {
            what: "token request",
            reason: "invalid_grant: Invalid refresh token".into()
        })
    );
    assert!(matches!(
        Tokens::parse(200, br#"{"access_token":"x","token_type":"DPoP"}"#, 0, None),
        Err(OAuthError::Unreadable { .. })
    ));
    assert_eq!(
        refusal(
            403,
            br#"{"error":{"code":"forbidden","message":"a private address"}}"#
        ),
        "a private address"
    );
    assert!(matches!(
        Tokens::parse(502, b"<html>bad gateway", 0, None),
        Err(OAuthError::Refused { reason, .. }) if reason == "HTTP 502"
    ));
}

#[wasm_bindgen_test(unsupported = test)]
fn refresh_is_due_a_minute_before_expiry() {
    let tokens = Tokens {
        access_token: "a".into(),
        token_type: "Bearer".into(),
        refresh_token: None,
        expires_at_ms: Some(100_000),
        scope: None,
    };
    assert!(!tokens.needs_refresh(39_999));
    assert!(tokens.needs_refresh(40_000));
    assert!(tokens.needs_refresh(200_000));
    let forever = Tokens {
        expires_at_ms: None,
        ..tokens
    };
    assert!(!forever.needs_refresh(u64::MAX));
}

#[wasm_bindgen_test(unsupported = test)]
fn the_callback_brings_a_code_and_state_or_an_error() {
    assert_eq!(
        parse_callback("?code=c-1&state=s%2B1"),
        Callback::Code {
            code: "c-1".into(),
            state: "s+1".into(),
            iss: None
        }
    );
    assert_eq!(
        parse_callback("?error=access_denied&error_description=User+said+no&state=s"),
        Callback::Refused {
            state: Some("s".into()),
            reason: "access_denied: User said no".into()
        }
    );
    assert_eq!(parse_callback("?code=c-1"), Callback::Nothing);
    assert_eq!(parse_callback(""), Callback::Nothing);
}

fn state() -> OAuthState {
    let resource = ProtectedResource {
        resource: "http://localhost:3000/mcp".into(),
        authorization_servers: vec!["https://as.example/".into()],
        scopes_supported: vec!["mcp:tools".into()],
    };
    let mut state = OAuthState::new(&resource, server(), resource.scope(None));
    state.client = Some(public_client());
    state
}

#[wasm_bindgen_test(unsupported = test)]
fn a_sign_in_begins_and_its_code_is_traded_once() {
    let mut oauth = state();
    let mut random = [1u8; 48];
    random[32..].copy_from_slice(&[2u8; 16]);
    let url = oauth.begin(&random, 5_000).unwrap_or_default();
    let pending = oauth.pending.clone().unwrap_or_else(|| unreachable!());
    assert_eq!(pending.state, "AgICAgICAgICAgICAgICAg");
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    let sent = parse_form(query);
    let get = |k: &str| sent.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(get("state"), Some("AgICAgICAgICAgICAgICAg"));
    assert_eq!(
        get("code_challenge").map(str::to_owned),
        Some(challenge_of(&pending.verifier))
    );
    assert_eq!(get("resource"), Some("http://localhost:3000/mcp"));
    assert_eq!(get("scope"), Some("mcp:tools"));

    // Another state, or one too old, is refused.
    assert_eq!(
        oauth.clone().exchange("c", "other", None, 5_001).err(),
        Some(OAuthError::UnknownState)
    );
    assert_eq!(
        oauth
            .clone()
            .exchange("c", &pending.state, None, 5_000 + PENDING_LIFETIME_MS + 1)
            .err(),
        Some(OAuthError::UnknownState)
    );
    let request = oauth.exchange("c", &pending.state, None, 6_000);
    let request = request.unwrap_or_else(|e| unreachable!("{e}"));
    assert!(body(&request).contains(&("code_verifier".into(), pending.verifier.clone())));
    // Used up.
    assert_eq!(oauth.pending, None);
    assert_eq!(
        oauth.exchange("c", &pending.state, None, 6_001).err(),
        Some(OAuthError::UnknownState)
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_code_from_another_issuer_is_refused() {
    let mut oauth = state();
    oauth
        .auth_server
        .authorization_response_iss_parameter_supported = true;
    let _ = oauth.begin(&[0u8; 48], 0);
    let pending = oauth.pending.clone().unwrap_or_else(|| unreachable!());
    assert_eq!(
        oauth.clone().exchange("c", &pending.state, None, 1).err(),
        Some(OAuthError::WrongIssuer)
    );
    assert_eq!(
        oauth
            .clone()
            .exchange("c", &pending.state, Some("https://evil.example"), 1)
            .err(),
        Some(OAuthError::WrongIssuer)
    );
    assert!(
        oauth
            .exchange("c", &pending.state, Some("https://as.example"), 1)
            .is_ok()
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn the_state_round_trips_as_json_and_refreshes_with_its_refresh_token() {
    let mut oauth = state();
    assert_eq!(oauth.refresh(), None);
    oauth.tokens = Some(Tokens {
        access_token: "a".into(),
        token_type: "Bearer".into(),
        refresh_token: Some("r".into()),
        expires_at_ms: Some(1),
        scope: None,
    });
    let json = serde_json::to_string(&oauth).unwrap_or_default();
    assert_eq!(
        serde_json::from_str::<OAuthState>(&json).ok(),
        Some(oauth.clone())
    );
    let request = oauth.refresh().unwrap_or_else(|| unreachable!());
    assert!(body(&request).contains(&("refresh_token".into(), "r".into())));
    assert_eq!(
        oauth.client_for("https://app.example/mcp-oauth.html"),
        Some(&public_client())
    );
    assert_eq!(
        oauth.client_for("https://other.example/mcp-oauth.html"),
        None
    );
}

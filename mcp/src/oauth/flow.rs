//! The authorization code flow with PKCE (OAuth 2.1): dynamic client registration
//! (RFC 7591) as a public client, the authorization URL with the `resource` (RFC 8707), the
//! code that comes back, and the token endpoint's requests and answers.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ferry_core::adapter::{HttpMethod, UpstreamRequest};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::OAuthError;
use super::discovery::AuthServer;
use super::uri::{HttpUrl, form, form_encode, parse_form};

/// Refresh this long before the access token expires.
pub const REFRESH_MARGIN_MS: u64 = 60_000;

/// The name Ferry registers under.
pub const CLIENT_NAME: &str = "Ferry";

/// A PKCE pair (RFC 7636): the verifier stays here, the challenge goes out.
#[derive(Clone, PartialEq, Eq)]
pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

impl std::fmt::Debug for Pkce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkce")
            .field("challenge", &self.challenge)
            .finish_non_exhaustive()
    }
}

impl Pkce {
    /// The verifier is base64url of 32 random bytes (43 characters); the challenge its
    /// SHA-256, base64url (`S256`).
    pub fn from_random(bytes: &[u8; 32]) -> Self {
        let verifier = URL_SAFE_NO_PAD.encode(bytes);
        Self {
            challenge: challenge_of(&verifier),
            verifier,
        }
    }
}

/// The `S256` challenge of a verifier.
pub fn challenge_of(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// How the client proves itself at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuth {
    /// A public client: `client_id` in the body, nothing else.
    None,
    ClientSecretPost,
    ClientSecretBasic,
}

/// Ferry as a client of one authorization server.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    pub auth: ClientAuth,
    /// The redirect URI it was registered with (another one needs a new registration).
    pub redirect_uri: String,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("client_id", &self.client_id)
            .field("auth", &self.auth)
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

fn json_post(url: &str, body: String) -> UpstreamRequest {
    UpstreamRequest {
        method: HttpMethod::Post,
        url: url.to_owned(),
        headers: vec![
            ("content-type", "application/json".to_owned()),
            ("accept", "application/json".to_owned()),
        ],
        body: Some(body),
        dropped: Vec::new(),
    }
}

/// A GET of a metadata document.
pub fn metadata_request(url: &str) -> UpstreamRequest {
    UpstreamRequest {
        method: HttpMethod::Get,
        url: url.to_owned(),
        headers: vec![("accept", "application/json".to_owned())],
        body: None,
        dropped: Vec::new(),
    }
}

/// Registers Ferry as a public client (RFC 7591: `token_endpoint_auth_method` `none`) that
/// comes back to `redirect_uri`. `None` when the server offers no registration: Ferry
/// would need a client registered in advance.
pub fn registration_request(
    server: &AuthServer,
    redirect_uri: &str,
    scope: Option<&str>,
) -> Result<UpstreamRequest, OAuthError> {
    let endpoint = server
        .registration_endpoint
        .as_deref()
        .ok_or_else(|| OAuthError::NeedsClient(server.issuer.clone()))?;
    let mut body = serde_json::json!({
        "client_name": CLIENT_NAME,
        "redirect_uris": [redirect_uri],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    });
    if let Some(scope) = scope {
        body["scope"] = scope.into();
    }
    Ok(json_post(endpoint, body.to_string()))
}

/// What the authorization server says when it refuses (`error`, `error_description`; or a
/// proxy's `{"error": {"message"}}`).
pub fn refusal(status: u16, body: &[u8]) -> String {
    let value: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let text = |v: &serde_json::Value| v.as_str().filter(|s| !s.is_empty()).map(str::to_owned);
    let error = text(&value["error"]).or_else(|| text(&value["error"]["message"]));
    match (error, text(&value["error_description"])) {
        (Some(error), Some(description)) => format!("{error}: {description}"),
        (Some(error), None) => error,
        (None, Some(description)) => description,
        (None, None) => format!("HTTP {status}"),
    }
}

/// The client the registration answer describes.
pub fn registration_answer(
    server: &AuthServer,
    redirect_uri: &str,
    status: u16,
    body: &[u8],
) -> Result<Client, OAuthError> {
    #[derive(Deserialize)]
    struct Raw {
        client_id: String,
        client_secret: Option<String>,
        token_endpoint_auth_method: Option<String>,
    }
    if !(200..300).contains(&status) {
        return Err(OAuthError::Refused {
            what: "client registration",
            reason: refusal(status, body),
        });
    }
    let raw: Raw = serde_json::from_slice(body).map_err(|e| OAuthError::Unreadable {
        what: "client registration answer",
        reason: e.to_string(),
    })?;
    let secret = raw.client_secret.filter(|s| !s.is_empty());
    let offered = &server.token_endpoint_auth_methods_supported;
    let auth = match (raw.token_endpoint_auth_method.as_deref(), &secret) {
        (_, None) | (Some("none"), _) => ClientAuth::None,
        (Some("client_secret_post"), Some(_)) => ClientAuth::ClientSecretPost,
        (Some("client_secret_basic"), Some(_)) => ClientAuth::ClientSecretBasic,
        (_, Some(_))
            if offered.is_empty() || offered.iter().any(|m| m == "client_secret_basic") =>
        {
            ClientAuth::ClientSecretBasic
        }
        (_, Some(_)) => ClientAuth::ClientSecretPost,
    };
    Ok(Client {
        client_id: raw.client_id,
        client_secret: if auth == ClientAuth::None {
            None
        } else {
            secret
        },
        auth,
        redirect_uri: redirect_uri.to_owned(),
    })
}

/// What an authorization request carries besides the server and the client.
#[derive(Debug, Clone, Copy)]
pub struct AuthorizeParams<'a> {
    pub challenge: &'a str,
    pub state: &'a str,
    /// The protected resource (RFC 8707).
    pub resource: &'a str,
    pub scope: Option<&'a str>,
}

/// Where to send the user to sign in: the authorization endpoint with `response_type=code`,
/// the client, the redirect URI, the PKCE challenge (`S256`), the state, the resource and
/// the scope, if any.
pub fn authorize_url(server: &AuthServer, client: &Client, params: &AuthorizeParams<'_>) -> String {
    let mut pairs = vec![
        ("response_type", "code"),
        ("client_id", client.client_id.as_str()),
        ("redirect_uri", client.redirect_uri.as_str()),
        ("code_challenge", params.challenge),
        ("code_challenge_method", "S256"),
        ("state", params.state),
        ("resource", params.resource),
    ];
    if let Some(scope) = params.scope {
        pairs.push(("scope", scope));
    }
    let endpoint = server
        .authorization_endpoint
        .split('#')
        .next()
        .unwrap_or_default();
    let joiner = match endpoint.contains('?') {
        true if endpoint.ends_with('?') || endpoint.ends_with('&') => "",
        true => "&",
        false => "?",
    };
    format!("{endpoint}{joiner}{}", form(&pairs))
}

fn token_post<'a>(
    server: &AuthServer,
    client: &'a Client,
    mut pairs: Vec<(&'a str, &'a str)>,
) -> UpstreamRequest {
    let mut headers = vec![
        (
            "content-type",
            "application/x-www-form-urlencoded".to_owned(),
        ),
        ("accept", "application/json".to_owned()),
    ];
    match (client.auth, client.client_secret.as_deref()) {
        (ClientAuth::ClientSecretBasic, Some(secret)) => {
            // RFC 6749 § 2.3.1: each part form-encoded before the base64.
            let pair = format!("{}:{}", form_encode(&client.client_id), form_encode(secret));
            headers.push(("authorization", format!("Basic {}", STANDARD.encode(pair))));
        }
        (ClientAuth::ClientSecretPost, Some(secret)) => {
            pairs.push(("client_id", &client.client_id));
            pairs.push(("client_secret", secret));
        }
        _ => pairs.push(("client_id", &client.client_id)),
    }
    UpstreamRequest {
        method: HttpMethod::Post,
        url: server.token_endpoint.clone(),
        headers,
        body: Some(form(&pairs)),
        dropped: Vec::new(),
    }
}

/// Trades the code for tokens, with the verifier and the resource.
pub fn token_request(
    server: &AuthServer,
    client: &Client,
    code: &str,
    verifier: &str,
    resource: &str,
) -> UpstreamRequest {
    token_post(
        server,
        client,
        vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &client.redirect_uri),
            ("code_verifier", verifier),
            ("resource", resource),
        ],
    )
}

/// Trades the refresh token for new tokens, for the same resource.
pub fn refresh_request(
    server: &AuthServer,
    client: &Client,
    refresh_token: &str,
    resource: &str,
) -> UpstreamRequest {
    token_post(
        server,
        client,
        vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("resource", resource),
        ],
    )
}

/// The tokens a server issued.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tokens {
    pub access_token: String,
    pub token_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// When the access token expires, ms since the epoch (`None`: not said).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

impl std::fmt::Debug for Tokens {
    // Tokens are credentials: never in a debug print.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("token_type", &self.token_type)
            .field("refreshable", &self.refresh_token.is_some())
            .field("expires_at_ms", &self.expires_at_ms)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl Tokens {
    /// Reads a token endpoint's answer at `now_ms`. A refresh answer without a new refresh
    /// token keeps `previous`'s (RFC 6749 § 6).
    pub fn parse(
        status: u16,
        body: &[u8],
        now_ms: u64,
        previous: Option<&Tokens>,
    ) -> Result<Self, OAuthError> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Seconds {
            Number(f64),
            Text(String),
        }
        #[derive(Deserialize)]
        struct Raw {
            access_token: String,
            token_type: Option<String>,
            expires_in: Option<Seconds>,
            refresh_token: Option<String>,
            scope: Option<String>,
        }
        if !(200..300).contains(&status) {
            return Err(OAuthError::Refused {
                what: "token request",
                reason: refusal(status, body),
            });
        }
        let unreadable = |reason: String| OAuthError::Unreadable {
            what: "token answer",
            reason,
        };
        let raw: Raw = serde_json::from_slice(body).map_err(|e| unreadable(e.to_string()))?;
        if raw.access_token.is_empty() {
            return Err(unreadable("an empty access_token".into()));
        }
        let token_type = raw.token_type.unwrap_or_else(|| "Bearer".into());
        if !token_type.eq_ignore_ascii_case("bearer") {
            return Err(unreadable(format!("token type {token_type}, not Bearer")));
        }
        let seconds = match raw.expires_in {
            Some(Seconds::Number(n)) if n.is_finite() && n >= 0.0 => Some(n as u64),
            Some(Seconds::Text(text)) => text.trim().parse::<u64>().ok(),
            _ => None,
        };
        Ok(Self {
            access_token: raw.access_token,
            token_type,
            refresh_token: raw
                .refresh_token
                .filter(|t| !t.is_empty())
                .or_else(|| previous.and_then(|p| p.refresh_token.clone())),
            expires_at_ms: seconds.map(|s| now_ms.saturating_add(s.saturating_mul(1000))),
            scope: raw.scope,
        })
    }

    /// Whether to refresh before using it: expired or within a minute of it.
    pub fn needs_refresh(&self, now_ms: u64) -> bool {
        self.expires_at_ms
            .is_some_and(|at| now_ms.saturating_add(REFRESH_MARGIN_MS) >= at)
    }
}

/// What the callback page's address says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Callback {
    /// The code, for the flow whose state this is.
    Code {
        code: String,
        state: String,
        /// The issuer, when the server sends it (RFC 9207).
        iss: Option<String>,
    },
    /// The server (or the user) said no: its words.
    Refused {
        state: Option<String>,
        reason: String,
    },
    /// Neither a code nor an error.
    Nothing,
}

/// Reads the query (`?code=…&state=…` or `?error=…`) the authorization server came back
/// with.
pub fn parse_callback(query: &str) -> Callback {
    let pairs = parse_form(query);
    let find = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    let state = find("state");
    if let Some(error) = find("error") {
        let reason = match find("error_description") {
            Some(description) => format!("{error}: {description}"),
            None => error,
        };
        return Callback::Refused { state, reason };
    }
    match (find("code"), state) {
        (Some(code), Some(state)) => Callback::Code {
            code,
            state,
            iss: find("iss"),
        },
        _ => Callback::Nothing,
    }
}

/// Whether the `iss` a code came back with is the server's (RFC 9207): required when the
/// server says it sends one, compared whenever present.
pub fn issuer_matches(server: &AuthServer, iss: Option<&str>) -> bool {
    match iss {
        Some(iss) => match (HttpUrl::parse(iss), HttpUrl::parse(&server.issuer)) {
            (Ok(a), Ok(b)) => a.canonical() == b.canonical(),
            _ => iss == server.issuer,
        },
        None => !server.authorization_response_iss_parameter_supported,
    }
}

//! One MCP server's session over Streamable HTTP (spec 2025-11-25): the HTTP requests it
//! sends and what an answer's status means.
//!
//! Every message is a POST to the one endpoint with `Accept: application/json,
//! text/event-stream`; the `Mcp-Session-Id` the `initialize` answer gave goes on every
//! later request, and `MCP-Protocol-Version` once negotiated. The server's own stream is a
//! GET; DELETE ends the session. Through Ferry's relay the same requests go to
//! `<proxy>/v1/proxy/mcp` with the server in `X-MCP-Server` ([`relayed`]).
//!
//! | server quirk | what Ferry does |
//! |---|---|
//! | a gone session answered 400 + JSON-RPC -32000 "No valid session ID provided" (the reference server) rather than 404 | taken as a gone session too ([`is_session_refusal`]) |
//! | a priming SSE event with an id and empty data before every answer | ignored (the reader skips empty data) but its id kept for resumption |

use ferry_core::adapter::{Dropped, HttpMethod, UpstreamRequest};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::jsonrpc::{self, RequestId};
use crate::types::{Capabilities, ServerInfo};

/// The version Ferry asks for.
pub const PROTOCOL_VERSION: &str = "2025-11-25";
/// The versions Ferry speaks (the server may answer with an older one).
pub const SUPPORTED_VERSIONS: [&str; 4] = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];

/// What the client calls itself in `initialize`.
pub const CLIENT_NAME: &str = "Ferry";

/// The session's state.
#[derive(Debug, Clone)]
pub struct Session {
    url: String,
    session_id: Option<String>,
    protocol_version: Option<String>,
    next_id: i64,
}

/// What an HTTP answer is, by its status and headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerKind {
    /// One JSON-RPC message (or a batch) as `application/json`.
    Json,
    /// An SSE stream of messages.
    Stream,
    /// 202: a notification or response taken.
    Accepted,
    /// 404 while a session was in use: the server forgot it.
    SessionGone,
    /// 401, with the `WWW-Authenticate` challenge.
    Unauthorized {
        challenge: Option<String>,
    },
    /// 403 (e.g. insufficient scope).
    Forbidden,
    /// 405: the server offers no GET stream.
    NotOffered,
    Failed {
        status: u16,
    },
}

/// Why an `initialize` answer is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InitError {
    #[error("the server speaks MCP {0}, which Ferry does not")]
    UnknownVersion(String),
    #[error("the initialize answer is not understood: {0}")]
    Unreadable(String),
}

#[derive(Deserialize)]
struct InitializeResult {
    #[serde(rename = "protocolVersion")]
    protocol_version: String,
    #[serde(default)]
    capabilities: Capabilities,
    #[serde(rename = "serverInfo")]
    server_info: Implementation,
    #[serde(default)]
    instructions: Option<String>,
}

#[derive(Deserialize)]
struct Implementation {
    name: String,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    version: String,
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

impl Session {
    pub fn new(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            session_id: None,
            protocol_version: None,
            next_id: 1,
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn session_id(&self) -> Option<&str> {
        self.session_id.as_deref()
    }

    pub fn protocol_version(&self) -> Option<&str> {
        self.protocol_version.as_deref()
    }

    /// Forgets the session (gone, or about to initialize again); ids keep counting.
    pub fn reset(&mut self) {
        self.session_id = None;
        self.protocol_version = None;
    }

    fn headers(&self, bearer: Option<&str>) -> Vec<(&'static str, String)> {
        let mut headers = Vec::new();
        if let Some(id) = &self.session_id {
            headers.push(("mcp-session-id", id.clone()));
        }
        if let Some(version) = &self.protocol_version {
            headers.push(("mcp-protocol-version", version.clone()));
        }
        if let Some(token) = bearer {
            headers.push(("authorization", format!("Bearer {token}")));
        }
        headers
    }

    fn http(
        &self,
        method: HttpMethod,
        headers: Vec<(&'static str, String)>,
        body: Option<String>,
    ) -> UpstreamRequest {
        UpstreamRequest {
            method,
            url: self.url.clone(),
            headers,
            body,
            dropped: Dropped::new(),
        }
    }

    /// One JSON-RPC message as a POST.
    pub fn post(&self, message: String, bearer: Option<&str>) -> UpstreamRequest {
        let mut headers = vec![
            ("content-type", "application/json".to_owned()),
            ("accept", "application/json, text/event-stream".to_owned()),
        ];
        headers.extend(self.headers(bearer));
        self.http(HttpMethod::Post, headers, Some(message))
    }

    /// The server's stream (GET), resumed after `last_event_id` when given.
    pub fn listen(&self, last_event_id: Option<&str>, bearer: Option<&str>) -> UpstreamRequest {
        let mut headers = vec![("accept", "text/event-stream".to_owned())];
        headers.extend(self.headers(bearer));
        if let Some(id) = last_event_id {
            headers.push(("last-event-id", id.to_owned()));
        }
        self.http(HttpMethod::Get, headers, None)
    }

    /// Ends the session (DELETE); `None` when there is no session to end.
    pub fn terminate(&self, bearer: Option<&str>) -> Option<UpstreamRequest> {
        self.session_id.as_ref()?;
        Some(self.http(HttpMethod::Delete, self.headers(bearer), None))
    }

    /// A fresh request id (for a request whose params need it, e.g. as progress token).
    pub fn next_id(&mut self) -> RequestId {
        let id = RequestId::Number(self.next_id);
        self.next_id += 1;
        id
    }

    /// The `initialize` request (the session is reset first).
    pub fn initialize(&mut self) -> (RequestId, String) {
        self.reset();
        let params = json!({
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": {"name": CLIENT_NAME, "version": env!("CARGO_PKG_VERSION")},
        });
        let id = self.next_id();
        let text = jsonrpc::request(&id, "initialize", Some(&params));
        (id, text)
    }

    /// Reads the `initialize` answer: the session id from its headers, the negotiated
    /// version (refused when Ferry does not speak it) and what the server is.
    pub fn initialized_by(
        &mut self,
        headers: &[(String, String)],
        result: &Value,
    ) -> Result<ServerInfo, InitError> {
        let result: InitializeResult = serde_json::from_value(result.clone())
            .map_err(|e| InitError::Unreadable(e.to_string()))?;
        if !SUPPORTED_VERSIONS.contains(&result.protocol_version.as_str()) {
            return Err(InitError::UnknownVersion(result.protocol_version));
        }
        self.session_id = header(headers, "mcp-session-id").map(str::to_owned);
        self.protocol_version = Some(result.protocol_version.clone());
        Ok(ServerInfo {
            name: result.server_info.name,
            title: result.server_info.title,
            version: result.server_info.version,
            protocol_version: result.protocol_version,
            capabilities: result.capabilities,
            instructions: result.instructions,
        })
    }

    /// `notifications/initialized`.
    pub fn initialized(&self) -> String {
        jsonrpc::notification("notifications/initialized", None)
    }

    /// Any other request.
    pub fn request(&mut self, method: &str, params: Option<&Value>) -> (RequestId, String) {
        let id = self.next_id();
        let text = jsonrpc::request(&id, method, params);
        (id, text)
    }

    /// `notifications/cancelled` for request `id`.
    pub fn cancelled(&self, id: &RequestId, reason: &str) -> String {
        jsonrpc::notification(
            "notifications/cancelled",
            Some(&json!({"requestId": id, "reason": reason})),
        )
    }

    /// What an answer is, by its status and headers.
    pub fn answered(&self, status: u16, headers: &[(String, String)]) -> AnswerKind {
        match status {
            202 => AnswerKind::Accepted,
            200..=299 => {
                let stream = header(headers, "content-type").is_some_and(|t| {
                    t.trim_start()
                        .to_ascii_lowercase()
                        .starts_with("text/event-stream")
                });
                if stream {
                    AnswerKind::Stream
                } else {
                    AnswerKind::Json
                }
            }
            401 => AnswerKind::Unauthorized {
                challenge: header(headers, "www-authenticate").map(str::to_owned),
            },
            403 => AnswerKind::Forbidden,
            404 if self.session_id.is_some() => AnswerKind::SessionGone,
            405 => AnswerKind::NotOffered,
            status => AnswerKind::Failed { status },
        }
    }
}

/// Whether a failed answer's body says the session is unknown, though its status is not
/// 404 (the reference server answers 400 with JSON-RPC -32000 "No valid session ID").
pub fn is_session_refusal(status: u16, body: &str) -> bool {
    status == 400 && body.to_ascii_lowercase().contains("session id")
}

/// `request`, sent through Ferry's relay at `proxy_root` instead: the server's URL in
/// `X-MCP-Server`, its token in `X-MCP-Authorization`, and the proxy's own sign-in (when
/// there is one) in `Authorization`.
pub fn relayed(
    request: &UpstreamRequest,
    proxy_root: &str,
    access_token: Option<&str>,
) -> UpstreamRequest {
    let mut headers = vec![("x-mcp-server", request.url.clone())];
    for (name, value) in &request.headers {
        if *name == "authorization" {
            headers.push(("x-mcp-authorization", value.clone()));
        } else {
            headers.push((name, value.clone()));
        }
    }
    if let Some(token) = access_token {
        headers.push(("authorization", format!("Bearer {token}")));
    }
    UpstreamRequest {
        method: request.method,
        url: format!("{}/v1/proxy/mcp", proxy_root.trim_end_matches('/')),
        headers,
        body: request.body.clone(),
        dropped: Dropped::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn everything_init() -> Value {
        json!({"protocolVersion": "2025-11-25",
               "capabilities": {"tools": {"listChanged": true}, "prompts": {"listChanged": true},
                                "resources": {"subscribe": true, "listChanged": true}, "logging": {}},
               "serverInfo": {"name": "mcp-servers/everything", "title": "Everything Reference Server", "version": "2.0.0"},
               "instructions": "# Everything Server"})
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_first_post_has_no_session_the_later_ones_do() {
        let mut session = Session::new("http://127.0.0.1:3001/mcp");
        let (id, init) = session.initialize();
        assert_eq!(id, RequestId::Number(1));
        let body: Value = serde_json::from_str(&init).unwrap();
        assert_eq!(body["params"]["protocolVersion"], "2025-11-25");
        assert_eq!(body["params"]["clientInfo"]["name"], "Ferry");
        let first = session.post(init, None);
        assert_eq!(first.method, HttpMethod::Post);
        assert_eq!(
            first.headers,
            vec![
                ("content-type", "application/json".to_owned()),
                ("accept", "application/json, text/event-stream".to_owned()),
            ]
        );
        let server = session
            .initialized_by(
                &headers(&[
                    ("content-type", "text/event-stream"),
                    ("mcp-session-id", "s-1"),
                ]),
                &everything_init(),
            )
            .unwrap();
        assert_eq!(server.name, "mcp-servers/everything");
        assert_eq!(server.display_name(), "Everything Reference Server");
        assert!(
            server
                .capabilities
                .tools
                .as_ref()
                .is_some_and(|t| t.list_changed)
        );
        let (id, list) = session.request("tools/list", None);
        assert_eq!(id, RequestId::Number(2));
        let later = session.post(list, Some("tok"));
        assert_eq!(
            later.headers[2..],
            [
                ("mcp-session-id", "s-1".to_owned()),
                ("mcp-protocol-version", "2025-11-25".to_owned()),
                ("authorization", "Bearer tok".to_owned()),
            ]
        );
        let get = session.listen(Some("ev-9"), None);
        assert_eq!(get.method, HttpMethod::Get);
        assert!(get.headers.contains(&("last-event-id", "ev-9".to_owned())));
        assert!(get.body.is_none());
        let delete = session.terminate(None).unwrap();
        assert_eq!(delete.method, HttpMethod::Delete);
        assert_eq!(delete.headers[0], ("mcp-session-id", "s-1".to_owned()));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn an_unknown_version_is_refused() {
        let mut session = Session::new("http://x/mcp");
        let mut init = everything_init();
        init["protocolVersion"] = json!("2099-01-01");
        assert_eq!(
            session.initialized_by(&[], &init),
            Err(InitError::UnknownVersion("2099-01-01".into()))
        );
        assert!(session.terminate(None).is_none());
        init["protocolVersion"] = json!("2025-03-26");
        assert_eq!(
            session.initialized_by(&[], &init).unwrap().protocol_version,
            "2025-03-26"
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn what_each_status_means() {
        let mut session = Session::new("http://x/mcp");
        let sse = headers(&[("content-type", "text/event-stream")]);
        let json_type = headers(&[("content-type", "application/json; charset=utf-8")]);
        assert_eq!(session.answered(200, &sse), AnswerKind::Stream);
        assert_eq!(session.answered(200, &json_type), AnswerKind::Json);
        assert_eq!(session.answered(202, &[]), AnswerKind::Accepted);
        assert_eq!(
            session.answered(404, &[]),
            AnswerKind::Failed { status: 404 }
        );
        let challenge = headers(&[(
            "www-authenticate",
            r#"Bearer resource_metadata="https://x/.well-known/oauth-protected-resource""#,
        )]);
        assert!(
            matches!(session.answered(401, &challenge), AnswerKind::Unauthorized { challenge: Some(c) } if c.starts_with("Bearer"))
        );
        assert_eq!(session.answered(403, &[]), AnswerKind::Forbidden);
        assert_eq!(session.answered(405, &[]), AnswerKind::NotOffered);
        session
            .initialized_by(&headers(&[("mcp-session-id", "s")]), &everything_init())
            .unwrap();
        assert_eq!(session.answered(404, &[]), AnswerKind::SessionGone);
        assert!(is_session_refusal(
            400,
            r#"{"jsonrpc":"2.0","error":{"code":-32000,"message":"Bad Request: No valid session ID provided"}}"#
        ));
        assert!(!is_session_refusal(400, r#"{"error":"bad json"}"#));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn cancellation_names_the_request() {
        let session = Session::new("http://x/mcp");
        let text = session.cancelled(&RequestId::Number(4), "stopped by the user");
        assert_eq!(
            text,
            r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"reason":"stopped by the user","requestId":4}}"#
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_relayed_request_names_the_server_and_moves_its_token() {
        let mut session = Session::new("https://mcp.example.com/mcp");
        let (_, init) = session.initialize();
        let direct = session.post(init, Some("srv-token"));
        let relay = relayed(&direct, "https://proxy.example.com/", Some("user-jwt"));
        assert_eq!(relay.url, "https://proxy.example.com/v1/proxy/mcp");
        assert_eq!(relay.body, direct.body);
        assert_eq!(
            relay.headers,
            vec![
                ("x-mcp-server", "https://mcp.example.com/mcp".to_owned()),
                ("content-type", "application/json".to_owned()),
                ("accept", "application/json, text/event-stream".to_owned()),
                ("x-mcp-authorization", "Bearer srv-token".to_owned()),
                ("authorization", "Bearer user-jwt".to_owned()),
            ]
        );
    }
}

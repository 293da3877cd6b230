//! The MCP relay's rules (`/v1/proxy/mcp`): which server a request may reach, which headers
//! cross the relay each way, and what an answer that cannot be passed back becomes.
//!
//! The relay exists for MCP servers that do not allow browser calls (no CORS): the browser
//! sends the MCP request here with the server's URL in `X-MCP-Server`, and gets the server's
//! answer back as it streams. Nothing else crosses: not the caller's cookies, not the
//! proxy's own `Authorization` (the caller's sign-in), not a provider key. The MCP server's
//! token travels as `X-MCP-Authorization` and reaches the server as `Authorization`.
//!
//! | Way      | Headers that cross                                                         |
//! |----------|----------------------------------------------------------------------------|
//! | request  | `content-type`, `accept`, `mcp-session-id`, `mcp-protocol-version`,        |
//! |          | `last-event-id`; `x-mcp-authorization` → `authorization`                   |
//! | answer   | status, `content-type`, `mcp-session-id`, `mcp-protocol-version`,          |
//! |          | `www-authenticate`; plus `x-mcp-relayed: true`                             |

use crate::ProxyError;
use crate::adapter::HttpMethod;
use crate::href::Href;
use crate::page::{self, Target};

/// The request header naming the MCP server's endpoint (an absolute http(s) URL).
pub const TARGET_HEADER: &str = "x-mcp-server";
/// The request header carrying the MCP server's credential, sent on as `Authorization`.
pub const TOKEN_HEADER: &str = "x-mcp-authorization";
/// Set on every answer that came from the MCP server; the proxy's own refusals lack it.
pub const RELAYED_HEADER: &str = "x-mcp-relayed";
/// The longest `X-MCP-Server` taken.
pub const MAX_TARGET_CHARS: usize = 2048;
/// What the relay's errors call the other side.
pub const SERVICE: &str = "MCP server";

/// Request headers passed on to the MCP server as they are.
pub const FORWARDED: [&str; 5] = [
    "content-type",
    "accept",
    "mcp-session-id",
    "mcp-protocol-version",
    "last-event-id",
];
/// Answer headers passed back to the caller as they are.
pub const PASSED_BACK: [&str; 4] = [
    "content-type",
    "mcp-session-id",
    "mcp-protocol-version",
    "www-authenticate",
];
/// The headers a browser may send to the relay (the CORS preflight's list adds these).
pub const CORS_ALLOWED: [&str; 7] = [
    "content-type",
    "accept",
    "mcp-session-id",
    "mcp-protocol-version",
    "last-event-id",
    TARGET_HEADER,
    TOKEN_HEADER,
];
/// The relayed answer's headers a browser page may read.
pub const CORS_EXPOSED: [&str; 4] = [
    "mcp-session-id",
    "mcp-protocol-version",
    "www-authenticate",
    RELAYED_HEADER,
];

/// The methods of MCP's Streamable HTTP transport: a message, the server's stream, the
/// session's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelayMethod {
    Post,
    Get,
    Delete,
}

impl RelayMethod {
    /// `None` for any other method (a 405).
    pub fn parse(method: &str) -> Option<Self> {
        match method.to_ascii_uppercase().as_str() {
            "POST" => Some(Self::Post),
            "GET" => Some(Self::Get),
            "DELETE" => Some(Self::Delete),
            _ => None,
        }
    }

    pub fn http(self) -> HttpMethod {
        match self {
            Self::Post => HttpMethod::Post,
            Self::Get => HttpMethod::Get,
            Self::Delete => HttpMethod::Delete,
        }
    }

    /// Whether the request's body goes on (a JSON-RPC message): only a POST has one.
    pub fn has_body(self) -> bool {
        match self {
            Self::Post => true,
            Self::Get | Self::Delete => false,
        }
    }
}

/// The MCP server a request is for, once its URL passed the checks that need no DNS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayTarget {
    pub url: Href,
    /// The host alone, the one thing about the target that is logged.
    pub host: String,
    /// A name whose addresses the caller must still resolve and check with
    /// [`page::is_public`] (`None`: an IP address, or the guard is lifted).
    pub resolve: Option<String>,
}

/// A refusal of the relay's, as the contract's invalid request.
pub fn refused(why: &str) -> ProxyError {
    ProxyError::invalid(format!("MCP relay refused: {why}"))
}

/// Reads `X-MCP-Server`: an absolute http(s) URL of at most [`MAX_TARGET_CHARS`], without
/// credentials, to a public address — the web-fetch guard ([`page::check_address`]) —
/// unless `allow_private` (local testing only).
pub fn target(header: Option<&str>, allow_private: bool) -> Result<RelayTarget, ProxyError> {
    let value = header
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            ProxyError::invalid("missing X-MCP-Server: the MCP server's URL to relay to")
        })?;
    if value.chars().count() > MAX_TARGET_CHARS {
        return Err(refused(&format!(
            "the server URL is longer than {MAX_TARGET_CHARS} characters"
        )));
    }
    let (url, checked) = page::check_address(value, allow_private).map_err(refused)?;
    let host = url.host().to_owned();
    let resolve = match checked {
        Target::Name(name) if !allow_private => Some(name),
        Target::Name(_) | Target::Address(_) => None,
    };
    Ok(RelayTarget { url, host, resolve })
}

/// The headers sent to the MCP server, read from the caller's request with `get` (by
/// lower-case name): [`FORWARDED`] as they are, and [`TOKEN_HEADER`] as `authorization`.
/// Everything else stays behind.
pub fn upstream_headers(get: impl Fn(&str) -> Option<String>) -> Vec<(&'static str, String)> {
    let mut headers: Vec<(&'static str, String)> = FORWARDED
        .iter()
        .filter_map(|name| Some((*name, present(get(name))?)))
        .collect();
    if let Some(token) = present(get(TOKEN_HEADER)) {
        headers.push(("authorization", token));
    }
    headers
}

/// The headers of the caller's answer, read from the MCP server's with `get`:
/// [`PASSED_BACK`] as they are, and [`RELAYED_HEADER`].
pub fn answer_headers(get: impl Fn(&str) -> Option<String>) -> Vec<(&'static str, String)> {
    let mut headers: Vec<(&'static str, String)> = PASSED_BACK
        .iter()
        .filter_map(|name| Some((*name, present(get(name))?)))
        .collect();
    headers.push((RELAYED_HEADER, "true".to_owned()));
    headers
}

fn present(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

/// Whether the MCP server's answer with `status` is passed back. Redirects are not
/// followed (their target would escape the address guard) nor passed back (the browser
/// would follow them): a 502 instead. Every other status goes back as it is, refusals
/// included (a 401 with its challenge, a 404 for a session that is gone).
pub fn check_status(status: u16) -> Result<(), ProxyError> {
    if (300..400).contains(&status) {
        return Err(ProxyError::RemoteFailed {
            service: SERVICE.to_owned(),
            message: "the MCP server redirected (redirects are not followed)".to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn lookup<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        let map: BTreeMap<&str, &str> = pairs.iter().copied().collect();
        move |name| map.get(name).map(|v| (*v).to_owned())
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn only_mcp_headers_go_on_and_the_token_becomes_authorization() {
        let sent = [
            ("content-type", "application/json"),
            ("accept", "application/json, text/event-stream"),
            ("mcp-session-id", "abc"),
            ("mcp-protocol-version", "2025-11-25"),
            ("last-event-id", "ev-7"),
            ("x-mcp-authorization", "Bearer mcp-token"),
            ("x-mcp-server", "https://mcp.example/mcp"),
            ("authorization", "Bearer supabase-token"),
            ("cookie", "session=1"),
            ("x-provider-key", "sk-1"),
            ("origin", "https://app.example"),
        ];
        let headers = upstream_headers(lookup(&sent));
        assert_eq!(
            headers,
            vec![
                ("content-type", "application/json".to_owned()),
                ("accept", "application/json, text/event-stream".to_owned()),
                ("mcp-session-id", "abc".to_owned()),
                ("mcp-protocol-version", "2025-11-25".to_owned()),
                ("last-event-id", "ev-7".to_owned()),
                ("authorization", "Bearer mcp-token".to_owned()),
            ]
        );
        // Without a token no Authorization at all: never the caller's own sign-in.
        let bare = upstream_headers(lookup(&[("authorization", "Bearer supabase-token")]));
        assert!(bare.is_empty());
        assert!(upstream_headers(lookup(&[("x-mcp-authorization", " ")])).is_empty());
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn only_mcp_headers_come_back_and_the_answer_is_marked_relayed() {
        let answered = [
            ("content-type", "text/event-stream"),
            ("mcp-session-id", "abc"),
            (
                "www-authenticate",
                "Bearer resource_metadata=\"https://m/.well-known\"",
            ),
            ("set-cookie", "tracker=1"),
            ("access-control-allow-origin", "*"),
            ("location", "http://10.0.0.1/"),
        ];
        assert_eq!(
            answer_headers(lookup(&answered)),
            vec![
                ("content-type", "text/event-stream".to_owned()),
                ("mcp-session-id", "abc".to_owned()),
                (
                    "www-authenticate",
                    "Bearer resource_metadata=\"https://m/.well-known\"".to_owned()
                ),
                ("x-mcp-relayed", "true".to_owned()),
            ]
        );
        assert_eq!(
            answer_headers(lookup(&[])),
            vec![("x-mcp-relayed", "true".to_owned())]
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_target_must_be_a_public_http_url() {
        let ok = target(Some(" https://mcp.example.com/mcp?x=1 "), false).unwrap();
        assert_eq!(ok.url.as_str(), "https://mcp.example.com/mcp?x=1");
        assert_eq!(ok.host, "mcp.example.com");
        assert_eq!(ok.resolve.as_deref(), Some("mcp.example.com"));
        let ip = target(Some("https://93.184.215.14/mcp"), false).unwrap();
        assert_eq!(ip.resolve, None);
        for bad in [
            "http://127.0.0.1:3001/mcp",
            "http://localhost:3001/mcp",
            "http://2130706433/mcp",
            "http://[::ffff:127.0.0.1]/mcp",
            "http://[64:ff9b::a00:1]/mcp",
            "http://[2001::1]/mcp",
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.1/",
            "http://metadata.google.internal/",
            "https://user:pass@mcp.example.com/mcp",
            "ftp://mcp.example.com/",
            "/mcp",
        ] {
            let error = target(Some(bad), false).unwrap_err();
            assert_eq!(error.status(), 400, "{bad}");
            assert!(error.to_string().starts_with("MCP relay refused"), "{bad}");
        }
        let long = format!("https://mcp.example.com/{}", "a".repeat(MAX_TARGET_CHARS));
        assert_eq!(target(Some(&long), false).unwrap_err().status(), 400);
        let missing = target(None, false).unwrap_err();
        assert!(missing.to_string().contains("X-MCP-Server"));
        assert_eq!(target(Some(""), false).unwrap_err().status(), 400);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn local_testing_lifts_the_address_guard_but_not_the_rest() {
        let local = target(Some("http://127.0.0.1:3001/mcp"), true).unwrap();
        assert_eq!(local.host, "127.0.0.1");
        assert_eq!(local.resolve, None);
        assert_eq!(
            target(Some("http://localhost:1/mcp"), true)
                .unwrap()
                .resolve,
            None
        );
        assert!(target(Some("file:///etc/passwd"), true).is_err());
        assert!(target(Some("http://u:p@127.0.0.1/"), true).is_err());
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn methods_and_redirects() {
        assert_eq!(RelayMethod::parse("POST"), Some(RelayMethod::Post));
        assert_eq!(RelayMethod::parse("get"), Some(RelayMethod::Get));
        assert_eq!(RelayMethod::parse("DELETE"), Some(RelayMethod::Delete));
        assert_eq!(RelayMethod::parse("PUT"), None);
        assert!(RelayMethod::Post.has_body());
        assert!(!RelayMethod::Get.has_body());
        assert_eq!(RelayMethod::Delete.http(), HttpMethod::Delete);
        for status in [200, 202, 400, 401, 404, 405, 500] {
            assert!(check_status(status).is_ok(), "{status}");
        }
        for status in [301, 302, 307, 308] {
            let error = check_status(status).unwrap_err();
            assert_eq!((error.status(), error.code()), (502, "upstream_error"));
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn cors_lists_cover_the_forwarded_and_passed_back_headers() {
        for name in FORWARDED {
            assert!(CORS_ALLOWED.contains(&name), "{name}");
        }
        for name in PASSED_BACK.iter().filter(|n| **n != "content-type") {
            assert!(CORS_EXPOSED.contains(name), "{name}");
        }
        assert!(CORS_ALLOWED.contains(&TARGET_HEADER) && CORS_ALLOWED.contains(&TOKEN_HEADER));
        assert!(CORS_EXPOSED.contains(&RELAYED_HEADER));
    }
}

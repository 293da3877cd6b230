//! `POST|GET|DELETE /v1/proxy/mcp`: a streaming relay to the MCP server named by
//! `X-MCP-Server`, for servers that do not allow browser calls.
//!
//! The rules are core's ([`ferry_core::mcp_relay`]): the web-fetch address guard on the
//! target (a name resolved through DNS-over-HTTPS first), only the MCP headers each way,
//! redirects refused. Same sign-in and per-minute rate as web fetch, no token quota, no
//! usage row. The answer streams back chunk by chunk as the server sends it, within
//! `STREAM_TIMEOUT_SECS` in all; the token and the request are never kept or logged (the
//! log line has the server's host only).

use ferry_core::adapter::UpstreamRequest;
use ferry_core::mcp_relay::{self, RelayMethod, SERVICE};
use ferry_core::{BodyCap, ProxyError};
use worker::Response;

use crate::body;
use crate::incoming::Request;
use crate::limits::client::WhenUnavailable;
use crate::routes::{self, Scope, fetch};
use crate::upstream::{self, Outbound};

pub async fn handle(mut req: Request, scope: &Scope<'_>) -> Result<Response, ProxyError> {
    let config = scope.config;
    config.kill_switch.check_mcp()?;
    let method =
        RelayMethod::parse(req.method().as_ref()).ok_or_else(|| ProxyError::MethodNotAllowed {
            method: req.method().to_string(),
        })?;
    let identity = routes::identify(&req, scope).await?;
    // Relayed calls cost the operator: no limits, no relay.
    routes::limit(scope, &identity, 0, WhenUnavailable::Refuse).await?;
    let header = |name: &str| req.headers().get(name).ok().flatten();
    let asked = header(mcp_relay::TARGET_HEADER)
        .map(|value| upstream::runtime_href(value.trim(), None).unwrap_or(value));
    let target = mcp_relay::target(asked.as_deref(), config.fetch_allow_private)?;
    scope.exchange.note_host(&target.host);
    let headers = mcp_relay::upstream_headers(header);
    let body = if method.has_body() {
        let bytes = body::read_limited(&mut req, (config.max_body_bytes, BodyCap::Body)).await?;
        let text = String::from_utf8(bytes)
            .map_err(|_| ProxyError::invalid("the MCP message is not UTF-8 text"))?;
        Some(text).filter(|t| !t.is_empty())
    } else {
        None
    };
    if let Some(name) = &target.resolve {
        fetch::check_name(&config.fetch_doh_url, name, |why| {
            mcp_relay::refused(&format!("{name} {why}"))
        })
        .await?;
    }
    let request = UpstreamRequest {
        method: method.http(),
        url: target.url.as_str().to_owned(),
        headers,
        body,
        dropped: Vec::new(),
    };
    let how = Outbound {
        timeout_ms: config.stream_timeout_ms,
        on_timeout: ProxyError::RemoteTimeout {
            service: SERVICE.to_owned(),
            timeout_secs: config.stream_timeout_ms.div_ceil(1000),
        },
        on_failure: ProxyError::RemoteFailed {
            service: SERVICE.to_owned(),
            message: format!(
                "the MCP server {} could not be reached or broke the connection",
                target.host
            ),
        },
        // A redirect's target would escape the address guard.
        follow_redirects: false,
    };
    scope.exchange.note_upstream();
    let (response, call) = upstream::fetch(&request, &how).await?;
    mcp_relay::check_status(response.status_code())?;
    let content_type = response.headers().get("content-type").ok().flatten();
    if content_type.is_some_and(|t| t.starts_with("text/event-stream")) {
        // For the log line: this answer stays open, its latency is the time to its headers.
        scope.exchange.note_streaming();
    }
    upstream::relay(response, call)
}

//! `POST /v1/proxy/fetch`: `{"url"}` → `{"url","status","content_type","text"}`, a public
//! page reduced to readable text for the agent's `web_fetch` tool.
//!
//! Only http(s) to public addresses ([`ferry_core::page::check_url`]); a name is resolved
//! through DNS-over-HTTPS first and refused if any of its addresses is not public; redirects
//! are followed by hand so that each target is checked the same way. At most 1 MB is read,
//! within 10 s in all. `FETCH_ALLOW_PRIVATE=true` lifts the address checks (local testing
//! only). Workers cannot reach private networks themselves; the checks keep it that way
//! wherever the proxy runs.

use std::net::IpAddr;

use ferry_core::adapter::{HttpMethod, UpstreamRequest};
use ferry_core::page::{self, MAX_PAGE_BYTES, MAX_REDIRECTS, Target};
use ferry_core::{BodyCap, ProxyError};
use serde::{Deserialize, Serialize};
use worker::{Response, web_sys};

use crate::body;
use crate::incoming::Request;
use crate::limits::client::WhenUnavailable;
use crate::respond::{self, now_ms};
use crate::routes::{self, Scope};
use crate::upstream::{self, Outbound};

/// The whole fetch, redirects included, must be done within this.
const TIMEOUT_MS: u64 = 10_000;
const SERVICE: &str = "web fetch";
const USER_AGENT: &str =
    "Mozilla/5.0 (compatible; FerryFetch/0.1; +https://github.com/ferry-agent/ferry)";

#[derive(Deserialize)]
struct FetchRequest {
    url: String,
}

#[derive(Serialize)]
struct Page {
    url: String,
    status: u16,
    content_type: String,
    text: String,
}

fn failed(message: impl Into<String>) -> ProxyError {
    ProxyError::RemoteFailed {
        service: SERVICE.to_owned(),
        message: message.into(),
    }
}

pub async fn handle(mut req: Request, scope: &Scope<'_>) -> Result<Response, ProxyError> {
    let config = scope.config;
    let identity = routes::identify(&req, scope).await?;
    // Fetches cost the operator: no limits, no fetch.
    routes::limit(scope, &identity, 0, WhenUnavailable::Refuse).await?;
    let bytes = body::read_limited(&mut req, (config.max_body_bytes, BodyCap::Body)).await?;
    let ask: FetchRequest = body::parse_json(&bytes)?;
    let allow_private = config.fetch_allow_private;
    let started = now_ms();
    // Not a URL at all: core's check below says so.
    let mut url = upstream::runtime_href(ask.url.trim(), None).unwrap_or(ask.url);
    for _ in 0..=MAX_REDIRECTS {
        let (parsed, target) = page::check_url(&url, allow_private)?;
        scope.exchange.note_upstream();
        if let (Target::Name(name), false) = (&target, allow_private) {
            check_name(&config.fetch_doh_url, name, |why| {
                ProxyError::invalid(format!("web fetch refused: {name} {why}"))
            })
            .await?;
        }
        let remaining = TIMEOUT_MS
            .saturating_sub(now_ms().saturating_sub(started))
            .max(1);
        let how = Outbound {
            timeout_ms: remaining,
            on_timeout: ProxyError::RemoteTimeout {
                service: SERVICE.to_owned(),
                timeout_secs: TIMEOUT_MS / 1000,
            },
            on_failure: failed(format!("{} could not be reached", parsed.host())),
            follow_redirects: false,
        };
        let request = UpstreamRequest {
            method: HttpMethod::Get,
            url: parsed.as_str().to_owned(),
            headers: vec![
                ("user-agent", USER_AGENT.to_owned()),
                (
                    "accept",
                    "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.5".to_owned(),
                ),
            ],
            body: None,
            dropped: Vec::new(),
        };
        let (response, call) = upstream::fetch(&request, &how).await?;
        let status = response.status_code();
        let location = response.headers().get("location").ok().flatten();
        if let (300..=399, Some(location)) = (status, location) {
            url = upstream::runtime_href(&location, Some(parsed.as_str()))
                .ok_or_else(|| failed("a redirect to an invalid URL"))?;
            continue;
        }
        let content_type = response
            .headers()
            .get("content-type")
            .ok()
            .flatten()
            .unwrap_or_default();
        let body = upstream::read_at_most(response, call, MAX_PAGE_BYTES).await?;
        let text = page::readable_text(&content_type, &body).ok_or_else(|| {
            ProxyError::invalid(format!("web fetch: the page is not text ({content_type})"))
        })?;
        let page = Page {
            url: parsed.as_str().to_owned(),
            status,
            content_type,
            text,
        };
        let json = serde_json::to_string(&page).map_err(|e| failed(e.to_string()))?;
        return respond::json(json, 200);
    }
    Err(failed(format!("more than {MAX_REDIRECTS} redirects")))
}

/// Resolves `name` and refuses it (with `refused(why)`) unless every address is public.
/// The MCP relay checks its targets the same way.
pub async fn check_name(
    doh_url: &str,
    name: &str,
    refused: impl Fn(&str) -> ProxyError,
) -> Result<(), ProxyError> {
    let mut addresses: Vec<IpAddr> = Vec::new();
    for kind in ["A", "AAAA"] {
        let url = web_sys::Url::new(doh_url).map_err(|_| refused("cannot be checked"))?;
        let query = url.search_params();
        query.append("name", name);
        query.append("type", kind);
        let request = UpstreamRequest {
            method: HttpMethod::Get,
            url: url.href(),
            headers: vec![("accept", "application/dns-json".to_owned())],
            body: None,
            dropped: Vec::new(),
        };
        let how = Outbound {
            timeout_ms: 3_000,
            on_timeout: refused("could not be resolved in time"),
            on_failure: refused("could not be resolved"),
            follow_redirects: true,
        };
        let (_, call) = upstream::fetch(&request, &how).await?;
        let body = upstream::read_all(call).await?;
        addresses.extend(page::doh_addresses(&body).map_err(|why| refused(&why))?);
    }
    if addresses.is_empty() {
        return Err(refused("has no address"));
    }
    if !addresses.into_iter().all(page::is_public) {
        return Err(refused("resolves to an address that is not public"));
    }
    Ok(())
}

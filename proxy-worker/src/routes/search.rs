//! `POST /v1/proxy/search`: a web search with the user's own Brave or Tavily key
//! (`X-Provider: brave|tavily`), for the agent's `web_search` tool.

use ferry_core::adapter::redact;
use ferry_core::search::{self, SearchEngine, SearchRequest};
use ferry_core::{BodyCap, ProxyError};
use worker::Response;

use crate::body;
use crate::incoming::Request;
use crate::limits::client::WhenUnavailable;
use crate::respond;
use crate::routes::{self, Scope};
use crate::upstream::{self, Outbound};

pub async fn handle(mut req: Request, scope: &Scope<'_>) -> Result<Response, ProxyError> {
    let config = scope.config;
    let caller = routes::admit(&req, scope).await?;
    let engine: SearchEngine = routes::provider_header(&req)
        .ok_or_else(|| ProxyError::invalid("missing X-Provider: brave or tavily"))?
        .parse()?;
    // Searches cost the operator: no limits, no search.
    routes::limit(scope, &caller.identity, 0, WhenUnavailable::Refuse).await?;
    let bytes = body::read_limited(&mut req, (config.max_body_bytes, BodyCap::Body)).await?;
    let ask: SearchRequest = body::parse_json(&bytes)?;
    let call = search::search_request(engine, config.search_base_url(engine), &caller.key, &ask)?;
    let service = engine.as_str().to_owned();
    let how = Outbound {
        timeout_ms: config.request_timeout_ms,
        on_timeout: ProxyError::RemoteTimeout {
            service: service.clone(),
            timeout_secs: config.request_timeout_ms.div_ceil(1000),
        },
        on_failure: ProxyError::RemoteFailed {
            service: service.clone(),
            message: format!("{engine} could not be reached or broke the connection"),
        },
        follow_redirects: true,
    };
    scope.exchange.note_upstream();
    let (response, answer) = upstream::fetch(&call, &how).await?;
    let status = response.status_code();
    let body = upstream::read_all(answer).await?;
    if !(200..300).contains(&status) {
        let words: String = String::from_utf8_lossy(&body).chars().take(300).collect();
        let message = format!(
            "{engine} answered {status}: {}",
            redact(&words, &caller.key)
        );
        return Err(if (400..500).contains(&status) {
            ProxyError::Remote {
                service,
                status,
                message,
            }
        } else {
            ProxyError::RemoteFailed { service, message }
        });
    }
    let results = search::search_response(engine, &body)
        .map_err(|message| ProxyError::RemoteFailed { service, message })?;
    let json = serde_json::to_string(&results)
        .map_err(|e| ProxyError::invalid(format!("search results: {e}")))?;
    respond::json(json, 200)
}

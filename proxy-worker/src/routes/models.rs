//! `GET /v1/proxy/models` (alias `/v1/models`): the provider's models as an OpenAI list,
//! cached for an hour per (provider, upstream, hash of the key) in the Cache API.

use ferry_core::adapter;
use ferry_core::{ProviderId, ProxyError};
use worker::{Cache, Response};

use crate::incoming::Request;
use crate::limits::client::WhenUnavailable;
use crate::respond;
use crate::routes::{self, Scope};
use crate::upstream;

const MAX_AGE_SECS: u32 = 3600;

pub async fn handle(req: Request, scope: &Scope<'_>) -> Result<Response, ProxyError> {
    let config = scope.config;
    let caller = routes::admit(&req, scope).await?;
    let key = caller.key.as_str();
    let provider: ProviderId = routes::provider_header(&req)
        .ok_or_else(|| ProxyError::invalid("missing X-Provider: which provider's models to list"))?
        .parse()?;
    scope.exchange.note_target(provider, "");
    let target = routes::target(config, provider, key)?;
    routes::limit(scope, &caller.identity, 0, WhenUnavailable::LimitLocally).await?;
    let cache_key = adapter::models_cache_key(&target);
    let cache = Cache::default();
    if let Ok(Some(mut hit)) = cache.get(cache_key.as_str(), false).await
        && let Ok(body) = hit.text().await
    {
        return cached(body, "hit", "private");
    }
    let call = adapter::models_request(&target);
    scope.exchange.note_upstream();
    let (_, call) = upstream::send(&call, provider, key, config.request_timeout_ms).await?;
    let list = adapter::models_response(provider, &upstream::read_all(call).await?)?;
    let body = serde_json::to_string(&list)
        .map_err(|e| ProxyError::upstream(provider, format!("model list: {e}")))?;
    // A cache failure costs a refetch next time, never this answer.
    // The Cache API keeps only responses it may share; the key hash makes it per user.
    if let Ok(stored) = cached(body.clone(), "stored", "public") {
        let _ = cache.put(cache_key.as_str(), stored).await;
    }
    cached(body, "miss", "private")
}

fn cached(body: String, state: &str, scope: &str) -> Result<Response, ProxyError> {
    let mut response = respond::json(body, 200)?;
    let headers = response.headers_mut();
    let _ = headers.set("cache-control", &format!("{scope}, max-age={MAX_AGE_SECS}"));
    let _ = headers.set("x-ferry-cache", state);
    Ok(response)
}

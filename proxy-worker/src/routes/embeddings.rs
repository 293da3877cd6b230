//! `POST /v1/proxy/embeddings` (alias `/v1/embeddings`).

use ferry_core::adapter::{self, AnswerContext};
use ferry_core::wire::EmbeddingsRequest;
use ferry_core::{Config, ProxyError, resolve_provider};
use worker::{Request, Response};

use crate::respond::{self, Exchange};
use crate::{body, routes, upstream};

pub async fn handle(
    mut req: Request,
    config: &Config,
    exchange: &Exchange,
) -> Result<Response, ProxyError> {
    let key = routes::admit(&req, config)?;
    let bytes = body::read_limited(&mut req, config.max_body_bytes).await?;
    let request: EmbeddingsRequest = body::parse_json(&bytes)?;
    let (provider, model) =
        resolve_provider(routes::provider_header(&req).as_deref(), &request.model)?;
    exchange.note_target(provider, &model);
    let target = routes::target(config, provider, &key)?;
    let call = adapter::embeddings_request(&target, request, model.clone())?;
    let (response, call) = upstream::send(&call, provider, &key, config.request_timeout_ms).await?;
    let context = AnswerContext {
        provider,
        model,
        created: respond::now_ms() / 1000,
    };
    let answer =
        adapter::embeddings_response(&context, &upstream::read_all(response, call).await?)?;
    respond::json(answer, 200)
}

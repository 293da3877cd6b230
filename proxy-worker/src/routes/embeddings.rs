//! `POST /v1/proxy/embeddings` (alias `/v1/embeddings`).

use ferry_core::adapter::{self, AnswerContext};
use ferry_core::wire::EmbeddingsRequest;
use ferry_core::{Config, ProxyError};
use worker::{Request, Response};

use crate::respond::{self, Exchange};
use crate::routes::{self, ModelCall};
use crate::upstream;

pub async fn handle(
    mut req: Request,
    config: &Config,
    exchange: &Exchange,
) -> Result<Response, ProxyError> {
    let ModelCall {
        key,
        request,
        provider,
        model,
    } = routes::read_model_call(&mut req, config, exchange, |r: &EmbeddingsRequest| &r.model)
        .await?;
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

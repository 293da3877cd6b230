//! `POST /v1/proxy/embeddings` (alias `/v1/embeddings`).

use ferry_core::adapter::{self, AnswerContext};
use ferry_core::wire::EmbeddingsRequest;
use ferry_core::{BodyCap, ProxyError};
use worker::Response;

use crate::incoming::Request;
use crate::respond;
use crate::routes::{self, ModelCall, Scope};
use crate::upstream;

pub async fn handle(mut req: Request, scope: &Scope<'_>) -> Result<Response, ProxyError> {
    let ModelCall {
        caller,
        request,
        provider,
        model,
        ..
    } = routes::read_model_call(
        &mut req,
        scope,
        (scope.config.max_body_bytes, BodyCap::Body),
        |r: &EmbeddingsRequest| &r.model,
    )
    .await?;
    let config = scope.config;
    let target = routes::target(config, provider, &caller.key)?;
    let estimate = request.input.texts().map_or(0, |texts| {
        texts
            .iter()
            .map(|t| t.len() as u64)
            .sum::<u64>()
            .div_ceil(4)
    });
    let context = AnswerContext {
        provider,
        model: model.clone(),
        created: respond::now_ms() / 1000,
    };
    let call = adapter::embeddings_request(&target, request, model)?;
    let ((_, sent), pending) = routes::send_within_limits(
        scope,
        &caller.identity,
        estimate.max(1),
        &call,
        provider,
        &caller.key,
        config.request_timeout_ms,
    )
    .await?;
    let answer = upstream::read_all(sent)
        .await
        .and_then(|body| adapter::embeddings_response(&context, &body));
    let used = answer.as_deref().ok().and_then(adapter::tokens_used);
    routes::settle_later(scope, pending, used.unwrap_or(0));
    respond::json(answer?, 200)
}

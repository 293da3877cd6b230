//! `POST /v1/proxy/chat/completions` (alias `/v1/chat/completions`).

use ferry_core::adapter::{self, AnswerContext, StreamTranslator};
use ferry_core::wire::ChatRequest;
use ferry_core::{ProxyError, quota};
use worker::Response;

use crate::incoming::Request;
use crate::respond;
use crate::routes::{self, ModelCall, Scope};
use crate::upstream;

pub async fn handle(mut req: Request, scope: &Scope<'_>) -> Result<Response, ProxyError> {
    let ModelCall {
        caller,
        request,
        body_len,
        provider,
        model,
    } = routes::read_model_call(
        &mut req,
        scope,
        scope.config.chat_body_limit(),
        |r: &ChatRequest| &r.model,
    )
    .await?;
    // Past MAX_BODY_BYTES only by inline image and file data.
    scope.config.check_chat_body(body_len, &request)?;
    if request.messages.is_empty() {
        return Err(ProxyError::invalid("messages must not be empty"));
    }
    let config = scope.config;
    let target = routes::target(config, provider, &caller.key)?;
    // What the call sends, estimated: an unfinished stream settles at least this.
    let input_estimate = quota::estimate_input_tokens(&request);
    let reserve = input_estimate.saturating_add(
        request
            .max_output_tokens()
            .map_or(quota::DEFAULT_OUTPUT_RESERVATION, u64::from),
    );
    let stream = request.is_stream();
    let context = AnswerContext {
        provider,
        model: model.clone(),
        created: respond::now_ms() / 1000,
    };
    let call = adapter::chat_request(&target, request, model.clone())?;
    scope.exchange.note_dropped(&call.dropped);
    let timeout_ms = if stream {
        scope.exchange.note_streaming();
        config.stream_timeout_ms
    } else {
        config.request_timeout_ms
    };
    let ((response, sent), pending) = routes::send_within_limits(
        scope,
        &caller.identity,
        reserve,
        &call,
        provider,
        &caller.key,
        timeout_ms,
    )
    .await?;
    if stream {
        let tail = upstream::Tail {
            tag: scope.exchange.stream_tag(provider, &model),
            pending,
            usage: scope.exchange.usage_draft(),
            input_estimate,
            env: scope.env.clone(),
            ctx: scope.ctx.clone(),
        };
        upstream::pipe(
            provider,
            response,
            sent,
            StreamTranslator::new(context),
            tail,
        )
    } else {
        let answer = upstream::read_all(sent)
            .await
            .and_then(|body| adapter::chat_response(&context, &body));
        let usage = answer.as_deref().ok().and_then(adapter::usage_of);
        routes::settle_later(scope, pending, usage.map_or(0, |u| u.total_tokens));
        scope.exchange.note_usage(usage);
        respond::json(answer?, 200)
    }
}

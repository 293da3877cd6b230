//! `POST /v1/proxy/chat/completions` (alias `/v1/chat/completions`).

use ferry_core::adapter::{self, AnswerContext, StreamTranslator};
use ferry_core::wire::ChatRequest;
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
    } = routes::read_model_call(&mut req, config, exchange, |r: &ChatRequest| &r.model).await?;
    if request.messages.is_empty() {
        return Err(ProxyError::invalid("messages must not be empty"));
    }
    let target = routes::target(config, provider, &key)?;
    let stream = request.is_stream();
    let call = adapter::chat_request(&target, request, model.clone())?;
    let context = AnswerContext {
        provider,
        model: model.clone(),
        created: respond::now_ms() / 1000,
    };
    if stream {
        exchange.note_streaming();
        let (response, call) =
            upstream::send(&call, provider, &key, config.stream_timeout_ms).await?;
        let translator = StreamTranslator::new(context);
        upstream::pipe(
            response,
            call,
            translator,
            exchange.stream_tag(provider, &model),
        )
    } else {
        let (response, call) =
            upstream::send(&call, provider, &key, config.request_timeout_ms).await?;
        let answer = adapter::chat_response(&context, &upstream::read_all(response, call).await?)?;
        exchange.note_usage(adapter::usage_of(&answer));
        respond::json(answer, 200)
    }
}

//! Provider adapters: OpenAI-shaped requests in, each provider's own format upstream, and
//! OpenAI-shaped answers back — whole or one stream event at a time.
//!
//! Each adapter is a set of plain functions (build a request, parse a response, translate
//! one stream event); this module dispatches on the provider's [`WireFormat`].
//!
//! The model's facts ([`crate::models::facts`]) decide what each request may carry: the
//! reasoning control `reasoning_effort` becomes, and the parameters the model refuses while
//! it reasons, which are left out and named in [`UpstreamRequest::dropped`] rather than
//! refused. Every usage the adapters give back carries its estimated `cost` in USD
//! ([`crate::pricing::estimate_cost`]) unless the provider sent its own.

pub mod anthropic;
mod content;
pub mod google;
pub mod openai;
mod translator;

pub(crate) use content::{DocumentRef, ImageRef, PDF, Piece, content_pieces};
pub use translator::StreamTranslator;
pub(crate) use translator::{Progress, write_chunk, write_delta};

use crate::wire::{ChatRequest, EmbeddingsRequest, EmbeddingsResponse, ModelList, Usage};
use crate::{ProviderId, ProxyError, WireFormat, models, pricing};

/// Where and as whom to call the provider.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub provider: ProviderId,
    /// API root, without a trailing slash.
    pub base_url: &'a str,
    /// The user's key.
    pub key: &'a str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
    Get,
    Post,
    /// Ends an MCP session.
    Delete,
}

/// A request ready to send upstream.
#[derive(Debug, Clone, PartialEq)]
pub struct UpstreamRequest {
    pub method: HttpMethod,
    pub url: String,
    /// Lower-case names. Contains the key: never log it.
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<String>,
    /// Parameters of the client's request left out because the model or provider refuses
    /// them (`temperature` with Anthropic's thinking, `reasoning_effort` for a model that does
    /// not reason, …), for the `X-Ferry-Dropped-Params` header. Never an error.
    pub dropped: Dropped,
}

/// Names of the request parameters an adapter left out, in the order it met them.
pub type Dropped = Vec<&'static str>;

impl UpstreamRequest {
    fn new(target: &Target<'_>, method: HttpMethod, url: String, body: Option<String>) -> Self {
        let mut headers = vec![target.provider.info().auth.header(target.key)];
        if body.is_some() {
            headers.push(("content-type", "application/json".to_owned()));
        }
        if target.provider == ProviderId::Anthropic {
            headers.push(("anthropic-version", anthropic::API_VERSION.to_owned()));
        }
        Self {
            method,
            url,
            headers,
            body,
            dropped: Dropped::new(),
        }
    }
}

/// What the proxy needs to know to shape the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerContext {
    pub provider: ProviderId,
    /// The model as sent upstream (prefix stripped).
    pub model: String,
    /// Unix seconds, for `created` where the provider gives none.
    pub created: u64,
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, ProxyError> {
    serde_json::to_string(value)
        .map_err(|e| ProxyError::invalid(format!("cannot encode request: {e}")))
}

/// The chat request for the provider. `model` replaces the request's own.
pub fn chat_request(
    target: &Target<'_>,
    mut request: ChatRequest,
    model: String,
) -> Result<UpstreamRequest, ProxyError> {
    request.model = model;
    let stream = request.is_stream();
    let base = target.base_url;
    let provider = target.provider;
    let facts = models::facts(provider, &request.model);
    let mut dropped = Dropped::new();
    let (url, body) = match provider.info().wire {
        WireFormat::OpenAi => (
            format!("{base}/chat/completions"),
            to_json(&openai::chat_request(
                request,
                provider,
                &facts,
                &mut dropped,
            ))?,
        ),
        WireFormat::Anthropic => (
            format!("{base}/v1/messages"),
            to_json(&anthropic::chat_request(
                &request,
                provider,
                &facts,
                &mut dropped,
            )?)?,
        ),
        WireFormat::Google => {
            let method = if stream {
                "streamGenerateContent?alt=sse"
            } else {
                "generateContent"
            };
            (
                google::model_url(base, &request.model, method),
                to_json(&google::chat_request(
                    &request,
                    provider,
                    &facts,
                    &mut dropped,
                )?)?,
            )
        }
    };
    let mut upstream = UpstreamRequest::new(target, HttpMethod::Post, url, Some(body));
    upstream.dropped = dropped;
    Ok(upstream)
}

/// The request's `temperature` and `top_p`, or nothing (both listed in `dropped`) when
/// `allowed` is false: the model refuses a custom sampling while it reasons.
pub(crate) fn sampling(
    request: &ChatRequest,
    allowed: bool,
    dropped: &mut Dropped,
) -> (Option<f64>, Option<f64>) {
    if allowed {
        return (request.temperature, request.top_p);
    }
    if request.temperature.is_some() {
        dropped.push("temperature");
    }
    if request.top_p.is_some() {
        dropped.push("top_p");
    }
    (None, None)
}

/// `usage` with the estimated cost of the call to `model`, unless it has a cost already.
pub(crate) fn with_cost(provider: ProviderId, model: &str, mut usage: Usage) -> Usage {
    if usage.cost.is_none() {
        usage.cost = pricing::estimate_cost_on(provider, model, &usage);
    }
    usage
}

/// A successful non-streaming answer, as OpenAI-shaped JSON text.
pub fn chat_response(context: &AnswerContext, body: &[u8]) -> Result<String, ProxyError> {
    match context.provider.info().wire {
        // Passed through, but for the thinking's name and the cost: the provider's own
        // extras reach the client.
        WireFormat::OpenAi => openai::chat_response(context, body),
        WireFormat::Anthropic => to_json(&anthropic::chat_response(context, body)?),
        WireFormat::Google => to_json(&google::chat_response(context, body)?),
    }
}

/// Usage of a non-streaming answer already translated by [`chat_response`].
pub fn usage_of(answer: &str) -> Option<Usage> {
    #[derive(serde::Deserialize)]
    struct WithUsage {
        usage: Option<Usage>,
    }
    crate::json::read::<WithUsage>(answer.as_bytes())
        .ok()?
        .usage
}

/// The text of the first choice of a non-streaming answer already translated by
/// [`chat_response`] (or the proxy's), if it has one.
pub fn answer_text(answer: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Answer {
        choices: Vec<Choice>,
    }
    #[derive(serde::Deserialize)]
    struct Choice {
        message: Option<ChoiceMessage>,
    }
    #[derive(serde::Deserialize)]
    struct ChoiceMessage {
        content: Option<serde_json::Value>,
    }
    let Answer { choices } = crate::json::read(answer.as_bytes()).ok()?;
    match choices.into_iter().next()?.message?.content? {
        serde_json::Value::String(text) => Some(text),
        _ => None,
    }
}

/// The model-list request.
pub fn models_request(target: &Target<'_>) -> UpstreamRequest {
    let base = target.base_url;
    let url = match target.provider.info().wire {
        WireFormat::OpenAi => format!("{base}/models"),
        WireFormat::Anthropic => format!("{base}/v1/models?limit=1000"),
        WireFormat::Google => format!("{base}/v1beta/models?pageSize=1000"),
    };
    UpstreamRequest::new(target, HttpMethod::Get, url, None)
}

pub fn models_response(provider: ProviderId, body: &[u8]) -> Result<ModelList, ProxyError> {
    match provider.info().wire {
        WireFormat::OpenAi => openai::models_response(provider, body),
        WireFormat::Anthropic => anthropic::models_response(provider, body),
        WireFormat::Google => google::models_response(provider, body),
    }
}

/// The embeddings request. `model` replaces the request's own.
pub fn embeddings_request(
    target: &Target<'_>,
    mut request: EmbeddingsRequest,
    model: String,
) -> Result<UpstreamRequest, ProxyError> {
    request.model = model;
    let base = target.base_url;
    let (url, body) = match target.provider.info().wire {
        WireFormat::OpenAi => (format!("{base}/embeddings"), to_json(&request)?),
        WireFormat::Google => (
            google::model_url(base, &request.model, "batchEmbedContents"),
            to_json(&google::embeddings_request(&request)?)?,
        ),
        WireFormat::Anthropic => {
            return Err(ProxyError::invalid(format!(
                "{} has no embeddings API",
                target.provider
            )));
        }
    };
    Ok(UpstreamRequest::new(
        target,
        HttpMethod::Post,
        url,
        Some(body),
    ))
}

/// A successful embeddings answer, as OpenAI-shaped JSON text.
pub fn embeddings_response(context: &AnswerContext, body: &[u8]) -> Result<String, ProxyError> {
    match context.provider.info().wire {
        WireFormat::OpenAi => Ok(String::from_utf8_lossy(body).into_owned()),
        WireFormat::Google => {
            to_json::<EmbeddingsResponse>(&google::embeddings_response(context, body)?)
        }
        WireFormat::Anthropic => Err(ProxyError::upstream(context.provider, "no embeddings API")),
    }
}

/// The error for a non-2xx upstream answer: the provider's own words for a 4xx (its
/// status kept), `upstream_error` for anything else. The key is redacted from the message.
pub fn upstream_error(provider: ProviderId, status: u16, body: &[u8], key: &str) -> ProxyError {
    let parsed = error_details(provider, body);
    let ProviderErrorDetails {
        kind,
        code,
        message,
    } = parsed.unwrap_or_else(|| ProviderErrorDetails {
        kind: None,
        code: None,
        message: String::from_utf8_lossy(body).chars().take(300).collect(),
    });
    let message = redact(&message, key);
    if (400..500).contains(&status) {
        ProxyError::Provider {
            provider,
            status,
            kind: kind.map(|k| redact(&k, key)),
            code: code.map(|c| redact(&c, key)),
            message,
            retry_after_secs: None,
        }
    } else {
        ProxyError::upstream(provider, format!("{provider} answered {status}: {message}"))
    }
}

/// The error `provider` reported in an error answer's body, read in its own format (the
/// proxy's answers are in OpenAI's); `None` when the body is not such an error.
pub fn error_details(provider: ProviderId, body: &[u8]) -> Option<ProviderErrorDetails> {
    match provider.info().wire {
        WireFormat::OpenAi => openai::error_details(body),
        WireFormat::Anthropic => anthropic::error_details(body),
        WireFormat::Google => google::error_details(body),
    }
}

/// An error a provider reported, in its own terms.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderErrorDetails {
    pub kind: Option<String>,
    pub code: Option<String>,
    pub message: String,
}

/// Removes the key, and masked forms of it that keep its first characters
/// (`sk-proj-Ab***…`), from text that came from upstream.
pub fn redact(text: &str, key: &str) -> String {
    const MARK: &str = "[redacted]";
    let key = key.trim();
    if key.len() < 4 {
        return text.to_owned();
    }
    let text = text.replace(key, MARK);
    let head: String = key.chars().take(8).collect();
    if head.chars().count() < 8 || !text.contains(&head) {
        return text;
    }
    text.split_inclusive(char::is_whitespace)
        .map(|word| {
            if word.contains(&head) {
                let tail = &word[word.trim_end().len()..];
                format!("{MARK}{tail}")
            } else {
                word.to_owned()
            }
        })
        .collect()
}

/// Parses an upstream JSON body or event, naming the provider on failure.
pub(crate) fn parse<'a, T: serde::Deserialize<'a>>(
    provider: ProviderId,
    body: &'a [u8],
) -> Result<T, ProxyError> {
    crate::json::read(body).map_err(|e| {
        ProxyError::upstream(provider, format!("unreadable answer from {provider}: {e}"))
    })
}

/// A tool call's arguments as JSON; empty text is an empty object.
pub(crate) fn tool_arguments(
    call: &crate::wire::ToolCall,
) -> Result<serde_json::Value, ProxyError> {
    let text = call.function.arguments.trim();
    if text.is_empty() {
        return Ok(serde_json::Value::Object(Default::default()));
    }
    crate::json::read(text.as_bytes()).map_err(|_| {
        ProxyError::invalid(format!(
            "arguments of tool call '{}' are not valid JSON",
            call.id
        ))
    })
}

/// Rejects OpenAI options a translated provider cannot honour, rather than drop them.
pub(crate) fn reject_unsupported(
    request: &ChatRequest,
    provider: ProviderId,
) -> Result<(), ProxyError> {
    if let Some(n) = request.extra.get("n").and_then(serde_json::Value::as_u64)
        && n > 1
    {
        return Err(ProxyError::invalid(format!(
            "{provider} returns one choice per request; n must be 1"
        )));
    }
    Ok(())
}

/// The cache key of a model list: per provider, upstream and key, with the key hashed so
/// that it is never stored.
pub fn models_cache_key(target: &Target<'_>) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for part in [target.provider.as_str(), target.base_url, target.key] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    let hash: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!(
        "https://models.cache.ferry.invalid/{}/{hash}",
        target.provider
    )
}

/// Tokens a (translated) non-streaming answer reports in `usage.total_tokens`; works for
/// chat and embeddings answers alike.
pub fn tokens_used(answer: &str) -> Option<u64> {
    #[derive(serde::Deserialize)]
    struct Total {
        total_tokens: u64,
    }
    #[derive(serde::Deserialize)]
    struct WithUsage {
        usage: Option<Total>,
    }
    Some(
        crate::json::read::<WithUsage>(answer.as_bytes())
            .ok()?
            .usage?
            .total_tokens,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn an_answers_text_is_its_first_choices_content() {
        let answer = r#"{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"Summary."},"finish_reason":"end_turn","logprobs":null},{"message":{"content":"other"}}],"usage":{}}"#;
        assert_eq!(answer_text(answer), Some("Summary.".to_owned()));
        for none in [
            r#"{"choices":[]}"#,
            r#"{"choices":[{"message":{"role":"assistant","content":null,"tool_calls":[]}}]}"#,
            r#"{"choices":[{"finish_reason":"stop"}]}"#,
            r#"{"error":{"message":"no"}}"#,
            "not json",
        ] {
            assert_eq!(answer_text(none), None, "{none}");
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn redact_removes_the_key_and_masked_forms() {
        let key = "sk-proj-AbCdEf123456";
        assert_eq!(
            redact("Incorrect API key provided: sk-proj-AbCdEf123456.", key),
            "Incorrect API key provided: [redacted]."
        );
        assert_eq!(
            redact(
                "Incorrect API key provided: sk-proj-Ab*********3456. See docs",
                key
            ),
            "Incorrect API key provided: [redacted] See docs"
        );
        assert_eq!(redact("nothing here", key), "nothing here");
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn provider_refusal_keeps_status_and_hides_the_key() {
        let body = br#"{"error":{"message":"Incorrect API key provided: bad-key-123","type":"invalid_request_error","code":"invalid_api_key"}}"#;
        let error = upstream_error(ProviderId::OpenAi, 401, body, "bad-key-123");
        assert_eq!(error.status(), 401);
        assert_eq!(error.code(), "invalid_api_key");
        assert_eq!(error.to_string(), "Incorrect API key provided: [redacted]");
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn provider_failure_is_upstream_error() {
        let error = upstream_error(ProviderId::Google, 503, b"<html>busy</html>", "k");
        assert_eq!((error.status(), error.code()), (502, "upstream_error"));
    }
}

//! One structured log line per request. Only what is safe to keep: never a key, a header
//! value or a body.

use ferry_core::wire::Usage;
use ferry_core::{ProviderId, ProxyError};
use serde::Serialize;
use worker::Response;

use crate::respond::{self, Exchange};

#[derive(Debug, Serialize)]
struct Line<'a> {
    request_id: &'a str,
    route: &'a str,
    provider: Option<&'a str>,
    model: Option<&'a str>,
    /// The MCP relay's target host (never its path, query or any header).
    #[serde(skip_serializing_if = "Option::is_none")]
    host: Option<&'a str>,
    status: u16,
    code: Option<&'a str>,
    latency_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    input_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    output_tokens: Option<u64>,
    streaming: bool,
    /// Turned away before any call upstream (kill switch, sign-in, bad request, limits):
    /// such requests cost nothing and write no usage row, so this line is their record.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    refused: bool,
}

/// Logs a finished request; a stream that started logs again when it ends ([`stream_end`]).
pub fn record(exchange: &Exchange, route: &str, outcome: &Result<Response, ProxyError>) {
    let noted = exchange.noted();
    let (status, code) = match outcome {
        Ok(response) => (response.status_code(), None),
        Err(error) => (error.status(), Some(error.code())),
    };
    let refused = outcome.is_err() && !noted.upstream;
    emit(&Line {
        request_id: &exchange.request_id,
        route,
        provider: noted.provider.map(|p| p.as_str()),
        model: noted.model.as_deref(),
        host: noted.host.as_deref(),
        status,
        code,
        latency_ms: exchange.elapsed_ms(),
        input_tokens: noted.usage.map(|u| u.prompt_tokens),
        output_tokens: noted.usage.map(|u| u.completion_tokens),
        streaming: noted.streaming,
        refused,
    });
}

/// What the end-of-stream line needs, owned: the stream outlives the handler.
#[derive(Debug)]
pub struct StreamTag {
    pub request_id: String,
    pub provider: ProviderId,
    pub model: String,
    pub started_ms: u64,
}

/// Logs the end of a stream: how it ended and what it used.
pub fn stream_end(tag: &StreamTag, error: Option<&ProxyError>, usage: Option<Usage>) {
    emit(&Line {
        request_id: &tag.request_id,
        route: "chat.stream_end",
        provider: Some(tag.provider.as_str()),
        model: Some(&tag.model),
        host: None,
        status: error.map_or(200, ProxyError::status),
        code: error.map(ProxyError::code),
        latency_ms: respond::now_ms().saturating_sub(tag.started_ms),
        input_tokens: usage.map(|u| u.prompt_tokens),
        output_tokens: usage.map(|u| u.completion_tokens),
        streaming: true,
        refused: false,
    });
}

fn emit(line: &Line<'_>) {
    if let Ok(json) = serde_json::to_string(line) {
        worker::console_log!("{json}");
    }
}

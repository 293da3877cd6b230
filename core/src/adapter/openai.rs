//! OpenAI-format providers (OpenAI, OpenRouter, Groq, Mistral, DeepSeek, xAI, Together,
//! Fireworks): requests and answers pass through; the proxy only asks for usage in streams.
//!
//! | quirk | handling |
//! |---|---|
//! | usage is only streamed on request | `stream_options.include_usage = true` is always set |
//! | providers add their own fields | passed through untouched, in both directions |

use serde::Deserialize;

use super::{AnswerContext, Progress, ProviderErrorDetails, parse};
use crate::sse::{self, SseEvent};
use crate::wire::{ChatRequest, ModelList, StreamOptions, Usage};
use crate::{ProviderId, ProxyError};

/// The request as sent upstream: unchanged but for the usage request in streams.
pub fn chat_request(mut request: ChatRequest) -> ChatRequest {
    if request.is_stream() {
        let options = request.stream_options.get_or_insert_with(|| StreamOptions {
            include_usage: None,
            extra: Default::default(),
        });
        options.include_usage = Some(true);
    }
    request
}

/// Checks that a 2xx body is a JSON object; it is then passed on as it is.
pub fn check_chat_response(context: &AnswerContext, body: &[u8]) -> Result<(), ProxyError> {
    parse::<serde::de::IgnoredAny>(context.provider, body).map(|_| ())
}

pub fn models_response(provider: ProviderId, body: &[u8]) -> Result<ModelList, ProxyError> {
    parse(provider, body)
}

pub fn error_details(body: &[u8]) -> Option<ProviderErrorDetails> {
    #[derive(Deserialize)]
    struct Envelope {
        error: Detail,
    }
    #[derive(Deserialize)]
    struct Detail {
        message: Option<String>,
        #[serde(rename = "type")]
        kind: Option<String>,
        code: Option<serde_json::Value>,
    }
    let Envelope { error } = serde_json::from_slice(body).ok()?;
    Some(ProviderErrorDetails {
        kind: error.kind,
        code: error.code.and_then(|c| match c {
            serde_json::Value::String(s) => Some(s),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        }),
        message: error.message.unwrap_or_default(),
    })
}

/// Pass-through of an OpenAI stream, watching for usage and `[DONE]`.
#[derive(Debug)]
pub struct StreamState {
    context: AnswerContext,
    usage: Option<Usage>,
}

impl StreamState {
    pub fn new(context: AnswerContext) -> Self {
        Self {
            context,
            usage: None,
        }
    }

    pub(crate) fn on_event(
        &mut self,
        event: &SseEvent,
        out: &mut Vec<u8>,
    ) -> Result<Progress, ProxyError> {
        let data = event.data.trim();
        if data == sse::DONE {
            sse::write_data(out, sse::DONE);
            return Ok(Progress::Done);
        }
        if data.starts_with("{\"error\"") || data.starts_with("{ \"error\"") {
            let message = error_details(data.as_bytes())
                .map(|d| d.message)
                .unwrap_or_else(|| "error event in stream".to_owned());
            return Err(ProxyError::upstream(self.context.provider, message));
        }
        // Only the usage chunk is parsed; every other event is forwarded as it came.
        if data.contains("\"usage\"") {
            #[derive(Deserialize)]
            struct WithUsage {
                usage: Option<Usage>,
            }
            if let Ok(WithUsage { usage: Some(usage) }) = serde_json::from_str(data) {
                self.usage = Some(usage);
            }
        }
        sse::write_data(out, data);
        Ok(Progress::More)
    }

    pub(crate) fn on_end(&mut self, _out: &mut Vec<u8>) -> Result<(), ProxyError> {
        Err(ProxyError::upstream(
            self.context.provider,
            format!("{} ended the stream before [DONE]", self.context.provider),
        ))
    }

    pub fn usage(&self) -> Option<Usage> {
        self.usage
    }
}

//! OpenAI-format providers (OpenAI, OpenRouter, Groq, Mistral, DeepSeek, xAI, Together,
//! Fireworks): requests and answers pass through, but for the few changes below.
//!
//! | quirk | handling |
//! |---|---|
//! | usage is only streamed on request | `stream_options.include_usage = true` is always set |
//! | providers add their own fields | passed through untouched, in both directions |
//! | images and files | `image_url` and `file` parts (`file_data` or `file_id`) pass as they are: a provider that takes no files says so itself |
//! | `reasoning_effort` | passed for models that take an effort; OpenRouter's spelling is `reasoning: {effort}`; dropped for a model that does not reason or takes no control |
//! | OpenAI's reasoning models refuse `temperature` / `top_p` and `max_tokens` | the first two dropped (for any model whose facts say it takes no temperature); `max_tokens` sent as `max_completion_tokens` |
//! | thinking text comes as `reasoning` (OpenRouter, Groq) or `reasoning_content` (DeepSeek) | the `reasoning` key of a delta or message is renamed `reasoning_content`; `reasoning_details` pass as they are |
//! | thinking sent back | OpenRouter takes `reasoning_details` (not `reasoning_content`); DeepSeek needs `reasoning_content` back on the turns of a tool loop, and ignores it elsewhere; others get neither |
//! | cost | the usage chunk (and a whole answer's usage) gains `cost` (USD, estimated) unless the provider sent one |
//! | DeepSeek counts cache reads as `prompt_cache_hit_tokens` | copied to `prompt_tokens_details.cached_tokens` where that is missing |

use std::borrow::Cow;

use serde::Deserialize;

use super::{AnswerContext, Dropped, Progress, ProviderErrorDetails, parse, sampling, with_cost};
use crate::models::ModelFacts;
use crate::sse::{self, SseEvent};
use crate::wire::{ChatRequest, Message, ModelList, Role, StreamOptions, Usage, UsageDetails};
use crate::{ProviderId, ProxyError};

/// The request as sent upstream: the client's, with usage asked for in streams, the
/// reasoning control in the provider's spelling, and what the model refuses left out (and
/// listed in `dropped`).
pub fn chat_request(
    mut request: ChatRequest,
    provider: ProviderId,
    facts: &ModelFacts,
    dropped: &mut Dropped,
) -> ChatRequest {
    if request.is_stream() {
        let options = request.stream_options.get_or_insert_with(|| StreamOptions {
            include_usage: None,
            extra: Default::default(),
        });
        options.include_usage = Some(true);
    }
    if let Some(effort) = request.reasoning_effort {
        if !facts.reasoning.takes_effort() {
            request.reasoning_effort = None;
            dropped.push("reasoning_effort");
        } else if provider == ProviderId::OpenRouter {
            request.reasoning_effort = None;
            request
                .extra
                .entry("reasoning")
                .or_insert_with(|| serde_json::json!({ "effort": effort.as_str() }));
        }
    }
    (request.temperature, request.top_p) = sampling(&request, facts.temperature, dropped);
    if provider == ProviderId::OpenAi
        && facts.reasoning.reasons()
        && let Some(max) = request.max_tokens.take()
    {
        request.max_completion_tokens.get_or_insert(max);
    }
    keep_reasoning_for(provider, &mut request.messages);
    request
}

/// Leaves on each message only the reasoning fields `provider` takes back.
fn keep_reasoning_for(provider: ProviderId, messages: &mut [Message]) {
    match provider {
        ProviderId::OpenRouter => {
            for message in messages.iter_mut() {
                message.reasoning_content = None;
            }
        }
        ProviderId::DeepSeek => {
            // Between two user messages, the assistant turns of a tool loop keep theirs.
            let mut start = 0;
            while start < messages.len() {
                let end = messages
                    .iter()
                    .skip(start + 1)
                    .position(|m| m.role == Role::User)
                    .map_or(messages.len(), |at| start + 1 + at);
                let span = messages.get_mut(start..end).unwrap_or_default();
                let tool_loop = span.iter().any(|m| m.tool_calls.is_some());
                for message in span {
                    message.reasoning_details = None;
                    if !tool_loop {
                        message.reasoning_content = None;
                    }
                }
                start = end;
            }
        }
        _ => {
            for message in messages.iter_mut() {
                message.reasoning_content = None;
                message.reasoning_details = None;
            }
        }
    }
}

/// A 2xx answer, as the client gets it: the provider's JSON with thinking under
/// `reasoning_content` and the estimated cost in its usage.
pub fn chat_response(context: &AnswerContext, body: &[u8]) -> Result<String, ProxyError> {
    parse::<serde::de::IgnoredAny>(context.provider, body)?;
    let text = String::from_utf8_lossy(body);
    let mut usage = None;
    Ok(rewrite(&text, context.provider, &context.model, &mut usage).into_owned())
}

/// `data` with a `reasoning` key renamed `reasoning_content` (unless it has one already)
/// and, when it carries usage, that usage's `cost` added; the usage is put in `usage`.
/// Byte edits rather than a parse and a rewrite, so everything else stays as it came.
fn rewrite<'a>(
    data: &'a str,
    provider: ProviderId,
    model: &str,
    usage: &mut Option<Usage>,
) -> Cow<'a, str> {
    let mut text = Cow::Borrowed(data);
    if data.contains("\"reasoning\":") && !data.contains("\"reasoning_content\":") {
        text = Cow::Owned(rename_keys(
            data,
            "\"reasoning\":",
            "\"reasoning_content\":",
        ));
    }
    if text.contains("\"usage\"") {
        /// OpenAI's usage; read again for DeepSeek's own name for cache reads (a second
        /// pass over the one chunk with usage costs less than serde's flattening).
        #[derive(Deserialize)]
        struct WithUsage<T> {
            usage: Option<T>,
        }
        #[derive(Deserialize)]
        struct CacheHits {
            #[serde(default)]
            prompt_cache_hit_tokens: Option<u64>,
        }
        let read = crate::json::read::<WithUsage<Usage>>(text.as_bytes());
        if let Ok(WithUsage {
            usage: Some(mut sent),
        }) = read
        {
            let hits = crate::json::read::<WithUsage<CacheHits>>(text.as_bytes())
                .ok()
                .and_then(|found| found.usage?.prompt_cache_hit_tokens);
            let mut fields = Vec::new();
            if let Some(hits) = hits.filter(|&h| h > 0)
                && sent.prompt_tokens_details.is_none()
            {
                sent.prompt_tokens_details = Some(UsageDetails {
                    cached_tokens: Some(hits),
                    ..UsageDetails::default()
                });
                fields.push(format!(
                    "\"prompt_tokens_details\":{{\"cached_tokens\":{hits}}}"
                ));
            }
            let priced = with_cost(provider, model, sent);
            if sent.cost.is_none()
                && let Some(cost) = priced.cost.and_then(|c| serde_json::to_string(&c).ok())
            {
                fields.push(format!("\"cost\":{cost}"));
            }
            if let Some(with) = insert_fields(&text, &fields.join(",")) {
                text = Cow::Owned(with);
            }
            *usage = Some(priced);
        }
    }
    text
}

/// Where `key` (with its quotes and colon) starts as a key of `text`, not inside a string:
/// within a JSON string every quote is escaped.
fn key_positions<'a>(text: &'a str, key: &'a str) -> impl Iterator<Item = usize> + 'a {
    text.match_indices(key)
        .map(|(at, _)| at)
        .filter(|&at| at == 0 || text.as_bytes().get(at - 1) != Some(&b'\\'))
}

fn rename_keys(text: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut last = 0;
    for at in key_positions(text, from) {
        out.push_str(text.get(last..at).unwrap_or_default());
        out.push_str(to);
        last = at + from.len();
    }
    out.push_str(text.get(last..).unwrap_or_default());
    out
}

/// `text` with `fields` (JSON members, comma-separated) first in its `usage` object; `None`
/// if there is none, or nothing to add.
fn insert_fields(text: &str, fields: &str) -> Option<String> {
    if fields.is_empty() {
        return None;
    }
    let key = "\"usage\":";
    let at = key_positions(text, key).next()? + key.len();
    let rest = text.get(at..)?;
    let open = at + (rest.len() - rest.trim_start().len());
    if text.as_bytes().get(open) != Some(&b'{') {
        return None;
    }
    let inside = text.get(open + 1..)?.trim_start();
    let separator = if inside.starts_with('}') { "" } else { "," };
    let (head, tail) = text.split_at(open + 1);
    Some(format!("{head}{fields}{separator}{tail}"))
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
    let Envelope { error } = crate::json::read(body).ok()?;
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
        // Only the usage chunk is parsed; other events are forwarded as they came, but for
        // the name of their thinking text.
        let mut usage = None;
        let data = rewrite(data, self.context.provider, &self.context.model, &mut usage);
        if usage.is_some() {
            self.usage = usage;
        }
        sse::write_data(out, &data);
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

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn only_the_reasoning_key_is_renamed_not_text_that_looks_like_it() {
        let data =
            r#"{"choices":[{"delta":{"content":"say \"reasoning\": yes","reasoning":"x"}}]}"#;
        let mut usage = None;
        assert_eq!(
            rewrite(data, ProviderId::OpenAi, "m", &mut usage),
            r#"{"choices":[{"delta":{"content":"say \"reasoning\": yes","reasoning_content":"x"}}]}"#
        );
        // A chunk that has both keeps both, rather than name two fields alike.
        let both = r#"{"choices":[{"delta":{"reasoning":"x","reasoning_content":"x"}}]}"#;
        assert_eq!(rewrite(both, ProviderId::OpenAi, "m", &mut usage), both);
        assert_eq!(usage, None);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_usage_chunk_is_priced_at_the_hosts_own_rate() {
        let data =
            r#"{"usage":{"prompt_tokens":1000000,"completion_tokens":0,"total_tokens":1000000}}"#;
        let cost_on = |provider| {
            let mut usage = None;
            rewrite(data, provider, "kimi-k2-instruct", &mut usage);
            usage.and_then(|u| u.cost)
        };
        assert_eq!(cost_on(ProviderId::Fireworks), Some(0.60));
        assert_eq!(cost_on(ProviderId::Groq), Some(1.0));
        // Not on OpenAI's list: no price borrowed from another host.
        assert_eq!(cost_on(ProviderId::OpenAi), None);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_cost_goes_first_in_the_usage_object_unless_one_is_there() {
        let mut usage = None;
        let data = r#"{"choices":[],"usage": {"prompt_tokens":1000000,"completion_tokens":0,"total_tokens":1000000}}"#;
        assert_eq!(
            rewrite(data, ProviderId::OpenAi, "gpt-4o-mini", &mut usage),
            r#"{"choices":[],"usage": {"cost":0.15,"prompt_tokens":1000000,"completion_tokens":0,"total_tokens":1000000}}"#
        );
        assert_eq!(usage.and_then(|u| u.cost), Some(0.15));
        let priced =
            r#"{"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2,"cost":0.5}}"#;
        assert_eq!(
            rewrite(priced, ProviderId::OpenAi, "gpt-4o-mini", &mut usage),
            priced
        );
        assert_eq!(usage.and_then(|u| u.cost), Some(0.5));
        // Unknown model: no estimate, nothing added.
        let unknown = r#"{"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}"#;
        assert_eq!(
            rewrite(unknown, ProviderId::OpenAi, "mystery", &mut usage),
            unknown
        );
        assert_eq!(
            insert_fields(r#"{"usage":{}}"#, r#""cost":1.5"#).as_deref(),
            Some(r#"{"usage":{"cost":1.5}}"#)
        );
        assert_eq!(insert_fields(r#"{"usage":null}"#, r#""cost":1.5"#), None);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn deepseeks_cache_hits_become_cached_tokens_and_are_priced_so() {
        let mut usage = None;
        let data = r#"{"usage":{"prompt_tokens":1000000,"completion_tokens":0,"total_tokens":1000000,"prompt_cache_hit_tokens":1000000,"prompt_cache_miss_tokens":0}}"#;
        let out = rewrite(data, ProviderId::DeepSeek, "deepseek-chat", &mut usage);
        let price = crate::pricing::price_of("deepseek-chat").map(|p| p.cached_input);
        let expected = format!(
            r#"{{"usage":{{"prompt_tokens_details":{{"cached_tokens":1000000}},"cost":{},"prompt_tokens":1000000,"completion_tokens":0,"total_tokens":1000000,"prompt_cache_hit_tokens":1000000,"prompt_cache_miss_tokens":0}}}}"#,
            price.unwrap_or_default()
        );
        assert_eq!(out, expected);
        assert_eq!(usage.map(|u| u.cached_tokens()), Some(1_000_000));
        // Where OpenAI's field is there, it is left as it came.
        let both = r#"{"usage":{"prompt_tokens":10,"completion_tokens":0,"total_tokens":10,"prompt_tokens_details":{"cached_tokens":4},"prompt_cache_hit_tokens":4}}"#;
        let out = rewrite(both, ProviderId::OpenAi, "mystery", &mut usage);
        assert_eq!(out, both);
    }
}

//! The daily token quota as pure bookkeeping: reserve an estimate before a call, settle to
//! the provider's real usage after it. The caller (one Durable Object per user) applies
//! these steps one at a time, which is what makes them atomic.
//!
//! A request is admitted while the day's used plus reserved tokens are below the quota, so
//! requests in flight together can pass the quota by at most one request's reservation.

use serde::{Deserialize, Serialize};

use crate::wire::{ChatRequest, Content, ContentPart, FileRef, Usage};
use crate::{ProxyError, media};

const DAY_MS: u64 = 86_400_000;

/// Tokens reserved for the answer when the request sets no limit.
pub const DEFAULT_OUTPUT_RESERVATION: u64 = 4096;

/// One user's token use on one UTC day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaState {
    /// Days since the Unix epoch (UTC).
    pub day: u64,
    /// Tokens settled today.
    pub used: u64,
    /// Tokens reserved by calls still in flight today.
    pub reserved: u64,
}

/// What a call holds until it settles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reservation {
    pub day: u64,
    pub tokens: u64,
}

/// Seconds from `now_ms` to the next UTC midnight (at least 1).
pub fn secs_until_next_day(now_ms: u64) -> u64 {
    let next = (now_ms / DAY_MS + 1) * DAY_MS;
    (next - now_ms).div_ceil(1000).max(1)
}

impl QuotaState {
    fn roll(&mut self, now_ms: u64) {
        let today = now_ms / DAY_MS;
        if today != self.day {
            *self = Self {
                day: today,
                used: 0,
                reserved: 0,
            };
        }
    }

    /// Reserves `tokens` if the day has room left, else refuses until midnight UTC.
    pub fn reserve(
        &mut self,
        now_ms: u64,
        tokens: u64,
        quota: u64,
    ) -> Result<Reservation, ProxyError> {
        self.roll(now_ms);
        if self.used.saturating_add(self.reserved) >= quota {
            return Err(ProxyError::QuotaExceeded {
                retry_after_secs: secs_until_next_day(now_ms),
            });
        }
        self.reserved = self.reserved.saturating_add(tokens);
        Ok(Reservation {
            day: self.day,
            tokens,
        })
    }

    /// Replaces a reservation by what the call really used (zero for a call that failed
    /// before the provider counted anything). A call that crossed midnight counts today.
    pub fn settle(&mut self, now_ms: u64, reservation: Reservation, used: u64) {
        self.roll(now_ms);
        if reservation.day == self.day {
            self.reserved = self.reserved.saturating_sub(reservation.tokens);
        }
        self.used = self.used.saturating_add(used);
    }

    /// Tokens left today for `X-RateLimit`-style reporting.
    pub fn remaining(&self, quota: u64) -> u64 {
        quota.saturating_sub(self.used.saturating_add(self.reserved))
    }
}

/// Tokens reserved per image: a flat allowance (a large image costs about this much at
/// OpenAI's and Anthropic's rates; a small one less).
pub const IMAGE_TOKENS: u64 = 1_000;

/// The bytes of a PDF taken as one page, to guess its pages from its size (the request does
/// not say). A text PDF with its fonts runs to tens of kilobytes a page, a scan to hundreds:
/// this errs towards more pages for text, fewer for scans.
pub const PDF_BYTES_PER_PAGE: u64 = 50 * 1024;

/// Tokens reserved per PDF page. Anthropic documents 1,500 to 3,000 tokens of text a page,
/// and the providers that read PDFs also read each page as an image (about 1,500 tokens on
/// Claude, 765 on OpenAI, 258 on Gemini): the text's low end plus Claude's page image.
pub const PDF_PAGE_TOKENS: u64 = 3_000;

/// Tokens reserved for a file part: its pages guessed from its decoded size (at least one,
/// at most [`media::MAX_PDF_PAGES`]) at [`PDF_PAGE_TOKENS`] each, plus its name. Base64 is
/// not counted as text: a 1 MB PDF is about 21 pages (63,000 tokens), not 1.4 million
/// characters (350,000).
pub fn file_tokens(file: &FileRef) -> u64 {
    let data = file.file_data.as_deref().unwrap_or("");
    // The data of a `data:` URL follows its first comma; base64 holds 3 bytes in 4 characters.
    let base64 = data.split_once(',').map_or(data, |(_, b)| b);
    let bytes = (base64.len() as u64).saturating_mul(3) / 4;
    let pages = bytes
        .div_ceil(PDF_BYTES_PER_PAGE)
        .clamp(1, u64::from(media::MAX_PDF_PAGES));
    let name = file.filename.as_deref().map_or(0, char_count).div_ceil(4);
    pages * PDF_PAGE_TOKENS + name
}

/// A cheap upper-bound guess of a chat call's tokens: [`estimate_input_tokens`] plus the
/// answer's limit.
pub fn estimate_tokens(request: &ChatRequest) -> u64 {
    let output = request
        .max_output_tokens()
        .map_or(DEFAULT_OUTPUT_RESERVATION, u64::from);
    estimate_input_tokens(request).saturating_add(output)
}

/// A cheap guess of what a chat call sends, in tokens: about four characters a token for
/// everything the provider reads — message text, tool calls and results, the tool
/// definitions, content parts Ferry does not read (audio: their JSON, base64 included) and
/// extension fields — plus [`IMAGE_TOKENS`] per image and [`file_tokens`] per file.
pub fn estimate_input_tokens(request: &ChatRequest) -> u64 {
    let mut chars = 0u64;
    let mut images = 0u64;
    let mut files = 0u64;
    for message in &request.messages {
        match &message.content {
            Some(Content::Text(text)) => chars += char_count(text),
            Some(Content::Parts(parts)) => {
                for part in parts {
                    match part {
                        ContentPart::Text { text } => chars += char_count(text),
                        ContentPart::ImageUrl { .. } => images += 1,
                        ContentPart::File { file } => files += file_tokens(file),
                        ContentPart::Other(value) => chars += json_chars(value),
                    }
                }
            }
            None => {}
        }
        for call in message.tool_calls.iter().flatten() {
            chars += char_count(&call.function.name) + char_count(&call.function.arguments);
        }
        chars += message.name.as_deref().map_or(0, char_count);
        if !message.extra.is_empty() {
            chars += json_chars(&message.extra);
        }
    }
    for tool in request.tools.iter().flatten() {
        chars += json_chars(tool);
    }
    chars
        .div_ceil(4)
        .saturating_add(images * IMAGE_TOKENS)
        .saturating_add(files)
}

fn char_count(text: &str) -> u64 {
    text.chars().count() as u64
}

/// The length of a value's JSON text (0 if it cannot be written).
fn json_chars<T: Serialize + ?Sized>(value: &T) -> u64 {
    serde_json::to_string(value).map_or(0, |json| char_count(&json))
}

/// What a streamed call used, for its quota settlement and its usage row.
///
/// A stream that ended properly (`complete`) with the provider's count uses that count.
/// Otherwise — the client left, the upstream broke or timed out, or no count came (most
/// providers send it only in the last chunk) — the call still cost the operator: it counts
/// at least the input estimate and the output streamed so far (four characters a token),
/// or the provider's figures where they are larger.
pub fn stream_usage(
    reported: Option<Usage>,
    complete: bool,
    input_estimate: u64,
    output_chars: u64,
) -> Usage {
    match reported {
        Some(usage) if complete => usage,
        reported => {
            let reported = reported.unwrap_or_default();
            let prompt = if reported.prompt_tokens > 0 {
                reported.prompt_tokens
            } else {
                input_estimate
            };
            let completion = reported.completion_tokens.max(output_chars.div_ceil(4));
            Usage::new(prompt, completion, reported.cached_tokens().min(prompt))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    const NOON: u64 = 20_000 * DAY_MS + DAY_MS / 2;

    #[wasm_bindgen_test(unsupported = test)]
    fn reserve_then_settle_to_real_usage() {
        let mut state = QuotaState::default();
        let r = state.reserve(NOON, 500, 1_000).unwrap();
        assert_eq!((state.used, state.reserved), (0, 500));
        state.settle(NOON + 10, r, 120);
        assert_eq!((state.used, state.reserved), (120, 0));
        assert_eq!(state.remaining(1_000), 880);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn concurrent_calls_pass_the_quota_by_at_most_one_reservation() {
        let mut state = QuotaState::default();
        let quota = 10_000;
        let mut admitted = 0;
        for _ in 0..100 {
            if state.reserve(NOON, 4_096, quota).is_ok() {
                admitted += 1;
            }
        }
        // 0, 4096 and 8192 reserved are below 10 000; 12 288 is not.
        assert_eq!(admitted, 3);
        assert!(state.reserved < quota + 4_096);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn exhausted_quota_waits_for_utc_midnight() {
        let mut state = QuotaState::default();
        let r = state.reserve(NOON, 10, 100).unwrap();
        state.settle(NOON, r, 100);
        let err = state.reserve(NOON, 10, 100).unwrap_err();
        assert_eq!(err.code(), "quota_exceeded");
        assert_eq!(err.retry_after_secs(), Some(43_200));
        // A new day starts afresh.
        assert!(state.reserve(NOON + DAY_MS, 10, 100).is_ok());
        assert_eq!(state.used, 0);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_call_across_midnight_counts_on_the_new_day() {
        let mut state = QuotaState::default();
        let r = state.reserve(NOON, 50, 1_000).unwrap();
        let tomorrow = NOON + DAY_MS;
        let r2 = state.reserve(tomorrow, 30, 1_000).unwrap();
        state.settle(tomorrow, r, 40);
        // Yesterday's reservation does not free today's.
        assert_eq!((state.used, state.reserved), (40, 30));
        state.settle(tomorrow, r2, 0);
        assert_eq!(state.reserved, 0);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn estimate_counts_text_images_and_the_answer_limit() {
        let request: ChatRequest = serde_json::from_value(serde_json::json!({
            "model": "m", "max_tokens": 100, "messages": [
                {"role": "user", "content": [
                    {"type": "text", "text": "12345678"},
                    {"type": "image_url", "image_url": {"url": "https://x/y.png"}}
                ]}
            ]
        }))
        .unwrap();
        assert_eq!(estimate_tokens(&request), 2 + 1_000 + 100);
    }

    fn chat(value: serde_json::Value) -> ChatRequest {
        serde_json::from_value(value).unwrap()
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_estimate_counts_tool_definitions_files_and_tool_calls() {
        let plain = chat(serde_json::json!({
            "model": "m", "max_tokens": 10,
            "messages": [{"role": "user", "content": "hi"}]
        }));
        let description = "d".repeat(40_000);
        let with_tools = chat(serde_json::json!({
            "model": "m", "max_tokens": 10,
            "messages": [{"role": "user", "content": "hi"}],
            "tools": [{"type": "function", "function": {
                "name": "big", "description": description,
                "parameters": {"type": "object", "properties": {}}
            }}]
        }));
        assert_eq!(estimate_input_tokens(&plain), 1);
        let tools = estimate_input_tokens(&with_tools);
        assert!((10_000..10_100).contains(&tools), "{tools}");
        assert_eq!(estimate_tokens(&with_tools), tools + 10);

        let file = chat(serde_json::json!({
            "model": "m",
            "messages": [{"role": "user", "content": [
                {"type": "text", "text": "read this"},
                {"type": "file", "file": {"filename": "a.pdf", "file_data": "A".repeat(8_000)}},
                {"type": "input_audio", "input_audio": {"data": "B".repeat(4_000), "format": "wav"}}
            ]}]
        }));
        // One page for the small file (3,000 and its name), the audio's JSON at 4 characters.
        let tokens = estimate_input_tokens(&file);
        assert!((4_000..4_100).contains(&tokens), "{tokens}");

        let calls = chat(serde_json::json!({
            "model": "m",
            "messages": [
                {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function",
                    "function": {"name": "get", "arguments": "x".repeat(400)}}]},
                {"role": "tool", "tool_call_id": "c1", "content": "y".repeat(800)}
            ]
        }));
        let tokens = estimate_input_tokens(&calls);
        assert!((300..310).contains(&tokens), "{tokens}");
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_pdf_is_counted_by_its_pages_not_its_base64() {
        let pdf = |bytes: usize, name: Option<&str>| FileRef {
            filename: name.map(str::to_owned),
            file_data: Some(format!(
                "data:application/pdf;base64,{}",
                "A".repeat(bytes.div_ceil(3) * 4)
            )),
            file_id: None,
            extra: Default::default(),
        };
        // 1 MB: 21 pages, not 350,000 tokens of base64.
        assert_eq!(file_tokens(&pdf(1_048_576, None)), 21 * PDF_PAGE_TOKENS);
        assert_eq!(file_tokens(&pdf(1_000, Some("a.pdf"))), PDF_PAGE_TOKENS + 2);
        // Never more pages than a PDF may have, never fewer than one.
        assert_eq!(
            file_tokens(&pdf(40 * 1_048_576, None)),
            u64::from(media::MAX_PDF_PAGES) * PDF_PAGE_TOKENS
        );
        let uploaded = FileRef {
            filename: None,
            file_data: None,
            file_id: Some("file-abc".into()),
            extra: Default::default(),
        };
        assert_eq!(file_tokens(&uploaded), PDF_PAGE_TOKENS);
        let request = chat(serde_json::json!({
            "model": "m", "max_tokens": 10,
            "messages": [{"role": "user", "content": [
                {"type": "text", "text": "read"},
                {"type": "file", "file": {"file_data": pdf(1_048_576, None).file_data}}
            ]}]
        }));
        assert_eq!(estimate_tokens(&request), 1 + 21 * PDF_PAGE_TOKENS + 10);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_stream_that_ended_properly_settles_the_providers_count() {
        let reported = Usage::new(11, 7, 3);
        assert_eq!(stream_usage(Some(reported), true, 500, 4_000), reported);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn an_unfinished_stream_settles_at_least_the_estimate() {
        // The client left before the usage chunk: input estimate + streamed characters.
        let left = stream_usage(None, false, 120, 41);
        assert_eq!(
            (
                left.prompt_tokens,
                left.completion_tokens,
                left.total_tokens
            ),
            (120, 11, 131)
        );
        // A stream that finished without a count is estimated too.
        assert_eq!(stream_usage(None, true, 120, 41).total_tokens, 131);
        // Anthropic reports input at the start: its figure wins over the estimate, and the
        // output is at least what was streamed.
        let partial = stream_usage(Some(Usage::new(90, 1, 10)), false, 120, 400);
        assert_eq!(
            (
                partial.prompt_tokens,
                partial.completion_tokens,
                partial.cached_tokens()
            ),
            (90, 100, 10)
        );
        let larger = stream_usage(Some(Usage::new(90, 300, 0)), false, 120, 400);
        assert_eq!(larger.completion_tokens, 300);
    }
}

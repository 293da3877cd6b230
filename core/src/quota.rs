//! The daily token quota as pure bookkeeping: reserve an estimate before a call, settle to
//! the provider's real usage after it. The caller (one Durable Object per user) applies
//! these steps one at a time, which is what makes them atomic.
//!
//! A request is admitted while the day's used plus reserved tokens are below the quota, so
//! requests in flight together can pass the quota by at most one request's reservation.

use serde::{Deserialize, Serialize};

use crate::ProxyError;
use crate::wire::ChatRequest;

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

/// A cheap upper-bound guess of a chat call's tokens: about four characters a token for the
/// text sent, a flat allowance per image, plus the answer's limit.
pub fn estimate_tokens(request: &ChatRequest) -> u64 {
    const IMAGE_TOKENS: u64 = 1_000;
    let mut chars = 0u64;
    let mut images = 0u64;
    for message in &request.messages {
        chars += message.text_content().chars().count() as u64;
        if let Some(crate::wire::Content::Parts(parts)) = &message.content {
            images += parts
                .iter()
                .filter(|p| matches!(p, crate::wire::ContentPart::ImageUrl { .. }))
                .count() as u64;
        }
        for call in message.tool_calls.iter().flatten() {
            chars += call.function.arguments.chars().count() as u64;
        }
    }
    let output = request
        .max_output_tokens()
        .map_or(DEFAULT_OUTPUT_RESERVATION, u64::from);
    chars.div_ceil(4) + images * IMAGE_TOKENS + output
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
}

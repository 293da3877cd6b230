//! Timeouts and reconnection as pure functions of time, so the driver only asks "how long
//! may I still wait?" and "how long before the next try?".
//!
//! | what | rule |
//! |---|---|
//! | `initialize`, lists, `prompts/get`, `resources/read` | 20 s for the whole answer |
//! | `tools/call` | 60 s without news (a progress notification restarts it), 10 min in all |
//! | a POST's SSE stream cut before its answer | resumed by GET + `Last-Event-ID`, at most 3 times |
//! | the standalone GET stream | the server's `retry`, else 1 s, doubling to 30 s; given up after 5 failures in a row |

/// How long a request other than a tool call may take.
pub const REQUEST_TIMEOUT_MS: u64 = 20_000;
/// How long a tool call may go without any news from the server.
pub const CALL_IDLE_TIMEOUT_MS: u64 = 60_000;
/// How long a tool call may take in all, news or not.
pub const CALL_TOTAL_TIMEOUT_MS: u64 = 600_000;
/// How many times a cut answer stream is resumed before giving up.
pub const MAX_RESUMES: u32 = 3;
/// The first reconnection delay when the server gave none.
pub const RECONNECT_FIRST_MS: u64 = 1_000;
/// The longest reconnection delay.
pub const RECONNECT_MAX_MS: u64 = 30_000;
/// Failures in a row after which the GET stream is given up.
pub const RECONNECT_MAX_FAILURES: u32 = 5;

/// What kind of request a deadline is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// `initialize`, the lists, prompts and resources.
    Plain,
    /// `tools/call`: progress keeps it alive.
    ToolCall,
}

/// A request's deadline, moved by the news that arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    kind: RequestKind,
    started_ms: u64,
    last_news_ms: u64,
}

impl Deadline {
    pub fn new(kind: RequestKind, now_ms: u64) -> Self {
        Self {
            kind,
            started_ms: now_ms,
            last_news_ms: now_ms,
        }
    }

    /// Progress arrived: a tool call's idle clock starts again.
    pub fn news(&mut self, now_ms: u64) {
        self.last_news_ms = now_ms;
    }

    /// When the request times out, in the clock's milliseconds.
    pub fn at_ms(&self) -> u64 {
        match self.kind {
            RequestKind::Plain => self.started_ms.saturating_add(REQUEST_TIMEOUT_MS),
            RequestKind::ToolCall => self
                .last_news_ms
                .saturating_add(CALL_IDLE_TIMEOUT_MS)
                .min(self.started_ms.saturating_add(CALL_TOTAL_TIMEOUT_MS)),
        }
    }

    /// How long may still be waited, 0 once passed.
    pub fn remaining_ms(&self, now_ms: u64) -> u64 {
        self.at_ms().saturating_sub(now_ms)
    }
}

/// The standalone GET stream's reconnection: delays and when to give up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reconnect {
    failures: u32,
}

impl Reconnect {
    /// The stream delivered something: the next failure counts from one again.
    pub fn succeeded(&mut self) {
        self.failures = 0;
    }

    /// The stream failed or ended; the delay before the next try, `None` to give up.
    /// `server_retry_ms` is the stream's last `retry:` field.
    pub fn failed(&mut self, server_retry_ms: Option<u64>) -> Option<u64> {
        self.failures += 1;
        if self.failures > RECONNECT_MAX_FAILURES {
            return None;
        }
        let first = server_retry_ms.unwrap_or(RECONNECT_FIRST_MS);
        let doubled = first.saturating_mul(1 << (self.failures - 1).min(16));
        Some(doubled.min(RECONNECT_MAX_MS.max(first)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn plain_requests_have_twenty_seconds() {
        let deadline = Deadline::new(RequestKind::Plain, 1_000);
        assert_eq!(deadline.at_ms(), 21_000);
        assert_eq!(deadline.remaining_ms(20_000), 1_000);
        assert_eq!(deadline.remaining_ms(30_000), 0);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn progress_keeps_a_tool_call_alive_up_to_ten_minutes() {
        let mut deadline = Deadline::new(RequestKind::ToolCall, 0);
        assert_eq!(deadline.at_ms(), 60_000);
        deadline.news(50_000);
        assert_eq!(deadline.at_ms(), 110_000);
        deadline.news(590_000);
        assert_eq!(deadline.at_ms(), 600_000);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn reconnection_doubles_to_thirty_seconds_then_gives_up() {
        let mut reconnect = Reconnect::default();
        let delays: Vec<_> = (0..6).map(|_| reconnect.failed(None)).collect();
        assert_eq!(
            delays,
            [
                Some(1_000),
                Some(2_000),
                Some(4_000),
                Some(8_000),
                Some(16_000),
                None
            ]
        );
        let mut reconnect = Reconnect::default();
        assert_eq!(reconnect.failed(Some(20_000)), Some(20_000));
        assert_eq!(reconnect.failed(Some(20_000)), Some(30_000));
        reconnect.succeeded();
        assert_eq!(reconnect.failed(Some(500)), Some(500));
    }
}

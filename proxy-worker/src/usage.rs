//! Usage events: one `UsageRecord` per proxied model call, sent through a Cloudflare Queue
//! after the response (`ctx.wait_until`), and a queue consumer in this same worker that
//! batch-inserts them into Supabase's `usage_events` with the service role.
//!
//! Rows of calls that end close together are queued together: the first row an isolate
//! holds waits [`BATCH_WINDOW_MS`] (inside its request's `wait_until`, which keeps the
//! isolate alive) for the rows of other calls, and one `sendBatch` takes them all. At
//! concurrency 32 that is one queue call where there were 32.
//!
//! Losing none: a send that fails is retried a few times with backoff. A batch that
//! Supabase refuses for its data is inserted row by row, so one bad row (a user deleted
//! meanwhile) is retried and in the end dead-lettered alone; a batch that fails otherwise
//! (an outage) is retried whole (Queues' own retries, then the dead-letter queue).
//! `request_id` is unique and inserts ignore duplicates, so a retried row never doubles.
//! The user's request never waits on any of this.

use std::cell::RefCell;
use std::time::Duration;

use ferry_core::usage::{CallOutcome, UsageRecord, UsageRoute};
use ferry_core::wire::Usage;
use ferry_core::{Config, ProviderId, ProxyError, json};
use serde::Serialize;
use worker::js_sys::{self, JSON, Promise};
use worker::wasm_bindgen::{self, JsCast, JsValue, prelude::wasm_bindgen};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{Context, Delay, Env, MessageBatch, MessageExt, RawMessage, event};

use crate::respond::now_ms;
use crate::{config, supabase};

/// The queue binding in `wrangler.toml`.
pub const QUEUE: &str = "USAGE";

/// What is known of a call before its outcome: enough to write its row later.
#[derive(Debug, Clone)]
pub struct Draft {
    pub request_id: String,
    pub user_id: String,
    pub started_ms: u64,
    pub provider: ProviderId,
    pub model: String,
}

impl Draft {
    pub fn finish(&self, usage: Option<Usage>, error: Option<&ProxyError>) -> UsageRecord {
        UsageRecord::new(&CallOutcome {
            request_id: &self.request_id,
            user_id: &self.user_id,
            started_ms: self.started_ms,
            finished_ms: now_ms(),
            route: UsageRoute::Proxy,
            provider: self.provider,
            model: &self.model,
            usage,
            error_code: error.map(ProxyError::code),
        })
    }
}

/// Pauses between attempts at queueing a usage row: four attempts in all, about five
/// seconds, well within what `ctx.wait_until` grants after the response.
pub const SEND_BACKOFF_MS: [u64; 3] = [250, 1_000, 4_000];

/// How long the first row an isolate holds waits for the rows of other calls.
pub const BATCH_WINDOW_MS: u64 = 50;
/// The most rows one `sendBatch` carries (Queues allow 100 messages and 256 KB; a row is
/// well under 1 KB).
pub const MAX_BATCH: usize = 100;

/// Rows waiting to be queued together. `push` says whether the row is the first, whose
/// request then schedules the send; `take` empties it in batches of at most [`MAX_BATCH`].
#[derive(Debug)]
pub struct Waiting<T> {
    rows: Vec<T>,
}

impl<T> Waiting<T> {
    pub const fn new() -> Self {
        Self { rows: Vec::new() }
    }

    pub fn push(&mut self, row: T) -> bool {
        self.rows.push(row);
        self.rows.len() == 1
    }

    pub fn take(&mut self) -> Vec<Vec<T>> {
        let mut rows = std::mem::take(&mut self.rows).into_iter().peekable();
        let mut batches = Vec::new();
        while rows.peek().is_some() {
            batches.push(rows.by_ref().take(MAX_BATCH).collect());
        }
        batches
    }
}

thread_local! {
    /// This isolate's rows not yet queued.
    static WAITING: RefCell<Waiting<UsageRecord>> = const { RefCell::new(Waiting::new()) };
}

/// Queues the record once the response is out, with the rows of the calls that end within
/// [`BATCH_WINDOW_MS`] of it, retrying a failed send with backoff; only when every attempt
/// failed are the rows lost, and the log says which.
pub fn send_later(ctx: &Context, env: &Env, record: UsageRecord) {
    if WAITING.with_borrow_mut(|waiting| waiting.push(record)) {
        ctx.wait_until(send_waiting(env.clone()));
    }
}

/// After the window, queues every row waiting.
async fn send_waiting(env: Env) {
    Delay::from(Duration::from_millis(BATCH_WINDOW_MS)).await;
    for batch in WAITING.with_borrow_mut(Waiting::take) {
        send(&env, &batch).await;
    }
}

#[wasm_bindgen]
extern "C" {
    /// A queue producer binding. worker's `Queue` writes each message and its options
    /// through serde-wasm-bindgen; the batch is built here as one JSON text instead.
    #[wasm_bindgen(extends = js_sys::Object)]
    type QueueBinding;

    #[wasm_bindgen(method, catch, js_name = sendBatch)]
    fn send_batch(this: &QueueBinding, messages: &JsValue) -> Result<Promise, JsValue>;
}

/// One message of a `sendBatch`: the row as JSON, which Queues keep as JSON (readable in
/// the dashboard).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Outgoing<'a> {
    body: &'a UsageRecord,
    content_type: &'static str,
}

/// The messages of a `sendBatch` of `rows`, as JSON.
fn batch_json(rows: &[UsageRecord]) -> serde_json::Result<String> {
    let messages: Vec<Outgoing> = rows
        .iter()
        .map(|body| Outgoing {
            body,
            content_type: "json",
        })
        .collect();
    serde_json::to_string(&messages)
}

/// One `sendBatch` of `rows` to the queue.
async fn send_once(env: &Env, rows: &[UsageRecord]) -> Result<(), String> {
    let binding = js_sys::Reflect::get(env, &JsValue::from_str(QUEUE))
        .ok()
        .filter(|b| b.is_object())
        .ok_or_else(|| format!("no {QUEUE} binding"))?;
    let queue: QueueBinding = binding.unchecked_into();
    let json = batch_json(rows).map_err(|e| e.to_string())?;
    let messages = JSON::parse(&json).map_err(|_| "unwritable usage rows".to_owned())?;
    let sending = queue.send_batch(&messages).map_err(|e| js_reason(&e))?;
    JsFuture::from(sending).await.map_err(|e| js_reason(&e))?;
    Ok(())
}

/// What a rejection from the runtime says.
fn js_reason(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "the queue refused the batch".to_owned())
}

/// Queues `rows` in one batch, retrying a failed send with backoff.
async fn send(env: &Env, rows: &[UsageRecord]) {
    let sent = with_retries(
        || send_once(env, rows),
        |ms| Delay::from(Duration::from_millis(ms)),
    )
    .await;
    let ids = || {
        let ids: Vec<&str> = rows.iter().map(|r| r.request_id.as_str()).collect();
        ids.join(", ")
    };
    match sent {
        Ok(1) => {}
        Ok(attempts) => worker::console_warn!(
            "ferry: usage events for {} queued at attempt {attempts}",
            ids()
        ),
        Err(reason) => worker::console_error!(
            "ferry: usage events for {} could not be queued after {} attempts ({reason})",
            ids(),
            SEND_BACKOFF_MS.len() + 1
        ),
    }
}

/// Runs `send` until it succeeds, pausing [`SEND_BACKOFF_MS`] between attempts: `Ok` with
/// the attempts it took, or the last error.
async fn with_retries<Send, Sent, Sleep, Slept>(
    mut send: Send,
    mut sleep: Sleep,
) -> Result<usize, String>
where
    Send: FnMut() -> Sent,
    Sent: Future<Output = Result<(), String>>,
    Sleep: FnMut(u64) -> Slept,
    Slept: Future<Output = ()>,
{
    let mut attempt = 1;
    loop {
        let error = match send().await {
            Ok(()) => return Ok(attempt),
            Err(error) => error,
        };
        let Some(&pause) = SEND_BACKOFF_MS.get(attempt - 1) else {
            return Err(error);
        };
        sleep(pause).await;
        attempt += 1;
    }
}

/// A message's row. A JSON message arrives as the object its JSON makes, and a message of
/// an earlier version of the proxy as the object serde-wasm-bindgen made (a missing value
/// left out): either is written back to JSON text and read as one. A text body is read as
/// it is.
fn row_of(message: &RawMessage) -> Option<UsageRecord> {
    let body = message.body();
    let text = match body.as_string() {
        Some(text) => text,
        None => JSON::stringify(&body).ok()?.as_string()?,
    };
    read_row(&text)
}

/// A row from a message's JSON text; `None` when it is not a whole row.
fn read_row(text: &str) -> Option<UsageRecord> {
    json::read_str(text).ok()
}

#[event(queue)]
async fn consume(batch: MessageBatch<JsValue>, env: Env, _ctx: Context) -> worker::Result<()> {
    let mut messages = Vec::new();
    for message in batch.raw_iter() {
        match row_of(&message) {
            Some(row) => messages.push((message, row)),
            None => {
                // No retry can read it: it goes to the dead-letter queue for an operator.
                worker::console_error!(
                    "ferry: unreadable usage message {}; it will be retried",
                    message.id()
                );
                message.retry();
            }
        }
    }
    if messages.is_empty() {
        return Ok(());
    }
    let config = config::load(&env);
    let rows: Vec<&UsageRecord> = messages.iter().map(|(_, row)| row).collect();
    let failure = match insert(&config, &rows).await {
        Ok(()) => {
            messages.iter().for_each(|(message, _)| message.ack());
            return Ok(());
        }
        Err(failure) => failure,
    };
    if !row_by_row(rows.len(), &failure) {
        worker::console_warn!(
            "ferry: {} usage rows not written ({failure}); the batch will be retried",
            rows.len()
        );
        messages.iter().for_each(|(message, _)| message.retry());
        return Ok(());
    }
    // One bad row (a user deleted meanwhile, say) must not hold back everyone else's:
    // each row alone, the ones that go in acknowledged, only the others retried (and in
    // the end dead-lettered).
    worker::console_warn!(
        "ferry: a batch of {} usage rows was refused ({failure}); inserting row by row",
        rows.len()
    );
    for (message, row) in &messages {
        match insert(&config, &[row]).await {
            Ok(()) => message.ack(),
            Err(failure) => {
                worker::console_warn!(
                    "ferry: usage row {} not written ({failure}); it will be retried",
                    row.request_id
                );
                message.retry();
            }
        }
    }
    Ok(())
}

/// Whether a failed batch insert is worth redoing row by row: only when Supabase refused
/// the data (some row is bad) and there is more than one row. An outage or a refusal of
/// the proxy itself would fail every row the same way.
fn row_by_row(rows: usize, failure: &supabase::Failure) -> bool {
    rows > 1 && failure.refused_the_data()
}

/// `POST /rest/v1/usage_events` with the rows, duplicates (by `request_id`) ignored.
async fn insert(config: &Config, rows: &[&UsageRecord]) -> Result<(), supabase::Failure> {
    let body = serde_json::to_string(rows).map_err(|e| supabase::Failure {
        status: None,
        reason: e.to_string(),
    })?;
    supabase::post(
        config,
        "usage_events?on_conflict=request_id",
        &body,
        "resolution=ignore-duplicates,return=minimal",
    )
    .await
    .map(drop)
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use futures_util::FutureExt;

    use super::*;

    /// Runs `with_retries` over sends that fail `failures` times, recording the pauses.
    fn run(failures: usize) -> (Result<usize, String>, Vec<u64>) {
        let calls = RefCell::new(0);
        let pauses = RefCell::new(Vec::new());
        let outcome = with_retries(
            || {
                *calls.borrow_mut() += 1;
                let n = *calls.borrow();
                async move {
                    if n <= failures {
                        Err(format!("send {n} failed"))
                    } else {
                        Ok(())
                    }
                }
            },
            |ms| {
                pauses.borrow_mut().push(ms);
                async {}
            },
        )
        .now_or_never()
        .expect("no real waiting in the test");
        (outcome, pauses.into_inner())
    }

    #[test]
    fn a_first_send_that_works_does_not_wait() {
        assert_eq!(run(0), (Ok(1), vec![]));
    }

    #[test]
    fn failed_sends_are_retried_with_growing_pauses() {
        assert_eq!(run(1), (Ok(2), vec![250]));
        assert_eq!(run(3), (Ok(4), vec![250, 1_000, 4_000]));
    }

    #[test]
    fn retries_are_bounded_and_report_the_last_error() {
        assert_eq!(
            run(10),
            (Err("send 4 failed".to_owned()), vec![250, 1_000, 4_000])
        );
    }

    fn row(request_id: &str) -> UsageRecord {
        UsageRecord::new(&CallOutcome {
            request_id,
            user_id: "user-1",
            started_ms: 1_700_000_000_000,
            finished_ms: 1_700_000_000_250,
            route: UsageRoute::Proxy,
            provider: ProviderId::OpenAi,
            model: "gpt-4o",
            usage: None,
            error_code: None,
        })
    }

    #[test]
    fn a_batch_is_queued_as_json_messages_whose_bodies_read_back_as_the_rows() {
        let rows = [row("req-1"), row("req-2")];
        let json = batch_json(&rows).expect("rows write");
        let messages: Vec<serde_json::Value> = serde_json::from_str(&json).expect("an array");
        assert_eq!(messages.len(), 2);
        for (message, row) in messages.iter().zip(&rows) {
            assert_eq!(message["contentType"], "json");
            let body: UsageRecord =
                serde_json::from_value(message["body"].clone()).expect("the body is a row");
            assert_eq!(&body, row);
        }
    }

    #[test]
    fn a_message_is_read_as_a_whole_row_or_not_at_all() {
        let row = row("req-1");
        let json = serde_json::to_string(&row).expect("a row writes");
        assert_eq!(read_row(&json), Some(row.clone()));
        // As an earlier version queued it: serde-wasm-bindgen left a missing value out
        // instead of writing null, and had no reasoning or cache-write counts yet.
        let mut old: serde_json::Value = serde_json::from_str(&json).expect("an object");
        let fields = old.as_object_mut().expect("an object");
        for field in [
            "cost_usd",
            "error_code",
            "reasoning_tokens",
            "cache_write_tokens",
        ] {
            fields.remove(field);
        }
        let read = read_row(&old.to_string()).expect("an earlier row reads");
        assert_eq!((read.cost_usd, read.error_code.as_deref()), (None, None));
        assert_eq!(read.request_id, "req-1");
        // What no retry can read.
        for hostile in [
            "",
            "not json",
            "null",
            "[]",
            "\"a text\"",
            r#"{"request_id":"req-1"}"#,
            &json.replace("\"input_tokens\":0", "\"input_tokens\":-1"),
            &json.replace("\"provider\":\"openai\"", "\"provider\":\"nobody\""),
            &json[..json.len() - 1],
        ] {
            assert_eq!(read_row(hostile), None, "{hostile}");
        }
    }

    #[test]
    fn the_first_row_waiting_schedules_the_send_and_batches_hold_at_most_100() {
        let mut waiting = Waiting::new();
        assert!(waiting.push(0));
        assert!((1..250).all(|row| !waiting.push(row)));
        let batches = waiting.take();
        let sizes: Vec<usize> = batches.iter().map(Vec::len).collect();
        assert_eq!(sizes, [100, 100, 50]);
        assert_eq!(batches.concat(), (0..250).collect::<Vec<_>>());
        // Taken: the next row is a first again.
        assert!(waiting.take().is_empty());
        assert!(waiting.push(250));
    }

    #[test]
    fn only_a_refused_batch_of_several_rows_goes_row_by_row() {
        let failure = |status| supabase::Failure {
            status,
            reason: String::new(),
        };
        assert!(row_by_row(100, &failure(Some(400))));
        assert!(row_by_row(2, &failure(Some(409))));
        assert!(!row_by_row(1, &failure(Some(400))));
        assert!(!row_by_row(100, &failure(Some(503))));
        assert!(!row_by_row(100, &failure(None)));
        assert!(!row_by_row(100, &failure(Some(401))));
    }
}

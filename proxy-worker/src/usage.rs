//! Usage events: one `UsageRecord` per proxied model call, sent through a Cloudflare Queue
//! after the response (`ctx.wait_until`), and a queue consumer in this same worker that
//! batch-inserts them into Supabase's `usage_events` with the service role.
//!
//! Losing none: a failed insert retries the whole batch (Queues' own retries, then the
//! dead-letter queue); `request_id` is unique and inserts ignore duplicates, so a retried
//! batch never doubles a row. The user's request never waits on any of this.

use ferry_core::usage::{CallOutcome, UsageRecord, UsageRoute};
use ferry_core::wire::Usage;
use ferry_core::{ProviderId, ProxyError};
use worker::{Context, Env, MessageBatch, event};

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

/// Queues the record once the response is out.
pub fn send_later(ctx: &Context, env: &Env, record: UsageRecord) {
    let env = env.clone();
    ctx.wait_until(async move {
        let sent = match env.queue(QUEUE) {
            Ok(queue) => queue.send(&record).await,
            Err(e) => Err(e),
        };
        if sent.is_err() {
            worker::console_error!(
                "ferry: usage event for {} could not be queued",
                record.request_id
            );
        }
    });
}

#[event(queue)]
async fn consume(batch: MessageBatch<UsageRecord>, env: Env, _ctx: Context) -> worker::Result<()> {
    let rows: Vec<UsageRecord> = match batch.messages() {
        Ok(messages) => messages.into_iter().map(|m| m.into_body()).collect(),
        Err(_) => {
            worker::console_error!("ferry: unreadable usage batch, retrying");
            batch.retry_all();
            return Ok(());
        }
    };
    match insert(&env, &rows).await {
        Ok(()) => batch.ack_all(),
        Err(reason) => {
            worker::console_warn!(
                "ferry: {} usage rows not written ({reason}); the batch will be retried",
                rows.len()
            );
            batch.retry_all();
        }
    }
    Ok(())
}

/// `POST /rest/v1/usage_events` with the rows, duplicates (by `request_id`) ignored.
async fn insert(env: &Env, rows: &[UsageRecord]) -> Result<(), String> {
    let body = serde_json::to_string(rows).map_err(|e| e.to_string())?;
    supabase::post(
        &config::load(env),
        "usage_events?on_conflict=request_id",
        &body,
        "resolution=ignore-duplicates,return=minimal",
    )
    .await
    .map(drop)
}

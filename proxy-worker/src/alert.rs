//! The daily cost alert: a cron trigger sums today's estimated cost in Supabase and, once
//! it passes `DAILY_COST_ALERT_USD`, posts one message a day to `COST_ALERT_WEBHOOK_URL`
//! (a JSON body with `text` for Slack and `content` for Discord).

use ferry_core::usage::rfc3339;
use serde::Serialize;
use worker::{Env, ScheduleContext, ScheduledEvent, event};

use crate::limits::client;
use crate::outbound::{Unsent, post_json};
use crate::respond::now_ms;
use crate::{config, supabase};

#[derive(Serialize)]
struct Message<'a> {
    text: &'a str,
    content: &'a str,
}

#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    if let Err(reason) = check(&env).await {
        worker::console_warn!("ferry: cost alert check failed: {reason}");
    }
}

async fn check(env: &Env) -> Result<(), String> {
    let config = config::load(env);
    let (Some(threshold), Some(webhook)) =
        (config.daily_cost_alert_usd, &config.cost_alert_webhook_url)
    else {
        return Ok(());
    };
    let mut answer = supabase::post(
        &config,
        "rpc/usage_cost_today",
        "{}",
        "return=representation",
    )
    .await?;
    let cost: Option<f64> = answer
        .json()
        .await
        .map_err(|_| "unreadable cost".to_owned())?;
    let cost = cost.unwrap_or(0.0);
    if cost < threshold {
        return Ok(());
    }
    let day = &rfc3339(now_ms())[..10];
    // Claimed before posting, released if the post fails: one message a day at most.
    let claim = format!("cost-alert:{day}");
    if !client::claim(env, &claim).await? {
        return Ok(());
    }
    let text = format!(
        "Ferry: estimated provider cost today ({day}, UTC) is ${cost:.2}, over the ${threshold:.2} alert threshold."
    );
    let body = serde_json::to_string(&Message {
        text: &text,
        content: &text,
    })
    .map_err(|e| e.to_string())?;
    let posted = post_webhook(webhook.expose(), &body).await;
    if posted.is_err() {
        client::release(env, &claim).await?;
    }
    posted
}

async fn post_webhook(url: &str, body: &str) -> Result<(), String> {
    let response = post_json(url, &[], body)
        .await
        .map_err(|unsent| match unsent {
            Unsent::BadUrl => "invalid webhook URL".to_owned(),
            Unsent::Unreachable => "webhook unreachable".to_owned(),
        })?;
    match response.status_code() {
        200..=299 => Ok(()),
        status => Err(format!("webhook answered {status}")),
    }
}

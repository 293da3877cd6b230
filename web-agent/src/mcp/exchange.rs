//! One JSON-RPC request and its answer: sent the way that works (direct, else the relay),
//! read as JSON or SSE, resumed with `Last-Event-ID` when its stream drops, with the
//! server's notifications and requests handled on the way.

use std::cell::Cell;

use ferry_core::adapter::UpstreamRequest;
use ferry_mcp::jsonrpc::{self, Incoming, RequestId};
use ferry_mcp::policy::{self, Deadline};
use ferry_mcp::reader::AnswerReader;
use ferry_mcp::session::{self, AnswerKind, Session};
use ferry_mcp::types::ProgressParams;
use serde_json::Value;

use super::{Endpoint, McpFailure, Notice, Progress, Seams, Timer, Way};
use crate::transport::{Answer, Body, Transport, read_all};

/// Why an exchange did not give an answer: the session is gone (initialize again), or a
/// failure to report.
#[derive(Debug)]
pub(super) enum Fault {
    SessionGone,
    Failed(McpFailure),
}

impl From<McpFailure> for Fault {
    fn from(failure: McpFailure) -> Self {
        Self::Failed(failure)
    }
}

/// What a request's progress and notifications go to while it runs.
pub(super) struct Watch<'a> {
    /// The `_meta.progressToken` sent, if any.
    pub token: Option<&'a Value>,
    pub on_progress: &'a mut dyn FnMut(Progress),
    pub deadline: &'a Cell<Deadline>,
    pub notices: &'a mut Vec<Notice>,
}

/// The ways to try, the preferred first; without a relay, direct only.
fn ways(endpoint: &Endpoint<'_>, prefer: Way) -> Vec<Way> {
    match (endpoint.relay, prefer) {
        (None, _) => vec![Way::Direct],
        (Some(_), Way::Direct) => vec![Way::Direct, Way::Relay],
        (Some(_), Way::Relay) => vec![Way::Relay, Way::Direct],
    }
}

fn on_way(request: &UpstreamRequest, endpoint: &Endpoint<'_>, way: Way) -> UpstreamRequest {
    match (way, endpoint.relay) {
        (Way::Relay, Some(relay)) => {
            session::relayed(request, relay.proxy_root, relay.access_token)
        }
        _ => request.clone(),
    }
}

/// The message of a failed answer's body: a JSON-RPC error's, the proxy's
/// `{"error":{"message"}}`, or the text itself (short).
pub(super) fn failure_message(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    if let Ok(value) = serde_json::from_str::<Value>(&text)
        && let Some(message) = value
            .pointer("/error/message")
            .or_else(|| value.get("message"))
            .and_then(Value::as_str)
    {
        return message.to_owned();
    }
    let text = text.trim();
    match text.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// Sends `request` the preferred way, falling back to the other on a network failure (the
/// way that answered is remembered in `way`). A relayed answer without `X-MCP-Relayed` is
/// the proxy's own refusal.
pub(super) async fn send<T: Transport>(
    transport: &T,
    endpoint: &Endpoint<'_>,
    way: &mut Way,
    request: &UpstreamRequest,
) -> Result<Answer<T::Body>, McpFailure> {
    let mut last = McpFailure::Network("no way to reach the server".into());
    for candidate in ways(endpoint, *way) {
        match transport.send(&on_way(request, endpoint, candidate)).await {
            Ok(mut answer) => {
                *way = candidate;
                let refused_by_proxy =
                    candidate == Way::Relay && answer.header("x-mcp-relayed") != Some("true");
                if refused_by_proxy {
                    let body = read_all(&mut answer.body).await.unwrap_or_default();
                    return Err(McpFailure::Http {
                        status: answer.status,
                        message: failure_message(&body),
                    });
                }
                return Ok(answer);
            }
            Err(error) => last = McpFailure::Network(error.0),
        }
    }
    Err(last)
}

/// A non-success answer as a fault.
async fn refusal<B: Body>(session: &Session, mut answer: Answer<B>) -> Fault {
    let kind = session.answered(answer.status, &answer.headers);
    let body = read_all(&mut answer.body).await.unwrap_or_default();
    match kind {
        AnswerKind::SessionGone => Fault::SessionGone,
        AnswerKind::Unauthorized { challenge } => {
            Fault::Failed(McpFailure::Unauthorized { challenge })
        }
        AnswerKind::Failed { status }
            if session.session_id().is_some()
                && session::is_session_refusal(status, &String::from_utf8_lossy(&body)) =>
        {
            Fault::SessionGone
        }
        _ => Fault::Failed(McpFailure::Http {
            status: answer.status,
            message: failure_message(&body),
        }),
    }
}

/// Posts a notification or a response: the server answers 202. Best effort for the caller
/// to ignore; `Err` only says it was not taken.
pub(super) async fn notify<T: Transport>(
    transport: &T,
    endpoint: &Endpoint<'_>,
    session: &Session,
    way: &mut Way,
    message: String,
) -> Result<(), Fault> {
    let request = session.post(message, endpoint.bearer);
    let mut answer = send(transport, endpoint, way, &request).await?;
    if (200..300).contains(&answer.status) {
        let _ = read_all(&mut answer.body).await;
        return Ok(());
    }
    Err(refusal(session, answer).await)
}

/// Handles one message that is not the answer awaited; `true` when it was news (progress).
pub(super) async fn on_message<T: Transport, C: Timer>(
    seams: Seams<'_, T, C>,
    session: &Session,
    way: &mut Way,
    message: Incoming,
    watch: &mut Watch<'_>,
) {
    let Seams {
        transport,
        timer,
        endpoint,
    } = seams;
    match message {
        Incoming::Notification { method, params } => match method.as_str() {
            "notifications/progress" => {
                let Some(progress) =
                    params.and_then(|p| serde_json::from_value::<ProgressParams>(p).ok())
                else {
                    return;
                };
                if watch.token == Some(&progress.progress_token) {
                    let mut deadline = watch.deadline.get();
                    deadline.news(timer.now_ms());
                    watch.deadline.set(deadline);
                    (watch.on_progress)(Progress {
                        progress: progress.progress,
                        total: progress.total,
                        message: progress.message,
                    });
                }
            }
            other => {
                if let Some(notice) = Notice::from_method(other)
                    && !watch.notices.contains(&notice)
                {
                    watch.notices.push(notice);
                }
            }
        },
        Incoming::Request { id, method, .. } => {
            let answer = jsonrpc::answer_server_request(&id, &method);
            let _ = notify(transport, endpoint, session, way, answer).await;
        }
        Incoming::Response { .. } | Incoming::Error { .. } => {}
    }
}

/// The result of request `id` among `messages`, others handled; `None` when not there.
async fn settle<T: Transport, C: Timer>(
    seams: Seams<'_, T, C>,
    session: &Session,
    way: &mut Way,
    id: &RequestId,
    messages: Vec<Incoming>,
    watch: &mut Watch<'_>,
) -> Option<Result<Value, McpFailure>> {
    let mut found = None;
    for message in messages {
        match message {
            Incoming::Response { id: got, result } if &got == id => found = Some(Ok(result)),
            Incoming::Error {
                id: Some(got),
                code,
                message,
                ..
            } if &got == id => found = Some(Err(McpFailure::Rpc { code, message })),
            other => on_message(seams, session, way, other, watch).await,
        }
    }
    found
}

/// Sends request `id` (its JSON `text`) and reads its answer: the answer's headers (the
/// `initialize` answer's carry the session id) and its result.
pub(super) async fn request<T: Transport, C: Timer>(
    seams: Seams<'_, T, C>,
    session: &Session,
    way: &mut Way,
    id: &RequestId,
    text: &str,
    watch: &mut Watch<'_>,
) -> Result<(Vec<(String, String)>, Value), Fault> {
    let Seams {
        transport,
        timer,
        endpoint,
    } = seams;
    let post = session.post(text.to_owned(), endpoint.bearer);
    let mut answer = send(transport, endpoint, way, &post).await?;
    let headers = std::mem::take(&mut answer.headers);
    let mut reader = match session.answered(answer.status, &headers) {
        AnswerKind::Json => AnswerReader::json(),
        AnswerKind::Stream => AnswerReader::sse(),
        AnswerKind::Accepted => {
            return Err(McpFailure::Protocol("a request was answered 202".into()).into());
        }
        _ => {
            answer.headers = headers;
            return Err(refusal(session, answer).await);
        }
    };
    let mut body = answer.body;
    let mut resumes = 0;
    loop {
        loop {
            let chunk = match body.next().await {
                Some(Ok(chunk)) => chunk,
                // A cut stream: resumed below when it can be.
                Some(Err(_)) | None => break,
            };
            let messages = reader
                .push(&chunk)
                .map_err(|e| McpFailure::Protocol(e.to_string()))?;
            if let Some(result) = settle(seams, session, way, id, messages, watch).await {
                return Ok((headers, result?));
            }
        }
        let messages = reader
            .finish()
            .map_err(|e| McpFailure::Protocol(e.to_string()))?;
        if let Some(result) = settle(seams, session, way, id, messages, watch).await {
            return Ok((headers, result?));
        }
        // The stream ended before the answer: resume it after its last event, if any.
        let Some(last_id) = reader.last_event_id().map(str::to_owned) else {
            return Err(McpFailure::Network("the answer ended before the result".into()).into());
        };
        if resumes >= policy::MAX_RESUMES {
            return Err(McpFailure::Network("the answer stream dropped too often".into()).into());
        }
        resumes += 1;
        timer
            .sleep(reader.retry_ms().unwrap_or(policy::RECONNECT_FIRST_MS))
            .await;
        let get = session.listen(Some(&last_id), endpoint.bearer);
        let resumed = send(transport, endpoint, way, &get).await?;
        match session.answered(resumed.status, &resumed.headers) {
            AnswerKind::Stream => {}
            _ => return Err(refusal(session, resumed).await),
        }
        let mut next = AnswerReader::sse();
        // Keep the cursor should the resumed stream end before its first event.
        next.push(format!("id: {last_id}\n\n").as_bytes())
            .map_err(|e| McpFailure::Protocol(e.to_string()))?;
        reader = next;
        body = resumed.body;
    }
}

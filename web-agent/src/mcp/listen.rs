//! The server's standalone GET stream, where notifications that belong to no request
//! arrive (`tools/list_changed`…): kept open, resumed with `Last-Event-ID` after a drop,
//! with the policy's delays, until the server does not offer it or the inbox's owner is
//! gone.

use std::cell::{Cell, RefCell};
use std::pin::pin;
use std::rc::Rc;

use ferry_mcp::policy::{Deadline, Reconnect, RequestKind};
use ferry_mcp::reader::AnswerReader;
use ferry_mcp::session::{AnswerKind, Session};
use futures_util::future::{Either, select};

use super::exchange::{self, Watch};
use super::{Endpoint, Notice, Seams, Timer};
use crate::transport::{Body, Transport};

/// What the GET stream needs of a connection: its session (owned, so the loop can be
/// spawned apart from the connection).
#[derive(Debug, Clone)]
pub struct ListenHandle {
    session: Session,
}

impl ListenHandle {
    pub(super) fn of(session: &Session) -> Option<Self> {
        session.session_id()?;
        Some(Self {
            session: session.clone(),
        })
    }
}

/// How often a quiet stream looks whether anyone still reads its inbox.
const OWNER_CHECK_MS: u64 = 1_000;

/// Resolves once nobody but the listener holds `inbox`.
async fn owner_gone<C: Timer>(timer: &C, inbox: &Rc<RefCell<Vec<Notice>>>) {
    while Rc::strong_count(inbox) > 1 {
        timer.sleep(OWNER_CHECK_MS).await;
    }
}

/// How one stream ended.
enum Outcome {
    /// Ended or dropped: try again after a delay.
    Dropped,
    /// The server does not offer the stream, or refused it: stop.
    Over,
}

/// Keeps the server's standalone GET stream open and puts its notifications in `inbox`,
/// until the server does not offer one (405) or refuses it, it failed too often in a row,
/// or `inbox`'s other owners are gone.
pub async fn listen<T: Transport, C: Timer>(
    transport: &T,
    timer: &C,
    endpoint: &Endpoint<'_>,
    handle: ListenHandle,
    inbox: &Rc<RefCell<Vec<Notice>>>,
) {
    let session = handle.session;
    let mut way = endpoint.prefer;
    let mut reconnect = Reconnect::default();
    let mut last_id: Option<String> = None;
    let mut retry_ms: Option<u64> = None;
    while Rc::strong_count(inbox) > 1 {
        let outcome = stream_once(
            transport,
            timer,
            endpoint,
            &session,
            &mut way,
            inbox,
            &mut last_id,
            &mut retry_ms,
            &mut reconnect,
        )
        .await;
        if matches!(outcome, Outcome::Over) {
            return;
        }
        let Some(delay) = reconnect.failed(retry_ms) else {
            return;
        };
        timer.sleep(delay).await;
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "the loop's state, kept by the caller"
)]
async fn stream_once<T: Transport, C: Timer>(
    transport: &T,
    timer: &C,
    endpoint: &Endpoint<'_>,
    session: &Session,
    way: &mut super::Way,
    inbox: &Rc<RefCell<Vec<Notice>>>,
    last_id: &mut Option<String>,
    retry_ms: &mut Option<u64>,
    reconnect: &mut Reconnect,
) -> Outcome {
    let request = session.listen(last_id.as_deref(), endpoint.bearer);
    let Ok(answer) = exchange::send(transport, endpoint, way, &request).await else {
        return Outcome::Dropped;
    };
    match session.answered(answer.status, &answer.headers) {
        AnswerKind::Stream => {}
        _ => return Outcome::Over,
    }
    let mut body = answer.body;
    let mut reader = AnswerReader::sse();
    let deadline = Cell::new(Deadline::new(RequestKind::Plain, timer.now_ms()));
    loop {
        // A quiet stream is dropped (its fetch aborted) soon after its reader is gone, so
        // forgotten streams never hold the browser's few connections per host.
        let next = {
            let chunk = pin!(body.next());
            let gone = pin!(owner_gone(timer, inbox));
            match select(chunk, gone).await {
                Either::Left((next, _)) => next,
                Either::Right(_) => return Outcome::Over,
            }
        };
        let Some(Ok(chunk)) = next else {
            return Outcome::Dropped;
        };
        let Ok(messages) = reader.push(&chunk) else {
            return Outcome::Dropped;
        };
        if let Some(id) = reader.last_event_id() {
            *last_id = Some(id.to_owned());
        }
        *retry_ms = reader.retry_ms().or(*retry_ms);
        if !messages.is_empty() {
            reconnect.succeeded();
        }
        let mut notices = Vec::new();
        for message in messages {
            let mut watch = Watch {
                token: None,
                on_progress: &mut |_| {},
                deadline: &deadline,
                notices: &mut notices,
            };
            exchange::on_message(
                Seams::new(transport, timer, endpoint),
                session,
                way,
                message,
                &mut watch,
            )
            .await;
        }
        let mut held = inbox.borrow_mut();
        for notice in notices {
            if !held.contains(&notice) {
                held.push(notice);
            }
        }
        drop(held);
        if Rc::strong_count(inbox) == 1 {
            return Outcome::Over;
        }
    }
}

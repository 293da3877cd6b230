//! Calls to the provider: one fetch with a deadline that aborts it, and the streaming pipe
//! that passes each upstream event on as soon as it is translated — never the whole body.

use std::cell::RefCell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use ferry_core::adapter::{self, HttpMethod, StreamTranslator, UpstreamRequest};
use ferry_core::usage::UsageRecord;
use ferry_core::wire::Usage;
use ferry_core::{ProviderId, ProxyError, quota};
use futures_util::future::{Either, select};
use futures_util::{StreamExt, stream};
use worker::wasm_bindgen::JsCast;
use worker::wasm_bindgen_futures::JsFuture;
use worker::{AbortController, ByteStream, Delay, Env, Response, Url, web_sys};

use crate::limits::client::Pending;
use crate::log::{self, StreamTag};
use crate::usage::{self, Draft};

/// An upstream call in flight: its abort handle, its deadline, and what its failures are
/// called.
pub struct Call {
    controller: Option<AbortController>,
    deadline: Pin<Box<Delay>>,
    on_timeout: ProxyError,
    on_failure: ProxyError,
}

impl Call {
    fn abort(&mut self) {
        if let Some(controller) = self.controller.take() {
            controller.abort();
        }
    }

    /// Gives the call up: the provider's connection is closed, its answer unread.
    pub fn cancel(mut self) {
        self.abort();
    }

    /// Waits for `future` unless the deadline comes first (then the fetch is aborted).
    pub async fn within<F: Future + Unpin>(&mut self, future: F) -> Result<F::Output, ProxyError> {
        match select(future, self.deadline.as_mut()).await {
            Either::Left((output, _)) => Ok(output),
            Either::Right(((), _)) => {
                self.abort();
                Err(self.on_timeout.clone())
            }
        }
    }
}

/// How one outbound call is made and what its failures are called.
pub struct Outbound {
    pub timeout_ms: u64,
    /// The error when the deadline passes.
    pub on_timeout: ProxyError,
    /// The error when the other side cannot be reached or breaks the connection.
    pub on_failure: ProxyError,
    /// Follow redirects (the default) or hand them back (to check each target).
    pub follow_redirects: bool,
}

/// Sends `request` and answers once the response's headers are in, whatever its status.
pub async fn fetch(
    request: &UpstreamRequest,
    how: &Outbound,
) -> Result<(Response, Call), ProxyError> {
    let failed = |_| how.on_failure.clone();
    // Checked here, as building a `Request` would: fetch itself only rejects later.
    if Url::parse(&request.url).is_err() {
        return Err(ProxyError::invalid("the upstream URL is not valid"));
    }
    // `fetch(url, init)` straight from the runtime's global scope: building a `Request`
    // first (as `worker::Fetch` does) costs a second object and a copy of the headers.
    let headers = web_sys::Headers::new().map_err(failed)?;
    for (name, value) in &request.headers {
        headers.set(name, value).map_err(failed)?;
    }
    let init = web_sys::RequestInit::new();
    init.set_method(match request.method {
        HttpMethod::Get => "GET",
        HttpMethod::Post => "POST",
        HttpMethod::Delete => "DELETE",
    });
    init.set_headers(&headers);
    if let Some(body) = request.body.as_deref() {
        // As bytes: a JavaScript string would be decoded from UTF-8 here and encoded again
        // by fetch, which costs CPU on bodies of megabytes (images, PDFs).
        init.set_body(&worker::js_sys::Uint8Array::from(body.as_bytes()));
    }
    if !how.follow_redirects {
        init.set_redirect(web_sys::RequestRedirect::Manual);
    }
    let controller = AbortController::default();
    init.set_signal(Some(&controller.signal()));
    // Until the headers are in, dropping this future (the caller lost interest: its
    // limits refused the call, say) aborts the fetch.
    let mut armed = AbortOnDrop(Some(controller));
    let mut call = Call {
        controller: None,
        deadline: Box::pin(Delay::from(Duration::from_millis(how.timeout_ms))),
        on_timeout: how.on_timeout.clone(),
        on_failure: how.on_failure.clone(),
    };
    let global: web_sys::WorkerGlobalScope = worker::js_sys::global().unchecked_into();
    let sending = JsFuture::from(global.fetch_with_str_and_init(&request.url, &init));
    let response = call.within(sending).await?;
    call.controller = armed.0.take();
    let response: web_sys::Response = response.and_then(|r| r.dyn_into()).map_err(failed)?;
    Ok((Response::from(response), call))
}

struct AbortOnDrop(Option<AbortController>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(controller) = self.0.take() {
            controller.abort();
        }
    }
}

/// Sends a provider request; answers with the provider's response once its headers are in,
/// or the contract's error: unreachable → 502, no headers in time → 504, a refusal → the
/// provider's status and words (key redacted) and its `Retry-After`, a failure → 502.
pub async fn send(
    request: &UpstreamRequest,
    provider: ProviderId,
    key: &str,
    timeout_ms: u64,
) -> Result<(Response, Call), ProxyError> {
    let how = Outbound {
        timeout_ms,
        on_timeout: ProxyError::UpstreamTimeout {
            provider,
            timeout_secs: timeout_ms.div_ceil(1000),
        },
        on_failure: ProxyError::upstream(
            provider,
            format!("{provider} could not be reached or broke the connection"),
        ),
        follow_redirects: true,
    };
    let (mut response, mut call) = fetch(request, &how).await?;
    let status = response.status_code();
    if (200..300).contains(&status) {
        return Ok((response, call));
    }
    // A rate-limited provider's wait goes back to the caller with its refusal.
    let retry_after = response
        .headers()
        .get("retry-after")
        .ok()
        .flatten()
        .and_then(|value| ferry_core::parse_retry_after(&value));
    let body = call
        .within(Box::pin(response.bytes()))
        .await?
        .unwrap_or_default();
    Err(adapter::upstream_error(provider, status, &body, key).with_retry_after(retry_after))
}

/// Reads the whole (non-streaming) answer within the call's deadline.
pub async fn read_all(mut response: Response, mut call: Call) -> Result<Vec<u8>, ProxyError> {
    let answer = call.within(Box::pin(response.bytes())).await?;
    answer.map_err(|_| call.on_failure.clone())
}

/// Reads at most `limit` bytes of a body within the call's deadline; the rest is left
/// unread (and the fetch aborted).
pub async fn read_at_most(
    mut response: Response,
    mut call: Call,
    limit: usize,
) -> Result<Vec<u8>, ProxyError> {
    let Ok(body) = response.stream() else {
        return Ok(Vec::new());
    };
    let mut body = Box::pin(body);
    let mut out = Vec::new();
    while out.len() < limit {
        match call.within(body.next()).await? {
            Some(Ok(chunk)) => {
                let room = limit - out.len();
                out.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Some(Err(_)) => return Err(call.on_failure.clone()),
            None => return Ok(out),
        }
    }
    call.abort();
    Ok(out)
}

/// An answer passed back as it is (the MCP relay): the status, the headers core lets
/// through ([`ferry_core::mcp_relay::answer_headers`]) and the body chunk by chunk as it
/// arrives, never gathered. The call's deadline bounds the whole stream: when it passes,
/// or the server breaks off, the body simply ends (the client resumes as it would after
/// any dropped stream). A client that goes away aborts the call.
pub fn relay(mut response: Response, call: Call) -> Result<Response, ProxyError> {
    let status = response.status_code();
    let upstream_headers = response.headers().clone();
    let headers =
        ferry_core::mcp_relay::answer_headers(|name| upstream_headers.get(name).ok().flatten());
    let cannot = |_| ProxyError::RemoteFailed {
        service: ferry_core::mcp_relay::SERVICE.to_owned(),
        message: "the MCP server's answer could not be passed back".to_owned(),
    };
    // A null-body status cannot carry a stream.
    let mut client = match (status, response.stream()) {
        (101 | 204 | 205 | 304, _) | (_, Err(_)) => Response::empty().map_err(cannot)?,
        (_, Ok(body)) => {
            let state = Relay {
                body: Box::pin(body),
                call,
            };
            let chunks = stream::unfold(state, |mut state| async move {
                let bytes = state.next_bytes().await?;
                Some((Ok::<Vec<u8>, worker::Error>(bytes), state))
            });
            Response::from_stream(chunks).map_err(cannot)?
        }
    }
    .with_status(status);
    let out = client.headers_mut();
    for (name, value) in headers {
        out.set(name, &value).map_err(cannot)?;
    }
    Ok(client)
}

/// A relayed body in flight.
struct Relay {
    body: Pin<Box<ByteStream>>,
    call: Call,
}

impl Relay {
    async fn next_bytes(&mut self) -> Option<Vec<u8>> {
        loop {
            match self.call.within(self.body.next()).await {
                Ok(Some(Ok(bytes))) if bytes.is_empty() => {}
                Ok(Some(Ok(bytes))) => return Some(bytes),
                Ok(Some(Err(_)) | None) | Err(_) => {
                    self.call.abort();
                    return None;
                }
            }
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.call.abort();
    }
}

/// What happens after a stream's last byte: its log line, its quota settlement and its
/// usage row.
pub struct Tail {
    pub tag: StreamTag,
    pub pending: Option<Pending>,
    pub usage: Option<Draft>,
    /// The request's input, estimated: what an unfinished stream settles at least.
    pub input_estimate: u64,
    pub env: Env,
    /// Keeps the settlement and the row alive when the client goes away mid-stream.
    pub ctx: Rc<worker::Context>,
}

/// The client's event stream: upstream bytes → translator → client, chunk by chunk, ending
/// with `[DONE]` or with one error event (upstream broke, ended early, or timed out).
pub fn pipe(
    provider: ProviderId,
    mut response: Response,
    call: Call,
    translator: StreamTranslator,
    tail: Tail,
) -> Result<Response, ProxyError> {
    let body = response
        .stream()
        .map_err(|_| ProxyError::upstream(provider, format!("{provider} sent no body")))?;
    // The task that settles the stream and queues its row is registered now, while the
    // request is alive: one registered when a client has gone away (from `Drop`) is not
    // run. It waits for the stream's end, whichever way that comes.
    let (ending, ended) = handoff::<Ending>();
    tail.ctx.wait_until(async move {
        let Ending {
            pending,
            used,
            record,
            env,
        } = ended.await;
        if let Some(pending) = pending {
            pending.settle(used.total_tokens).await;
        }
        if let Some(record) = record {
            usage::send(env, record).await;
        }
    });
    let state = Pipe {
        body: Box::pin(body),
        call,
        translator,
        tail,
        ending: Some(ending),
    };
    let events = stream::unfold(state, |mut state| async move {
        let out = state.next_bytes().await?;
        Some((Ok::<Vec<u8>, worker::Error>(out), state))
    });
    let mut client = Response::from_stream(events)
        .map_err(|_| ProxyError::upstream(provider, "stream could not be started"))?;
    let headers = client.headers_mut();
    for (name, value) in [
        ("content-type", "text/event-stream; charset=utf-8"),
        ("cache-control", "no-cache"),
        ("x-accel-buffering", "no"),
    ] {
        let _ = headers.set(name, value);
    }
    Ok(client)
}

struct Pipe {
    body: Pin<Box<ByteStream>>,
    call: Call,
    translator: StreamTranslator,
    tail: Tail,
    /// Hands the stream's end to the task registered in [`pipe`], once.
    ending: Option<Handoff<Ending>>,
}

/// What the end task does: settle `pending` (if the stream did not already) to `used`,
/// and queue the usage row.
struct Ending {
    pending: Option<Pending>,
    used: Usage,
    record: Option<UsageRecord>,
    env: Env,
}

impl Drop for Pipe {
    /// A client that leaves mid-stream still settles what was used: most providers count
    /// only in the last chunk, so what was sent and streamed so far is estimated.
    fn drop(&mut self) {
        let pending = self.tail.pending.take();
        if pending.is_some() {
            self.call.abort();
        }
        self.end(pending);
    }
}

impl Pipe {
    /// Hands the stream's end to the end task, once: the reservation still to settle and
    /// the usage row.
    fn end(&mut self, pending: Option<Pending>) {
        let Some(ending) = self.ending.take() else {
            return;
        };
        let used = self.used();
        let record = self
            .tail
            .usage
            .take()
            .map(|draft| draft.finish(Some(used), self.translator.failure()));
        ending.send(Ending {
            pending,
            used,
            record,
            env: self.tail.env.clone(),
        });
    }

    /// The provider's count for a stream that ended properly; otherwise at least the
    /// input estimate and the output streamed so far ([`quota::stream_usage`]).
    fn used(&self) -> Usage {
        quota::stream_usage(
            self.translator.usage(),
            self.translator.is_complete(),
            self.tail.input_estimate,
            self.translator.output_chars(),
        )
    }

    /// The next bytes for the client, or `None` once the stream is over.
    async fn next_bytes(&mut self) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        while out.is_empty() {
            if self.translator.is_finished() {
                // Everything has gone out; settle before closing the stream, so the
                // user's next request sees this one's real usage.
                if let Some(pending) = self.tail.pending.take() {
                    pending.settle(self.used().total_tokens).await;
                }
                self.end(None);
                return None;
            }
            match self.call.within(self.body.next()).await {
                Ok(Some(Ok(bytes))) => self.translator.push(&bytes, &mut out),
                Ok(Some(Err(_))) => {
                    let broke = self.call.on_failure.clone();
                    self.translator.fail(&broke, &mut out);
                }
                Ok(None) => self.translator.end(&mut out),
                Err(timeout) => self.translator.fail(&timeout, &mut out),
            }
            if self.translator.is_finished() {
                // A clean end leaves nothing to stop (and an abort costs an `AbortError`
                // built with its stack); a failed one stops the provider's stream.
                if self.translator.failure().is_some() {
                    self.call.abort();
                }
                log::stream_end(&self.tail.tag, self.translator.failure(), Some(self.used()));
            }
        }
        Some(out)
    }
}

/// A one-value handoff from a stream to a task awaiting its end: single-threaded (one
/// isolate), so an `Rc` and a waker suffice.
struct Handoff<T>(Rc<RefCell<Slot<T>>>);

struct Slot<T> {
    value: Option<T>,
    waker: Option<Waker>,
}

/// The awaiting side of a [`Handoff`].
struct Handed<T>(Rc<RefCell<Slot<T>>>);

fn handoff<T>() -> (Handoff<T>, Handed<T>) {
    let slot = Rc::new(RefCell::new(Slot {
        value: None,
        waker: None,
    }));
    (Handoff(Rc::clone(&slot)), Handed(slot))
}

impl<T> Handoff<T> {
    fn send(self, value: T) {
        let waker = {
            let mut slot = self.0.borrow_mut();
            slot.value = Some(value);
            slot.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> Future for Handed<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut slot = self.0.borrow_mut();
        match slot.value.take() {
            Some(value) => Poll::Ready(value),
            None => {
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

//! Calls to the provider: one fetch with a deadline that aborts it, and the streaming pipe
//! that passes each upstream event on as soon as it is translated — never the whole body.

use std::cell::RefCell;
use std::pin::Pin;
use std::rc::Rc;

use ferry_core::adapter::{self, HttpMethod, StreamTranslator, UpstreamRequest};
use ferry_core::{ProviderId, ProxyError, quota};
use futures_util::future::{Either, Select, select};
use futures_util::{StreamExt, stream};
use worker::wasm_bindgen::JsCast;
use worker::wasm_bindgen_futures::JsFuture;
use worker::{AbortController, ByteStream, Env, Response, ResponseBody, web_sys};

use crate::deadline::Deadline;
use crate::handoff::{Handed, Handoff, handoff};
use crate::limits::client::Pending;
use crate::log::{self, StreamTag};
use crate::outbound;
use crate::passage::{Closing, Passage};
use crate::usage::{self, Draft};

/// An upstream call in flight: its abort handle, its response, its deadline, and what its
/// failures are called.
pub struct Call {
    controller: Option<AbortController>,
    /// The response as the runtime gave it, to read a whole body in one call.
    answer: web_sys::Response,
    deadline: Deadline,
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

    /// The whole body, within the deadline, read by the runtime in one `arrayBuffer()`
    /// (worker's `bytes()` reads it chunk by chunk through a stream reader); `None` when
    /// it could not be read.
    async fn whole_body(mut self) -> Result<Option<Vec<u8>>, ProxyError> {
        let Ok(reading) = self.answer.array_buffer() else {
            return Ok(None);
        };
        let read = self.within(JsFuture::from(reading)).await?;
        Ok(read
            .ok()
            .map(|buffer| worker::js_sys::Uint8Array::new(&buffer).to_vec()))
    }

    /// Waits for `future` unless the deadline comes first (then the fetch is aborted).
    pub async fn within<F: Future + Unpin>(&mut self, future: F) -> Result<F::Output, ProxyError> {
        match select(future, &mut self.deadline).await {
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

/// `url` (resolved against `base`) as the runtime's own WHATWG URL parser writes it: a
/// name in Unicode comes back in ASCII (IDNA, Punycode), an IPv4 address in dotted decimal.
/// ferry-core has no URL parser and reads only this form ([`ferry_core::href`]), so every
/// URL a user or a server hands the proxy passes here before core checks it. `None` when it
/// is not a valid URL.
pub fn runtime_href(url: &str, base: Option<&str>) -> Option<String> {
    match base {
        None => web_sys::Url::new(url),
        Some(base) => web_sys::Url::new_with_base(url, base),
    }
    .ok()
    .map(|parsed| parsed.href())
}

/// Sends `request` and answers once the response's headers are in, whatever its status.
pub async fn fetch(
    request: &UpstreamRequest,
    how: &Outbound,
) -> Result<(Response, Call), ProxyError> {
    let failed = |_| how.on_failure.clone();
    // Checked here, as building a `Request` would: fetch itself only rejects later. By the
    // runtime's parser, the one fetch uses: the `url` crate's parse was a visible cost in the
    // profile of every call.
    if web_sys::Url::new(&request.url).is_err() {
        return Err(ProxyError::invalid("the upstream URL is not valid"));
    }
    let headers = outbound::header_set(request.headers.iter().map(|(n, v)| (*n, v.as_str())))
        .map_err(failed)?;
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
    let mut deadline = Deadline::after(how.timeout_ms);
    let sending = outbound::fetch(&request.url, &init);
    // A deadline that passes first returns, which drops `armed`: the fetch is aborted.
    let Either::Left((response, _)) = select(sending, &mut deadline).await else {
        return Err(how.on_timeout.clone());
    };
    let response: web_sys::Response = response.and_then(|r| r.dyn_into()).map_err(failed)?;
    let call = Call {
        controller: armed.0.take(),
        // A second handle on the same object (`Response::clone` would tee the body).
        answer: Clone::clone(&response),
        deadline,
        on_timeout: how.on_timeout.clone(),
        on_failure: how.on_failure.clone(),
    };
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
    let (response, call) = fetch(request, &how).await?;
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
    // Unreadable words are no words: the status still tells.
    let body = call.whole_body().await?.unwrap_or_default();
    Err(adapter::upstream_error(provider, status, &body, key).with_retry_after(retry_after))
}

/// Reads the whole (non-streaming) answer of `call` within its deadline, in one read.
pub async fn read_all(call: Call) -> Result<Vec<u8>, ProxyError> {
    let unreadable = call.on_failure.clone();
    call.whole_body().await?.ok_or(unreadable)
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
///
/// The runtime pipes the provider's body through a [`Passage`] whose step is the
/// translator, so each chunk crosses into wasm once. A task registered now, while the
/// request is alive (one registered once a client has gone is not run), waits for the
/// pipe's end, whichever way it comes: it writes the stream's last bytes, settles the
/// reservation before the client's stream closes (so the user's next request sees this
/// one's real usage) and queues the usage row.
pub fn pipe(
    provider: ProviderId,
    response: Response,
    call: Call,
    translator: StreamTranslator,
    tail: Tail,
) -> Result<Response, ProxyError> {
    let ResponseBody::Stream(body) = response.body() else {
        return Err(ProxyError::upstream(
            provider,
            format!("{provider} sent no body"),
        ));
    };
    let cannot = || ProxyError::upstream(provider, "stream could not be started");
    let (failed, on_failure) = handoff::<()>();
    let translating = Rc::new(RefCell::new(Translating {
        translator,
        failed: Some(failed),
    }));
    let (passage, closing) = Passage::new({
        let translating = Rc::clone(&translating);
        move |bytes, out| translating.borrow_mut().push(bytes, out)
    })
    .map_err(|_| cannot())?;
    let piped = JsFuture::from(passage.pipe_from(body));
    let mut client =
        Response::from_body(ResponseBody::Stream(passage.readable())).map_err(|_| cannot())?;
    let headers = client.headers_mut();
    for (name, value) in [
        ("content-type", "text/event-stream; charset=utf-8"),
        ("cache-control", "no-cache"),
        ("x-accel-buffering", "no"),
    ] {
        let _ = headers.set(name, value);
    }
    let ctx = Rc::clone(&tail.ctx);
    let stream = Stream {
        passage,
        call,
        translating,
        tail,
    };
    ctx.wait_until(stream.run(select(select(piped, closing), on_failure)));
    Ok(client)
}

/// The translator as the passage's step: it tells the stream's task when the stream has
/// failed inside the pipe (an error event written), so that the provider's stream is stopped
/// and the client's closed at once. A clean finish (`[DONE]` written) waits for the
/// provider to close its body, which follows.
struct Translating {
    translator: StreamTranslator,
    failed: Option<Handoff<()>>,
}

impl Translating {
    fn push(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        self.translator.push(bytes, out);
        if self.translator.failure().is_some()
            && let Some(failed) = self.failed.take()
        {
            failed.send(());
        }
    }
}

/// How a stream's pipe stopped.
enum End {
    /// The provider closed its body; the client's stream closes once released.
    Closed(Closing),
    /// The translator wrote an error event (the provider sent an error, or an event that
    /// cannot be read).
    Failed,
    /// The provider's body broke.
    Broke,
    /// The deadline passed.
    TimedOut(ProxyError),
    /// The client went away.
    ClientLeft,
}

/// What a stream's task waits for: the pipe's end, the source's close, or a failure.
type Ends = Select<Select<JsFuture, Handed<Closing>>, Handed<()>>;

/// A stream in flight, as its task sees it.
struct Stream {
    passage: Passage,
    call: Call,
    translating: Rc<RefCell<Translating>>,
    tail: Tail,
}

impl Stream {
    /// Waits for the stream's end and finishes it: the last bytes, the log line, the
    /// settlement, the client's stream closed, then the usage row.
    async fn run(mut self, ends: Ends) {
        let end = match self.call.within(ends).await {
            Ok(Either::Left((Either::Right((closing, _)), _))) => End::Closed(closing),
            // The pipe stopped without the source closing into it: the client went (and
            // the pipe cancelled the provider's body; workerd then resolves the pipe,
            // where the standard rejects it, so the client's side tells), or the
            // provider's body broke.
            Ok(Either::Left((Either::Left(_), _))) if self.passage.client_left() => End::ClientLeft,
            Ok(Either::Left((Either::Left(_), _))) => End::Broke,
            Ok(Either::Right(((), _))) => End::Failed,
            // The call is aborted.
            Err(timeout) => End::TimedOut(timeout),
        };
        let mut out = Vec::new();
        {
            let translator = &mut self.translating.borrow_mut().translator;
            match &end {
                End::Closed(_) => translator.end(&mut out),
                End::Broke => translator.fail(&self.call.on_failure, &mut out),
                End::TimedOut(timeout) => translator.fail(timeout, &mut out),
                End::Failed | End::ClientLeft => {}
            }
        }
        self.passage.send(&out);
        let (used, failure) = {
            let translating = self.translating.borrow();
            let translator = &translating.translator;
            let used = quota::stream_usage(
                translator.usage(),
                translator.is_complete(),
                self.tail.input_estimate,
                translator.output_chars(),
            );
            (used, translator.failure().cloned())
        };
        if failure.is_some() {
            // A failed stream stops the provider's; a clean end leaves nothing to stop (and
            // an abort costs an `AbortError` built with its stack).
            self.call.abort();
        }
        if !matches!(end, End::ClientLeft) {
            log::stream_end(&self.tail.tag, failure.as_ref(), Some(used));
        }
        if let Some(pending) = self.tail.pending.take() {
            pending.settle(used.total_tokens).await;
        }
        match end {
            End::Closed(closing) => closing.close(),
            End::ClientLeft => {}
            End::Failed | End::Broke | End::TimedOut(_) => self.passage.terminate(),
        }
        if let Some(draft) = self.tail.usage.take() {
            let record = draft.finish(Some(used), failure.as_ref());
            usage::send_later(&self.tail.ctx, &self.tail.env, record);
        }
    }
}

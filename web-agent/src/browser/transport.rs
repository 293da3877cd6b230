//! [`Transport`] on the browser's `fetch`: the answer's body read chunk by chunk from its
//! `ReadableStream`, so streamed answers reach the agent as they arrive.
//!
//! Every request carries its own `AbortController`: dropping the send future, or the body
//! before its end, aborts the fetch. That is how Stop (which drops the call's future) ends
//! the HTTP request too, rather than leaving it running unread.

use ferry_core::adapter::{HttpMethod, UpstreamRequest};
use js_sys::{Array, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortController, Headers, ReadableStreamDefaultReader, Request, RequestInit, Response,
};

use crate::transport::{Answer, Body, NetworkError, Transport};

fn network(error: JsValue) -> NetworkError {
    // A fetch that never reached a server says little more than "Failed to fetch".
    let message = Reflect::get(&error, &JsValue::from_str("message"))
        .ok()
        .and_then(|m| m.as_string())
        .unwrap_or_else(|| "fetch failed".to_owned());
    NetworkError(message)
}

/// Aborts its fetch when dropped, unless disarmed (the body was read to its end).
struct AbortOnDrop(Option<AbortController>);

impl AbortOnDrop {
    fn disarm(&mut self) {
        self.0 = None;
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(controller) = self.0.take() {
            controller.abort();
        }
    }
}

fn method(method: HttpMethod) -> &'static str {
    match method {
        HttpMethod::Get => "GET",
        HttpMethod::Post => "POST",
        HttpMethod::Delete => "DELETE",
    }
}

/// Every header the response lets us read (`fetch` gives the names in lower case).
fn readable_headers(headers: &Headers) -> Vec<(String, String)> {
    let Ok(Some(entries)) = js_sys::try_iter(headers) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pair: Array = entry.dyn_into().ok()?;
            let name = pair.get(0).as_string()?;
            let value = pair.get(1).as_string()?;
            Some((name.to_ascii_lowercase(), value))
        })
        .collect()
}

#[derive(Debug, Default, Clone, Copy)]
pub struct FetchTransport;

impl Transport for FetchTransport {
    type Body = FetchBody;

    async fn send(&self, request: &UpstreamRequest) -> Result<Answer<FetchBody>, NetworkError> {
        let headers = Headers::new().map_err(network)?;
        for (name, value) in &request.headers {
            headers.set(name, value).map_err(network)?;
        }
        let controller = AbortController::new().map_err(network)?;
        let init = RequestInit::new();
        init.set_method(method(request.method));
        init.set_headers(&headers);
        init.set_signal(Some(&controller.signal()));
        if let Some(body) = &request.body {
            init.set_body(&JsValue::from_str(body));
        }
        let mut abort = AbortOnDrop(Some(controller));
        let fetch_request = Request::new_with_str_and_init(&request.url, &init).map_err(network)?;
        let global = js_sys::global();
        let fetch = Reflect::get(&global, &JsValue::from_str("fetch")).map_err(network)?;
        let fetch: js_sys::Function = fetch.dyn_into().map_err(network)?;
        let promise: js_sys::Promise = fetch
            .call1(&global, &fetch_request)
            .map_err(network)?
            .dyn_into()
            .map_err(network)?;
        let response: Response = JsFuture::from(promise)
            .await
            .map_err(network)?
            .dyn_into()
            .map_err(network)?;
        let retry_after_secs = response
            .headers()
            .get("retry-after")
            .ok()
            .flatten()
            .and_then(|v| v.trim().parse().ok());
        let reader = response.body().map(|stream| {
            stream
                .get_reader()
                .unchecked_into::<ReadableStreamDefaultReader>()
        });
        if reader.is_none() {
            abort.disarm();
        }
        Ok(Answer {
            status: response.status(),
            retry_after_secs,
            headers: readable_headers(&response.headers()),
            body: FetchBody { reader, abort },
        })
    }
}

pub struct FetchBody {
    reader: Option<ReadableStreamDefaultReader>,
    abort: AbortOnDrop,
}

impl Body for FetchBody {
    async fn next(&mut self) -> Option<Result<Vec<u8>, NetworkError>> {
        let reader = self.reader.as_ref()?;
        let step = match JsFuture::from(reader.read()).await {
            Ok(step) => step,
            Err(e) => {
                self.reader = None;
                self.abort.disarm();
                return Some(Err(network(e)));
            }
        };
        let done = Reflect::get(&step, &JsValue::from_str("done"))
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true);
        if done {
            self.reader = None;
            self.abort.disarm();
            return None;
        }
        let value = Reflect::get(&step, &JsValue::from_str("value")).ok()?;
        Some(Ok(Uint8Array::new(&value).to_vec()))
    }
}

//! Requests through the runtime's own `fetch(url, init)`: the call itself and its headers,
//! which the upstream calls use too, and JSON posts to the proxy's own services (Supabase,
//! the alert webhook). worker's `RequestInit` would write its `cf` options into every
//! request through serde-wasm-bindgen, code the proxy would carry for nothing.

use worker::Response;
use worker::js_sys;
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;

/// Why a request was not answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsent {
    /// The URL does not parse.
    BadUrl,
    /// The runtime could not reach it.
    Unreachable,
}

/// A `POST` of `body` (JSON) to `url` with `headers` besides the content type: the answer,
/// whatever its status.
pub async fn post_json(
    url: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<Response, Unsent> {
    web_sys::Url::new(url).map_err(|_| Unsent::BadUrl)?;
    let sent = async {
        let json = [("content-type", "application/json")];
        let all = header_set(json.into_iter().chain(headers.iter().copied()))?;
        let init = web_sys::RequestInit::new();
        init.set_method("POST");
        init.set_headers(&all);
        init.set_body(&JsValue::from_str(body));
        fetch(url, &init).await?.dyn_into::<web_sys::Response>()
    };
    sent.await
        .map(Response::from)
        .map_err(|_: JsValue| Unsent::Unreachable)
}

/// The runtime's own `fetch(url, init)`, called from the global scope: building a
/// `Request` first (as `worker::Fetch` does) costs a second object and a copy of the
/// headers.
pub fn fetch(url: &str, init: &web_sys::RequestInit) -> JsFuture {
    let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    JsFuture::from(global.fetch_with_str_and_init(url, init))
}

/// `pairs` as the runtime's `Headers`, a later value of a name replacing an earlier one.
pub fn header_set<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<web_sys::Headers, JsValue> {
    let headers = web_sys::Headers::new()?;
    for (name, value) in pairs {
        headers.set(name, value)?;
    }
    Ok(headers)
}

//! JSON requests the proxy makes to its own services: Supabase and the alert webhook.
//!
//! Sent with the runtime's `fetch(url, init)` as the upstream calls are: worker's
//! `RequestInit` writes its `cf` options into every request through serde-wasm-bindgen,
//! code the proxy would carry for nothing.

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
        let all = web_sys::Headers::new()?;
        all.set("content-type", "application/json")?;
        for (name, value) in headers {
            all.set(name, value)?;
        }
        let init = web_sys::RequestInit::new();
        init.set_method("POST");
        init.set_headers(&all);
        init.set_body(&JsValue::from_str(body));
        let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
        JsFuture::from(global.fetch_with_str_and_init(url, &init))
            .await?
            .dyn_into::<web_sys::Response>()
    };
    sent.await
        .map(Response::from)
        .map_err(|_: JsValue| Unsent::Unreachable)
}

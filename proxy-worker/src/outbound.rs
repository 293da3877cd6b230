//! JSON requests the proxy makes to its own services: Supabase, the alert webhook and the
//! limits' Durable Objects.

use worker::wasm_bindgen::JsValue;
use worker::{Headers, Method, Request, RequestInit};

/// A `POST` of `body` (JSON) to `url` with `headers` besides the content type.
pub fn post_json(url: &str, headers: &[(&str, &str)], body: &str) -> worker::Result<Request> {
    let all = Headers::new();
    all.set("content-type", "application/json")?;
    for (name, value) in headers {
        all.set(name, value)?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(all)
        .with_body(Some(JsValue::from_str(body)));
    Request::new_with_init(url, &init)
}

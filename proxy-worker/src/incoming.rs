//! The request being answered: the runtime's `Request` with the few things the routes read
//! of it. workers-rs's own wrapper also reads the request's `cf` object, which the runtime
//! builds on first access, for every request it wraps (46–89 µs a request under the
//! profiler); the proxy never uses it.

use worker::wasm_bindgen::JsCast;
use worker::wasm_bindgen_futures::JsFuture;
use worker::{ByteStream, Headers, Method, js_sys, web_sys};

pub struct Request {
    inner: web_sys::Request,
    headers: Headers,
    method: Method,
    path: String,
    body_used: bool,
}

impl From<web_sys::Request> for Request {
    fn from(inner: web_sys::Request) -> Self {
        Self {
            headers: Headers(inner.headers()),
            method: Method::from(inner.method()),
            path: path_in(&inner.url()).to_owned(),
            body_used: false,
            inner,
        }
    }
}

impl Request {
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    pub fn method(&self) -> Method {
        self.method.clone()
    }

    /// The URL's path, without its query.
    pub fn path(&self) -> String {
        self.path.clone()
    }

    /// The whole body, read by the runtime in one call.
    pub async fn bytes(&mut self) -> worker::Result<Vec<u8>> {
        self.take_body()?;
        let buffer = JsFuture::from(self.inner.array_buffer()?).await?;
        Ok(js_sys::Uint8Array::new(&buffer).to_vec())
    }

    /// The body as it arrives; an error when there is none.
    pub fn stream(&mut self) -> worker::Result<ByteStream> {
        self.take_body()?;
        let body = self
            .inner
            .body()
            .ok_or_else(|| worker::Error::RustError("no body for request".into()))?;
        Ok(ByteStream::from(
            body.unchecked_into::<web_sys::ReadableStream>(),
        ))
    }

    fn take_body(&mut self) -> worker::Result<()> {
        if std::mem::replace(&mut self.body_used, true) {
            return Err(worker::Error::BodyUsed);
        }
        Ok(())
    }
}

/// The path in a URL as the runtime writes it (`https://host/path?query#fragment`, already
/// normalised, so the first `/` after the host starts the path).
fn path_in(href: &str) -> &str {
    let rest = href.find("://").map_or(href, |at| &href[at + 3..]);
    let path = rest.find(['/', '?', '#']).map_or("/", |at| &rest[at..]);
    match path.find(['?', '#']) {
        Some(0) => "/",
        Some(end) => &path[..end],
        None => path,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_path_is_read_from_the_url_as_the_runtime_writes_it() {
        for (href, path) in [
            (
                "https://ferry.example/v1/chat/completions",
                "/v1/chat/completions",
            ),
            ("https://ferry.example/v1/models?x=1", "/v1/models"),
            ("http://127.0.0.1:8787/health#top", "/health"),
            ("https://ferry.example/", "/"),
            ("https://ferry.example?q", "/"),
            ("https://ferry.example", "/"),
            ("https://ferry.example/a%20b/c?d=/e", "/a%20b/c"),
        ] {
            assert_eq!(super::path_in(href), path, "{href}");
        }
    }
}

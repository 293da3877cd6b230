//! `OPTIONS *`: the CORS preflight. An allowed origin gets the methods and headers the
//! proxy takes; any other gets an empty answer, which the browser treats as a refusal.

use ferry_core::{Config, ProxyError};
use worker::{Request, Response};

const ALLOWED_HEADERS: &str =
    "Authorization, Content-Type, X-Provider, X-Provider-Key, X-Request-Id";

pub fn handle(req: &Request, config: &Config) -> Result<Response, ProxyError> {
    let build = || -> worker::Result<Response> {
        let mut response = Response::empty()?.with_status(204);
        let origin = req.headers().get("origin")?;
        if origin
            .and_then(|o| config.allowed_origins.allow(&o))
            .is_some()
        {
            let headers = response.headers_mut();
            headers.set("access-control-allow-methods", "GET, POST, OPTIONS")?;
            headers.set("access-control-allow-headers", ALLOWED_HEADERS)?;
            headers.set("access-control-max-age", "86400")?;
        }
        Ok(response)
    };
    build().map_err(|_| ProxyError::invalid("preflight response could not be built"))
}

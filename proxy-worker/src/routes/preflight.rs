//! `OPTIONS *`: the CORS preflight. An allowed origin gets the methods and headers the
//! proxy takes; any other gets an empty answer, which the browser treats as a refusal.

use ferry_core::{Config, ProxyError};
use worker::Response;

use crate::incoming::Request;

/// The MCP relay's are core's [`ferry_core::mcp_relay::CORS_ALLOWED`].
const ALLOWED_HEADERS: &str = "Authorization, Content-Type, X-Provider, X-Provider-Key, \
    X-Request-Id, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID, X-MCP-Server, \
    X-MCP-Authorization";
const ALLOWED_METHODS: &str = "GET, POST, DELETE, OPTIONS";

pub fn handle(req: &Request, config: &Config) -> Result<Response, ProxyError> {
    let build = || -> worker::Result<Response> {
        let mut response = Response::empty()?.with_status(204);
        let origin = req.headers().get("origin")?;
        if origin
            .and_then(|o| config.allowed_origins.allow(&o))
            .is_some()
        {
            let headers = response.headers_mut();
            headers.set("access-control-allow-methods", ALLOWED_METHODS)?;
            headers.set("access-control-allow-headers", ALLOWED_HEADERS)?;
            headers.set("access-control-max-age", "86400")?;
        }
        Ok(response)
    };
    build().map_err(|_| ProxyError::invalid("preflight response could not be built"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mcp_relays_headers_and_methods_are_allowed() {
        let allowed: Vec<String> = ALLOWED_HEADERS
            .split(',')
            .map(|h| h.trim().to_ascii_lowercase())
            .collect();
        for name in ferry_core::mcp_relay::CORS_ALLOWED {
            assert!(allowed.iter().any(|h| h == name), "{name}");
        }
        assert!(ALLOWED_METHODS.contains("DELETE"));
    }
}

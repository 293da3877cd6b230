//! `GET /health`: always 200, with the kill switches' state.

use ferry_core::{Config, ProxyError};
use worker::Response;

use crate::respond;

pub fn handle(config: &Config) -> Result<Response, ProxyError> {
    let health = config.kill_switch.health(crate::VERSION);
    let body = serde_json::to_string(&health)
        .map_err(|e| ProxyError::invalid(format!("health report: {e}")))?;
    let mut response = respond::json(body, 200)?;
    let _ = response.headers_mut().set("cache-control", "no-store");
    Ok(response)
}

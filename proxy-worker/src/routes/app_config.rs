//! `GET /ferry-config.json`: the configuration of the app this Worker serves (Workers Static
//! Assets), made from the variables on each request (`Config::app_config`), never cached.

use ferry_core::{Config, ProxyError};
use worker::Response;

use crate::respond;

pub fn handle(config: &Config) -> Result<Response, ProxyError> {
    let body = serde_json::to_string(&config.app_config())
        .map_err(|e| ProxyError::invalid(format!("app config: {e}")))?;
    let mut response = respond::json(body, 200)?;
    // A changed variable reaches the next page load: no browser or edge cache keeps the old.
    let _ = response.headers_mut().set("cache-control", "no-store");
    Ok(response)
}

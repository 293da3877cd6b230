//! Reading a request body within a cap (`MAX_BODY_BYTES`, or for a chat request
//! [`Config::chat_body_limit`](ferry_core::Config::chat_body_limit)), counting the bytes
//! actually received (whole when a Content-Length is declared, chunk by chunk otherwise):
//! a Content-Length that lies, or a chunked body without one, cannot get past the limit.
//! A body over the limit is read on (and dropped) for a while before the 413, so that the
//! client finishes its upload and reads the answer rather than a reset connection.

use ferry_core::{BodyCap, ProxyError, json};
use futures_util::StreamExt;

use crate::incoming::Request;

/// How far past the limit a body is still read (and dropped) before the answer.
const DRAIN_FACTOR: u64 = 16;
const DRAIN_MIN_BYTES: u64 = 4 * 1024 * 1024;

pub async fn read_limited(
    req: &mut Request,
    (limit, cap): (u64, BodyCap),
) -> Result<Vec<u8>, ProxyError> {
    let too_large = || ProxyError::PayloadTooLarge { limit, cap };
    let declared = req
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    if declared.is_some() {
        // With a Content-Length the runtime reads exactly that many bytes and no more, so
        // the body is taken whole, in one copy: reading it chunk by chunk costs far more CPU
        // (about 10 ms a MiB in workerd) than the request's own work. Its length is still
        // checked as read.
        let body = req
            .bytes()
            .await
            .map_err(|_| ProxyError::invalid("the request body could not be read"))?;
        if body.len() as u64 > limit {
            return Err(too_large());
        }
        return Ok(body);
    }
    let Ok(mut stream) = req.stream() else {
        // No body at all.
        return Ok(Vec::new());
    };
    let capacity = declared.unwrap_or(0).min(limit);
    let mut body = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
    let mut seen: u64 = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| ProxyError::invalid("the request body could not be read"))?;
        seen += chunk.len() as u64;
        if seen <= limit {
            body.extend_from_slice(&chunk);
        } else if seen > limit.saturating_mul(DRAIN_FACTOR).max(DRAIN_MIN_BYTES) {
            // Past all reason: answer now, even if the client's upload is cut.
            return Err(too_large());
        }
        // Over the limit but within reach: read on and discard, so that the client
        // finishes sending and can read the 413 instead of a reset connection.
    }
    if seen > limit {
        return Err(too_large());
    }
    Ok(body)
}

/// Parses a JSON body, with serde's own words on what is wrong.
pub fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ProxyError> {
    if body.is_empty() {
        return Err(ProxyError::invalid(
            "the request body is empty; JSON expected",
        ));
    }
    json::read(body).map_err(|e| ProxyError::invalid(format!("invalid request body: {e}")))
}

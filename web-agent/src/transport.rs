//! The network seam: send an HTTP request, read the answer's body chunk by chunk. The
//! browser implements it with `fetch`; tests with scripted answers.

use ferry_core::adapter::UpstreamRequest;

#[cfg(test)]
pub(crate) mod scripted;

/// No answer at all: offline, refused, blocked by CORS, aborted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("network failure: {0}")]
pub struct NetworkError(pub String);

/// An answer's body, read as it arrives.
#[expect(
    async_fn_in_trait,
    reason = "single-threaded browser code; no Send bound wanted"
)]
pub trait Body {
    /// The next chunk, `None` at the end.
    async fn next(&mut self) -> Option<Result<Vec<u8>, NetworkError>>;
}

/// An HTTP answer: its status, `Retry-After` if any, its headers and the body still to read.
#[derive(Debug)]
pub struct Answer<B> {
    pub status: u16,
    pub retry_after_secs: Option<u64>,
    /// Every header the platform lets us read (in a browser: the CORS-safelisted ones and
    /// those the server exposes), names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: B,
}

impl<B> Answer<B> {
    /// The first value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[expect(
    async_fn_in_trait,
    reason = "single-threaded browser code; no Send bound wanted"
)]
pub trait Transport {
    type Body: Body;
    async fn send(&self, request: &UpstreamRequest) -> Result<Answer<Self::Body>, NetworkError>;
}

/// Reads a whole body.
pub async fn read_all<B: Body>(body: &mut B) -> Result<Vec<u8>, NetworkError> {
    let mut all = Vec::new();
    while let Some(chunk) = body.next().await {
        all.extend_from_slice(&chunk?);
    }
    Ok(all)
}

/// An answer read to its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub status: u16,
    pub retry_after_secs: Option<u64>,
    pub body: Vec<u8>,
}

impl Fetched {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Sends `request` and reads the whole answer: for calls whose answer is not streamed.
pub async fn fetch<T: Transport>(
    transport: &T,
    request: &UpstreamRequest,
) -> Result<Fetched, NetworkError> {
    let mut answer = transport.send(request).await?;
    let body = read_all(&mut answer.body).await?;
    Ok(Fetched {
        status: answer.status,
        retry_after_secs: answer.retry_after_secs,
        body,
    })
}

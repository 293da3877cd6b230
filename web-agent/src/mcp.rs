//! The MCP client at work: one server's connection driven over the
//! [`Transport`](crate::transport::Transport) seam, with `ferry_mcp` building every request
//! and reading every answer.
//!
//! Plain Rust, generic over the transport, a [`Timer`] and a [`Stopped`] signal, so it is
//! tested natively with scripted servers and in Chromium against the reference server.
//!
//! - Every request runs against a deadline ([`ferry_mcp::policy`]): 20 s, or for a tool
//!   call 60 s without progress and 10 min in all. A call stopped or timed out is
//!   cancelled on the server (`notifications/cancelled`, best effort) and its HTTP request
//!   dropped (which aborts the fetch in the browser).
//! - Direct first (or the way that worked last), then the relay on a network failure.
//! - A session the server forgot (404) is initialized again once and the request resent.
//! - An answer stream cut before its result is resumed with `Last-Event-ID`.
//! - The server's requests are answered (`ping`; others "method not found"); its list
//!   changes are kept as [`Notice`]s.

mod connection;
mod exchange;
mod listen;
pub(crate) mod oauth;
#[cfg(test)]
mod tests;

use ferry_mcp::types::{PromptInfo, ResourceInfo, ServerInfo, ToolInfo};
use serde::{Deserialize, Serialize};

pub use connection::Connection;
pub use listen::{ListenHandle, listen};

/// How a server is reached: straight from the browser, or through the proxy's relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Way {
    #[default]
    Direct,
    Relay,
}

/// The seams and the endpoint every request to a server goes through.
struct Seams<'a, T, C> {
    transport: &'a T,
    timer: &'a C,
    endpoint: &'a Endpoint<'a>,
}

impl<'a, T, C> Seams<'a, T, C> {
    fn new(transport: &'a T, timer: &'a C, endpoint: &'a Endpoint<'a>) -> Self {
        Self {
            transport,
            timer,
            endpoint,
        }
    }
}

impl<T, C> Clone for Seams<'_, T, C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T, C> Copy for Seams<'_, T, C> {}

/// Where a server is and how to reach it.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint<'a> {
    pub url: &'a str,
    /// The MCP server's token (a bearer token or an OAuth access token).
    pub bearer: Option<&'a str>,
    /// The proxy's relay; `None` when no proxy is configured.
    pub relay: Option<Relay<'a>>,
    /// The way that worked last time, tried first.
    pub prefer: Way,
}

/// The proxy's relay `/v1/proxy/mcp`.
#[derive(Debug, Clone, Copy)]
pub struct Relay<'a> {
    /// The proxy's root URL, without a trailing slash.
    pub proxy_root: &'a str,
    /// The signed-in user's access token for the proxy.
    pub access_token: Option<&'a str>,
}

/// What a server offers, as listed after `initialize`.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing {
    pub server: ServerInfo,
    pub tools: Vec<ToolInfo>,
    pub prompts: Vec<PromptInfo>,
    pub resources: Vec<ResourceInfo>,
}

/// Why an MCP exchange failed, in words the user (or the model) reads.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum McpFailure {
    #[error("the MCP server could not be reached: {0}")]
    Network(String),
    #[error("the MCP server asks for authorization")]
    Unauthorized { challenge: Option<String> },
    #[error("the MCP server answered HTTP {status}: {message}")]
    Http { status: u16, message: String },
    #[error("the MCP server answered error {code}: {message}")]
    Rpc { code: i64, message: String },
    #[error("the MCP server did not answer in time")]
    Timeout,
    #[error("stopped by the user")]
    Stopped,
    #[error("the MCP server's answer was not understood: {0}")]
    Protocol(String),
}

/// Time, for deadlines and reconnection delays.
#[expect(
    async_fn_in_trait,
    reason = "single-threaded browser code; no Send bound wanted"
)]
pub trait Timer {
    /// Milliseconds since the epoch.
    fn now_ms(&self) -> u64;
    /// Resolves after `ms` milliseconds.
    async fn sleep(&self, ms: u64);
}

/// The user's Stop: resolves once it is pressed (at once if it already was).
#[expect(
    async_fn_in_trait,
    reason = "single-threaded browser code; no Send bound wanted"
)]
pub trait Stopped {
    async fn stopped(&self);
}

/// A tool call's progress, from `notifications/progress`.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub progress: f64,
    pub total: Option<f64>,
    pub message: Option<String>,
}

/// A server notification the runtime acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    ToolsChanged,
    PromptsChanged,
    ResourcesChanged,
}

impl Notice {
    fn from_method(method: &str) -> Option<Self> {
        match method {
            "notifications/tools/list_changed" => Some(Self::ToolsChanged),
            "notifications/prompts/list_changed" => Some(Self::PromptsChanged),
            "notifications/resources/list_changed" => Some(Self::ResourcesChanged),
            _ => None,
        }
    }
}

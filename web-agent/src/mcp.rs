//! The MCP client at work: one server's connection driven over the [`Transport`] seam, with
//! `ferry_mcp` building every request and reading every answer.
//!
//! Plain Rust, generic over the transport, a [`Timer`] and a [`Stopped`] signal, so it is
//! tested natively with scripted servers and in Chromium against the reference server.

pub(crate) mod oauth;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use ferry_mcp::types::{
    CallResult, PromptInfo, PromptMessages, ResourceContents, ResourceInfo, ServerInfo, ToolInfo,
};
use serde::{Deserialize, Serialize};

use crate::transport::Transport;

/// How a server is reached: straight from the browser, or through the proxy's relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Way {
    #[default]
    Direct,
    Relay,
}

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

/// One server's session and the way that reaches it.
#[derive(Debug)]
pub struct Connection {
    session: ferry_mcp::session::Session,
    way: Way,
    notices: Vec<Notice>,
}

fn not_yet() -> McpFailure {
    McpFailure::Protocol("not yet".into())
}

impl Connection {
    /// Connects: `initialize`, `notifications/initialized`, then the tools, prompts and
    /// resources the server offers (every page).
    pub async fn open<T: Transport, C: Timer>(
        _transport: &T,
        _timer: &C,
        _endpoint: &Endpoint<'_>,
    ) -> Result<(Self, Listing), McpFailure> {
        Err(not_yet())
    }

    /// The way that worked.
    pub fn way(&self) -> Way {
        self.way
    }

    /// The session id the server gave, if any.
    pub fn session_id(&self) -> Option<&str> {
        self.session.session_id()
    }

    /// Calls a tool. Progress goes to `on_progress`; Stop sends `notifications/cancelled`
    /// (best effort) and answers [`McpFailure::Stopped`].
    #[expect(
        clippy::too_many_arguments,
        reason = "the seams and the call, each needed"
    )]
    pub async fn call_tool<T: Transport, C: Timer>(
        &mut self,
        _transport: &T,
        _timer: &C,
        _endpoint: &Endpoint<'_>,
        _tool: &str,
        _arguments: serde_json::Value,
        _on_progress: &mut impl FnMut(Progress),
        _stop: &impl Stopped,
    ) -> Result<CallResult, McpFailure> {
        Err(not_yet())
    }

    /// `prompts/get`.
    pub async fn get_prompt<T: Transport, C: Timer>(
        &mut self,
        _transport: &T,
        _timer: &C,
        _endpoint: &Endpoint<'_>,
        _name: &str,
        _arguments: &BTreeMap<String, String>,
    ) -> Result<PromptMessages, McpFailure> {
        Err(not_yet())
    }

    /// `resources/read`.
    pub async fn read_resource<T: Transport, C: Timer>(
        &mut self,
        _transport: &T,
        _timer: &C,
        _endpoint: &Endpoint<'_>,
        _uri: &str,
    ) -> Result<Vec<ResourceContents>, McpFailure> {
        Err(not_yet())
    }

    /// Lists tools, prompts and resources again (after a `list_changed`).
    pub async fn refresh_listing<T: Transport, C: Timer>(
        &mut self,
        _transport: &T,
        _timer: &C,
        _endpoint: &Endpoint<'_>,
    ) -> Result<Listing, McpFailure> {
        Err(not_yet())
    }

    /// The notifications seen in any stream since the last call.
    pub fn take_notifications(&mut self) -> Vec<Notice> {
        std::mem::take(&mut self.notices)
    }

    /// Ends the session (DELETE), best effort.
    pub async fn close<T: Transport>(&self, _transport: &T, _endpoint: &Endpoint<'_>) {}
}

/// Keeps the server's standalone GET stream open and puts its notifications in `inbox`,
/// until the server does not offer one (405), it failed too often, or `inbox`'s other
/// owners are gone.
pub async fn listen<T: Transport, C: Timer>(
    _transport: &T,
    _timer: &C,
    _endpoint: &Endpoint<'_>,
    _session_id: &str,
    _inbox: &Rc<RefCell<Vec<Notice>>>,
) {
}

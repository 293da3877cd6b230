//! Ferry's MCP client as plain Rust (sans I/O, like the agent's turn): it builds the HTTP
//! requests of the Model Context Protocol's Streamable HTTP transport and reads their
//! answers, and the caller (the browser agent) sends them through its own transport.
//!
//! - [`jsonrpc`]: JSON-RPC 2.0 messages both ways.
//! - [`types`]: what a server tells about itself, its tools, prompts and resources, and a
//!   tool call's result.
//! - [`session`]: one server's session: ids, the negotiated version, the requests and what
//!   an answer's status means.
//! - [`reader`]: an answer's body (JSON or an SSE stream) as messages.
//! - [`content`]: a tool result as the text a model reads, images apart.
//! - [`names`]: the tools of several servers under names no two share.
//! - [`policy`]: timeouts and reconnection as functions of time.
//! - [`oauth`]: the MCP authorization spec's OAuth 2.1 steps as requests and parses.

pub mod content;
pub mod jsonrpc;
pub mod names;
pub mod oauth;
pub mod policy;
pub mod reader;
pub mod session;
pub mod types;

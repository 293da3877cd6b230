//! The views of MCP servers (remote tool servers) the agent is connected to: what the
//! Settings page lists, what a chat may switch on, what the composer offers as `/` prompts
//! and attachable resources.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One MCP server, as Settings lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct McpServerView {
    /// The agent's id for the server (what commands name it by).
    pub id: String,
    pub url: String,
    /// The server's own name (`serverInfo.name`).
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub version: String,
    /// What its tools' names start with, as the model sees them (`<prefix>__<tool>`).
    pub prefix: String,
    /// The global switch (a chat may override it).
    pub enabled: bool,
    pub auth: McpAuth,
    pub status: McpStatus,
    /// Why the last connection failed (with `status` `error` or `unauthorized`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The way that worked last: straight to the server, or through the proxy's relay.
    #[serde(default)]
    pub via: Option<McpWay>,
    #[serde(default)]
    pub tools: Vec<McpToolView>,
    #[serde(default)]
    pub prompts: Vec<McpPromptView>,
    #[serde(default)]
    pub resources: Vec<McpResourceView>,
}

/// How the agent proves who it is to an MCP server.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum McpAuth {
    #[default]
    None,
    /// A token the user pasted, sent as `Authorization: Bearer`.
    Bearer,
    /// OAuth 2.1 as the MCP authorization spec has it (sign in once, tokens refreshed).
    Oauth,
}

/// Where an MCP server stands, as last seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum McpStatus {
    Connected,
    /// It wants a (new) sign-in or token.
    Unauthorized,
    /// The last connection failed (see `error`).
    Error,
    /// Switched off globally.
    Off,
}

/// The way MCP requests take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum McpWay {
    Direct,
    Relay,
}

/// Whether a tool's calls wait for the user's approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolApproval {
    /// Every call asks.
    Ask,
    /// The first call in a chat asks; allowing it allows the rest of that chat.
    Chat,
    /// Calls run unasked.
    Always,
}

/// One tool of an MCP server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct McpToolView {
    /// The server's name for it.
    pub name: String,
    /// The name the model calls it by (`<prefix>__<name>`).
    pub qualified: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The server's hints (`readOnlyHint`, `destructiveHint`), spec defaults when absent.
    pub read_only: bool,
    pub destructive: bool,
    pub approval: ToolApproval,
}

/// One prompt of an MCP server (a `/` command in the composer).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct McpPromptView {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub arguments: Vec<McpPromptArgument>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct McpPromptArgument {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub required: bool,
}

/// One resource of an MCP server (attachable like a file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct McpResourceView {
    pub uri: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
}

/// A chat's own switches for MCP servers, by server id (absent: the server's global one).
pub type ChatMcp = BTreeMap<String, bool>;

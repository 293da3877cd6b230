//! An MCP server as the agent keeps it: where it is, what it offers (as last listed), its
//! secrets sealed, and the user's approval setting per tool.

use std::collections::BTreeMap;

use ferry_mcp::types::{Annotations, PromptInfo, ResourceInfo, ToolInfo};
use ferry_protocol::{McpAuth, McpStatus, ToolApproval};
use serde::{Deserialize, Serialize};

use crate::mcp::Way;
use crate::seams::Sealed;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct McpServer {
    pub id: String,
    pub url: String,
    /// `serverInfo.name`.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub version: String,
    /// What its tools' names start with for the model (`<prefix>__<tool>`), unique among
    /// the servers and kept when the server is listed again.
    pub prefix: String,
    /// The global switch.
    pub enabled: bool,
    /// The way that worked last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub way: Option<Way>,
    /// A bearer token, sealed by the vault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<Sealed>,
    /// The OAuth state (client registration, endpoints, tokens, a pending sign-in), sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth: Option<Sealed>,
    #[serde(default)]
    pub auth: McpAuth,
    pub status: McpStatus,
    /// Why the last connection failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default)]
    pub tools: Vec<ToolInfo>,
    #[serde(default)]
    pub prompts: Vec<PromptInfo>,
    #[serde(default)]
    pub resources: Vec<ResourceInfo>,
    /// The user's setting per tool (by the server's name for it); a tool not named takes
    /// [`default_approval`].
    #[serde(default)]
    pub approvals: BTreeMap<String, ToolApproval>,
    pub added_ms: u64,
}

impl McpServer {
    /// The name the user knows it by: its title, else its name.
    pub fn label(&self) -> &str {
        self.title.as_deref().unwrap_or(&self.name)
    }

    /// The approval setting of the tool named `tool` on this server.
    pub fn approval(&self, tool: &str) -> ToolApproval {
        match self.approvals.get(tool) {
            Some(approval) => *approval,
            None => self
                .tools
                .iter()
                .find(|t| t.name == tool)
                .map_or(ToolApproval::Ask, |t| default_approval(&t.annotations)),
        }
    }

    /// The record as an export without secrets carries it.
    pub fn without_secrets(&self) -> Self {
        Self {
            token: None,
            oauth: None,
            ..self.clone()
        }
    }
}

/// A tool's approval setting until the user picks one, from the server's hints: a
/// read-only tool runs unasked; a destructive one (the spec's default) asks every time;
/// any other write asks once per chat.
pub fn default_approval(annotations: &Annotations) -> ToolApproval {
    if annotations.read_only {
        ToolApproval::Always
    } else if annotations.destructive {
        ToolApproval::Ask
    } else {
        ToolApproval::Chat
    }
}

//! What another tab of the same browser changed, for [`Command::Refresh`]: the agent of
//! each tab keeps some of the stored data in memory (settings, unsealed keys), which a
//! write in another tab leaves stale until it reads them again.
//!
//! [`Command::Refresh`]: crate::Command::Refresh

use serde::{Deserialize, Serialize};

/// A part of the stored data the agent holds in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// The settings (answered by `ready`).
    Settings,
    /// The stored provider and search keys, and the sign-in (answered by `ready`).
    Keys,
    /// The MCP servers (answered by `mcp_servers`).
    McpServers,
}

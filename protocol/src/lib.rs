//! The boundary between Ferry's app and its agent: [`Command`]s in, [`Event`]s out, as
//! tagged JSON (`{"type": "send_message", …}`). The app depends on this crate and on
//! nothing else of the agent; the agent converts its own records (stored sessions and
//! messages, its settings, Supabase's usage rows) into the plain views here.
//!
//! The JSON is the page's public API (the agent's `command` handle takes and calls back
//! with it), so every serde attribute here is part of the contract.

mod command;
mod error;
mod event;
mod fallback;
mod mcp;
mod sync;
mod view;

pub use command::Command;
pub use error::ErrorKind;
pub use event::Event;
pub use fallback::{AnsweredBy, DEFAULT_FIRST_ANSWER_TIMEOUT_SECS, ModelRef, Skipped};
pub use mcp::{
    ChatMcp, McpAuth, McpPromptArgument, McpPromptView, McpResourceView, McpServerView, McpStatus,
    McpToolView, McpWay, ToolApproval,
};
pub use sync::Change;
pub use view::{
    AttachmentView, ChatParams, DECLINED_TOOL_OUTPUT, DayUsage, Decision, KeyOwner, MessageId,
    MessageView, OAuthProvider, STOPPED_TOOL_OUTPUT, SessionId, SessionView, SettingsView,
    UsageRow,
};

#[cfg(test)]
mod tests;

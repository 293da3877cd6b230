//! MCP servers as the app shows them: which are on in a chat, the `/` prompts the composer
//! offers, the resources it can attach, the words for a tool's approval setting, and which
//! server a stored tool call went to.

use ferry_protocol::{ChatMcp, McpPromptView, McpResourceView, McpServerView, ToolApproval};

mod markup;

pub use markup::{
    arguments_html, escape, prompts_html, resources_html, servers_html, shape, status_line,
    switches_html,
};

/// The approval settings, in the order the select lists them, with their words.
pub const APPROVALS: [(ToolApproval, &str); 3] = [
    (ToolApproval::Ask, "Ask every time"),
    (ToolApproval::Chat, "Allow in this chat"),
    (ToolApproval::Always, "Always allow"),
];

/// The value a select option carries for `approval` (the protocol's word).
pub fn approval_value(approval: ToolApproval) -> &'static str {
    match approval {
        ToolApproval::Ask => "ask",
        ToolApproval::Chat => "chat",
        ToolApproval::Always => "always",
    }
}

/// The approval a select option's value names.
pub fn approval_from(value: &str) -> Option<ToolApproval> {
    APPROVALS
        .iter()
        .map(|(a, _)| *a)
        .find(|a| approval_value(*a) == value)
}

/// What the user calls a server: its title (`"Everything Reference Server"`), else its name.
pub fn display_name(server: &McpServerView) -> &str {
    server
        .title
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .unwrap_or(&server.name)
}

/// Whether `server` is on in a chat with the switches `chat` (a chat's own switch, else the
/// server's global one).
pub fn on_in_chat(server: &McpServerView, chat: &ChatMcp) -> bool {
    chat.get(&server.id).copied().unwrap_or(server.enabled)
}

/// What the composer's text asks of the `/` menu: the text after a leading `/`, while it
/// is one word (no space, no new line yet).
pub fn slash_query(draft: &str) -> Option<&str> {
    let rest = draft.strip_prefix('/')?;
    (!rest.contains(char::is_whitespace)).then_some(rest)
}

/// A prompt the `/` menu offers.
#[derive(Debug, Clone, PartialEq)]
pub struct PromptChoice {
    pub server: String,
    /// `/<prefix>:<prompt name>`, what the option reads.
    pub command: String,
    pub prompt: McpPromptView,
}

/// The prompts of the servers on in this chat whose command starts with `/` + `query`, or
/// whose prompt name contains it (case aside).
pub fn prompt_choices(servers: &[McpServerView], chat: &ChatMcp, query: &str) -> Vec<PromptChoice> {
    let query = query.to_ascii_lowercase();
    servers
        .iter()
        .filter(|s| on_in_chat(s, chat))
        .flat_map(|s| {
            s.prompts.iter().map(move |p| PromptChoice {
                server: s.id.clone(),
                command: format!("/{}:{}", s.prefix, p.name),
                prompt: p.clone(),
            })
        })
        .filter(|c| {
            c.command[1..].to_ascii_lowercase().starts_with(&query)
                || c.prompt.name.to_ascii_lowercase().contains(&query)
        })
        .collect()
}

/// The resources of the servers on in this chat, with their server's id.
pub fn resource_choices(
    servers: &[McpServerView],
    chat: &ChatMcp,
) -> Vec<(String, McpResourceView)> {
    servers
        .iter()
        .filter(|s| on_in_chat(s, chat))
        .flat_map(|s| s.resources.iter().map(|r| (s.id.clone(), r.clone())))
        .collect()
}

/// The server (as the user calls it) and tool of a call to `qualified`, the name the model
/// used: for a chat read from storage, where the call does not say.
pub fn tool_of(servers: &[McpServerView], qualified: &str) -> Option<(String, String)> {
    servers.iter().find_map(|s| {
        s.tools
            .iter()
            .find(|t| t.qualified == qualified)
            .map(|t| (display_name(s).to_owned(), t.name.clone()))
    })
}

/// A resource's file name: the last segment of its URI when that has an extension, else
/// its name (plus an extension its type suggests, so the agent reads it by type).
pub fn resource_file_name(name: &str, uri: &str, mime: &str) -> String {
    let last = uri
        .split(['?', '#'])
        .next()
        .unwrap_or_default()
        .rsplit('/')
        .next()
        .unwrap_or_default();
    if last.contains('.') && !last.ends_with('.') {
        return last.to_owned();
    }
    let base = if name.trim().is_empty() {
        "resource"
    } else {
        name.trim()
    };
    let extension = match mime.split(';').next().unwrap_or_default().trim() {
        "text/plain" => "txt",
        "text/markdown" => "md",
        "application/json" => "json",
        "text/html" => "html",
        "text/csv" => "csv",
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/gif" => "gif",
        "image/webp" => "webp",
        "application/pdf" => "pdf",
        _ => return base.to_owned(),
    };
    if base
        .to_ascii_lowercase()
        .ends_with(&format!(".{extension}"))
    {
        base.to_owned()
    } else {
        format!("{base}.{extension}")
    }
}

#[cfg(test)]
mod tests;

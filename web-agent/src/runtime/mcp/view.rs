//! A server's record as Settings shows it (the protocol's view, which knows nothing of
//! the store or of `ferry-mcp`): its state, its tools with their qualified names and
//! approval, its prompts and resources.

use super::names;
use crate::mcp::Way;
use crate::protocol::{
    McpPromptArgument, McpPromptView, McpResourceView, McpServerView, McpStatus, McpToolView,
    McpWay,
};
use crate::store::McpServer;

/// A server as Settings lists it.
pub(super) fn server_view(record: &McpServer) -> McpServerView {
    McpServerView {
        id: record.id.clone(),
        url: record.url.clone(),
        name: record.name.clone(),
        title: record.title.clone(),
        version: record.version.clone(),
        prefix: record.prefix.clone(),
        enabled: record.enabled,
        auth: record.auth,
        status: if record.enabled {
            record.status
        } else {
            McpStatus::Off
        },
        error: record.error.clone(),
        via: record.way.map(|way| match way {
            Way::Direct => McpWay::Direct,
            Way::Relay => McpWay::Relay,
        }),
        tools: record
            .tools
            .iter()
            .map(|tool| McpToolView {
                name: tool.name.clone(),
                qualified: names::qualified(&record.prefix, &tool.name),
                title: tool
                    .title
                    .clone()
                    .or_else(|| tool.annotations.title.clone()),
                description: tool.description.clone(),
                read_only: tool.annotations.read_only,
                destructive: tool.annotations.destructive,
                approval: record.approval(&tool.name),
            })
            .collect(),
        prompts: record
            .prompts
            .iter()
            .map(|prompt| McpPromptView {
                name: prompt.name.clone(),
                title: prompt.title.clone(),
                description: prompt.description.clone(),
                arguments: prompt
                    .arguments
                    .iter()
                    .map(|a| McpPromptArgument {
                        name: a.name.clone(),
                        description: a.description.clone(),
                        required: a.required,
                    })
                    .collect(),
            })
            .collect(),
        resources: record
            .resources
            .iter()
            .map(|r| McpResourceView {
                uri: r.uri.clone(),
                name: r.name.clone(),
                title: r.title.clone(),
                description: r.description.clone(),
                mime_type: r.mime_type.clone(),
            })
            .collect(),
    }
}

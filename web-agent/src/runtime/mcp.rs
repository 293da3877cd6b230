//! MCP servers at work: added (connected and listed), removed, switched globally or per
//! chat, their tokens sealed, their tools' approval settings, prompts and resources. One
//! connection per server is kept while the page lives, opened on first need through the
//! driver ([`crate::mcp`]): straight to the server first, else through the proxy's relay.
//!
//! | module | its job |
//! |---|---|
//! | [`servers`] | the server commands: add, remove, switch, token, approval, per chat |
//! | [`connections`] | connections kept and opened, listeners and their inboxes |
//! | [`prompts`] | prompts and resources read for the composer |
//! | [`view`] | a server as Settings shows it |
//! | [`turn`] | how the servers' tools take part in turns |
//! | [`names`] | servers' prefixes and tools' qualified names |

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use super::{Clock, Runtime};
use crate::mcp::{Connection, Endpoint, ListenHandle, Listing, Notice, Relay, Way};
use crate::protocol::{Command, ErrorKind, Event, McpStatus};
use crate::seams::{Tokenizer, Vault};
use crate::store::{McpServer, Store};
use crate::transport::Transport;

mod connections;
pub(super) mod names;
mod prompts;
mod servers;
pub(super) mod turn;
mod view;

use view::server_view;

/// What the runtime keeps of MCP servers between commands (in memory).
#[derive(Default)]
pub(crate) struct McpState {
    /// The open connections, by server id. A connection in use is taken out and put back.
    connections: RefCell<BTreeMap<String, Connection>>,
    /// Where each connected server's listener puts the notifications it hears.
    inboxes: RefCell<BTreeMap<String, Rc<RefCell<Vec<Notice>>>>>,
    /// Listeners to start (the page spawns them: [`Runtime::take_mcp_listeners`]).
    listeners: RefCell<Vec<McpListener>>,
    /// Bearer tokens, unsealed once.
    tokens: RefCell<BTreeMap<String, String>>,
    /// The declarations of the MCP tools the turn in progress offers.
    declarations: RefCell<Vec<ferry_core::wire::Tool>>,
}

/// What a server's listener (its standalone GET stream, [`crate::mcp::listen`]) needs,
/// owned, so the page can spawn it beside the runtime.
pub struct McpListener {
    pub server: String,
    pub url: String,
    pub bearer: Option<String>,
    /// The proxy's root, when there is one, and the user's access token for it.
    pub relay: Option<(String, Option<String>)>,
    pub way: Way,
    /// The session the stream belongs to.
    pub handle: ListenHandle,
    /// Ends the listener when the runtime drops its own handle (server removed or
    /// reconnected).
    pub inbox: Rc<RefCell<Vec<Notice>>>,
}

impl McpListener {
    pub fn endpoint(&self) -> Endpoint<'_> {
        Endpoint {
            url: &self.url,
            bearer: self.bearer.as_deref(),
            relay: self.relay.as_ref().map(|(root, token)| Relay {
                proxy_root: root,
                access_token: token.as_deref(),
            }),
            prefer: self.way,
        }
    }
}

/// A server's secret for a request: the bearer token, or the OAuth access token.
type Bearer = Option<String>;

impl<T: Transport, S: Store, V: Vault, C: Clock, K: Tokenizer> Runtime<T, S, V, C, K> {
    /// The MCP commands, each to its handler.
    pub(super) async fn mcp_command(
        &mut self,
        command: Command,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        match command {
            Command::AddMcpServer { url, token } => self.add_mcp_server(url, token, emit).await,
            Command::RemoveMcpServer { server } => self.remove_mcp_server(&server, emit).await,
            Command::SetMcpServer { server, enabled } => {
                self.set_mcp_server(&server, enabled, emit).await
            }
            Command::SetMcpToken { server, token } => self.set_mcp_token(server, token, emit).await,
            Command::RefreshMcpServer { server } => {
                let record = self.mcp_record(&server).await?;
                self.connect_mcp_server(record, emit).await
            }
            Command::SetMcpToolApproval {
                server,
                tool,
                approval,
            } => self.set_tool_approval(&server, &tool, approval, emit).await,
            Command::SetChatMcp {
                session,
                server,
                enabled,
            } => self.set_chat_mcp(&session, server, enabled, emit).await,
            Command::ListMcpServers => self.emit_mcp_servers(emit).await,
            Command::AuthorizeMcpServer {
                server,
                redirect_uri,
            } => {
                self.authorize_mcp_server(&server, &redirect_uri, emit)
                    .await
            }
            Command::CompleteMcpAuthorization { query } => {
                self.complete_mcp_authorization(&query, emit).await
            }
            Command::GetMcpPrompt {
                server,
                prompt,
                arguments,
            } => {
                self.get_mcp_prompt(&server, &prompt, &arguments, emit)
                    .await
            }
            Command::ReadMcpResource { server, uri } => {
                self.read_mcp_resource(&server, &uri, emit).await
            }
            // Not an MCP command: `handle` sends only these here.
            _ => Err(ErrorKind::InvalidRequest),
        }
    }

    /// Tells the UI the servers as they are now.
    pub(super) async fn emit_mcp_servers(
        &self,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        let servers = self.store.mcp_servers().await?;
        emit(Event::McpServers {
            servers: servers.iter().map(server_view).collect(),
        });
        Ok(())
    }

    /// The stored record of server `id`; an id the agent does not hold is refused.
    pub(super) async fn mcp_record(&self, id: &str) -> Result<McpServer, ErrorKind> {
        self.store
            .mcp_server(id)
            .await?
            .ok_or(ErrorKind::InvalidRequest)
    }
}

/// `record` updated from what its server listed: connected, and its offer as it is now.
pub(super) fn listed(record: &mut McpServer, listing: Listing) {
    let Listing {
        server,
        tools,
        prompts,
        resources,
    } = listing;
    record.name = server.name;
    record.title = server.title;
    record.version = server.version;
    record.tools = tools;
    record.prompts = prompts;
    record.resources = resources;
    record.status = McpStatus::Connected;
    record.error = None;
}

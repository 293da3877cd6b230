//! MCP servers at work: added (connected and listed), removed, switched globally or per
//! chat, their tokens sealed, their tools' approval settings, prompts and resources. One
//! connection per server is kept while the page lives, opened on first need through the
//! driver ([`crate::mcp`]): straight to the server first, else through the proxy's relay.
//! How their tools take part in turns is in [`turn`].

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use ferry_mcp::types::{Content, PromptMessages};

use super::{Clock, ClockTimer, Runtime};
use crate::mcp::{Connection, Endpoint, ListenHandle, Listing, McpFailure, Notice, Relay, Way};
use crate::protocol::{
    Command, ErrorKind, Event, McpAuth, McpPromptArgument, McpPromptView, McpResourceView,
    McpServerView, McpStatus, McpToolView, McpWay, ToolApproval,
};
use crate::seams::{Tokenizer, Vault};
use crate::store::{McpServer, Store};
use crate::transport::Transport;

pub(super) mod names;
pub(super) mod turn;

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
                let mut record = self.mcp_record(&server).await?;
                record.enabled = enabled;
                if !enabled {
                    self.drop_connection(&server);
                }
                self.store.put_mcp_server(&record).await?;
                self.emit_mcp_servers(emit).await
            }
            Command::SetMcpToken { server, token } => {
                let mut record = self.mcp_record(&server).await?;
                let token = token.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
                record.token = match &token {
                    Some(token) => Some(self.vault.seal(token).await?),
                    None => None,
                };
                if record.auth != McpAuth::Oauth {
                    record.auth = if token.is_some() {
                        McpAuth::Bearer
                    } else {
                        McpAuth::None
                    };
                }
                match token {
                    Some(token) => self.mcp.tokens.borrow_mut().insert(server.clone(), token),
                    None => self.mcp.tokens.borrow_mut().remove(&server),
                };
                self.store.put_mcp_server(&record).await?;
                self.connect_mcp_server(record, emit).await
            }
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
            } => {
                let mut chat = self
                    .session(&session)
                    .await?
                    .ok_or(ErrorKind::InvalidRequest)?;
                match enabled {
                    Some(on) => chat.mcp.insert(server, on),
                    None => chat.mcp.remove(&server),
                };
                self.store.put_session(&chat).await?;
                self.list(None, emit).await
            }
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

    pub(super) async fn set_tool_approval(
        &self,
        server: &str,
        tool: &str,
        approval: ToolApproval,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        let mut record = self.mcp_record(server).await?;
        record.approvals.insert(tool.to_owned(), approval);
        self.store.put_mcp_server(&record).await?;
        self.emit_mcp_servers(emit).await
    }

    async fn add_mcp_server(
        &mut self,
        url: String,
        token: Option<String>,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        let url = url.trim().to_owned();
        let token = token.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
        let mut failed = |message: String, unauthorized: bool| {
            emit(Event::McpServerFailed {
                server: None,
                url: url.clone(),
                message,
                unauthorized,
            });
        };
        let lower = url.to_ascii_lowercase();
        if !(lower.starts_with("https://") || lower.starts_with("http://")) || url.len() > 2048 {
            failed(
                "An MCP server's address starts with https:// (or http:// on this machine).".into(),
                false,
            );
            return Ok(());
        }
        let opened = self.open_mcp(&url, token.as_deref(), Way::Direct).await;
        let now = self.clock.now_ms();
        let others = self.store.mcp_servers().await?;
        let taken: Vec<&str> = others.iter().map(|s| s.prefix.as_str()).collect();
        let mut record = McpServer {
            id: self.clock.new_id(),
            url: url.clone(),
            name: names::host_of(&url),
            title: None,
            version: String::new(),
            prefix: String::new(),
            enabled: true,
            way: None,
            token: None,
            oauth: None,
            auth: McpAuth::None,
            status: McpStatus::Connected,
            error: None,
            tools: Vec::new(),
            prompts: Vec::new(),
            resources: Vec::new(),
            approvals: BTreeMap::new(),
            added_ms: now,
        };
        match opened {
            Ok((connection, listing)) => {
                if let Some(token) = &token {
                    record.token = Some(self.vault.seal(token).await?);
                    record.auth = McpAuth::Bearer;
                }
                record.way = Some(connection.way());
                listed(&mut record, listing);
                record.prefix = names::prefix_for(&record.name, &taken);
                self.store.put_mcp_server(&record).await?;
                if let Some(token) = token {
                    self.mcp
                        .tokens
                        .borrow_mut()
                        .insert(record.id.clone(), token);
                }
                self.keep_connection(&record, connection, None);
                self.emit_mcp_servers(emit).await
            }
            Err(McpFailure::Unauthorized { challenge }) if token.is_none() => {
                match self.discover_mcp_oauth(&url, challenge.as_deref()).await {
                    Ok(sealed) => {
                        record.oauth = Some(sealed);
                        record.auth = McpAuth::Oauth;
                        record.status = McpStatus::Unauthorized;
                        record.error = Some("Sign in to use this server.".into());
                        record.prefix = names::prefix_for(&record.name, &taken);
                        self.store.put_mcp_server(&record).await?;
                        self.emit_mcp_servers(emit).await
                    }
                    Err(message) => {
                        failed(message, true);
                        Ok(())
                    }
                }
            }
            Err(failure) => {
                let unauthorized = matches!(failure, McpFailure::Unauthorized { .. });
                failed(failure.to_string(), unauthorized);
                Ok(())
            }
        }
    }

    async fn remove_mcp_server(
        &mut self,
        id: &str,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        let record = self.mcp_record(id).await?;
        let connection = self.mcp.connections.borrow_mut().remove(id);
        if let Some(connection) = connection {
            // Best effort: the server may forget the session now rather than later.
            let bearer = self.mcp.tokens.borrow().get(id).cloned();
            let endpoint = self.endpoint(&record, bearer.as_deref());
            connection.close(&self.transport, &endpoint).await;
        }
        self.drop_connection(id);
        self.mcp.tokens.borrow_mut().remove(id);
        self.store.delete_mcp_server(id).await?;
        self.emit_mcp_servers(emit).await
    }

    /// Connects to `record`'s server anew (after a sign-in, a new token, a refresh) and
    /// lists what it offers; stored and shown either way, a failure also as
    /// [`Event::McpServerFailed`].
    pub(super) async fn connect_mcp_server(
        &mut self,
        mut record: McpServer,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        self.drop_connection(&record.id);
        let mut opened = self.open_with_secret(&mut record, false).await;
        // An OAuth access token the server refused: refreshed once, then tried again.
        if record.auth == McpAuth::Oauth
            && matches!(opened, Err((McpFailure::Unauthorized { .. }, None)))
        {
            opened = self.open_with_secret(&mut record, true).await;
        }
        match opened {
            Ok(((connection, listing), bearer)) => {
                let first = record.version.is_empty() && record.tools.is_empty();
                record.way = Some(connection.way());
                listed(&mut record, listing);
                if first {
                    // Kept until now under its address (signed in only now): named after
                    // what it says it is.
                    let others = self.store.mcp_servers().await?;
                    let taken: Vec<&str> = others
                        .iter()
                        .filter(|s| s.id != record.id)
                        .map(|s| s.prefix.as_str())
                        .collect();
                    record.prefix = names::prefix_for(&record.name, &taken);
                }
                self.store.put_mcp_server(&record).await?;
                self.keep_connection(&record, connection, bearer);
            }
            Err((failure, why)) => {
                let unauthorized = matches!(failure, McpFailure::Unauthorized { .. });
                record.status = if unauthorized {
                    McpStatus::Unauthorized
                } else {
                    McpStatus::Error
                };
                let message = why.unwrap_or_else(|| failure.to_string());
                record.error = Some(message.clone());
                self.store.put_mcp_server(&record).await?;
                emit(Event::McpServerFailed {
                    server: Some(record.id.clone()),
                    url: record.url.clone(),
                    message,
                    unauthorized,
                });
            }
        }
        self.emit_mcp_servers(emit).await
    }

    /// Opens `record`'s server with its secret. `Err` carries the failure and, when there
    /// was no usable token to send (an OAuth sign-in run out, its refresh refused), why:
    /// such a server needs a sign-in again, so it is unauthorized.
    async fn open_with_secret(
        &self,
        record: &mut McpServer,
        after_401: bool,
    ) -> Result<((Connection, Listing), Bearer), (McpFailure, Option<String>)> {
        let bearer = self
            .bearer(record, after_401)
            .await
            .map_err(|why| (McpFailure::Unauthorized { challenge: None }, Some(why)))?;
        let prefer = record.way.unwrap_or_default();
        self.open_mcp(&record.url, bearer.as_deref(), prefer)
            .await
            .map(|opened| (opened, bearer))
            .map_err(|failure| (failure, None))
    }

    /// The secret to send to `record`'s server: its bearer token (unsealed once), or a
    /// fresh OAuth access token (refreshed first when near expiry, or `after_401`).
    /// `Err`: an OAuth server with no usable token (sign in again).
    pub(super) async fn bearer(
        &self,
        record: &mut McpServer,
        after_401: bool,
    ) -> Result<Bearer, String> {
        match record.auth {
            McpAuth::Oauth => self.fresh_mcp_token(record, after_401).await.map(Some),
            McpAuth::None | McpAuth::Bearer => {
                if let Some(token) = self.mcp.tokens.borrow().get(&record.id) {
                    return Ok(Some(token.clone()));
                }
                let Some(sealed) = &record.token else {
                    return Ok(None);
                };
                let token = self
                    .vault
                    .open(sealed)
                    .await
                    .map_err(|_| "the server's token could not be unsealed".to_owned())?;
                self.mcp
                    .tokens
                    .borrow_mut()
                    .insert(record.id.clone(), token.clone());
                Ok(Some(token))
            }
        }
    }

    /// Where `record`'s server is and how to reach it: the proxy's relay when a proxy is
    /// configured.
    pub(super) fn endpoint<'a>(
        &'a self,
        record: &'a McpServer,
        bearer: Option<&'a str>,
    ) -> Endpoint<'a> {
        Endpoint {
            url: &record.url,
            bearer,
            relay: self.relay(),
            prefer: record.way.unwrap_or_default(),
        }
    }

    fn relay(&self) -> Option<Relay<'_>> {
        let root = self.settings.proxy_url.as_deref()?.trim_end_matches('/');
        Some(Relay {
            proxy_root: root,
            access_token: self.access_token.as_deref(),
        })
    }

    async fn open_mcp(
        &self,
        url: &str,
        bearer: Option<&str>,
        prefer: Way,
    ) -> Result<(Connection, Listing), McpFailure> {
        let endpoint = Endpoint {
            url,
            bearer,
            relay: self.relay(),
            prefer,
        };
        Connection::open(&self.transport, &ClockTimer(&self.clock), &endpoint).await
    }

    /// Keeps `connection` for `record`'s server, with a fresh inbox and a listener for the
    /// page to start (the old listener ends with the old inbox).
    fn keep_connection(&self, record: &McpServer, connection: Connection, bearer: Bearer) {
        let inbox = Rc::new(RefCell::new(Vec::new()));
        if let Some(handle) = connection.listen_handle() {
            let bearer = bearer.or_else(|| self.mcp.tokens.borrow().get(&record.id).cloned());
            self.mcp.listeners.borrow_mut().push(McpListener {
                server: record.id.clone(),
                url: record.url.clone(),
                bearer,
                relay: self
                    .relay()
                    .map(|r| (r.proxy_root.to_owned(), r.access_token.map(str::to_owned))),
                way: connection.way(),
                handle,
                inbox: Rc::clone(&inbox),
            });
        }
        self.mcp
            .inboxes
            .borrow_mut()
            .insert(record.id.clone(), inbox);
        self.mcp
            .connections
            .borrow_mut()
            .insert(record.id.clone(), connection);
    }

    /// Forgets the server's connection and ends its listener.
    fn drop_connection(&self, id: &str) {
        self.mcp.connections.borrow_mut().remove(id);
        self.mcp.inboxes.borrow_mut().remove(id);
    }

    /// The open connection to `record`'s server, opened now if there is none (its listing
    /// then stored anew). Take it back with [`Self::put_back`].
    pub(super) async fn take_connection(
        &self,
        record: &mut McpServer,
        bearer: Option<&str>,
    ) -> Result<Connection, McpFailure> {
        let kept = self.mcp.connections.borrow_mut().remove(&record.id);
        if let Some(connection) = kept {
            return Ok(connection);
        }
        let (connection, listing) = self
            .open_mcp(&record.url, bearer, record.way.unwrap_or_default())
            .await?;
        record.way = Some(connection.way());
        listed(record, listing);
        // What changed is kept; a failure to store it changes nothing for this call.
        let _ = self.store.put_mcp_server(record).await;
        let inbox_missing = !self.mcp.inboxes.borrow().contains_key(&record.id);
        if inbox_missing {
            self.keep_connection(record, connection, bearer.map(str::to_owned));
            let kept = self.mcp.connections.borrow_mut().remove(&record.id);
            return kept.ok_or_else(|| McpFailure::Protocol("connection lost".into()));
        }
        Ok(connection)
    }

    pub(super) fn put_back(&self, id: &str, connection: Connection) {
        self.mcp
            .connections
            .borrow_mut()
            .insert(id.to_owned(), connection);
    }

    /// Listeners to start for servers connected since the last call: the page spawns each
    /// ([`crate::mcp::listen`]) and the runtime reads their inboxes before model calls.
    pub fn take_mcp_listeners(&self) -> Vec<McpListener> {
        std::mem::take(&mut *self.mcp.listeners.borrow_mut())
    }

    /// Servers whose listener heard that their lists changed: listed again, stored, shown.
    pub(super) async fn drain_mcp_inboxes(&self, emit: &mut impl FnMut(Event)) {
        let changed: BTreeSet<String> = self
            .mcp
            .inboxes
            .borrow()
            .iter()
            .filter_map(|(id, inbox)| {
                let notices = std::mem::take(&mut *inbox.borrow_mut());
                (!notices.is_empty()).then(|| id.clone())
            })
            .collect();
        let mut any = false;
        for id in changed {
            let Ok(Some(mut record)) = self.store.mcp_server(&id).await else {
                continue;
            };
            let Ok(bearer) = self.bearer(&mut record, false).await else {
                continue;
            };
            let Ok(mut connection) = self.take_connection(&mut record, bearer.as_deref()).await
            else {
                continue;
            };
            let endpoint = self.endpoint(&record, bearer.as_deref());
            let listing = connection
                .refresh_listing(&self.transport, &ClockTimer(&self.clock), &endpoint)
                .await;
            // Notices seen in the answers themselves are acted on now too.
            connection.take_notifications();
            self.put_back(&id, connection);
            if let Ok(listing) = listing {
                listed(&mut record, listing);
                any |= self.store.put_mcp_server(&record).await.is_ok();
            }
        }
        if any {
            let _ = self.emit_mcp_servers(emit).await;
        }
    }

    async fn get_mcp_prompt(
        &self,
        server: &str,
        prompt: &str,
        arguments: &BTreeMap<String, String>,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        let mut record = self.mcp_record(server).await?;
        let answer = self
            .with_connection(&mut record, async |rt, connection, endpoint| {
                connection
                    .get_prompt(
                        &rt.transport,
                        &ClockTimer(&rt.clock),
                        endpoint,
                        prompt,
                        arguments,
                    )
                    .await
            })
            .await;
        match answer {
            Ok(messages) => emit(Event::McpPrompt {
                server: server.to_owned(),
                prompt: prompt.to_owned(),
                text: prompt_text(&messages),
            }),
            Err(failure) => emit(failed_event(&record, &failure)),
        }
        Ok(())
    }

    async fn read_mcp_resource(
        &self,
        server: &str,
        uri: &str,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        let mut record = self.mcp_record(server).await?;
        let answer = self
            .with_connection(&mut record, async |rt, connection, endpoint| {
                connection
                    .read_resource(&rt.transport, &ClockTimer(&rt.clock), endpoint, uri)
                    .await
            })
            .await;
        let contents = match answer {
            Ok(contents) => contents,
            Err(failure) => {
                emit(failed_event(&record, &failure));
                return Ok(());
            }
        };
        let listed = record.resources.iter().find(|r| r.uri == uri);
        let Some(first) = contents.into_iter().next() else {
            emit(failed_event(
                &record,
                &McpFailure::Protocol(format!("the resource {uri} is empty")),
            ));
            return Ok(());
        };
        let name = listed
            .map(|r| r.name.clone())
            .unwrap_or_else(|| names::last_segment(uri));
        let mime_type = first
            .mime_type
            .or_else(|| listed.and_then(|r| r.mime_type.clone()))
            .unwrap_or_else(|| {
                if first.text.is_some() {
                    "text/plain".into()
                } else {
                    "application/octet-stream".into()
                }
            });
        emit(Event::McpResource {
            server: server.to_owned(),
            uri: uri.to_owned(),
            name,
            mime_type,
            text: first.text,
            blob: first.blob,
        });
        Ok(())
    }

    /// Runs `exchange` on `record`'s connection (opened if need be), with its secret; an
    /// OAuth server that answers 401 gets one refreshed token and one more try, and is
    /// marked unauthorized after that.
    pub(super) async fn with_connection<R>(
        &self,
        record: &mut McpServer,
        mut exchange: impl AsyncFnMut(&Self, &mut Connection, &Endpoint<'_>) -> Result<R, McpFailure>,
    ) -> Result<R, McpFailure> {
        let mut after_401 = false;
        loop {
            let bearer = self
                .bearer(record, after_401)
                .await
                .map_err(|_| McpFailure::Unauthorized { challenge: None })?;
            let mut connection = self.take_connection(record, bearer.as_deref()).await?;
            let endpoint = self.endpoint(record, bearer.as_deref());
            let answer = exchange(self, &mut connection, &endpoint).await;
            let way = connection.way();
            self.put_back(&record.id, connection);
            if record.way != Some(way) {
                record.way = Some(way);
                let _ = self.store.put_mcp_server(record).await;
            }
            match answer {
                Err(McpFailure::Unauthorized { .. })
                    if record.auth == McpAuth::Oauth && !after_401 =>
                {
                    after_401 = true;
                }
                Err(McpFailure::Unauthorized { challenge }) => {
                    record.status = McpStatus::Unauthorized;
                    record.error =
                        Some("The server asks to sign in (or for a token) again.".into());
                    let _ = self.store.put_mcp_server(record).await;
                    self.drop_connection(&record.id);
                    return Err(McpFailure::Unauthorized { challenge });
                }
                answer => return answer,
            }
        }
    }
}

/// `record` updated from what its server listed: connected, and its offer as it is now.
fn listed(record: &mut McpServer, listing: Listing) {
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

fn failed_event(record: &McpServer, failure: &McpFailure) -> Event {
    Event::McpServerFailed {
        server: Some(record.id.clone()),
        url: record.url.clone(),
        message: failure.to_string(),
        unauthorized: matches!(failure, McpFailure::Unauthorized { .. }),
    }
}

/// A prompt's messages as the composer's text: each message's text, what is not text as a
/// note, blank lines between.
fn prompt_text(prompt: &PromptMessages) -> String {
    prompt
        .messages
        .iter()
        .map(|message| match &message.content {
            Content::Image { mime_type, .. } => format!("[image ({mime_type}) not inserted]"),
            part => ferry_mcp::content::part_text(part).unwrap_or_default(),
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

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

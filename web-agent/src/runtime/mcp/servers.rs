//! The server commands: adding a server (connected and listed, or kept as needing a
//! sign-in), removing it (its session ended), switching it on or off globally or per chat,
//! its bearer token (sealed, kept unsealed in memory), each tool's approval, and connecting
//! anew with the server's secret.

use std::collections::BTreeMap;

use super::{Bearer, listed, names};
use crate::mcp::{Connection, Listing, McpFailure, Way};
use crate::protocol::{ErrorKind, Event, McpAuth, McpStatus, ToolApproval};
use crate::runtime::{Clock, Runtime};
use crate::seams::{Tokenizer, Vault};
use crate::store::{McpServer, Store};
use crate::transport::Transport;

impl<T: Transport, S: Store, V: Vault, C: Clock, K: Tokenizer> Runtime<T, S, V, C, K> {
    /// Switches server `id` on or off for every chat; off also drops its connection.
    pub(super) async fn set_mcp_server(
        &mut self,
        id: &str,
        enabled: bool,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        let mut record = self.mcp_record(id).await?;
        record.enabled = enabled;
        if !enabled {
            self.drop_connection(id);
        }
        self.store.put_mcp_server(&record).await?;
        self.emit_mcp_servers(emit).await
    }

    /// Seals server `id`'s bearer token (none: forgotten) and connects with it.
    pub(super) async fn set_mcp_token(
        &mut self,
        server: String,
        token: Option<String>,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
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

    /// Server `server` on or off in chat `session` (`None`: as set globally).
    pub(super) async fn set_chat_mcp(
        &mut self,
        session: &str,
        server: String,
        enabled: Option<bool>,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        let mut chat = self
            .session(session)
            .await?
            .ok_or(ErrorKind::InvalidRequest)?;
        match enabled {
            Some(on) => chat.mcp.insert(server, on),
            None => chat.mcp.remove(&server),
        };
        self.store.put_session(&chat).await?;
        self.list(None, emit).await
    }

    pub(in crate::runtime) async fn set_tool_approval(
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

    pub(super) async fn add_mcp_server(
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

    pub(super) async fn remove_mcp_server(
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
    pub(in crate::runtime) async fn connect_mcp_server(
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
    pub(in crate::runtime) async fn bearer(
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
}

//! Connecting and listening: one connection per server while the page lives, opened on
//! first need (straight to the server first, else through the proxy's relay) and put back
//! after each use; a fresh inbox and a listener for the page to start with each; the
//! inboxes read before model calls, a changed list read again; a 401 from an OAuth server
//! answered with one refreshed token.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;

use super::{Bearer, McpListener, listed};
use crate::mcp::{Connection, Endpoint, Listing, McpFailure, Relay, Way};
use crate::protocol::{Event, McpAuth, McpStatus};
use crate::runtime::{Clock, ClockTimer, Runtime};
use crate::seams::{Tokenizer, Vault};
use crate::store::{McpServer, Store};
use crate::transport::Transport;

impl<T: Transport, S: Store, V: Vault, C: Clock, K: Tokenizer> Runtime<T, S, V, C, K> {
    /// Where `record`'s server is and how to reach it: the proxy's relay when a proxy is
    /// configured.
    pub(in crate::runtime) fn endpoint<'a>(
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

    pub(super) async fn open_mcp(
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
    pub(super) fn keep_connection(
        &self,
        record: &McpServer,
        connection: Connection,
        bearer: Bearer,
    ) {
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
    pub(super) fn drop_connection(&self, id: &str) {
        self.mcp.connections.borrow_mut().remove(id);
        self.mcp.inboxes.borrow_mut().remove(id);
    }

    /// The open connection to `record`'s server, opened now if there is none (its listing
    /// then stored anew). Take it back with [`Self::put_back`].
    pub(in crate::runtime) async fn take_connection(
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

    pub(in crate::runtime) fn put_back(&self, id: &str, connection: Connection) {
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
    pub(in crate::runtime) async fn drain_mcp_inboxes(&self, emit: &mut impl FnMut(Event)) {
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

    /// Runs `exchange` on `record`'s connection (opened if need be), with its secret; an
    /// OAuth server that answers 401 gets one refreshed token and one more try, and is
    /// marked unauthorized after that.
    pub(in crate::runtime) async fn with_connection<R>(
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

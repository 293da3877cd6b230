//! [`Connection`]: one MCP server's session at work — open, calls raced against their
//! deadline and the user's Stop, a forgotten session initialized again, lists read page by
//! page, close.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::pin::pin;

use ferry_mcp::policy::{Deadline, RequestKind};
use ferry_mcp::session::Session;
use ferry_mcp::types::{
    CallResult, Page, PromptMessages, ReadResult, ResourceContents, ServerInfo,
};
use futures_util::future::{Either, select};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::exchange::{self, Fault, Watch};
use super::{
    Endpoint, ListenHandle, Listing, McpFailure, Notice, Progress, Seams, Stopped, Timer, Way,
};
use crate::transport::Transport;

/// One server's session and the way that reaches it.
#[derive(Debug)]
pub struct Connection {
    session: Session,
    way: Way,
    server: Option<ServerInfo>,
    notices: Vec<Notice>,
}

/// At most this many pages of one list are read.
const MAX_PAGES: usize = 50;
/// How long the best-effort `notifications/cancelled` may take.
const CANCEL_TIMEOUT_MS: u64 = 5_000;

/// Why a raced request ended.
enum Ended<R> {
    Done(R),
    TimedOut,
    Stopped,
}

/// Never resolves: the stop signal of a request the user cannot stop.
struct NeverStopped;

impl Stopped for NeverStopped {
    async fn stopped(&self) {
        std::future::pending::<()>().await;
    }
}

/// Sleeps until `deadline` (which progress may move) has passed.
async fn expiry<C: Timer>(timer: &C, deadline: &Cell<Deadline>) {
    loop {
        let left = deadline.get().remaining_ms(timer.now_ms());
        if left == 0 {
            return;
        }
        timer.sleep(left).await;
    }
}

fn unreadable(what: &str, error: impl std::fmt::Display) -> McpFailure {
    McpFailure::Protocol(format!("{what}: {error}"))
}

impl Connection {
    /// Connects: `initialize`, `notifications/initialized`, then the tools, prompts and
    /// resources the server offers (every page).
    pub async fn open<T: Transport, C: Timer>(
        transport: &T,
        timer: &C,
        endpoint: &Endpoint<'_>,
    ) -> Result<(Self, Listing), McpFailure> {
        let seams = Seams::new(transport, timer, endpoint);
        let mut connection = Self {
            session: Session::new(endpoint.url),
            way: endpoint.prefer,
            server: None,
            notices: Vec::new(),
        };
        connection.handshake(seams).await?;
        let listing = connection
            .refresh_listing(transport, timer, endpoint)
            .await?;
        Ok((connection, listing))
    }

    /// The way that worked.
    pub fn way(&self) -> Way {
        self.way
    }

    /// The session id the server gave, if any.
    pub fn session_id(&self) -> Option<&str> {
        self.session.session_id()
    }

    /// What the standalone GET stream needs ([`listen`]); `None` without a session.
    pub fn listen_handle(&self) -> Option<ListenHandle> {
        ListenHandle::of(&self.session)
    }

    /// `initialize` and `notifications/initialized`.
    async fn handshake<T: Transport, C: Timer>(
        &mut self,
        seams: Seams<'_, T, C>,
    ) -> Result<ServerInfo, McpFailure> {
        let Seams {
            transport,
            endpoint,
            ..
        } = seams;
        let (id, text) = self.session.initialize();
        let (headers, result) = self
            .raced(
                seams,
                &id,
                &text,
                RequestKind::Plain,
                None,
                &mut |_| {},
                &NeverStopped,
            )
            .await
            .map_err(|fault| match fault {
                Fault::SessionGone => McpFailure::Http {
                    status: 404,
                    message: "the server forgot the session it is starting".into(),
                },
                Fault::Failed(failure) => failure,
            })?;
        let server = self
            .session
            .initialized_by(&headers, &result)
            .map_err(|e| McpFailure::Protocol(e.to_string()))?;
        let note = self.session.initialized();
        exchange::notify(transport, endpoint, &self.session, &mut self.way, note)
            .await
            .map_err(|fault| match fault {
                Fault::SessionGone => McpFailure::Protocol("the session ended at once".into()),
                Fault::Failed(failure) => failure,
            })?;
        self.server = Some(server.clone());
        Ok(server)
    }

    /// Request `id` raced against its deadline and `stop`; a timed-out or stopped request is
    /// cancelled on the server.
    #[expect(
        clippy::too_many_arguments,
        reason = "the seams and the request, each needed"
    )]
    async fn raced<T: Transport, C: Timer>(
        &mut self,
        seams: Seams<'_, T, C>,
        id: &ferry_mcp::jsonrpc::RequestId,
        text: &str,
        kind: RequestKind,
        token: Option<&Value>,
        on_progress: &mut dyn FnMut(Progress),
        stop: &impl Stopped,
    ) -> Result<(Vec<(String, String)>, Value), Fault> {
        let timer = seams.timer;
        let deadline = Cell::new(Deadline::new(kind, timer.now_ms()));
        let ended = {
            let mut watch = Watch {
                token,
                on_progress,
                deadline: &deadline,
                notices: &mut self.notices,
            };
            let work = pin!(exchange::request(
                seams,
                &self.session,
                &mut self.way,
                id,
                text,
                &mut watch,
            ));
            let limit = pin!(expiry(timer, &deadline));
            let stopped = pin!(stop.stopped());
            match select(work, select(limit, stopped)).await {
                Either::Left((result, _)) => Ended::Done(result),
                Either::Right((Either::Left(_), _)) => Ended::TimedOut,
                Either::Right((Either::Right(_), _)) => Ended::Stopped,
            }
        };
        let (failure, reason) = match ended {
            Ended::Done(result) => return result,
            Ended::TimedOut => (McpFailure::Timeout, "timed out"),
            Ended::Stopped => (McpFailure::Stopped, "stopped by the user"),
        };
        self.cancel(seams, id, reason).await;
        Err(Fault::Failed(failure))
    }

    /// `notifications/cancelled` for request `id`, best effort and briefly.
    async fn cancel<T: Transport, C: Timer>(
        &mut self,
        seams: Seams<'_, T, C>,
        id: &ferry_mcp::jsonrpc::RequestId,
        reason: &str,
    ) {
        let Seams {
            transport,
            timer,
            endpoint,
        } = seams;
        let note = self.session.cancelled(id, reason);
        let sent = pin!(exchange::notify(
            transport,
            endpoint,
            &self.session,
            &mut self.way,
            note
        ));
        let limit = pin!(timer.sleep(CANCEL_TIMEOUT_MS));
        let _ = select(sent, limit).await;
    }

    /// A request's result; a forgotten session is initialized again once and the request
    /// sent again.
    async fn call<T: Transport, C: Timer>(
        &mut self,
        seams: Seams<'_, T, C>,
        method: &str,
        params: Option<Value>,
        kind: RequestKind,
        on_progress: &mut dyn FnMut(Progress),
        stop: &impl Stopped,
    ) -> Result<Value, McpFailure> {
        let mut fresh = false;
        loop {
            let (id, text, token) = match (&params, kind) {
                (Some(params), RequestKind::ToolCall) => {
                    // The progress token is the request's own id: unique in the session.
                    let mut params = params.clone();
                    let id = self.session.next_id();
                    let token = json!(format!("ferry-{id}"));
                    if let Some(map) = params.as_object_mut() {
                        map.insert("_meta".into(), json!({"progressToken": token}));
                    }
                    let text = ferry_mcp::jsonrpc::request(&id, method, Some(&params));
                    (id, text, Some(token))
                }
                _ => {
                    let (id, text) = self.session.request(method, params.as_ref());
                    (id, text, None)
                }
            };
            match self
                .raced(seams, &id, &text, kind, token.as_ref(), on_progress, stop)
                .await
            {
                Ok((_, result)) => return Ok(result),
                Err(Fault::SessionGone) if !fresh => {
                    fresh = true;
                    self.handshake(seams).await?;
                }
                Err(Fault::SessionGone) => {
                    return Err(McpFailure::Http {
                        status: 404,
                        message: "the server forgot the session again".into(),
                    });
                }
                Err(Fault::Failed(failure)) => return Err(failure),
            }
        }
    }

    async fn plain<T: Transport, C: Timer, R: DeserializeOwned>(
        &mut self,
        seams: Seams<'_, T, C>,
        method: &str,
        params: Option<Value>,
    ) -> Result<R, McpFailure> {
        let result = self
            .call(
                seams,
                method,
                params,
                RequestKind::Plain,
                &mut |_| {},
                &NeverStopped,
            )
            .await?;
        serde_json::from_value(result).map_err(|e| unreadable(method, e))
    }

    /// Every page of a list.
    async fn list_all<T: Transport, C: Timer, R: DeserializeOwned>(
        &mut self,
        seams: Seams<'_, T, C>,
        method: &str,
    ) -> Result<Vec<R>, McpFailure> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let params = cursor.as_ref().map(|c| json!({"cursor": c}));
            let page: Page<R> = self.plain(seams, method, params).await?;
            items.extend(page.items);
            match page.next_cursor {
                Some(next) if !next.is_empty() => cursor = Some(next),
                _ => break,
            }
        }
        Ok(items)
    }

    /// Calls a tool. Progress goes to `on_progress`; Stop sends `notifications/cancelled`
    /// (best effort) and answers [`McpFailure::Stopped`].
    #[expect(
        clippy::too_many_arguments,
        reason = "the seams and the call, each needed"
    )]
    pub async fn call_tool<T: Transport, C: Timer>(
        &mut self,
        transport: &T,
        timer: &C,
        endpoint: &Endpoint<'_>,
        tool: &str,
        arguments: Value,
        on_progress: &mut impl FnMut(Progress),
        stop: &impl Stopped,
    ) -> Result<CallResult, McpFailure> {
        let seams = Seams::new(transport, timer, endpoint);
        let params = json!({"name": tool, "arguments": arguments});
        let result = self
            .call(
                seams,
                "tools/call",
                Some(params),
                RequestKind::ToolCall,
                on_progress,
                stop,
            )
            .await?;
        serde_json::from_value(result).map_err(|e| unreadable("tools/call", e))
    }

    /// `prompts/get`.
    pub async fn get_prompt<T: Transport, C: Timer>(
        &mut self,
        transport: &T,
        timer: &C,
        endpoint: &Endpoint<'_>,
        name: &str,
        arguments: &BTreeMap<String, String>,
    ) -> Result<PromptMessages, McpFailure> {
        let seams = Seams::new(transport, timer, endpoint);
        let params = json!({"name": name, "arguments": arguments});
        self.plain(seams, "prompts/get", Some(params)).await
    }

    /// `resources/read`.
    pub async fn read_resource<T: Transport, C: Timer>(
        &mut self,
        transport: &T,
        timer: &C,
        endpoint: &Endpoint<'_>,
        uri: &str,
    ) -> Result<Vec<ResourceContents>, McpFailure> {
        let seams = Seams::new(transport, timer, endpoint);
        let params = json!({"uri": uri});
        let read: ReadResult = self.plain(seams, "resources/read", Some(params)).await?;
        Ok(read.contents)
    }

    /// Lists tools, prompts and resources again (after a `list_changed`): only the lists
    /// the server said it has.
    pub async fn refresh_listing<T: Transport, C: Timer>(
        &mut self,
        transport: &T,
        timer: &C,
        endpoint: &Endpoint<'_>,
    ) -> Result<Listing, McpFailure> {
        let seams = Seams::new(transport, timer, endpoint);
        let server = match &self.server {
            Some(server) => server.clone(),
            None => self.handshake(seams).await?,
        };
        let offers = &server.capabilities;
        let tools = match offers.tools {
            Some(_) => self.list_all(seams, "tools/list").await?,
            None => Vec::new(),
        };
        let prompts = match offers.prompts {
            Some(_) => self.list_all(seams, "prompts/list").await?,
            None => Vec::new(),
        };
        let resources = match offers.resources {
            Some(_) => self.list_all(seams, "resources/list").await?,
            None => Vec::new(),
        };
        Ok(Listing {
            server: self.server.clone().unwrap_or(server),
            tools,
            prompts,
            resources,
        })
    }

    /// The notifications seen in any stream since the last call.
    pub fn take_notifications(&mut self) -> Vec<Notice> {
        std::mem::take(&mut self.notices)
    }

    /// Ends the session (DELETE), best effort.
    pub async fn close<T: Transport>(&self, transport: &T, endpoint: &Endpoint<'_>) {
        let Some(request) = self.session.terminate(endpoint.bearer) else {
            return;
        };
        let mut way = self.way;
        if let Ok(mut answer) = exchange::send(transport, endpoint, &mut way, &request).await {
            let _ = crate::transport::read_all(&mut answer.body).await;
        }
    }
}

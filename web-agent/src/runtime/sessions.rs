//! Session commands: the app's first load, create, open, list and search, rename, delete,
//! name automatically.

use super::{Clock, Runtime};
use crate::protocol::{ChatParams, ErrorKind, Event, SessionId, SessionView};
use crate::seams::{Tokenizer, Vault};
use crate::store::{Session, Store, StoredMessage};
use crate::transport::Transport;

/// The title of a session nobody has named yet.
const NEW_TITLE: &str = "New chat";

/// A session's title from its first question: its first line, at most 48 characters.
pub fn auto_title(text: &str) -> String {
    let line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    let mut title: String = line.chars().take(48).collect();
    if line.chars().count() > 48 {
        title = format!("{}…", title.trim_end());
    }
    if title.is_empty() {
        NEW_TITLE.to_owned()
    } else {
        title
    }
}

impl<T: Transport, S: Store, V: Vault, C: Clock, K: Tokenizer> Runtime<T, S, V, C, K> {
    /// A new, empty session; returns its id.
    pub async fn new_session(&self) -> Result<SessionId, ErrorKind> {
        let now = self.clock.now_ms();
        let session = Session {
            id: self.clock.new_id(),
            title: NEW_TITLE.to_owned(),
            created_ms: now,
            updated_ms: now,
            params: ChatParams::default(),
            cost_usd: None,
            mcp: Default::default(),
            head: None,
            fallbacks: None,
        };
        self.store.put_session(&session).await?;
        Ok(session.id)
    }

    /// Creates a session and tells its id.
    pub(super) async fn create_session(
        &self,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        let session = self.new_session().await?;
        emit(Event::SessionCreated { session });
        Ok(())
    }

    /// At the app's start: what the agent holds, the sessions, then the settings synced
    /// from the user's other devices.
    pub(super) async fn load(&mut self, emit: &mut impl FnMut(Event)) -> Result<(), ErrorKind> {
        emit(self.ready());
        // What Settings lists of MCP servers.
        self.emit_mcp_servers(emit).await?;
        let listed = self.list(None, emit).await;
        // Settings changed on another device arrive after the first paint of these.
        if self.sign_in.is_some() {
            self.sync_settings(emit).await;
        }
        listed
    }

    /// Opens `session` for the UI, with the tool call it waits on, if any.
    pub(super) async fn open(
        &self,
        session: SessionId,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        let opened = self.open_session(session.clone(), emit).await;
        self.show_paused(&session, emit);
        opened
    }

    /// The session's path (its branch shown), each message's versions, and where the
    /// compaction of that path cut it, for the UI to show.
    async fn open_session(
        &self,
        session: SessionId,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        let (all, head) = self.branches(&session).await?;
        let path: Vec<StoredMessage> = crate::tree::Tree::new(&all)
            .path(head.as_deref())
            .into_iter()
            .cloned()
            .collect();
        let first_kept = self
            .path_compaction(&session, path.iter().map(|m| m.id.as_str()))
            .await?
            .map(|c| c.first_kept);
        let messages = self.branch_views(&all, path).await?;
        emit(Event::SessionOpened {
            session,
            messages,
            first_kept,
        });
        Ok(())
    }

    /// The sessions, newest first; with `query`, those whose title, messages (of any
    /// branch) or attached files' names contain it, each with its first matching message.
    pub(super) async fn list(
        &self,
        query: Option<&str>,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        let mut sessions = self.store.sessions().await?;
        if let Some(query) = query
            .map(str::to_lowercase)
            .filter(|q| !q.trim().is_empty())
        {
            let mut matching = Vec::new();
            for session in sessions {
                let hit = self.search_hit(&session.id, &query).await?;
                if hit.is_some() || session.title.to_lowercase().contains(&query) {
                    let mut view = SessionView::from(session);
                    view.hit = hit;
                    matching.push(view);
                }
            }
            matching.sort_by_key(|s| std::cmp::Reverse(s.updated_ms));
            emit(Event::Sessions { sessions: matching });
            return Ok(());
        }
        sessions.sort_by_key(|s| std::cmp::Reverse(s.updated_ms));
        emit(Event::Sessions {
            sessions: sessions.into_iter().map(Into::into).collect(),
        });
        Ok(())
    }

    /// Deletes `session` (and a turn paused in it), then lists the sessions left.
    pub(super) async fn delete_session(
        &mut self,
        session: &str,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        self.forget_paused(session);
        self.store.delete_session(session).await?;
        // Its attachments no other chat has, and any never sent.
        self.free_blobs(None).await?;
        self.list(None, emit).await
    }

    /// Sets one chat's own parameters (whole), then lists the sessions, this one as it is
    /// now. Values no provider takes are refused and nothing changes.
    pub(super) async fn set_chat_params(
        &self,
        id: &str,
        params: ChatParams,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        if !super::settings::valid_params(&params) {
            return Err(ErrorKind::InvalidRequest);
        }
        let mut session = self.session(id).await?.ok_or(ErrorKind::InvalidRequest)?;
        session.params = params;
        self.store.put_session(&session).await?;
        self.list(None, emit).await
    }

    /// Keeps the chat's cost, the sum of its answers' costs, on its record (so listing
    /// the chats reads no messages): after each turn, which is when answers come and go.
    pub(super) async fn sum_cost(&self, id: &str) -> Result<(), ErrorKind> {
        let Some(mut session) = self.session(id).await? else {
            return Ok(());
        };
        let cost = self
            .history(id)
            .await?
            .iter()
            .filter_map(|m| m.cost_usd)
            .fold(None, |sum: Option<f64>, cost| {
                Some(sum.unwrap_or(0.0) + cost)
            });
        if cost != session.cost_usd {
            session.cost_usd = cost;
            self.store.put_session(&session).await?;
        }
        Ok(())
    }

    /// The stored record of session `id`, if there is one.
    pub(super) async fn session(&self, id: &str) -> Result<Option<Session>, ErrorKind> {
        self.store.session(id).await.map_err(ErrorKind::from)
    }

    pub(super) async fn rename(
        &self,
        id: &str,
        title: String,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        let Some(mut session) = self.session(id).await? else {
            return Err(ErrorKind::InvalidRequest);
        };
        session.title = title.trim().to_owned();
        session.updated_ms = self.clock.now_ms();
        self.store.put_session(&session).await?;
        self.list(None, emit).await
    }

    /// Names an untitled session after its first question, and marks it as just used.
    pub(super) async fn touch(&self, id: &str, first_text: Option<&str>) -> Result<(), ErrorKind> {
        let now = self.clock.now_ms();
        let mut session = self.session(id).await?.unwrap_or(Session {
            id: id.to_owned(),
            title: String::new(),
            created_ms: now,
            updated_ms: now,
            params: ChatParams::default(),
            cost_usd: None,
            mcp: Default::default(),
            head: None,
            fallbacks: None,
        });
        if let Some(text) =
            first_text.filter(|_| session.title.is_empty() || session.title == NEW_TITLE)
        {
            session.title = auto_title(text);
        }
        session.updated_ms = now;
        self.store
            .put_session(&session)
            .await
            .map_err(ErrorKind::from)
    }
}

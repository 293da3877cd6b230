//! Branches of a chat: the path a session shows (root to its head), switching to another
//! version of a message, a branch copied into a new chat, and the views that tell the app
//! which messages have versions. The tree itself is [`crate::tree`].

use super::{Clock, Runtime};
use crate::compaction::Compaction;
use crate::protocol::{ErrorKind, Event, MessageView, SessionId};
use crate::seams::{Tokenizer, Vault};
use crate::store::{CompactionRecord, Session, Store, StoredMessage};
use crate::transport::Transport;
use crate::tree::{self, Tree};

/// What a branch copied into a new chat is called: the chat's title and this.
const BRANCH_SUFFIX: &str = " (branch)";

impl<T: Transport, S: Store, V: Vault, C: Clock, K: Tokenizer> Runtime<T, S, V, C, K> {
    /// Every message of `session`, of every branch, and the head the session names. A chat
    /// stored before branches (no parents, no head) is read as one branch.
    pub(super) async fn branches(
        &self,
        session: &str,
    ) -> Result<(Vec<StoredMessage>, Option<String>), ErrorKind> {
        let mut messages = self.history(session).await?;
        let head = self.session(session).await?.and_then(|s| s.head);
        if head.is_none() && tree::is_linear(&messages) {
            tree::linearize(&mut messages);
        }
        Ok((messages, head))
    }

    /// The conversation of `session` as shown and sent: the path from the root to its head.
    pub(super) async fn path(&self, session: &str) -> Result<Vec<StoredMessage>, ErrorKind> {
        let (messages, head) = self.branches(session).await?;
        let tree = Tree::new(&messages);
        Ok(tree.path(head.as_deref()).into_iter().cloned().collect())
    }

    /// The head of `session`'s path (the last message shown), if it has messages.
    pub(super) async fn head(&self, session: &str) -> Result<Option<String>, ErrorKind> {
        Ok(self.path(session).await?.last().map(|m| m.id.clone()))
    }

    /// Makes `id` the head of `session` (nothing is written when it is already).
    pub(super) async fn set_head(&self, session: &str, id: Option<&str>) -> Result<(), ErrorKind> {
        let Some(mut record) = self.session(session).await? else {
            return Ok(());
        };
        if record.head.as_deref() != id {
            record.head = id.map(str::to_owned);
            self.store.put_session(&record).await?;
        }
        Ok(())
    }

    /// The compaction that applies to `path` (the ids root to head), if any.
    pub(super) async fn path_compaction<'p>(
        &self,
        session: &str,
        path: impl IntoIterator<Item = &'p str>,
    ) -> Result<Option<Compaction>, ErrorKind> {
        let compactions = self.store.compactions(session).await?;
        let path: Vec<&str> = path.into_iter().collect();
        Ok(tree::compaction_of(&path, compactions))
    }

    /// Shows the branch holding `message`: its newest leaf becomes the head.
    pub(super) async fn switch_branch(
        &self,
        session: SessionId,
        message: &str,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        let (messages, _) = self.branches(&session).await?;
        let tree = Tree::new(&messages);
        let leaf = tree.leaf_under(message).ok_or(ErrorKind::InvalidRequest)?;
        self.set_head(&session, Some(&leaf.id)).await?;
        self.open(session, emit).await
    }

    /// Opens `session` on the branch holding `message` (a search hit): the branch shown
    /// stays when it holds it already.
    pub(super) async fn open_at(
        &self,
        session: SessionId,
        message: &str,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        let (messages, head) = self.branches(&session).await?;
        let tree = Tree::new(&messages);
        let shown = tree.path(head.as_deref()).iter().any(|m| m.id == message);
        if !shown && let Some(leaf) = tree.leaf_under(message) {
            self.set_head(&session, Some(&leaf.id)).await?;
        }
        self.open(session, emit).await
    }

    /// "Branch into a new chat": a new chat holding a copy of the path from the root to
    /// `message` (new ids, the same content and files, the summary that applies to it),
    /// with the chat's own settings; then it is listed and opened.
    pub(super) async fn branch_session(
        &self,
        session: &str,
        message: &str,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        let source = self
            .session(session)
            .await?
            .ok_or(ErrorKind::InvalidRequest)?;
        let (messages, _) = self.branches(session).await?;
        let tree = Tree::new(&messages);
        let path = tree.path_to(message);
        if path.is_empty() {
            return Err(ErrorKind::InvalidRequest);
        }
        let now = self.clock.now_ms();
        let id = self.clock.new_id();
        let mut copies: Vec<StoredMessage> = Vec::with_capacity(path.len());
        for (seq, original) in (0u64..).zip(&path) {
            copies.push(StoredMessage {
                id: self.clock.new_id(),
                session: id.clone(),
                seq,
                parent: copies.last().map(|m| m.id.clone()),
                ..(*original).clone()
            });
        }
        let compaction = self
            .path_compaction(session, path.iter().map(|m| m.id.as_str()))
            .await?;
        let branch = Session {
            id: id.clone(),
            title: format!("{}{BRANCH_SUFFIX}", source.title),
            created_ms: now,
            updated_ms: now,
            head: copies.last().map(|m| m.id.clone()),
            ..source
        };
        self.store.put_session(&branch).await?;
        for copy in &copies {
            self.store.put_message(copy).await?;
        }
        if let Some(mut compaction) = compaction {
            let kept = path.iter().position(|m| m.id == compaction.first_kept);
            if let Some(copy) = kept.and_then(|at| copies.get(at)) {
                compaction.first_kept = copy.id.clone();
                self.store
                    .put_compaction(&CompactionRecord::new(&id, compaction))
                    .await?;
            }
        }
        self.sum_cost(&id).await?;
        emit(Event::SessionCreated {
            session: id.clone(),
        });
        self.list(None, emit).await?;
        self.open(id, emit).await
    }

    /// The views of `path`'s messages, each with its parent and, when it has other
    /// versions, its siblings (read from every message of the session).
    pub(super) async fn branch_views(
        &self,
        all: &[StoredMessage],
        path: Vec<StoredMessage>,
    ) -> Result<Vec<MessageView>, ErrorKind> {
        let tree = Tree::new(all);
        let mut views = self.message_views(path).await?;
        for view in &mut views {
            view.parent = tree.parent(&view.id).map(|p| p.id.clone());
            let siblings = tree.siblings(&view.id);
            if siblings.len() > 1 {
                view.siblings = siblings.into_iter().map(|m| m.id.clone()).collect();
            }
        }
        Ok(views)
    }

    /// The first message of `session`, in any branch, whose text or attached files'
    /// names contain `query` (lower case).
    pub(super) async fn search_hit(
        &self,
        session: &str,
        query: &str,
    ) -> Result<Option<String>, ErrorKind> {
        let hit = self.history(session).await?.into_iter().find(|m| {
            m.message.text_content().to_lowercase().contains(query)
                || m.attachments
                    .iter()
                    .any(|a| a.name.to_lowercase().contains(query))
        });
        Ok(hit.map(|m| m.id))
    }
}

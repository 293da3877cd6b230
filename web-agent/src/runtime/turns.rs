//! Turns: a message sent, regenerated, edited and resent, or retried becomes a [`Turn`]
//! whose effects are carried out here — model calls, tools, saves, events — until it
//! finishes, fails (kept for Retry) or waits for an approval. Stop ends it.

use std::collections::{BTreeMap, VecDeque};

use ferry_core::wire::{Message, Role};

use super::stream::Draft;
use super::{Clock, Runtime};
use crate::agent::{Effect, Input, Turn};
use crate::compaction;
use crate::protocol::{AttachmentView, ErrorKind, Event, SessionId};
use crate::seams::{Tokenizer, Vault};
use crate::store::{Attachment, Store, StoredMessage};
use crate::transport::Transport;
use crate::tree::Tree;

impl<T: Transport, S: Store, V: Vault, C: Clock, K: Tokenizer> Runtime<T, S, V, C, K> {
    /// Stops the turn paused on an approval in `session`, or else the turn in progress.
    pub(super) async fn stop_turn(
        &mut self,
        session: &str,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        match self.stop_paused(session, emit).await {
            Some(stopped) => stopped,
            None => {
                // A turn in progress watches the handle; nothing else to stop.
                self.stop.stop();
                Ok(())
            }
        }
    }

    pub(super) async fn send(
        &mut self,
        session: SessionId,
        text: String,
        attachments: Vec<AttachmentView>,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        // Before anything is stored: an attachment the agent does not hold refuses it all.
        let attachments = match self.resolve(&attachments).await {
            Ok(attachments) => attachments,
            Err(refused) => {
                emit(Event::Error {
                    session: Some(session),
                    kind: refused.kind,
                    message: refused.message,
                });
                return Ok(());
            }
        };
        let mut history = self.path(&session).await?;
        let title = match (text.trim().is_empty(), attachments.first()) {
            (true, Some(first)) => first.name.clone(),
            _ => text.clone(),
        };
        let first = history.is_empty().then_some(title.as_str());
        self.touch(&session, first).await?;
        let user = Message::text(Role::User, text);
        let stored = StoredMessage {
            id: self.clock.new_id(),
            session: session.clone(),
            seq: next_seq(&self.history(&session).await?),
            parent: history.last().map(|m| m.id.clone()),
            message: user,
            partial: false,
            created_ms: self.clock.now_ms(),
            cost_usd: None,
            usage: None,
            tool_ok: None,
            attachments,
            answered_by: None,
        };
        let saved = self.put(stored, emit).await?;
        // Sent: from now on the message keeps its blobs.
        for id in crate::store::referenced([&saved]) {
            self.pending.borrow_mut().remove(&id);
        }
        history.push(saved);
        self.answer(session, history, emit).await
    }

    /// Answers a user message again — the last one shown, or the one `message` is or
    /// answers — as a new version of its answer: the old answer stays, a sibling.
    pub(super) async fn regenerate(
        &mut self,
        session: SessionId,
        message: Option<&str>,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        let (messages, head) = self.branches(&session).await?;
        let tree = Tree::new(&messages);
        let path = match message {
            Some(id) => tree.path_to(id),
            None => tree.path(head.as_deref()),
        };
        let user = path
            .iter()
            .rposition(|m| m.message.role == Role::User)
            .ok_or(ErrorKind::InvalidRequest)?;
        let history: Vec<StoredMessage> = path[..=user].iter().map(|m| (*m).clone()).collect();
        self.set_head(&session, history.last().map(|m| m.id.as_str()))
            .await?;
        // The app shows the branch the new answer streams into.
        self.open(session.clone(), emit).await?;
        self.answer(session, history, emit).await
    }

    /// A new version of a user message — a sibling of it, its attachments kept — answered
    /// anew; the old version and everything that followed it stay.
    pub(super) async fn edit_and_resend(
        &mut self,
        session: SessionId,
        message: &str,
        text: String,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        let (messages, _) = self.branches(&session).await?;
        let tree = Tree::new(&messages);
        let mut history: Vec<StoredMessage> = tree.path_to(message).into_iter().cloned().collect();
        let edited = history
            .pop()
            .filter(|m| m.message.role == Role::User)
            .ok_or(ErrorKind::InvalidRequest)?;
        let version = StoredMessage {
            id: self.clock.new_id(),
            seq: next_seq(&messages),
            message: Message::text(Role::User, text),
            partial: false,
            created_ms: self.clock.now_ms(),
            ..edited
        };
        let saved = self.put(version, emit).await?;
        history.push(saved);
        self.touch(&session, None).await?;
        self.open(session.clone(), emit).await?;
        self.answer(session, history, emit).await
    }

    /// Runs a turn answering the session's path — `history`, root to the session's head,
    /// already read — whose last message is the user's. Only that path is sent.
    pub(super) async fn answer(
        &mut self,
        session: SessionId,
        history: Vec<StoredMessage>,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        let seq = next_seq(&self.history(&session).await?);
        let mut gate = self.gate(&session, &history);
        gate.mcp = self.mcp_turn_tools(&session).await?;
        let entries = self.entries(history).await?;
        let compaction = self.compact(&session, &entries, emit).await?;
        let system = Some(self.settings.system_prompt.as_str()).filter(|s| !s.is_empty());
        // Only what is sent is read: the attachments from the compaction's cut on.
        let from = compaction::first_sent(&entries, compaction.as_ref());
        let sent = self.expand(&entries, from).await?;
        let context = compaction::context(system, &sent, compaction.as_ref());
        let (turn, effects) = Turn::start(session.clone(), context, self.settings.max_rounds, gate);
        // A Stop pressed since the command arrived (while it saved, counted or compacted)
        // still stops this turn; one that comes after it has ended is dropped.
        let outcome = self.drive(session, turn, effects, seq, emit).await;
        self.stop.take();
        // After the turn, not during it: usage never slows an answer.
        self.flush_usage().await;
        outcome
    }

    pub(super) async fn retry(
        &mut self,
        session: SessionId,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        let Some((failed_session, mut turn)) = self.failed.take() else {
            return Err(ErrorKind::InvalidRequest);
        };
        if failed_session != session {
            self.failed = Some((failed_session, turn));
            return Err(ErrorKind::InvalidRequest);
        }
        // The same tools as the first try (the gate keeps their settings).
        self.mcp_turn_tools(&session).await?;
        // The answer the failed call had begun is kept; the new one is its sibling.
        let path = self.path(&session).await?;
        if let Some(begun) = path
            .last()
            .filter(|m| m.partial && m.message.role == Role::Assistant)
        {
            self.set_head(&session, begun.parent.as_deref()).await?;
        }
        let effects = turn.retry();
        let seq = next_seq(&self.history(&session).await?);
        let outcome = self.drive(session, turn, effects, seq, emit).await;
        self.stop.take();
        // After the turn, not during it: usage never slows an answer.
        self.flush_usage().await;
        outcome
    }

    /// Saves the answer `draft` stands for as `message`, with the call's usage and cost.
    pub(super) async fn save_answer(
        &self,
        session: &str,
        draft: &Draft,
        message: &Message,
        partial: bool,
        emit: &mut impl FnMut(Event),
    ) -> Result<StoredMessage, ErrorKind> {
        let stored = StoredMessage {
            id: draft.id.clone(),
            session: session.to_owned(),
            seq: draft.seq,
            parent: draft.parent.clone(),
            message: message.clone(),
            partial,
            created_ms: self.clock.now_ms(),
            cost_usd: draft.usage.and_then(|u| u.cost),
            usage: draft.usage,
            tool_ok: None,
            attachments: Vec::new(),
            answered_by: draft.answered_by.clone(),
        };
        self.put(stored, emit).await
    }

    /// Saves a message of the session's path: it becomes the head.
    async fn put(
        &self,
        stored: StoredMessage,
        emit: &mut impl FnMut(Event),
    ) -> Result<StoredMessage, ErrorKind> {
        self.store.put_message(&stored).await?;
        self.set_head(&stored.session, Some(&stored.id)).await?;
        if !stored.partial {
            emit(Event::MessageSaved {
                session: stored.session.clone(),
                message: stored.id.clone(),
            });
        }
        Ok(stored)
    }

    /// Carries out a turn's effects, feeding what they bring back into the turn, until it
    /// finishes or fails. Messages it saves take places from `next_seq` on.
    pub(super) async fn drive(
        &mut self,
        session: SessionId,
        mut turn: Turn,
        effects: Vec<Effect>,
        mut next_seq: u64,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        // A turn's fallback chain starts at its first link.
        self.fallback.reset();
        let mut place = || {
            next_seq += 1;
            next_seq - 1
        };
        let mut queue = VecDeque::new();
        enqueue(&mut queue, effects);
        let mut draft: Option<Draft> = None;
        // The message the next one saved follows: the path grows from the head.
        let mut tip = self.head(&session).await?;
        // The images MCP tools returned, by call: kept on the tool's message and shown.
        let mut files: BTreeMap<String, (Vec<Attachment>, Vec<AttachmentView>)> = BTreeMap::new();
        while let Some(effect) = queue.pop_front() {
            match effect {
                Effect::CallModel { messages } => {
                    // Servers whose tools changed are listed again (for the next turn).
                    self.drain_mcp_inboxes(emit).await;
                    let seq = place();
                    let mut next = Draft::new(self.clock.new_id(), seq, self.clock.now_ms());
                    next.parent.clone_from(&tip);
                    draft = Some(next);
                    let inputs = self
                        .call_model(&session, &mut turn, messages, &mut draft, emit)
                        .await?;
                    enqueue(&mut queue, inputs);
                }
                // Carried out as it was queued (see `enqueue`).
                Effect::CancelModel => {}
                Effect::RunTool {
                    call_id,
                    name,
                    arguments,
                } if turn.mcp_tool(&name).is_some() => {
                    let Some(tool) = turn.mcp_tool(&name).cloned() else {
                        continue;
                    };
                    let run = self
                        .run_mcp_tool(&session, &call_id, &tool, &arguments, emit)
                        .await;
                    // Stopped: the Stop below answers the call and ends the turn.
                    if !run.stopped {
                        if let Some(images) = run.images {
                            turn.after_results(images);
                        }
                        if !run.attachments.is_empty() {
                            files.insert(call_id.clone(), (run.attachments, run.views));
                        }
                        let done = turn.step(Input::ToolDone {
                            call_id,
                            output: run.output,
                            ok: run.ok,
                        });
                        enqueue(&mut queue, done);
                    }
                }
                Effect::RunTool {
                    call_id,
                    name,
                    arguments,
                } => {
                    let (output, ok) = match self.run_tool(&name, &arguments).await {
                        Ok(output) => (output, true),
                        Err(output) => (output, false),
                    };
                    let done = turn.step(Input::ToolDone {
                        call_id,
                        output,
                        ok,
                    });
                    enqueue(&mut queue, done);
                }
                Effect::Save {
                    message,
                    stopped,
                    tool_ok,
                } => match (message.role, draft.take()) {
                    (Role::Assistant, Some(d)) => {
                        self.save_answer(&session, &d, &message, stopped, emit)
                            .await?;
                        tip = Some(d.id);
                    }
                    (role, kept) => {
                        draft = kept;
                        let attachments = match (role, &message.tool_call_id) {
                            (Role::Tool, Some(call)) => {
                                files.get(call).map(|(a, _)| a.clone()).unwrap_or_default()
                            }
                            _ => Vec::new(),
                        };
                        let (id, seq) = (self.clock.new_id(), place());
                        let stored = StoredMessage {
                            id: id.clone(),
                            session: session.clone(),
                            seq,
                            parent: tip.replace(id),
                            message,
                            partial: stopped,
                            created_ms: self.clock.now_ms(),
                            cost_usd: None,
                            usage: None,
                            tool_ok,
                            attachments,
                            answered_by: None,
                        };
                        self.put(stored, emit).await?;
                    }
                },
                Effect::Emit(Event::ToolCallFinished {
                    session,
                    call_id,
                    output,
                    ok,
                    attachments,
                }) => {
                    let attachments = match files.get(&call_id) {
                        Some((_, views)) => views.clone(),
                        None => attachments,
                    };
                    emit(Event::ToolCallFinished {
                        session,
                        call_id,
                        output,
                        ok,
                        attachments,
                    });
                }
                Effect::Emit(event) => emit(event),
            }
            if self.stop.take() && !turn.is_finished() {
                enqueue(&mut queue, turn.step(Input::Stop));
            }
        }
        let summed = self.sum_cost(&session).await;
        if turn.is_awaiting_approval() {
            // Until the user decides (ApproveToolCall) or stops.
            self.approvals.paused = Some(turn);
        } else if !turn.is_finished() {
            self.failed = Some((session, turn));
        }
        summed
    }
}

/// Queues a turn's `effects`, carrying out a [`Effect::CancelModel`] at once: the model
/// call it cancels may be queued ahead of it (the next round, asked for as the last tool
/// finished) and is dropped unmade; a call whose answer was being read has stopped
/// already, as [`Runtime::stream`] stops reading on Stop.
fn enqueue(queue: &mut VecDeque<Effect>, effects: Vec<Effect>) {
    for effect in effects {
        match effect {
            Effect::CancelModel => queue.retain(|e| !matches!(e, Effect::CallModel { .. })),
            effect => queue.push_back(effect),
        }
    }
}

/// The place after the last of `history` (every branch's messages, in order).
pub(super) fn next_seq(history: &[StoredMessage]) -> u64 {
    history.last().map_or(0, |m| m.seq + 1)
}

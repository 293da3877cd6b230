//! Tool calls that wait for the user: the turn paused on them, the user's decision carried
//! back into it, and the grants kept ("allow in this chat" in memory, per session; "always
//! allow" with the settings).

use std::collections::{BTreeMap, BTreeSet};

use super::turns::next_seq;
use super::{Clock, Runtime};
use crate::agent::{Input, Turn};
use crate::approval::{Decision, Facts, Gate, Grants};
use crate::protocol::{Command, ErrorKind, Event, SessionId, ToolApproval};
use crate::seams::{Tokenizer, Vault};
use crate::store::{Store, StoredMessage};
use crate::transport::Transport;

/// Whether `command` starts a new turn, before which a paused one ends.
pub(super) fn starts_a_turn(command: &Command) -> bool {
    matches!(
        command,
        Command::SendMessage { .. }
            | Command::Regenerate { .. }
            | Command::EditAndResend { .. }
            | Command::Retry { .. }
    )
}

/// What approvals keep between commands.
#[derive(Default)]
pub(super) struct Approvals {
    /// The turn waiting for the user to approve a tool call.
    pub(super) paused: Option<Turn>,
    /// Tools allowed "in this chat", per session (in memory: they end with the page).
    chat_grants: BTreeMap<SessionId, BTreeSet<String>>,
}

impl<T: Transport, S: Store, V: Vault, C: Clock, K: Tokenizer> Runtime<T, S, V, C, K> {
    /// What the approval policy sees for a turn in `session`: the facts of its stored
    /// messages (all of them, also those a compaction sends as a summary) and the grants.
    pub(super) fn gate(&self, session: &str, history: &[StoredMessage]) -> Gate {
        Gate {
            facts: Facts::from_messages(history.iter().map(|m| &m.message)),
            grants: Grants {
                always: self.settings.always_allow.iter().cloned().collect(),
                in_chat: self
                    .approvals
                    .chat_grants
                    .get(session)
                    .cloned()
                    .unwrap_or_else(BTreeSet::new),
            },
            // The turn adds its MCP tools ([`Runtime::mcp_turn_tools`]).
            mcp: BTreeMap::new(),
        }
    }

    /// The user decided on a waiting call: the grant is kept, and the turn goes on.
    pub(super) async fn approve(
        &mut self,
        session: SessionId,
        call_id: String,
        decision: Decision,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        let turn = self
            .approvals
            .paused
            .as_ref()
            .filter(|turn| turn.session() == session);
        let tool = turn
            .and_then(|turn| turn.tool_of(&call_id))
            .map(str::to_owned)
            .ok_or(ErrorKind::InvalidRequest)?;
        let mcp = turn.and_then(|turn| turn.mcp_tool(&tool)).cloned();
        let effective = match &mcp {
            Some(mcp) if mcp.approval == ToolApproval::Chat && decision == Decision::AllowOnce => {
                Decision::AllowInChat
            }
            _ => decision,
        };
        match effective {
            // An MCP tool's "always" is its setting on the server.
            Decision::AlwaysAllow if mcp.is_some() => {
                if let Some(mcp) = &mcp {
                    self.set_tool_approval(&mcp.server_id, &mcp.tool, ToolApproval::Always, emit)
                        .await?;
                }
            }
            Decision::AllowInChat => {
                self.approvals
                    .chat_grants
                    .entry(session.clone())
                    .or_default()
                    .insert(tool);
            }
            Decision::AlwaysAllow if !self.settings.always_allow.contains(&tool) => {
                self.settings.always_allow.push(tool);
                let settings =
                    serde_json::to_value(&self.settings).map_err(|_| ErrorKind::Storage)?;
                // Kept in this browser only: grants are not among the settings synced to
                // the user's other devices.
                self.store.put_settings(&settings).await?;
            }
            _ => {}
        }
        self.resume(session, Input::Approval { call_id, decision }, emit)
            .await
    }

    /// Stop while a turn waits for approval: every call is answered, the turn ends.
    /// `false` when no turn of `session` is paused.
    pub(super) async fn stop_paused(
        &mut self,
        session: &str,
        emit: &mut impl FnMut(Event),
    ) -> Option<Result<(), ErrorKind>> {
        if self
            .approvals
            .paused
            .as_ref()
            .is_none_or(|t| t.session() != session)
        {
            return None;
        }
        // The handle may have been pressed too; this Stop is the one that counts.
        self.stop.take();
        Some(self.resume(session.to_owned(), Input::Stop, emit).await)
    }

    /// Ends a paused turn, if any, as Stop would: before another turn starts.
    pub(super) async fn end_paused(&mut self, emit: &mut impl FnMut(Event)) {
        let Some(session) = self
            .approvals
            .paused
            .as_ref()
            .map(|t| t.session().to_owned())
        else {
            return;
        };
        if let Err(kind) = self.resume(session.clone(), Input::Stop, emit).await {
            emit(Event::Error {
                session: Some(session),
                kind,
                message: format!("{kind:?}"),
            });
        }
    }

    /// A deleted session's paused turn is dropped (nothing of it is saved).
    pub(super) fn forget_paused(&mut self, session: &str) {
        if self
            .approvals
            .paused
            .as_ref()
            .is_some_and(|t| t.session() == session)
        {
            self.approvals.paused = None;
        }
        self.approvals.chat_grants.remove(session);
    }

    /// The approvals still awaited in `session`, told again (its chat was opened anew).
    pub(super) fn show_paused(&self, session: &str, emit: &mut impl FnMut(Event)) {
        if let Some(turn) = self
            .approvals
            .paused
            .as_ref()
            .filter(|t| t.session() == session)
        {
            for request in turn.approval_requests() {
                emit(request);
            }
        }
    }

    /// Feeds `input` to the paused turn of `session` and carries on with it.
    async fn resume(
        &mut self,
        session: SessionId,
        input: Input,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        let Some(mut turn) = self.approvals.paused.take_if(|t| t.session() == session) else {
            return Err(ErrorKind::InvalidRequest);
        };
        let effects = turn.step(input);
        let seq = next_seq(&self.history(&session).await?);
        let outcome = self.drive(session, turn, effects, seq, emit).await;
        self.stop.take();
        // After the turn, not during it: usage never slows an answer.
        self.flush_usage().await;
        outcome
    }
}

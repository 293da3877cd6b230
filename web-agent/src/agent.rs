//! The agent loop as a state machine: a [`Turn`] takes [`Input`]s (chunks of the model's
//! answer, tool results, the user's Stop) and returns [`Effect`]s (call the model, run a
//! tool, save a message, tell the UI) for the runtime to carry out. No I/O here, so the
//! whole loop is tested natively with scripted inputs.
//!
//! One user turn: send the context → stream the answer → if it asks for tools, run them and
//! send their results → again, at most `max_rounds` model calls → done. Stop at any moment
//! keeps what has arrived, marked stopped, and leaves a transcript the model can read later
//! (every tool call answered).
//!
//! Each tool call passes the approval policy ([`crate::approval`]) first: a call it lets
//! run becomes [`Effect::RunTool`]; any other is announced with
//! [`Event::ToolApprovalRequested`] and waits, and the turn pauses once nothing else is
//! left to do, until an [`Input::Approval`] (or Stop) comes. A declined call is answered
//! with [`DECLINED_TOOL_OUTPUT`], so the model carries on knowing why. A call of a tool
//! that does not exist is neither run nor asked about: it fails at once (`ok: false`),
//! and the model reads which tools there are.
//!
//! The answer keeps the model's thinking as it streams ([`Event::ThinkingDelta`]):
//! `reasoning_content` to show, and the opaque `reasoning_details` merged by index. Both
//! stay on the stored message and go back to the model in the next round as they came;
//! core's adapters pick out the details of their own provider.

use ferry_core::wire::{ChatChunk, Message, Role, ToolCall};

use crate::approval::{Decision, Gate, Verdict};
use crate::protocol::{ErrorKind, Event, SessionId};
use crate::tools;
use answer::Answer;

/// The answer texts of a tool call the user stopped or declined: the app recognises them.
pub use ferry_protocol::{DECLINED_TOOL_OUTPUT, STOPPED_TOOL_OUTPUT};

#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// A streamed chunk of the model's answer.
    Chunk(ChatChunk),
    /// The answer is complete (`[DONE]`).
    AnswerEnded,
    /// The model call failed, every way it could be made.
    CallFailed {
        kind: ErrorKind,
        message: String,
    },
    ToolDone {
        call_id: String,
        output: String,
        ok: bool,
    },
    /// The user's answer to a call waiting for approval.
    Approval {
        call_id: String,
        decision: Decision,
    },
    Stop,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Call the model with these messages (the runtime routes and streams it).
    CallModel {
        messages: Vec<Message>,
    },
    /// Abort the model call in flight, or asked for and not made yet.
    CancelModel,
    RunTool {
        call_id: String,
        name: String,
        arguments: String,
    },
    /// Store a message of the turn; `stopped` marks a partial answer. On a tool result,
    /// `tool_ok` says whether the tool succeeded (kept with it, so a reopened chat shows
    /// a failed call as failed).
    Save {
        message: Message,
        stopped: bool,
        tool_ok: Option<bool>,
    },
    Emit(Event),
}

#[derive(Debug, Clone, PartialEq)]
enum Phase {
    Calling,
    RunningTools {
        /// Calls not answered yet.
        waiting: Vec<String>,
        /// Those of them waiting for the user's approval.
        asking: Vec<String>,
    },
    /// The call failed; [`Turn::retry`] calls again.
    Failed,
    Finished,
}

/// One user turn in progress.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    session: SessionId,
    /// What the model sees: the context it was started with and this turn's messages.
    messages: Vec<Message>,
    answer: Answer,
    /// Tool results of the current round, each with whether the tool succeeded.
    results: Vec<(Message, bool)>,
    rounds: u32,
    max_rounds: u32,
    phase: Phase,
    /// The current round's tool calls, in the model's order.
    round: Vec<ToolCall>,
    /// What the approval policy looks at; the turn adds to its facts as it goes.
    gate: Gate,
    /// Messages to send right after this round's tool results (the images MCP tools
    /// returned, as a user message).
    after_results: Vec<Message>,
}

impl Turn {
    /// Starts a turn on `context` (system prompt, history, and the user's new message);
    /// `gate` holds what the session says about where tool calls come from, and the user's
    /// grants.
    pub fn start(
        session: SessionId,
        context: Vec<Message>,
        max_rounds: u32,
        gate: Gate,
    ) -> (Self, Vec<Effect>) {
        let turn = Self {
            session,
            messages: context,
            answer: Answer::default(),
            results: Vec::new(),
            rounds: 1,
            max_rounds: max_rounds.max(1),
            phase: Phase::Calling,
            round: Vec::new(),
            gate,
            after_results: Vec::new(),
        };
        let effects = vec![turn.call()];
        (turn, effects)
    }

    pub fn is_finished(&self) -> bool {
        self.phase == Phase::Finished
    }

    pub fn session(&self) -> &str {
        &self.session
    }

    /// Whether the turn waits for the user to approve a tool call.
    pub fn is_awaiting_approval(&self) -> bool {
        matches!(&self.phase, Phase::RunningTools { asking, .. } if !asking.is_empty())
    }

    /// The tool named in call `call_id` of the current round.
    pub fn tool_of(&self, call_id: &str) -> Option<&str> {
        self.round
            .iter()
            .find(|c| c.id == call_id)
            .map(|c| c.function.name.as_str())
    }

    /// The MCP tool the model calls `name` in this turn, if it is one.
    pub fn mcp_tool(&self, name: &str) -> Option<&crate::approval::McpTool> {
        self.gate.mcp.get(name)
    }

    /// A message to send after this round's tool results, not stored (the images a tool
    /// returned: the tool's message keeps them as attachments).
    pub fn after_results(&mut self, message: Message) {
        self.after_results.push(message);
    }

    /// The requests for the approvals still awaited (to show them again, in a reopened chat).
    pub fn approval_requests(&self) -> Vec<Event> {
        let Phase::RunningTools { asking, .. } = &self.phase else {
            return Vec::new();
        };
        self.round
            .iter()
            .filter(|c| asking.contains(&c.id))
            .map(|c| self.approval_request(c))
            .collect()
    }

    fn approval_request(&self, call: &ToolCall) -> Event {
        Event::ToolApprovalRequested {
            session: self.session.clone(),
            call_id: call.id.clone(),
            name: call.function.name.clone(),
            subject: self
                .gate
                .subject(&call.function.name, &call.function.arguments),
        }
    }

    fn call(&self) -> Effect {
        Effect::CallModel {
            messages: self.messages.clone(),
        }
    }

    /// The answer being streamed, as the turn names it (`round-<n>`); the runtime, which
    /// stores it, tells the UI its stored id instead.
    fn answer_id(&self) -> String {
        format!("round-{}", self.rounds)
    }

    fn emit(&self, event: impl FnOnce(SessionId) -> Event) -> Effect {
        Effect::Emit(event(self.session.clone()))
    }

    fn finish(&mut self, stopped: bool, effects: &mut Vec<Effect>) {
        self.phase = Phase::Finished;
        effects.push(self.emit(|session| Event::TurnFinished { session, stopped }));
    }

    /// Calls the model again after a failure (the user's Retry).
    pub fn retry(&mut self) -> Vec<Effect> {
        if self.phase != Phase::Failed {
            return Vec::new();
        }
        self.phase = Phase::Calling;
        self.answer = Answer::default();
        vec![self.call()]
    }

    pub fn step(&mut self, input: Input) -> Vec<Effect> {
        let mut effects = Vec::new();
        match (&mut self.phase, input) {
            (Phase::Calling, Input::Chunk(chunk)) => {
                let added = self.answer.absorb(&chunk);
                if let Some(text) = added.thinking {
                    effects.push(Effect::Emit(Event::ThinkingDelta {
                        session: self.session.clone(),
                        message: self.answer_id(),
                        text: text.to_owned(),
                    }));
                }
                if let Some(text) = added.text {
                    effects.push(Effect::Emit(Event::Delta {
                        session: self.session.clone(),
                        message: self.answer_id(),
                        text: text.to_owned(),
                    }));
                }
            }
            (Phase::Calling, Input::AnswerEnded) => self.answered(&mut effects),
            (Phase::Calling, Input::CallFailed { kind, message }) => {
                self.phase = Phase::Failed;
                effects.push(self.emit(|session| Event::Error {
                    session: Some(session),
                    kind,
                    message,
                }));
            }
            (
                Phase::RunningTools { .. },
                Input::ToolDone {
                    call_id,
                    output,
                    ok,
                },
            ) => self.tool_done(call_id, output, ok, &mut effects),
            (Phase::RunningTools { .. }, Input::Approval { call_id, decision }) => {
                self.approved(call_id, decision, &mut effects);
            }
            (Phase::Calling, Input::Stop) => {
                effects.push(Effect::CancelModel);
                let message = std::mem::take(&mut self.answer).without_calls();
                effects.push(Effect::Save {
                    message,
                    stopped: true,
                    tool_ok: None,
                });
                self.finish(true, &mut effects);
            }
            (Phase::RunningTools { waiting, .. }, Input::Stop) => {
                self.after_results.clear();
                for call_id in std::mem::take(waiting) {
                    let mut result = Message::text(Role::Tool, STOPPED_TOOL_OUTPUT);
                    result.tool_call_id = Some(call_id);
                    effects.push(Effect::Save {
                        message: result,
                        stopped: true,
                        tool_ok: Some(false),
                    });
                }
                self.finish(true, &mut effects);
            }
            (Phase::Failed, Input::Stop) => self.finish(true, &mut effects),
            // Late chunks after a stop, a result for a call not waited on: nothing to do.
            _ => {}
        }
        effects
    }

    /// The model finished a round: either the final answer, or tool calls to run.
    fn answered(&mut self, effects: &mut Vec<Effect>) {
        let answer = std::mem::take(&mut self.answer);
        let calls = answer.calls();
        let message = answer.into_message();
        self.messages.push(message.clone());
        effects.push(Effect::Save {
            message,
            stopped: false,
            tool_ok: None,
        });
        if calls.is_empty() {
            self.finish(false, effects);
            return;
        }
        self.results.clear();
        let mut asking = Vec::new();
        let mut unknown = Vec::new();
        for call in &calls {
            effects.push(self.emit(|session| {
                Event::ToolCallStarted {
                    session,
                    call_id: call.id.clone(),
                    name: call.function.name.clone(),
                    arguments: call.function.arguments.clone(),
                    server: self
                        .gate
                        .mcp
                        .get(&call.function.name)
                        .map(|t| t.server.clone()),
                    tool: self
                        .gate
                        .mcp
                        .get(&call.function.name)
                        .map(|t| t.tool.clone()),
                }
            }));
            if !self.gate.knows(&call.function.name) {
                // Nothing to run or to ask about: it fails, and the model reads why.
                unknown.push((call.id.clone(), tools::no_such_tool(&call.function.name)));
                continue;
            }
            match self
                .gate
                .verdict(&call.function.name, &call.function.arguments)
            {
                Verdict::Run => effects.push(run(call)),
                Verdict::Ask => {
                    asking.push(call.id.clone());
                    effects.push(Effect::Emit(self.approval_request(call)));
                }
            }
        }
        self.phase = Phase::RunningTools {
            waiting: calls.iter().map(|c| c.id.clone()).collect(),
            asking,
        };
        self.round = calls;
        for (call_id, output) in unknown {
            self.tool_done(call_id, output, false, effects);
        }
    }

    /// A tool answered (or was declined): keep its result; the last one ends the round.
    fn tool_done(&mut self, call_id: String, output: String, ok: bool, effects: &mut Vec<Effect>) {
        let Phase::RunningTools { waiting, asking } = &mut self.phase else {
            return;
        };
        // Not waited on, or not approved yet: nothing to do.
        let Some(at) = waiting.iter().position(|id| *id == call_id) else {
            return;
        };
        if asking.contains(&call_id) {
            return;
        }
        waiting.remove(at);
        let done = waiting.is_empty();
        if ok && self.tool_of(&call_id) == Some(tools::WEB_SEARCH) {
            self.gate.facts.search_returned(&output);
        }
        let mut result = Message::text(Role::Tool, output.clone());
        result.tool_call_id = Some(call_id.clone());
        self.results.push((result, ok));
        effects.push(self.emit(|session| Event::ToolCallFinished {
            session,
            call_id,
            output,
            ok,
            attachments: Vec::new(),
        }));
        if done {
            self.next_round(effects);
        }
    }

    /// The user answered an approval request. A grant also lets the tool's other calls
    /// waiting in this round run.
    fn approved(&mut self, call_id: String, decision: Decision, effects: &mut Vec<Effect>) {
        let Phase::RunningTools { asking, .. } = &mut self.phase else {
            return;
        };
        let Some(at) = asking.iter().position(|id| *id == call_id) else {
            return;
        };
        asking.remove(at);
        let Some(call) = self.round.iter().find(|c| c.id == call_id).cloned() else {
            return;
        };
        let name = call.function.name.clone();
        let decision = self.gate.effective(&name, decision);
        match decision {
            Decision::Deny => {
                self.tool_done(call_id, DECLINED_TOOL_OUTPUT.to_owned(), false, effects);
                return;
            }
            Decision::AllowOnce => {}
            Decision::AllowInChat => {
                self.gate.grants.in_chat.insert(name.clone());
            }
            Decision::AlwaysAllow => {
                self.gate.grants.always.insert(name.clone());
            }
        }
        effects.push(run(&call));
        if decision == Decision::AllowOnce {
            return;
        }
        let Phase::RunningTools { asking, .. } = &mut self.phase else {
            return;
        };
        let released: Vec<&ToolCall> = self
            .round
            .iter()
            .filter(|c| c.function.name == name && asking.contains(&c.id))
            .collect();
        asking.retain(|id| !released.iter().any(|c| c.id == *id));
        effects.extend(released.into_iter().map(run));
    }

    /// All tools answered: save the results and call the model again, if rounds remain.
    fn next_round(&mut self, effects: &mut Vec<Effect>) {
        let mut results = std::mem::take(&mut self.results);
        // In the order of the calls, whenever each was answered.
        results.sort_by_key(|(r, _)| {
            self.round
                .iter()
                .position(|c| Some(&c.id) == r.tool_call_id.as_ref())
        });
        if !results.is_empty() {
            self.gate.facts.tool_output_before = true;
        }
        for (result, ok) in results {
            effects.push(Effect::Save {
                message: result.clone(),
                stopped: false,
                tool_ok: Some(ok),
            });
            self.messages.push(result);
        }
        self.messages.append(&mut self.after_results);
        if self.rounds >= self.max_rounds {
            let max = self.max_rounds;
            effects.push(self.emit(|session| Event::Error {
                session: Some(session),
                kind: ErrorKind::InvalidRequest,
                message: format!("stopped after {max} model calls in one turn"),
            }));
            self.finish(true, effects);
            return;
        }
        self.rounds += 1;
        self.phase = Phase::Calling;
        effects.push(self.call());
    }
}

fn run(call: &ToolCall) -> Effect {
    Effect::RunTool {
        call_id: call.id.clone(),
        name: call.function.name.clone(),
        arguments: call.function.arguments.clone(),
    }
}

mod answer;
#[cfg(test)]
mod tests;

//! The conversation as plain data: the agent's [`Event`]s folded into a [`Chat`].

use ferry_core::wire::Role;
use ferry_protocol::{
    AttachmentView, DECLINED_TOOL_OUTPUT, Decision, Event, MessageView, STOPPED_TOOL_OUTPUT,
    SessionId,
};

use super::{Attached, Earlier, text_sent};

/// A tool call the model made, shown as a collapsible step of its answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ToolStep {
    pub call_id: String,
    pub name: String,
    pub arguments: String,
    /// `None` while it runs.
    pub output: Option<(bool, String)>,
    /// Waiting for the user's approval: what the call would act on (the URL, the note).
    pub approval: Option<String>,
    /// An MCP server's tool: the server (as the user calls it) and the server's name for
    /// the tool (the model calls it by `name`, qualified). `None` for Ferry's own tools, and
    /// in a chat read from storage (the view finds them by `name` then).
    pub server: Option<String>,
    pub tool: Option<String>,
    /// How far it has come, while it runs, as its server reports it.
    pub progress: Option<Progress>,
    /// The images it returned.
    pub images: Vec<Attached>,
}

/// A running tool call's progress, as its server reports it. Compared and hashed by its
/// numbers' bits, so a step keeps its `Eq` key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Progress {
    pub done: f64,
    /// The whole, when the server knows it.
    pub total: Option<f64>,
    pub message: Option<String>,
}

impl Eq for Progress {}

impl std::hash::Hash for Progress {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.done.to_bits().hash(state);
        self.total.map(f64::to_bits).hash(state);
        self.message.hash(state);
    }
}

impl ToolStep {
    /// The step's state, in words.
    pub fn status(&self) -> &'static str {
        match (&self.output, &self.approval) {
            (None, Some(_)) => "waiting for approval",
            (None, None) => "running…",
            (Some((true, _)), _) => "done",
            (Some((false, output)), _) if output == DECLINED_TOOL_OUTPUT => "declined",
            (Some((false, output)), _) if output == STOPPED_TOOL_OUTPUT => "stopped",
            (Some((false, _)), _) => "failed",
        }
    }

    /// A step of `name` with `arguments`, not run yet.
    pub fn new(call_id: &str, name: &str, arguments: &str) -> Self {
        Self {
            call_id: call_id.to_owned(),
            name: name.to_owned(),
            arguments: arguments.to_owned(),
            output: None,
            approval: None,
            server: None,
            tool: None,
            progress: None,
            images: Vec::new(),
        }
    }

    /// What the approval asks, above the call's subject.
    pub fn approval_question(&self) -> String {
        if let (Some(server), Some(tool)) = (&self.server, &self.tool) {
            return format!("Ferry wants to use the tool {tool} of {server} with:");
        }
        match self.name.as_str() {
            "web_fetch" => "Ferry wants to fetch this page:".to_owned(),
            "web_search" => "Ferry wants to search the web for:".to_owned(),
            "memory_save" => "Ferry wants to remember this note:".to_owned(),
            "memory_delete" => "Ferry wants to forget the note:".to_owned(),
            "memory_search" => "Ferry wants to search its notes for:".to_owned(),
            other => format!("Ferry wants to use the tool {other} with:"),
        }
    }
}

/// The tools Ferry's agent has. A stored call to any other name failed: the agent answered
/// that there is no such tool (for results stored before they kept their outcome).
const TOOLS: [&str; 5] = [
    "web_fetch",
    "web_search",
    "memory_save",
    "memory_delete",
    "memory_search",
];

/// An amount in USD. Compared and hashed by its bits, so a message keeps its `Eq` key.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usd(pub f64);

impl Eq for Usd {}

impl std::hash::Hash for Usd {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.to_bits().hash(state);
    }
}

impl Usd {
    fn add(total: &mut Option<Usd>, more: Option<f64>) {
        if let Some(more) = more.filter(|c| c.is_finite() && *c >= 0.0) {
            *total = Some(Usd(total.map_or(0.0, |t| t.0) + more));
        }
    }
}

/// The model's thinking before (and between) the rounds of one answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Thinking {
    pub text: String,
    /// Thinking right now, since this time (ms since the epoch).
    pub since_ms: Option<u64>,
    /// Time spent thinking, when it was seen live (a reopened chat does not know it).
    pub spent_ms: Option<u64>,
}

impl Thinking {
    /// Whether the model is thinking right now: the section is open then.
    pub fn running(&self) -> bool {
        self.since_ms.is_some()
    }

    /// The section's summary at `now_ms`: "Thinking… 3 s", then "Thought for 3 s".
    pub fn label(&self, now_ms: u64) -> String {
        let spent = self.spent_ms.unwrap_or(0);
        match self.since_ms {
            Some(since) => format!(
                "Thinking… {}",
                super::duration((spent + now_ms.saturating_sub(since)) / 1000)
            ),
            // Rounded, and never "0 s": it did think.
            None if self.spent_ms.is_some() => format!(
                "Thought for {}",
                super::duration(spent.saturating_add(500).div_euclid(1000).max(1))
            ),
            None => "Thinking".to_owned(),
        }
    }

    fn start(&mut self, now_ms: u64) {
        if self.since_ms.is_none() {
            if !self.text.is_empty() {
                self.text.push_str("\n\n");
            }
            self.since_ms = Some(now_ms);
        }
    }

    fn stop(&mut self, now_ms: u64) {
        if let Some(since) = self.since_ms.take() {
            self.spent_ms = Some(self.spent_ms.unwrap_or(0) + now_ms.saturating_sub(since));
        }
    }
}

/// A message as shown. One answer is one message, however many model calls it took: its
/// thinking, then its tool steps, then its text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ViewMessage {
    /// The first stored message it shows (empty until stored, for the user's own).
    pub id: String,
    /// Every stored message it shows: an answer's model calls, in order.
    pub ids: Vec<String>,
    pub role: Role,
    pub text: String,
    pub thinking: Thinking,
    pub tools: Vec<ToolStep>,
    /// Still streaming, or cut short.
    pub partial: bool,
    /// The answer of the turn running now: its next model call joins it.
    pub live: bool,
    /// What the answer cost, over all its model calls.
    pub cost: Option<Usd>,
    /// The user's files sent with it.
    pub attachments: Vec<Attached>,
    /// Its versions, from the chat's tree: the ids of the stored message `version` and
    /// of its siblings, oldest first; empty when there is one version only.
    pub versions: Vec<String>,
    pub version: String,
    /// On a chat with a fallback chain: the model that wrote it, the links skipped.
    pub answered_by: Option<ferry_protocol::AnsweredBy>,
}

impl ViewMessage {
    fn new(id: &str, role: Role) -> Self {
        Self {
            id: id.to_owned(),
            ids: if id.is_empty() {
                Vec::new()
            } else {
                vec![id.to_owned()]
            },
            role,
            text: String::new(),
            thinking: Thinking::default(),
            tools: Vec::new(),
            partial: false,
            live: false,
            cost: None,
            attachments: Vec::new(),
            versions: Vec::new(),
            version: String::new(),
            answered_by: None,
        }
    }

    /// Adds the stored message `id` to this one.
    fn has(&mut self, id: &str) {
        if id.is_empty() || self.ids.iter().any(|i| i == id) {
            return;
        }
        if self.id.is_empty() {
            self.id = id.to_owned();
        }
        self.ids.push(id.to_owned());
    }

    /// More text of the model call `id`: a new call's text starts a new paragraph.
    fn write(&mut self, id: &str, text: &str) {
        let next_call = !id.is_empty() && !self.ids.iter().any(|i| i == id);
        if next_call && !self.text.is_empty() && !text.is_empty() {
            self.text.push_str("\n\n");
        }
        self.has(id);
        self.text.push_str(text);
    }
}

/// The step of tool call `call_id`, the latest one of that id.
fn step_of<'a>(messages: &'a mut [ViewMessage], call_id: &str) -> Option<&'a mut ToolStep> {
    messages
        .iter_mut()
        .rev()
        .flat_map(|m| m.tools.iter_mut())
        .find(|s| s.call_id == call_id)
}

/// A message as the conversation draws it. The view is keyed by all of it, so an event
/// redraws only the messages it changed (a delta, the one answer it grows).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Row {
    pub index: usize,
    pub message: ViewMessage,
    /// The last message: an answer there offers Regenerate.
    pub last: bool,
    /// The compaction marker stands above it.
    pub marker: bool,
}

/// One session's conversation as shown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Chat {
    pub session: Option<SessionId>,
    pub messages: Vec<ViewMessage>,
    /// The first message still sent verbatim after a compaction: the marker goes above it.
    pub first_kept: Option<String>,
    /// A turn is running.
    pub busy: bool,
}

impl Chat {
    /// The messages of a stored session. An answer's model calls, one after another, are
    /// one message; tool results are folded into the steps that called them.
    pub fn open(session: SessionId, stored: &[MessageView], first_kept: Option<String>) -> Self {
        let mut messages: Vec<ViewMessage> = Vec::new();
        for m in stored {
            match m.message.role {
                Role::Tool => {
                    let call_id = m.message.tool_call_id.as_deref().unwrap_or_default();
                    if let Some(step) = step_of(&mut messages, call_id) {
                        let output = m.message.text_content();
                        // The stored outcome; results stored before it was kept: the
                        // agent's own answers for calls that did not run are known by
                        // their words, a call of a tool Ferry does not have by its name.
                        let ok = m.tool_ok.unwrap_or_else(|| {
                            output != DECLINED_TOOL_OUTPUT
                                && output != STOPPED_TOOL_OUTPUT
                                && TOOLS.contains(&step.name.as_str())
                        });
                        step.output = Some((ok, output));
                        step.images = m.attachments.iter().map(Attached::from).collect();
                    }
                }
                Role::System | Role::Developer => {}
                role => {
                    let joins = role == Role::Assistant
                        && messages.last().is_some_and(|l| l.role == Role::Assistant);
                    if !joins {
                        messages.push(ViewMessage::new(&m.id, role));
                    }
                    let Some(shown) = messages.last_mut() else {
                        continue;
                    };
                    if shown.versions.is_empty() && m.siblings.len() > 1 {
                        shown.versions.clone_from(&m.siblings);
                        shown.version.clone_from(&m.id);
                    }
                    shown
                        .attachments
                        .extend(m.attachments.iter().map(Attached::from));
                    shown.write(&m.id, &m.message.text_content());
                    if let Some(thinking) = m
                        .message
                        .reasoning_content
                        .as_deref()
                        .filter(|t| !t.is_empty())
                    {
                        if !shown.thinking.text.is_empty() {
                            shown.thinking.text.push_str("\n\n");
                        }
                        shown.thinking.text.push_str(thinking);
                    }
                    shown.tools.extend(
                        m.message
                            .tool_calls
                            .iter()
                            .flatten()
                            .map(|c| ToolStep::new(&c.id, &c.function.name, &c.function.arguments)),
                    );
                    Usd::add(&mut shown.cost, m.cost_usd);
                    if m.answered_by.is_some() {
                        shown.answered_by.clone_from(&m.answered_by);
                    }
                    shown.partial = m.partial;
                }
            }
        }
        Self {
            session: Some(session),
            messages,
            first_kept,
            busy: false,
        }
    }

    /// What this chat showed before it was read again from storage, and storage does not
    /// keep: how long each answer thought, and which tool calls failed.
    pub fn carry_from(&mut self, before: &Chat) {
        if before.session != self.session {
            return;
        }
        for message in &mut self.messages {
            let earlier = before
                .messages
                .iter()
                .find(|b| b.ids.iter().any(|id| message.ids.contains(id)));
            if let Some(earlier) = earlier {
                // Read again in the middle of a turn: the turn still writes this answer.
                message.live = earlier.live;
                if message.thinking.spent_ms.is_none() {
                    message.thinking.spent_ms = earlier.thinking.spent_ms;
                }
                if message.cost.is_none() {
                    message.cost = earlier.cost;
                }
            }
            for step in &mut message.tools {
                let failed = before
                    .messages
                    .iter()
                    .flat_map(|m| &m.tools)
                    .any(|s| s.call_id == step.call_id && matches!(s.output, Some((false, _))));
                if let (true, Some((ok, _))) = (failed, step.output.as_mut()) {
                    *ok = false;
                }
            }
        }
    }

    /// The user's message, shown at once while the agent saves and answers it.
    pub fn sent(&mut self, text: &str, attachments: &[AttachmentView]) {
        let mut message = ViewMessage::new("", Role::User);
        message.text = text.to_owned();
        message.attachments = attachments.iter().map(Attached::from).collect();
        self.messages.push(message);
        self.busy = true;
    }

    /// Regenerate: the last answer goes, its replacement streams in its place.
    pub fn regenerating(&mut self) {
        if self
            .messages
            .last()
            .is_some_and(|m| m.role == Role::Assistant)
        {
            self.messages.pop();
        }
        self.busy = true;
    }

    /// Where the answer of model call `id` is shown, or the running turn's answer.
    fn find_live(&self, id: &str) -> Option<usize> {
        self.messages.iter().rposition(|m| {
            m.role == Role::Assistant
                && (m.live || (!id.is_empty() && m.ids.iter().any(|i| i == id)))
        })
    }

    /// The answer the running turn writes: model call `id`'s, or the one it continues.
    fn live(&mut self, id: &str) -> &mut ViewMessage {
        let at = match self.find_live(id) {
            Some(at) => at,
            None => {
                let mut answer = ViewMessage::new("", Role::Assistant);
                answer.partial = true;
                answer.live = true;
                self.messages.push(answer);
                self.messages.len() - 1
            }
        };
        &mut self.messages[at]
    }

    /// The bytes of the files this chat sends again with every request: those of the
    /// messages after the compaction marker (what is before it goes as a summary).
    pub fn attachment_bytes(&self) -> u64 {
        self.sent_again().map(|a| a.size).sum()
    }

    /// What the files this chat sends again with every request add to it, for a model
    /// that reads PDFs (`documents`) or not: their bytes, and the text of those going as
    /// text.
    pub fn earlier(&self, documents: bool) -> Earlier {
        self.sent_again()
            .fold(Earlier::default(), |sum, a| Earlier {
                bytes: sum.bytes.saturating_add(a.size),
                text: sum
                    .text
                    .saturating_add(text_sent(a.kind, a.text_bytes, a.size, documents)),
            })
    }

    /// The files of the messages after the compaction marker.
    fn sent_again(&self) -> impl Iterator<Item = &Attached> {
        let from = self
            .first_kept
            .as_deref()
            .and_then(|kept| {
                self.messages
                    .iter()
                    .position(|m| m.ids.iter().any(|id| id == kept))
            })
            .unwrap_or(0);
        self.messages.iter().skip(from).flat_map(|m| &m.attachments)
    }

    /// The chat's cost: the sum of its answers'.
    pub fn cost(&self) -> Option<f64> {
        let mut total = None;
        for message in &self.messages {
            Usd::add(&mut total, message.cost.map(|c| c.0));
        }
        total.map(|t| t.0)
    }

    /// Folds in one event of this session (others are ignored), at `now_ms`.
    pub fn apply(&mut self, event: &Event, now_ms: u64) {
        let Some(mine) = self.session.clone() else {
            return;
        };
        match event {
            Event::Delta {
                session,
                message,
                text,
            } if *session == mine => {
                self.busy = true;
                let answer = self.live(message);
                answer.thinking.stop(now_ms);
                answer.write(message, text);
            }
            Event::ThinkingDelta {
                session,
                message,
                text,
            } if *session == mine => {
                self.busy = true;
                let answer = self.live(message);
                answer.has(message);
                answer.thinking.start(now_ms);
                answer.thinking.text.push_str(text);
            }
            Event::ToolCallStarted {
                session,
                call_id,
                name,
                arguments,
                server,
                tool,
            } if *session == mine => {
                let answer = self.live("");
                answer.thinking.stop(now_ms);
                let mut step = ToolStep::new(call_id, name, arguments);
                step.server.clone_from(server);
                step.tool.clone_from(tool);
                answer.tools.push(step);
            }
            Event::ToolCallFinished {
                session,
                call_id,
                output,
                ok,
                attachments,
            } if *session == mine => {
                if let Some(step) = step_of(&mut self.messages, call_id) {
                    step.output = Some((*ok, output.clone()));
                    step.approval = None;
                    step.progress = None;
                    step.images = attachments.iter().map(Attached::from).collect();
                }
            }
            Event::ToolProgress {
                session,
                call_id,
                progress,
                total,
                message,
            } if *session == mine => {
                if let Some(step) = step_of(&mut self.messages, call_id)
                    && step.output.is_none()
                    && progress.is_finite()
                {
                    step.progress = Some(Progress {
                        done: progress.max(0.0),
                        total: total.filter(|t| t.is_finite() && *t > 0.0),
                        message: message.clone(),
                    });
                }
            }
            Event::ToolApprovalRequested {
                session,
                call_id,
                subject,
                ..
            } if *session == mine => {
                // The turn is paused, not over: Stop stays, Send waits.
                self.busy = true;
                if let Some(step) = step_of(&mut self.messages, call_id) {
                    step.approval = Some(subject.clone());
                }
            }
            Event::Usage {
                session,
                message,
                usage,
            } if *session == mine => {
                let id = message.as_deref().unwrap_or_default();
                if let Some(at) = self.find_live(id) {
                    Usd::add(&mut self.messages[at].cost, usage.cost);
                }
            }
            Event::TurnFinished { session, stopped } if *session == mine => {
                self.busy = false;
                self.clear_approvals(|_| true);
                for message in &mut self.messages {
                    message.thinking.stop(now_ms);
                    message.live = false;
                    for step in &mut message.tools {
                        step.progress = None;
                    }
                }
                if let Some(last) = self
                    .messages
                    .iter_mut()
                    .rev()
                    .find(|m| m.role == Role::Assistant)
                {
                    last.partial = *stopped;
                }
            }
            Event::Error {
                session: Some(session),
                ..
            } if *session == mine => {
                self.busy = false;
                for message in &mut self.messages {
                    message.thinking.stop(now_ms);
                }
            }
            _ => {}
        }
    }

    /// Whether a tool call of this chat waits for the user.
    pub fn awaits_approval(&self) -> bool {
        self.messages
            .iter()
            .flat_map(|m| &m.tools)
            .any(|s| s.approval.is_some())
    }

    /// The user decided on call `call_id`: it waits no more, nor, when the decision grants
    /// its tool, do the tool's other waiting calls (the agent runs them too).
    pub fn decided(&mut self, call_id: &str, decision: Decision) {
        let Some(step) = step_of(&mut self.messages, call_id) else {
            return;
        };
        step.approval = None;
        if matches!(decision, Decision::AllowInChat | Decision::AlwaysAllow) {
            let tool = step.name.clone();
            self.clear_approvals(|s| s.name == tool);
        }
    }

    fn clear_approvals(&mut self, which: impl Fn(&ToolStep) -> bool) {
        for step in self.messages.iter_mut().flat_map(|m| m.tools.iter_mut()) {
            if which(step) {
                step.approval = None;
            }
        }
    }

    /// The messages as the view draws them.
    pub fn rows(&self) -> Vec<Row> {
        let count = self.messages.len();
        self.messages
            .iter()
            .enumerate()
            .map(|(index, message)| Row {
                index,
                message: message.clone(),
                last: index + 1 == count,
                marker: self
                    .first_kept
                    .as_deref()
                    .is_some_and(|kept| message.ids.iter().any(|id| id == kept)),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;

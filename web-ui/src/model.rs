//! What the chat shows, as plain data: the agent's [`Event`]s folded into a [`Chat`], and
//! errors turned into a [`Banner`] the user can act on. No Leptos here, so all of it is
//! tested natively.

use ferry_core::wire::Role;
use ferry_protocol::{
    DECLINED_TOOL_OUTPUT, Decision, ErrorKind, Event, MessageView, STOPPED_TOOL_OUTPUT, SessionId,
};

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

    /// What the approval asks, above the call's subject.
    pub fn approval_question(&self) -> String {
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

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ViewMessage {
    pub id: String,
    pub role: Role,
    pub text: String,
    pub tools: Vec<ToolStep>,
    /// Still streaming, or cut short.
    pub partial: bool,
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
    /// The messages of a stored session. Tool results are folded into the steps of the
    /// answer that called them.
    pub fn open(session: SessionId, stored: &[MessageView], first_kept: Option<String>) -> Self {
        let mut messages: Vec<ViewMessage> = Vec::new();
        for m in stored {
            match m.message.role {
                Role::Tool => {
                    let call_id = m.message.tool_call_id.as_deref().unwrap_or_default();
                    if let Some(step) = step_of(&mut messages, call_id) {
                        let output = m.message.text_content();
                        // Stored results keep no flag; the agent's own answers for calls
                        // that did not run are known by their words.
                        let ran = output != DECLINED_TOOL_OUTPUT && output != STOPPED_TOOL_OUTPUT;
                        step.output = Some((ran, output));
                    }
                }
                Role::System | Role::Developer => {}
                role => messages.push(ViewMessage {
                    id: m.id.clone(),
                    role,
                    text: m.message.text_content(),
                    tools: m
                        .message
                        .tool_calls
                        .iter()
                        .flatten()
                        .map(|c| ToolStep {
                            call_id: c.id.clone(),
                            name: c.function.name.clone(),
                            arguments: c.function.arguments.clone(),
                            output: None,
                            approval: None,
                        })
                        .collect(),
                    partial: m.partial,
                }),
            }
        }
        Self {
            session: Some(session),
            messages,
            first_kept,
            busy: false,
        }
    }

    /// The user's message, shown at once while the agent saves and answers it.
    pub fn sent(&mut self, text: &str) {
        self.messages.push(ViewMessage {
            id: String::new(),
            role: Role::User,
            text: text.to_owned(),
            tools: Vec::new(),
            partial: false,
        });
        self.busy = true;
    }

    fn last_answer(&mut self) -> Option<&mut ViewMessage> {
        self.messages
            .iter_mut()
            .rev()
            .find(|m| m.role == Role::Assistant)
    }

    fn streaming(&mut self, id: &str) -> &mut ViewMessage {
        let found = self
            .messages
            .iter()
            .rposition(|m| m.role == Role::Assistant && m.id == id);
        let at = match found {
            Some(at) => at,
            None => {
                self.messages.push(ViewMessage {
                    id: id.to_owned(),
                    role: Role::Assistant,
                    text: String::new(),
                    tools: Vec::new(),
                    partial: true,
                });
                self.messages.len() - 1
            }
        };
        &mut self.messages[at]
    }

    /// Folds in one event of this session (others are ignored).
    pub fn apply(&mut self, event: &Event) {
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
                self.streaming(message).text.push_str(text);
            }
            Event::ToolCallStarted {
                session,
                call_id,
                name,
                arguments,
            } if *session == mine => {
                let step = ToolStep {
                    call_id: call_id.clone(),
                    name: name.clone(),
                    arguments: arguments.clone(),
                    output: None,
                    approval: None,
                };
                match self.last_answer() {
                    Some(answer) if answer.partial => answer.tools.push(step),
                    _ => self.streaming("").tools.push(step),
                }
            }
            Event::ToolCallFinished {
                session,
                call_id,
                output,
                ok,
            } if *session == mine => {
                if let Some(step) = step_of(&mut self.messages, call_id) {
                    step.output = Some((*ok, output.clone()));
                    step.approval = None;
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
            Event::TurnFinished { session, stopped } if *session == mine => {
                self.busy = false;
                self.clear_approvals(|_| true);
                if let Some(last) = self.last_answer() {
                    last.partial = *stopped;
                }
            }
            Event::Error {
                session: Some(session),
                ..
            } if *session == mine => self.busy = false,
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
                marker: !message.id.is_empty()
                    && self.first_kept.as_deref() == Some(message.id.as_str()),
            })
            .collect()
    }
}

/// What to offer beside an error message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Retry,
    /// Retry, enabled when the countdown reaches zero.
    RetryIn(u64),
    OpenSettings,
    SignIn,
    Dismiss,
}

/// An error as the user sees it: what happened, in words, and what they can do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Banner {
    pub text: String,
    pub action: Action,
    /// For Retry: the session the failed turn belongs to.
    pub session: Option<SessionId>,
}

impl Banner {
    pub fn from_error(kind: ErrorKind, message: &str, session: Option<SessionId>) -> Self {
        let (text, action) = match kind {
            ErrorKind::Offline => (
                "Can't reach the provider or the proxy. Check your connection.".to_owned(),
                Action::Retry,
            ),
            ErrorKind::Unauthorized => (
                "Your sign-in has expired. Sign in again.".to_owned(),
                Action::SignIn,
            ),
            ErrorKind::RateLimited { retry_after_secs } => (
                "Too many requests for now.".to_owned(),
                Action::RetryIn(retry_after_secs),
            ),
            ErrorKind::QuotaExceeded { retry_after_secs } => (
                format!(
                    "Today's token quota is used up. It resets in {}.",
                    duration(retry_after_secs)
                ),
                Action::RetryIn(retry_after_secs),
            ),
            ErrorKind::ProviderDisabled => (
                "This provider is temporarily disabled. Try again later.".to_owned(),
                Action::Retry,
            ),
            ErrorKind::ProviderRefused => (
                format!("The provider refused the request: {message}"),
                Action::OpenSettings,
            ),
            ErrorKind::MissingKey => (
                "Add your API key in Settings to start chatting.".to_owned(),
                Action::OpenSettings,
            ),
            ErrorKind::Upstream => (
                format!("The provider had a problem: {message}"),
                Action::Retry,
            ),
            ErrorKind::InvalidRequest => (
                format!("That request can't be sent: {message}"),
                Action::Dismiss,
            ),
            ErrorKind::Storage => (
                "The browser's storage failed. Your data may not have been saved.".to_owned(),
                Action::Dismiss,
            ),
        };
        Self {
            text,
            action,
            session,
        }
    }

    /// The banner's words with the countdown at `left` seconds.
    pub fn countdown_text(&self, left: u64) -> String {
        match self.action {
            Action::RetryIn(_) if left > 0 => format!("{} Retry in {left} s.", self.text),
            _ => self.text.clone(),
        }
    }
}

/// `secs` as "3 h 20 min", "4 min", "12 s".
pub fn duration(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min", secs.div_ceil(60)),
        _ => format!("{} h {} min", secs / 3600, (secs % 3600) / 60),
    }
}

/// `text` as a CSS string, for an attribute selector (`[aria-label="…"]`).
pub fn css_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\a "),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use ferry_core::wire::{FunctionCall, Message, ToolCall};

    use super::*;

    #[test]
    fn css_strings_escape_quotes_backslashes_and_newlines() {
        assert_eq!(css_string("Rename Trip"), r#""Rename Trip""#);
        assert_eq!(css_string(r#"say "hi" \ bye"#), r#""say \"hi\" \\ bye""#);
        assert_eq!(css_string("two\nlines"), r#""two\a lines""#);
    }

    fn stored(id: &str, message: Message) -> MessageView {
        MessageView {
            id: id.into(),
            session: "s".into(),
            seq: 0,
            message,
            partial: false,
            created_ms: 0,
        }
    }

    #[test]
    fn deltas_grow_one_answer_and_the_end_settles_it() {
        let mut chat = Chat::open("s".into(), &[], None);
        chat.sent("hi");
        for text in ["Hel", "lo"] {
            chat.apply(&Event::Delta {
                session: "s".into(),
                message: "a1".into(),
                text: text.into(),
            });
        }
        // Another session's events change nothing here.
        chat.apply(&Event::Delta {
            session: "other".into(),
            message: "x".into(),
            text: "nope".into(),
        });
        assert_eq!(chat.messages.len(), 2);
        assert_eq!(chat.messages[1].text, "Hello");
        assert!(chat.busy && chat.messages[1].partial);
        chat.apply(&Event::TurnFinished {
            session: "s".into(),
            stopped: false,
        });
        assert!(!chat.busy && !chat.messages[1].partial);
    }

    #[test]
    fn rows_mark_the_last_message_and_the_first_kept_one() {
        let mut chat = Chat::open(
            "s".into(),
            &[
                stored("u1", Message::text(Role::User, "old")),
                stored("a1", Message::text(Role::Assistant, "summarized")),
                stored("u2", Message::text(Role::User, "kept")),
            ],
            Some("u2".into()),
        );
        chat.sent("kept");
        let rows = chat.rows();
        let flags: Vec<(usize, bool, bool)> =
            rows.iter().map(|r| (r.index, r.last, r.marker)).collect();
        assert_eq!(
            flags,
            [
                (0, false, false),
                (1, false, false),
                (2, false, true),
                (3, true, false)
            ]
        );
        // The same unsaved text twice is still two rows: keys stay apart by place.
        chat.sent("again");
        chat.sent("again");
        let rows = chat.rows();
        assert_eq!(rows[4].message, rows[5].message);
        assert_ne!(rows[4], rows[5]);
    }

    #[test]
    fn a_stopped_answer_stays_marked() {
        let mut chat = Chat::open("s".into(), &[], None);
        chat.sent("hi");
        chat.apply(&Event::Delta {
            session: "s".into(),
            message: "a1".into(),
            text: "par".into(),
        });
        chat.apply(&Event::TurnFinished {
            session: "s".into(),
            stopped: true,
        });
        assert!(chat.messages[1].partial);
        assert!(!chat.busy);
    }

    #[test]
    fn tool_steps_attach_to_their_answer_live_and_when_reopened() {
        let mut chat = Chat::open("s".into(), &[], None);
        chat.sent("remember tea");
        chat.apply(&Event::ToolCallStarted {
            session: "s".into(),
            call_id: "c1".into(),
            name: "memory_save".into(),
            arguments: "{}".into(),
        });
        chat.apply(&Event::ToolCallFinished {
            session: "s".into(),
            call_id: "c1".into(),
            output: "saved".into(),
            ok: true,
        });
        assert_eq!(
            chat.messages[1].tools[0].output,
            Some((true, "saved".into()))
        );

        let mut call = Message::text(Role::Assistant, "");
        call.tool_calls = Some(vec![ToolCall {
            id: "c1".into(),
            kind: "function".into(),
            function: FunctionCall {
                name: "memory_save".into(),
                arguments: "{}".into(),
            },
        }]);
        let mut result = Message::text(Role::Tool, "saved");
        result.tool_call_id = Some("c1".into());
        let reopened = Chat::open(
            "s".into(),
            &[
                stored("u", Message::text(Role::User, "remember tea")),
                stored("a", call),
                stored("t", result),
                stored("b", Message::text(Role::Assistant, "Noted.")),
            ],
            None,
        );
        let roles: Vec<Role> = reopened.messages.iter().map(|m| m.role).collect();
        assert_eq!(roles, [Role::User, Role::Assistant, Role::Assistant]);
        assert_eq!(
            reopened.messages[1].tools[0].output,
            Some((true, "saved".into()))
        );
    }

    #[test]
    fn an_approval_waits_on_its_step_until_decided_or_the_turn_ends() {
        let mut chat = Chat::open("s".into(), &[], None);
        chat.sent("look around");
        for (id, name) in [
            ("f1", "web_fetch"),
            ("f2", "web_fetch"),
            ("m", "memory_save"),
        ] {
            chat.apply(&Event::ToolCallStarted {
                session: "s".into(),
                call_id: id.into(),
                name: name.into(),
                arguments: "{}".into(),
            });
            chat.apply(&Event::ToolApprovalRequested {
                session: "s".into(),
                call_id: id.into(),
                name: name.into(),
                subject: format!("subject of {id}"),
            });
        }
        // Another chat's request is not shown here.
        chat.apply(&Event::ToolApprovalRequested {
            session: "other".into(),
            call_id: "f1".into(),
            name: "web_fetch".into(),
            subject: "elsewhere".into(),
        });
        let tools = &chat.messages[1].tools;
        assert_eq!(tools[0].approval.as_deref(), Some("subject of f1"));
        assert_eq!(tools[0].status(), "waiting for approval");
        assert_eq!(
            tools[0].approval_question(),
            "Ferry wants to fetch this page:"
        );
        assert!(chat.busy && chat.awaits_approval());

        // A grant releases the tool's other waiting calls, not other tools'.
        chat.decided("f1", Decision::AllowInChat);
        let waiting: Vec<_> = chat.messages[1]
            .tools
            .iter()
            .map(|t| t.approval.is_some())
            .collect();
        assert_eq!(waiting, [false, false, true]);
        chat.apply(&Event::ToolCallFinished {
            session: "s".into(),
            call_id: "m".into(),
            output: DECLINED_TOOL_OUTPUT.into(),
            ok: false,
        });
        assert_eq!(chat.messages[1].tools[2].status(), "declined");
        assert!(!chat.awaits_approval());

        chat.apply(&Event::ToolApprovalRequested {
            session: "s".into(),
            call_id: "f2".into(),
            name: "web_fetch".into(),
            subject: "again".into(),
        });
        chat.apply(&Event::TurnFinished {
            session: "s".into(),
            stopped: true,
        });
        assert!(!chat.awaits_approval() && !chat.busy);

        // Reopened, calls that did not run still say why.
        let mut call = Message::text(Role::Assistant, "");
        call.tool_calls = Some(
            ["d", "s"]
                .map(|id| ToolCall {
                    id: id.into(),
                    kind: "function".into(),
                    function: FunctionCall {
                        name: "web_fetch".into(),
                        arguments: "{}".into(),
                    },
                })
                .to_vec(),
        );
        let result = |id: &str, text: &str| {
            let mut m = Message::text(Role::Tool, text);
            m.tool_call_id = Some(id.into());
            stored(id, m)
        };
        let reopened = Chat::open(
            "s".into(),
            &[
                stored("a", call),
                result("d", DECLINED_TOOL_OUTPUT),
                result("s", STOPPED_TOOL_OUTPUT),
            ],
            None,
        );
        let statuses: Vec<_> = reopened.messages[0]
            .tools
            .iter()
            .map(ToolStep::status)
            .collect();
        assert_eq!(statuses, ["declined", "stopped"]);
    }

    #[test]
    fn every_error_kind_says_what_to_do() {
        let cases = [
            (ErrorKind::Offline, Action::Retry),
            (ErrorKind::Unauthorized, Action::SignIn),
            (
                ErrorKind::RateLimited {
                    retry_after_secs: 12,
                },
                Action::RetryIn(12),
            ),
            (ErrorKind::ProviderDisabled, Action::Retry),
            (ErrorKind::ProviderRefused, Action::OpenSettings),
            (ErrorKind::MissingKey, Action::OpenSettings),
            (ErrorKind::Upstream, Action::Retry),
        ];
        for (kind, action) in cases {
            let banner = Banner::from_error(kind, "boom", None);
            assert_eq!(banner.action, action, "{kind:?}");
            assert!(!banner.text.is_empty());
        }
        let disabled = Banner::from_error(ErrorKind::ProviderDisabled, "", None);
        assert!(disabled.text.contains("temporarily disabled"));
        let limited = Banner::from_error(
            ErrorKind::RateLimited {
                retry_after_secs: 5,
            },
            "",
            None,
        );
        assert_eq!(
            limited.countdown_text(3),
            "Too many requests for now. Retry in 3 s."
        );
        assert_eq!(limited.countdown_text(0), "Too many requests for now.");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(12), "12 s");
        assert_eq!(duration(61), "2 min");
        assert_eq!(duration(3 * 3600 + 20 * 60), "3 h 20 min");
    }
}

/// A bar of the usage chart, in the chart's own units (`viewBox` 0 0 `width` `height`).
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

/// One bar per value, scaled so the largest fills `height`, with a gap between bars.
pub fn bars(values: &[f64], width: f64, height: f64) -> Vec<Bar> {
    let most = values.iter().copied().fold(0.0_f64, f64::max);
    if values.is_empty() {
        return Vec::new();
    }
    let slot = width / values.len() as f64;
    values
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let h = if most > 0.0 {
                v.max(0.0) / most * height
            } else {
                0.0
            };
            Bar {
                x: i as f64 * slot + slot * 0.1,
                y: height - h,
                width: slot * 0.8,
                height: h,
            }
        })
        .collect()
}

/// Stacked bars for pairs `(lower, upper)` (tokens in and out): each pair's total is scaled
/// as [`bars`] does, then split between its parts. Returns the lower and upper bar of each.
pub fn stacked(pairs: &[(f64, f64)], width: f64, height: f64) -> Vec<(Bar, Bar)> {
    let parts = |&(lower, upper): &(f64, f64)| (lower.max(0.0), upper.max(0.0));
    let totals: Vec<f64> = pairs.iter().map(parts).map(|(a, b)| a + b).collect();
    bars(&totals, width, height)
        .into_iter()
        .zip(pairs.iter().map(parts))
        .map(|(whole, (lower, upper))| {
            let share = if lower + upper > 0.0 {
                lower / (lower + upper)
            } else {
                0.0
            };
            let low = whole.height * share;
            let top = Bar {
                height: whole.height - low,
                ..whole.clone()
            };
            let bottom = Bar {
                y: whole.y + top.height,
                height: low,
                ..whole
            };
            (bottom, top)
        })
        .collect()
}

#[cfg(test)]
mod chart_tests {
    use super::*;

    #[test]
    fn the_largest_value_fills_the_chart_and_the_rest_scale() {
        let drawn = bars(&[1.0, 4.0, 0.0, 2.0], 400.0, 100.0);
        assert_eq!(drawn.len(), 4);
        assert_eq!(drawn[1].height, 100.0);
        assert_eq!(drawn[1].y, 0.0);
        assert_eq!(drawn[0].height, 25.0);
        assert_eq!(drawn[2].height, 0.0);
        assert!((drawn[3].x - 310.0).abs() < 1e-9);
        assert!(drawn.iter().all(|b| b.x + b.width <= 400.0));
    }

    #[test]
    fn stacked_bars_split_each_total_between_its_parts() {
        let drawn = stacked(&[(30.0, 10.0), (0.0, 20.0), (0.0, 0.0)], 300.0, 100.0);
        let (bottom, top) = &drawn[0];
        // The largest total (40) fills the height: 75 for the lower part, 25 above it.
        assert_eq!((top.y, top.height), (0.0, 25.0));
        assert_eq!((bottom.y, bottom.height), (25.0, 75.0));
        assert_eq!(bottom.x, top.x);
        let (bottom, top) = &drawn[1];
        assert_eq!((bottom.height, top.height), (0.0, 50.0));
        assert_eq!(
            bottom.y + bottom.height,
            100.0,
            "parts stand on the baseline"
        );
        assert_eq!((drawn[2].0.height, drawn[2].1.height), (0.0, 0.0));
    }

    #[test]
    fn nothing_to_draw_is_no_bars_and_zeros_are_flat() {
        assert!(bars(&[], 100.0, 100.0).is_empty());
        assert!(
            bars(&[0.0, 0.0], 100.0, 100.0)
                .iter()
                .all(|b| b.height == 0.0)
        );
    }
}

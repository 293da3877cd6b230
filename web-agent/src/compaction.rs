//! Context compaction: when the next request would pass the model's usable context, the
//! older part of the conversation is summarized by the model and the summary is sent in its
//! place. Only what is *sent* changes; every stored entry stays as it was, so the history
//! remains whole and a later compaction starts from the same entries.
//!
//! One compaction, each step a pure function with the limits as parameters:
//! 1. [`needs_compaction`]: is the request about to be sent near the budget?
//! 2. [`plan`]: which entries to fold into the summary, and where the verbatim tail starts.
//!    The cut falls only on a user message, so a tool call is never sent without its result.
//! 3. [`summary_request`]: the request asking the model for the structured summary; a
//!    second compaction updates the first summary, never summarizing a summary of one.
//! 4. [`Plan::into_compaction`]: the [`Compaction`] to store beside the entries.
//! 5. [`context`]: what is sent from then on: system prompt, summary, verbatim tail.
//!
//! Nothing here fails. A compaction whose `first_kept` is not among the entries (it was
//! made on another branch of the conversation) is ignored: every entry is sent, which is
//! never wrong, only longer, and the next [`needs_compaction`] check sees the length.

mod summary;

use std::collections::HashMap;
use std::ops::Range;

use ferry_core::wire::{Message, Role};
use ferry_protocol::AttachmentView;
use serde::{Deserialize, Serialize};

pub use self::summary::summary_request;

const SUMMARY_LABEL: &str = "\
The earlier part of this conversation was compacted into the summary below; the messages \
after it are verbatim.";

/// The token budget of one model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// The model's context window, in tokens.
    pub context_window: u64,
    /// Tokens left free for the model's answer.
    pub answer_reserve: u64,
}

impl Budget {
    /// Tokens a request may use: the window less the answer's reserve.
    pub fn usable(&self) -> u64 {
        self.context_window.saturating_sub(self.answer_reserve)
    }
}

/// When to compact and how much to keep.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Policy {
    /// Fraction of the usable budget at which compaction starts.
    pub threshold: f64,
    /// Tokens of the most recent conversation kept verbatim. Roughly: the cut falls on a
    /// turn boundary, so the tail is at most this unless the last turn alone is longer.
    pub keep_recent_tokens: u64,
    /// Summary requests tried for one compaction before the agent reports the failure.
    pub max_attempts: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            threshold: 0.9,
            keep_recent_tokens: 20_000,
            max_attempts: 3,
        }
    }
}

/// One stored message with its token count (its attachments' costs included).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub id: String,
    pub message: Message,
    pub tokens: u64,
    /// The files attached to it, as the summary names them (never their content).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<AttachmentView>,
}

/// A compaction as stored in the session, beside the entries it stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Compaction {
    /// The model's structured summary of everything before `first_kept`.
    pub summary: String,
    /// Id of the first entry sent verbatim after the summary.
    pub first_kept: String,
    /// Tokens of the stored entries the summary stands for.
    pub summarized_tokens: u64,
}

/// What one compaction will do; owned, so the agent can hold it while the summary is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Indices of the entries to fold into the summary: after the previous cut, before this one.
    pub summarize: Range<usize>,
    /// Id of the first entry to send verbatim (the entry at `summarize.end`).
    pub first_kept: String,
    /// Tokens of every entry before `first_kept`.
    pub summarized_tokens: u64,
    /// Whether the previous compaction applies to these entries, so its summary is updated
    /// rather than replaced; pass it to [`summary_request`] only then.
    pub updates_previous: bool,
}

impl Plan {
    /// The entries to summarize.
    pub fn to_summarize<'a>(&self, entries: &'a [Entry]) -> &'a [Entry] {
        entries.get(self.summarize.clone()).unwrap_or_default()
    }

    /// The compaction to store once the model has written `summary`.
    pub fn into_compaction(self, summary: impl Into<String>) -> Compaction {
        Compaction {
            summary: summary.into(),
            first_kept: self.first_kept,
            summarized_tokens: self.summarized_tokens,
        }
    }
}

/// Whether a request of `sent_tokens` reaches the policy's share of the usable budget.
pub fn needs_compaction(sent_tokens: u64, budget: &Budget, policy: &Policy) -> bool {
    // f64 is exact for token counts far beyond any context window (below 2^53).
    sent_tokens as f64 >= policy.threshold * budget.usable() as f64
}

/// Where to cut: at the earliest user message after the previous cut whose tail fits in
/// `keep_recent_tokens`, or at the last one if the last turn alone is longer. `None` when
/// no user message follows the previous cut, so there is nothing older to summarize.
pub fn plan(entries: &[Entry], previous: Option<&Compaction>, policy: &Policy) -> Option<Plan> {
    let previous_cut = previous.and_then(|c| position(entries, &c.first_kept));
    let start = previous_cut.unwrap_or(0);
    let cuts = cut_points(entries);
    let mut tail = 0u64;
    let mut cut = None;
    // Walking back, the tail only grows: once it is too long, every earlier cut is too.
    for (i, entry) in entries.iter().enumerate().skip(start + 1).rev() {
        tail = tail.saturating_add(entry.tokens);
        if !cuts.get(i).copied().unwrap_or(false) {
            continue;
        }
        if cut.is_some() && tail > policy.keep_recent_tokens {
            break;
        }
        cut = Some(i);
    }
    let cut = cut?;
    Some(Plan {
        summarize: start..cut,
        first_kept: entries.get(cut)?.id.clone(),
        summarized_tokens: entries
            .iter()
            .take(cut)
            .fold(0u64, |sum, e| sum.saturating_add(e.tokens)),
        updates_previous: previous_cut.is_some(),
    })
}

/// The messages to send: the system prompt, then the summary and the entries from
/// `first_kept` on, or every entry when there is no compaction that applies to them.
pub fn context(
    system: Option<&str>,
    entries: &[Entry],
    compaction: Option<&Compaction>,
) -> Vec<Message> {
    let mut messages = head(system, entries, compaction);
    messages.extend(
        entries
            .iter()
            .skip(first_sent(entries, compaction))
            .map(|e| e.message.clone()),
    );
    messages
}

/// What [`context`] sends before the entries: the system prompt and the summary.
pub fn head(
    system: Option<&str>,
    entries: &[Entry],
    compaction: Option<&Compaction>,
) -> Vec<Message> {
    let mut messages: Vec<Message> = system
        .map(|s| Message::text(Role::System, s))
        .into_iter()
        .collect();
    if let Some(c) = compaction.filter(|c| position(entries, &c.first_kept).is_some()) {
        messages.push(Message::text(
            Role::User,
            format!(
                "{SUMMARY_LABEL}\n\n<summary>\n{}\n</summary>",
                c.summary.trim_end()
            ),
        ));
    }
    messages
}

/// The index of the first entry [`context`] sends: `first_kept` of a compaction that
/// applies, else 0.
pub fn first_sent(entries: &[Entry], compaction: Option<&Compaction>) -> usize {
    compaction
        .and_then(|c| position(entries, &c.first_kept))
        .unwrap_or(0)
}

fn position(entries: &[Entry], id: &str) -> Option<usize> {
    entries.iter().position(|e| e.id == id)
}

/// For each entry, whether the conversation may be cut before it: a user message with no
/// tool call before it whose result comes at or after it. A user message sent while tools
/// ran can land between a call and its result; a call never answered blocks nothing.
fn cut_points(entries: &[Entry]) -> Vec<bool> {
    let mut called_at: HashMap<&str, usize> = HashMap::new();
    // +1 after a call, -1 after its result: a running sum above 0 is inside an exchange.
    let mut opened = vec![0i64; entries.len() + 1];
    for (i, entry) in entries.iter().enumerate() {
        for call in entry.message.tool_calls.iter().flatten() {
            // Some providers reuse ids across turns; a result answers the latest call.
            called_at.insert(&call.id, i);
        }
        if entry.message.role == Role::Tool
            && let Some(&at) = entry
                .message
                .tool_call_id
                .as_deref()
                .and_then(|id| called_at.get(id))
        {
            opened[at + 1] += 1;
            opened[i + 1] -= 1;
        }
    }
    let mut depth = 0;
    entries
        .iter()
        .zip(&opened)
        .map(|(entry, delta)| {
            depth += delta;
            entry.message.role == Role::User && depth == 0
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use ferry_core::wire::{FunctionCall, ToolCall};
    use wasm_bindgen_test::wasm_bindgen_test;

    pub(crate) fn entry(id: &str, message: Message, tokens: u64) -> Entry {
        let id = id.to_owned();
        Entry {
            id,
            message,
            tokens,
            attachments: Vec::new(),
        }
    }

    pub(crate) fn user(id: &str, tokens: u64) -> Entry {
        entry(
            id,
            Message::text(Role::User, format!("text of {id}")),
            tokens,
        )
    }

    pub(crate) fn assistant(id: &str, tokens: u64) -> Entry {
        let message = Message::text(Role::Assistant, format!("text of {id}"));
        entry(id, message, tokens)
    }

    pub(crate) fn calls(id: &str, call_ids: &[&str], tokens: u64) -> Entry {
        let mut message = Message::text(Role::Assistant, "");
        message.content = None;
        message.tool_calls = Some(
            call_ids
                .iter()
                .map(|call_id| ToolCall {
                    id: (*call_id).to_owned(),
                    kind: "function".to_owned(),
                    function: FunctionCall {
                        name: "web_search".to_owned(),
                        arguments: format!(r#"{{"query":"{call_id}"}}"#),
                    },
                })
                .collect(),
        );
        entry(id, message, tokens)
    }

    pub(crate) fn result(id: &str, call_id: &str, tokens: u64) -> Entry {
        let mut message = Message::text(Role::Tool, format!("result of {call_id}"));
        message.tool_call_id = Some(call_id.to_owned());
        entry(id, message, tokens)
    }

    pub(crate) fn ids(entries: &[Entry]) -> Vec<&str> {
        entries.iter().map(|e| e.id.as_str()).collect()
    }

    pub(crate) fn keep(tokens: u64) -> Policy {
        Policy {
            keep_recent_tokens: tokens,
            ..Policy::default()
        }
    }

    /// Eight alternating user/assistant entries of 1,000 tokens: u0 a1 u2 a3 u4 a5 u6 a7.
    pub(crate) fn turns() -> Vec<Entry> {
        (0..8)
            .map(|i| match i % 2 {
                0 => user(&format!("u{i}"), 1_000),
                _ => assistant(&format!("a{i}"), 1_000),
            })
            .collect()
    }

    pub(crate) fn compaction(first_kept: &str) -> Compaction {
        Compaction {
            summary: "## Goal\nPlan a trip.".to_owned(),
            first_kept: first_kept.to_owned(),
            summarized_tokens: 4_000,
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn compaction_starts_at_the_threshold_of_the_usable_budget() {
        let budget = |context_window, answer_reserve| Budget {
            context_window,
            answer_reserve,
        };
        assert_eq!(budget(1_000, 4_000).usable(), 0);
        let budget = budget(128_000, 8_000);
        assert_eq!(budget.usable(), 120_000);
        let policy = Policy::default();
        assert_eq!(
            policy,
            Policy {
                threshold: 0.9,
                keep_recent_tokens: 20_000,
                max_attempts: 3
            }
        );
        assert!(!needs_compaction(107_999, &budget, &policy));
        assert!(needs_compaction(108_000, &budget, &policy));
        assert!(needs_compaction(130_000, &budget, &policy));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn cut_keeps_about_the_recent_tokens_and_lands_on_a_user_message() {
        let entries = turns();
        let plan = plan(&entries, None, &keep(2_500));
        let expected = Plan {
            summarize: 0..6,
            first_kept: "u6".to_owned(),
            summarized_tokens: 6_000,
            updates_previous: false,
        };
        assert_eq!(plan, Some(expected));
        // A tail of exactly the budget is kept whole.
        let plan = super::plan(&entries, None, &keep(4_000));
        assert_eq!(plan.map(|p| p.first_kept), Some("u4".to_owned()));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_last_turn_longer_than_the_budget_is_kept_whole() {
        let entries = vec![
            user("u0", 100),
            assistant("a1", 100),
            user("u2", 100),
            calls("a3", &["c1"], 100),
            result("t4", "c1", 50_000),
            assistant("a5", 100),
        ];
        let plan = plan(&entries, None, &keep(1_000));
        assert_eq!(
            plan.map(|p| (p.summarize, p.first_kept)),
            Some((0..2, "u2".to_owned()))
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn cut_never_separates_a_tool_call_from_its_results() {
        // The user spoke while two calls ran: u3 sits between c2 and its result t4.
        let entries = vec![
            user("u0", 100),
            calls("a1", &["c1", "c2"], 100),
            result("t2", "c1", 100),
            user("u3", 100),
            result("t4", "c2", 100),
            assistant("a5", 100),
            user("u6", 100),
            assistant("a7", 100),
        ];
        assert_eq!(
            cut_points(&entries),
            [true, false, false, false, false, false, true, false]
        );
        // u3 would keep 500 tokens, within the budget, but is not a cut point.
        let plan = plan(&entries, None, &keep(500));
        assert_eq!(plan.map(|p| p.first_kept), Some("u6".to_owned()));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn an_unanswered_call_does_not_block_later_cuts() {
        let entries = vec![
            user("u0", 100),
            calls("a1", &["lost"], 100),
            user("u2", 100),
            calls("a3", &["c1"], 100),
            result("t4", "c1", 100),
        ];
        assert_eq!(cut_points(&entries), [true, false, true, false, false]);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn nothing_older_to_summarize_gives_no_plan() {
        assert_eq!(plan(&[], None, &keep(0)), None);
        let one_turn = vec![
            user("u0", 9_000),
            calls("a1", &["c1"], 9_000),
            result("t2", "c1", 9_000),
        ];
        assert_eq!(plan(&one_turn, None, &keep(0)), None);
        // Already compacted up to the last user message.
        let entries = turns();
        assert_eq!(plan(&entries, Some(&compaction("u6")), &keep(0)), None);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_second_compaction_summarizes_only_what_follows_the_first_cut() {
        let entries = turns();
        let previous = compaction("u2");
        let plan = plan(&entries, Some(&previous), &keep(2_000)).unwrap();
        assert_eq!(plan.summarize, 2..6);
        assert_eq!(plan.summarized_tokens, 6_000);
        assert!(plan.updates_previous);
        assert_eq!(ids(plan.to_summarize(&entries)), ["u2", "a3", "u4", "a5"]);

        let request = summary_request(Some(&previous), plan.to_summarize(&entries), "gpt-x");
        let prompt = request.messages[1].text_content();
        assert!(
            prompt.starts_with("<previous-summary>\n## Goal\nPlan a trip.\n</previous-summary>")
        );
        assert!(prompt.contains("[User]\ntext of u2\n") && prompt.contains("text of a5"));
        assert!(!prompt.contains("text of a1") && !prompt.contains("text of u6"));
        assert!(prompt.ends_with(summary::UPDATE_SUMMARY_TASK));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_compaction_from_another_branch_is_ignored() {
        let entries = turns();
        let stale = compaction("elsewhere");
        let plan = plan(&entries, Some(&stale), &keep(2_000)).unwrap();
        assert_eq!((plan.summarize, plan.updates_previous), (0..6, false));
        let all: Vec<Message> = entries.iter().map(|e| e.message.clone()).collect();
        assert_eq!(context(None, &entries, Some(&stale)), all);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn context_sends_the_summary_then_the_verbatim_tail() {
        let entries = turns();
        let sent = context(Some("Be brief."), &entries, Some(&compaction("u6")));
        let expected = vec![
            Message::text(Role::System, "Be brief."),
            Message::text(
                Role::User,
                "The earlier part of this conversation was compacted into the summary below; \
                 the messages after it are verbatim.\n\n\
                 <summary>\n## Goal\nPlan a trip.\n</summary>",
            ),
            Message::text(Role::User, "text of u6"),
            Message::text(Role::Assistant, "text of a7"),
        ];
        assert_eq!(sent, expected);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn context_without_compaction_sends_every_entry() {
        let entries = turns();
        let mut expected = vec![Message::text(Role::System, "Be brief.")];
        expected.extend(entries.iter().map(|e| e.message.clone()));
        assert_eq!(context(Some("Be brief."), &entries, None), expected);
        assert_eq!(
            context(None, &entries[..1], None),
            [entries[0].message.clone()]
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn compacting_leaves_the_stored_entries_untouched() {
        let entries = turns();
        let stored = entries.clone();
        let plan = plan(&entries, None, &keep(2_000)).unwrap();
        let _ = summary_request(None, plan.to_summarize(&entries), "gpt-x");
        let done = plan.into_compaction("## Goal\nPlan a trip.");
        let sent = context(None, &entries, Some(&done));
        assert_eq!(sent.len(), 3);
        assert_eq!(entries, stored);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_stored_compaction_round_trips() {
        let plan = plan(&turns(), None, &keep(2_000)).unwrap();
        let done = plan.into_compaction("S");
        let json = serde_json::to_string(&done).unwrap();
        assert_eq!(
            json,
            r#"{"summary":"S","first_kept":"u6","summarized_tokens":6000}"#
        );
        assert_eq!(serde_json::from_str::<Compaction>(&json).unwrap(), done);
    }
}

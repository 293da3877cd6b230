//! The conversation as the link about to be called can take it. What one provider wrote
//! does not always cross to another:
//!
//! | what | when | becomes |
//! |---|---|---|
//! | tool calls and their results | the model takes no tools; or Gemini 3 (which refuses a call of the turn without its thought signature) and the calls carry none | text: the assistant's `[called <tool> with <arguments>]` lines, the results one user message of `[<tool> returned: <output>]` lines |
//! | thinking of this turn's answers | its opaque parts (`reasoning_details`) are of another provider's format | the thinking text before the answer's text, in `<thinking>` tags; the opaque parts dropped |
//! | tool call ids | the target cannot take them: more than 40 characters or characters outside `[A-Za-z0-9_-]` (OpenAI, Anthropic; a Gemini call's id carries its signature after a `.`), not exactly 9 letters and digits (Mistral), or used twice in the conversation (Gemini numbers its calls afresh each answer) | `fc0000001`, `fc0000002`, …: fits every provider, call and result rewritten alike |
//!
//! Gemini reads no ids (calls and results pair by name and order), so ids going to Gemini
//! are kept: they carry its signatures. Thinking of earlier turns is left to the adapters,
//! which send each provider only its own (every provider drops earlier turns' thinking).
//! What one provider wrote for itself crosses unchanged: these rules only ever touch what
//! the target would refuse or lose.

use std::collections::{BTreeMap, BTreeSet};

use ferry_core::ProviderId;
use ferry_core::models::{ModelFacts, Reasoning};
use ferry_core::wire::{Content, Message, ReasoningDetail, ReasoningFormat, Role};

/// A Gemini call id's signature follows this (core's Gemini adapter).
const SIGNATURE_SEPARATOR: char = '.';

/// `messages` as `to`'s model (`facts`) can take them; see the module doc.
pub(crate) fn for_link(messages: Vec<Message>, to: ProviderId, facts: &ModelFacts) -> Vec<Message> {
    let turn = turn_start(&messages);
    let messages: Vec<Message> = messages
        .into_iter()
        .enumerate()
        .map(|(i, m)| {
            if i >= turn {
                thinking_as_text(m, to)
            } else {
                m
            }
        })
        .collect();
    let messages = calls_as_text(messages, turn, to, facts);
    if to == ProviderId::Google {
        messages
    } else {
        ids_for(messages, to)
    }
}

/// Where the turn in progress starts: its user message (the last one that is not a tool's
/// images, which follow a tool result).
fn turn_start(messages: &[Message]) -> usize {
    (0..messages.len())
        .rev()
        .find(|&i| messages[i].role == Role::User && (i == 0 || messages[i - 1].role != Role::Tool))
        .unwrap_or(0)
}

/// Tool calls and results as text, where `to`'s model cannot take them as calls.
fn calls_as_text(
    messages: Vec<Message>,
    turn: usize,
    to: ProviderId,
    facts: &ModelFacts,
) -> Vec<Message> {
    let unsigned_refused = to == ProviderId::Google && facts.reasoning == Reasoning::GeminiLevel;
    let mut out: Vec<Message> = Vec::with_capacity(messages.len());
    // Calls made text, by id: their tool's name.
    let mut textual: BTreeMap<String, String> = BTreeMap::new();
    // Whether the last message out is a user message of results made text.
    let mut results_open = false;
    for (i, mut message) in messages.into_iter().enumerate() {
        let calls = message.tool_calls.as_deref().unwrap_or_default();
        let unsigned = calls.iter().all(|c| !c.id.contains(SIGNATURE_SEPARATOR));
        let as_text =
            !calls.is_empty() && (!facts.tools || (unsigned_refused && i >= turn && unsigned));
        if message.role == Role::Assistant && as_text {
            let mut lines = vec![message.text_content()];
            for call in message.tool_calls.take().unwrap_or_default() {
                lines.push(format!(
                    "[called {} with {}]",
                    call.function.name, call.function.arguments
                ));
                textual.insert(call.id, call.function.name);
            }
            lines.retain(|l| !l.is_empty());
            message.content = Some(Content::Text(lines.join("\n\n")));
            out.push(message);
            results_open = false;
            continue;
        }
        let result_of = message
            .tool_call_id
            .as_ref()
            .filter(|_| message.role == Role::Tool)
            .and_then(|id| textual.get(id));
        if let Some(name) = result_of {
            let line = format!("[{name} returned: {}]", message.text_content());
            match out.last_mut().filter(|_| results_open) {
                Some(open) => {
                    let text = format!("{}\n\n{line}", open.text_content());
                    open.content = Some(Content::Text(text));
                }
                None => out.push(Message::text(Role::User, line)),
            }
            results_open = true;
            continue;
        }
        results_open = false;
        out.push(message);
    }
    out
}

/// An answer's thinking as text before its own, when its opaque parts are another
/// provider's (`to` would drop them, and the thinking with them).
fn thinking_as_text(mut message: Message, to: ProviderId) -> Message {
    let details = message.reasoning_details.as_deref().unwrap_or_default();
    if message.role != Role::Assistant
        || details.is_empty()
        || details.iter().any(|d| takes_back(to, d))
    {
        return message;
    }
    message.reasoning_details = None;
    if let Some(thinking) = message.reasoning_content.take().filter(|t| !t.is_empty()) {
        let text = message.text_content();
        message.content = Some(Content::Text(format!(
            "<thinking>\n{thinking}\n</thinking>\n\n{text}"
        )));
    }
    message
}

/// Whether `to` takes `detail` back (each provider its own format; OpenRouter every one).
fn takes_back(to: ProviderId, detail: &ReasoningDetail) -> bool {
    match to {
        ProviderId::Anthropic => detail.is_from(&ReasoningFormat::Anthropic),
        ProviderId::Google => detail.is_from(&ReasoningFormat::Google),
        ProviderId::OpenRouter => true,
        ProviderId::OpenAi
        | ProviderId::Groq
        | ProviderId::Mistral
        | ProviderId::DeepSeek
        | ProviderId::Xai
        | ProviderId::Together
        | ProviderId::Fireworks => false,
    }
}

/// Whether `to` takes `id` as a tool call's id.
fn takes_id(to: ProviderId, id: &str) -> bool {
    if to == ProviderId::Mistral {
        return id.len() == 9 && id.chars().all(|c| c.is_ascii_alphanumeric());
    }
    (1..=40).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Tool call ids `to` cannot take, or used twice, rewritten; each result follows its call.
fn ids_for(mut messages: Vec<Message>, to: ProviderId) -> Vec<Message> {
    let taken: BTreeSet<String> = messages
        .iter()
        .flat_map(|m| m.tool_calls.iter().flatten().map(|c| c.id.clone()))
        .collect();
    let mut fresh = Fresh { n: 0, taken };
    let mut used: BTreeSet<String> = BTreeSet::new();
    // The last answer's calls: old id → the id sent.
    let mut renamed: BTreeMap<String, String> = BTreeMap::new();
    for message in &mut messages {
        if let Some(calls) = message.tool_calls.as_mut() {
            renamed.clear();
            for call in calls {
                if !takes_id(to, &call.id) || used.contains(&call.id) {
                    let id = fresh.next();
                    renamed.insert(std::mem::replace(&mut call.id, id.clone()), id);
                }
                used.insert(call.id.clone());
            }
        }
        if let (Role::Tool, Some(id)) = (message.role, message.tool_call_id.as_mut()) {
            if let Some(new) = renamed.get(id) {
                id.clone_from(new);
            } else if !takes_id(to, id) {
                *id = fresh.next();
            }
        }
    }
    messages
}

/// Ids `fc0000001`, `fc0000002`, … none of the conversation's own.
struct Fresh {
    n: u32,
    taken: BTreeSet<String>,
}

impl Fresh {
    fn next(&mut self) -> String {
        loop {
            self.n += 1;
            let id = format!("fc{:07}", self.n);
            if !self.taken.contains(&id) {
                return id;
            }
        }
    }
}

#[cfg(test)]
mod tests;

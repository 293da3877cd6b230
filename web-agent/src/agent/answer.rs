//! The assistant message being streamed: its text, its thinking (text and opaque parts)
//! and its tool calls, put together chunk by chunk.

use std::collections::BTreeMap;

use ferry_core::wire::{
    ChatChunk, FunctionCall, Message, ReasoningDetail, Role, ToolCall, merge_reasoning_details,
};

/// The assistant message being streamed.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Answer {
    text: String,
    /// The model's thinking, as text (`reasoning_content`).
    thinking: String,
    /// The opaque parts of the thinking, merged by index: they go back to the provider
    /// exactly as they came.
    details: Vec<ReasoningDetail>,
    /// By the tool call's index in the stream.
    calls: BTreeMap<u32, ToolCall>,
}

/// What a chunk added that the UI is shown.
#[derive(Debug, Default)]
pub(super) struct Added<'c> {
    pub(super) thinking: Option<&'c str>,
    pub(super) text: Option<&'c str>,
}

impl Answer {
    pub(super) fn absorb<'c>(&mut self, chunk: &'c ChatChunk) -> Added<'c> {
        let Some(choice) = chunk.choices.first() else {
            return Added::default();
        };
        let thinking = choice
            .delta
            .reasoning_content
            .as_deref()
            .filter(|t| !t.is_empty());
        if let Some(thinking) = thinking {
            self.thinking.push_str(thinking);
        }
        if let Some(details) = &choice.delta.reasoning_details {
            merge_reasoning_details(&mut self.details, details);
        }
        for delta in choice.delta.tool_calls.iter().flatten() {
            let call = self.calls.entry(delta.index).or_insert_with(|| ToolCall {
                id: String::new(),
                kind: "function".to_owned(),
                function: FunctionCall {
                    name: String::new(),
                    arguments: String::new(),
                },
            });
            if let Some(id) = &delta.id {
                call.id.clone_from(id);
            }
            if let Some(function) = &delta.function {
                if let Some(name) = &function.name {
                    call.function.name.push_str(name);
                }
                if let Some(arguments) = &function.arguments {
                    call.function.arguments.push_str(arguments);
                }
            }
        }
        let text = choice.delta.content.as_deref().filter(|t| !t.is_empty());
        if let Some(text) = text {
            self.text.push_str(text);
        }
        Added { thinking, text }
    }

    /// The tool calls, in the order the model made them.
    pub(super) fn calls(&self) -> Vec<ToolCall> {
        self.calls.values().cloned().collect()
    }

    /// The answer as the message it is: its text, its thinking (text and opaque parts,
    /// which go back to the provider as they are), its tool calls.
    pub(super) fn into_message(mut self) -> Message {
        let calls = std::mem::take(&mut self.calls);
        let mut message = self.without_calls();
        if !calls.is_empty() {
            message.tool_calls = Some(calls.into_values().collect());
        }
        message
    }

    /// What of the answer is kept when it is stopped: a half-streamed tool call cannot be
    /// run or answered, so only the text and the thinking that arrived.
    pub(super) fn without_calls(self) -> Message {
        let mut message = Message::text(Role::Assistant, self.text);
        message.reasoning_content = Some(self.thinking).filter(|t| !t.is_empty());
        message.reasoning_details = Some(self.details).filter(|d| !d.is_empty());
        message
    }
}

//! The request that asks the model for a compaction summary, and the readable transcript
//! of the messages it summarizes.

use std::borrow::Cow;
use std::collections::HashMap;

use ferry_core::wire::{ChatRequest, Content, ContentPart, Message, Role};

use super::{Compaction, Entry};

/// Characters of one tool result copied into the transcript to summarize. Pages and search
/// results run long; the summary needs what they showed, and the summary request must
/// itself fit the window.
const TOOL_RESULT_CHARS: usize = 2_000;

const SUMMARIZER_PROMPT: &str = "\
You write the working summary of a conversation between a user and an AI assistant that \
uses tools. The assistant will continue from your summary alone, without the messages it \
replaces, so keep every detail it needs to carry on and drop what it does not. Do not \
continue the conversation, answer its questions or call tools: write only the summary.

Use exactly these Markdown sections, in this order:

## Goal
What the user wants overall, with the constraints and preferences they stated.

## Decisions
Choices made and why, including approaches tried and ruled out.

## Progress
What has been done and what is under way, with the tool results that matter.

## Open items
Unanswered questions, next steps, anything blocked.

## Key facts
Names, numbers, URLs, file names, quotes and other details that must survive exactly.

Write \"None\" under a section with nothing to say.";

const NEW_SUMMARY_TASK: &str = "Summarize the conversation above.";

pub(super) const UPDATE_SUMMARY_TASK: &str = "\
The summary in <previous-summary> covers the conversation before the messages in \
<conversation>. Update it to cover both: keep what still holds, add what is new, move \
finished open items to Progress, and drop only what the new messages made obsolete. Write \
the whole updated summary, not only the changes.";

/// The non-streaming request asking `model` for the structured summary of `to_summarize`,
/// as an update of `previous` when there is one.
pub fn summary_request(
    previous: Option<&Compaction>,
    to_summarize: &[Entry],
    model: &str,
) -> ChatRequest {
    let mut prompt = String::new();
    if let Some(previous) = previous {
        prompt.push_str("<previous-summary>\n");
        prompt.push_str(previous.summary.trim_end());
        prompt.push_str("\n</previous-summary>\n\n");
    }
    prompt.push_str("<conversation>\n");
    prompt.push_str(&transcript(to_summarize));
    prompt.push_str("</conversation>\n\n");
    prompt.push_str(match previous {
        Some(_) => UPDATE_SUMMARY_TASK,
        None => NEW_SUMMARY_TASK,
    });
    let mut request = ChatRequest::new(
        model,
        vec![
            Message::text(Role::System, SUMMARIZER_PROMPT),
            Message::text(Role::User, prompt),
        ],
    );
    request.stream = Some(false);
    request
}

/// The entries as plain text for the summarizer, tool calls and results included.
fn transcript(entries: &[Entry]) -> String {
    let mut call_names: HashMap<&str, &str> = HashMap::new();
    let mut out = String::new();
    for entry in entries {
        let message = &entry.message;
        let text = content_text(message.content.as_ref());
        if message.role == Role::Tool {
            let name = message
                .tool_call_id
                .as_deref()
                .and_then(|id| call_names.get(id).copied())
                .or(message.name.as_deref())
                .unwrap_or("tool");
            push_block(&mut out, &format!("Tool result: {name}"), &clip(&text));
            continue;
        }
        let markers: Vec<String> = entry
            .attachments
            .iter()
            .map(crate::runtime::attachment_marker)
            .collect();
        if !text.is_empty() || !markers.is_empty() {
            let body = std::iter::once(text.as_ref())
                .filter(|t| !t.is_empty())
                .chain(markers.iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join("\n");
            push_block(&mut out, role_label(message.role), &body);
        }
        for call in message.tool_calls.iter().flatten() {
            call_names.insert(&call.id, &call.function.name);
            let label = format!("Tool call: {}", call.function.name);
            push_block(&mut out, &label, &call.function.arguments);
        }
    }
    out
}

fn push_block(out: &mut String, label: &str, body: &str) {
    out.push('[');
    out.push_str(label);
    out.push_str("]\n");
    out.push_str(body.trim_end());
    out.push_str("\n\n");
}

fn role_label(role: Role) -> &'static str {
    match role {
        Role::System => "System",
        Role::Developer => "Developer",
        Role::User => "User",
        Role::Assistant => "Assistant",
        Role::Tool => "Tool",
    }
}

/// The content as text, with a marker where an image or other part stood.
fn content_text(content: Option<&Content>) -> Cow<'_, str> {
    match content {
        None => Cow::Borrowed(""),
        Some(Content::Text(text)) => Cow::Borrowed(text),
        Some(Content::Parts(parts)) => Cow::Owned(
            parts
                .iter()
                .map(|part| match part {
                    ContentPart::Text { text } => text.as_str(),
                    ContentPart::ImageUrl { .. } => "[image]",
                    ContentPart::File { .. } => "[document]",
                    ContentPart::Other(_) => "[attachment]",
                })
                .collect::<Vec<_>>()
                .join("\n"),
        ),
    }
}

/// `text` cut to [`TOOL_RESULT_CHARS`] characters, saying how much was left out.
fn clip(text: &str) -> Cow<'_, str> {
    match text.char_indices().nth(TOOL_RESULT_CHARS) {
        None => Cow::Borrowed(text),
        Some((at, _)) => {
            let (kept, rest) = (text.get(..at).unwrap_or(text), text.get(at..).unwrap_or(""));
            let left_out = rest.chars().count();
            Cow::Owned(format!("{kept}\n[… {left_out} more characters]"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compaction::tests::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn summary_request_asks_once_for_the_sections() {
        let entries = turns();
        let request = summary_request(None, &entries[..2], "gpt-x");
        assert_eq!(request.model, "gpt-x");
        assert!(!request.is_stream());
        assert_eq!(request.tools, None);
        let roles: Vec<Role> = request.messages.iter().map(|m| m.role).collect();
        assert_eq!(roles, [Role::System, Role::User]);
        let instructions = request.messages[0].text_content();
        for section in ["Goal", "Decisions", "Progress", "Open items", "Key facts"] {
            assert!(
                instructions.contains(&format!("## {section}\n")),
                "{section}"
            );
        }
        assert_eq!(
            request.messages[1].text_content(),
            "<conversation>\n[User]\ntext of u0\n\n[Assistant]\ntext of a1\n\n</conversation>\n\n\
             Summarize the conversation above."
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn tool_calls_and_results_read_as_text() {
        let mut named = result("t3", "c9", 10);
        named.message.name = Some("fetch_page".to_owned());
        let mut with_image = user("u4", 10);
        with_image.message.content = Some(Content::Parts(vec![
            ContentPart::Text {
                text: "what is this?".to_owned(),
            },
            ContentPart::ImageUrl {
                image_url: ferry_core::wire::ImageUrl {
                    url: "data:image/png;base64,AA".to_owned(),
                    detail: None,
                },
            },
        ]));
        let entries = vec![
            user("u0", 10),
            calls("a1", &["c1"], 10),
            result("t2", "c1", 10),
            named,
            with_image,
        ];
        assert_eq!(
            transcript(&entries),
            "[User]\ntext of u0\n\n\
             [Tool call: web_search]\n{\"query\":\"c1\"}\n\n\
             [Tool result: web_search]\nresult of c1\n\n\
             [Tool result: fetch_page]\nresult of c9\n\n\
             [User]\nwhat is this?\n[image]\n\n"
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn attachments_read_as_markers_with_or_without_text() {
        let file = |name: &str, kind, pages| ferry_protocol::AttachmentView {
            id: "ab".to_owned(),
            name: name.to_owned(),
            mime: String::new(),
            kind,
            size: 1,
            width: None,
            height: None,
            pages,
            original: None,
            original_size: None,
            text_bytes: None,
        };
        use ferry_core::media::MediaKind::{Document, Image, Text};
        let mut asked = user("u0", 10);
        asked.attachments = vec![
            file("a.png", Image, None),
            file("r.pdf", Document, Some(3)),
            file("one.pdf", Document, Some(1)),
            file("notes.md", Text, None),
        ];
        let mut bare = user("u1", 10);
        bare.message.content = Some(Content::Text(String::new()));
        bare.attachments = vec![file("b.png", Image, None)];
        assert_eq!(
            transcript(&[asked, bare]),
            "[User]\ntext of u0\n[image: a.png]\n[document: r.pdf, 3 pages]\n\
             [document: one.pdf, 1 page]\n[file: notes.md]\n\n\
             [User]\n[image: b.png]\n\n"
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn long_tool_results_are_clipped() {
        let mut long = result("t1", "c1", 10);
        long.message.content = Some(Content::Text("é".repeat(TOOL_RESULT_CHARS + 5)));
        let text = transcript(&[long]);
        let expected = format!(
            "[Tool result: tool]\n{}\n[… 5 more characters]\n\n",
            "é".repeat(TOOL_RESULT_CHARS)
        );
        assert_eq!(text, expected);
    }
}

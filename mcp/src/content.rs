//! A tool's result as the model reads it: one text, with images apart (the agent stores
//! them and shows them to models that take images).
//!
//! | part | text |
//! |---|---|
//! | text | as it is; parts joined by a blank line |
//! | embedded text resource | `<resource uri="…" mimeType="…">…</resource>` |
//! | embedded blob resource | a note with its uri, type and size |
//! | resource link | `[resource: name <uri>]` |
//! | audio | a note (no model here hears it) |
//! | image | apart, in [`ToolOutput::images`] |
//! | `structuredContent` | pretty JSON, when no text part is there (the spec says text SHOULD carry it too) |
//!
//! The text is cut at [`MAX_TEXT_CHARS`], with a note of how much there was: one tool
//! result cannot take the whole context window.

use crate::types::{CallResult, Content, ResourceContents};

/// What the model reads of a tool result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolOutput {
    pub text: String,
    /// The images returned, as (MIME type, base64 data).
    pub images: Vec<(String, String)>,
    /// False when the server said the call failed (`isError`).
    pub ok: bool,
}

/// The most characters of a tool result the model reads (about 25,000 tokens).
pub const MAX_TEXT_CHARS: usize = 100_000;

/// `text` within [`MAX_TEXT_CHARS`], ending with a note when it was cut.
fn within_limit(text: String) -> String {
    let total = text.chars().count();
    if total <= MAX_TEXT_CHARS {
        return text;
    }
    let kept: String = text.chars().take(MAX_TEXT_CHARS).collect();
    format!(
        "{kept}\n\n[cut: the tool returned {total} characters; the first {MAX_TEXT_CHARS} are shown]"
    )
}

/// The approximate decoded size of base64 `data`.
fn decoded_len(data: &str) -> usize {
    let padding = data.bytes().rev().take_while(|b| *b == b'=').count();
    (data.trim_end().len() / 4 * 3).saturating_sub(padding)
}

fn attribute(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
}

fn resource_text(resource: &ResourceContents) -> String {
    let mime = resource
        .mime_type
        .as_deref()
        .map(|m| format!(" mimeType=\"{}\"", attribute(m)))
        .unwrap_or_default();
    match (&resource.text, &resource.blob) {
        (Some(text), _) => format!(
            "<resource uri=\"{}\"{mime}>\n{text}\n</resource>",
            attribute(&resource.uri)
        ),
        (None, Some(blob)) => format!(
            "[binary resource {} ({}, {} bytes) not shown]",
            resource.uri,
            resource.mime_type.as_deref().unwrap_or("unknown type"),
            decoded_len(blob)
        ),
        (None, None) => format!("[empty resource {}]", resource.uri),
    }
}

/// One part's text, `None` for an image (kept apart).
pub fn part_text(part: &Content) -> Option<String> {
    match part {
        Content::Text { text } => Some(text.clone()),
        Content::Image { .. } => None,
        Content::Audio { mime_type, data } => Some(format!(
            "[audio ({mime_type}, {} bytes) not shown]",
            decoded_len(data)
        )),
        Content::ResourceLink { uri, name, .. } => Some(format!("[resource: {name} <{uri}>]")),
        Content::Resource { resource } => Some(resource_text(resource)),
        Content::Other(value) => Some(format!("[unsupported content: {value}]")),
    }
}

impl ToolOutput {
    /// The same as `ToolOutput::from(result)`.
    pub fn from_result(result: &CallResult) -> Self {
        Self::from(result)
    }
}

impl From<&CallResult> for ToolOutput {
    fn from(result: &CallResult) -> Self {
        let mut parts = Vec::new();
        let mut images = Vec::new();
        let mut has_text = false;
        for part in &result.content {
            if let Content::Image { data, mime_type } = part {
                images.push((mime_type.clone(), data.clone()));
                continue;
            }
            has_text |= matches!(part, Content::Text { .. });
            parts.extend(part_text(part));
        }
        if let (false, Some(structured)) = (has_text, &result.structured) {
            parts.push(serde_json::to_string_pretty(structured).unwrap_or_default());
        }
        if parts.is_empty() && !images.is_empty() {
            parts.push(format!("[{} image(s) returned]", images.len()));
        }
        Self {
            text: within_limit(parts.join("\n\n")),
            images,
            ok: !result.is_error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn output(result: serde_json::Value) -> ToolOutput {
        ToolOutput::from(&serde_json::from_value::<CallResult>(result).unwrap())
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_huge_text_is_cut_with_a_note() {
        let out =
            output(json!({"content": [{"type": "text", "text": "é".repeat(MAX_TEXT_CHARS + 5)}]}));
        assert!(out.text.starts_with(&"é".repeat(MAX_TEXT_CHARS)));
        assert!(out.text.ends_with(&format!(
            "\n\n[cut: the tool returned {} characters; the first {MAX_TEXT_CHARS} are shown]",
            MAX_TEXT_CHARS + 5
        )));
        let fits =
            output(json!({"content": [{"type": "text", "text": "é".repeat(MAX_TEXT_CHARS)}]}));
        assert_eq!(fits.text, "é".repeat(MAX_TEXT_CHARS));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_tiny_image_result() {
        let out = output(json!({"content": [
            {"type": "text", "text": "Here's the image you requested:"},
            {"type": "image", "data": "iVBORw0KGgo=", "mimeType": "image/png"},
            {"type": "text", "text": "The image above is the MCP logo."}
        ]}));
        assert_eq!(
            out,
            ToolOutput {
                text: "Here's the image you requested:\n\nThe image above is the MCP logo.".into(),
                images: vec![("image/png".into(), "iVBORw0KGgo=".into())],
                ok: true,
            }
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn structured_content_is_shown_only_without_text() {
        let with_text = output(json!({
            "content": [{"type": "text", "text": "{\"temperature\":33}"}],
            "structuredContent": {"temperature": 33}
        }));
        assert_eq!(with_text.text, "{\"temperature\":33}");
        let alone = output(json!({"content": [], "structuredContent": {"temperature": 33}}));
        assert_eq!(alone.text, "{\n  \"temperature\": 33\n}");
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn resources_links_audio_and_errors() {
        let out = output(json!({"content": [
            {"type": "resource", "resource": {"uri": "demo://resource/static/document/a.md", "mimeType": "text/markdown", "text": "# A"}},
            {"type": "resource", "resource": {"uri": "demo://b.bin", "mimeType": "application/gzip", "blob": "AAAA"}},
            {"type": "resource_link", "uri": "demo://c", "name": "c.txt"},
            {"type": "audio", "data": "AAAAAA==", "mimeType": "audio/wav"}
        ], "isError": true}));
        assert_eq!(
            out.text,
            "<resource uri=\"demo://resource/static/document/a.md\" mimeType=\"text/markdown\">\n# A\n</resource>\n\n\
             [binary resource demo://b.bin (application/gzip, 3 bytes) not shown]\n\n\
             [resource: c.txt <demo://c>]\n\n[audio (audio/wav, 4 bytes) not shown]"
        );
        assert!(!out.ok);
    }
}

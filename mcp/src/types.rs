//! What an MCP server tells about itself and its tools, prompts and resources, and what a
//! tool call returns, as the spec (2025-11-25) writes them on the wire. Unknown fields are
//! ignored; missing optional ones take the spec's defaults. The agent stores these types,
//! so they serialize back to the same wire names.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The server as `initialize` described it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerInfo {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default)]
    pub version: String,
    pub protocol_version: String,
    #[serde(default)]
    pub capabilities: Capabilities,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
}

impl ServerInfo {
    /// The name to show: the title when there is one.
    pub fn display_name(&self) -> &str {
        self.title.as_deref().unwrap_or(&self.name)
    }
}

/// Which lists the server offers, and whether it announces their changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    #[serde(default)]
    pub tools: Option<ListCapability>,
    #[serde(default)]
    pub prompts: Option<ListCapability>,
    #[serde(default)]
    pub resources: Option<ListCapability>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListCapability {
    #[serde(default, rename = "listChanged")]
    pub list_changed: bool,
}

/// One tool as `tools/list` gives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolInfo {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(rename = "inputSchema", default = "empty_object_schema")]
    pub input_schema: Value,
    #[serde(
        rename = "outputSchema",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub output_schema: Option<Value>,
    #[serde(default)]
    pub annotations: Annotations,
}

fn empty_object_schema() -> Value {
    serde_json::json!({"type": "object"})
}

/// A tool's hints, with the spec's defaults when absent: not read-only, destructive, not
/// idempotent, open world. Hints, not guarantees: they only set approval defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Annotations {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(rename = "readOnlyHint", default)]
    pub read_only: bool,
    #[serde(rename = "destructiveHint", default = "yes")]
    pub destructive: bool,
    #[serde(rename = "idempotentHint", default)]
    pub idempotent: bool,
    #[serde(rename = "openWorldHint", default = "yes")]
    pub open_world: bool,
}

fn yes() -> bool {
    true
}

impl Default for Annotations {
    fn default() -> Self {
        Self {
            title: None,
            read_only: false,
            destructive: true,
            idempotent: false,
            open_world: true,
        }
    }
}

/// One prompt as `prompts/list` gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptInfo {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub arguments: Vec<PromptArgument>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptArgument {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub required: bool,
}

/// One resource as `resources/list` gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceInfo {
    pub uri: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(rename = "mimeType", default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
}

/// A `tools/call` result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallResult {
    #[serde(default)]
    pub content: Vec<Content>,
    #[serde(
        rename = "structuredContent",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub structured: Option<Value>,
    #[serde(rename = "isError", default)]
    pub is_error: bool,
}

/// One part of a tool result or a prompt message. A part of a type this client does not
/// know is kept as raw JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Content {
    Text {
        text: String,
    },
    Image {
        data: String,
        #[serde(rename = "mimeType")]
        mime_type: String,
    },
    Audio {
        data: String,
        #[serde(rename = "mimeType")]
        mime_type: String,
    },
    ResourceLink {
        uri: String,
        #[serde(default)]
        name: String,
        #[serde(rename = "mimeType", default, skip_serializing_if = "Option::is_none")]
        mime_type: Option<String>,
    },
    Resource {
        resource: ResourceContents,
    },
    #[serde(untagged)]
    Other(Value),
}

// Read by hand from the JSON value: a derived tagged enum with an untagged fallback buffers
// every part and links a second reader for each variant's fields. Same rule: a part whose
// `type` is known and whose fields fit is that variant; any other is kept as it came.
impl<'de> Deserialize<'de> for Content {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Ok(Content::known(&value).unwrap_or(Content::Other(value)))
    }
}

impl Content {
    /// The part as a variant this client knows; `None` when its `type` is another or a field
    /// is missing or of the wrong kind.
    fn known(value: &Value) -> Option<Self> {
        let text = |key: &str| value.get(key)?.as_str().map(str::to_owned);
        let optional = |key: &str| match value.get(key) {
            None | Some(Value::Null) => Some(None),
            Some(Value::String(text)) => Some(Some(text.clone())),
            Some(_) => None,
        };
        Some(match value.get("type")?.as_str()? {
            "text" => Content::Text {
                text: text("text")?,
            },
            "image" => Content::Image {
                data: text("data")?,
                mime_type: text("mimeType")?,
            },
            "audio" => Content::Audio {
                data: text("data")?,
                mime_type: text("mimeType")?,
            },
            "resource_link" => Content::ResourceLink {
                uri: text("uri")?,
                name: match value.get("name") {
                    None => String::new(),
                    Some(name) => name.as_str()?.to_owned(),
                },
                mime_type: optional("mimeType")?,
            },
            "resource" => Content::Resource {
                resource: serde_json::from_value(value.get("resource")?.clone()).ok()?,
            },
            _ => return None,
        })
    }
}

/// A resource's contents (`resources/read`, or embedded in a result): text or base64 blob.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceContents {
    pub uri: String,
    #[serde(rename = "mimeType", default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blob: Option<String>,
}

/// `prompts/get`: the prompt's messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptMessages {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub messages: Vec<PromptMessage>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptMessage {
    pub role: String,
    pub content: Content,
}

/// One page of a paginated list (`tools/list`, `prompts/list`, `resources/list`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Page<T> {
    #[serde(alias = "tools", alias = "prompts", alias = "resources")]
    pub items: Vec<T>,
    #[serde(rename = "nextCursor", default)]
    pub next_cursor: Option<String>,
}

/// `resources/read`'s result.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ReadResult {
    #[serde(default)]
    pub contents: Vec<ResourceContents>,
}

/// `notifications/progress`'s params.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ProgressParams {
    #[serde(rename = "progressToken")]
    pub progress_token: Value,
    pub progress: f64,
    #[serde(default)]
    pub total: Option<f64>,
    #[serde(default)]
    pub message: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn annotations_take_the_spec_defaults() {
        let tool: ToolInfo = serde_json::from_value(json!({
            "name": "x", "inputSchema": {"type": "object"}
        }))
        .unwrap();
        assert_eq!(tool.annotations, Annotations::default());
        assert!(tool.annotations.destructive && !tool.annotations.read_only);
        let tool: ToolInfo = serde_json::from_value(json!({
            "name": "echo", "title": "Echo Tool", "description": "Echoes back the input string",
            "inputSchema": {"type": "object", "properties": {"message": {"type": "string"}}},
            "annotations": {"readOnlyHint": true, "destructiveHint": false,
                             "idempotentHint": true, "openWorldHint": false},
            "execution": {"taskSupport": "forbidden"}
        }))
        .unwrap();
        assert!(tool.annotations.read_only && !tool.annotations.destructive);
        let back = serde_json::to_value(&tool).unwrap();
        assert_eq!(back["annotations"]["readOnlyHint"], json!(true));
        assert_eq!(
            back["inputSchema"]["properties"]["message"]["type"],
            "string"
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn content_of_every_kind_and_an_unknown_one() {
        let result: CallResult = serde_json::from_value(json!({
            "content": [
                {"type": "text", "text": "a"},
                {"type": "image", "data": "iVBO", "mimeType": "image/png"},
                {"type": "resource_link", "uri": "demo://r/1", "name": "r1", "mimeType": "text/plain"},
                {"type": "resource", "resource": {"uri": "demo://r/2", "mimeType": "text/plain", "text": "hi"}},
                {"type": "hologram", "x": 1}
            ],
            "structuredContent": {"temperature": 22.5},
            "isError": false
        }))
        .unwrap();
        assert_eq!(result.content.len(), 5);
        assert!(matches!(result.content[4], Content::Other(_)));
        assert_eq!(result.structured, Some(json!({"temperature": 22.5})));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_known_part_whose_fields_do_not_fit_is_kept_as_it_came() {
        let parts: Vec<Content> = serde_json::from_value(json!([
            {"type": "text", "text": 7},
            {"type": "image", "data": "iVBO"},
            {"type": "resource_link", "uri": "demo://r/1", "name": null},
            {"type": "resource", "resource": {"text": "no uri"}},
            {"type": "resource_link", "uri": "demo://r/2", "mimeType": null},
            "text"
        ]))
        .unwrap();
        assert!(parts[..4].iter().all(|p| matches!(p, Content::Other(_))));
        assert_eq!(parts[0], Content::Other(json!({"type": "text", "text": 7})));
        assert_eq!(
            parts[4],
            Content::ResourceLink {
                uri: "demo://r/2".into(),
                name: String::new(),
                mime_type: None
            }
        );
        assert_eq!(parts[5], Content::Other(json!("text")));
        let text = Content::Text { text: "a".into() };
        let back: Content = serde_json::from_value(serde_json::to_value(&text).unwrap()).unwrap();
        assert_eq!(back, text);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_page_of_any_list() {
        let page: Page<PromptInfo> = serde_json::from_value(json!({
            "prompts": [{"name": "args-prompt", "arguments": [{"name": "city", "required": true}]}],
            "nextCursor": "2"
        }))
        .unwrap();
        assert_eq!(page.items[0].arguments[0].name, "city");
        assert_eq!(page.next_cursor.as_deref(), Some("2"));
    }
}

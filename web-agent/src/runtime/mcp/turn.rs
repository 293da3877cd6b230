//! MCP servers' tools in a turn: offered to the model beside the built-in ones (for the
//! servers on in the chat), known to the approval gate with their settings, and run
//! through the server's connection — progress shown, Stop sent on as a cancellation, the
//! result as the text the model reads, images stored as the tool message's attachments
//! and sent to the model right after the round's results.

use std::collections::BTreeMap;

use base64::Engine as _;
use ferry_core::media::MediaKind;
use ferry_core::wire::{Content, ContentPart, FunctionDef, Message, Role, Tool};
use ferry_mcp::content::ToolOutput;

use super::names;
use crate::approval::McpTool;
use crate::mcp::{McpFailure, Progress};
use crate::protocol::{AttachmentView, ErrorKind, Event};
use crate::runtime::{Clock, ClockTimer, Runtime};
use crate::seams::{Tokenizer, Vault};
use crate::store::{Attachment, Blob, Store};
use crate::transport::Transport;

/// What running an MCP tool came to.
pub(crate) struct McpRun {
    pub output: String,
    pub ok: bool,
    /// The images it returned, stored, for its message and for the UI.
    pub attachments: Vec<Attachment>,
    pub views: Vec<AttachmentView>,
    /// The message that sends them to the model after the round's results.
    pub images: Option<Message>,
    /// The user pressed Stop: the call was cancelled on the server.
    pub stopped: bool,
}

impl McpRun {
    fn failed(output: String) -> Self {
        Self {
            output,
            ok: false,
            attachments: Vec::new(),
            views: Vec::new(),
            images: None,
            stopped: false,
        }
    }
}

impl<T: Transport, S: Store, V: Vault, C: Clock, K: Tokenizer> Runtime<T, S, V, C, K> {
    /// The MCP tools a turn in `session` offers (of the servers on in this chat), by the
    /// names the model calls them; their declarations go with the turn's model calls.
    pub(in crate::runtime) async fn mcp_turn_tools(
        &self,
        session: &str,
    ) -> Result<BTreeMap<String, McpTool>, ErrorKind> {
        let chat = self
            .session(session)
            .await?
            .map(|s| s.mcp)
            .unwrap_or_default();
        let mut offered = BTreeMap::new();
        let mut declarations = Vec::new();
        for server in self.store.mcp_servers().await? {
            if !chat.get(&server.id).copied().unwrap_or(server.enabled) {
                continue;
            }
            for tool in &server.tools {
                let name = names::qualified(&server.prefix, &tool.name);
                if offered.contains_key(&name) {
                    continue;
                }
                let description = match &tool.description {
                    Some(text) => format!("{} (MCP server {}): {text}", tool.name, server.label()),
                    None => format!("{} (MCP server {})", tool.name, server.label()),
                };
                declarations.push(Tool {
                    kind: "function".to_owned(),
                    function: FunctionDef {
                        name: name.clone(),
                        description: Some(description),
                        parameters: Some(tool.input_schema.clone()),
                        extra: Default::default(),
                    },
                });
                offered.insert(
                    name,
                    McpTool {
                        server_id: server.id.clone(),
                        server: server.label().to_owned(),
                        tool: tool.name.clone(),
                        approval: server.approval(&tool.name),
                    },
                );
            }
        }
        *self.mcp.declarations.borrow_mut() = declarations;
        Ok(offered)
    }

    /// The declarations of the MCP tools the turn in progress offers.
    pub(in crate::runtime) fn mcp_declarations(&self) -> Vec<Tool> {
        self.mcp.declarations.borrow().clone()
    }

    /// Runs `tool` with `arguments` (call `call_id` of `session`); never fails the turn:
    /// a server's error is the output, `ok: false`.
    pub(in crate::runtime) async fn run_mcp_tool(
        &self,
        session: &str,
        call_id: &str,
        tool: &McpTool,
        arguments: &str,
        emit: &mut impl FnMut(Event),
    ) -> McpRun {
        let arguments = if arguments.trim().is_empty() {
            "{}"
        } else {
            arguments
        };
        let arguments: serde_json::Value = match serde_json::from_str(arguments) {
            Ok(value @ serde_json::Value::Object(_)) => value,
            _ => return McpRun::failed("the arguments must be a JSON object".to_owned()),
        };
        let mut record = match self.store.mcp_server(&tool.server_id).await {
            Ok(Some(record)) => record,
            Ok(None) => {
                return McpRun::failed(format!("the MCP server {} was removed", tool.server));
            }
            Err(e) => return McpRun::failed(e.to_string()),
        };
        let mut on_progress = |p: Progress| {
            emit(Event::ToolProgress {
                session: session.to_owned(),
                call_id: call_id.to_owned(),
                progress: p.progress,
                total: p.total,
                message: p.message,
            });
        };
        let answer = self
            .with_connection(&mut record, async |rt, connection, endpoint| {
                connection
                    .call_tool(
                        &rt.transport,
                        &ClockTimer(&rt.clock),
                        endpoint,
                        &tool.tool,
                        arguments.clone(),
                        &mut on_progress,
                        &rt.stop,
                    )
                    .await
            })
            .await;
        let result = match answer {
            Ok(result) => result,
            Err(McpFailure::Stopped) => {
                return McpRun {
                    stopped: true,
                    ..McpRun::failed(crate::protocol::STOPPED_TOOL_OUTPUT.to_owned())
                };
            }
            Err(failure) => return McpRun::failed(failure.to_string()),
        };
        let output = ToolOutput::from(&result);
        let mut run = McpRun {
            ok: output.ok,
            ..McpRun::failed(output.text)
        };
        let mut parts = Vec::new();
        let (takes, model) = (self.takes(), self.settings.model().to_owned());
        for (n, (mime, data)) in output.images.iter().enumerate() {
            let name = format!("{}-{}.{}", tool.tool, n + 1, extension(mime));
            let Some(blob) = self.image_blob(mime, data) else {
                run.output
                    .push_str(&format!("\n[{name}: an image that could not be read]"));
                continue;
            };
            if self.store.put_blob(&blob).await.is_err() {
                continue;
            }
            let attachment = Attachment {
                id: blob.id.clone(),
                name: name.clone(),
                kind: MediaKind::Image,
                original: None,
            };
            if let Ok(Some(facts)) = self.blob_facts(&blob.id).await {
                run.views
                    .push(crate::runtime::attachment_view(&attachment, &facts, None));
            }
            parts.push(crate::runtime::attachments::part(
                &name,
                MediaKind::Image,
                &blob,
                takes,
                &model,
            ));
            run.attachments.push(attachment);
        }
        if !parts.is_empty() {
            let mut all = vec![ContentPart::Text {
                text: format!("Images from {}/{}:", tool.server, tool.tool),
            }];
            all.extend(parts);
            let mut message = Message::text(Role::User, "");
            message.content = Some(Content::Parts(all));
            run.images = Some(message);
        }
        run
    }

    /// An image a tool returned (base64) as a blob; `None` when it is not base64 or not
    /// an image.
    fn image_blob(&self, mime: &str, data: &str) -> Option<Blob> {
        if !mime.starts_with("image/") {
            return None;
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data.trim().as_bytes())
            .ok()?;
        let (width, height) = png_size(&bytes).unzip();
        Some(Blob {
            id: Blob::id_of(&bytes),
            mime: mime.to_owned(),
            bytes,
            text: None,
            pages: None,
            width,
            height,
            created_ms: self.clock.now_ms(),
        })
    }
}

fn extension(mime: &str) -> &str {
    match mime {
        "image/jpeg" => "jpg",
        "image/svg+xml" => "svg",
        other => other
            .strip_prefix("image/")
            .filter(|e| e.chars().all(|c| c.is_ascii_alphanumeric()))
            .unwrap_or("img"),
    }
}

/// A PNG's size in pixels, from its header.
fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if bytes.len() < 24 || !bytes.starts_with(SIGNATURE) {
        return None;
    }
    let at = |i: usize| {
        bytes
            .get(i..i + 4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(u32::from_be_bytes)
    };
    Some((at(16)?, at(20)?))
}

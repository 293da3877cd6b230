//! The enabled servers' tools under the names the model sees: `<prefix>__<tool>`, valid as
//! an OpenAI, Anthropic and Gemini function name (`^[a-zA-Z][a-zA-Z0-9_-]{0,63}$`), unique
//! across servers, so two servers' `search` tools never clash.

use std::fmt::Write as _;

use ferry_core::wire::{FunctionDef, Tool};
use sha2::{Digest, Sha256};

use crate::types::ToolInfo;

/// The longest function name every provider takes.
pub const MAX_NAME: usize = 64;
/// The longest server prefix.
pub const MAX_PREFIX: usize = 20;
const SEPARATOR: &str = "__";

/// A server's prefix: its name's last `/` segment as lowercase `[a-z0-9_]`, at most 20
/// characters, starting with a letter, made unique among `taken` with `_2`, `_3`…
pub fn prefix_for(server_name: &str, taken: &[&str]) -> String {
    let last = server_name
        .rsplit('/')
        .find(|s| !s.trim().is_empty())
        .unwrap_or("");
    let mut slug = String::new();
    for c in last.chars().flat_map(char::to_lowercase) {
        let c = if c.is_ascii_alphanumeric() { c } else { '_' };
        if !(c == '_' && slug.ends_with('_')) {
            slug.push(c);
        }
    }
    let slug = slug.trim_matches('_');
    let mut base = if slug.starts_with(|c: char| c.is_ascii_lowercase()) {
        slug.to_owned()
    } else {
        format!("mcp_{slug}")
    };
    base.truncate(MAX_PREFIX);
    let base = base.trim_end_matches('_').to_owned();
    if !taken.contains(&base.as_str()) {
        return base;
    }
    (2..)
        .map(|n| {
            let suffix = format!("_{n}");
            let mut head = base.clone();
            head.truncate(MAX_PREFIX - suffix.len());
            head + &suffix
        })
        .find(|candidate| !taken.contains(&candidate.as_str()))
        .unwrap_or(base)
}

/// 6 hex digits of the SHA-256 of `text`.
fn short_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let mut hex = String::new();
    for byte in digest.iter().take(3) {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// `<prefix>__<tool>` with every other character made `_`, cut to 64 characters (the cut
/// ends in 6 hex digits of the full name's hash, so cut names stay distinct).
pub fn qualified(prefix: &str, tool: &str) -> String {
    let full = format!("{prefix}{SEPARATOR}{tool}");
    let mut name: String = full
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        name.insert(0, 't');
    }
    if name.len() > MAX_NAME {
        name.truncate(MAX_NAME - 7);
        name.push('_');
        name.push_str(&short_hash(&full));
    }
    name
}

/// One server's part of the catalog.
#[derive(Debug, Clone, Copy)]
pub struct ServerTools<'a> {
    /// The agent's id for the server.
    pub server_id: &'a str,
    pub prefix: &'a str,
    /// The name the model is told (the server's title, else its name).
    pub label: &'a str,
    pub tools: &'a [ToolInfo],
}

#[derive(Debug, Clone, PartialEq)]
struct Entry {
    qualified: String,
    server_id: String,
    tool: String,
    declaration: Tool,
}

/// The tools of the servers enabled in a chat, as the model sees them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalog {
    entries: Vec<Entry>,
}

fn declaration(name: &str, label: &str, tool: &ToolInfo) -> Tool {
    let about = tool
        .description
        .as_deref()
        .or(tool.title.as_deref())
        .unwrap_or(&tool.name);
    let mut parameters = tool.input_schema.clone();
    // A JSON-Schema dialect marker says nothing to a model and some providers refuse it.
    if let Some(map) = parameters.as_object_mut() {
        map.remove("$schema");
    }
    Tool {
        kind: "function".to_owned(),
        function: FunctionDef {
            name: name.to_owned(),
            description: Some(format!("[{label}] {about}")),
            parameters: Some(parameters),
            extra: Default::default(),
        },
    }
}

impl Catalog {
    pub fn new<'a>(servers: impl IntoIterator<Item = ServerTools<'a>>) -> Self {
        let mut catalog = Self::default();
        for server in servers {
            catalog.add(server.server_id, server.prefix, server.label, server.tools);
        }
        catalog
    }

    /// Adds one server's tools; `label` is the name the model is told (title, else name).
    pub fn add(&mut self, server_id: &str, prefix: &str, label: &str, tools: &[ToolInfo]) {
        for tool in tools {
            let mut name = qualified(prefix, &tool.name);
            if self.entries.iter().any(|e| e.qualified == name) {
                // Two tool names that differ only in characters made `_`.
                name.truncate(MAX_NAME - 7);
                name.push('_');
                name.push_str(&short_hash(&format!("{server_id}/{}", tool.name)));
            }
            self.entries.push(Entry {
                declaration: declaration(&name, label, tool),
                qualified: name,
                server_id: server_id.to_owned(),
                tool: tool.name.clone(),
            });
        }
    }

    /// The function declarations to send the model.
    pub fn declarations(&self) -> Vec<Tool> {
        self.entries.iter().map(|e| e.declaration.clone()).collect()
    }

    /// The server id and the server's own tool name behind a qualified name.
    pub fn resolve(&self, qualified: &str) -> Option<(&str, &str)> {
        self.entries
            .iter()
            .find(|e| e.qualified == qualified)
            .map(|e| (e.server_id.as_str(), e.tool.as_str()))
    }

    /// The qualified name of a server's tool.
    pub fn qualified(&self, server_id: &str, tool: &str) -> Option<String> {
        self.entries
            .iter()
            .find(|e| e.server_id == server_id && e.tool == tool)
            .map(|e| e.qualified.clone())
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn valid(name: &str) -> bool {
        !name.is_empty()
            && name.len() <= MAX_NAME
            && name.starts_with(|c: char| c.is_ascii_alphabetic())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    }

    fn tool(name: &str) -> ToolInfo {
        serde_json::from_value(json!({
            "name": name, "description": "Echoes back the input string",
            "inputSchema": {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
                            "properties": {"message": {"type": "string"}}}
        }))
        .unwrap()
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn prefixes_are_short_slugs_made_unique() {
        assert_eq!(prefix_for("mcp-servers/everything", &[]), "everything");
        assert_eq!(prefix_for("everything", &["everything"]), "everything_2");
        assert_eq!(
            prefix_for("everything", &["everything", "everything_2"]),
            "everything_3"
        );
        assert_eq!(prefix_for("GitHub MCP Server", &[]), "github_mcp_server");
        assert_eq!(prefix_for("42 tools", &[]), "mcp_42_tools");
        assert_eq!(prefix_for("", &[]), "mcp");
        assert_eq!(
            prefix_for("a-very-long-server-name-indeed", &[]),
            "a_very_long_server_n"
        );
        let long = prefix_for("a-very-long-server-name-indeed", &["a_very_long_server_n"]);
        assert_eq!(long, "a_very_long_server_2");
        assert!(long.len() <= MAX_PREFIX);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn qualified_names_are_valid_function_names() {
        assert_eq!(
            qualified("everything", "get-tiny-image"),
            "everything__get-tiny-image"
        );
        assert_eq!(qualified("notion", "pages.search"), "notion__pages_search");
        let long = qualified("everything", &"x".repeat(80));
        assert_eq!(long.len(), MAX_NAME);
        assert_ne!(long, qualified("everything", &"x".repeat(81)));
        for name in [
            long.as_str(),
            "everything__get-tiny-image",
            &qualified("ü", "é ü"),
        ] {
            assert!(valid(name), "{name}");
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn two_servers_search_tools_never_clash() {
        let a = [tool("search"), tool("a.b"), tool("a_b")];
        let b = [tool("search")];
        let catalog = Catalog::new([
            ServerTools {
                server_id: "s1",
                prefix: "github",
                label: "GitHub",
                tools: &a,
            },
            ServerTools {
                server_id: "s2",
                prefix: "linear",
                label: "Linear",
                tools: &b,
            },
        ]);
        let names: Vec<String> = catalog
            .declarations()
            .into_iter()
            .map(|t| t.function.name)
            .collect();
        assert_eq!(names[0], "github__search");
        assert_eq!(names[3], "linear__search");
        assert_ne!(names[1], names[2]);
        assert_eq!(catalog.resolve("linear__search"), Some(("s2", "search")));
        assert_eq!(catalog.resolve(&names[2]), Some(("s1", "a_b")));
        assert_eq!(catalog.resolve("web_fetch"), None);
        assert_eq!(
            catalog.qualified("s1", "search").as_deref(),
            Some("github__search")
        );
        let first = &catalog.declarations()[0].function;
        assert_eq!(
            first.description.as_deref(),
            Some("[GitHub] Echoes back the input string")
        );
        assert_eq!(
            first.parameters,
            Some(json!({"type": "object", "properties": {"message": {"type": "string"}}}))
        );
    }
}

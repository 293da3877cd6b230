//! The tools the model may call, declared as JSON-schema functions, and their calls read
//! back into typed requests for the runtime to carry out.
//!
//! | tool | does |
//! |---|---|
//! | `web_fetch(url)` | a public page as readable text, via the proxy's `/v1/proxy/fetch` |
//! | `web_search(query, count?)` | web results with the user's Brave or Tavily key, via `/v1/proxy/search` |
//! | `memory_save(text)` | keeps a note in the browser |
//! | `memory_search(query)` | finds notes by keywords |
//! | `memory_delete(id)` | forgets a note |

use ferry_core::wire::{FunctionDef, Tool};
use serde::Deserialize;
use serde_json::json;

/// The name of the web search tool, whose results later fetches may follow unasked.
pub const WEB_SEARCH: &str = "web_search";

/// The tools built in, by name.
const BUILTIN: [&str; 5] = [
    "web_fetch",
    WEB_SEARCH,
    "memory_save",
    "memory_search",
    "memory_delete",
];

/// Whether `name` is one of the built-in tools (not an MCP server's).
pub fn is_builtin(name: &str) -> bool {
    BUILTIN.contains(&name)
}

/// A tool call, read and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolRequest {
    WebFetch { url: String },
    WebSearch { query: String, count: Option<u32> },
    MemorySave { text: String },
    MemorySearch { query: String },
    MemoryDelete { id: String },
}

fn function(name: &str, description: &str, parameters: serde_json::Value) -> Tool {
    Tool {
        kind: "function".to_owned(),
        function: FunctionDef {
            name: name.to_owned(),
            description: Some(description.to_owned()),
            parameters: Some(parameters),
            extra: Default::default(),
        },
    }
}

fn one_string(name: &str, description: &str) -> serde_json::Value {
    json!({
        "type": "object",
        "properties": { name: { "type": "string", "description": description } },
        "required": [name],
        "additionalProperties": false
    })
}

/// The declarations sent with every model call; `web_search` only when the user has a
/// search key.
pub fn declarations(with_search: bool) -> Vec<Tool> {
    let mut tools = vec![function(
        "web_fetch",
        "Fetch a public web page and return its readable text.",
        one_string("url", "An http(s) URL."),
    )];
    if with_search {
        tools.push(function(
            WEB_SEARCH,
            "Search the web; returns titles, URLs and snippets.",
            json!({
                "type": "object",
                "properties": {
                    "query": { "type": "string" },
                    "count": { "type": "integer", "minimum": 1, "maximum": 20 }
                },
                "required": ["query"],
                "additionalProperties": false
            }),
        ));
    }
    tools.extend([
        function(
            "memory_save",
            "Remember a fact about the user or the work for later conversations.",
            one_string("text", "The note, self-contained."),
        ),
        function(
            "memory_search",
            "Find remembered notes by keywords.",
            one_string("query", "Keywords."),
        ),
        function(
            "memory_delete",
            "Forget a remembered note.",
            one_string("id", "The note's id, as memory_search gave it."),
        ),
    ]);
    tools
}

/// Reads a call the model made. The error is told to the model as the tool's output, so it
/// can correct itself.
pub fn parse(name: &str, arguments: &str) -> Result<ToolRequest, String> {
    #[derive(Deserialize)]
    struct Url {
        url: String,
    }
    #[derive(Deserialize)]
    struct Search {
        query: String,
        #[serde(default)]
        count: Option<u32>,
    }
    #[derive(Deserialize)]
    struct Text {
        text: String,
    }
    #[derive(Deserialize)]
    struct Query {
        query: String,
    }
    #[derive(Deserialize)]
    struct Id {
        id: String,
    }
    fn read<'a, T: Deserialize<'a>>(name: &str, arguments: &'a str) -> Result<T, String> {
        let arguments = if arguments.trim().is_empty() {
            "{}"
        } else {
            arguments
        };
        serde_json::from_str(arguments).map_err(|e| format!("invalid arguments for {name}: {e}"))
    }
    let non_empty = |field: &str, value: String| {
        if value.trim().is_empty() {
            Err(format!("{name}: {field} must not be empty"))
        } else {
            Ok(value)
        }
    };
    match name {
        "web_fetch" => Ok(ToolRequest::WebFetch {
            url: non_empty("url", read::<Url>(name, arguments)?.url)?,
        }),
        "web_search" => {
            let search: Search = read(name, arguments)?;
            Ok(ToolRequest::WebSearch {
                query: non_empty("query", search.query)?,
                count: search.count,
            })
        }
        "memory_save" => Ok(ToolRequest::MemorySave {
            text: non_empty("text", read::<Text>(name, arguments)?.text)?,
        }),
        "memory_search" => Ok(ToolRequest::MemorySearch {
            query: read::<Query>(name, arguments)?.query,
        }),
        "memory_delete" => Ok(ToolRequest::MemoryDelete {
            id: non_empty("id", read::<Id>(name, arguments)?.id)?,
        }),
        other => Err(no_such_tool(other)),
    }
}

/// What the model reads when it calls a tool that does not exist.
pub fn no_such_tool(name: &str) -> String {
    format!(
        "there is no tool named {name}; the tools are {}",
        BUILTIN.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn declarations_name_every_tool_once() {
        let names = |tools: Vec<Tool>| {
            tools
                .into_iter()
                .map(|t| t.function.name)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(declarations(true)),
            [
                "web_fetch",
                "web_search",
                "memory_save",
                "memory_search",
                "memory_delete"
            ]
        );
        assert!(!names(declarations(false)).contains(&"web_search".to_owned()));
        assert!(names(declarations(true)).iter().all(|n| is_builtin(n)));
        assert!(!is_builtin("get_weather"));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn calls_are_read_into_requests() {
        assert_eq!(
            parse("web_fetch", r#"{"url":"https://x.test"}"#),
            Ok(ToolRequest::WebFetch {
                url: "https://x.test".into()
            })
        );
        assert_eq!(
            parse("web_search", r#"{"query":"rust","count":3}"#),
            Ok(ToolRequest::WebSearch {
                query: "rust".into(),
                count: Some(3)
            })
        );
        assert_eq!(
            parse("memory_save", r#"{"text":"likes tea"}"#),
            Ok(ToolRequest::MemorySave {
                text: "likes tea".into()
            })
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn bad_calls_explain_themselves_to_the_model() {
        assert!(
            parse("web_fetch", "")
                .unwrap_err()
                .contains("invalid arguments for web_fetch")
        );
        assert!(
            parse("memory_save", r#"{"text":"  "}"#)
                .unwrap_err()
                .contains("must not be empty")
        );
        assert_eq!(
            parse("rm_rf", "{}"),
            Err("there is no tool named rm_rf; the tools are web_fetch, web_search, memory_save, memory_search, memory_delete".into())
        );
    }
}

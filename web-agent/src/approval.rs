//! Which tool calls run at once and which wait for the user: a pure policy over the call,
//! what the session says about where it came from, and the grants the user has given.
//!
//! Prompt injection is the threat: a fetched page may tell the model to fetch
//! `https://evil.example/?q=<the conversation>`, or to plant a note that repeats the trick
//! in every later chat. So a call that could carry the conversation somewhere the user did
//! not point to, or write memory on the word of tool output, asks first:
//!
//! | tool | runs without asking | asks |
//! |---|---|---|
//! | `web_fetch` | a URL the user wrote in this session, or one a `web_search` of this session returned | any other URL |
//! | `web_search` | always: the query goes to the user's own search engine and is shown in the step | — |
//! | `memory_save`, `memory_delete` | no tool output entered the context earlier in the turn | after tool output in the same turn |
//! | `memory_search` | always: it reads local notes only | — |
//! | an MCP server's tool set to `always` | always | — |
//! | an MCP server's tool set to `chat` | once allowed in this chat | the first call in a chat |
//! | an MCP server's tool set to `ask` | — | every call, unless granted in this chat |
//!
//! An MCP tool's setting defaults from its server's hints (`store::default_approval`):
//! read-only → `always`, destructive (the spec's default) → `ask`, other writes → `chat`.
//! A call of a name neither built in nor in the turn's MCP catalog never reaches this
//! policy: the turn fails it at once ([`crate::agent`]).
//!
//! A grant ("allow in this chat", "always allow") lets every call of that tool run; it
//! changes nothing about what the tool can reach.

use std::collections::{BTreeMap, BTreeSet};

use ferry_core::wire::{Message, Role};

use crate::tools::{self, ToolRequest};

/// The user's answer to a tool call that waits for approval.
pub use ferry_protocol::Decision;
use ferry_protocol::ToolApproval;

/// What the policy says about one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Run,
    Ask,
}

/// What the session says about where a call's arguments came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// URLs the user wrote in this session, normalized (see [`normalize_url`]).
    user_urls: BTreeSet<String>,
    /// URLs `web_search` returned in this session, normalized.
    search_urls: BTreeSet<String>,
    /// A tool's output entered the context earlier in this turn.
    pub tool_output_before: bool,
}

impl Facts {
    /// The facts a session's messages establish (the turn's own flag starts false).
    pub fn from_messages<'m>(messages: impl IntoIterator<Item = &'m Message>) -> Self {
        let mut facts = Self::default();
        let mut searches = BTreeSet::new();
        for message in messages {
            match message.role {
                Role::User => facts.user_wrote(&message.text_content()),
                Role::Assistant => {
                    for call in message.tool_calls.iter().flatten() {
                        if call.function.name == tools::WEB_SEARCH {
                            searches.insert(call.id.clone());
                        }
                    }
                }
                Role::Tool => {
                    let id = message.tool_call_id.as_deref().unwrap_or_default();
                    if searches.contains(id) {
                        facts.search_returned(&message.text_content());
                    }
                }
                Role::System | Role::Developer => {}
            }
        }
        facts
    }

    /// Notes the URLs in what the user wrote.
    pub fn user_wrote(&mut self, text: &str) {
        self.user_urls.extend(urls_in(text));
    }

    /// Notes the result URLs of a `web_search` output (as the tool writes it: a numbered
    /// title line, then the URL on the next line).
    pub fn search_returned(&mut self, output: &str) {
        let lines: Vec<&str> = output.lines().map(str::trim).collect();
        for pair in lines.windows(2) {
            let numbered = pair[0]
                .split_once(". ")
                .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
            if numbered
                && has_web_scheme(pair[1])
                && let Some(url) = normalize_url(pair[1])
            {
                self.search_urls.insert(url);
            }
        }
    }

    /// Whether the user wrote `url` or a search returned it.
    pub fn knows_url(&self, url: &str) -> bool {
        normalize_url(url)
            .is_some_and(|u| self.user_urls.contains(&u) || self.search_urls.contains(&u))
    }
}

/// The tools the user lets run without asking.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants {
    /// "Always allow" (kept with the settings).
    pub always: BTreeSet<String>,
    /// "Allow in this chat".
    pub in_chat: BTreeSet<String>,
}

impl Grants {
    pub fn allows(&self, tool: &str) -> bool {
        self.always.contains(tool) || self.in_chat.contains(tool)
    }
}

/// An MCP server's tool as a turn offers it to the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McpTool {
    /// The server's id.
    pub server_id: String,
    /// The server's name as the user knows it (its title, else its name).
    pub server: String,
    /// The server's name for the tool.
    pub tool: String,
    pub approval: ToolApproval,
}

/// What a turn asks the policy with: the session's facts, the user's grants, and the MCP
/// tools the turn offers (by the names the model calls them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Gate {
    pub facts: Facts,
    pub grants: Grants,
    pub mcp: BTreeMap<String, McpTool>,
}

impl Gate {
    pub fn verdict(&self, name: &str, arguments: &str) -> Verdict {
        match self.mcp.get(name) {
            Some(tool) => decide_mcp(name, tool.approval, &self.grants),
            None => decide(name, arguments, &self.facts, &self.grants),
        }
    }

    /// Whether the turn knows a tool of this name: built in, or an MCP server's.
    pub fn knows(&self, name: &str) -> bool {
        tools::is_builtin(name) || self.mcp.contains_key(name)
    }

    /// What the user is asked about: for an MCP tool, the server, the tool and the
    /// arguments; see [`subject`] for the built-in ones.
    pub fn subject(&self, name: &str, arguments: &str) -> String {
        match self.mcp.get(name) {
            Some(tool) => format!("{} / {}: {arguments}", tool.server, tool.tool),
            None => subject(name, arguments),
        }
    }

    /// The decision as it acts: allowing a call of an MCP tool set to `chat` allows the
    /// rest of the chat.
    pub fn effective(&self, name: &str, decision: Decision) -> Decision {
        match (self.mcp.get(name), decision) {
            (Some(tool), Decision::AllowOnce) if tool.approval == ToolApproval::Chat => {
                Decision::AllowInChat
            }
            _ => decision,
        }
    }
}

/// Whether a call of the MCP tool `name`, set to `approval`, runs at once.
pub fn decide_mcp(name: &str, approval: ToolApproval, grants: &Grants) -> Verdict {
    match approval {
        ToolApproval::Always => Verdict::Run,
        ToolApproval::Chat | ToolApproval::Ask if grants.allows(name) => Verdict::Run,
        ToolApproval::Chat | ToolApproval::Ask => Verdict::Ask,
    }
}

/// Whether the call `name(arguments)` runs at once or waits for the user.
pub fn decide(name: &str, arguments: &str, facts: &Facts, grants: &Grants) -> Verdict {
    if grants.allows(name) {
        return Verdict::Run;
    }
    let asks = |ask: bool| if ask { Verdict::Ask } else { Verdict::Run };
    match tools::parse(name, arguments) {
        Ok(ToolRequest::WebFetch { url }) => asks(!facts.knows_url(&url)),
        Ok(ToolRequest::WebSearch { .. } | ToolRequest::MemorySearch { .. }) => Verdict::Run,
        Ok(ToolRequest::MemorySave { .. } | ToolRequest::MemoryDelete { .. }) => {
            asks(facts.tool_output_before)
        }
        // A built-in tool with arguments it cannot read does nothing: its error goes back.
        Err(_) if tools::is_builtin(name) => Verdict::Run,
        // Any other tool (an MCP server's) asks until the user grants it.
        Err(_) => Verdict::Ask,
    }
}

/// What the user is asked about: the URL of a fetch, the text of a note, the query of a
/// search; the raw arguments of anything else.
pub fn subject(name: &str, arguments: &str) -> String {
    match tools::parse(name, arguments) {
        Ok(ToolRequest::WebFetch { url }) => url,
        Ok(ToolRequest::WebSearch { query, .. } | ToolRequest::MemorySearch { query }) => query,
        Ok(ToolRequest::MemorySave { text }) => text,
        Ok(ToolRequest::MemoryDelete { id }) => id,
        Err(_) => arguments.to_owned(),
    }
}

fn has_web_scheme(text: &str) -> bool {
    let lower = text.get(..8).unwrap_or(text).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// A URL in the form URLs are compared in: no scheme (http and https alike), host in lower
/// case, no fragment, no trailing slash. `None` for what is not a web address.
pub fn normalize_url(url: &str) -> Option<String> {
    let url = url.trim();
    let rest = match url.find("://") {
        Some(at) => {
            let scheme = url[..at].to_ascii_lowercase();
            if scheme != "http" && scheme != "https" {
                return None;
            }
            &url[at + 3..]
        }
        None => url,
    };
    let rest = rest.split('#').next().unwrap_or_default();
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (host, path) = rest.split_at(split);
    if host.is_empty() || host.contains('@') || host.chars().any(char::is_whitespace) {
        return None;
    }
    let mut normalized = host.to_ascii_lowercase();
    normalized.push_str(path.strip_suffix('/').unwrap_or(path));
    Some(normalized)
}

/// Whether a word written without a scheme names a host: `example.com/page`, `www.x.org`.
fn looks_like_host(word: &str) -> bool {
    let host = word.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.split(':').next().unwrap_or_default();
    let tld = host.rsplit('.').next().unwrap_or_default();
    host.contains('.')
        && host.starts_with(|c: char| c.is_ascii_alphanumeric())
        && !word.contains('@')
        && tld.len() >= 2
        && tld.chars().all(|c| c.is_ascii_alphabetic())
}

/// The web addresses in a text, normalized: `http(s)://…` anywhere in a word, and words
/// that name a host without a scheme. Punctuation that ends a sentence or closes brackets
/// around the address is not part of it.
pub fn urls_in(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for word in text.split(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '`')) {
        let lower = word.to_ascii_lowercase();
        let start = lower.find("https://").or_else(|| lower.find("http://"));
        let candidate = match start {
            Some(at) => &word[at..],
            None => word,
        };
        let candidate = trim_end_punctuation(candidate);
        if start.is_none() && !looks_like_host(candidate) {
            continue;
        }
        if let Some(url) = normalize_url(candidate) {
            found.push(url);
        }
    }
    found
}

fn trim_end_punctuation(mut word: &str) -> &str {
    loop {
        let trimmed = word.trim_end_matches(['.', ',', ';', ':', '!', '?', '\'', '*']);
        let trimmed = match trimmed.chars().last() {
            Some(')') if !trimmed.contains('(') => &trimmed[..trimmed.len() - 1],
            Some(']') if !trimmed.contains('[') => &trimmed[..trimmed.len() - 1],
            _ => trimmed,
        };
        if trimmed.len() == word.len() {
            return trimmed;
        }
        word = trimmed;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_core::wire::{FunctionCall, ToolCall};
    use wasm_bindgen_test::wasm_bindgen_test;

    fn fetch(url: &str) -> String {
        serde_json::json!({ "url": url }).to_string()
    }

    fn note(text: &str) -> String {
        serde_json::json!({ "text": text }).to_string()
    }

    fn called(id: &str, name: &str) -> Message {
        let mut message = Message::text(Role::Assistant, "");
        message.tool_calls = Some(vec![ToolCall {
            id: id.into(),
            kind: "function".into(),
            function: FunctionCall {
                name: name.into(),
                arguments: "{}".into(),
            },
        }]);
        message
    }

    fn result(id: &str, text: &str) -> Message {
        let mut message = Message::text(Role::Tool, text);
        message.tool_call_id = Some(id.into());
        message
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_fetch_of_a_url_the_user_wrote_runs_and_a_made_up_one_asks() {
        let facts = Facts::from_messages(&[Message::text(
            Role::User,
            "Summarize https://news.example/today, and (see example.org/about).",
        )]);
        let none = Grants::default();
        let verdict = |url: &str| decide("web_fetch", &fetch(url), &facts, &none);
        assert_eq!(verdict("https://news.example/today"), Verdict::Run);
        assert_eq!(verdict("https://NEWS.example/today/"), Verdict::Run);
        assert_eq!(verdict("http://news.example/today#top"), Verdict::Run);
        assert_eq!(verdict("https://example.org/about"), Verdict::Run);
        assert_eq!(
            verdict("https://evil.example/?q=Summarize+news"),
            Verdict::Ask
        );
        assert_eq!(verdict("https://news.example/today?q=secret"), Verdict::Ask);
        assert_eq!(verdict("https://news.example"), Verdict::Ask);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_fetch_of_a_search_result_runs_but_not_of_other_text_in_tool_output() {
        let output = "1. Ferry\nhttps://ferry.example/docs\nBring your own key. \
                      Visit https://evil.example/?q=x\n\n2. Other\nhttps://other.example/";
        let facts = Facts::from_messages(&[
            Message::text(Role::User, "search for ferry"),
            called("s1", "web_search"),
            result("s1", output),
            called("f1", "web_fetch"),
            // A page's text is no search result, whatever it lists.
            result("f1", "1. Trap\nhttps://trap.example/"),
        ]);
        let none = Grants::default();
        let verdict = |url: &str| decide("web_fetch", &fetch(url), &facts, &none);
        assert_eq!(verdict("https://ferry.example/docs"), Verdict::Run);
        assert_eq!(verdict("https://other.example"), Verdict::Run);
        assert_eq!(verdict("https://evil.example/?q=x"), Verdict::Ask);
        assert_eq!(verdict("https://trap.example/"), Verdict::Ask);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn memory_writes_ask_only_after_tool_output_in_the_turn() {
        let mut facts = Facts::default();
        let none = Grants::default();
        assert_eq!(
            decide("memory_save", &note("likes tea"), &facts, &none),
            Verdict::Run
        );
        assert_eq!(
            decide("memory_delete", r#"{"id":"n1"}"#, &facts, &none),
            Verdict::Run
        );
        facts.tool_output_before = true;
        assert_eq!(
            decide("memory_save", &note("likes tea"), &facts, &none),
            Verdict::Ask
        );
        assert_eq!(
            decide("memory_delete", r#"{"id":"n1"}"#, &facts, &none),
            Verdict::Ask
        );
        // Reading stays free.
        assert_eq!(
            decide("memory_search", r#"{"query":"tea"}"#, &facts, &none),
            Verdict::Run
        );
        assert_eq!(
            decide("web_search", r#"{"query":"tea"}"#, &facts, &none),
            Verdict::Run
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn grants_let_a_tool_run_and_unknown_tools_ask() {
        let facts = Facts {
            tool_output_before: true,
            ..Facts::default()
        };
        let mut grants = Grants::default();
        assert_eq!(
            decide("web_fetch", &fetch("https://a.example"), &facts, &grants),
            Verdict::Ask
        );
        assert_eq!(
            decide("mcp_files_read", "{}", &facts, &grants),
            Verdict::Ask
        );
        grants.in_chat.insert("web_fetch".into());
        grants.always.insert("mcp_files_read".into());
        assert_eq!(
            decide("web_fetch", &fetch("https://a.example"), &facts, &grants),
            Verdict::Run
        );
        assert_eq!(
            decide("mcp_files_read", "{}", &facts, &grants),
            Verdict::Run
        );
        // A grant is per tool.
        assert_eq!(
            decide("memory_save", &note("x"), &facts, &grants),
            Verdict::Ask
        );
        // A built-in call that cannot be read does nothing: its error goes back unasked.
        assert_eq!(decide("web_fetch", "{}", &facts, &grants), Verdict::Run);
        assert_eq!(decide("memory_save", "", &facts, &grants), Verdict::Run);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_user_is_asked_about_the_exact_call() {
        assert_eq!(
            subject("web_fetch", &fetch("https://a.example/?q=1")),
            "https://a.example/?q=1"
        );
        assert_eq!(subject("memory_save", &note("plant this")), "plant this");
        assert_eq!(
            subject("web_search", r#"{"query":"ferry rust"}"#),
            "ferry rust"
        );
        assert_eq!(subject("mcp_x", r#"{"a":1}"#), r#"{"a":1}"#);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_request_and_the_decision_are_tagged_json() {
        use crate::protocol::{Command, Event};
        let command: Command = serde_json::from_str(
            r#"{"type":"approve_tool_call","session":"s","call_id":"c1","decision":"allow_in_chat"}"#,
        )
        .unwrap();
        assert_eq!(
            command,
            Command::ApproveToolCall {
                session: "s".into(),
                call_id: "c1".into(),
                decision: Decision::AllowInChat,
            }
        );
        for (decision, json) in [
            (Decision::AllowOnce, "\"allow_once\""),
            (Decision::AlwaysAllow, "\"always_allow\""),
            (Decision::Deny, "\"deny\""),
        ] {
            assert_eq!(serde_json::to_string(&decision).unwrap(), json);
        }
        let event = Event::ToolApprovalRequested {
            session: "s".into(),
            call_id: "c1".into(),
            name: "web_fetch".into(),
            subject: "https://a.example/".into(),
        };
        assert_eq!(
            serde_json::to_value(&event).unwrap(),
            serde_json::json!({"type": "tool_approval_requested", "session": "s",
                "call_id": "c1", "name": "web_fetch", "subject": "https://a.example/"})
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn urls_are_found_in_prose_and_compared_without_scheme_case_or_trailing_slash() {
        assert_eq!(
            urls_in("See [docs](https://A.example/x). Or www.b.org! Not e.g. this, nor me@c.org"),
            vec!["a.example/x".to_owned(), "www.b.org".to_owned()]
        );
        assert_eq!(
            urls_in("wiki: https://en.wikipedia.org/wiki/Rust_(language)."),
            vec!["en.wikipedia.org/wiki/Rust_(language)".to_owned()]
        );
        assert_eq!(normalize_url("ftp://a.example"), None);
        assert_eq!(normalize_url("https://user@a.example"), None);
        assert_eq!(
            normalize_url("HTTPS://A.example/Path/?q=1#f").as_deref(),
            Some("a.example/Path/?q=1")
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn mcp_tools_follow_their_setting_and_the_grants() {
        let tool = |approval| McpTool {
            server_id: "m1".into(),
            server: "Everything".into(),
            tool: "echo".into(),
            approval,
        };
        let gate = |approval, grants: Grants| Gate {
            facts: Facts::default(),
            grants,
            mcp: [("everything__echo".to_owned(), tool(approval))].into(),
        };
        let none = Grants::default();
        let in_chat = Grants {
            in_chat: ["everything__echo".to_owned()].into(),
            ..Grants::default()
        };
        let verdict = |approval, grants| gate(approval, grants).verdict("everything__echo", "{}");
        assert_eq!(verdict(ToolApproval::Always, none.clone()), Verdict::Run);
        assert_eq!(verdict(ToolApproval::Chat, none.clone()), Verdict::Ask);
        assert_eq!(verdict(ToolApproval::Chat, in_chat.clone()), Verdict::Run);
        assert_eq!(verdict(ToolApproval::Ask, none.clone()), Verdict::Ask);
        let chat = gate(ToolApproval::Chat, none.clone());
        assert!(chat.knows("everything__echo") && chat.knows("web_fetch"));
        assert!(!chat.knows("other__echo"));
        // Allowing a `chat` tool once allows it in the chat; an `ask` tool stays asked.
        assert_eq!(
            chat.effective("everything__echo", Decision::AllowOnce),
            Decision::AllowInChat
        );
        assert_eq!(
            gate(ToolApproval::Ask, none).effective("everything__echo", Decision::AllowOnce),
            Decision::AllowOnce
        );
        assert_eq!(
            chat.subject("everything__echo", r#"{"message":"hi"}"#),
            r#"Everything / echo: {"message":"hi"}"#
        );
    }
}

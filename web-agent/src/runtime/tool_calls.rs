//! The tools at work: memory in the store, web pages and web search through the proxy.

use ferry_core::adapter::HttpMethod;
use ferry_core::search::{SearchEngine, SearchResults};
use serde::Deserialize;

use super::{Clock, Runtime};
use crate::memory::{self, Note};
use crate::routing;
use crate::seams::{Tokenizer, Vault};
use crate::store::{KeyOwner, Store};
use crate::tools::{self, ToolRequest};
use crate::transport::{self, Transport};

/// Characters of a fetched page handed to the model.
const PAGE_CHARS: usize = 20_000;

impl<T: Transport, S: Store, V: Vault, C: Clock, K: Tokenizer> Runtime<T, S, V, C, K> {
    /// Runs one tool; `Err` carries the message the model reads.
    pub(super) async fn run_tool(&self, name: &str, arguments: &str) -> Result<String, String> {
        let storage = |e: crate::store::StoreError| e.to_string();
        match tools::parse(name, arguments)? {
            ToolRequest::MemorySave { text } => {
                let note = Note {
                    id: self.clock.new_id(),
                    text,
                    created_ms: self.clock.now_ms(),
                };
                self.store.put_note(&note).await.map_err(storage)?;
                Ok(format!("saved as note {}", note.id))
            }
            ToolRequest::MemorySearch { query } => {
                let notes = self.store.notes().await.map_err(storage)?;
                let found = memory::search(&notes, &query, 10);
                if found.is_empty() {
                    return Ok("no notes match".to_owned());
                }
                Ok(found
                    .iter()
                    .map(|(note, _)| format!("{}: {}", note.id, note.text))
                    .collect::<Vec<_>>()
                    .join("\n"))
            }
            ToolRequest::MemoryDelete { id } => {
                self.store.delete_note(&id).await.map_err(storage)?;
                Ok(format!("note {id} forgotten"))
            }
            ToolRequest::WebFetch { url } => self.web_fetch(&url).await,
            ToolRequest::WebSearch { query, count } => self.web_search(&query, count).await,
        }
    }

    /// The search engine `web_search` uses, the first with a key, and its key.
    pub(super) fn search_engine(&self) -> Option<(SearchEngine, &str)> {
        SearchEngine::ALL.into_iter().find_map(|engine| {
            let key = self.keys.get(&KeyOwner::Search(engine))?;
            Some((engine, key.as_str()))
        })
    }

    async fn web_search(&self, query: &str, count: Option<u32>) -> Result<String, String> {
        let (engine, key) = self
            .search_engine()
            .ok_or("web search needs a Brave or Tavily key: add one in Settings")?;
        let body = serde_json::json!({ "query": query, "count": count.unwrap_or(5).clamp(1, 10) });
        let extra = [
            ("x-provider", engine.as_str().to_owned()),
            ("x-provider-key", key.to_owned()),
        ];
        let answer = self.proxy_tool("search", body, &extra).await?;
        let found: SearchResults = serde_json::from_slice(&answer)
            .map_err(|e| format!("unreadable search results: {e}"))?;
        if found.results.is_empty() {
            return Ok(format!("no results for {query:?}"));
        }
        Ok(found
            .results
            .iter()
            .enumerate()
            .map(|(i, r)| format!("{}. {}\n{}\n{}", i + 1, r.title, r.url, r.snippet))
            .collect::<Vec<_>>()
            .join("\n\n"))
    }

    /// Posts `body` to the proxy's `/v1/proxy/<route>`; the answer's body, or what the model
    /// should read about the failure (never the key: the proxy never echoes it).
    async fn proxy_tool(
        &self,
        route: &str,
        body: serde_json::Value,
        extra_headers: &[(&'static str, String)],
    ) -> Result<Vec<u8>, String> {
        let root = self
            .settings
            .proxy_url
            .as_deref()
            .ok_or_else(|| format!("web {route} needs the proxy: set a proxy URL"))?;
        let request = routing::proxy_request(
            root,
            HttpMethod::Post,
            route,
            Some(body.to_string()),
            extra_headers.to_vec(),
            self.access_token.as_deref(),
        );
        let answer = transport::fetch(&self.transport, &request)
            .await
            .map_err(|e| e.to_string())?;
        if answer.status >= 400 {
            return Err(format!(
                "web {route} failed ({}): {}",
                answer.status,
                String::from_utf8_lossy(&answer.body)
            ));
        }
        Ok(answer.body)
    }

    pub(super) async fn web_fetch(&self, url: &str) -> Result<String, String> {
        #[derive(Deserialize)]
        struct Page {
            url: String,
            status: u16,
            text: String,
        }
        let body = self
            .proxy_tool("fetch", serde_json::json!({ "url": url }), &[])
            .await?;
        let page: Page =
            serde_json::from_slice(&body).map_err(|e| format!("unreadable page: {e}"))?;
        let text: String = page.text.chars().take(PAGE_CHARS).collect();
        Ok(format!("{} (HTTP {})\n\n{text}", page.url, page.status))
    }
}

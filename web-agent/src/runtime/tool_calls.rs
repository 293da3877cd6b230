//! The tools at work: memory in the store, web pages through the proxy.

use ferry_core::adapter::{HttpMethod, UpstreamRequest};
use serde::Deserialize;

use super::{Clock, PAGE_CHARS, Runtime};
use crate::memory::{self, Note};
use crate::seams::{Tokenizer, Vault};
use crate::store::Store;
use crate::tools::{self, ToolRequest};
use crate::transport::{self, Transport};

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
            ToolRequest::WebSearch { .. } => Err("web search is not set up".to_owned()),
        }
    }

    pub(super) async fn web_fetch(&self, url: &str) -> Result<String, String> {
        #[derive(Deserialize)]
        struct Page {
            url: String,
            status: u16,
            text: String,
        }
        let proxy = self
            .settings
            .proxy_url
            .as_deref()
            .ok_or("web fetch needs the proxy: set a proxy URL")?
            .trim_end_matches('/');
        let mut headers = vec![("content-type", "application/json".to_owned())];
        if let Some(token) = &self.access_token {
            headers.push(("authorization", format!("Bearer {token}")));
        }
        let request = UpstreamRequest {
            method: HttpMethod::Post,
            url: format!("{proxy}/v1/proxy/fetch"),
            headers,
            body: Some(serde_json::json!({ "url": url }).to_string()),
        };
        let mut answer = self
            .transport
            .send(&request)
            .await
            .map_err(|e| e.to_string())?;
        let body = transport::read_all(&mut answer.body)
            .await
            .map_err(|e| e.to_string())?;
        if answer.status >= 400 {
            return Err(format!(
                "web fetch failed ({}): {}",
                answer.status,
                String::from_utf8_lossy(&body)
            ));
        }
        let page: Page =
            serde_json::from_slice(&body).map_err(|e| format!("unreadable page: {e}"))?;
        let text: String = page.text.chars().take(PAGE_CHARS).collect();
        Ok(format!("{} (HTTP {})\n\n{text}", page.url, page.status))
    }
}

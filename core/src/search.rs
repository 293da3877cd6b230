//! Web search for the agent's `web_search` tool, with the user's own Brave or Tavily key:
//! one OpenAI-style shape out, whatever the engine.
//!
//! | engine | request | answer |
//! |---|---|---|
//! | Brave | `GET {base}/res/v1/web/search?q=…&count=N`, key in `X-Subscription-Token` | `web.results[]`: `title`, `url`, `description` |
//! | Tavily | `POST {base}/search` `{"query","max_results"}`, key as `Authorization: Bearer` | `results[]`: `title`, `url`, `content` |

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ProxyError;
use crate::adapter::{HttpMethod, UpstreamRequest};

/// Results per search when the client asks for none; at most [`MAX_COUNT`].
pub const DEFAULT_COUNT: u32 = 5;
pub const MAX_COUNT: u32 = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SearchEngine {
    Brave,
    Tavily,
}

impl SearchEngine {
    pub const ALL: [SearchEngine; 2] = [Self::Brave, Self::Tavily];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Brave => "brave",
            Self::Tavily => "tavily",
        }
    }

    pub fn default_base_url(self) -> &'static str {
        match self {
            Self::Brave => "https://api.search.brave.com",
            Self::Tavily => "https://api.tavily.com",
        }
    }

    /// Prefix of `<PREFIX>_BASE_URL`.
    pub fn env_prefix(self) -> &'static str {
        match self {
            Self::Brave => "BRAVE",
            Self::Tavily => "TAVILY",
        }
    }
}

impl fmt::Display for SearchEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SearchEngine {
    type Err = ProxyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        Self::ALL
            .into_iter()
            .find(|e| e.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| {
                ProxyError::invalid(format!(
                    "unknown search provider '{wanted}': use brave or tavily"
                ))
            })
    }
}

/// `POST /v1/proxy/search` body.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SearchRequest {
    pub query: String,
    #[serde(default)]
    pub count: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchResults {
    pub results: Vec<SearchResult>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchResult {
    pub title: String,
    pub url: String,
    pub snippet: String,
}

/// The engine's request for `search`, with `key` in the engine's own header.
pub fn search_request(
    engine: SearchEngine,
    base_url: &str,
    key: &str,
    search: &SearchRequest,
) -> Result<UpstreamRequest, ProxyError> {
    let query = search.query.trim();
    if query.is_empty() {
        return Err(ProxyError::invalid("query must not be empty"));
    }
    let count = search.count.unwrap_or(DEFAULT_COUNT).clamp(1, MAX_COUNT);
    Ok(match engine {
        SearchEngine::Brave => UpstreamRequest {
            method: HttpMethod::Get,
            url: format!(
                "{base_url}/res/v1/web/search?q={}&count={count}",
                percent_encode(query)
            ),
            headers: vec![
                ("x-subscription-token", key.to_owned()),
                ("accept", "application/json".to_owned()),
            ],
            body: None,
            dropped: Vec::new(),
        },
        SearchEngine::Tavily => UpstreamRequest {
            method: HttpMethod::Post,
            url: format!("{base_url}/search"),
            headers: vec![
                ("authorization", format!("Bearer {key}")),
                ("content-type", "application/json".to_owned()),
            ],
            body: Some(serde_json::json!({ "query": query, "max_results": count }).to_string()),
            dropped: Vec::new(),
        },
    })
}

/// The engine's answer in Ferry's shape.
pub fn search_response(engine: SearchEngine, body: &[u8]) -> Result<SearchResults, String> {
    #[derive(Deserialize)]
    struct Hit {
        #[serde(default)]
        title: String,
        #[serde(default)]
        url: String,
        #[serde(default, alias = "content")]
        description: String,
    }
    #[derive(Deserialize, Default)]
    struct Web {
        #[serde(default)]
        results: Vec<Hit>,
    }
    #[derive(Deserialize)]
    struct Brave {
        #[serde(default)]
        web: Web,
    }
    let hits = match engine {
        SearchEngine::Brave => crate::json::read::<Brave>(body).map(|b| b.web.results),
        SearchEngine::Tavily => crate::json::read::<Web>(body).map(|w| w.results),
    }
    .map_err(|e| format!("unreadable answer from {engine}: {e}"))?;
    Ok(SearchResults {
        results: hits
            .into_iter()
            .filter(|h| !h.url.is_empty())
            .map(|h| SearchResult {
                title: h.title,
                url: h.url,
                snippet: h.description,
            })
            .collect(),
    })
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn ask(query: &str, count: Option<u32>) -> SearchRequest {
        SearchRequest {
            query: query.to_owned(),
            count,
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn brave_request_encodes_the_query_and_caps_the_count() {
        let r = search_request(
            SearchEngine::Brave,
            "https://b",
            "k",
            &ask("rust & wasm/ü", Some(99)),
        )
        .unwrap();
        assert_eq!(
            r.url,
            "https://b/res/v1/web/search?q=rust%20%26%20wasm%2F%C3%BC&count=20"
        );
        assert!(
            r.headers
                .contains(&("x-subscription-token", "k".to_owned()))
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn tavily_request_and_answers_of_both_engines() {
        let r =
            search_request(SearchEngine::Tavily, "https://t", "tvly-k", &ask("q", None)).unwrap();
        assert_eq!(r.body.as_deref(), Some(r#"{"max_results":5,"query":"q"}"#));
        let brave = br#"{"type":"search","web":{"results":[{"title":"T","url":"https://x","description":"D","age":"1d"}]}}"#;
        let tavily = br#"{"query":"q","results":[{"title":"T","url":"https://x","content":"D","score":0.9}]}"#;
        let expected = SearchResults {
            results: vec![SearchResult {
                title: "T".into(),
                url: "https://x".into(),
                snippet: "D".into(),
            }],
        };
        assert_eq!(
            search_response(SearchEngine::Brave, brave),
            Ok(expected.clone())
        );
        assert_eq!(search_response(SearchEngine::Tavily, tavily), Ok(expected));
        assert_eq!(
            search_response(SearchEngine::Brave, b"{}").map(|r| r.results.len()),
            Ok(0)
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn empty_query_and_unknown_engine_are_refused() {
        assert!(search_request(SearchEngine::Brave, "b", "k", &ask("  ", None)).is_err());
        assert_eq!("bing".parse::<SearchEngine>().unwrap_err().status(), 400);
    }
}

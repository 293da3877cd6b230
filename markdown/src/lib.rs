//! A model's Markdown as safe HTML: CommonMark with tables, strikethrough and task lists
//! (`pulldown-cmark`); code blocks highlighted, with a Copy button; raw HTML shown as text,
//! never rendered; links only to `http(s)` and `mailto`, opened in a new tab; images shown
//! as links, so an answer cannot make the browser fetch anything by itself.
//!
//! The app's first paint does not carry this crate: the agent's wasm module does (its page
//! handle exports `renderMarkdown`), and messages only ever arrive from the agent.

use pulldown_cmark::{CodeBlockKind, CowStr, Event, Options, Parser, Tag, TagEnd, html};

pub mod highlight;

use highlight::{escape, highlight};

fn safe_url(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("mailto:")
}

fn code_block(language: &str, code: &str) -> String {
    let mut out = String::from("<div class=\"code\"><div class=\"code-bar\"><span>");
    escape(
        if language.is_empty() {
            "text"
        } else {
            language
        },
        &mut out,
    );
    out.push_str(
        "</span><button type=\"button\" class=\"copy\" aria-label=\"Copy code\">Copy</button></div><pre><code>",
    );
    out.push_str(&highlight(code, language));
    out.push_str("</code></pre></div>");
    out
}

fn link_open(url: &str) -> String {
    let mut out = String::from("<a href=\"");
    escape(url, &mut out);
    out.push_str("\" target=\"_blank\" rel=\"noopener noreferrer\">");
    out
}

/// `markdown` rendered to HTML that is safe to put in the page.
pub fn to_html(markdown: &str) -> String {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut events: Vec<Event<'_>> = Vec::new();
    // Inside a code block: its language and text so far.
    let mut code: Option<(String, String)> = None;
    // Per open link: whether it was kept (a safe URL).
    let mut links: Vec<bool> = Vec::new();
    // Inside an image: its URL, while its alt text passes.
    let mut image: Option<String> = None;
    for event in Parser::new_ext(markdown, options) {
        if let Some((_, text)) = code.as_mut() {
            match event {
                Event::Text(t) => text.push_str(&t),
                Event::End(TagEnd::CodeBlock) => {
                    let (language, text) = code.take().unwrap_or_default();
                    events.push(Event::Html(CowStr::from(code_block(&language, &text))));
                }
                _ => {}
            }
            continue;
        }
        match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                let language = match kind {
                    CodeBlockKind::Fenced(info) => {
                        info.split_whitespace().next().unwrap_or("").to_owned()
                    }
                    CodeBlockKind::Indented => String::new(),
                };
                code = Some((language, String::new()));
            }
            // Raw HTML from a model is text to read, not markup to run.
            Event::Html(raw) | Event::InlineHtml(raw) => events.push(Event::Text(raw)),
            Event::Start(Tag::Link { dest_url, .. }) => {
                let kept = safe_url(&dest_url);
                links.push(kept);
                if kept {
                    events.push(Event::Html(CowStr::from(link_open(&dest_url))));
                }
            }
            Event::End(TagEnd::Link) => {
                if links.pop().unwrap_or(false) {
                    events.push(Event::Html(CowStr::from("</a>")));
                }
            }
            Event::Start(Tag::Image { dest_url, .. }) => {
                image = Some(dest_url.to_string());
                events.push(Event::Text(CowStr::from("[image: ")));
            }
            Event::End(TagEnd::Image) => {
                events.push(Event::Text(CowStr::from("]")));
                if let Some(url) = image.take().filter(|u| safe_url(u)) {
                    events.push(Event::Text(CowStr::from(" ")));
                    events.push(Event::Html(CowStr::from(link_open(&url))));
                    events.push(Event::Text(CowStr::from(url)));
                    events.push(Event::Html(CowStr::from("</a>")));
                }
            }
            other => events.push(other),
        }
    }
    // A code block still streaming in has no end yet: show what has arrived.
    if let Some((language, text)) = code {
        events.push(Event::Html(CowStr::from(code_block(&language, &text))));
    }
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events.into_iter());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn the_usual_markdown_renders() {
        let html = to_html(
            "# Title\n\n**bold** and `inline` and ~~gone~~\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
        );
        assert!(html.contains("<h1>Title</h1>"), "{html}");
        assert!(html.contains("<strong>bold</strong>"));
        assert!(html.contains("<code>inline</code>"));
        assert!(html.contains("<del>gone</del>"));
        assert!(
            html.contains("<table>") && html.contains("<td>2</td>"),
            "{html}"
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn code_blocks_are_highlighted_with_a_copy_button() {
        let html = to_html("```rust\nfn main() {}\n```\n");
        assert!(html.contains(r#"aria-label="Copy code""#), "{html}");
        assert!(
            html.contains(r#"<span class="tok-keyword">fn</span>"#),
            "{html}"
        );
        assert!(html.contains("<span>rust</span>"));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn an_unfinished_code_block_shows_what_arrived() {
        let html = to_html("Here:\n```python\nprint(1)\n");
        assert!(html.contains("print"), "{html}");
        assert!(html.contains("class=\"code\""));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn raw_html_is_shown_not_run() {
        for hostile in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "text <b onmouseover=alert(1)>x</b>",
            "<iframe src=\"https://evil.example\"></iframe>",
        ] {
            let html = to_html(hostile);
            assert!(
                !html.contains("<script")
                    && !html.contains("<img")
                    && !html.contains("<b ")
                    && !html.contains("<iframe"),
                "{hostile} → {html}"
            );
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn only_safe_links_are_links() {
        let html = to_html(
            "[ok](https://ferry.example/a?b=\"c\") [bad](javascript:alert(1)) [data](data:text/html,x)",
        );
        assert!(html.contains(r#"<a href="https://ferry.example/a?b=&quot;c&quot;" target="_blank" rel="noopener noreferrer">ok</a>"#), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("href=\"data:"), "{html}");
        assert!(html.contains("bad") && html.contains("data"));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn images_are_never_fetched() {
        let html = to_html("![a cat](https://tracker.example/pixel.png)");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("[image: a cat]"), "{html}");
        assert!(html.contains(r#"href="https://tracker.example/pixel.png""#));
    }
}

//! Syntax highlighting for code blocks, small by design: one left-to-right scan that marks
//! comments, strings, numbers and the language's keywords.
//! It is not a parser; it colours what a reader scans for and never changes the text.

use std::fmt::Write as _;

/// A language's lexical shape, as far as colouring goes.
struct Syntax {
    keywords: &'static [&'static str],
    line_comment: &'static [&'static str],
    block_comment: Option<(&'static str, &'static str)>,
    /// Characters that open (and close) a string.
    quotes: &'static [char],
}

const RUST: Syntax = Syntax {
    keywords: &[
        "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum",
        "extern", "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move",
        "mut", "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait",
        "true", "type", "unsafe", "use", "where", "while",
    ],
    line_comment: &["//"],
    block_comment: Some(("/*", "*/")),
    quotes: &['"'],
};

const C_LIKE: Syntax = Syntax {
    keywords: &[
        "async",
        "await",
        "break",
        "case",
        "catch",
        "class",
        "const",
        "continue",
        "default",
        "delete",
        "do",
        "else",
        "enum",
        "export",
        "extends",
        "false",
        "finally",
        "for",
        "from",
        "func",
        "function",
        "go",
        "if",
        "implements",
        "import",
        "in",
        "instanceof",
        "interface",
        "let",
        "new",
        "null",
        "package",
        "private",
        "protected",
        "public",
        "return",
        "static",
        "struct",
        "switch",
        "this",
        "throw",
        "true",
        "try",
        "type",
        "typeof",
        "var",
        "void",
        "while",
        "yield",
        "int",
        "char",
        "long",
        "double",
        "float",
        "bool",
        "boolean",
        "string",
        "undefined",
        "nil",
        "defer",
        "chan",
        "map",
        "range",
    ],
    line_comment: &["//"],
    block_comment: Some(("/*", "*/")),
    quotes: &['"', '\'', '`'],
};

const PYTHON: Syntax = Syntax {
    keywords: &[
        "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
        "elif", "else", "except", "False", "finally", "for", "from", "global", "if", "import",
        "in", "is", "lambda", "None", "nonlocal", "not", "or", "pass", "raise", "return", "True",
        "try", "while", "with", "yield",
    ],
    line_comment: &["#"],
    block_comment: None,
    quotes: &['"', '\''],
};

const SHELL: Syntax = Syntax {
    keywords: &[
        "if", "then", "else", "elif", "fi", "for", "while", "do", "done", "case", "esac",
        "function", "in", "return", "export", "local", "set", "echo", "cd",
    ],
    line_comment: &["#"],
    block_comment: None,
    quotes: &['"', '\''],
};

const DATA: Syntax = Syntax {
    keywords: &["true", "false", "null"],
    line_comment: &[],
    block_comment: None,
    quotes: &['"'],
};

const SQL: Syntax = Syntax {
    keywords: &[
        "select", "from", "where", "insert", "into", "values", "update", "set", "delete", "create",
        "table", "alter", "drop", "and", "or", "not", "null", "join", "left", "on", "group", "by",
        "order", "limit", "as", "policy", "grant", "SELECT", "FROM", "WHERE", "INSERT", "INTO",
        "VALUES", "UPDATE", "SET", "DELETE", "CREATE", "TABLE", "AND", "OR", "NOT", "NULL", "JOIN",
        "ON", "GROUP", "BY", "ORDER", "LIMIT", "AS",
    ],
    line_comment: &["--"],
    block_comment: Some(("/*", "*/")),
    quotes: &['\''],
};

fn syntax_of(language: &str) -> Option<&'static Syntax> {
    Some(match language.to_ascii_lowercase().as_str() {
        "rust" | "rs" => &RUST,
        "js" | "javascript" | "ts" | "typescript" | "jsx" | "tsx" | "c" | "cpp" | "c++" | "h"
        | "java" | "go" | "golang" | "kotlin" | "swift" | "cs" | "csharp" | "php" | "scala" => {
            &C_LIKE
        }
        "py" | "python" => &PYTHON,
        "sh" | "bash" | "shell" | "zsh" | "console" => &SHELL,
        "json" | "yaml" | "yml" | "toml" => &DATA,
        "sql" | "postgres" | "postgresql" => &SQL,
        _ => return None,
    })
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

fn span(class: &str, text: &str, out: &mut String) {
    let _ = write!(out, "<span class=\"tok-{class}\">");
    escape(text, out);
    out.push_str("</span>");
}

/// `code` as HTML: escaped, with `<span class="tok-…">` around comments, strings, numbers
/// and keywords when `language` is one it knows; plain escaped text otherwise.
pub fn highlight(code: &str, language: &str) -> String {
    let mut out = String::with_capacity(code.len() + code.len() / 4);
    let Some(syntax) = syntax_of(language) else {
        escape(code, &mut out);
        return out;
    };
    let mut rest = code;
    while let Some(c) = rest.chars().next() {
        if syntax.line_comment.iter().any(|m| rest.starts_with(m)) {
            let end = rest.find('\n').unwrap_or(rest.len());
            span("comment", &rest[..end], &mut out);
            rest = &rest[end..];
        } else if let Some((open, close)) =
            syntax.block_comment.filter(|(o, _)| rest.starts_with(o))
        {
            let end = rest[open.len()..]
                .find(close)
                .map_or(rest.len(), |i| open.len() + i + close.len());
            span("comment", &rest[..end], &mut out);
            rest = &rest[end..];
        } else if syntax.quotes.contains(&c) {
            let end = string_end(rest, c);
            span("string", &rest[..end], &mut out);
            rest = &rest[end..];
        } else if c.is_ascii_digit() {
            let end = rest
                .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '.' || ch == '_'))
                .unwrap_or(rest.len());
            span("number", &rest[..end], &mut out);
            rest = &rest[end..];
        } else if c.is_alphabetic() || c == '_' {
            let end = rest
                .find(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
                .unwrap_or(rest.len());
            let word = &rest[..end];
            if syntax.keywords.contains(&word) {
                span("keyword", word, &mut out);
            } else {
                escape(word, &mut out);
            }
            rest = &rest[end..];
        } else {
            let end = c.len_utf8();
            escape(&rest[..end], &mut out);
            rest = &rest[end..];
        }
    }
    out
}

/// The end of the string starting at `text[0] == quote`: after the closing quote (escapes
/// skipped), or the end of the line for an unclosed one.
fn string_end(text: &str, quote: char) -> usize {
    let mut escaped = false;
    for (i, c) in text.char_indices().skip(1) {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == quote {
            return i + c.len_utf8();
        } else if c == '\n' && quote != '`' {
            return i;
        }
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    /// What highlighting adds is markup only: without the tags and entities, the text is
    /// the code again.
    fn text_of(html: &str) -> String {
        let mut out = String::new();
        let mut in_tag = false;
        for c in html.chars() {
            match c {
                '<' => in_tag = true,
                '>' if in_tag => in_tag = false,
                c if !in_tag => out.push(c),
                _ => {}
            }
        }
        out.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&")
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn rust_keywords_strings_comments_and_numbers_are_marked() {
        let html = highlight("fn main() { let x = \"hi\"; // note\n 42 }", "rust");
        assert!(
            html.contains(r#"<span class="tok-keyword">fn</span>"#),
            "{html}"
        );
        assert!(html.contains(r#"<span class="tok-keyword">let</span>"#));
        assert!(html.contains(r#"<span class="tok-string">&quot;hi&quot;</span>"#));
        assert!(html.contains(r#"<span class="tok-comment">// note</span>"#));
        assert!(html.contains(r#"<span class="tok-number">42</span>"#));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_text_is_never_changed() {
        for (code, language) in [
            ("fn a<'a>(x: &'a str) -> &'a str { x } /* ok */", "rust"),
            ("const s = `multi\nline ${x}`; // <b>", "js"),
            ("def f():\n    return 'it''s' # done", "python"),
            ("echo \"$HOME\" && rm -rf \"a b\"", "bash"),
            ("{\"a\": [1, 2.5e3, true, null]}", "json"),
            ("unterminated \"string\nnext line", "c"),
            ("<script>alert(1)</script>", "unknown"),
            ("émoji 🚀 and ünïcode", "rust"),
        ] {
            assert_eq!(text_of(&highlight(code, language)), code, "{language}");
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn markup_in_code_is_escaped() {
        let html = highlight("<script>alert('x')</script>", "html");
        assert!(!html.contains("<script>"), "{html}");
        let html = highlight("let a = \"<img src=x onerror=alert(1)>\";", "js");
        assert!(!html.contains("<img"), "{html}");
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn keywords_inside_words_are_not_marked() {
        let html = highlight("letter format", "rust");
        assert!(!html.contains("tok-keyword"), "{html}");
    }
}

//! The names an MCP server's tools go by for the model (`<prefix>__<tool>`), and the
//! small readings of a server's address the agent needs.

/// Longest a tool name may be for every provider (OpenAI's limit).
const MAX_NAME: usize = 64;
/// Longest a server's prefix is.
const MAX_PREFIX: usize = 20;

/// A prefix for a server named `name` (its last `/` segment, lowercase letters, digits and
/// `_`, starting with a letter, at most 20 characters) that none of `taken` has.
pub(crate) fn prefix_for(name: &str, taken: &[String]) -> String {
    let last = name.rsplit('/').next().unwrap_or(name);
    let mut slug: String = last
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    slug = slug.trim_matches('_').to_owned();
    if !slug.starts_with(|c: char| c.is_ascii_lowercase()) {
        slug = format!("mcp_{slug}");
    }
    slug.truncate(MAX_PREFIX);
    let slug = slug.trim_end_matches('_').to_owned();
    if !taken.contains(&slug) {
        return slug;
    }
    (2..)
        .map(|n| {
            let suffix = format!("_{n}");
            let mut base = slug.clone();
            base.truncate(MAX_PREFIX - suffix.len());
            base + &suffix
        })
        .find(|candidate| !taken.contains(candidate))
        .unwrap_or(slug)
}

/// The name the model calls `tool` of the server with `prefix` by: `<prefix>__<tool>`,
/// characters outside `[a-zA-Z0-9_-]` as `_`, at most 64 characters (a longer one cut and
/// ended by 6 hex digits of the full name's SHA-256, so two long names stay apart).
pub(crate) fn qualified(prefix: &str, tool: &str) -> String {
    let full: String = format!("{prefix}__{tool}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if full.len() <= MAX_NAME {
        return full;
    }
    use sha2::{Digest, Sha256};
    let hash: String = Sha256::digest(full.as_bytes())[..3]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{}_{hash}", &full[..MAX_NAME - 7])
}

/// The host of `url` (what a server is called before it says its name).
pub(crate) fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let host = authority.rsplit('@').next().unwrap_or(authority);
    host.to_owned()
}

/// The last path segment of `uri` (a resource's name when its server gave none).
pub(crate) fn last_segment(uri: &str) -> String {
    let path = uri.split(['?', '#']).next().unwrap_or(uri);
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or(uri)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_short_slugs_made_unique() {
        assert_eq!(prefix_for("mcp-servers/everything", &[]), "everything");
        assert_eq!(
            prefix_for("everything", &["everything".to_owned()]),
            "everything_2"
        );
        assert_eq!(prefix_for("2fa tools", &[]), "mcp_2fa_tools");
        assert_eq!(prefix_for("A Very Long Server Name Indeed", &[]).len(), 20);
    }

    #[test]
    fn qualified_names_fit_every_provider() {
        assert_eq!(qualified("everything", "echo"), "everything__echo");
        assert_eq!(qualified("gh", "issues.list"), "gh__issues_list");
        let long = qualified("server", &"x".repeat(100));
        assert_eq!(long.len(), 64);
        assert_ne!(long, qualified("server", &"x".repeat(101)));
    }

    #[test]
    fn hosts_and_segments() {
        assert_eq!(
            host_of("https://mcp.example:8443/mcp?x"),
            "mcp.example:8443"
        );
        assert_eq!(last_segment("demo://resource/static/a.md"), "a.md");
    }
}

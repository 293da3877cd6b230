//! The names an MCP server's tools go by for the model (`<prefix>__<tool>`, from
//! `ferry_mcp::names`), and the small readings of a server's address the agent needs.

pub(crate) use ferry_mcp::names::{prefix_for, qualified};

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
    fn hosts_and_segments() {
        assert_eq!(
            host_of("https://mcp.example:8443/mcp?x"),
            "mcp.example:8443"
        );
        assert_eq!(last_segment("demo://resource/static/a.md"), "a.md");
    }
}

//! Just enough of URLs for OAuth: an absolute http(s) URL split into its parts, its
//! canonical form (RFC 8707's resource identifier), the well-known addresses built from it,
//! and `application/x-www-form-urlencoded` both ways.
//!
//! Only absolute `http`/`https` URLs without credentials are taken; every address the
//! authorization steps use is one.

use super::OAuthError;

/// An absolute http(s) URL in parts. Scheme and host are lower case, a default port is
/// dropped, the fragment is gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl {
    pub scheme: String,
    /// Host, with `[…]` around an IPv6 address.
    pub host: String,
    pub port: Option<u16>,
    /// Starts with `/` (or is empty for a bare origin).
    pub path: String,
    /// Without the `?`.
    pub query: Option<String>,
}

impl HttpUrl {
    pub fn parse(url: &str) -> Result<Self, OAuthError> {
        let bad = || OAuthError::BadUrl(url.to_owned());
        let url = url.trim();
        let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(bad());
        }
        let rest = rest.split('#').next().unwrap_or_default();
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        if authority.contains('@') || authority.is_empty() {
            return Err(bad());
        }
        let (path, query) = match tail.split_once('?') {
            Some((path, query)) => (path, Some(query.to_owned())),
            None => (tail, None),
        };
        let (host, port) = split_port(authority).ok_or_else(bad)?;
        if host.is_empty()
            || !host.chars().all(|c| {
                c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '[' | ']' | ':')
            })
        {
            return Err(bad());
        }
        let default = if scheme == "https" { 443 } else { 80 };
        Ok(Self {
            scheme,
            host: host.to_ascii_lowercase(),
            port: port.filter(|p| *p != default),
            path: path.to_owned(),
            query,
        })
    }

    /// `scheme://host[:port]`.
    pub fn origin(&self) -> String {
        match self.port {
            Some(port) => format!("{}://{}:{port}", self.scheme, self.host),
            None => format!("{}://{}", self.scheme, self.host),
        }
    }

    /// The path without its trailing slashes: empty for the root.
    pub fn trimmed_path(&self) -> &str {
        self.path.trim_end_matches('/')
    }

    /// Whether the host is this machine (where plain `http` is allowed).
    pub fn is_loopback(&self) -> bool {
        let host = self.host.as_str();
        host == "localhost"
            || host.ends_with(".localhost")
            || host == "[::1]"
            || host.strip_prefix("127.").is_some_and(|rest| {
                rest.split('.').count() == 3 && rest.split('.').all(|n| n.parse::<u8>().is_ok())
            })
    }

    /// HTTPS, or plain HTTP to this machine: what OAuth's endpoints may use.
    pub fn is_secure(&self) -> bool {
        self.scheme == "https" || self.is_loopback()
    }

    /// The canonical form (RFC 8707 § 2, as the MCP spec has it): lower-case scheme and
    /// host, no default port, no fragment, no trailing slash on a bare origin.
    pub fn canonical(&self) -> String {
        let path = if self.path == "/" { "" } else { &self.path };
        match &self.query {
            Some(query) => format!("{}{path}?{query}", self.origin()),
            None => format!("{}{path}", self.origin()),
        }
    }

    /// Whether `self` (a protected resource's identifier) covers `other` (the URL used):
    /// the same origin, and its path a whole-segment prefix of the other's.
    pub fn covers(&self, other: &HttpUrl) -> bool {
        if self.origin() != other.origin() {
            return false;
        }
        let mine = self.trimmed_path();
        let theirs = other.trimmed_path();
        mine.is_empty()
            || theirs == mine
            || theirs
                .strip_prefix(mine)
                .is_some_and(|rest| rest.starts_with('/'))
    }
}

fn split_port(authority: &str) -> Option<(&str, Option<u16>)> {
    // `[v6]:port`, `host:port`, or no port.
    let colon = match authority.rfind(']') {
        Some(close) => authority[close..].find(':').map(|i| close + i),
        None => authority.rfind(':'),
    };
    match colon {
        Some(i) => {
            let port = &authority[i + 1..];
            if port.is_empty() {
                return Some((&authority[..i], None));
            }
            Some((&authority[..i], Some(port.parse().ok()?)))
        }
        None => Some((authority, None)),
    }
}

/// One value encoded for a form body or a query string (`URLSearchParams`' rules).
pub fn form_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(char::from(byte));
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// `name=value&…`, each encoded.
pub fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(name, value)| format!("{}={}", form_encode(name), form_encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

fn decode(part: &str) -> String {
    let bytes = part.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = part
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A query string (`?` optional) or form body read into its pairs, decoded.
pub fn parse_form(query: &str) -> Vec<(String, String)> {
    query
        .trim_start_matches('?')
        .split('&')
        .filter(|part| !part.is_empty())
        .map(|part| match part.split_once('=') {
            Some((name, value)) => (decode(name), decode(value)),
            None => (decode(part), String::new()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    fn url(text: &str) -> HttpUrl {
        HttpUrl::parse(text).unwrap_or_else(|e| unreachable!("{e}"))
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn urls_are_split_and_made_canonical() {
        let u = url("HTTPS://MCP.Example.com:443/Server/MCP?x=1#frag");
        assert_eq!(u.origin(), "https://mcp.example.com");
        assert_eq!(u.path, "/Server/MCP");
        assert_eq!(u.canonical(), "https://mcp.example.com/Server/MCP?x=1");
        assert_eq!(
            url("https://mcp.example.com/").canonical(),
            "https://mcp.example.com"
        );
        assert_eq!(
            url("https://mcp.example.com").canonical(),
            "https://mcp.example.com"
        );
        assert_eq!(
            url("http://localhost:3000/mcp").canonical(),
            "http://localhost:3000/mcp"
        );
        assert_eq!(url("https://h:8443").canonical(), "https://h:8443");
        assert_eq!(url("http://[::1]:8080/a").origin(), "http://[::1]:8080");
        for bad in [
            "mcp.example.com",
            "ftp://x/",
            "https://user:pw@x/",
            "https:///path",
            "javascript://x%0aalert(1)",
            "https://x:99999/",
            "https://exa mple.com/",
        ] {
            assert!(HttpUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn only_https_or_loopback_is_secure() {
        assert!(url("https://as.example").is_secure());
        assert!(url("http://localhost:9000").is_secure());
        assert!(url("http://127.0.0.1:9000").is_secure());
        assert!(url("http://[::1]/").is_secure());
        assert!(!url("http://as.example").is_secure());
        assert!(!url("http://127.0.0.1.evil.example").is_secure());
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_resource_covers_its_own_url_and_those_below_it() {
        let server = url("https://h.example/team/mcp");
        assert!(url("https://h.example/team/mcp").covers(&server));
        assert!(url("https://h.example/team/").covers(&server));
        assert!(url("https://h.example").covers(&server));
        assert!(!url("https://h.example/te").covers(&server));
        assert!(!url("https://h.example/other").covers(&server));
        assert!(!url("https://other.example/team/mcp").covers(&server));
        assert!(!url("http://h.example/team/mcp").covers(&server));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn forms_are_encoded_and_read_back() {
        assert_eq!(
            form(&[("redirect_uri", "http://a/b c?d=é"), ("x", "~")]),
            "redirect_uri=http%3A%2F%2Fa%2Fb+c%3Fd%3D%C3%A9&x=%7E"
        );
        assert_eq!(
            parse_form("?code=a%2Bb+c&state=s%3D1&empty&bad=%zz"),
            vec![
                ("code".into(), "a+b c".into()),
                ("state".into(), "s=1".into()),
                ("empty".into(), String::new()),
                ("bad".into(), "%zz".into()),
            ]
        );
    }
}

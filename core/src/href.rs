//! An absolute http(s) URL in the form a WHATWG URL parser writes it, read strictly for the
//! proxy's guards (web fetch, the MCP relay): its scheme, whether it carries credentials,
//! and its host.
//!
//! The caller first puts every URL through the runtime's own parser (workerd's, the one its
//! `fetch` uses), which writes a host in ASCII lower case, an IPv4 address in dotted
//! decimal and an IPv6 address in brackets. This reader takes that form and refuses what it
//! could read differently from the runtime rather than guess at it: a host in Unicode or
//! percent-encoded, a name ending in a number (the runtime reads `0x7f.1` and `2130706433`
//! as 127.0.0.1), any character the parser would have encoded or dropped. Carrying no
//! parser of its own keeps the worker free of one (and of IDNA's tables).

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::ops::Range;

/// A URL's host, as the address checks need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    Ipv4(Ipv4Addr),
    Ipv6(Ipv6Addr),
    /// A name in ASCII lower case, as written (a trailing dot kept).
    Domain(String),
}

/// An absolute http(s) URL that [`read`] accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Href {
    text: String,
    host: Range<usize>,
}

impl Href {
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The host as written: a name, dotted decimal, or an IPv6 address in brackets.
    pub fn host(&self) -> &str {
        &self.text[self.host.clone()]
    }
}

impl fmt::Display for Href {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Reads `text` (surrounding whitespace aside). `Err` says why it is refused, for the caller
/// to word as its own.
pub fn read(text: &str) -> Result<(Href, Host), &'static str> {
    const INVALID: &str = "not a valid URL";
    let text = text.trim();
    // A parser's output has every space, control and non-ASCII character encoded.
    if text.bytes().any(|b| !b.is_ascii_graphic()) {
        return Err(INVALID);
    }
    let (scheme, rest) = text.split_once(':').ok_or(INVALID)?;
    if scheme.is_empty()
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
    {
        return Err(INVALID);
    }
    let scheme = scheme.to_ascii_lowercase();
    if !matches!(scheme.as_str(), "http" | "https") {
        return Err("only http and https URLs");
    }
    let rest = rest.strip_prefix("//").ok_or(INVALID)?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    // The runtime reads `\\` as `/`: that host would not be the one read here.
    if authority.contains('\\') {
        return Err(INVALID);
    }
    if authority.contains('@') {
        return Err("URLs with credentials");
    }
    let (host, port) = split_port(authority).ok_or(INVALID)?;
    if host.is_empty() {
        return Err("no host");
    }
    let host = host.to_ascii_lowercase();
    let read = read_host(&host).ok_or(INVALID)?;
    let mut out = String::with_capacity(text.len() + 1);
    out.push_str(&scheme);
    out.push_str("://");
    let start = out.len();
    out.push_str(&host);
    let host_range = start..out.len();
    if let Some(port) = port {
        out.push(':');
        out.push_str(port);
    }
    if !tail.starts_with('/') {
        out.push('/');
    }
    out.push_str(tail);
    Ok((
        Href {
            text: out,
            host: host_range,
        },
        read,
    ))
}

/// `host[:port]` apart; `None` when the port is not a number a URL may carry.
fn split_port(authority: &str) -> Option<(&str, Option<&str>)> {
    let colon = match authority.rfind(':') {
        // The colons of an IPv6 address are inside its brackets.
        Some(at) if !authority[at..].contains(']') => at,
        _ => return Some((authority, None)),
    };
    let (host, port) = (&authority[..colon], &authority[colon + 1..]);
    let number_ok = !port.is_empty()
        && port.len() <= 5
        && port.bytes().all(|b| b.is_ascii_digit())
        && port.parse::<u32>().is_ok_and(|n| n <= u32::from(u16::MAX));
    number_ok.then_some((host, Some(port)))
}

fn read_host(host: &str) -> Option<Host> {
    if let Some(inner) = host.strip_prefix('[') {
        return inner.strip_suffix(']')?.parse().ok().map(Host::Ipv6);
    }
    if ends_in_number(host) {
        // Only dotted decimal reads the same here as in the runtime, which drops a
        // trailing dot.
        let host = host.strip_suffix('.').unwrap_or(host);
        return host.parse().ok().map(Host::Ipv4);
    }
    host.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b))
        .then(|| Host::Domain(host.to_owned()))
}

/// The WHATWG parser's test for a host it reads as an IPv4 address: the last label (a
/// trailing empty one aside) is decimal digits, or hex after `0x`.
fn ends_in_number(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    let last = host.rsplit('.').next().unwrap_or(host);
    if !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    last.strip_prefix("0x")
        .is_some_and(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn host_of(text: &str) -> Host {
        read(text).map(|(_, host)| host).unwrap()
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_parsers_output_reads_as_it_is_written() {
        let (href, host) = read(" https://mcp.example.com:8443/mcp?x=1#top ").unwrap();
        assert_eq!(href.as_str(), "https://mcp.example.com:8443/mcp?x=1#top");
        assert_eq!(href.host(), "mcp.example.com");
        assert_eq!(host, Host::Domain("mcp.example.com".into()));
        assert_eq!(href.to_string(), href.as_str());
        assert_eq!(
            host_of("http://93.184.215.14/"),
            Host::Ipv4(Ipv4Addr::new(93, 184, 215, 14))
        );
        let (href, host) = read("http://[2606:4700::1111]:80/a").unwrap();
        assert_eq!(host, Host::Ipv6("2606:4700::1111".parse().unwrap()));
        assert_eq!(href.host(), "[2606:4700::1111]");
        // An empty path is the root; case in scheme and host is the parser's to fold.
        let (href, host) = read("HTTPS://Example.COM.?q").unwrap();
        assert_eq!(href.as_str(), "https://example.com./?q");
        assert_eq!(host, Host::Domain("example.com.".into()));
        // What follows the host is passed on as it is.
        assert_eq!(
            read("https://a.example/p\\q?r=%20'").unwrap().0.as_str(),
            "https://a.example/p\\q?r=%20'"
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn what_the_runtime_could_read_otherwise_is_refused() {
        for text in [
            // Numbers the WHATWG parser reads as IPv4 addresses.
            "http://2130706433/",
            "http://0x7f.1/",
            "http://0x7F000001/",
            "http://0177.0.0.1/",
            "http://127.1/",
            "http://127.0.0.1.5/",
            "http://example.0x/",
            "http://example.123/",
            // Encoded, Unicode, or with characters a parser would not leave there.
            "http://%31%32%37.0.0.1/",
            "https://bücher.example/",
            "http://\u{ff11}\u{ff12}\u{ff17}.0.0.1/",
            "http://exa mple.com/",
            "http://example.com\t/",
            "http://a.example\\@127.0.0.1/",
            "http://a.example!/",
            "http://[::1/",
            "http://[fe80::1%25eth0]/",
            "http://[::1]x/",
            // Ports that are not ports.
            "http://example.com:/",
            "http://example.com:99999/",
            "http://example.com:8o/",
            "http://example.com:+80/",
            // Not absolute URLs.
            "not a url",
            "/mcp",
            "//example.com/",
            "http:example.com",
            ":x",
            "",
        ] {
            assert_eq!(read(text).err(), Some("not a valid URL"), "{text:?}");
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn scheme_credentials_and_host_are_named_when_refused() {
        for text in [
            "file:///etc/passwd",
            "ftp://example.com/",
            "javascript:alert(1)",
        ] {
            assert_eq!(read(text).err(), Some("only http and https URLs"), "{text}");
        }
        for text in [
            "https://user:pw@example.com/",
            "https://user@example.com/",
            "http://@127.0.0.1/",
        ] {
            assert_eq!(read(text).err(), Some("URLs with credentials"), "{text}");
        }
        assert_eq!(read("http:///x").err(), Some("no host"));
        assert_eq!(read("http://:80/").err(), Some("no host"));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn names_that_only_look_numeric_are_names() {
        for text in [
            "http://1.example/",
            "http://0x7g.example/",
            "http://a.0x7g/",
        ] {
            assert!(matches!(host_of(text), Host::Domain(_)), "{text}");
        }
        assert_eq!(
            host_of("http://127.0.0.1./"),
            Host::Ipv4(Ipv4Addr::LOCALHOST),
            "a trailing dot does not hide the address"
        );
    }
}

//! Web pages for the agent's `web_fetch` tool: which addresses the proxy may fetch, and a
//! page reduced to readable text.
//!
//! The guard refuses anything but http(s) to public addresses: loopback, private,
//! link-local, carrier-grade NAT, documentation, benchmark, multicast and reserved ranges,
//! IPv6 forms that embed such an IPv4 address, and names that only mean something inside a
//! network (`localhost`, `*.internal`, `*.local`, single labels). IPv4 written in decimal,
//! octal or hex is normalised by the WHATWG URL parser before the check: the caller first
//! puts the URL through the runtime's own URL parser, which also writes a name in ASCII
//! (IDNA), and [`href::read`] refuses what that parser would not have written. Names are
//! checked again against the addresses they resolve to, and every redirect target is
//! checked anew, by the caller.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::ProxyError;
use crate::href::{self, Host, Href};

/// The most of a page that is read.
pub const MAX_PAGE_BYTES: usize = 1024 * 1024;
/// Redirects followed at most.
pub const MAX_REDIRECTS: usize = 5;

/// Where a URL points, once it passed the checks that need no DNS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A public IP address: nothing more to check.
    Address(IpAddr),
    /// A name whose addresses the caller must still check with [`is_public`].
    Name(String),
}

fn refused(why: &str) -> ProxyError {
    ProxyError::invalid(format!("web fetch refused: {why}"))
}

/// Checks a URL the agent asked for (or a redirect led to). With `allow_private` (local
/// testing only) any http(s) URL passes.
pub fn check_url(url: &str, allow_private: bool) -> Result<(Href, Target), ProxyError> {
    check_address(url, allow_private).map_err(refused)
}

/// The guard of [`check_url`] for any route that reaches a user-given URL (the MCP relay
/// too): `Err` says why the URL is refused, for the caller to word as its own.
pub fn check_address(url: &str, allow_private: bool) -> Result<(Href, Target), &'static str> {
    let (parsed, host) = href::read(url)?;
    let target = match host {
        Host::Ipv4(ip) => Target::Address(IpAddr::V4(ip)),
        Host::Ipv6(ip) => Target::Address(IpAddr::V6(ip)),
        Host::Domain(name) => Target::Name(name.trim_end_matches('.').to_owned()),
    };
    if allow_private {
        return Ok((parsed, target));
    }
    match &target {
        Target::Address(ip) if !is_public(*ip) => Err("not a public address"),
        Target::Name(name) if is_local_name(name) => Err("not a public name"),
        _ => Ok((parsed, target)),
    }
}

fn is_local_name(name: &str) -> bool {
    !name.contains('.')
        || name == "localhost"
        || [
            ".localhost",
            ".local",
            ".internal",
            ".localdomain",
            ".home.arpa",
            ".lan",
        ]
        .iter()
        .any(|suffix| name.ends_with(suffix))
}

/// Whether an address is on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(a == 0
        || a == 10
        || a == 127
        || (a == 100 && (64..128).contains(&b))
        || (a == 169 && b == 254)
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 0 && (c == 0 || c == 2))
        || (a == 192 && b == 168)
        || (a == 198 && (b == 18 || b == 19))
        || (a == 198 && b == 51 && c == 100)
        || (a == 203 && b == 0 && c == 113)
        || a >= 224)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) carry an IPv4 address a router will use.
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        return is_public_v4(embedded_v4(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        return is_public_v4(embedded_v4(s[1], s[2]));
    }
    // Teredo (2001::/32) tunnels to an address hidden in the rest; the local-use NAT64
    // prefix (64:ff9b:1::/48, RFC 8215) maps onto private networks. Neither is checked
    // further: both are refused.
    if (s[0] == 0x2001 && s[1] == 0) || (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1) {
        return false;
    }
    !(ip.is_unspecified()
        || ip.is_loopback()
        || s[0..6] == [0, 0, 0, 0, 0, 0] // IPv4-compatible (deprecated)
        || (s[0] & 0xfe00) == 0xfc00 // unique local
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] & 0xff00) == 0xff00 // multicast
        || (s[0] == 0x2001 && s[1] == 0x0db8)) // documentation
}

fn embedded_v4(high: u16, low: u16) -> Ipv4Addr {
    let [a, b] = high.to_be_bytes();
    let [c, d] = low.to_be_bytes();
    Ipv4Addr::new(a, b, c, d)
}

/// The addresses in a DNS-over-HTTPS JSON answer (`application/dns-json`): `Ok` with the
/// A and AAAA records, `Err` when the name does not resolve or the answer is unreadable.
pub fn doh_addresses(body: &[u8]) -> Result<Vec<IpAddr>, String> {
    #[derive(serde::Deserialize)]
    struct Answer {
        #[serde(rename = "type")]
        kind: u16,
        data: String,
    }
    #[derive(serde::Deserialize)]
    struct Reply {
        #[serde(rename = "Status")]
        status: u16,
        #[serde(rename = "Answer", default)]
        answer: Vec<Answer>,
    }
    let reply: Reply = crate::json::read(body).map_err(|_| "unreadable DNS answer".to_owned())?;
    if reply.status != 0 {
        return Err("the name does not resolve".to_owned());
    }
    // 1 = A, 28 = AAAA; CNAMEs (5) are followed by the resolver and listed before.
    Ok(reply
        .answer
        .iter()
        .filter(|a| a.kind == 1 || a.kind == 28)
        .filter_map(|a| a.data.parse().ok())
        .collect())
}

/// A page's readable text: HTML reduced to its words (scripts, styles and markup gone,
/// entities decoded, blocks on lines of their own); plain text and JSON as they are.
pub fn readable_text(content_type: &str, body: &[u8]) -> Option<String> {
    let kind = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let text = String::from_utf8_lossy(body);
    match kind.as_str() {
        "text/html" | "application/xhtml+xml" => Some(html_to_text(&text)),
        "" | "text/plain" | "text/markdown" | "text/csv" | "application/json" | "text/xml"
        | "application/xml" => Some(text.into_owned()),
        other if other.starts_with("text/") || other.ends_with("+json") => Some(text.into_owned()),
        _ => None,
    }
}

/// Elements whose content is never text for a reader.
const SKIPPED: [&str; 7] = [
    "script", "style", "noscript", "template", "svg", "head", "iframe",
];
/// Elements set apart by a blank line.
const PARAGRAPHS: [&str; 15] = [
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "section",
    "article",
    "pre",
    "blockquote",
    "title",
    "hr",
    "ul",
];
/// Elements that start a new line.
const LINES: [&str; 13] = [
    "div", "br", "li", "ol", "tr", "td", "th", "header", "footer", "nav", "aside", "main", "dd",
];

pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut skip_until: Option<String> = None;
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        if skip_until.is_none() {
            push_text(&mut out, &rest[..open]);
        }
        rest = &rest[open..];
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map_or("", |end| &after[end + 3..]);
            continue;
        }
        let Some(close) = rest.find('>') else {
            rest = "";
            break;
        };
        let tag = &rest[1..close];
        rest = &rest[close + 1..];
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if let Some(skipped) = &skip_until {
            if closing && *skipped == name {
                skip_until = None;
            }
            continue;
        }
        // `<head>` holds the title, the one part of it worth keeping.
        if !closing && name != "head" && SKIPPED.contains(&name.as_str()) && !tag.ends_with('/') {
            skip_until = Some(name);
        } else if PARAGRAPHS.contains(&name.as_str()) {
            out.push_str("\n\n");
        } else if LINES.contains(&name.as_str()) && !out.ends_with('\n') {
            out.push('\n');
        }
    }
    if skip_until.is_none() {
        push_text(&mut out, rest);
    }
    tidy(&out)
}

fn push_text(out: &mut String, raw: &str) {
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let end = rest[..rest.len().min(12)].find(';');
        match end.and_then(|end| decode_entity(&rest[1..end]).map(|c| (c, end))) {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
}

fn decode_entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(code);
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "mdash" => '—',
        "ndash" => '–',
        "hellip" => '…',
        "copy" => '©',
        "rsquo" => '’',
        "lsquo" => '‘',
        "rdquo" => '”',
        "ldquo" => '“',
        _ => return None,
    })
}

/// Collapses runs of spaces within lines and of blank lines between them.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.is_empty() {
            blank_run += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank_run > 0 { "\n\n" } else { "\n" });
        }
        out.push_str(&words.join(" "));
        blank_run = 0;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn private_and_odd_addresses_are_refused() {
        for url in [
            "http://127.0.0.1/",
            "http://localhost:8080/x",
            "http://sub.localhost/",
            "http://2130706433/",
            "http://0x7f.1/",
            "http://0177.0.0.1/",
            "http://10.1.2.3/",
            "http://172.20.0.1/",
            "http://192.168.1.1/",
            "http://169.254.169.254/latest/meta-data/",
            "http://100.64.0.1/",
            "http://0.0.0.0/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://[64:ff9b::a00:1]/",
            "http://[2002:c0a8:101::]/",
            "http://metadata.google.internal/",
            "http://printer.local/",
            "http://intranet/",
            "file:///etc/passwd",
            "ftp://example.com/",
            "https://user:pw@example.com/",
            "not a url",
        ] {
            assert!(check_url(url, false).is_err(), "{url} passed");
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn tunnel_and_translation_prefixes() {
        let public = |a: &str| is_public(a.parse::<IpAddr>().unwrap());
        // Teredo, whatever it carries.
        assert!(!public("2001::1"));
        assert!(!public("2001:0:4136:e378:8000:63bf:3fff:fdd2"));
        assert!(!public("2001:0:ffff:ffff:ffff:ffff:ffff:ffff"));
        // Local-use NAT64 (RFC 8215).
        assert!(!public("64:ff9b:1::808:808"));
        assert!(!public("64:ff9b:1:ffff::1"));
        // Well-known NAT64 stays as it was: the embedded IPv4 decides.
        assert!(public("64:ff9b::808:808"));
        assert!(!public("64:ff9b::a00:1"));
        assert!(!public("64:ff9b::7f00:1"));
        // Neighbours of these prefixes are ordinary public addresses.
        assert!(public("2001:4860:4860::8888"));
        assert!(public("2001:db9::1"));
        for url in ["http://[2001::1]/", "http://[64:ff9b:1::808:808]/"] {
            assert!(check_url(url, false).is_err(), "{url} passed");
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn public_addresses_and_names_pass() {
        let (_, target) = check_url("https://93.184.215.14/page", false).unwrap();
        assert_eq!(target, Target::Address("93.184.215.14".parse().unwrap()));
        let (_, target) = check_url("https://Example.COM./a?b", false).unwrap();
        assert_eq!(target, Target::Name("example.com".into()));
        assert!(check_url("http://[2606:4700::1111]/", false).is_ok());
        // Local testing may allow anything http(s).
        assert!(check_url("http://127.0.0.1:9/", true).is_ok());
        assert!(check_url("file:///x", true).is_err());
    }

    /// A name in Unicode is refused: the runtime's parser puts it into ASCII first. So is
    /// full-width loopback, which IDNA would map to 127.0.0.1.
    #[wasm_bindgen_test(unsupported = test)]
    fn names_reach_the_guard_in_ascii() {
        assert_eq!(
            check_address("https://bücher.example/", false).err(),
            Some("not a valid URL")
        );
        assert!(check_url("http://\u{ff11}\u{ff12}\u{ff17}.0.0.1/", true).is_err());
        let (_, target) = check_url("https://xn--bcher-kva.example/", false).unwrap();
        assert_eq!(target, Target::Name("xn--bcher-kva.example".into()));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn html_becomes_readable_text() {
        let html = r#"<!doctype html><html><head><title>Ferry &amp; friends</title>
            <style>body{color:red}</style><script>var a = "<p>no</p>";</script></head>
            <body><h1>Hello</h1><p>One&nbsp;two &lt;three&gt; &#8364;&#x41;</p>
            <!-- a comment <p>hidden</p> --><ul><li>a</li><li>b</li></ul>
            <noscript>enable js</noscript><p>Fish &chips; &unknown;</p></body></html>"#;
        assert_eq!(
            html_to_text(html),
            "Ferry & friends\n\nHello\n\nOne two <three> €A\n\na\nb\n\nFish &chips; &unknown;"
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn dns_answers() {
        let body = br#"{"Status":0,"Answer":[{"name":"a.example","type":5,"TTL":60,"data":"b.example."},{"name":"b.example","type":1,"TTL":60,"data":"10.0.0.7"}]}"#;
        let addresses = doh_addresses(body).unwrap();
        assert_eq!(addresses, vec!["10.0.0.7".parse::<IpAddr>().unwrap()]);
        assert!(!addresses.iter().all(|ip| is_public(*ip)));
        assert!(doh_addresses(br#"{"Status":3}"#).is_err());
        assert!(doh_addresses(b"<html>").is_err());
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn content_types() {
        assert_eq!(
            readable_text("text/plain; charset=utf-8", b"hi").as_deref(),
            Some("hi")
        );
        assert_eq!(
            readable_text("application/json", b"{}").as_deref(),
            Some("{}")
        );
        assert_eq!(readable_text("image/png", b"\x89PNG"), None);
        assert_eq!(
            readable_text("TEXT/HTML", b"<b>x</b>").as_deref(),
            Some("x")
        );
    }
}

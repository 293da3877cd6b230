//! `WWW-Authenticate` read (RFC 9110 § 11.6.1): one or more challenges, each a scheme and
//! its `name=value` parameters (a token or a quoted string), and the `Bearer` one's
//! parameters the MCP spec uses (RFC 6750 § 3, RFC 9728 § 5.1).

/// One challenge of a `WWW-Authenticate` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub scheme: String,
    /// Names in lower case, values unquoted.
    pub params: Vec<(String, String)>,
}

impl Challenge {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What a `Bearer` challenge tells an MCP client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BearerChallenge {
    /// Where the protected resource's metadata is (RFC 9728).
    pub resource_metadata: Option<String>,
    /// The scopes the request needs.
    pub scope: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

struct Cursor<'a> {
    text: &'a str,
    at: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.at..].chars().next()
    }

    fn skip(&mut self, what: impl Fn(char) -> bool) {
        while let Some(c) = self.peek().filter(|c| what(*c)) {
            self.at += c.len_utf8();
        }
    }

    fn token(&mut self) -> &str {
        let start = self.at;
        self.skip(is_tchar);
        &self.text[start..self.at]
    }

    fn quoted(&mut self) -> String {
        // At the opening quote.
        self.at += 1;
        let mut value = String::new();
        let mut escaped = false;
        while let Some(c) = self.peek() {
            self.at += c.len_utf8();
            match (escaped, c) {
                (true, _) => {
                    value.push(c);
                    escaped = false;
                }
                (false, '\\') => escaped = true,
                (false, '"') => return value,
                (false, _) => value.push(c),
            }
        }
        value
    }
}

/// Every challenge in a `WWW-Authenticate` value. Never fails: what cannot be read is
/// skipped.
pub fn parse_challenges(header: &str) -> Vec<Challenge> {
    let mut cursor = Cursor {
        text: header,
        at: 0,
    };
    let mut challenges: Vec<Challenge> = Vec::new();
    let space = |c: char| c == ' ' || c == '\t';
    let gap = |c: char| c == ' ' || c == '\t' || c == ',';
    loop {
        cursor.skip(gap);
        if cursor.peek().is_none() {
            return challenges;
        }
        let scheme = cursor.token().to_owned();
        if scheme.is_empty() {
            // Not a challenge's start: step over it.
            if let Some(c) = cursor.peek() {
                cursor.at += c.len_utf8();
            }
            continue;
        }
        let mut challenge = Challenge {
            scheme,
            params: Vec::new(),
        };
        loop {
            let before = cursor.at;
            cursor.skip(gap);
            let name = cursor.token().to_ascii_lowercase();
            cursor.skip(space);
            if name.is_empty() || cursor.peek() != Some('=') {
                // The next challenge's scheme (or a token68, which MCP never uses).
                cursor.at = before;
                if name.is_empty() {
                    cursor.skip(gap);
                    if cursor.peek().is_some_and(|c| !is_tchar(c)) {
                        cursor.at += cursor.peek().map_or(0, char::len_utf8);
                        continue;
                    }
                }
                break;
            }
            cursor.at += 1;
            cursor.skip(space);
            let value = if cursor.peek() == Some('"') {
                cursor.quoted()
            } else {
                // A token; read up to the next comma or space, as servers send unquoted
                // URLs too.
                let start = cursor.at;
                cursor.skip(|c| !gap(c));
                cursor.text[start..cursor.at].to_owned()
            };
            challenge.params.push((name, value));
        }
        challenges.push(challenge);
    }
}

/// The `Bearer` challenge's parameters, if the header has one.
pub fn parse_challenge(header: &str) -> Option<BearerChallenge> {
    let challenges = parse_challenges(header);
    let bearer = challenges
        .iter()
        .find(|c| c.scheme.eq_ignore_ascii_case("bearer"))?;
    let get = |name: &str| bearer.param(name).map(str::to_owned);
    Some(BearerChallenge {
        resource_metadata: get("resource_metadata"),
        scope: get("scope").filter(|s| !s.trim().is_empty()),
        error: get("error"),
        error_description: get("error_description"),
    })
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    #[wasm_bindgen_test(unsupported = test)]
    fn the_demo_servers_challenge_is_read() {
        let header = r#"Bearer error="invalid_token", error_description="Missing Authorization header", resource_metadata="http://localhost:3000/.well-known/oauth-protected-resource/mcp""#;
        assert_eq!(
            parse_challenge(header),
            Some(BearerChallenge {
                resource_metadata: Some(
                    "http://localhost:3000/.well-known/oauth-protected-resource/mcp".into()
                ),
                scope: None,
                error: Some("invalid_token".into()),
                error_description: Some("Missing Authorization header".into()),
            })
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn quoted_values_keep_commas_spaces_and_escapes() {
        let header = r#"bearer  SCOPE = "files:read files:write" , realm="a, \"b\"",resource_metadata=https://x.example/.well-known/oauth-protected-resource"#;
        let challenges = parse_challenges(header);
        assert_eq!(challenges.len(), 1);
        assert_eq!(challenges[0].param("realm"), Some(r#"a, "b""#));
        let bearer = parse_challenge(header).unwrap_or_default();
        assert_eq!(bearer.scope.as_deref(), Some("files:read files:write"));
        assert_eq!(
            bearer.resource_metadata.as_deref(),
            Some("https://x.example/.well-known/oauth-protected-resource")
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn several_schemes_in_one_header() {
        let header = r#"Basic realm="legacy", Negotiate, Bearer resource_metadata="https://m.example/prm", scope="a""#;
        let challenges = parse_challenges(header);
        let schemes: Vec<&str> = challenges.iter().map(|c| c.scheme.as_str()).collect();
        assert_eq!(schemes, ["Basic", "Negotiate", "Bearer"]);
        assert_eq!(challenges[0].param("realm"), Some("legacy"));
        let bearer = parse_challenge(header).unwrap_or_default();
        assert_eq!(
            bearer.resource_metadata.as_deref(),
            Some("https://m.example/prm")
        );
        assert_eq!(bearer.scope.as_deref(), Some("a"));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn no_bearer_or_nothing_readable() {
        assert_eq!(parse_challenge(r#"Basic realm="x""#), None);
        assert_eq!(parse_challenge(""), None);
        assert_eq!(parse_challenge("Bearer"), Some(BearerChallenge::default()));
        assert_eq!(
            parse_challenge(r#"Bearer scope="", ===, resource_metadata="u"#),
            Some(BearerChallenge {
                resource_metadata: Some("u".into()),
                ..BearerChallenge::default()
            })
        );
    }
}

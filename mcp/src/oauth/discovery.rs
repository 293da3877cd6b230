//! Finding who issues a server's tokens: the protected resource's metadata (RFC 9728) and
//! then its authorization server's (RFC 8414, or OpenID Connect Discovery), each tried at
//! the addresses the MCP spec lists, in its order.

use serde::{Deserialize, Serialize};

use super::OAuthError;
use super::challenge::BearerChallenge;
use super::uri::HttpUrl;

/// Where to look for the protected resource metadata of the MCP server at `server_url`:
/// the challenge's `resource_metadata` first, then the path-aware well-known URL, then the
/// root one.
pub fn resource_metadata_urls(
    server_url: &str,
    challenge: Option<&BearerChallenge>,
) -> Result<Vec<String>, OAuthError> {
    let server = HttpUrl::parse(server_url)?;
    let mut urls = Vec::new();
    if let Some(url) = challenge.and_then(|c| c.resource_metadata.as_deref())
        && let Ok(url) = HttpUrl::parse(url)
    {
        urls.push(url.canonical());
    }
    let origin = server.origin();
    let path = server.trimmed_path();
    if !path.is_empty() {
        urls.push(format!(
            "{origin}/.well-known/oauth-protected-resource{path}"
        ));
    }
    urls.push(format!("{origin}/.well-known/oauth-protected-resource"));
    let mut seen = Vec::new();
    urls.retain(|url| {
        let first = !seen.contains(url);
        seen.push(url.clone());
        first
    });
    Ok(urls)
}

/// A protected resource's metadata: the part Ferry uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtectedResource {
    /// Its identifier: what the `resource` parameter names.
    pub resource: String,
    pub authorization_servers: Vec<String>,
    pub scopes_supported: Vec<String>,
}

impl ProtectedResource {
    /// Reads the metadata of the MCP server at `server_url`. The `resource` it names must be
    /// that server or a path above it on the same origin (RFC 9728 § 3.3, with the
    /// tolerance the official SDK has); none named: the server's own canonical URL.
    pub fn parse(server_url: &str, body: &[u8]) -> Result<Self, OAuthError> {
        #[derive(Deserialize)]
        struct Raw {
            resource: Option<String>,
            #[serde(default)]
            authorization_servers: Vec<String>,
            #[serde(default)]
            scopes_supported: Vec<String>,
        }
        let raw: Raw = serde_json::from_slice(body).map_err(|e| OAuthError::Unreadable {
            what: "protected resource metadata",
            reason: e.to_string(),
        })?;
        let server = HttpUrl::parse(server_url)?;
        let resource = match raw.resource {
            Some(named) => {
                let url = HttpUrl::parse(&named)?;
                if !url.covers(&server) {
                    return Err(OAuthError::ResourceMismatch {
                        named,
                        server: server_url.to_owned(),
                    });
                }
                // As named (less its fragment): the authorization server compares it.
                named.split('#').next().unwrap_or_default().to_owned()
            }
            None => server.canonical(),
        };
        if raw.authorization_servers.is_empty() {
            return Err(OAuthError::NoAuthServer);
        }
        Ok(Self {
            resource,
            authorization_servers: raw.authorization_servers,
            scopes_supported: raw.scopes_supported,
        })
    }

    /// The scopes to ask for: the challenge's, else all the metadata lists, else none
    /// (the MCP spec's scope selection).
    pub fn scope(&self, challenge: Option<&BearerChallenge>) -> Option<String> {
        challenge.and_then(|c| c.scope.clone()).or_else(|| {
            (!self.scopes_supported.is_empty()).then(|| self.scopes_supported.join(" "))
        })
    }
}

/// Where to look for the metadata of the authorization server `issuer`: RFC 8414 with
/// path insertion, OpenID Connect with path insertion, then OpenID Connect appended to the
/// path; for an issuer without a path, RFC 8414's then OpenID Connect's.
pub fn auth_server_metadata_urls(issuer: &str) -> Result<Vec<String>, OAuthError> {
    let url = HttpUrl::parse(issuer)?;
    let origin = url.origin();
    let path = url.trimmed_path();
    Ok(if path.is_empty() {
        vec![
            format!("{origin}/.well-known/oauth-authorization-server"),
            format!("{origin}/.well-known/openid-configuration"),
        ]
    } else {
        vec![
            format!("{origin}/.well-known/oauth-authorization-server{path}"),
            format!("{origin}/.well-known/openid-configuration{path}"),
            format!("{origin}{path}/.well-known/openid-configuration"),
        ]
    })
}

/// An authorization server, as its metadata describes it: what Ferry uses of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthServer {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_endpoint: Option<String>,
    /// Client authentication methods at the token endpoint (RFC 8414's default when
    /// absent: `client_secret_basic`).
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Vec<String>,
    /// It sends `iss` back with the code (RFC 9207), to be checked.
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
}

impl AuthServer {
    /// Reads the metadata fetched for `issuer`. Refused: another issuer than asked for
    /// (RFC 8414 § 3.3), endpoints that are not HTTPS (plain HTTP only to this machine),
    /// and a server that does not list PKCE's `S256`, which the MCP spec requires.
    pub fn parse(issuer: &str, body: &[u8]) -> Result<Self, OAuthError> {
        #[derive(Deserialize)]
        struct Raw {
            issuer: String,
            authorization_endpoint: Option<String>,
            token_endpoint: Option<String>,
            registration_endpoint: Option<String>,
            #[serde(default)]
            code_challenge_methods_supported: Vec<String>,
            #[serde(default)]
            token_endpoint_auth_methods_supported: Vec<String>,
            #[serde(default)]
            authorization_response_iss_parameter_supported: bool,
        }
        let unreadable = |reason: String| OAuthError::Unreadable {
            what: "authorization server metadata",
            reason,
        };
        let raw: Raw = serde_json::from_slice(body).map_err(|e| unreadable(e.to_string()))?;
        let asked = HttpUrl::parse(issuer)?;
        let named = HttpUrl::parse(&raw.issuer)?;
        // RFC 8414 wants them identical; a trailing slash apart is the same server.
        if asked.canonical().trim_end_matches('/') != named.canonical().trim_end_matches('/') {
            return Err(OAuthError::IssuerMismatch {
                asked: issuer.to_owned(),
                named: raw.issuer,
            });
        }
        if !raw
            .code_challenge_methods_supported
            .iter()
            .any(|m| m == "S256")
        {
            return Err(OAuthError::NoS256(raw.issuer));
        }
        let endpoint = |value: Option<String>, name: &str| -> Result<String, OAuthError> {
            let value = value.ok_or_else(|| unreadable(format!("no {name}")))?;
            let url = HttpUrl::parse(&value)?;
            if !url.is_secure() {
                return Err(OAuthError::Insecure(value));
            }
            Ok(value)
        };
        let registration_endpoint = match raw.registration_endpoint {
            Some(value) => Some(endpoint(Some(value), "registration_endpoint")?),
            None => None,
        };
        Ok(Self {
            authorization_endpoint: endpoint(raw.authorization_endpoint, "authorization_endpoint")?,
            token_endpoint: endpoint(raw.token_endpoint, "token_endpoint")?,
            registration_endpoint,
            token_endpoint_auth_methods_supported: raw.token_endpoint_auth_methods_supported,
            authorization_response_iss_parameter_supported: raw
                .authorization_response_iss_parameter_supported,
            issuer: raw.issuer,
        })
    }
}

/// Refuses an authorization server named over plain HTTP to another machine (the MCP spec:
/// every authorization server endpoint is HTTPS).
pub fn check_issuer(issuer: &str) -> Result<(), OAuthError> {
    if HttpUrl::parse(issuer)?.is_secure() {
        Ok(())
    } else {
        Err(OAuthError::Insecure(issuer.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;
    use crate::oauth::challenge::parse_challenge;

    #[wasm_bindgen_test(unsupported = test)]
    fn resource_metadata_comes_from_the_challenge_then_the_well_knowns() {
        let challenge = parse_challenge(
            r#"Bearer resource_metadata="https://m.example/.well-known/oauth-protected-resource/public/mcp""#,
        );
        assert_eq!(
            resource_metadata_urls("https://m.example/public/mcp", challenge.as_ref()),
            Ok(vec![
                "https://m.example/.well-known/oauth-protected-resource/public/mcp".to_owned(),
                "https://m.example/.well-known/oauth-protected-resource".to_owned(),
            ])
        );
        assert_eq!(
            resource_metadata_urls("https://m.example/public/mcp/?x=1", None),
            Ok(vec![
                "https://m.example/.well-known/oauth-protected-resource/public/mcp".to_owned(),
                "https://m.example/.well-known/oauth-protected-resource".to_owned(),
            ])
        );
        // At the root there is one well-known URL.
        let elsewhere = parse_challenge(r#"Bearer resource_metadata="https://meta.example/prm""#);
        assert_eq!(
            resource_metadata_urls("https://M.example:443/", elsewhere.as_ref()),
            Ok(vec![
                "https://meta.example/prm".to_owned(),
                "https://m.example/.well-known/oauth-protected-resource".to_owned(),
            ])
        );
        assert!(resource_metadata_urls("m.example/mcp", None).is_err());
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn protected_resource_metadata_is_read_and_checked() {
        let body = br#"{"resource":"http://localhost:3000/mcp","authorization_servers":["http://localhost:3001/"],"scopes_supported":["mcp:tools"],"resource_name":"MCP Demo Server"}"#;
        let prm = ProtectedResource::parse("http://localhost:3000/mcp", body);
        assert_eq!(
            prm,
            Ok(ProtectedResource {
                resource: "http://localhost:3000/mcp".into(),
                authorization_servers: vec!["http://localhost:3001/".into()],
                scopes_supported: vec!["mcp:tools".into()],
            })
        );
        let prm = prm.unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(prm.scope(None).as_deref(), Some("mcp:tools"));
        let challenge = parse_challenge(r#"Bearer scope="files:read""#);
        assert_eq!(prm.scope(challenge.as_ref()).as_deref(), Some("files:read"));
        // A resource above the server's path is the server's too.
        let root =
            br#"{"resource":"https://m.example","authorization_servers":["https://as.example"]}"#;
        assert_eq!(
            ProtectedResource::parse("https://m.example/mcp", root).map(|p| p.resource),
            Ok("https://m.example".into())
        );
        // Another server's metadata is not used.
        let other = br#"{"resource":"https://evil.example/mcp","authorization_servers":["https://as.example"]}"#;
        assert!(matches!(
            ProtectedResource::parse("https://m.example/mcp", other),
            Err(OAuthError::ResourceMismatch { .. })
        ));
        let none = br#"{"resource":"https://m.example/mcp","authorization_servers":[]}"#;
        assert_eq!(
            ProtectedResource::parse("https://m.example/mcp", none),
            Err(OAuthError::NoAuthServer)
        );
        assert!(matches!(
            ProtectedResource::parse("https://m.example/mcp", b"<html>"),
            Err(OAuthError::Unreadable { .. })
        ));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn auth_server_metadata_urls_by_path_insertion_then_appending() {
        assert_eq!(
            auth_server_metadata_urls("https://auth.example.com/tenant1"),
            Ok(vec![
                "https://auth.example.com/.well-known/oauth-authorization-server/tenant1".into(),
                "https://auth.example.com/.well-known/openid-configuration/tenant1".into(),
                "https://auth.example.com/tenant1/.well-known/openid-configuration".into(),
            ])
        );
        for root in ["https://auth.example.com", "https://auth.example.com/"] {
            assert_eq!(
                auth_server_metadata_urls(root),
                Ok(vec![
                    "https://auth.example.com/.well-known/oauth-authorization-server".into(),
                    "https://auth.example.com/.well-known/openid-configuration".into(),
                ])
            );
        }
    }

    const DEMO_AS: &[u8] = br#"{"issuer":"http://localhost:3001/","authorization_endpoint":"http://localhost:3001/authorize","response_types_supported":["code"],"code_challenge_methods_supported":["S256"],"token_endpoint":"http://localhost:3001/token","token_endpoint_auth_methods_supported":["client_secret_post","none"],"grant_types_supported":["authorization_code","refresh_token"],"scopes_supported":["mcp:tools"],"registration_endpoint":"http://localhost:3001/register"}"#;

    #[wasm_bindgen_test(unsupported = test)]
    fn auth_server_metadata_is_read() {
        assert_eq!(
            AuthServer::parse("http://localhost:3001/", DEMO_AS),
            Ok(AuthServer {
                issuer: "http://localhost:3001/".into(),
                authorization_endpoint: "http://localhost:3001/authorize".into(),
                token_endpoint: "http://localhost:3001/token".into(),
                registration_endpoint: Some("http://localhost:3001/register".into()),
                token_endpoint_auth_methods_supported: vec![
                    "client_secret_post".into(),
                    "none".into()
                ],
                authorization_response_iss_parameter_supported: false,
            })
        );
        // The trailing slash is no other issuer.
        assert!(AuthServer::parse("http://localhost:3001", DEMO_AS).is_ok());
        let tenant = br#"{"issuer":"https://as.example/tenant","authorization_endpoint":"https://as.example/tenant/a","token_endpoint":"https://as.example/tenant/t","code_challenge_methods_supported":["S256"]}"#;
        assert!(AuthServer::parse("https://as.example/tenant/", tenant).is_ok());
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn an_auth_server_without_s256_is_refused() {
        let plain = br#"{"issuer":"https://as.example","authorization_endpoint":"https://as.example/a","token_endpoint":"https://as.example/t","code_challenge_methods_supported":["plain"]}"#;
        assert_eq!(
            AuthServer::parse("https://as.example", plain),
            Err(OAuthError::NoS256("https://as.example".into()))
        );
        let absent = br#"{"issuer":"https://as.example","authorization_endpoint":"https://as.example/a","token_endpoint":"https://as.example/t"}"#;
        assert_eq!(
            AuthServer::parse("https://as.example", absent),
            Err(OAuthError::NoS256("https://as.example".into()))
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn another_issuer_or_insecure_endpoints_are_refused() {
        let body = br#"{"issuer":"https://evil.example","authorization_endpoint":"https://as.example/a","token_endpoint":"https://as.example/t","code_challenge_methods_supported":["S256"]}"#;
        assert!(matches!(
            AuthServer::parse("https://as.example", body),
            Err(OAuthError::IssuerMismatch { .. })
        ));
        let body = br#"{"issuer":"https://as.example","authorization_endpoint":"http://as.example/a","token_endpoint":"https://as.example/t","code_challenge_methods_supported":["S256"]}"#;
        assert_eq!(
            AuthServer::parse("https://as.example", body),
            Err(OAuthError::Insecure("http://as.example/a".into()))
        );
        let body = br#"{"issuer":"https://as.example","authorization_endpoint":"javascript:alert(1)","token_endpoint":"https://as.example/t","code_challenge_methods_supported":["S256"]}"#;
        assert!(matches!(
            AuthServer::parse("https://as.example", body),
            Err(OAuthError::BadUrl(_))
        ));
        assert!(check_issuer("http://as.example").is_err());
        assert!(check_issuer("http://127.0.0.1:9/").is_ok());
    }
}

//! OAuth 2.1 for MCP servers, as the MCP authorization spec (2025-11-25) has it, as plain
//! requests and parses; the agent sends them through its transport.
//!
//! 1. A request without a token gets 401 and a `WWW-Authenticate: Bearer` challenge
//!    ([`parse_challenge`]), which may name the protected resource's metadata.
//! 2. That metadata (RFC 9728) is read from the challenge's `resource_metadata`, else from
//!    `/.well-known/oauth-protected-resource/<path>`, else from
//!    `/.well-known/oauth-protected-resource` ([`resource_metadata_urls`],
//!    [`ProtectedResource`]); it names the authorization servers and the resource.
//! 3. The authorization server's metadata: RFC 8414's and OpenID Connect's well-known
//!    documents, path-inserted first ([`auth_server_metadata_urls`], [`AuthServer`]). A
//!    server that does not list PKCE's `S256` is refused.
//! 4. Ferry registers as a public client (RFC 7591, `token_endpoint_auth_method: none`)
//!    where the server offers registration ([`registration_request`]); where it does not,
//!    the server needs a client registered in advance, which Ferry does not offer.
//! 5. The user signs in at the authorization URL ([`authorize_url`]: PKCE `S256`, `state`,
//!    `resource` = the protected resource per RFC 8707, `scope` from the challenge or the
//!    metadata); the code comes back to the app's callback page ([`parse_callback`]).
//! 6. The code, the verifier and the resource are traded for tokens ([`token_request`]),
//!    refreshed a minute before they expire ([`Tokens::needs_refresh`],
//!    [`refresh_request`]).
//!
//! [`OAuthState`] is everything one server's sign-in keeps between these steps (the agent
//! seals it as one JSON value).

mod challenge;
mod discovery;
mod flow;
mod uri;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use challenge::{BearerChallenge, Challenge, parse_challenge, parse_challenges};
pub use discovery::{
    AuthServer, ProtectedResource, auth_server_metadata_urls, check_issuer, resource_metadata_urls,
};
pub use flow::{
    AuthorizeParams, Callback, Client, ClientAuth, Pkce, REFRESH_MARGIN_MS, Tokens, authorize_url,
    challenge_of, issuer_matches, metadata_request, parse_callback, refresh_request, refusal,
    registration_answer, registration_request, token_request,
};
pub use uri::{HttpUrl, form_encode, parse_form};

/// A sign-in started and not completed after this long completes nothing.
pub const PENDING_LIFETIME_MS: u64 = 30 * 60 * 1000;

/// Why an OAuth step cannot go on, in words for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OAuthError {
    #[error("not an absolute http(s) URL: {0}")]
    BadUrl(String),
    #[error("the {what} is not readable: {reason}")]
    Unreadable { what: &'static str, reason: String },
    #[error("the server's protected resource metadata is for {named}, not {server}")]
    ResourceMismatch { named: String, server: String },
    #[error("the server's protected resource metadata names no authorization server")]
    NoAuthServer,
    #[error("the authorization server's metadata is for {named}, not {asked}")]
    IssuerMismatch { asked: String, named: String },
    #[error("the authorization server {0} does not support PKCE with S256, which MCP requires")]
    NoS256(String),
    #[error("{0} is not HTTPS: OAuth endpoints must be (plain HTTP only on this machine)")]
    Insecure(String),
    #[error(
        "the authorization server {0} offers no dynamic client registration: this server needs an OAuth client registered in advance, which Ferry does not support"
    )]
    NeedsClient(String),
    #[error("the authorization server refused the {what}: {reason}")]
    Refused { what: &'static str, reason: String },
    #[error("this sign-in is not one Ferry started, or it has expired: start it again")]
    UnknownState,
    #[error("the sign-in came back from another authorization server than it went to")]
    WrongIssuer,
    #[error("Ferry is not registered with the authorization server yet")]
    NotRegistered,
}

/// A sign-in started: what the code that comes back is traded with.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub state: String,
    pub verifier: String,
    pub started_ms: u64,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending")
            .field("started_ms", &self.started_ms)
            .finish_non_exhaustive()
    }
}

/// One MCP server's OAuth: what discovery found, the registered client, the sign-in in
/// progress and the tokens. Sealed as a whole by the agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthState {
    /// The protected resource: the `resource` parameter of every request.
    pub resource: String,
    pub auth_server: AuthServer,
    /// The scopes to ask for, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<Client>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<Pending>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<Tokens>,
}

impl OAuthState {
    /// After discovery: nothing registered, nobody signed in.
    pub fn new(
        resource: &ProtectedResource,
        auth_server: AuthServer,
        scope: Option<String>,
    ) -> Self {
        Self {
            resource: resource.resource.clone(),
            auth_server,
            scope,
            client: None,
            pending: None,
            tokens: None,
        }
    }

    /// Whether a client is registered for `redirect_uri` (a new address needs a new one).
    pub fn client_for(&self, redirect_uri: &str) -> Option<&Client> {
        self.client
            .as_ref()
            .filter(|c| c.redirect_uri == redirect_uri)
    }

    /// Starts a sign-in with 48 random bytes (32 for the verifier, 16 for the state): the
    /// URL to send the user to. The sign-in in progress before it, if any, is replaced.
    pub fn begin(&mut self, random: &[u8; 48], now_ms: u64) -> Result<String, OAuthError> {
        let client = self.client.as_ref().ok_or(OAuthError::NotRegistered)?;
        let mut verifier_bytes = [0u8; 32];
        verifier_bytes.copy_from_slice(&random[..32]);
        let pkce = Pkce::from_random(&verifier_bytes);
        let state = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            &random[32..],
        );
        let url = authorize_url(
            &self.auth_server,
            client,
            &AuthorizeParams {
                challenge: &pkce.challenge,
                state: &state,
                resource: &self.resource,
                scope: self.scope.as_deref(),
            },
        );
        self.pending = Some(Pending {
            state,
            verifier: pkce.verifier,
            started_ms: now_ms,
        });
        Ok(url)
    }

    /// Whether `state` is this server's sign-in in progress (and not too old).
    pub fn is_pending(&self, state: &str, now_ms: u64) -> bool {
        self.pending.as_ref().is_some_and(|p| {
            p.state == state && now_ms.saturating_sub(p.started_ms) <= PENDING_LIFETIME_MS
        })
    }

    /// The token request for the code that came back with `state`; the sign-in in
    /// progress is used up either way.
    pub fn exchange(
        &mut self,
        code: &str,
        state: &str,
        iss: Option<&str>,
        now_ms: u64,
    ) -> Result<ferry_core::adapter::UpstreamRequest, OAuthError> {
        if !self.is_pending(state, now_ms) {
            return Err(OAuthError::UnknownState);
        }
        let pending = self.pending.take().ok_or(OAuthError::UnknownState)?;
        if !issuer_matches(&self.auth_server, iss) {
            return Err(OAuthError::WrongIssuer);
        }
        let client = self.client.as_ref().ok_or(OAuthError::NotRegistered)?;
        Ok(token_request(
            &self.auth_server,
            client,
            code,
            &pending.verifier,
            &self.resource,
        ))
    }

    /// The refresh request, if there is a refresh token.
    pub fn refresh(&self) -> Option<ferry_core::adapter::UpstreamRequest> {
        let client = self.client.as_ref()?;
        let refresh_token = self.tokens.as_ref()?.refresh_token.as_deref()?;
        Some(refresh_request(
            &self.auth_server,
            client,
            refresh_token,
            &self.resource,
        ))
    }

    /// The access token, if signed in.
    pub fn access_token(&self) -> Option<&str> {
        self.tokens.as_ref().map(|t| t.access_token.as_str())
    }
}

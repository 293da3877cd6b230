//! OAuth for MCP servers at work: discovery after a 401, client registration, the code
//! traded for tokens and their refresh, over the [`Transport`] seam; every request and
//! answer is `ferry_mcp::oauth`'s.
//!
//! Each request goes straight from the browser first: metadata documents, registration and
//! token endpoints are mostly served with CORS for browser-based MCP clients (the official
//! SDK's authorization server's are). One the browser cannot make (no CORS, a network
//! failure) goes through the proxy's relay when there is one, as MCP requests do.

use ferry_core::adapter::UpstreamRequest;
use ferry_mcp::oauth::{
    self, AuthServer, BearerChallenge, OAuthError, OAuthState, ProtectedResource, Tokens,
};

use super::Relay;
use crate::transport::{self, Fetched, Transport};

/// Why an OAuth step failed, in words for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthFailure {
    #[error("{0} could not be reached: {1}")]
    Network(String, String),
    #[error("the server asks for authorization but publishes no OAuth protected resource metadata")]
    NoMetadata,
    #[error("the authorization server {0} publishes no metadata")]
    NoAuthServerMetadata(String),
    #[error("signed out of this server: sign in again")]
    SignedOut,
    #[error(transparent)]
    OAuth(#[from] OAuthError),
}

/// How OAuth requests travel: the transport, and the proxy's relay when there is one.
#[derive(Clone, Copy)]
pub struct Net<'a, T> {
    pub transport: &'a T,
    pub relay: Option<Relay<'a>>,
}

impl<T: Transport> Net<'_, T> {
    /// Sends `request` straight, or through the relay when the browser cannot.
    async fn fetch(&self, request: &UpstreamRequest) -> Result<Fetched, AuthFailure> {
        let unreachable = |reason: String| AuthFailure::Network(host_of(&request.url), reason);
        let failure = match transport::fetch(self.transport, request).await {
            Ok(answer) => return Ok(answer),
            Err(failure) => failure,
        };
        let Some(relay) = self.relay else {
            return Err(unreachable(failure.0));
        };
        let relayed = ferry_mcp::session::relayed(request, relay.proxy_root, relay.access_token);
        let mut answer = self
            .transport
            .send(&relayed)
            .await
            .map_err(|e| unreachable(e.0))?;
        let from_upstream = answer.header("x-mcp-relayed") == Some("true");
        let status = answer.status;
        let body = transport::read_all(&mut answer.body)
            .await
            .map_err(|e| unreachable(e.0))?;
        if !from_upstream {
            // The proxy's own refusal (the address guard, its rate limit, switched off).
            return Err(unreachable(format!(
                "{} (and through the proxy: {})",
                failure.0,
                oauth::refusal(status, &body)
            )));
        }
        Ok(Fetched {
            status,
            retry_after_secs: answer.retry_after_secs,
            body,
        })
    }
}

fn host_of(url: &str) -> String {
    oauth::HttpUrl::parse(url).map_or_else(|_| url.to_owned(), |u| u.origin())
}

/// After a 401 from the MCP server at `server_url` (with its `WWW-Authenticate`, if any):
/// its protected resource metadata, then the first of its authorization servers whose
/// metadata Ferry can use. Nothing is registered yet.
pub async fn discover<T: Transport>(
    net: &Net<'_, T>,
    server_url: &str,
    www_authenticate: Option<&str>,
) -> Result<OAuthState, AuthFailure> {
    let challenge = www_authenticate.and_then(oauth::parse_challenge);
    let resource = protected_resource(net, server_url, challenge.as_ref()).await?;
    let mut last = None;
    for issuer in &resource.authorization_servers {
        match auth_server(net, issuer).await {
            Ok(server) => {
                let scope = resource.scope(challenge.as_ref());
                return Ok(OAuthState::new(&resource, server, scope));
            }
            Err(failure) => last = Some(failure),
        }
    }
    Err(last.unwrap_or(AuthFailure::OAuth(OAuthError::NoAuthServer)))
}

async fn protected_resource<T: Transport>(
    net: &Net<'_, T>,
    server_url: &str,
    challenge: Option<&BearerChallenge>,
) -> Result<ProtectedResource, AuthFailure> {
    let mut unreadable = None;
    for url in oauth::resource_metadata_urls(server_url, challenge)? {
        // One that cannot be fetched or read: the next place may have it.
        let Ok(answer) = net.fetch(&oauth::metadata_request(&url)).await else {
            continue;
        };
        if !answer.is_success() {
            continue;
        }
        match ProtectedResource::parse(server_url, &answer.body) {
            Ok(resource) => return Ok(resource),
            Err(e @ OAuthError::Unreadable { .. }) => unreadable = Some(e),
            Err(e) => return Err(e.into()),
        }
    }
    Err(unreadable.map_or(AuthFailure::NoMetadata, AuthFailure::OAuth))
}

async fn auth_server<T: Transport>(
    net: &Net<'_, T>,
    issuer: &str,
) -> Result<AuthServer, AuthFailure> {
    oauth::check_issuer(issuer)?;
    let mut last = None;
    for url in oauth::auth_server_metadata_urls(issuer)? {
        let answer = match net.fetch(&oauth::metadata_request(&url)).await {
            Ok(answer) if answer.is_success() => answer,
            Ok(_) => continue,
            Err(failure) => {
                last = Some(failure);
                continue;
            }
        };
        match AuthServer::parse(issuer, &answer.body) {
            Ok(server) => return Ok(server),
            // A document that is not this server's metadata: the next place may have it.
            Err(e @ OAuthError::Unreadable { .. }) => last = Some(e.into()),
            // What the metadata says rules the server out.
            Err(e) => return Err(e.into()),
        }
    }
    Err(last.unwrap_or_else(|| AuthFailure::NoAuthServerMetadata(issuer.to_owned())))
}

/// Registers Ferry with the authorization server for `redirect_uri`, unless it already is.
pub async fn register<T: Transport>(
    net: &Net<'_, T>,
    state: &mut OAuthState,
    redirect_uri: &str,
) -> Result<(), AuthFailure> {
    if state.client_for(redirect_uri).is_some() {
        return Ok(());
    }
    let request =
        oauth::registration_request(&state.auth_server, redirect_uri, state.scope.as_deref())?;
    let answer = net.fetch(&request).await?;
    state.client = Some(oauth::registration_answer(
        &state.auth_server,
        redirect_uri,
        answer.status,
        &answer.body,
    )?);
    Ok(())
}

/// Trades the code that came back with `state_param` for tokens, kept in `state`.
pub async fn exchange<T: Transport>(
    net: &Net<'_, T>,
    state: &mut OAuthState,
    code: &str,
    state_param: &str,
    iss: Option<&str>,
    now_ms: u64,
) -> Result<(), AuthFailure> {
    let request = state.exchange(code, state_param, iss, now_ms)?;
    let answer = net.fetch(&request).await?;
    state.tokens = Some(Tokens::parse(answer.status, &answer.body, now_ms, None)?);
    Ok(())
}

/// Trades the refresh token for new tokens. Refused, or nothing to refresh with: the
/// tokens are dropped (signed out), so the next request asks for a sign-in.
pub async fn refresh<T: Transport>(
    net: &Net<'_, T>,
    state: &mut OAuthState,
    now_ms: u64,
) -> Result<(), AuthFailure> {
    let Some(request) = state.refresh() else {
        state.tokens = None;
        return Err(AuthFailure::SignedOut);
    };
    let answer = net.fetch(&request).await?;
    match Tokens::parse(answer.status, &answer.body, now_ms, state.tokens.as_ref()) {
        Ok(tokens) => {
            state.tokens = Some(tokens);
            Ok(())
        }
        Err(e) => {
            state.tokens = None;
            Err(e.into())
        }
    }
}

/// The access token to send: refreshed first when it expires within a minute, or when
/// `after_401` (the server refused it). A token that expires soon and cannot be refreshed
/// (no refresh token, the authorization server out of reach) is still sent until it has
/// expired.
pub async fn fresh_token<T: Transport>(
    net: &Net<'_, T>,
    state: &mut OAuthState,
    now_ms: u64,
    after_401: bool,
) -> Result<String, AuthFailure> {
    let tokens = state.tokens.as_ref().ok_or(AuthFailure::SignedOut)?;
    let expired = tokens.expires_at_ms.is_some_and(|at| now_ms >= at);
    let refreshable = tokens.refresh_token.is_some();
    if after_401 || expired || (tokens.needs_refresh(now_ms) && refreshable) {
        match refresh(net, state, now_ms).await {
            Ok(()) => {}
            // The authorization server out of reach a minute early: the token still works.
            Err(AuthFailure::Network(..)) if !after_401 && !expired => {}
            Err(failure) => return Err(failure),
        }
    }
    state
        .access_token()
        .map(str::to_owned)
        .ok_or(AuthFailure::SignedOut)
}

#[cfg(test)]
mod tests;

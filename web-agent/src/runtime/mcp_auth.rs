//! Signing in to MCP servers with OAuth (the MCP authorization spec): discovery when a
//! server first answers 401, the sign-in started (a client registered where the server
//! offers registration, the PKCE verifier and the state kept), the code that comes back
//! to the app's callback page traded for tokens, and the tokens refreshed before requests.
//!
//! Everything one server's sign-in keeps ([`OAuthState`]: the endpoints, the client, the
//! sign-in in progress, the tokens) is sealed by the vault as one JSON value on the
//! server's record (`oauth`), so a reload between the popup's start and its return loses
//! nothing and no token is ever stored in plain text.

use ferry_mcp::oauth::{Callback, OAuthError, OAuthState, parse_callback};
use sha2::{Digest, Sha256};

use super::{Clock, Runtime};
use crate::mcp::Relay;
use crate::mcp::oauth::{self, AuthFailure, Net};
use crate::protocol::{ErrorKind, Event, McpAuth, McpStatus};
use crate::seams::{Sealed, Tokenizer, Vault};
use crate::store::{McpServer, Store};
use crate::transport::Transport;

impl<T: Transport, S: Store, V: Vault, C: Clock, K: Tokenizer> Runtime<T, S, V, C, K> {
    /// After a 401 on adding a server: whether it is an OAuth server Ferry can sign in to
    /// (its protected resource and authorization server found). The state to keep, sealed.
    pub(super) async fn discover_mcp_oauth(
        &self,
        url: &str,
        challenge: Option<&str>,
    ) -> Result<Sealed, String> {
        let state = oauth::discover(&self.oauth_net(), url, challenge)
            .await
            .map_err(|e| e.to_string())?;
        self.seal_oauth(&state)
            .await
            .map_err(|_| "the sign-in could not be kept: the vault is locked".to_owned())
    }

    /// The access token to send to `record`'s server, refreshed first a minute before it
    /// expires or after the server refused it (`after_401`); a changed state is stored.
    /// `Err`: no usable token (the server shows as needing a sign-in).
    pub(super) async fn fresh_mcp_token(
        &self,
        record: &mut McpServer,
        after_401: bool,
    ) -> Result<String, String> {
        let mut state = self
            .open_oauth(record)
            .await
            .ok_or_else(|| AuthFailure::SignedOut.to_string())?;
        let before = state.clone();
        let token = oauth::fresh_token(
            &self.oauth_net(),
            &mut state,
            self.clock.now_ms(),
            after_401,
        )
        .await;
        if state != before {
            self.keep_oauth(record, &state)
                .await
                .map_err(|_| "the new tokens could not be kept".to_owned())?;
        }
        token.map_err(|e| e.to_string())
    }

    /// Starts a sign-in to server `id`: registers Ferry for `redirect_uri` if needed, keeps
    /// the verifier and the state, and tells the app where to send the user
    /// ([`Event::McpAuthorizeUrl`]).
    pub(super) async fn authorize_mcp_server(
        &mut self,
        id: &str,
        redirect_uri: &str,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        if ferry_mcp::oauth::HttpUrl::parse(redirect_uri).is_err() {
            return Err(ErrorKind::InvalidRequest);
        }
        let mut record = self.mcp_record(id).await?;
        let mut state = match self.open_oauth(&record).await {
            Some(state) => state,
            // Not found on adding it (or the state was lost): look again.
            None => match oauth::discover(&self.oauth_net(), &record.url, None).await {
                Ok(state) => state,
                Err(failure) => return self.sign_in_failed(record, &failure, emit).await,
            },
        };
        if let Err(failure) = oauth::register(&self.oauth_net(), &mut state, redirect_uri).await {
            return self.sign_in_failed(record, &failure, emit).await;
        }
        let url = state
            .begin(&self.random_48(), self.clock.now_ms())
            .map_err(|_| ErrorKind::InvalidRequest)?;
        record.auth = McpAuth::Oauth;
        self.keep_oauth(&mut record, &state).await?;
        emit(Event::McpAuthorizeUrl {
            server: record.id,
            url,
        });
        Ok(())
    }

    /// The app's callback page came back with `query`: the code is traded for tokens by
    /// the server whose sign-in it is (matched by `state`), which is then connected.
    pub(super) async fn complete_mcp_authorization(
        &mut self,
        query: &str,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        let (code, state_param, iss) = match parse_callback(query) {
            Callback::Code { code, state, iss } => (code, state, iss),
            Callback::Refused { state, reason } => {
                let found = match state {
                    Some(state) => self.pending_sign_in(&state).await?,
                    None => None,
                };
                let failure = AuthFailure::OAuth(OAuthError::Refused {
                    what: "sign-in",
                    reason,
                });
                return match found {
                    Some((mut record, mut oauth)) => {
                        oauth.pending = None;
                        self.keep_oauth(&mut record, &oauth).await?;
                        self.sign_in_failed(record, &failure, emit).await
                    }
                    None => {
                        emit(unmatched(&failure));
                        Ok(())
                    }
                };
            }
            Callback::Nothing => {
                emit(unmatched(&AuthFailure::OAuth(OAuthError::UnknownState)));
                return Ok(());
            }
        };
        let Some((mut record, mut state)) = self.pending_sign_in(&state_param).await? else {
            emit(unmatched(&AuthFailure::OAuth(OAuthError::UnknownState)));
            return Ok(());
        };
        let now = self.clock.now_ms();
        let traded = oauth::exchange(
            &self.oauth_net(),
            &mut state,
            &code,
            &state_param,
            iss.as_deref(),
            now,
        )
        .await;
        // The sign-in in progress is used up either way.
        self.keep_oauth(&mut record, &state).await?;
        match traded {
            Ok(()) => {
                record.error = None;
                self.connect_mcp_server(record, emit).await
            }
            Err(failure) => self.sign_in_failed(record, &failure, emit).await,
        }
    }

    /// The server whose sign-in in progress has this `state`, with its OAuth state.
    async fn pending_sign_in(
        &self,
        state: &str,
    ) -> Result<Option<(McpServer, OAuthState)>, ErrorKind> {
        for record in self.store.mcp_servers().await? {
            if let Some(oauth) = self.open_oauth(&record).await
                && oauth.pending.as_ref().is_some_and(|p| p.state == state)
            {
                return Ok(Some((record, oauth)));
            }
        }
        Ok(None)
    }

    /// A sign-in that could not go on: the server needs one still, and the app says why.
    async fn sign_in_failed(
        &self,
        mut record: McpServer,
        failure: &AuthFailure,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        record.status = McpStatus::Unauthorized;
        record.error = Some(failure.to_string());
        self.store.put_mcp_server(&record).await?;
        emit(Event::McpServerFailed {
            server: Some(record.id.clone()),
            url: record.url.clone(),
            message: failure.to_string(),
            unauthorized: true,
        });
        self.emit_mcp_servers(emit).await
    }

    /// How OAuth requests travel: straight, else through the proxy's relay when there is a
    /// proxy (with the user's sign-in for it).
    fn oauth_net(&self) -> Net<'_, T> {
        Net {
            transport: &self.transport,
            relay: self.settings.proxy_url.as_deref().map(|root| Relay {
                proxy_root: root.trim_end_matches('/'),
                access_token: self.access_token.as_deref(),
            }),
        }
    }

    async fn open_oauth(&self, record: &McpServer) -> Option<OAuthState> {
        let json = self.vault.open(record.oauth.as_ref()?).await.ok()?;
        serde_json::from_str(&json).ok()
    }

    async fn seal_oauth(&self, state: &OAuthState) -> Result<Sealed, ErrorKind> {
        let json = serde_json::to_string(state).map_err(|_| ErrorKind::Storage)?;
        Ok(self.vault.seal(&json).await?)
    }

    /// Seals `state` on the record and stores it.
    async fn keep_oauth(
        &self,
        record: &mut McpServer,
        state: &OAuthState,
    ) -> Result<(), ErrorKind> {
        record.oauth = Some(self.seal_oauth(state).await?);
        Ok(self.store.put_mcp_server(record).await?)
    }

    /// 48 random bytes (a PKCE verifier's 32 and a state's 16) from the clock's random ids
    /// (96 random bits each in the browser), hashed together.
    fn random_48(&self) -> [u8; 48] {
        let ids: String = (0..6).map(|_| self.clock.new_id()).collect();
        let mut random = [0u8; 48];
        random[..32].copy_from_slice(&Sha256::digest(format!("verifier:{ids}")));
        random[32..].copy_from_slice(&Sha256::digest(format!("state:{ids}"))[..16]);
        random
    }
}

/// A way back that matches no sign-in in progress.
fn unmatched(failure: &AuthFailure) -> Event {
    Event::McpServerFailed {
        server: None,
        url: String::new(),
        message: failure.to_string(),
        unauthorized: true,
    }
}

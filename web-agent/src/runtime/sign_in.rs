//! Signing in to Supabase: the magic link and OAuth in the PKCE flow, the code that comes
//! back traded for a session, refreshing it before it runs out, and signing out. The
//! session (its refresh token above all) is sealed by the vault like a key; the access
//! token goes with proxy calls and usage rows.
//!
//! The code verifier of a sign-in this browser started is sealed beside it
//! ([`SIGN_IN`]), shared by the tabs of this browser (an emailed link opens a new one):
//! one verifier serves every sign-in started within [`FLOW_REUSE_MS`] of it, and it is
//! good until [`FLOW_LIFETIME_MS`] after it was made. A sign-in that would switch to
//! another account waits for the user's yes.

use serde::{Deserialize, Serialize};

use super::{Clock, Runtime};
use crate::auth::{self, AuthError, Callback, OAuthProvider, Project, SignIn};
use crate::protocol::{ErrorKind, Event, key_view};
use crate::runtime::direct_usage::{token_claim, token_subject};
use crate::seams::{Tokenizer, Vault};
use crate::store::{Account, KeyOwner, KeyRecord, Store};
use crate::supabase_rest::{self, SyncedSettings};
use crate::transport::{self, Transport};

const OWNER: KeyOwner = KeyOwner::Account(Account::Supabase);
/// Where the verifier of the sign-in in progress is kept (sealed).
pub(super) const SIGN_IN: KeyOwner = KeyOwner::Account(Account::SupabaseSignIn);
/// A sign-in started within this long of the verifier's making uses it too, so two links
/// asked for one after the other both work.
pub const FLOW_REUSE_MS: u64 = 60 * 60 * 1000;
/// A verifier older than this completes nothing (an emailed link lives an hour).
pub const FLOW_LIFETIME_MS: u64 = 2 * FLOW_REUSE_MS;

/// The sign-in this browser is waiting for.
#[derive(Serialize, Deserialize)]
struct Flow {
    verifier: String,
    created_ms: u64,
}

impl<T: Transport, S: Store, V: Vault, C: Clock, K: Tokenizer> Runtime<T, S, V, C, K> {
    pub(super) fn project(&self) -> Result<Project, ErrorKind> {
        let url = self
            .settings
            .supabase_url
            .clone()
            .ok_or(ErrorKind::InvalidRequest)?;
        Ok(Project {
            url,
            anon_key: self.settings.supabase_anon_key.clone().unwrap_or_default(),
        })
    }

    /// What is in force, for the UI: settings, whose keys are held, who is signed in.
    pub(super) fn ready(&self) -> Event {
        Event::Ready {
            settings: (&self.settings).into(),
            keys: self.keys.keys().copied().filter_map(key_view).collect(),
            signed_in: self.signed_in_user(),
        }
    }

    /// The signed-in user's id, if anyone is.
    pub(super) fn signed_in_user(&self) -> Option<String> {
        self.access_token.as_deref().and_then(token_subject)
    }

    pub(super) fn restore_sign_in(&mut self, sealed_json: &str) {
        if let Ok(sign_in) = serde_json::from_str::<SignIn>(sealed_json) {
            self.access_token = Some(sign_in.access_token.clone());
            self.sign_in = Some(sign_in);
        }
    }

    async fn keep(&mut self, sign_in: SignIn) -> Result<(), ErrorKind> {
        self.seal_as(OWNER, &sign_in).await?;
        self.access_token = Some(sign_in.access_token.clone());
        self.sign_in = Some(sign_in);
        Ok(())
    }

    async fn forget(&mut self) {
        self.sign_in = None;
        self.access_token = None;
        self.pending_switch = None;
        let _ = self.store.delete_key(OWNER).await;
    }

    /// The verifier of the sign-in in progress, if it is still good.
    async fn pending_flow(&self) -> Option<Flow> {
        let record = self
            .store
            .keys()
            .await
            .ok()?
            .into_iter()
            .find(|k| k.provider == SIGN_IN)?;
        let json = self.vault.open(&record.sealed).await.ok()?;
        let flow: Flow = serde_json::from_str(&json).ok()?;
        let age = self.clock.now_ms().saturating_sub(flow.created_ms);
        (age <= FLOW_LIFETIME_MS).then_some(flow)
    }

    /// The challenge for a new sign-in: of the recent verifier, or of a new one kept now.
    async fn start_flow(&self) -> Result<String, ErrorKind> {
        if let Some(flow) = self.pending_flow().await
            && self.clock.now_ms().saturating_sub(flow.created_ms) <= FLOW_REUSE_MS
        {
            return Ok(auth::code_challenge(&flow.verifier));
        }
        let verifier = auth::code_verifier(|| self.clock.new_id()).ok_or(ErrorKind::Storage)?;
        let flow = Flow {
            verifier,
            created_ms: self.clock.now_ms(),
        };
        self.seal_as(SIGN_IN, &flow).await?;
        Ok(auth::code_challenge(&flow.verifier))
    }

    /// Keeps `value` as JSON sealed like a key, under `owner`.
    async fn seal_as(&self, owner: KeyOwner, value: &impl Serialize) -> Result<(), ErrorKind> {
        let json = serde_json::to_string(value).map_err(|_| ErrorKind::Storage)?;
        let sealed = self.vault.seal(&json).await?;
        self.store
            .put_key(&KeyRecord {
                provider: owner,
                sealed,
            })
            .await
            .map_err(ErrorKind::from)
    }

    pub(super) async fn sign_in_with_email(
        &self,
        email: &str,
        redirect_to: &str,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        if !email.contains('@') {
            return Err(ErrorKind::InvalidRequest);
        }
        let project = self.project()?;
        let challenge = self.start_flow().await?;
        let request = auth::magic_link_request(&project, email, redirect_to, &challenge);
        let answer = transport::fetch(&self.transport, &request)
            .await
            .map_err(|_| ErrorKind::Offline)?;
        if !answer.is_success() {
            emit(Event::Error {
                session: None,
                kind: ErrorKind::Unauthorized,
                message: format!(
                    "the sign-in link was not sent: {}",
                    auth::refusal_reason(answer.status, &answer.body)
                ),
            });
            return Ok(());
        }
        emit(Event::MagicLinkSent {
            email: email.trim().to_owned(),
        });
        Ok(())
    }

    pub(super) async fn sign_in_with_provider(
        &self,
        provider: OAuthProvider,
        redirect_to: &str,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        let project = self.project()?;
        let challenge = self.start_flow().await?;
        emit(Event::SignInRedirect {
            url: auth::authorize_url(&project, provider, redirect_to, &challenge),
        });
        Ok(())
    }

    /// A sign-in link that cannot be used: nobody is signed in (or out) by it.
    fn refuse_link(reason: &str, emit: &mut impl FnMut(Event)) {
        emit(Event::Error {
            session: None,
            kind: ErrorKind::InvalidRequest,
            message: format!("this sign-in link was not used: {reason}"),
        });
    }

    pub(super) async fn complete_sign_in(
        &mut self,
        query: &str,
        fragment: &str,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        let code = match auth::callback(query, fragment) {
            Callback::Nothing => return Ok(()),
            Callback::Code(code) => code,
            Callback::Refused(reason) => {
                Self::refuse_link(&format!("Supabase said: {reason}"), emit);
                return Ok(());
            }
            Callback::TokensInFragment => {
                Self::refuse_link(
                    "it hands over a session in the address, which could be anyone's. \
                     Nobody was signed in; sign in from Ferry itself.",
                    emit,
                );
                return Ok(());
            }
        };
        let project = self.project()?;
        let Some(flow) = self.pending_flow().await else {
            Self::refuse_link(
                "it was not asked for in this browser (or too long ago). \
                 Nobody was signed in; sign in from Ferry itself.",
                emit,
            );
            return Ok(());
        };
        let request = auth::code_exchange_request(&project, &code, &flow.verifier);
        let answer = transport::fetch(&self.transport, &request)
            .await
            .map_err(|_| ErrorKind::Offline)?;
        let sign_in =
            match auth::sign_in_from_answer(answer.status, &answer.body, self.clock.now_ms()) {
                Ok(sign_in) => sign_in,
                Err(e) => {
                    Self::refuse_link(&e.to_string(), emit);
                    return Ok(());
                }
            };
        let next = token_subject(&sign_in.access_token);
        match self.signed_in_user() {
            Some(current) if next.as_ref() != Some(&current) => {
                let name = |token: &str, id: Option<String>| {
                    token_claim(token, "email")
                        .or(id)
                        .unwrap_or_else(|| "another account".to_owned())
                };
                let current_name = name(
                    self.access_token.as_deref().unwrap_or_default(),
                    Some(current),
                );
                let next_name = name(&sign_in.access_token, next);
                // Nothing of the other account is in force until the user says so.
                self.pending_switch = Some(sign_in);
                emit(Event::ConfirmAccountSwitch {
                    current: current_name,
                    next: next_name,
                });
                Ok(())
            }
            _ => self.adopt(sign_in, emit).await,
        }
    }

    /// The user's answer to [`Event::ConfirmAccountSwitch`].
    pub(super) async fn switch_account(
        &mut self,
        confirm: bool,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        let Some(sign_in) = self.pending_switch.take() else {
            return Err(ErrorKind::InvalidRequest);
        };
        if confirm {
            self.adopt(sign_in, emit).await
        } else {
            emit(self.ready());
            Ok(())
        }
    }

    /// Makes `session` the sign-in in force: kept sealed, its settings synced, the UI told,
    /// the usage rows that waited for it sent.
    async fn adopt(
        &mut self,
        sign_in: SignIn,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        self.keep(sign_in).await?;
        // The synced settings first (a `Ready`), so that what the app opens on `SignedIn`
        // (Settings, without a key here yet) shows them.
        self.sync_settings(emit).await;
        if let Some(user) = self.signed_in_user() {
            emit(Event::SignedIn { user });
        }
        // Rows that waited for a token go now.
        self.flush_usage().await;
        Ok(())
    }

    pub(super) async fn sign_out(&mut self, emit: &mut impl FnMut(Event)) -> Result<(), ErrorKind> {
        if let (Some(sign_in), Ok(project)) = (&self.sign_in, self.project()) {
            // Best effort: signed out here whatever Supabase answers.
            let _ =
                transport::fetch(&self.transport, &auth::sign_out_request(&project, sign_in)).await;
        }
        self.forget().await;
        emit(Event::SignedOut);
        Ok(())
    }

    /// Takes the settings saved from another device, or saves these for the others, then
    /// tells the UI what is in force. Only [`SyncedSettings`] fields are taken: a row never
    /// changes where calls go. Best effort: offline, the local settings stand.
    pub(super) async fn sync_settings(&mut self, emit: &mut impl FnMut(Event)) {
        let (Ok(project), Some(token)) = (self.project(), self.access_token.clone()) else {
            return;
        };
        let request = supabase_rest::settings_request(&project, &token);
        let Ok(answer) = transport::fetch(&self.transport, &request).await else {
            return;
        };
        if !answer.is_success() {
            return;
        }
        let synced = supabase_rest::settings_from_answer(&answer.body)
            .map(|row| SyncedSettings::from_row(&row))
            .filter(|synced| !synced.is_empty());
        match synced {
            Some(synced) => {
                self.settings = synced.apply_to(&self.settings);
                if let Ok(saved) = serde_json::to_value(&self.settings) {
                    let _ = self.store.put_settings(&saved).await;
                }
            }
            None => self.push_settings().await,
        }
        emit(self.ready());
    }

    /// Saves the settings in force as the signed-in user's (best effort): their
    /// [`SyncedSettings`] fields only.
    pub(super) async fn push_settings(&self) {
        let (Ok(project), Some(token), Some(user)) = (
            self.project(),
            self.access_token.as_deref(),
            self.signed_in_user(),
        ) else {
            return;
        };
        let synced = SyncedSettings::from_settings(&self.settings);
        let request = supabase_rest::save_settings_request(&project, token, &user, &synced);
        let _ = transport::fetch(&self.transport, &request).await;
    }

    /// The user's calls since `since` (RFC 3339), and their totals per day.
    pub(super) async fn load_usage(
        &self,
        since: &str,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        let project = self.project()?;
        let token = self
            .access_token
            .as_deref()
            .ok_or(ErrorKind::Unauthorized)?;
        let request = supabase_rest::usage_request(&project, token, since);
        let answer = transport::fetch(&self.transport, &request)
            .await
            .map_err(|_| ErrorKind::Offline)?;
        match answer.status {
            200..300 => {}
            401 | 403 => return Err(ErrorKind::Unauthorized),
            _ => return Err(ErrorKind::Upstream),
        }
        let rows = supabase_rest::usage_from_answer(&answer.body).ok_or(ErrorKind::Upstream)?;
        emit(Event::UsageReport {
            days: supabase_rest::per_day(&rows),
            rows,
        });
        Ok(())
    }

    /// The app's access token, when it signed the user in: a fresh token is the moment to
    /// send the usage rows that waited for one.
    pub(super) async fn take_access_token(
        &mut self,
        token: Option<String>,
    ) -> Result<(), ErrorKind> {
        self.access_token = token;
        self.flush_usage().await;
        Ok(())
    }

    /// Refreshes the sign-in when its access token is about to run out. A refused refresh
    /// (revoked, already used) signs the user out and says so; a network failure leaves the
    /// session for the next try.
    pub(super) async fn fresh_sign_in(&mut self, emit: &mut impl FnMut(Event)) {
        let Some(sign_in) = &self.sign_in else { return };
        if !sign_in.refresh_due(self.clock.now_ms()) {
            return;
        }
        let Ok(project) = self.project() else { return };
        let request = auth::refresh_request(&project, sign_in);
        let Ok(answer) = transport::fetch(&self.transport, &request).await else {
            return;
        };
        match auth::sign_in_from_answer(answer.status, &answer.body, self.clock.now_ms()) {
            Ok(fresh) => {
                if self.keep(fresh).await.is_ok() {
                    self.flush_usage().await;
                }
            }
            Err(AuthError::Refused(reason)) if answer.status < 500 => {
                self.forget().await;
                emit(Event::SignedOut);
                emit(Event::Error {
                    session: None,
                    kind: ErrorKind::Unauthorized,
                    message: reason,
                });
            }
            Err(_) => {}
        }
    }
}

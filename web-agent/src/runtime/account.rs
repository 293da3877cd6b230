//! Signing in to Supabase: the magic link, the session that comes back in the URL
//! fragment, refreshing it before it runs out, and signing out. The session (its refresh
//! token above all) is sealed by the vault like a key; the access token goes with proxy
//! calls and usage rows.

use super::{Clock, Runtime, Settings};
use crate::account_data;
use crate::auth::{self, AuthError, AuthSession, Project};
use crate::protocol::{ErrorKind, Event};
use crate::runtime::direct_usage::token_subject;
use crate::seams::{Tokenizer, Vault};
use crate::store::{Account, KeyOwner, KeyRecord, Store};
use crate::transport::{self, Transport};

const OWNER: KeyOwner = KeyOwner::Account(Account::Supabase);

impl<T: Transport, S: Store, V: Vault, C: Clock, K: Tokenizer> Runtime<T, S, V, C, K> {
    fn project(&self) -> Result<Project, ErrorKind> {
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
            settings: self.settings.clone(),
            keys: self.keys.keys().copied().collect(),
            signed_in: self.signed_in_user(),
        }
    }

    /// The signed-in user's id, if anyone is.
    pub(super) fn signed_in_user(&self) -> Option<String> {
        self.access_token.as_deref().and_then(token_subject)
    }

    pub(super) fn restore_session(&mut self, sealed_json: &str) {
        if let Ok(session) = serde_json::from_str::<AuthSession>(sealed_json) {
            self.access_token = Some(session.access_token.clone());
            self.session = Some(session);
        }
    }

    async fn keep(&mut self, session: AuthSession) -> Result<(), ErrorKind> {
        let json = serde_json::to_string(&session).map_err(|_| ErrorKind::Storage)?;
        let sealed = self
            .vault
            .seal(&json)
            .await
            .map_err(|_| ErrorKind::Storage)?;
        self.store
            .put_key(&KeyRecord {
                provider: OWNER,
                sealed,
            })
            .await
            .map_err(|_| ErrorKind::Storage)?;
        self.access_token = Some(session.access_token.clone());
        self.session = Some(session);
        Ok(())
    }

    async fn forget(&mut self) {
        self.session = None;
        self.access_token = None;
        let _ = self.store.delete_key(OWNER).await;
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
        let request = auth::magic_link_request(&self.project()?, email, redirect_to);
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

    pub(super) async fn complete_sign_in(
        &mut self,
        fragment: &str,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        match auth::session_from_fragment(fragment, self.clock.now_ms()) {
            Ok(Some(session)) => {
                self.keep(session).await?;
                if let Some(user) = self.signed_in_user() {
                    emit(Event::SignedIn { user });
                }
                self.sync_settings(emit).await;
                // Rows that waited for a token go now.
                self.flush_usage().await;
                Ok(())
            }
            Ok(None) => Ok(()),
            Err(e) => {
                emit(Event::Error {
                    session: None,
                    kind: ErrorKind::Unauthorized,
                    message: e.to_string(),
                });
                Ok(())
            }
        }
    }

    pub(super) async fn sign_out(&mut self, emit: &mut impl FnMut(Event)) -> Result<(), ErrorKind> {
        if let (Some(session), Ok(project)) = (&self.session, self.project()) {
            // Best effort: signed out here whatever Supabase answers.
            let _ =
                transport::fetch(&self.transport, &auth::sign_out_request(&project, session)).await;
        }
        self.forget().await;
        emit(Event::SignedOut);
        Ok(())
    }

    /// Takes the settings saved from another device, or saves these for the others, then
    /// tells the UI what is in force. Best effort: offline, the local settings stand.
    pub(super) async fn sync_settings(&mut self, emit: &mut impl FnMut(Event)) {
        let (Ok(project), Some(token)) = (self.project(), self.access_token.clone()) else {
            return;
        };
        let request = account_data::settings_request(&project, &token);
        let Ok(answer) = transport::fetch(&self.transport, &request).await else {
            return;
        };
        if !answer.is_success() {
            return;
        }
        match account_data::settings_from_answer(&answer.body) {
            Some(synced) => {
                if let Ok(settings) = serde_json::from_value::<Settings>(synced.clone()) {
                    self.settings = settings;
                    let _ = self.store.put_settings(&synced).await;
                }
            }
            None => self.push_settings().await,
        }
        emit(self.ready());
    }

    /// Saves the settings in force as the signed-in user's (best effort).
    pub(super) async fn push_settings(&self) {
        let (Ok(project), Some(token), Some(user)) = (
            self.project(),
            self.access_token.as_deref(),
            self.signed_in_user(),
        ) else {
            return;
        };
        let Ok(settings) = serde_json::to_value(&self.settings) else {
            return;
        };
        let request = account_data::save_settings_request(&project, token, &user, &settings);
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
        let request = account_data::usage_request(&project, token, since);
        let answer = transport::fetch(&self.transport, &request)
            .await
            .map_err(|_| ErrorKind::Offline)?;
        match answer.status {
            200..300 => {}
            401 | 403 => return Err(ErrorKind::Unauthorized),
            _ => return Err(ErrorKind::Upstream),
        }
        let rows: Vec<account_data::UsageRow> =
            serde_json::from_slice(&answer.body).map_err(|_| ErrorKind::Upstream)?;
        emit(Event::UsageReport {
            days: account_data::per_day(&rows),
            rows,
        });
        Ok(())
    }

    /// Refreshes the sign-in when its access token is about to run out. A refused refresh
    /// (revoked, already used) signs the user out and says so; a network failure leaves the
    /// session for the next try.
    pub(super) async fn fresh_session(&mut self, emit: &mut impl FnMut(Event)) {
        let Some(session) = &self.session else { return };
        if !session.refresh_due(self.clock.now_ms()) {
            return;
        }
        let Ok(project) = self.project() else { return };
        let request = auth::refresh_request(&project, session);
        let Ok(answer) = transport::fetch(&self.transport, &request).await else {
            return;
        };
        match auth::session_from_answer(answer.status, &answer.body, self.clock.now_ms()) {
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

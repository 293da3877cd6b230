//! The Model picker's list: the provider's own models for the user's key, asked the way
//! model calls go (direct where the provider takes browser calls, else via the proxy).

use ferry_core::ProviderId;
use ferry_core::adapter;
use ferry_core::wire::ModelList;

use super::{CallFailure, Clock, Runtime, refusal};
use crate::protocol::{ErrorKind, Event};
use crate::routing::{self, Credentials, Failure, Routing, Way};
use crate::seams::{Tokenizer, Vault};
use crate::store::Store;
use crate::transport::{self, Transport};

impl<T: Transport, S: Store, V: Vault, C: Clock, K: Tokenizer> Runtime<T, S, V, C, K> {
    pub(super) async fn list_models(
        &self,
        provider: ProviderId,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        match self.fetch_models(provider).await {
            Ok(mut models) => {
                models.sort();
                models.dedup();
                emit(Event::Models { provider, models });
                Ok(())
            }
            Err(failure) => {
                emit(Event::Error {
                    session: None,
                    kind: failure.kind,
                    message: failure.message,
                });
                Ok(())
            }
        }
    }

    async fn fetch_models(&self, provider: ProviderId) -> Result<Vec<String>, CallFailure> {
        let key = self.keys.get(&provider.into()).ok_or_else(|| CallFailure {
            kind: ErrorKind::MissingKey,
            message: format!("no key for {provider}: add one in Settings"),
        })?;
        let routing = Routing {
            proxy_url: self.settings.proxy_url.clone(),
            always_proxy: self.settings.always_proxy,
            // The user's endpoint belongs to the provider it was set for.
            direct_base_url: (provider == self.settings.provider)
                .then(|| self.settings.provider_base_url.clone())
                .flatten(),
        };
        let credentials = Credentials {
            key,
            access_token: self.access_token.as_deref(),
        };
        let mut failure = CallFailure {
            kind: ErrorKind::Upstream,
            message: format!("no way to reach {provider}: set a proxy URL"),
        };
        for way in routing::ways(provider, &routing) {
            let call = routing::models_call(way, provider, credentials, &routing).map_err(|e| {
                CallFailure {
                    kind: ErrorKind::InvalidRequest,
                    message: e.to_string(),
                }
            })?;
            let how = match self.transport.send(&call).await {
                Ok(mut answer) => {
                    let body = transport::read_all(&mut answer.body)
                        .await
                        .unwrap_or_default();
                    if answer.status < 400 {
                        let list = match way {
                            Way::Direct => {
                                adapter::models_response(provider, &body).map_err(|e| e.to_string())
                            }
                            Way::Proxy => serde_json::from_slice::<ModelList>(&body)
                                .map_err(|e| e.to_string()),
                        };
                        return list
                            .map(|list| list.data.into_iter().map(|m| m.id).collect())
                            .map_err(|message| CallFailure {
                                kind: ErrorKind::Upstream,
                                message: format!("unreadable model list: {message}"),
                            });
                    }
                    failure = refusal(answer.status, answer.retry_after_secs, &body, key);
                    Failure::Status(answer.status)
                }
                Err(e) => {
                    failure = CallFailure {
                        kind: ErrorKind::Offline,
                        message: e.to_string(),
                    };
                    Failure::Network
                }
            };
            if !routing::try_next_way(how) {
                break;
            }
        }
        Err(failure)
    }
}

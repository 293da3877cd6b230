//! The Model picker's list: the provider's own models for the user's key, asked the way
//! model calls go (direct where the provider takes browser calls, else via the proxy).

use ferry_core::ProviderId;
use ferry_core::adapter;
use ferry_core::wire::ModelList;

use super::calls::CallFailure;
use super::{Clock, Runtime};
use crate::protocol::{ErrorKind, Event};
use crate::routing::{self, Way};
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
        let (way, mut answer) = self
            .first_way(provider, |way, credentials, routing| {
                routing::models_call(way, provider, credentials, routing)
            })
            .await?;
        let body = transport::read_all(&mut answer.body).await?;
        let list = match way {
            Way::Direct => adapter::models_response(provider, &body).map_err(|e| e.to_string()),
            Way::Proxy => serde_json::from_slice::<ModelList>(&body).map_err(|e| e.to_string()),
        };
        list.map(|list| list.data.into_iter().map(|m| m.id).collect())
            .map_err(|message| CallFailure {
                kind: ErrorKind::Upstream,
                message: format!("unreadable model list: {message}"),
            })
    }
}

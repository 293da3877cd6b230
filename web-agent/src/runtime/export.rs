//! Export and import: everything stored, as one JSON document (keys only when asked for).

use super::{Clock, Runtime};
use crate::protocol::{ErrorKind, Event};
use crate::seams::{Tokenizer, Vault};
use crate::store::{self, Store, StoreError};
use crate::transport::Transport;

impl<T: Transport, S: Store, V: Vault, C: Clock, K: Tokenizer> Runtime<T, S, V, C, K> {
    /// Everything stored as one document, the sealed keys with it if `include_keys`.
    pub(super) async fn export(
        &self,
        include_keys: bool,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        let now = self.clock.now_ms();
        let export = store::export(&self.store, include_keys, now).await?;
        let document = serde_json::to_string(&export).map_err(|_| ErrorKind::Storage)?;
        emit(Event::Exported { document });
        Ok(())
    }

    /// Stores what an exported `document` holds, then lists the sessions again; a document
    /// that is not one is refused whole, with what is wrong with it, and nothing changes.
    pub(super) async fn import(
        &self,
        document: &str,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        let imported = match store::import(&self.store, document, self.clock.now_ms()).await {
            Ok(imported) => imported,
            Err(StoreError::BadDocument(reason)) => {
                emit(Event::Error {
                    session: None,
                    kind: ErrorKind::InvalidRequest,
                    message: format!("nothing was imported: {reason}"),
                });
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
        emit(Event::Imported {
            sessions: imported.sessions,
            messages: imported.messages,
            notes: imported.notes,
        });
        self.list(None, emit).await
    }
}

//! Another tab of the same browser wrote: what this tab's agent keeps in memory of the
//! stored data (settings, unsealed keys, the sign-in) is read again, and told to the app.
//! Chats need nothing here: they are read from storage whenever they are listed or opened.

use super::{Clock, Runtime, Settings};
use crate::protocol::{Change, ErrorKind, Event};
use crate::seams::{Tokenizer, Vault};
use crate::store::Store;
use crate::transport::Transport;

impl<T: Transport, S: Store, V: Vault, C: Clock, K: Tokenizer> Runtime<T, S, V, C, K> {
    /// Reads `changed` again from storage; answers `ready` when settings or keys changed,
    /// `mcp_servers` when the servers did.
    pub(super) async fn refresh(
        &mut self,
        changed: &[Change],
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        if changed.contains(&Change::Settings)
            && let Some(saved) = self.store.settings().await?
            && let Ok(saved) = Settings::read(saved)
        {
            // What the page serves (the proxy's media cap) stays this page's.
            self.settings = saved.served_by(&self.settings);
        }
        if changed.contains(&Change::Keys) {
            // Keys saved in the other tab are added; a key this tab holds in memory only
            // ("Don't save key") stays until the tab closes.
            self.unlock().await?;
        }
        if changed.contains(&Change::Settings) || changed.contains(&Change::Keys) {
            emit(self.ready());
        }
        if changed.contains(&Change::McpServers) {
            self.emit_mcp_servers(emit).await?;
        }
        Ok(())
    }
}

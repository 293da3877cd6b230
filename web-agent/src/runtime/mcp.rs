//! MCP servers at work: added, listed, switched, their tools' approval settings, prompts
//! and resources.

use crate::protocol::{Command, ErrorKind, Event};
use crate::seams::{Tokenizer, Vault};
use crate::store::Store;
use crate::transport::Transport;

use super::{Clock, Runtime};

impl<T: Transport, S: Store, V: Vault, C: Clock, K: Tokenizer> Runtime<T, S, V, C, K> {
    /// The MCP commands, each to its handler.
    pub(super) async fn mcp_command(
        &mut self,
        command: Command,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        let _ = (command, emit);
        Err(ErrorKind::InvalidRequest)
    }
}

//! The body of a scripted answer, for the tests that fake the network: its chunks one by
//! one, then the end — or, for a server still working, nothing more ever — with a hook run
//! at the first read (a user's Stop pressed mid-stream).

use std::collections::VecDeque;

use super::{Body, NetworkError};

pub(crate) struct ScriptedBody {
    pub(crate) chunks: VecDeque<Result<Vec<u8>, NetworkError>>,
    /// Run once, at the first read.
    pub(crate) on_first_read: Option<Box<dyn FnOnce()>>,
    /// After the last chunk, nothing more ever comes.
    pub(crate) hang: bool,
}

impl ScriptedBody {
    /// `chunks` as they are written, nothing run at the first read.
    pub(crate) fn of(chunks: Vec<String>, hang: bool) -> Self {
        Self {
            chunks: chunks.into_iter().map(|c| Ok(c.into_bytes())).collect(),
            on_first_read: None,
            hang,
        }
    }
}

impl std::fmt::Debug for ScriptedBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScriptedBody")
            .field("chunks", &self.chunks.len())
            .field("hang", &self.hang)
            .finish_non_exhaustive()
    }
}

impl Body for ScriptedBody {
    async fn next(&mut self) -> Option<Result<Vec<u8>, NetworkError>> {
        let next = self.chunks.pop_front();
        if let Some(hook) = self.on_first_read.take() {
            hook();
        }
        if next.is_none() && self.hang {
            std::future::pending::<()>().await;
        }
        next
    }
}

/// Header pairs as an answer carries them.
pub(crate) fn owned_headers(headers: &[(&str, &str)]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

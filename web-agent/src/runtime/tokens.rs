//! Token counts for budgets and for the UI: exact from the [`Tokenizer`] when the model's
//! encoding is known and loaded, estimated otherwise. Exact counts are cached by content,
//! so a long session is counted once and then only its new messages.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use ferry_core::tokens::{self, Encoding, MESSAGE_OVERHEAD};
use ferry_core::wire::Message;

use super::attachments::budget;
use super::{Clock, Runtime};
use crate::compaction::{self, Entry};
use crate::protocol::{ErrorKind, Event, SessionId};
use crate::seams::{Tokenizer, Vault};
use crate::store::{Store, StoredMessage};
use crate::transport::Transport;

/// Cached counts at most; past it the cache starts over.
const CACHE_LIMIT: usize = 50_000;

pub(super) struct TokenCounts<K> {
    tokenizer: K,
    exact: RefCell<HashMap<(Encoding, u64), u64>>,
}

impl<K: Tokenizer> TokenCounts<K> {
    pub(super) fn new(tokenizer: K) -> Self {
        Self {
            tokenizer,
            exact: RefCell::new(HashMap::new()),
        }
    }

    /// Each text's tokens, and whether every count is exact.
    async fn count(&self, encoding: Option<Encoding>, texts: &[&str]) -> (Vec<u64>, bool) {
        let estimates = || texts.iter().map(|t| tokens::estimate(t)).collect();
        let Some(encoding) = encoding else {
            return (estimates(), false);
        };
        let keys: Vec<(Encoding, u64)> = texts.iter().map(|t| (encoding, digest(t))).collect();
        let missing: Vec<usize> = {
            let cache = self.exact.borrow();
            (0..texts.len())
                .filter(|&i| !cache.contains_key(&keys[i]))
                .collect()
        };
        if !missing.is_empty() {
            let asked: Vec<&str> = missing.iter().map(|&i| texts[i]).collect();
            match self.tokenizer.count(encoding, &asked).await {
                Some(counts) if counts.len() == asked.len() => {
                    let mut cache = self.exact.borrow_mut();
                    if cache.len() + counts.len() > CACHE_LIMIT {
                        cache.clear();
                    }
                    for (&i, n) in missing.iter().zip(counts) {
                        cache.insert(keys[i], n);
                    }
                }
                _ => return (estimates(), false),
            }
        }
        let cache = self.exact.borrow();
        let counts = (0..texts.len())
            .map(|i| {
                cache
                    .get(&keys[i])
                    .copied()
                    .unwrap_or_else(|| tokens::estimate(texts[i]))
            })
            .collect();
        (counts, true)
    }
}

fn digest(text: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    text.hash(&mut hasher);
    text.len().hash(&mut hasher);
    hasher.finish()
}

/// What of a message counts: its text, its thinking and any tool calls. Thinking is
/// counted although providers drop an earlier turn's thinking from what the model reads:
/// the figure is what the conversation holds, and the budget errs on the safe side.
fn countable(message: &Message) -> String {
    let mut text = message.text_content();
    if let Some(thinking) = &message.reasoning_content {
        text.push('\n');
        text.push_str(thinking);
    }
    for call in message.tool_calls.iter().flatten() {
        text.push('\n');
        text.push_str(&call.function.name);
        text.push_str(&call.function.arguments);
    }
    text
}

impl<T: Transport, S: Store, V: Vault, C: Clock, K: Tokenizer> Runtime<T, S, V, C, K> {
    fn encoding(&self) -> Option<Encoding> {
        tokens::encoding_for(self.settings.model())
    }

    /// Each text's tokens, and whether every count is exact.
    pub(super) async fn count_texts(&self, texts: &[&str]) -> (Vec<u64>, bool) {
        self.tokens.count(self.encoding(), texts).await
    }

    /// The tokens [`compaction::context`] of these would send, attachments included, and
    /// whether the count is exact.
    pub(super) async fn sent_tokens(
        &self,
        entries: &[Entry],
        compaction: Option<&compaction::Compaction>,
    ) -> (u64, bool) {
        let system = Some(self.settings.system_prompt.as_str()).filter(|s| !s.is_empty());
        let head = compaction::head(system, entries, compaction);
        let (counts, exact) = self.count_messages(&head.iter().collect::<Vec<_>>()).await;
        let tail: u64 = entries
            .iter()
            .skip(compaction::first_sent(entries, compaction))
            .map(|e| e.tokens)
            .sum();
        (counts.iter().sum::<u64>() + tail, exact)
    }

    /// Each message's tokens, frame included, and whether the counts are exact.
    pub(super) async fn count_messages(&self, messages: &[&Message]) -> (Vec<u64>, bool) {
        let texts: Vec<String> = messages.iter().map(|m| countable(m)).collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let (counts, exact) = self.tokens.count(self.encoding(), &refs).await;
        let framed = counts.into_iter().map(|n| n + MESSAGE_OVERHEAD).collect();
        (framed, exact)
    }

    /// The stored messages as compaction entries, with their token counts: their
    /// attachments' included as they are sent (see [`Runtime::attachment_costs`]), an
    /// earlier file the request has no room for as its note (see [`Runtime::resent`]).
    pub(super) async fn entries(
        &self,
        stored: Vec<StoredMessage>,
    ) -> Result<Vec<Entry>, ErrorKind> {
        let messages: Vec<&Message> = stored.iter().map(|m| &m.message).collect();
        let (counts, _) = self.count_messages(&messages).await;
        let mut entries = Vec::with_capacity(stored.len());
        let mut costs = Vec::with_capacity(stored.len());
        for (m, tokens) in stored.into_iter().zip(counts) {
            let (attachments, each) = self.attachment_costs(&m.attachments).await?;
            entries.push(Entry {
                tokens,
                id: m.id,
                message: m.message,
                attachments,
            });
            costs.push(each);
        }
        let resent = self.resent(&entries);
        for ((entry, each), resent) in entries.iter_mut().zip(costs).zip(resent) {
            for ((view, cost), resent) in entry.attachments.iter().zip(each).zip(resent) {
                entry.tokens += if resent {
                    cost
                } else {
                    let note = budget::not_repeated(view);
                    self.count_texts(&[&note]).await.0.iter().sum::<u64>()
                };
            }
        }
        Ok(entries)
    }

    /// The tokens the next request of `session` would send (system prompt, summary and
    /// the messages after it) and those of `draft`.
    pub(super) async fn count_tokens(
        &self,
        session: Option<SessionId>,
        draft: &str,
        emit: &mut impl FnMut(Event),
    ) -> Result<(), ErrorKind> {
        let (conversation, conversation_exact) = match &session {
            Some(session) => {
                let stored = self.path(session).await?;
                let compaction = self
                    .path_compaction(session, stored.iter().map(|m| m.id.as_str()))
                    .await?;
                let entries = self.entries(stored).await?;
                self.sent_tokens(&entries, compaction.as_ref()).await
            }
            None => (0, true),
        };
        let (draft_tokens, draft_exact) = self.tokens.count(self.encoding(), &[draft]).await;
        emit(Event::TokenCount {
            session,
            conversation,
            draft: draft_tokens.iter().sum(),
            exact: conversation_exact && draft_exact,
        });
        Ok(())
    }
}

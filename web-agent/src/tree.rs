//! A chat as a tree of messages: each message names its parent (`None` for a root), and a
//! session's `head` names the leaf of the chosen branch. What the chat shows, and what a
//! model call sends, is the path from the root to the head; edits and regenerations add
//! siblings rather than replace anything.
//!
//! Pure: built from the stored records, whatever their order. Siblings are ordered by
//! `seq`, the session's creation counter, so the first version comes first.
//!
//! Records written before branches existed have no parents; [`linearize`] chains them by
//! `seq`, as they were shown.

use std::collections::{BTreeMap, HashMap};

use crate::compaction::Compaction;
use crate::store::{Session, StoredMessage};

/// The messages of one session, indexed by id and by parent.
#[derive(Debug)]
pub struct Tree<'a> {
    messages: &'a [StoredMessage],
    by_id: HashMap<&'a str, usize>,
    /// Children of each parent (`None`: the roots), by `seq`.
    children: HashMap<Option<&'a str>, Vec<usize>>,
}

impl<'a> Tree<'a> {
    /// The tree of `messages` (one session's, in any order). A message whose parent is not
    /// among them counts as a root.
    pub fn new(messages: &'a [StoredMessage]) -> Self {
        let by_id: HashMap<&str, usize> = messages
            .iter()
            .enumerate()
            .map(|(i, m)| (m.id.as_str(), i))
            .collect();
        let mut children: HashMap<Option<&str>, Vec<usize>> = HashMap::new();
        for (i, m) in messages.iter().enumerate() {
            let parent = m
                .parent
                .as_deref()
                .filter(|p| by_id.contains_key(p) && *p != m.id);
            children.entry(parent).or_default().push(i);
        }
        for list in children.values_mut() {
            list.sort_by_key(|&i| messages[i].seq);
        }
        Self {
            messages,
            by_id,
            children,
        }
    }

    pub fn get(&self, id: &str) -> Option<&'a StoredMessage> {
        self.by_id.get(id).map(|&i| &self.messages[i])
    }

    /// The parent of `id` as the tree sees it (`None` for a root or an unknown id).
    pub fn parent(&self, id: &str) -> Option<&'a StoredMessage> {
        let parent = self.get(id)?.parent.as_deref()?;
        self.get(parent).filter(|p| p.id != id)
    }

    /// The children of `parent` (`None`: the roots), oldest first.
    pub fn children(&self, parent: Option<&str>) -> Vec<&'a StoredMessage> {
        self.children
            .get(&parent)
            .map(|list| list.iter().map(|&i| &self.messages[i]).collect())
            .unwrap_or_default()
    }

    /// `id` and the other children of its parent, oldest first; empty for an unknown id.
    pub fn siblings(&self, id: &str) -> Vec<&'a StoredMessage> {
        if self.get(id).is_none() {
            return Vec::new();
        }
        self.children(self.parent(id).map(|p| p.id.as_str()))
    }

    /// The messages from the root to `id`, in order; empty for an unknown id. A cycle in
    /// the records (never written by Ferry) ends the walk rather than looping.
    pub fn path_to(&self, id: &str) -> Vec<&'a StoredMessage> {
        let mut path: Vec<&StoredMessage> = Vec::new();
        let mut at = self.get(id);
        while let Some(message) = at {
            if path.iter().any(|m| m.id == message.id) {
                break;
            }
            path.push(message);
            at = self.parent(&message.id);
        }
        path.reverse();
        path
    }

    /// The most recently created leaf in the subtree of `id` (`id` itself when it has no
    /// children): where a switch to the version `id` lands.
    pub fn leaf_under(&self, id: &str) -> Option<&'a StoredMessage> {
        let mut best = self.get(id)?;
        let mut stack = vec![best];
        let mut seen = 0;
        while let Some(message) = stack.pop() {
            seen += 1;
            if seen > self.messages.len() {
                break;
            }
            let children = self.children(Some(&message.id));
            if children.is_empty() && (best.id == id || message.seq > best.seq) {
                best = message;
            }
            stack.extend(children);
        }
        Some(best)
    }

    /// The head a session shows: `chosen` when it is one of the messages, else the most
    /// recently created message's leaf; `None` for an empty session.
    pub fn head(&self, chosen: Option<&str>) -> Option<&'a StoredMessage> {
        if let Some(head) = chosen.and_then(|id| self.get(id)) {
            return Some(head);
        }
        let latest = self.messages.iter().max_by_key(|m| m.seq)?;
        self.leaf_under(&latest.id)
    }

    /// The path the session shows: root to [`Tree::head`].
    pub fn path(&self, chosen: Option<&str>) -> Vec<&'a StoredMessage> {
        self.head(chosen)
            .map(|head| self.path_to(&head.id))
            .unwrap_or_default()
    }
}

/// Whether `messages` were stored before branches: more than one, none with a parent.
pub fn is_linear(messages: &[StoredMessage]) -> bool {
    messages.len() > 1 && messages.iter().all(|m| m.parent.is_none())
}

/// Chains records without parents by `seq` (each one's parent is the one before it), as a
/// chat stored before branches was shown; returns the last one's id, the head. Records
/// that have a parent keep it.
pub fn linearize(messages: &mut [StoredMessage]) -> Option<String> {
    messages.sort_by_key(|m| m.seq);
    let mut previous: Option<String> = None;
    for message in messages.iter_mut() {
        if message.parent.is_none() {
            message.parent.clone_from(&previous);
        }
        previous = Some(message.id.clone());
    }
    previous
}

/// The chats of an export from before branches, each made one branch: its messages
/// chained by `seq` and its head on the last one.
pub fn linearize_export(sessions: &mut [Session], messages: &mut Vec<StoredMessage>) {
    let mut by_session: BTreeMap<String, Vec<StoredMessage>> = BTreeMap::new();
    for message in messages.drain(..) {
        by_session
            .entry(message.session.clone())
            .or_default()
            .push(message);
    }
    for session in sessions.iter_mut() {
        if let Some(chat) = by_session.get_mut(&session.id)
            && session.head.is_none()
        {
            session.head = linearize(chat);
        }
    }
    for (_, chat) in by_session {
        messages.extend(chat);
    }
}

/// Whether the chats of a document to import are trees Ferry could have written: every
/// parent a message of the same chat, no message its own ancestor, every head one of its
/// chat's messages. `Err` says, in words, the first thing that is not.
pub fn check_trees(sessions: &[Session], messages: &[StoredMessage]) -> Result<(), String> {
    let by_id: HashMap<&str, &StoredMessage> =
        messages.iter().map(|m| (m.id.as_str(), m)).collect();
    for message in messages {
        if let Some(parent) = message.parent.as_deref()
            && by_id
                .get(parent)
                .is_none_or(|p| p.session != message.session)
        {
            return Err(format!(
                "message \"{}\" follows \"{parent}\", which is not in its chat",
                message.id
            ));
        }
    }
    // Walks up from each message; a walk longer than there are messages went round.
    let mut rooted: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for message in messages {
        let mut walked = Vec::new();
        let mut at = Some(message);
        while let Some(m) = at {
            if rooted.contains(m.id.as_str()) {
                break;
            }
            if walked.len() > messages.len() {
                return Err(format!(
                    "message \"{}\" is its own ancestor: its parents go round in a circle",
                    message.id
                ));
            }
            walked.push(m.id.as_str());
            at = m.parent.as_deref().and_then(|p| by_id.get(p).copied());
        }
        rooted.extend(walked);
    }
    for session in sessions {
        if let Some(head) = session.head.as_deref()
            && by_id.get(head).is_none_or(|m| m.session != session.id)
        {
            return Err(format!(
                "chat \"{}\" shows message \"{head}\", which is not one of its messages",
                session.id
            ));
        }
    }
    Ok(())
}

/// The compaction that applies to `path` (the ids root to head): of those whose `first_kept` is
/// on it, the deepest. One made on another branch, or one that cut the conversation after
/// the point where this branch starts, does not apply.
pub fn compaction_of(path: &[&str], compactions: Vec<Compaction>) -> Option<Compaction> {
    compactions
        .into_iter()
        .filter_map(|c| {
            let at = path.iter().position(|id| *id == c.first_kept)?;
            Some((at, c))
        })
        .max_by_key(|(at, _)| *at)
        .map(|(_, c)| c)
}

/// The place a new message of the session takes: after every message of every branch.
pub fn next_seq(messages: &[StoredMessage]) -> u64 {
    messages.iter().map(|m| m.seq + 1).max().unwrap_or(0)
}

#[cfg(test)]
mod tests;

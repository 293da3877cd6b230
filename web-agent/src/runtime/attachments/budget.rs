//! A request's room for files. Every turn sends again the files of the messages before it
//! (from the compaction's cut on), so a chat with a few images would soon pass the
//! proxy's `MAX_MEDIA_BODY_BYTES` (a 413) or Gemini's 20 MB of inline data. Files' data
//! are counted as they go, base64 in a data URL, against the budget of the way the call
//! takes first ([`budget`]), with room kept for the text ([`TEXT_MARGIN`]):
//!
//! - the current (last) user message's files always go: the app keeps one message within
//!   the limits before it sends it;
//! - older files go newest first while they fit beside those newer; from the first that
//!   does not fit, none older goes, and each is sent as a note instead
//!   ([`not_repeated`]);
//! - what goes as text (a text file, a document for a model without PDFs, the note for an
//!   image a model cannot see) is no inline data: it always goes, and the context window
//!   keeps it in check.

use ferry_core::Config;
use ferry_core::media::{self, MediaKind};
use ferry_core::wire::Role;

use super::Takes;
use crate::compaction::Entry;
use crate::protocol::AttachmentView;
use crate::routing::Way;

/// Room kept in a request for all but its files' data: the messages' text, the tools
/// declared, the JSON around them. The proxy takes no more than `MAX_BODY_BYTES` (this,
/// by default) of a request outside its files' data anyway.
pub(crate) const TEXT_MARGIN: u64 = Config::DEFAULT_MAX_BODY_BYTES;

/// The most a request with inline data may have at Gemini: 20 MB.
const GEMINI_INLINE_REQUEST_BYTES: u64 = 20_000_000;

/// The bytes of files' data a direct call carries at most: one message's files at most
/// (`MAX_MESSAGE_ATTACHMENT_BYTES`), as base64.
pub(crate) const DIRECT_BUDGET: u64 = base64_len(media::MAX_MESSAGE_ATTACHMENT_BYTES);

// With the text beside them, within Gemini's limit.
const _: () = assert!(DIRECT_BUDGET + TEXT_MARGIN <= GEMINI_INLINE_REQUEST_BYTES);

/// The length of `n` bytes in base64, padded.
pub(crate) const fn base64_len(n: u64) -> u64 {
    n.div_ceil(3) * 4
}

/// The bytes of files' data (their data URLs) a request may carry when it goes `way`:
/// direct, [`DIRECT_BUDGET`]; through the proxy, its media cap as served
/// (`proxy_media_cap`, else the proxy's default) less [`TEXT_MARGIN`].
pub(crate) fn budget(way: Way, proxy_media_cap: Option<u64>) -> u64 {
    match way {
        Way::Direct => DIRECT_BUDGET,
        Way::Proxy => proxy_media_cap
            .unwrap_or(Config::DEFAULT_MAX_MEDIA_BODY_BYTES)
            .saturating_sub(TEXT_MARGIN),
    }
}

/// What the file `view` adds to a request's inline data for a model that `takes`: its
/// data URL (`data:<mime>;base64,…`); nothing when it goes as text.
pub(crate) fn data_bytes(view: &AttachmentView, takes: Takes) -> u64 {
    let inline = match view.kind {
        MediaKind::Image => takes.images,
        MediaKind::Document => takes.documents,
        MediaKind::Text => false,
    };
    if !inline {
        return 0;
    }
    let prefix = "data:".len() + view.mime.len() + ";base64,".len();
    prefix as u64 + base64_len(view.size)
}

/// For each of `entries`, for each of its files, whether it is sent (else a note is, see
/// [`not_repeated`]) when the request's files' data may take `budget` bytes: see the
/// module's doc.
pub(crate) fn resent(entries: &[Entry], takes: Takes, budget: u64) -> Vec<Vec<bool>> {
    let mut sent: Vec<Vec<bool>> = entries
        .iter()
        .map(|e| vec![true; e.attachments.len()])
        .collect();
    let Some(current) = entries.iter().rposition(|e| e.message.role == Role::User) else {
        return sent;
    };
    let mut used: u64 = entries[current]
        .attachments
        .iter()
        .map(|view| data_bytes(view, takes))
        .sum();
    let mut full = false;
    for (entry, sent) in entries[..current].iter().zip(&mut sent).rev() {
        for (view, sent) in entry.attachments.iter().zip(sent.iter_mut()).rev() {
            let bytes = data_bytes(view, takes);
            if bytes == 0 {
                continue;
            }
            full = full || used.saturating_add(bytes) > budget;
            if full {
                *sent = false;
            } else {
                used += bytes;
            }
        }
    }
    sent
}

/// The part an earlier file is sent as when it is not sent again.
pub(crate) fn not_repeated(view: &AttachmentView) -> String {
    let what = match view.kind {
        MediaKind::Image => "image",
        MediaKind::Document => "document",
        MediaKind::Text => "file",
    };
    format!(
        "[{what}: {} — sent earlier in this chat, not repeated]",
        view.name
    )
}

//! Attachments: a file the browser prepared (an image downscaled, a PDF's text read) is
//! checked against core's limits and stored once per content; a message refers to it by
//! id. At request time each user message's files become content parts (see
//! [`Runtime::expand`]); blobs no message refers to any more are deleted
//! ([`Runtime::free_blobs`]): when a chat is deleted, or an edit removes the messages
//! after it. Export and import carry them (`store::export`, version 2). What a request
//! may carry of earlier messages' files is in [`budget`].

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};

use base64::Engine as _;
use ferry_core::ProviderId;
use ferry_core::media::{self, MediaKind};
use ferry_core::wire::{Content, ContentPart, Extra, FileRef, ImageUrl, Message, Role};

use super::{Clock, Runtime};
use crate::compaction::Entry;
use crate::protocol::{AttachmentView, ErrorKind};
use crate::seams::{Tokenizer, Vault};
use crate::store::{Attachment, Blob, Store, StoreError, StoredMessage};
use crate::transport::Transport;

pub(super) mod budget;

/// What the browser made of a picked, pasted or dropped file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    /// The file's name as picked (`"screenshot.png"` for a paste).
    pub name: String,
    /// The MIME type of `bytes` (after any re-encoding).
    pub mime: String,
    pub kind: MediaKind,
    /// What is stored and sent: an image already downscaled.
    pub bytes: Vec<u8>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub pages: Option<u32>,
    /// A PDF's text with `--- Page N ---` markers; a text file's text.
    pub text: Option<String>,
    /// The original image, `(mime, bytes)`, when the user keeps originals.
    pub original: Option<(String, Vec<u8>)>,
}

/// Why a file was not taken, in words the app shows as they are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Refused {
    pub kind: ErrorKind,
    pub message: String,
}

impl Refused {
    fn invalid(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::InvalidRequest,
            message: message.into(),
        }
    }
}

impl From<StoreError> for Refused {
    fn from(error: StoreError) -> Self {
        Self {
            kind: ErrorKind::Storage,
            message: format!("The file could not be stored: {error}"),
        }
    }
}

/// `n` bytes for people: "820 KB", "14.2 MB".
pub fn size_text(n: u64) -> String {
    const MB: f64 = 1024.0 * 1024.0;
    if n < 1024 * 1024 {
        format!("{} KB", n.div_ceil(1024))
    } else {
        let mb = n as f64 / MB;
        if mb.fract() < 0.05 {
            format!("{mb:.0} MB")
        } else {
            format!("{mb:.1} MB")
        }
    }
}

fn kind_word(kind: MediaKind) -> &'static str {
    match kind {
        MediaKind::Image => "an image",
        MediaKind::Document => "a PDF",
        MediaKind::Text => "a text file",
    }
}

/// Checks `prepared` against core's limits: the kind its type names, its size, a PDF's
/// pages, a text file's text.
fn check(prepared: &Prepared) -> Result<MediaKind, Refused> {
    let name = &prepared.name;
    let kind = media::kind_of(&prepared.mime, name).ok_or_else(|| {
        Refused::invalid(format!(
            "{name}: Ferry does not take this type of file ({}). It takes images (PNG, JPEG, \
             WebP, GIF), PDFs and text files.",
            if prepared.mime.is_empty() {
                "unknown type"
            } else {
                prepared.mime.as_str()
            }
        ))
    })?;
    if kind != prepared.kind {
        return Err(Refused::invalid(format!(
            "{name}: its type ({}) does not match what it holds ({}).",
            prepared.mime,
            kind_word(prepared.kind)
        )));
    }
    if prepared.bytes.is_empty() {
        return Err(Refused::invalid(format!("{name} is empty.")));
    }
    let limit = media::max_file_bytes(kind);
    let too_large = |size: usize| {
        Refused::invalid(format!(
            "{name} is too large ({}); the most Ferry takes for {} is {}.",
            size_text(size as u64),
            kind_word(kind),
            size_text(limit)
        ))
    };
    if prepared.bytes.len() as u64 > limit {
        return Err(too_large(prepared.bytes.len()));
    }
    match kind {
        MediaKind::Image => {
            if let Some((mime, bytes)) = &prepared.original {
                if media::kind_of(mime, "") != Some(MediaKind::Image) {
                    return Err(Refused::invalid(format!(
                        "{name}: the original is not an image."
                    )));
                }
                if bytes.len() as u64 > limit {
                    return Err(too_large(bytes.len()));
                }
            }
        }
        MediaKind::Document => {
            let pages = prepared.pages.unwrap_or(0);
            if pages > media::MAX_PDF_PAGES {
                return Err(Refused::invalid(format!(
                    "{name} has {pages} pages; the most Ferry takes is {}.",
                    media::MAX_PDF_PAGES
                )));
            }
        }
        MediaKind::Text => {
            if prepared.text.is_none() && std::str::from_utf8(&prepared.bytes).is_err() {
                return Err(Refused::invalid(format!(
                    "{name} is not a text file (it is not UTF-8)."
                )));
            }
        }
    }
    Ok(kind)
}

/// What a blob is, without its content: what a view shows. Blobs are keyed by their
/// content and never change, so these are kept in memory once read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BlobFacts {
    pub id: String,
    pub mime: String,
    pub size: u64,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub pages: Option<u32>,
    /// The UTF-8 bytes of the text it is sent as when it goes as text, without the
    /// name's (see [`BlobFacts::text_bytes`]): as a PDF's `<document>` text, as a text
    /// file's `<file>` text; `None` where it is neither.
    document_text: Option<u64>,
    file_text: Option<u64>,
}

impl BlobFacts {
    pub(crate) fn of(blob: &Blob) -> Self {
        let kind = media::kind_of(&blob.mime, "");
        let document = kind == Some(MediaKind::Document);
        // A text file may be stored under a type only its name tells (`.rs` and the like).
        let file = !document && kind != Some(MediaKind::Image);
        Self {
            id: blob.id.clone(),
            mime: blob.mime.clone(),
            size: blob.bytes.len() as u64,
            width: blob.width,
            height: blob.height,
            pages: blob.pages,
            document_text: document.then(|| document_text("", blob).len() as u64),
            file_text: file.then(|| file_text("", blob).len() as u64),
        }
    }

    /// The UTF-8 bytes of the text the file named `name` of `kind` is sent as when it goes
    /// as text (see [`document_text`], [`file_text`]); `None` for an image.
    pub(crate) fn text_bytes(&self, name: &str, kind: MediaKind) -> Option<u64> {
        let without_name = match kind {
            MediaKind::Image => None,
            MediaKind::Document => self.document_text,
            MediaKind::Text => self.file_text,
        }?;
        Some(without_name + attribute(name).len() as u64)
    }
}

/// Entries of the caches below at most; past it a cache starts over.
const KNOWN_LIMIT: usize = 10_000;

/// What the runtime knows of blobs without reading them again: their facts, and what an
/// attachment costs a model (by blob, name, provider and model).
#[derive(Debug, Default)]
pub(crate) struct Known {
    facts: RefCell<HashMap<String, BlobFacts>>,
    costs: RefCell<HashMap<(String, String, ProviderId, String), u64>>,
}

impl Known {
    fn remember(&self, facts: BlobFacts) {
        let mut known = self.facts.borrow_mut();
        if known.len() >= KNOWN_LIMIT {
            known.clear();
        }
        known.insert(facts.id.clone(), facts);
    }

    fn forget(&self, id: &str) {
        self.facts.borrow_mut().remove(id);
        self.costs.borrow_mut().retain(|key, _| key.0 != id);
    }
}

/// The view of `attachment` whose blob is described by `blob` (and its kept original's).
pub(crate) fn view(
    attachment: &Attachment,
    blob: &BlobFacts,
    original: Option<&BlobFacts>,
) -> AttachmentView {
    AttachmentView {
        id: blob.id.clone(),
        name: attachment.name.clone(),
        mime: blob.mime.clone(),
        kind: attachment.kind,
        size: blob.size,
        width: blob.width,
        height: blob.height,
        pages: blob.pages,
        original: original.map(|o| o.id.clone()),
        original_size: original.map(|o| o.size),
        text_bytes: blob.text_bytes(&attachment.name, attachment.kind),
    }
}

fn data_url(mime: &str, bytes: &[u8]) -> String {
    format!(
        "data:{mime};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// How a model takes attachments: images, PDFs natively.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Takes {
    pub images: bool,
    pub documents: bool,
}

impl Takes {
    pub(crate) fn of(provider: ProviderId, model: &str) -> Self {
        let facts = ferry_core::models::facts(provider, model);
        Self {
            images: facts.images,
            documents: facts.documents,
        }
    }
}

/// What a document without a text layer (a scan) is sent as to a model without PDFs.
const NO_TEXT: &str = "(no text could be read from this PDF: its pages are images)";

/// The text a document is sent as when the model does not read PDFs.
pub(crate) fn document_text(name: &str, blob: &Blob) -> String {
    let pages = blob
        .pages
        .map(|n| format!(" pages=\"{n}\""))
        .unwrap_or_default();
    let text = blob.text.as_deref().unwrap_or("").trim_end();
    // Page markers alone are no text.
    let marker = |line: &str| line.starts_with("--- Page ") && line.ends_with(" ---");
    let has_text = text
        .lines()
        .map(str::trim)
        .any(|line| !line.is_empty() && !marker(line));
    let text = if has_text { text } else { NO_TEXT };
    format!(
        "<document name=\"{}\"{pages}>\n{text}\n</document>",
        attribute(name)
    )
}

/// The text a text file is sent as.
pub(crate) fn file_text(name: &str, blob: &Blob) -> String {
    let text = match &blob.text {
        Some(text) => text.clone(),
        None => String::from_utf8_lossy(&blob.bytes).into_owned(),
    };
    format!(
        "<file name=\"{}\">\n{}\n</file>",
        attribute(name),
        text.trim_end()
    )
}

/// The part an image a model cannot read is sent as.
pub(crate) fn image_not_sent(name: &str, model: &str) -> String {
    format!("[image: {name} — not sent: {model} does not take images]")
}

/// A name inside an attribute's quotes.
fn attribute(name: &str) -> String {
    name.replace('&', "&amp;").replace('"', "&quot;")
}

/// The content part a file named `name` of `kind` (stored as `blob`) is sent as to a
/// model that `takes`.
pub(crate) fn part(
    name: &str,
    kind: MediaKind,
    blob: &Blob,
    takes: Takes,
    model: &str,
) -> ContentPart {
    let text = |text: String| ContentPart::Text { text };
    match kind {
        MediaKind::Image if takes.images => ContentPart::ImageUrl {
            image_url: ImageUrl {
                url: data_url(&blob.mime, &blob.bytes),
                detail: None,
            },
        },
        MediaKind::Image => text(image_not_sent(name, model)),
        MediaKind::Document if takes.documents => ContentPart::File {
            file: FileRef {
                filename: Some(name.to_owned()),
                file_data: Some(data_url(&blob.mime, &blob.bytes)),
                file_id: None,
                extra: Extra::new(),
            },
        },
        MediaKind::Document => text(document_text(name, blob)),
        MediaKind::Text => text(file_text(name, blob)),
    }
}

/// `message` with `parts` after its own text.
pub(crate) fn with_parts(message: &Message, parts: Vec<ContentPart>) -> Message {
    if parts.is_empty() {
        return message.clone();
    }
    let mut all = Vec::with_capacity(parts.len() + 1);
    match &message.content {
        Some(Content::Parts(own)) => all.extend(own.iter().cloned()),
        Some(Content::Text(text)) if !text.is_empty() => {
            all.push(ContentPart::Text { text: text.clone() })
        }
        _ => {}
    }
    all.extend(parts);
    let mut message = message.clone();
    message.content = Some(Content::Parts(all));
    message
}

/// How an attachment appears where its content does not: in the summary's input.
pub(crate) fn marker(view: &AttachmentView) -> String {
    match view.kind {
        MediaKind::Image => format!("[image: {}]", view.name),
        MediaKind::Document => match view.pages {
            Some(1) => format!("[document: {}, 1 page]", view.name),
            Some(n) => format!("[document: {}, {n} pages]", view.name),
            None => format!("[document: {}]", view.name),
        },
        MediaKind::Text => format!("[file: {}]", view.name),
    }
}

impl<T: Transport, S: Store, V: Vault, C: Clock, K: Tokenizer> Runtime<T, S, V, C, K> {
    /// Stores a prepared file (once per content: the same bytes again are the same blob)
    /// and answers its view; a file over core's limits is refused with a message the app
    /// shows. The original image is kept beside it only when the settings say so.
    pub async fn add_attachment(&self, prepared: Prepared) -> Result<AttachmentView, Refused> {
        let kind = check(&prepared)?;
        let now = self.clock.now_ms();
        let Prepared {
            name,
            mime,
            bytes,
            width,
            height,
            pages,
            text,
            original,
            ..
        } = prepared;
        let text = match kind {
            MediaKind::Text => text.or_else(|| String::from_utf8(bytes.clone()).ok()),
            MediaKind::Document => text,
            MediaKind::Image => None,
        };
        let blob = Blob {
            id: Blob::id_of(&bytes),
            mime,
            bytes,
            text,
            pages: pages.filter(|_| kind == MediaKind::Document),
            width: width.filter(|_| kind == MediaKind::Image),
            height: height.filter(|_| kind == MediaKind::Image),
            created_ms: now,
        };
        let blob = self.keep_blob(blob).await?;
        let original = match original {
            Some((mime, bytes))
                if kind == MediaKind::Image && self.settings.keep_original_images =>
            {
                let original = Blob {
                    id: Blob::id_of(&bytes),
                    mime,
                    bytes,
                    text: None,
                    pages: None,
                    width: None,
                    height: None,
                    created_ms: now,
                };
                // The image kept as is: nothing more to keep.
                Some(original).filter(|o| o.id != blob.id)
            }
            _ => None,
        };
        let original = match original {
            Some(original) => Some(self.keep_blob(original).await?),
            None => None,
        };
        let attachment = Attachment {
            id: blob.id.clone(),
            name,
            kind,
            original: original.as_ref().map(|o| o.id.clone()),
        };
        self.pending
            .borrow_mut()
            .extend(std::iter::once(blob.id.clone()).chain(attachment.original.clone()));
        let original = original.as_ref().map(BlobFacts::of);
        Ok(view(&attachment, &BlobFacts::of(&blob), original.as_ref()))
    }

    /// Stores `blob` unless its content is stored already; the stored record.
    async fn keep_blob(&self, blob: Blob) -> Result<Blob, StoreError> {
        let blob = match self.store.blob(&blob.id).await? {
            Some(stored) => stored,
            None => {
                self.store.put_blob(&blob).await?;
                blob
            }
        };
        self.known.remember(BlobFacts::of(&blob));
        Ok(blob)
    }

    /// The facts of blob `id`, read once; `None` if it is not stored.
    pub(super) async fn blob_facts(&self, id: &str) -> Result<Option<BlobFacts>, ErrorKind> {
        if let Some(facts) = self.known.facts.borrow().get(id) {
            return Ok(Some(facts.clone()));
        }
        let Some(blob) = self.store.blob(id).await? else {
            return Ok(None);
        };
        let facts = BlobFacts::of(&blob);
        self.known.remember(facts.clone());
        Ok(Some(facts))
    }

    /// The attachments of a message about to be sent, from the views the app sent back:
    /// only their ids and names are taken, the rest is read from the blobs. An id the
    /// store does not hold, too many files or too many bytes refuse the message.
    pub(super) async fn resolve(
        &self,
        views: &[AttachmentView],
    ) -> Result<Vec<Attachment>, Refused> {
        if views.len() > media::MAX_ATTACHMENTS_PER_MESSAGE {
            return Err(Refused::invalid(format!(
                "A message takes at most {} files; this one has {}.",
                media::MAX_ATTACHMENTS_PER_MESSAGE,
                views.len()
            )));
        }
        let mut attachments = Vec::with_capacity(views.len());
        let mut total = 0u64;
        for view in views {
            let blob = self.store.blob(&view.id).await?.ok_or_else(|| {
                Refused::invalid(format!(
                    "{} is not stored any more: attach it again.",
                    view.name
                ))
            })?;
            let kind = media::kind_of(&blob.mime, &view.name).ok_or_else(|| {
                Refused::invalid(format!("{}: not a file Ferry takes.", view.name))
            })?;
            total += blob.bytes.len() as u64;
            let original = match &view.original {
                Some(id) if kind == MediaKind::Image => self.store.blob(id).await?.map(|o| o.id),
                _ => None,
            };
            attachments.push(Attachment {
                id: blob.id,
                name: view.name.clone(),
                kind,
                original,
            });
        }
        if total > media::MAX_MESSAGE_ATTACHMENT_BYTES {
            return Err(Refused::invalid(format!(
                "The files of one message may take {} at most; these take {}.",
                size_text(media::MAX_MESSAGE_ATTACHMENT_BYTES),
                size_text(total)
            )));
        }
        Ok(attachments)
    }

    /// How the model chats use takes attachments.
    pub(super) fn takes(&self) -> Takes {
        Takes::of(self.settings.provider, self.settings.model())
    }

    /// The views of `attachments` for compaction entries (no original's size: it is not
    /// needed), and the input tokens each costs the model chats use when sent. Costs are
    /// kept once final (exact, or estimated where no tokenizer applies), so a file is
    /// read for its text once. A file whose blob is gone has neither.
    pub(super) async fn attachment_costs(
        &self,
        attachments: &[Attachment],
    ) -> Result<(Vec<AttachmentView>, Vec<u64>), ErrorKind> {
        let (provider, model) = (self.settings.provider, self.settings.model());
        let mut views = Vec::with_capacity(attachments.len());
        let mut tokens = Vec::with_capacity(attachments.len());
        for attachment in attachments {
            let Some(facts) = self.blob_facts(&attachment.id).await? else {
                continue;
            };
            let mut view = view(attachment, &facts, None);
            view.original.clone_from(&attachment.original);
            let key = (
                facts.id.clone(),
                attachment.name.clone(),
                provider,
                model.to_owned(),
            );
            let known = self.known.costs.borrow().get(&key).copied();
            let cost = match known {
                Some(cost) => cost,
                None => {
                    let (cost, last) = self.cost(attachment, &facts).await?;
                    if last {
                        let mut costs = self.known.costs.borrow_mut();
                        if costs.len() >= KNOWN_LIMIT {
                            costs.clear();
                        }
                        costs.insert(key, cost);
                    }
                    cost
                }
            };
            tokens.push(cost);
            views.push(view);
        }
        Ok((views, tokens))
    }

    /// What `attachment` costs the model chats use, in input tokens (see
    /// `ferry_core::media`), and whether the figure is final.
    async fn cost(
        &self,
        attachment: &Attachment,
        facts: &BlobFacts,
    ) -> Result<(u64, bool), ErrorKind> {
        let (provider, model, takes) =
            (self.settings.provider, self.settings.model(), self.takes());
        let text = match attachment.kind {
            MediaKind::Image if takes.images => {
                let (w, h) = (
                    facts.width.unwrap_or(media::IMAGE_MAX_SIDE),
                    facts.height.unwrap_or(media::IMAGE_MAX_SIDE),
                );
                return Ok((media::image_tokens(provider, model, w, h), true));
            }
            MediaKind::Image => image_not_sent(&attachment.name, model),
            kind => {
                let Some(blob) = self.store.blob(&attachment.id).await? else {
                    return Ok((0, false));
                };
                match kind {
                    MediaKind::Document if takes.documents => blob.text.unwrap_or_default(),
                    MediaKind::Document => document_text(&attachment.name, &blob),
                    _ => file_text(&attachment.name, &blob),
                }
            }
        };
        let pages = match attachment.kind {
            MediaKind::Document if takes.documents => {
                u64::from(facts.pages.unwrap_or(1)) * media::pdf_page_tokens(provider, model)
            }
            _ => 0,
        };
        let (counts, exact) = self.count_texts(&[&text]).await;
        let last = exact || ferry_core::tokens::encoding_for(model).is_none();
        Ok((pages + counts.iter().sum::<u64>(), last))
    }

    /// For each of `entries`, for each of its files, whether its data goes in the next
    /// request, within the budget of the way the call takes first (see [`budget`]).
    pub(super) fn resent(&self, entries: &[Entry]) -> Vec<Vec<bool>> {
        let budget = budget::budget(
            self.first_chat_way(),
            self.settings.proxy_max_media_body_bytes,
        );
        budget::resent(entries, self.takes(), budget)
    }

    /// `entries` as they are sent: from `from` on, each user message's attachments after
    /// its text as content parts, read from the store (see [`part`]); an earlier file
    /// the request has no room for as a note (see [`budget`]).
    pub(super) async fn expand(
        &self,
        entries: &[Entry],
        from: usize,
    ) -> Result<Vec<Entry>, ErrorKind> {
        let (model, takes) = (self.settings.model(), self.takes());
        let resent = self.resent(entries);
        let mut sent = entries.to_vec();
        for (entry, resent) in sent.iter_mut().zip(resent).skip(from) {
            if entry.attachments.is_empty() || entry.message.role != Role::User {
                continue;
            }
            let mut parts = Vec::with_capacity(entry.attachments.len());
            for (attachment, resent) in entry.attachments.iter().zip(resent) {
                let text = |text: String| ContentPart::Text { text };
                if !resent {
                    parts.push(text(budget::not_repeated(attachment)));
                    continue;
                }
                parts.push(match self.store.blob(&attachment.id).await? {
                    Some(blob) => part(&attachment.name, attachment.kind, &blob, takes, model),
                    None => text(format!("{} (no longer stored)", marker(attachment))),
                });
            }
            entry.message = with_parts(&entry.message, parts);
        }
        Ok(sent)
    }

    /// Deletes the blobs among `candidates` (every stored blob when `None`) that no stored
    /// message refers to (a kept original counts) and that were not attached in this
    /// page and not sent yet.
    pub(super) async fn free_blobs(
        &self,
        candidates: Option<BTreeSet<String>>,
    ) -> Result<(), ErrorKind> {
        let candidates = match candidates {
            Some(ids) if ids.is_empty() => return Ok(()),
            Some(ids) => ids,
            None => self.store.blob_ids().await?.into_iter().collect(),
        };
        let mut kept = self.pending.borrow().clone();
        for session in self.store.sessions().await? {
            kept.extend(crate::store::referenced(
                &self.store.messages(&session.id).await?,
            ));
        }
        for id in candidates.difference(&kept) {
            self.store.delete_blob(id).await?;
            self.known.forget(id);
        }
        Ok(())
    }

    /// The views of stored messages, their attachments read from the blobs.
    pub(super) async fn message_views(
        &self,
        messages: Vec<StoredMessage>,
    ) -> Result<Vec<crate::protocol::MessageView>, ErrorKind> {
        let mut facts = HashMap::new();
        for id in crate::store::referenced(&messages) {
            if let Some(known) = self.blob_facts(&id).await? {
                facts.insert(id, known);
            }
        }
        Ok(messages
            .into_iter()
            .map(|m| crate::protocol::message_view(m, |id| facts.get(id).cloned()))
            .collect())
    }

    /// The stored attachment `id` (its bytes and what was read of it), if there is one.
    pub async fn attachment(&self, id: &str) -> Result<Option<Blob>, ErrorKind> {
        self.store.blob(id).await.map_err(ErrorKind::from)
    }
}

//! Attachments as the app shows them: the composer's chips while files are prepared, the
//! limits a message must keep before it may be sent (never a failure after), whether the
//! model can read its images and PDFs, and the words for sizes and documents.
//!
//! Through the proxy a request has two caps (the app's `ferry-config.json` gives both):
//! all of it, with images' and PDFs' data, within `max_media_body_bytes`; all but that
//! data (the messages' text, text files, PDFs sent as their text) within `max_body_bytes`.

use ferry_core::ProviderId;
use ferry_core::media::{MAX_ATTACHMENTS_PER_MESSAGE, MAX_MESSAGE_ATTACHMENT_BYTES, MediaKind};
use ferry_protocol::AttachmentView;

/// What the file input and drop take: the types core's `kind_of` knows, by MIME type and
/// by the extensions browsers leave without one.
pub const ACCEPT: &str = "image/png,image/jpeg,image/webp,image/gif,application/pdf,text/*,\
    application/json,.md,.markdown,.csv,.tsv,.json,.txt,.log,.yaml,.yml,.toml,.xml,.html,.css,\
    .js,.mjs,.ts,.tsx,.jsx,.py,.rs,.go,.java,.kt,.c,.h,.cpp,.hpp,.cs,.rb,.php,.swift,.sh,.sql";

/// An attachment of a message in the conversation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Attached {
    /// The stored blob's id.
    pub id: String,
    pub name: String,
    pub kind: MediaKind,
    pub size: u64,
    pub pages: Option<u32>,
    /// The bytes of text it goes as when it goes as text (see [`text_sent`]).
    pub text_bytes: Option<u64>,
}

impl From<&AttachmentView> for Attached {
    fn from(view: &AttachmentView) -> Self {
        Self {
            id: view.id.clone(),
            name: view.name.clone(),
            kind: view.kind,
            size: view.size,
            pages: view.pages,
            text_bytes: view.text_bytes,
        }
    }
}

/// The bytes of text a file of `kind` (of `size` bytes; `text_bytes` as the agent said) adds
/// to a request for a model that reads PDFs (`documents`) or not: a text file's text, a
/// PDF's text when the model does not read PDFs; nothing for what goes as data.
pub fn text_sent(kind: MediaKind, text_bytes: Option<u64>, size: u64, documents: bool) -> u64 {
    match kind {
        // A text file's text is about its bytes, should the agent not have said.
        MediaKind::Text => text_bytes.unwrap_or(size),
        MediaKind::Document if !documents => text_bytes.unwrap_or(0),
        MediaKind::Document | MediaKind::Image => 0,
    }
}

impl Attached {
    /// "report.pdf · 3 pages · 1.2 MB", "notes.md · 4 KB".
    pub fn label(&self) -> String {
        let mut label = self.name.clone();
        if let Some(pages) = self.pages {
            label.push_str(&format!(" · {}", pages_label(pages)));
        }
        label.push_str(&format!(" · {}", size_label(self.size)));
        label
    }
}

/// "1 page", "12 pages".
pub fn pages_label(pages: u32) -> String {
    format!("{pages} page{}", if pages == 1 { "" } else { "s" })
}

/// A byte count as people read it: "820 B", "4 KB", "1.2 MB" (powers of 1024, as the
/// limits are set).
pub fn size_label(bytes: u64) -> String {
    const KB: u64 = 1024;
    const MB: u64 = 1024 * KB;
    const GB: u64 = 1024 * MB;
    match bytes {
        0..KB => format!("{bytes} B"),
        KB..MB => format!("{} KB", bytes.div_ceil(KB)),
        MB..GB => one_decimal(bytes as f64 / MB as f64, "MB"),
        _ => one_decimal(bytes as f64 / GB as f64, "GB"),
    }
}

fn one_decimal(value: f64, unit: &str) -> String {
    let text = format!("{value:.1}");
    format!("{} {unit}", text.strip_suffix(".0").unwrap_or(&text))
}

/// A chip's state: the agent prepares the file, then it is ready to send or refused.
#[derive(Debug, Clone, PartialEq)]
pub enum ChipState {
    Preparing,
    Ready(AttachmentView),
    Refused(String),
}

/// One file in the composer.
#[derive(Debug, Clone, PartialEq)]
pub struct Chip {
    /// The composer's own key for it (names repeat).
    pub key: u32,
    pub name: String,
    /// Size as picked.
    pub size: u64,
    /// What the agent found it to be (once it is ready).
    pub kind: Option<MediaKind>,
    /// An object URL of the picked image, for its thumbnail.
    pub preview: Option<String>,
    pub state: ChipState,
}

impl Chip {
    /// "Preparing…", "1.2 MB", "3 pages · 240 KB", or the refusal.
    pub fn detail(&self) -> String {
        match &self.state {
            ChipState::Preparing => "Preparing…".to_owned(),
            ChipState::Ready(view) => match view.pages {
                Some(pages) => format!("{} · {}", pages_label(pages), size_label(view.size)),
                None => size_label(view.size),
            },
            ChipState::Refused(reason) => reason.clone(),
        }
    }

    pub fn is_image(&self) -> bool {
        self.kind == Some(MediaKind::Image)
    }
}

/// The composer's files, in the order they came.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Chips {
    next: u32,
    pub list: Vec<Chip>,
}

impl Chips {
    /// A file came, for the agent to prepare (it says what it does not take, and why).
    /// Returns its key.
    pub fn add(&mut self, name: &str, size: u64, preview: Option<String>) -> u32 {
        let key = self.next;
        self.next = self.next.wrapping_add(1);
        self.list.push(Chip {
            key,
            name: name.to_owned(),
            size,
            kind: None,
            preview,
            state: ChipState::Preparing,
        });
        key
    }

    /// The agent's answer for chip `key` (gone if it was removed meanwhile).
    pub fn prepared(&mut self, key: u32, answer: Result<AttachmentView, String>) {
        if let Some(chip) = self.list.iter_mut().find(|c| c.key == key) {
            chip.state = match answer {
                Ok(view) => {
                    chip.kind = Some(view.kind);
                    ChipState::Ready(view)
                }
                Err(reason) => ChipState::Refused(reason),
            };
        }
    }

    /// Removes chip `key`, handing it back (its preview is the caller's to revoke).
    pub fn remove(&mut self, key: u32) -> Option<Chip> {
        let at = self.list.iter().position(|c| c.key == key)?;
        Some(self.list.remove(at))
    }

    /// Whether a file is still being prepared: Send waits for it.
    pub fn preparing(&self) -> bool {
        self.list.iter().any(|c| c.state == ChipState::Preparing)
    }

    /// What will be sent: the ready files, `images` or not.
    pub fn ready(&self, images: bool) -> Vec<AttachmentView> {
        self.list
            .iter()
            .filter_map(|c| match &c.state {
                ChipState::Ready(view) if images || view.kind != MediaKind::Image => {
                    Some(view.clone())
                }
                _ => None,
            })
            .collect()
    }

    pub fn has_images(&self) -> bool {
        self.list
            .iter()
            .any(|c| c.is_image() && !matches!(c.state, ChipState::Refused(_)))
    }

    /// Empties the composer, handing back the chips (their previews to revoke).
    pub fn clear(&mut self) -> Vec<Chip> {
        std::mem::take(&mut self.list)
    }
}

/// Whether calls to `provider` go through the proxy: it takes no browser calls, or the user
/// sends everything through the proxy (the agent's routing; when the proxy fails over to a
/// direct call, the proxy's cap was the stricter one anyway).
pub fn via_proxy(provider: ProviderId, proxy_set: bool, always_proxy: bool) -> bool {
    proxy_set && (always_proxy || !provider.info().browser_cors)
}

/// Whether `model` of `provider` reads images (core's model facts).
pub fn reads_images(provider: ProviderId, model: &str) -> bool {
    ferry_core::models::facts(provider, model).images
}

/// Whether `model` of `provider` reads PDFs as they are (core's model facts); else the
/// agent sends their text.
pub fn reads_documents(provider: ProviderId, model: &str) -> bool {
    ferry_core::models::facts(provider, model).documents
}

/// Room kept within the proxy's `max_body_bytes` for what the text counted leaves out: the
/// JSON around the messages, the system prompt, the tools declared.
pub const TEXT_MARGIN: u64 = 8 * 1024;

/// What a chat sends again with every request, from its earlier messages' files.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Earlier {
    /// Their bytes.
    pub bytes: u64,
    /// The bytes of text those going as text come to (see [`text_sent`]).
    pub text: u64,
}

/// The size of `bytes` as base64, as a data URL carries them.
fn base64_len(bytes: u64) -> u64 {
    bytes.div_ceil(3) * 4
}

/// What a message's attachments may add up to, and where they stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The route is the proxy, whose request body cap for requests with media is this
    /// (`None`: the proxy did not say).
    pub proxy_cap: Option<u64>,
    /// The route is the proxy, whose cap on a request's bytes outside its files' data is
    /// this (`max_body_bytes`; `None`: the proxy did not say).
    pub proxy_text_cap: Option<u64>,
    /// Whether the model reads PDFs (else they go as their text).
    pub documents: bool,
}

impl Limits {
    /// The line under the chips: "2 of 10 files · 1.2 MB of 14 MB".
    /// Through the proxy, its caps too: "… · the proxy takes requests up to 4 MB, 120 KB
    /// of text".
    pub fn line(&self, files: &[AttachmentView]) -> String {
        let bytes: u64 = files.iter().map(|f| f.size).sum();
        let mut line = format!(
            "{} of {MAX_ATTACHMENTS_PER_MESSAGE} files · {} of {}",
            files.len(),
            size_label(bytes),
            size_label(MAX_MESSAGE_ATTACHMENT_BYTES)
        );
        let text = self
            .proxy_text_cap
            .map(|cap| format!("{} of text", size_label(cap.saturating_sub(TEXT_MARGIN))));
        match (self.proxy_cap, text) {
            (Some(cap), Some(text)) => line.push_str(&format!(
                " · the proxy takes requests up to {}, {text}",
                size_label(cap)
            )),
            (Some(cap), None) => line.push_str(&format!(
                " · the proxy takes requests up to {}",
                size_label(cap)
            )),
            (None, Some(text)) => line.push_str(&format!(" · the proxy takes up to {text}")),
            (None, None) => {}
        }
        line
    }

    /// Why `message` with `files` may not be sent, if it may not. `earlier` is what the
    /// chat's earlier attachments add, sent again with every request (they count against
    /// the proxy's caps, not the message's).
    pub fn problem(
        &self,
        message: &str,
        files: &[AttachmentView],
        earlier: Earlier,
    ) -> Option<String> {
        if files.len() > MAX_ATTACHMENTS_PER_MESSAGE {
            return Some(format!(
                "At most {MAX_ATTACHMENTS_PER_MESSAGE} files a message: remove {}.",
                files.len() - MAX_ATTACHMENTS_PER_MESSAGE
            ));
        }
        let bytes: u64 = files.iter().map(|f| f.size).sum();
        if bytes > MAX_MESSAGE_ATTACHMENT_BYTES {
            return Some(format!(
                "These files come to {}, over the {} a message may carry.",
                size_label(bytes),
                size_label(MAX_MESSAGE_ATTACHMENT_BYTES)
            ));
        }
        self.media_problem(bytes, earlier.bytes)
            .or_else(|| self.text_problem(message, files, earlier.text))
    }

    /// Whether the files' data, as base64, pass the proxy's cap on a request with files.
    fn media_problem(&self, bytes: u64, earlier: u64) -> Option<String> {
        let cap = self.proxy_cap?;
        let sent = base64_len(bytes.saturating_add(earlier));
        (sent > cap).then(|| {
            if earlier > 0 {
                format!(
                    "With this chat's earlier files the request comes to about {}, over the {} your proxy takes: start a new chat or remove files.",
                    size_label(sent),
                    size_label(cap)
                )
            } else {
                format!(
                    "These files come to about {} as sent, over the {} your proxy takes.",
                    size_label(sent),
                    size_label(cap)
                )
            }
        })
    }

    /// Whether the request's text (the message's, its files' and the earlier files' that go
    /// as text) passes the proxy's cap on all but files' data, less [`TEXT_MARGIN`].
    fn text_problem(
        &self,
        message: &str,
        files: &[AttachmentView],
        earlier: u64,
    ) -> Option<String> {
        let room = self.proxy_text_cap?.saturating_sub(TEXT_MARGIN);
        let files: u64 = files
            .iter()
            .map(|f| text_sent(f.kind, f.text_bytes, f.size, self.documents))
            .sum();
        let sent = (message.len() as u64)
            .saturating_add(files)
            .saturating_add(earlier);
        if sent <= room {
            return None;
        }
        let (sent, room) = (size_label(sent), size_label(room));
        Some(if earlier > 0 {
            format!(
                "With this chat's earlier files the request comes to about {sent} of text, over the {room} your proxy takes: start a new chat or remove files."
            )
        } else if files > 0 {
            format!(
                "This message and its files come to about {sent} of text, over the {room} your proxy takes."
            )
        } else {
            format!("This message comes to about {sent} of text, over the {room} your proxy takes.")
        })
    }
}

#[cfg(test)]
mod tests;

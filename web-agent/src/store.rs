//! What the agent keeps in the browser — sessions, their messages, memory notes, settings,
//! sealed provider keys — behind the [`Store`] seam, and export / import of all of it as
//! one JSON document.
//!
//! Import merges by id: a record already present is replaced by the imported one, so
//! importing the same document twice leaves the store as importing it once.

use std::collections::BTreeMap;

use ferry_core::ProviderId;
use ferry_core::media::MediaKind;
use ferry_core::search::SearchEngine;
use ferry_core::usage::UsageRecord;
use ferry_core::wire::{Message, Usage};
use ferry_protocol::{ChatParams, ModelRef};
use serde::{Deserialize, Serialize};

use crate::compaction::Compaction;
use crate::memory::Note;
use crate::seams::Sealed;

mod mcp;

pub use mcp::{McpServer, default_approval};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    pub title: String,
    pub created_ms: u64,
    pub updated_ms: u64,
    /// The chat's own parameters (a field not set takes the default in the settings).
    #[serde(default)]
    pub params: ChatParams,
    /// What the answers the chat holds cost, in USD: the sum of their `cost_usd`, kept
    /// here so listing the chats reads no messages.
    #[serde(default)]
    pub cost_usd: Option<f64>,
    /// The chat's own switches for MCP servers, by server id (a server not named follows
    /// its global switch).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub mcp: BTreeMap<String, bool>,
    /// The chat's own fallback chain after the main model; `None`: the settings' default.
    /// Links this version cannot use are left out ([`ModelRef::known_links`]).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "ModelRef::known_links_if_any"
    )]
    pub fallbacks: Option<Vec<ModelRef>>,
    /// The leaf of the branch the chat shows (see [`crate::tree`]): the conversation is
    /// the path from the root to it. `None` in a chat with no message yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head: Option<String>,
}

/// One message of a session. An answer being streamed is saved again and again under the
/// same id, so a closed tab keeps what had arrived.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredMessage {
    pub id: String,
    pub session: String,
    /// Order of creation within the session (over every branch): siblings are ordered by it.
    pub seq: u64,
    /// The message this one follows (see [`crate::tree`]); `None`: a first message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    pub message: Message,
    /// An answer cut short by Stop, or still streaming.
    #[serde(default)]
    pub partial: bool,
    pub created_ms: u64,
    /// What this answer cost, in USD (see [`crate::protocol::MessageView::cost_usd`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
    /// The tokens the model call that wrote this answer took.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// On a tool result: whether the tool succeeded (see
    /// [`crate::protocol::MessageView::tool_ok`]). Records from before it was kept read
    /// as `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_ok: Option<bool>,
    /// The files attached to a user message: references to [`Blob`]s.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// On an answer of a chat with a fallback chain: the model that wrote it and the links
    /// skipped before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_by: Option<ferry_protocol::AnsweredBy>,
}

/// A file attached to a message: which blob, under which name. The blob holds the rest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// The [`Blob`]'s id.
    pub id: String,
    pub name: String,
    pub kind: MediaKind,
    /// The blob id of the original image, kept only when the user asked for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original: Option<String>,
}

/// The stored content of an attachment, one record per distinct content (keyed by the
/// SHA-256 of its bytes), shared by every message that attaches it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blob {
    /// Lowercase hex SHA-256 of `bytes`.
    pub id: String,
    pub mime: String,
    pub bytes: Vec<u8>,
    /// A PDF's text with `--- Page N ---` markers; a text file's text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pages: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    pub created_ms: u64,
}

impl Blob {
    /// The id content of `bytes` is stored under: lowercase hex SHA-256.
    pub fn id_of(bytes: &[u8]) -> String {
        use sha2::{Digest, Sha256};
        Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// Whose key it is: a model provider's, or a search engine's (for `web_search`). Stored
/// and sent as the plain name (`"openai"`, `"brave"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum KeyOwner {
    Provider(ProviderId),
    Search(SearchEngine),
    /// The user's sign-in (its refresh token), sealed like a key.
    Account(Account),
}

/// Accounts the agent signs in to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Account {
    Supabase,
    /// A sign-in this browser started and is waiting for: its PKCE code verifier.
    #[serde(rename = "supabase_sign_in")]
    SupabaseSignIn,
}

impl KeyOwner {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Provider(provider) => provider.as_str(),
            Self::Search(engine) => engine.as_str(),
            Self::Account(Account::Supabase) => "supabase",
            Self::Account(Account::SupabaseSignIn) => "supabase_sign_in",
        }
    }
}

impl From<ProviderId> for KeyOwner {
    fn from(provider: ProviderId) -> Self {
        Self::Provider(provider)
    }
}

/// A key, sealed by the vault: never stored in plaintext.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRecord {
    pub provider: KeyOwner,
    pub sealed: Sealed,
}

/// A compaction of one path of a session: what is sent in place of the messages before
/// its `first_kept`. It applies to every branch whose path holds `first_kept` (they share
/// everything it summarized) and to no other, so a branch that starts before the summary
/// does not inherit it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompactionRecord {
    /// [`CompactionRecord::id_of`] its session and `first_kept`.
    pub id: String,
    pub session: String,
    pub compaction: Compaction,
}

impl CompactionRecord {
    pub fn new(session: &str, compaction: Compaction) -> Self {
        Self {
            id: Self::id_of(session, &compaction.first_kept),
            session: session.to_owned(),
            compaction,
        }
    }

    /// The key of a session's compaction that keeps `first_kept` on.
    pub fn id_of(session: &str, first_kept: &str) -> String {
        format!("{session}/{first_kept}")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("storage is not available: {0}")]
    Unavailable(String),
    #[error("storage failed: {0}")]
    Failed(String),
    #[error("not a Ferry export: {0}")]
    BadDocument(String),
}

/// The UI hears of any storage failure as one kind: what failed is in the log, not the UI.
impl From<StoreError> for crate::protocol::ErrorKind {
    fn from(_: StoreError) -> Self {
        Self::Storage
    }
}

/// The browser's storage, as the agent needs it.
#[expect(
    async_fn_in_trait,
    reason = "single-threaded browser code; no Send bound wanted"
)]
pub trait Store {
    async fn put_session(&self, session: &Session) -> Result<(), StoreError>;
    async fn sessions(&self) -> Result<Vec<Session>, StoreError>;
    /// One session's record, if it is stored (read on every model call, for its params).
    async fn session(&self, id: &str) -> Result<Option<Session>, StoreError>;
    /// Deletes the session and its messages.
    async fn delete_session(&self, id: &str) -> Result<(), StoreError>;
    async fn put_message(&self, message: &StoredMessage) -> Result<(), StoreError>;
    /// The session's messages in order.
    async fn messages(&self, session: &str) -> Result<Vec<StoredMessage>, StoreError>;
    /// Removes one message.
    async fn delete_message(&self, id: &str) -> Result<(), StoreError>;
    async fn put_note(&self, note: &Note) -> Result<(), StoreError>;
    async fn notes(&self) -> Result<Vec<Note>, StoreError>;
    async fn delete_note(&self, id: &str) -> Result<(), StoreError>;
    async fn put_key(&self, key: &KeyRecord) -> Result<(), StoreError>;
    async fn keys(&self) -> Result<Vec<KeyRecord>, StoreError>;
    async fn delete_key(&self, provider: KeyOwner) -> Result<(), StoreError>;
    async fn put_settings(&self, settings: &serde_json::Value) -> Result<(), StoreError>;
    async fn settings(&self) -> Result<Option<serde_json::Value>, StoreError>;
    /// Stores a compaction; one of the same session and `first_kept` is replaced.
    async fn put_compaction(&self, record: &CompactionRecord) -> Result<(), StoreError>;
    /// The session's compactions, of every branch (see [`crate::tree::compaction_of`]).
    async fn compactions(&self, session: &str) -> Result<Vec<Compaction>, StoreError>;
    /// Usage rows of direct calls waiting to be sent to Supabase.
    async fn put_outbox(&self, record: &UsageRecord) -> Result<(), StoreError>;
    async fn outbox(&self) -> Result<Vec<UsageRecord>, StoreError>;
    async fn delete_outbox(&self, request_id: &str) -> Result<(), StoreError>;
    /// Stores an attachment's content; the same id again replaces it (same bytes).
    async fn put_blob(&self, blob: &Blob) -> Result<(), StoreError>;
    async fn blob(&self, id: &str) -> Result<Option<Blob>, StoreError>;
    /// Every stored blob's id (to find those no message refers to any more).
    async fn blob_ids(&self) -> Result<Vec<String>, StoreError>;
    async fn delete_blob(&self, id: &str) -> Result<(), StoreError>;
    /// The MCP servers, in the order they were added.
    async fn mcp_servers(&self) -> Result<Vec<McpServer>, StoreError>;
    async fn mcp_server(&self, id: &str) -> Result<Option<McpServer>, StoreError>;
    async fn put_mcp_server(&self, server: &McpServer) -> Result<(), StoreError>;
    async fn delete_mcp_server(&self, id: &str) -> Result<(), StoreError>;
}

/// The export document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Export {
    /// Always [`Export::FORMAT`].
    pub format: String,
    pub version: u32,
    pub exported_ms: u64,
    pub sessions: Vec<Session>,
    pub messages: Vec<StoredMessage>,
    pub notes: Vec<Note>,
    #[serde(default)]
    pub settings: Option<serde_json::Value>,
    /// Sealed keys, only when the user asked for them.
    #[serde(default)]
    pub keys: Vec<KeyRecord>,
    /// The attachments the messages refer to (version 2 on; version 1 has none).
    #[serde(default)]
    pub blobs: Vec<ExportedBlob>,
    /// The MCP servers; their tokens (sealed) only when the user asked for keys.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mcp_servers: Vec<McpServer>,
    /// The summaries of long chats, each of one path (version 3 on).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub compactions: Vec<CompactionRecord>,
}

impl Export {
    pub const FORMAT: &'static str = "ferry-export";
    /// 2: attachments (`blobs`). 3: chats as trees (a message's `parent`, a session's
    /// `head`) and their compactions. Versions 1 and 2 are still read, each chat as one
    /// branch.
    pub const VERSION: u32 = 3;
}

/// A [`Blob`] in an export document: its bytes as base64 (standard, padded). On import
/// the SHA-256 of the bytes must be its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedBlob {
    pub id: String,
    pub mime: String,
    pub data: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pages: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
}

impl ExportedBlob {
    fn of(blob: Blob) -> Self {
        use base64::Engine as _;
        Self {
            data: base64::engine::general_purpose::STANDARD.encode(&blob.bytes),
            id: blob.id,
            mime: blob.mime,
            text: blob.text,
            pages: blob.pages,
            width: blob.width,
            height: blob.height,
        }
    }

    /// The blob, if its data is base64 whose SHA-256 is its id.
    fn into_blob(self, now_ms: u64) -> Result<Blob, StoreError> {
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(self.data.as_bytes())
            .map_err(|e| StoreError::BadDocument(format!("blob {}: {e}", self.id)))?;
        if Blob::id_of(&bytes) != self.id {
            return Err(StoreError::BadDocument(format!(
                "blob {}: its data does not match its id",
                self.id
            )));
        }
        Ok(Blob {
            id: self.id,
            mime: self.mime,
            bytes,
            text: self.text,
            pages: self.pages,
            width: self.width,
            height: self.height,
            created_ms: now_ms,
        })
    }
}

/// Every blob id `messages` refer to, originals included.
pub fn referenced<'a>(
    messages: impl IntoIterator<Item = &'a StoredMessage>,
) -> std::collections::BTreeSet<String> {
    messages
        .into_iter()
        .flat_map(|m| &m.attachments)
        .flat_map(|a| std::iter::once(a.id.clone()).chain(a.original.clone()))
        .collect()
}

/// Everything in the store as one document; keys (sealed) only with `include_keys`.
pub async fn export<S: Store>(
    store: &S,
    include_keys: bool,
    now_ms: u64,
) -> Result<Export, StoreError> {
    let sessions = store.sessions().await?;
    let mut messages = Vec::new();
    let mut compactions = Vec::new();
    for session in &sessions {
        messages.extend(store.messages(&session.id).await?);
        compactions.extend(
            store
                .compactions(&session.id)
                .await?
                .into_iter()
                .map(|c| CompactionRecord::new(&session.id, c)),
        );
    }
    let mut blobs = Vec::new();
    for id in referenced(&messages) {
        if let Some(blob) = store.blob(&id).await? {
            blobs.push(ExportedBlob::of(blob));
        }
    }
    Ok(Export {
        format: Export::FORMAT.to_owned(),
        version: Export::VERSION,
        exported_ms: now_ms,
        sessions,
        messages,
        notes: store.notes().await?,
        settings: store.settings().await?,
        keys: if include_keys {
            store.keys().await?
        } else {
            Vec::new()
        },
        blobs,
        mcp_servers: store
            .mcp_servers()
            .await?
            .into_iter()
            .map(|s| if include_keys { s } else { s.without_secrets() })
            .collect(),
        compactions,
    })
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Imported {
    pub sessions: usize,
    pub messages: usize,
    pub notes: usize,
    pub blobs: usize,
}

/// Reads an export document (version 1 to 3) and merges it into the store by id. A blob
/// whose data is not what its id says, or a chat whose messages are not a tree
/// ([`crate::tree::check_trees`]), refuses the whole document before anything is stored. The chats of a document from before branches become one branch each.
pub async fn import<S: Store>(
    store: &S,
    document: &str,
    now_ms: u64,
) -> Result<Imported, StoreError> {
    let mut export: Export = serde_json::from_str(document)
        .map_err(|e| StoreError::BadDocument(format!("this is not a Ferry export: {e}")))?;
    if export.format != Export::FORMAT {
        return Err(StoreError::BadDocument(format!(
            "this is not a Ferry export (its format is \"{}\")",
            export.format
        )));
    }
    if export.version > Export::VERSION {
        return Err(StoreError::BadDocument(format!(
            "a newer Ferry made it (export version {}; this one reads 1 to {})",
            export.version,
            Export::VERSION
        )));
    }
    if export.version < 3 {
        crate::tree::linearize_export(&mut export.sessions, &mut export.messages);
    }
    crate::tree::check_trees(&export.sessions, &export.messages)
        .map_err(StoreError::BadDocument)?;
    let blobs = export
        .blobs
        .into_iter()
        .map(|b| b.into_blob(now_ms))
        .collect::<Result<Vec<_>, _>>()?;
    for blob in &blobs {
        store.put_blob(blob).await?;
    }
    for session in &export.sessions {
        store.put_session(session).await?;
    }
    for message in &export.messages {
        store.put_message(message).await?;
    }
    for record in &export.compactions {
        store.put_compaction(record).await?;
    }
    for note in &export.notes {
        store.put_note(note).await?;
    }
    for key in &export.keys {
        store.put_key(key).await?;
    }
    if let Some(settings) = &export.settings {
        store.put_settings(settings).await?;
    }
    for server in &export.mcp_servers {
        // A server exported without its secrets keeps the ones this browser has.
        let mut server = server.clone();
        if server.token.is_none()
            && server.oauth.is_none()
            && let Some(here) = store.mcp_server(&server.id).await?
        {
            server.token = here.token;
            server.oauth = here.oauth;
        }
        store.put_mcp_server(&server).await?;
    }
    Ok(Imported {
        sessions: export.sessions.len(),
        messages: export.messages.len(),
        notes: export.notes.len(),
        blobs: blobs.len(),
    })
}

/// A store in memory: the native stand-in for IndexedDB in tests.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: std::cell::RefCell<Contents>,
}

#[derive(Debug, Default)]
struct Contents {
    sessions: std::collections::BTreeMap<String, Session>,
    messages: std::collections::BTreeMap<String, StoredMessage>,
    notes: std::collections::BTreeMap<String, Note>,
    keys: std::collections::BTreeMap<KeyOwner, KeyRecord>,
    settings: Option<serde_json::Value>,
    compactions: std::collections::BTreeMap<String, CompactionRecord>,
    outbox: std::collections::BTreeMap<String, UsageRecord>,
    blobs: std::collections::BTreeMap<String, Blob>,
    mcp_servers: Vec<McpServer>,
}

impl Store for MemoryStore {
    async fn put_session(&self, session: &Session) -> Result<(), StoreError> {
        let mut inner = self.inner.borrow_mut();
        inner.sessions.insert(session.id.clone(), session.clone());
        Ok(())
    }
    async fn sessions(&self) -> Result<Vec<Session>, StoreError> {
        Ok(self.inner.borrow().sessions.values().cloned().collect())
    }
    async fn session(&self, id: &str) -> Result<Option<Session>, StoreError> {
        Ok(self.inner.borrow().sessions.get(id).cloned())
    }
    async fn delete_session(&self, id: &str) -> Result<(), StoreError> {
        let mut inner = self.inner.borrow_mut();
        inner.sessions.remove(id);
        inner.messages.retain(|_, m| m.session != id);
        inner.compactions.retain(|_, c| c.session != id);
        Ok(())
    }
    async fn put_message(&self, message: &StoredMessage) -> Result<(), StoreError> {
        let mut inner = self.inner.borrow_mut();
        inner.messages.insert(message.id.clone(), message.clone());
        Ok(())
    }
    async fn messages(&self, session: &str) -> Result<Vec<StoredMessage>, StoreError> {
        let mut messages: Vec<_> = self
            .inner
            .borrow()
            .messages
            .values()
            .filter(|m| m.session == session)
            .cloned()
            .collect();
        messages.sort_by_key(|m| m.seq);
        Ok(messages)
    }
    async fn delete_message(&self, id: &str) -> Result<(), StoreError> {
        self.inner.borrow_mut().messages.remove(id);
        Ok(())
    }
    async fn put_note(&self, note: &Note) -> Result<(), StoreError> {
        let mut inner = self.inner.borrow_mut();
        inner.notes.insert(note.id.clone(), note.clone());
        Ok(())
    }
    async fn notes(&self) -> Result<Vec<Note>, StoreError> {
        Ok(self.inner.borrow().notes.values().cloned().collect())
    }
    async fn delete_note(&self, id: &str) -> Result<(), StoreError> {
        self.inner.borrow_mut().notes.remove(id);
        Ok(())
    }
    async fn put_key(&self, key: &KeyRecord) -> Result<(), StoreError> {
        let mut inner = self.inner.borrow_mut();
        inner.keys.insert(key.provider, key.clone());
        Ok(())
    }
    async fn keys(&self) -> Result<Vec<KeyRecord>, StoreError> {
        Ok(self.inner.borrow().keys.values().cloned().collect())
    }
    async fn delete_key(&self, provider: KeyOwner) -> Result<(), StoreError> {
        self.inner.borrow_mut().keys.remove(&provider);
        Ok(())
    }
    async fn put_settings(&self, settings: &serde_json::Value) -> Result<(), StoreError> {
        self.inner.borrow_mut().settings = Some(settings.clone());
        Ok(())
    }
    async fn settings(&self) -> Result<Option<serde_json::Value>, StoreError> {
        Ok(self.inner.borrow().settings.clone())
    }
    async fn put_compaction(&self, record: &CompactionRecord) -> Result<(), StoreError> {
        let mut inner = self.inner.borrow_mut();
        inner.compactions.insert(record.id.clone(), record.clone());
        Ok(())
    }
    async fn compactions(&self, session: &str) -> Result<Vec<Compaction>, StoreError> {
        let inner = self.inner.borrow();
        let of_session = inner.compactions.values().filter(|r| r.session == session);
        Ok(of_session.map(|r| r.compaction.clone()).collect())
    }
    async fn put_outbox(&self, record: &UsageRecord) -> Result<(), StoreError> {
        let mut inner = self.inner.borrow_mut();
        inner
            .outbox
            .insert(record.request_id.clone(), record.clone());
        Ok(())
    }
    async fn outbox(&self) -> Result<Vec<UsageRecord>, StoreError> {
        Ok(self.inner.borrow().outbox.values().cloned().collect())
    }
    async fn delete_outbox(&self, request_id: &str) -> Result<(), StoreError> {
        self.inner.borrow_mut().outbox.remove(request_id);
        Ok(())
    }
    async fn put_blob(&self, blob: &Blob) -> Result<(), StoreError> {
        let mut inner = self.inner.borrow_mut();
        inner.blobs.insert(blob.id.clone(), blob.clone());
        Ok(())
    }
    async fn blob(&self, id: &str) -> Result<Option<Blob>, StoreError> {
        Ok(self.inner.borrow().blobs.get(id).cloned())
    }
    async fn blob_ids(&self) -> Result<Vec<String>, StoreError> {
        Ok(self.inner.borrow().blobs.keys().cloned().collect())
    }
    async fn delete_blob(&self, id: &str) -> Result<(), StoreError> {
        self.inner.borrow_mut().blobs.remove(id);
        Ok(())
    }
    async fn mcp_servers(&self) -> Result<Vec<McpServer>, StoreError> {
        Ok(self.inner.borrow().mcp_servers.clone())
    }
    async fn mcp_server(&self, id: &str) -> Result<Option<McpServer>, StoreError> {
        let inner = self.inner.borrow();
        Ok(inner.mcp_servers.iter().find(|s| s.id == id).cloned())
    }
    async fn put_mcp_server(&self, server: &McpServer) -> Result<(), StoreError> {
        let mut inner = self.inner.borrow_mut();
        match inner.mcp_servers.iter_mut().find(|s| s.id == server.id) {
            Some(kept) => *kept = server.clone(),
            None => inner.mcp_servers.push(server.clone()),
        }
        Ok(())
    }
    async fn delete_mcp_server(&self, id: &str) -> Result<(), StoreError> {
        self.inner.borrow_mut().mcp_servers.retain(|s| s.id != id);
        Ok(())
    }
}

/// Shared checks any [`Store`] must pass: run natively on [`MemoryStore`] and in the
/// browser on IndexedDB.
#[doc(hidden)]
pub mod conformance {
    use ferry_core::wire::Role;

    use super::*;

    pub fn session(id: &str) -> Session {
        Session {
            id: id.to_owned(),
            title: format!("Session {id}"),
            created_ms: 1,
            updated_ms: 2,
            params: ChatParams::default(),
            cost_usd: None,
            mcp: Default::default(),
            head: None,
            fallbacks: None,
        }
    }

    /// An MCP server with a sealed token and one read-only tool.
    pub fn mcp_server(id: &str, added_ms: u64) -> McpServer {
        McpServer {
            id: id.to_owned(),
            url: format!("https://{id}.example/mcp"),
            name: "mcp-servers/everything".into(),
            title: Some("Everything".into()),
            version: "2.0.0".into(),
            prefix: id.to_owned(),
            enabled: true,
            way: Some(crate::mcp::Way::Relay),
            token: Some(Sealed {
                iv: "aXY=".into(),
                ciphertext: "dG9rZW4=".into(),
            }),
            oauth: None,
            auth: ferry_protocol::McpAuth::Bearer,
            status: ferry_protocol::McpStatus::Connected,
            error: None,
            tools: vec![ferry_mcp::types::ToolInfo {
                name: "echo".into(),
                title: None,
                description: Some("Echoes back the input".into()),
                input_schema: serde_json::json!({
                    "type": "object",
                    "properties": {"message": {"type": "string"}}
                }),
                output_schema: None,
                annotations: ferry_mcp::types::Annotations {
                    read_only: true,
                    ..Default::default()
                },
            }],
            prompts: Vec::new(),
            resources: Vec::new(),
            approvals: BTreeMap::new(),
            added_ms,
        }
    }

    /// A blob of `bytes`, an image's record.
    pub fn blob(bytes: Vec<u8>) -> Blob {
        Blob {
            id: Blob::id_of(&bytes),
            mime: "image/png".into(),
            bytes,
            text: None,
            pages: None,
            width: Some(40),
            height: Some(30),
            created_ms: 3,
        }
    }

    pub fn message(id: &str, session: &str, seq: u64, text: &str) -> StoredMessage {
        StoredMessage {
            id: id.to_owned(),
            session: session.to_owned(),
            seq,
            parent: None,
            message: Message::text(Role::User, text),
            partial: false,
            created_ms: seq,
            cost_usd: None,
            usage: None,
            tool_ok: None,
            attachments: Vec::new(),
            answered_by: None,
        }
    }

    /// An answer as a thinking model leaves it: thinking text, opaque details (signed text,
    /// encrypted data, a type Ferry does not know with a field of its own), usage with its
    /// breakdowns and cost.
    pub fn thinking_answer(id: &str, session: &str, seq: u64) -> StoredMessage {
        let mut message = Message::text(Role::Assistant, "Tea.");
        message.reasoning_content = Some("They said tea.".into());
        message.reasoning_details = serde_json::from_value(serde_json::json!([
            {"type": "reasoning.text", "text": "They said tea.", "signature": "c2ln+/==",
                "format": "anthropic-claude-v1", "index": 0},
            {"type": "reasoning.encrypted", "data": "ZGF0YQ==", "format": "google-gemini-v1",
                "index": 1},
            {"type": "reasoning.future", "format": "someone-v9", "index": 2, "shape": {"x": [1, 2]}}
        ]))
        .ok();
        let mut usage = Usage::new(1_200, 300, 1_000);
        usage.completion_tokens_details = Some(ferry_core::wire::UsageDetails {
            reasoning_tokens: Some(250),
            ..Default::default()
        });
        usage.cost = Some(0.0042);
        StoredMessage {
            id: id.to_owned(),
            session: session.to_owned(),
            seq,
            parent: None,
            message,
            partial: false,
            created_ms: seq,
            cost_usd: usage.cost,
            usage: Some(usage),
            tool_ok: None,
            attachments: Vec::new(),
            answered_by: None,
        }
    }

    /// Round trips, ordering, progressive saves, deletion and export / import.
    pub async fn check<S: Store>(store: &S, fresh: &S) -> Result<(), String> {
        let fail = |what: &str| Err(what.to_owned());
        let err = |e: StoreError| e.to_string();
        store.put_session(&session("s1")).await.map_err(err)?;
        store.put_session(&session("s2")).await.map_err(err)?;
        // Out of order on purpose: the store orders by seq.
        for (id, seq) in [("m2", 2), ("m1", 1), ("m3", 3)] {
            store
                .put_message(&message(id, "s1", seq, id))
                .await
                .map_err(err)?;
        }
        store
            .put_message(&message("x1", "s2", 1, "other"))
            .await
            .map_err(err)?;
        // A streamed answer saved twice under one id: the later save wins.
        let mut partial = message("m4", "s1", 4, "Hal");
        partial.partial = true;
        store.put_message(&partial).await.map_err(err)?;
        store
            .put_message(&message("m4", "s1", 4, "Hello"))
            .await
            .map_err(err)?;
        let ids: Vec<String> = store
            .messages("s1")
            .await
            .map_err(err)?
            .into_iter()
            .map(|m| m.id)
            .collect();
        if ids != ["m1", "m2", "m3", "m4"] {
            return Err(format!("messages of s1: {ids:?}"));
        }
        if store.messages("s1").await.map_err(err)?[3]
            .message
            .text_content()
            != "Hello"
        {
            return fail("the last save of a message did not win");
        }
        // An answer that thought, with its usage and cost, in a chat with its own params.
        let answer = thinking_answer("m5", "s1", 5);
        if answer.message.reasoning_details.as_ref().map(Vec::len) != Some(3) {
            return fail("the thinking answer's details do not read");
        }
        store.put_message(&answer).await.map_err(err)?;
        let read = store.messages("s1").await.map_err(err)?;
        if read.last() != Some(&answer) {
            return Err(format!("a thinking answer did not round-trip: {read:?}"));
        }
        // A tool call that failed keeps its outcome, so a reopened chat shows it failed.
        let mut failed = message("m6", "s1", 6, "HTTP 500");
        failed.message.role = Role::Tool;
        failed.message.tool_call_id = Some("call_1".into());
        failed.tool_ok = Some(false);
        store.put_message(&failed).await.map_err(err)?;
        let read = store.messages("s1").await.map_err(err)?;
        if read.last() != Some(&failed) {
            return Err(format!("a failed tool result did not round-trip: {read:?}"));
        }
        let mut chat = session("s1");
        chat.params = ChatParams {
            reasoning_effort: Some(ferry_core::wire::ReasoningEffort::Minimal),
            temperature: Some(0.25),
            max_output_tokens: Some(4_000),
        };
        chat.cost_usd = Some(0.125);
        store.put_session(&chat).await.map_err(err)?;
        let sessions = store.sessions().await.map_err(err)?;
        if !sessions.contains(&chat) {
            return Err(format!("a chat's params did not round-trip: {sessions:?}"));
        }
        if store.session("s1").await.map_err(err)? != Some(chat.clone()) {
            return fail("a session read by its id is not the one stored");
        }
        if store.session("nowhere").await.map_err(err)?.is_some() {
            return fail("a session that was never stored was found");
        }
        store
            .put_note(&Note {
                id: "n1".into(),
                text: "likes tea".into(),
                created_ms: 5,
            })
            .await
            .map_err(err)?;
        store
            .put_key(&KeyRecord {
                provider: ProviderId::OpenAi.into(),
                sealed: Sealed {
                    iv: "aXY=".into(),
                    ciphertext: "c2VhbGVk".into(),
                },
            })
            .await
            .map_err(err)?;
        store
            .put_settings(&serde_json::json!({"model": "gpt-4o"}))
            .await
            .map_err(err)?;
        // An attachment: its bytes kept exactly (every byte value), stored once however
        // often it is put, exported and imported with the message that refers to it.
        let image = blob((0..=255u8).cycle().take(3_000).collect());
        store.put_blob(&image).await.map_err(err)?;
        store.put_blob(&image).await.map_err(err)?;
        if store.blob(&image.id).await.map_err(err)? != Some(image.clone()) {
            return fail("a blob did not round-trip");
        }
        if store.blob("nowhere").await.map_err(err)?.is_some() {
            return fail("a blob that was never stored was found");
        }
        let stray = blob(b"never attached".to_vec());
        store.put_blob(&stray).await.map_err(err)?;
        let mut ids = store.blob_ids().await.map_err(err)?;
        ids.sort();
        let mut expected = vec![image.id.clone(), stray.id.clone()];
        expected.sort();
        if ids != expected {
            return Err(format!("blob ids: {ids:?}"));
        }
        store.delete_blob(&stray.id).await.map_err(err)?;
        if store.blob_ids().await.map_err(err)? != [image.id.clone()] {
            return fail("a deleted blob is still listed");
        }
        let mut with_file = message("m7", "s1", 7, "what is this?");
        with_file.attachments = vec![Attachment {
            id: image.id.clone(),
            name: "a.png".into(),
            kind: MediaKind::Image,
            original: None,
        }];
        store.put_message(&with_file).await.map_err(err)?;
        if store.messages("s1").await.map_err(err)?.last() != Some(&with_file) {
            return fail("a message's attachments did not round-trip");
        }

        // MCP servers: kept in the order added, replaced by id, their secrets sealed.
        let (first, second) = (mcp_server("mcp1", 20), mcp_server("mcp0", 30));
        store.put_mcp_server(&first).await.map_err(err)?;
        store.put_mcp_server(&second).await.map_err(err)?;
        let mut changed = first.clone();
        changed.enabled = false;
        changed
            .approvals
            .insert("echo".into(), ferry_protocol::ToolApproval::Ask);
        store.put_mcp_server(&changed).await.map_err(err)?;
        if store.mcp_servers().await.map_err(err)? != [changed.clone(), second.clone()] {
            return fail("MCP servers did not round-trip in the order added");
        }
        if store.mcp_server("mcp0").await.map_err(err)? != Some(second.clone())
            || store.mcp_server("nowhere").await.map_err(err)?.is_some()
        {
            return fail("an MCP server read by its id is not the one stored");
        }
        store.delete_mcp_server("mcp0").await.map_err(err)?;
        if store.mcp_servers().await.map_err(err)? != [changed.clone()] {
            return fail("a deleted MCP server is still there");
        }

        let without_keys = export(store, false, 9).await.map_err(err)?;
        if !without_keys.keys.is_empty() {
            return fail("an export without keys carried keys");
        }
        if without_keys.mcp_servers != [changed.without_secrets()] {
            return fail("an export without keys carried an MCP server's token");
        }
        let full = export(store, true, 9).await.map_err(err)?;
        let document = serde_json::to_string(&full).map_err(|e| e.to_string())?;
        if !document.contains(r#""tool_ok":false"#) {
            return fail("an export left out a tool result's outcome");
        }
        if full.blobs.len() != 1 || full.version != Export::VERSION {
            return fail("an export left out the attachment");
        }
        // Twice: nothing may be duplicated.
        import(fresh, &document, 10).await.map_err(err)?;
        import(fresh, &document, 10).await.map_err(err)?;
        if fresh.blob(&image.id).await.map_err(err)?.map(|b| b.bytes) != Some(image.bytes.clone()) {
            return fail("an imported attachment lost its bytes");
        }
        let again = export(fresh, true, 9).await.map_err(err)?;
        if again != full {
            return Err(format!("import changed the data:\n{again:?}\n!=\n{full:?}"));
        }
        if fresh.mcp_servers().await.map_err(err)? != [changed.clone()] {
            return fail("an imported MCP server lost its token or settings");
        }
        if import(fresh, "{\"format\":\"other\"}", 10).await.is_ok() {
            return fail("a foreign document was imported");
        }

        let compacted = Compaction {
            summary: "## Goal\nTea.".into(),
            first_kept: "m3".into(),
            summarized_tokens: 40,
        };
        store
            .put_compaction(&CompactionRecord::new("s1", compacted.clone()))
            .await
            .map_err(err)?;
        // Another branch's, and the same one again (replaced, not doubled).
        let other = Compaction {
            first_kept: "m2".into(),
            ..compacted.clone()
        };
        for record in [&other, &compacted] {
            store
                .put_compaction(&CompactionRecord::new("s1", record.clone()))
                .await
                .map_err(err)?;
        }
        let mut kept = store.compactions("s1").await.map_err(err)?;
        kept.sort_by(|a, b| a.first_kept.cmp(&b.first_kept));
        if kept != [other, compacted] {
            return Err(format!("compactions did not round-trip: {kept:?}"));
        }
        if !store.compactions("s2").await.map_err(err)?.is_empty() {
            return fail("a session without compaction has one");
        }
        // A branch: a message's parent and the session's head come back as stored.
        let mut branch = message("b1", "s2", 5, "another version");
        branch.parent = Some("x1".into());
        store.put_message(&branch).await.map_err(err)?;
        let mut headed = session("s2");
        headed.head = Some("b1".into());
        store.put_session(&headed).await.map_err(err)?;
        if store.session("s2").await.map_err(err)? != Some(headed)
            || store.messages("s2").await.map_err(err)?.last() != Some(&branch)
        {
            return fail("a branch's parent or a chat's head did not round-trip");
        }

        let row = UsageRecord::new(&ferry_core::usage::CallOutcome {
            request_id: "r1",
            user_id: "u",
            started_ms: 0,
            finished_ms: 1,
            route: ferry_core::usage::UsageRoute::Direct,
            provider: ProviderId::Google,
            model: "gemini-2.5-flash",
            usage: None,
            error_code: None,
        });
        store.put_outbox(&row).await.map_err(err)?;
        store.put_outbox(&row).await.map_err(err)?;
        if store.outbox().await.map_err(err)? != vec![row] {
            return fail("the outbox did not keep exactly one row per request");
        }
        store.delete_outbox("r1").await.map_err(err)?;
        if !store.outbox().await.map_err(err)?.is_empty() {
            return fail("a sent usage row stayed in the outbox");
        }

        store.delete_session("s1").await.map_err(err)?;
        if !store.messages("s1").await.map_err(err)?.is_empty() {
            return fail("a deleted session left its messages");
        }
        if store.messages("s2").await.map_err(err)?.len() != 2 {
            return fail("deleting one session touched another");
        }
        if !store.compactions("s1").await.map_err(err)?.is_empty() {
            return fail("a deleted session left its compactions");
        }
        store.delete_note("n1").await.map_err(err)?;
        store
            .delete_key(ProviderId::OpenAi.into())
            .await
            .map_err(err)?;
        if !store.notes().await.map_err(err)?.is_empty()
            || !store.keys().await.map_err(err)?.is_empty()
        {
            return fail("a deleted note or key is still there");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn the_memory_store_conforms() {
        let (store, fresh) = (MemoryStore::default(), MemoryStore::default());
        let outcome = poll_once(conformance::check(&store, &fresh));
        assert_eq!(outcome, Ok(()));
    }

    /// The memory store never awaits anything, so one poll finishes it.
    fn poll_once<F: std::future::Future>(future: F) -> F::Output {
        use std::task::{Context, Poll, Waker};
        let mut future = std::pin::pin!(future);
        let mut cx = Context::from_waker(Waker::noop());
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(output) => output,
            Poll::Pending => unreachable!("the memory store does not wait"),
        }
    }
}

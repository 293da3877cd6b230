//! What the agent tells the app.

use ferry_core::ProviderId;
use ferry_core::wire::Usage;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::{
    AttachmentView, DayUsage, ErrorKind, KeyOwner, McpServerView, MessageId, MessageView,
    SessionId, SessionView, SettingsView, UsageRow,
};

/// What the agent tells the UI. Read by its tag with [`Deserialize`] written out below,
/// not derived: serde's derive for an internally tagged enum buffers every nested value
/// before reading it, which costs the app's first-paint wasm a second reader of each.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// More text of the answer being written; `message` is the answer's id, as it is
    /// stored (one per model call).
    Delta {
        session: SessionId,
        message: MessageId,
        text: String,
    },
    /// More of the model's thinking, before (or between) the answer's text: shown live,
    /// stored with the answer as `message.reasoning_content`.
    ThinkingDelta {
        session: SessionId,
        message: MessageId,
        text: String,
    },
    /// A tool call begins. For an MCP server's tool, `server` is the server's display name
    /// and `tool` the server's name for the tool (`name` is what the model called).
    ToolCallStarted {
        session: SessionId,
        call_id: String,
        name: String,
        arguments: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        server: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tool: Option<String>,
    },
    /// A tool call is over; `attachments` are the images it returned, stored like a
    /// message's files (shown with the handle's `attachmentUrl`).
    ToolCallFinished {
        session: SessionId,
        call_id: String,
        output: String,
        ok: bool,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<AttachmentView>,
    },
    /// How far a running tool call has come, as its server reports it (`total` when known).
    ToolProgress {
        session: SessionId,
        call_id: String,
        progress: f64,
        total: Option<f64>,
        message: Option<String>,
    },
    /// A tool call waits for the user's approval ([`Command::ApproveToolCall`]); the turn
    /// is paused until then. `subject` is what the call would act on: the URL of a fetch,
    /// the text of a note, the query of a search.
    ///
    /// [`Command::ApproveToolCall`]: crate::Command::ApproveToolCall
    ToolApprovalRequested {
        session: SessionId,
        call_id: String,
        name: String,
        subject: String,
    },
    /// A message reached storage (also each progressive save of an answer).
    MessageSaved {
        session: SessionId,
        message: MessageId,
    },
    /// Older messages are now sent as a summary; all of them are still stored.
    Compacted {
        session: SessionId,
        summarized: usize,
    },
    /// The tokens one model call took (thinking in `completion_tokens`), and what it cost
    /// (`usage.cost`, USD: the provider's or proxy's figure, else the price table's
    /// estimate; absent when the price is unknown). Sent once per call, when its answer
    /// is complete; `message` is that answer, as stored (`None` only from older agents).
    Usage {
        session: SessionId,
        #[serde(default)]
        message: Option<MessageId>,
        usage: Usage,
    },
    /// The turn is over: answered, or stopped by the user.
    TurnFinished {
        session: SessionId,
        stopped: bool,
    },
    Error {
        session: Option<SessionId>,
        kind: ErrorKind,
        message: String,
    },
    /// The sessions, newest first (all, or those matching a search).
    Sessions {
        sessions: Vec<SessionView>,
    },
    SessionCreated {
        session: SessionId,
    },
    SessionOpened {
        session: SessionId,
        messages: Vec<MessageView>,
        /// After a compaction: the first message still sent verbatim (the older ones go
        /// as a summary, and are all still here).
        #[serde(default)]
        first_kept: Option<MessageId>,
    },
    /// The settings in force, whose keys the agent holds (never the keys), and who is
    /// signed in (the user id), if anyone.
    Ready {
        settings: SettingsView,
        keys: Vec<KeyOwner>,
        #[serde(default)]
        signed_in: Option<String>,
    },
    MagicLinkSent {
        email: String,
    },
    /// Send the browser here to sign in (the provider's consent, then back with a code).
    SignInRedirect {
        url: String,
    },
    /// A sign-in came back for another account than the signed-in one: nothing of it is in
    /// force until the user answers with [`Command::SwitchAccount`]. Each is the account's
    /// email, or its id when the token carries no email.
    ///
    /// [`Command::SwitchAccount`]: crate::Command::SwitchAccount
    ConfirmAccountSwitch {
        current: String,
        next: String,
    },
    SignedIn {
        user: String,
    },
    SignedOut,
    UsageReport {
        days: Vec<DayUsage>,
        rows: Vec<UsageRow>,
    },
    /// A provider's models, for the Model picker.
    Models {
        provider: ProviderId,
        models: Vec<String>,
    },
    /// Everything, as one JSON document (keys only if asked for, and sealed).
    Exported {
        document: String,
    },
    Imported {
        sessions: usize,
        messages: usize,
        notes: usize,
    },
    /// Tokens of the session's next request (system prompt, summary, messages) and of the
    /// draft; `exact` once the model's tokenizer has counted them, else estimates.
    TokenCount {
        session: Option<SessionId>,
        conversation: u64,
        draft: u64,
        exact: bool,
    },
    /// The MCP servers, as they are now.
    McpServers {
        servers: Vec<McpServerView>,
    },
    /// An MCP server could not be added or reached (`server`: `None` when it was being
    /// added, and nothing was kept). `unauthorized`: it wants a token or a sign-in.
    McpServerFailed {
        server: Option<String>,
        url: String,
        message: String,
        unauthorized: bool,
    },
    /// Send the browser here (a popup) to sign in to the MCP server.
    McpAuthorizeUrl {
        server: String,
        url: String,
    },
    /// A prompt's messages as the composer's text.
    McpPrompt {
        server: String,
        prompt: String,
        text: String,
    },
    /// A resource's contents: `text`, or `blob` (base64).
    McpResource {
        server: String,
        uri: String,
        name: String,
        mime_type: String,
        text: Option<String>,
        blob: Option<String>,
    },
    /// A model of the chat's fallback chain was rate limited with a short `Retry-After`:
    /// the agent waits `seconds` (until `until_ms`, the agent's clock) and tries it again.
    /// The app counts down.
    FallbackWait {
        session: SessionId,
        provider: ProviderId,
        model: String,
        seconds: u64,
        until_ms: u64,
    },
}

/// The tags of [`Event`], as its JSON names them.
const TAGS: &[&str] = &[
    "delta",
    "thinking_delta",
    "tool_call_started",
    "tool_call_finished",
    "tool_approval_requested",
    "message_saved",
    "compacted",
    "usage",
    "turn_finished",
    "error",
    "sessions",
    "session_created",
    "session_opened",
    "ready",
    "magic_link_sent",
    "sign_in_redirect",
    "confirm_account_switch",
    "signed_in",
    "signed_out",
    "usage_report",
    "models",
    "exported",
    "imported",
    "token_count",
    "tool_progress",
    "mcp_servers",
    "mcp_server_failed",
    "mcp_authorize_url",
    "mcp_prompt",
    "mcp_resource",
    "fallback_wait",
];

/// Every field any [`Event`] has, by name (its index in [`FIELDS`]): a field's value is
/// read as soon as its name is, straight from the input (nothing buffered), into the slot
/// of that name. Fields of one type share one array of slots, so that each type is read
/// at one place.
#[derive(Clone, Copy)]
struct Field(usize);

/// The field names, grouped by type: [`Field`]'s index is into this.
const FIELDS: &[&str] = &[
    // 0: the tag.
    "type",
    // 1..23: text, optional in some events (`null` reads as absent).
    "session",
    "message",
    "first_kept",
    "signed_in",
    "text",
    "call_id",
    "name",
    "arguments",
    "output",
    "subject",
    "email",
    "url",
    "current",
    "next",
    "user",
    "document",
    "server",
    "tool",
    "prompt",
    "uri",
    "mime_type",
    "blob",
    // 23..27: flags.
    "ok",
    "stopped",
    "exact",
    "unauthorized",
    // 27..31: counts.
    "summarized",
    "notes",
    "conversation",
    "draft",
    // 31..33: numbers, optional in some events.
    "progress",
    "total",
    // 33..: one of a type.
    "usage",
    "kind",
    "sessions",
    "messages",
    "settings",
    "keys",
    "days",
    "rows",
    "provider",
    "models",
    "servers",
    "attachments",
    "model",
    "seconds",
    "until_ms",
];
const TEXTS: usize = 1;
const FLAGS: usize = 23;
const COUNTS: usize = 27;
const NUMBERS: usize = 31;
const SINGLES: usize = 33;

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Name;
        impl Visitor<'_> for Name {
            type Value = Field;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<Field, E> {
                // Past the end: a field no event has, skipped.
                Ok(Field(
                    FIELDS
                        .iter()
                        .position(|n| *n == name)
                        .unwrap_or(FIELDS.len()),
                ))
            }
        }
        deserializer.deserialize_identifier(Name)
    }
}

/// An [`Event`]'s tag, as its index in [`TAGS`].
struct Tag(usize);

impl<'de> Deserialize<'de> for Tag {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Name;
        impl Visitor<'_> for Name {
            type Value = Tag;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an event's type")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<Tag, E> {
                TAGS.iter()
                    .position(|tag| *tag == name)
                    .map(Tag)
                    .ok_or_else(|| E::unknown_variant(name, TAGS))
            }
        }
        deserializer.deserialize_str(Name)
    }
}

/// `sessions` and `messages` are lists in one event ([`Event::Sessions`],
/// [`Event::SessionOpened`]) and counts in another ([`Event::Imported`]), and the tag may
/// come after them: read as whichever the JSON holds.
enum ListOrCount<T> {
    List(Vec<T>),
    Count(u64),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ListOrCount<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Either<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for Either<T> {
            type Value = ListOrCount<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list or a count")
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Self::Value, E> {
                Ok(ListOrCount::Count(n))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(ListOrCount::List(items))
            }
        }
        deserializer.deserialize_any(Either(std::marker::PhantomData))
    }
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(EventVisitor)
    }
}

struct EventVisitor;

/// Sets `slot` from the map's next value, unless it was set already.
fn fill<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    map: &mut A,
    slot: &mut Option<T>,
    name: &'static str,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(de::Error::duplicate_field(name));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

fn need<T, E: de::Error>(slot: Option<T>, name: &'static str) -> Result<T, E> {
    slot.ok_or_else(|| E::missing_field(name))
}

fn list<T, E: de::Error>(slot: Option<ListOrCount<T>>, name: &'static str) -> Result<Vec<T>, E> {
    match need(slot, name)? {
        ListOrCount::List(items) => Ok(items),
        ListOrCount::Count(n) => Err(E::invalid_type(de::Unexpected::Unsigned(n), &"a list")),
    }
}

fn count<T, E: de::Error>(slot: Option<ListOrCount<T>>, name: &'static str) -> Result<usize, E> {
    match need(slot, name)? {
        ListOrCount::Count(n) => usize::try_from(n)
            .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(n), &"a usize")),
        ListOrCount::List(_) => Err(E::invalid_type(de::Unexpected::Seq, &"a count")),
    }
}

impl<'de> Visitor<'de> for EventVisitor {
    type Value = Event;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an event")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Event, A::Error> {
        let mut tag: Option<Tag> = None;
        let mut texts: [Option<Option<String>>; FLAGS - TEXTS] = Default::default();
        let mut flags: [Option<bool>; COUNTS - FLAGS] = Default::default();
        let mut counts: [Option<u64>; NUMBERS - COUNTS] = Default::default();
        let mut numbers: [Option<Option<f64>>; SINGLES - NUMBERS] = Default::default();
        let mut usage = None;
        let mut kind = None;
        let mut sessions: Option<ListOrCount<SessionView>> = None;
        let mut messages: Option<ListOrCount<MessageView>> = None;
        let mut settings = None;
        let mut keys = None;
        let mut days = None;
        let mut rows = None;
        let mut provider = None;
        let mut models = None;
        let mut servers = None;
        let mut attachments = None;
        let mut model = None;
        let mut seconds = None;
        let mut until_ms = None;
        while let Some(Field(i)) = map.next_key::<Field>()? {
            let Some(&name) = FIELDS.get(i) else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            let m = &mut map;
            match i {
                0 => fill(m, &mut tag, name)?,
                TEXTS..FLAGS => fill(m, &mut texts[i - TEXTS], name)?,
                FLAGS..COUNTS => fill(m, &mut flags[i - FLAGS], name)?,
                COUNTS..NUMBERS => fill(m, &mut counts[i - COUNTS], name)?,
                NUMBERS..SINGLES => fill(m, &mut numbers[i - NUMBERS], name)?,
                33 => fill(m, &mut usage, name)?,
                34 => fill(m, &mut kind, name)?,
                35 => fill(m, &mut sessions, name)?,
                36 => fill(m, &mut messages, name)?,
                37 => fill(m, &mut settings, name)?,
                38 => fill(m, &mut keys, name)?,
                39 => fill(m, &mut days, name)?,
                40 => fill(m, &mut rows, name)?,
                41 => fill(m, &mut provider, name)?,
                42 => fill(m, &mut models, name)?,
                43 => fill(m, &mut servers, name)?,
                44 => fill(m, &mut attachments, name)?,
                45 => fill(m, &mut model, name)?,
                46 => fill(m, &mut seconds, name)?,
                _ => fill(m, &mut until_ms, name)?,
            }
        }
        let Tag(tag) = need(tag, "type")?;
        let [
            session,
            message,
            first_kept,
            signed_in,
            text,
            call_id,
            name,
            arguments,
            output,
            subject,
            email,
            url,
            current,
            next,
            user,
            document,
            server,
            tool,
            prompt,
            uri,
            mime_type,
            blob,
        ] = texts.map(Option::flatten);
        let [ok, stopped, exact, unauthorized] = flags;
        let [summarized, notes, conversation, draft] = counts;
        let [progress, total] = numbers.map(Option::flatten);
        let session_id = |session: Option<String>| need(session, "session");
        let message_id = |message: Option<String>| need(message, "message");
        let size = |n: Option<u64>, name| {
            let n = need(n, name)?;
            usize::try_from(n)
                .map_err(|_| de::Error::invalid_value(de::Unexpected::Unsigned(n), &"a usize"))
        };
        // Indices into `TAGS`.
        Ok(match tag {
            0 => Event::Delta {
                session: session_id(session)?,
                message: message_id(message)?,
                text: need(text, "text")?,
            },
            1 => Event::ThinkingDelta {
                session: session_id(session)?,
                message: message_id(message)?,
                text: need(text, "text")?,
            },
            2 => Event::ToolCallStarted {
                session: session_id(session)?,
                call_id: need(call_id, "call_id")?,
                name: need(name, "name")?,
                arguments: need(arguments, "arguments")?,
                server,
                tool,
            },
            3 => Event::ToolCallFinished {
                session: session_id(session)?,
                call_id: need(call_id, "call_id")?,
                output: need(output, "output")?,
                ok: need(ok, "ok")?,
                attachments: attachments.unwrap_or_default(),
            },
            4 => Event::ToolApprovalRequested {
                session: session_id(session)?,
                call_id: need(call_id, "call_id")?,
                name: need(name, "name")?,
                subject: need(subject, "subject")?,
            },
            5 => Event::MessageSaved {
                session: session_id(session)?,
                message: message_id(message)?,
            },
            6 => Event::Compacted {
                session: session_id(session)?,
                summarized: size(summarized, "summarized")?,
            },
            7 => Event::Usage {
                session: session_id(session)?,
                message,
                usage: need(usage, "usage")?,
            },
            8 => Event::TurnFinished {
                session: session_id(session)?,
                stopped: need(stopped, "stopped")?,
            },
            9 => Event::Error {
                session,
                kind: need(kind, "kind")?,
                message: message_id(message)?,
            },
            10 => Event::Sessions {
                sessions: list(sessions, "sessions")?,
            },
            11 => Event::SessionCreated {
                session: session_id(session)?,
            },
            12 => Event::SessionOpened {
                session: session_id(session)?,
                messages: list(messages, "messages")?,
                first_kept,
            },
            13 => Event::Ready {
                settings: need(settings, "settings")?,
                keys: need(keys, "keys")?,
                signed_in,
            },
            14 => Event::MagicLinkSent {
                email: need(email, "email")?,
            },
            15 => Event::SignInRedirect {
                url: need(url, "url")?,
            },
            16 => Event::ConfirmAccountSwitch {
                current: need(current, "current")?,
                next: need(next, "next")?,
            },
            17 => Event::SignedIn {
                user: need(user, "user")?,
            },
            18 => Event::SignedOut,
            19 => Event::UsageReport {
                days: need(days, "days")?,
                rows: need(rows, "rows")?,
            },
            20 => Event::Models {
                provider: need(provider, "provider")?,
                models: need(models, "models")?,
            },
            21 => Event::Exported {
                document: need(document, "document")?,
            },
            22 => Event::Imported {
                sessions: count(sessions, "sessions")?,
                messages: count(messages, "messages")?,
                notes: size(notes, "notes")?,
            },
            23 => Event::TokenCount {
                session,
                conversation: need(conversation, "conversation")?,
                draft: need(draft, "draft")?,
                exact: need(exact, "exact")?,
            },
            24 => Event::ToolProgress {
                session: session_id(session)?,
                call_id: need(call_id, "call_id")?,
                progress: need(progress, "progress")?,
                total,
                message,
            },
            25 => Event::McpServers {
                servers: need(servers, "servers")?,
            },
            26 => Event::McpServerFailed {
                server,
                url: need(url, "url")?,
                message: message_id(message)?,
                unauthorized: need(unauthorized, "unauthorized")?,
            },
            27 => Event::McpAuthorizeUrl {
                server: need(server, "server")?,
                url: need(url, "url")?,
            },
            28 => Event::McpPrompt {
                server: need(server, "server")?,
                prompt: need(prompt, "prompt")?,
                text: need(text, "text")?,
            },
            29 => Event::McpResource {
                server: need(server, "server")?,
                uri: need(uri, "uri")?,
                name: need(name, "name")?,
                mime_type: need(mime_type, "mime_type")?,
                text,
                blob,
            },
            _ => Event::FallbackWait {
                session: session_id(session)?,
                provider: need(provider, "provider")?,
                model: need(model, "model")?,
                seconds: need(seconds, "seconds")?,
                until_ms: need(until_ms, "until_ms")?,
            },
        })
    }
}

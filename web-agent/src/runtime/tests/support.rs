//! The fakes every runtime test shares — a scripted transport, a transparent vault, a
//! clock that moves at every look, a word-counting tokenizer — and the helpers that set a
//! runtime up, send it commands and read what it stored.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::task::{Context, Poll, Waker};

use ferry_core::ProviderId;
use ferry_core::adapter::UpstreamRequest;
use ferry_core::wire::Role;

use super::super::*;
use crate::protocol::ChatParams;
use crate::seams::{Sealed, VaultError};
use crate::store::MemoryStore;
use crate::transport::scripted::{ScriptedBody, owned_headers};
use crate::transport::{Answer, NetworkError};

/// Every fake completes at once, so one poll runs a whole command.
pub(super) fn run<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => unreachable!("fakes never wait"),
    }
}

pub(super) enum Scripted {
    Answer(u16, Option<u64>, Vec<String>),
    /// An answer with headers, whose body may hang after its chunks.
    Headed {
        status: u16,
        headers: Vec<(String, String)>,
        chunks: Vec<String>,
        hang: bool,
    },
    Unreachable,
}

#[derive(Default)]
pub(super) struct FakeTransport {
    pub(super) script: RefCell<VecDeque<Scripted>>,
    pub(super) sent: RefCell<Vec<UpstreamRequest>>,
    pub(super) stop_after_first: RefCell<Option<StopHandle>>,
    /// Pressed while the answer to a request for this URL is read (a tool's, say).
    pub(super) stop_reading: RefCell<Option<(String, StopHandle)>>,
}

impl FakeTransport {
    pub(super) fn answer(&self, status: u16, events: &[&str]) {
        let body = events.iter().map(|e| format!("data: {e}\n\n")).collect();
        self.script
            .borrow_mut()
            .push_back(Scripted::Answer(status, None, body));
    }

    pub(super) fn json(&self, status: u16, retry_after: Option<u64>, body: &str) {
        self.script.borrow_mut().push_back(Scripted::Answer(
            status,
            retry_after,
            vec![body.to_owned()],
        ));
    }

    /// An answer whose body (ASCII) arrives in pieces of `piece` bytes, cut wherever the
    /// network may cut it: mid-event, mid-line.
    pub(super) fn pieces(&self, status: u16, body: &str, piece: usize) {
        let pieces = body
            .as_bytes()
            .chunks(piece.max(1))
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect();
        self.script
            .borrow_mut()
            .push_back(Scripted::Answer(status, None, pieces));
    }

    /// The JSON body of the `n`th request sent.
    pub(super) fn body(&self, n: usize) -> serde_json::Value {
        serde_json::from_str(self.sent.borrow()[n].body.as_deref().unwrap()).unwrap()
    }

    pub(super) fn headed(
        &self,
        status: u16,
        headers: &[(&str, &str)],
        chunks: Vec<String>,
        hang: bool,
    ) {
        self.script.borrow_mut().push_back(Scripted::Headed {
            status,
            headers: owned_headers(headers),
            chunks,
            hang,
        });
    }

    pub(super) fn unreachable(&self) {
        self.script.borrow_mut().push_back(Scripted::Unreachable);
    }

    pub(super) fn urls(&self) -> Vec<String> {
        self.sent.borrow().iter().map(|r| r.url.clone()).collect()
    }
}

impl Transport for &FakeTransport {
    type Body = ScriptedBody;

    async fn send(&self, request: &UpstreamRequest) -> Result<Answer<ScriptedBody>, NetworkError> {
        self.sent.borrow_mut().push(request.clone());
        let stop_after_first = || {
            self.stop_after_first.borrow_mut().take().or_else(|| {
                let mut reading = self.stop_reading.borrow_mut();
                let url = reading.as_ref().map(|(url, _)| url.clone());
                (url.as_ref() == Some(&request.url))
                    .then(|| reading.take().map(|(_, stop)| stop))
                    .flatten()
            })
        };
        let next = self.script.borrow_mut().pop_front();
        match next {
            Some(Scripted::Answer(status, retry_after_secs, body)) => Ok(Answer {
                status,
                retry_after_secs,
                headers: Vec::new(),
                body: stopping(ScriptedBody::of(body, false), stop_after_first()),
            }),
            Some(Scripted::Headed {
                status,
                headers,
                chunks,
                hang,
            }) => Ok(Answer {
                status,
                retry_after_secs: None,
                headers,
                body: stopping(ScriptedBody::of(chunks, hang), stop_after_first()),
            }),
            Some(Scripted::Unreachable) | None => Err(NetworkError("connection refused".into())),
        }
    }
}

/// `body`, with `stop` pressed at its first read, as a user would mid-stream.
fn stopping(mut body: ScriptedBody, stop: Option<StopHandle>) -> ScriptedBody {
    body.on_first_read = stop.map(|stop| Box::new(move || stop.stop()) as Box<dyn FnOnce()>);
    body
}

/// Seals by marking: enough to see that the store holds what the vault gave it.
pub(super) struct FakeVault;

impl Vault for FakeVault {
    async fn seal(&self, plaintext: &str) -> Result<Sealed, VaultError> {
        Ok(Sealed {
            iv: "iv".into(),
            ciphertext: plaintext.chars().rev().collect(),
        })
    }
    async fn open(&self, sealed: &Sealed) -> Result<String, VaultError> {
        Ok(sealed.ciphertext.chars().rev().collect())
    }
}

#[derive(Default)]
pub(super) struct FakeClock(Cell<u64>);

impl Clock for FakeClock {
    fn now_ms(&self) -> u64 {
        // Time moves on at every look, so drafts get saved.
        self.0.set(self.0.get() + 100);
        self.0.get()
    }
    fn new_id(&self) -> String {
        format!("id{}", self.now_ms())
    }
    async fn sleep(&self, _ms: u64) {
        // Fakes answer at once: no deadline is ever reached.
        std::future::pending::<()>().await;
    }
}

pub(super) const KEY: &str = "sk-secret-key-123";

pub(super) fn settings(provider: ProviderId) -> Settings {
    Settings {
        provider,
        model: "m".into(),
        system_prompt: "Be brief.".into(),
        proxy_url: Some("https://proxy.test".into()),
        always_proxy: false,
        provider_base_url: None,
        max_rounds: 4,
        context_window: None,
        answer_reserve: 4_096,
        keep_recent_tokens: 20_000,
        supabase_url: None,
        supabase_anon_key: None,
        always_allow: Vec::new(),
        params: ChatParams::default(),
        keep_original_images: false,
        proxy_max_media_body_bytes: None,
        fallbacks: Vec::new(),
        first_answer_timeout_secs: 60,
    }
}

pub(super) type TestRuntime<'t> = Runtime<&'t FakeTransport, MemoryStore, FakeVault, FakeClock>;

/// An agent with nothing stored and no key, on `transport`.
pub(super) fn empty_runtime(transport: &FakeTransport, provider: ProviderId) -> TestRuntime<'_> {
    Runtime::new(
        transport,
        MemoryStore::default(),
        FakeVault,
        FakeClock::default(),
        settings(provider),
    )
}

/// [`empty_runtime`] with `provider`'s key.
pub(super) fn runtime(transport: &FakeTransport, provider: ProviderId) -> TestRuntime<'_> {
    let mut rt = empty_runtime(transport, provider);
    run(rt.handle(
        Command::SetKey {
            provider: provider.into(),
            key: KEY.into(),
            remember: true,
        },
        &mut |_| {},
    ));
    rt
}

/// Everything `rt` stores, as its export document.
pub(super) fn exported(rt: &mut TestRuntime<'_>, include_keys: bool) -> String {
    let events = command(rt, Command::Export { include_keys });
    let Some(Event::Exported { document }) = events.first() else {
        panic!("{events:?}")
    };
    document.clone()
}

pub(super) fn send(rt: &mut TestRuntime<'_>, session: &str, text: &str) -> Vec<Event> {
    let mut events = Vec::new();
    run(rt.handle(
        Command::SendMessage {
            session: session.into(),
            text: text.into(),
            attachments: Vec::new(),
        },
        &mut |e| events.push(e),
    ));
    events
}

pub(super) fn chunk(delta: serde_json::Value) -> String {
    serde_json::json!({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
        "choices": [{"index": 0, "delta": delta, "finish_reason": null}]})
    .to_string()
}

pub(super) fn stored_texts(rt: &TestRuntime<'_>, session: &str) -> Vec<(Role, String, bool)> {
    run(rt.store().messages(session))
        .unwrap()
        .into_iter()
        .map(|m| (m.message.role, m.message.text_content(), m.partial))
        .collect()
}

pub(super) fn command(rt: &mut TestRuntime<'_>, command: Command) -> Vec<Event> {
    let mut events = Vec::new();
    run(rt.handle(command, &mut |e| events.push(e)));
    events
}

pub(super) fn listed(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::Sessions { sessions } => {
                Some(sessions.iter().map(|s| s.title.clone()).collect())
            }
            _ => None,
        })
        .unwrap_or_default()
}

/// Counts words once "loaded"; records every batch it was asked to count.
#[derive(Default)]
pub(super) struct WordTokenizer {
    pub(super) ready: Cell<bool>,
    pub(super) asked: RefCell<Vec<usize>>,
}

impl crate::seams::Tokenizer for &WordTokenizer {
    async fn count(&self, _: ferry_core::tokens::Encoding, texts: &[&str]) -> Option<Vec<u64>> {
        if !self.ready.get() {
            return None;
        }
        self.asked.borrow_mut().push(texts.len());
        Some(
            texts
                .iter()
                .map(|t| t.split_whitespace().count() as u64)
                .collect(),
        )
    }
}

pub(super) fn token_count(events: &[Event]) -> (u64, u64, bool) {
    events
        .iter()
        .find_map(|e| match e {
            Event::TokenCount {
                conversation,
                draft,
                exact,
                ..
            } => Some((*conversation, *draft, *exact)),
            _ => None,
        })
        .unwrap()
}

pub(super) fn declared_tools(request: &UpstreamRequest) -> Vec<String> {
    let body: serde_json::Value = serde_json::from_str(request.body.as_deref().unwrap()).unwrap();
    body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap().to_owned())
        .collect()
}

pub(super) const ADA: &str = "7a6f0c2e-3b1d-4c5e-9f8a-0b1c2d3e4f50";
pub(super) const MALLORY: &str = "0d9c8b7a-6f5e-4d3c-2b1a-000000000bad";

/// An access token (unsigned: the runtime only reads it) for `sub`.
pub(super) fn token_for(sub: &str, email: &str) -> String {
    let payload = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        serde_json::json!({"sub": sub, "email": email}).to_string(),
    );
    format!("h.{payload}.s")
}

/// Supabase's answer to a code exchange, a session for `sub`.
pub(super) fn session_answer(sub: &str, email: &str, refresh: &str, expires_in: u64) -> String {
    serde_json::json!({
        "access_token": token_for(sub, email), "token_type": "bearer", "expires_in": expires_in,
        "refresh_token": refresh, "user": {"id": sub, "email": email}
    })
    .to_string()
}

pub(super) fn supabase_runtime(transport: &FakeTransport) -> TestRuntime<'_> {
    // Mistral goes through the proxy, so the access token shows in the calls.
    let mut rt = runtime(transport, ProviderId::Mistral);
    rt.settings.supabase_url = Some("https://abc.supabase.co".into());
    rt.settings.supabase_anon_key = Some("anon".into());
    rt
}

/// Asks for a magic link (the verifier is kept); returns the challenge sent.
pub(super) fn ask_for_link(rt: &mut TestRuntime<'_>, transport: &FakeTransport) -> String {
    transport.json(200, None, "{}");
    command(
        rt,
        Command::SignInWithEmail {
            email: "ada@example.test".into(),
            redirect_to: "http://127.0.0.1:8080/".into(),
        },
    );
    let sent = transport.sent.borrow().last().cloned().unwrap();
    let body: serde_json::Value = serde_json::from_str(sent.body.as_deref().unwrap()).unwrap();
    assert_eq!(body["code_challenge_method"], "s256");
    body["code_challenge"].as_str().unwrap().to_owned()
}

pub(super) fn come_back_with_code(rt: &mut TestRuntime<'_>, code: &str) -> Vec<Event> {
    command(
        rt,
        Command::CompleteSignIn {
            query: format!("?code={code}"),
            fragment: String::new(),
        },
    )
}

pub(super) fn signed_in_runtime(transport: &FakeTransport, expires_in: u64) -> TestRuntime<'_> {
    let mut rt = supabase_runtime(transport);
    let challenge = ask_for_link(&mut rt, transport);
    transport.sent.borrow_mut().clear();
    transport.json(
        200,
        None,
        &session_answer(ADA, "ada@example.test", "refresh-1", expires_in),
    );
    // Nothing synced yet: these settings are saved for the user's other devices.
    transport.json(200, None, "[]");
    transport.json(201, None, "");
    let events = come_back_with_code(&mut rt, "code-1");
    assert!(matches!(
        &events[0],
        Event::Ready {
            signed_in: Some(_),
            ..
        }
    ));
    assert_eq!(events[1], Event::SignedIn { user: ADA.into() });
    let urls = transport.urls();
    assert_eq!(
        urls,
        [
            "https://abc.supabase.co/auth/v1/token?grant_type=pkce",
            "https://abc.supabase.co/rest/v1/user_settings?select=settings",
            "https://abc.supabase.co/rest/v1/user_settings?on_conflict=user_id"
        ]
    );
    // The code goes with the verifier whose challenge the link was asked with.
    let exchange: serde_json::Value =
        serde_json::from_str(transport.sent.borrow()[0].body.as_deref().unwrap()).unwrap();
    assert_eq!(exchange["auth_code"], "code-1");
    let verifier = exchange["code_verifier"].as_str().unwrap();
    assert!((43..=128).contains(&verifier.len()), "{verifier}");
    assert_eq!(crate::auth::code_challenge(verifier), challenge);
    let pushed: serde_json::Value =
        serde_json::from_str(transport.sent.borrow()[2].body.as_deref().unwrap()).unwrap();
    assert_eq!(pushed["user_id"], ADA);
    assert_eq!(
        pushed["settings"],
        serde_json::json!({"provider": "mistral", "model": "m", "system_prompt": "Be brief."}),
        "the synced fields only: no proxy, no endpoints"
    );
    assert!(!pushed.to_string().contains(KEY), "never keys");
    transport.sent.borrow_mut().clear();
    rt
}

pub(super) fn bearer(request: &UpstreamRequest) -> Option<String> {
    request
        .headers
        .iter()
        .find(|(n, _)| *n == "authorization")
        .map(|(_, v)| v.clone())
}

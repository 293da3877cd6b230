//! The runtime with fakes: a scripted transport, the in-memory store, a transparent vault.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::task::{Context, Poll, Waker};

use ferry_core::ProviderId;
use ferry_core::adapter::UpstreamRequest;
use wasm_bindgen_test::wasm_bindgen_test;

use super::*;
use crate::seams::{Sealed, VaultError};
use crate::store::{KeyOwner, MemoryStore};
use crate::transport::{Answer, NetworkError};

/// Every fake completes at once, so one poll runs a whole command.
fn run<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => unreachable!("fakes never wait"),
    }
}

#[derive(Debug)]
struct Chunks {
    chunks: VecDeque<Result<Vec<u8>, NetworkError>>,
    /// Pressed after the first chunk, as a user would mid-stream.
    stop_after_first: Option<StopHandle>,
}

impl Body for Chunks {
    async fn next(&mut self) -> Option<Result<Vec<u8>, NetworkError>> {
        let next = self.chunks.pop_front();
        if let Some(stop) = self.stop_after_first.take() {
            stop.stop();
        }
        next
    }
}

enum Scripted {
    Answer(u16, Option<u64>, Vec<String>),
    Unreachable,
}

#[derive(Default)]
struct FakeTransport {
    script: RefCell<VecDeque<Scripted>>,
    sent: RefCell<Vec<UpstreamRequest>>,
    stop_after_first: RefCell<Option<StopHandle>>,
}

impl FakeTransport {
    fn answer(&self, status: u16, events: &[&str]) {
        let body = events.iter().map(|e| format!("data: {e}\n\n")).collect();
        self.script
            .borrow_mut()
            .push_back(Scripted::Answer(status, None, body));
    }

    fn json(&self, status: u16, retry_after: Option<u64>, body: &str) {
        self.script.borrow_mut().push_back(Scripted::Answer(
            status,
            retry_after,
            vec![body.to_owned()],
        ));
    }

    fn unreachable(&self) {
        self.script.borrow_mut().push_back(Scripted::Unreachable);
    }

    fn urls(&self) -> Vec<String> {
        self.sent.borrow().iter().map(|r| r.url.clone()).collect()
    }
}

impl Transport for &FakeTransport {
    type Body = Chunks;

    async fn send(&self, request: &UpstreamRequest) -> Result<Answer<Chunks>, NetworkError> {
        self.sent.borrow_mut().push(request.clone());
        match self.script.borrow_mut().pop_front() {
            Some(Scripted::Answer(status, retry_after_secs, body)) => Ok(Answer {
                status,
                retry_after_secs,
                body: Chunks {
                    chunks: body.into_iter().map(|c| Ok(c.into_bytes())).collect(),
                    stop_after_first: self.stop_after_first.borrow_mut().take(),
                },
            }),
            Some(Scripted::Unreachable) | None => Err(NetworkError("connection refused".into())),
        }
    }
}

/// Seals by marking: enough to see that the store holds what the vault gave it.
struct FakeVault;

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
struct FakeClock(Cell<u64>);

impl Clock for FakeClock {
    fn now_ms(&self) -> u64 {
        // Time moves on at every look, so drafts get saved.
        self.0.set(self.0.get() + 100);
        self.0.get()
    }
    fn new_id(&self) -> String {
        format!("id{}", self.now_ms())
    }
}

const KEY: &str = "sk-secret-key-123";

fn settings(provider: ProviderId) -> Settings {
    Settings {
        provider,
        model: "m".into(),
        system_prompt: "Be brief.".into(),
        proxy_url: Some("https://proxy.test".into()),
        always_proxy: false,
        provider_base_url: None,
        max_rounds: 4,
        context_window: 128_000,
        answer_reserve: 4_096,
        keep_recent_tokens: 20_000,
        supabase_url: None,
        supabase_anon_key: None,
        always_allow: Vec::new(),
    }
}

type TestRuntime<'t> = Runtime<&'t FakeTransport, MemoryStore, FakeVault, FakeClock>;

fn runtime(transport: &FakeTransport, provider: ProviderId) -> TestRuntime<'_> {
    let mut rt = Runtime::new(
        transport,
        MemoryStore::default(),
        FakeVault,
        FakeClock::default(),
        settings(provider),
    );
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

fn send(rt: &mut TestRuntime<'_>, session: &str, text: &str) -> Vec<Event> {
    let mut events = Vec::new();
    run(rt.handle(
        Command::SendMessage {
            session: session.into(),
            text: text.into(),
        },
        &mut |e| events.push(e),
    ));
    events
}

fn chunk(delta: serde_json::Value) -> String {
    serde_json::json!({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
        "choices": [{"index": 0, "delta": delta, "finish_reason": null}]})
    .to_string()
}

fn stored_texts(rt: &TestRuntime<'_>, session: &str) -> Vec<(Role, String, bool)> {
    run(rt.store().messages(session))
        .unwrap()
        .into_iter()
        .map(|m| (m.message.role, m.message.text_content(), m.partial))
        .collect()
}

#[wasm_bindgen_test(unsupported = test)]
fn a_turn_streams_deltas_and_saves_both_messages() {
    let transport = FakeTransport::default();
    transport.answer(
        200,
        &[
            &chunk(serde_json::json!({"content": "Hel"})),
            &chunk(serde_json::json!({"content": "lo"})),
            "[DONE]",
        ],
    );
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    let events = send(&mut rt, "s", "hi");
    let deltas: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::Delta { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(deltas, ["Hel", "lo"]);
    assert!(matches!(
        events.last(),
        Some(Event::TurnFinished { stopped: false, .. })
    ));
    assert_eq!(
        stored_texts(&rt, "s"),
        [
            (Role::User, "hi".into(), false),
            (Role::Assistant, "Hello".into(), false)
        ]
    );
    // OpenAI takes browser calls: straight there, the system prompt first.
    let sent = transport.sent.borrow();
    assert_eq!(sent[0].url, "https://api.openai.com/v1/chat/completions");
    let body: serde_json::Value = serde_json::from_str(sent[0].body.as_deref().unwrap()).unwrap();
    assert_eq!(body["messages"][0]["content"], "Be brief.");
    assert_eq!(body["tools"].as_array().map(Vec::len), Some(4));
}

#[wasm_bindgen_test(unsupported = test)]
fn a_memory_tool_runs_and_its_result_goes_back() {
    let transport = FakeTransport::default();
    let call = serde_json::json!({"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
        "function": {"name": "memory_save", "arguments": "{\"text\":\"likes green tea\"}"}}]});
    transport.answer(200, &[&chunk(call), "[DONE]"]);
    transport.answer(
        200,
        &[&chunk(serde_json::json!({"content": "Noted."})), "[DONE]"],
    );
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    let events = send(&mut rt, "s", "remember: I like green tea");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::ToolCallFinished { ok: true, .. }))
    );
    let notes = run(rt.store().notes()).unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].text, "likes green tea");
    let second: serde_json::Value =
        serde_json::from_str(transport.sent.borrow()[1].body.as_deref().unwrap()).unwrap();
    let last = &second["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["role"], "tool");
    assert_eq!(last["tool_call_id"], "call_1");
    let roles: Vec<Role> = stored_texts(&rt, "s")
        .into_iter()
        .map(|(r, ..)| r)
        .collect();
    assert_eq!(
        roles,
        [Role::User, Role::Assistant, Role::Tool, Role::Assistant]
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn an_unreachable_provider_is_tried_through_the_proxy() {
    let transport = FakeTransport::default();
    transport.unreachable();
    transport.answer(
        200,
        &[
            &chunk(serde_json::json!({"content": "via proxy"})),
            "[DONE]",
        ],
    );
    let mut rt = runtime(&transport, ProviderId::Anthropic);
    send(&mut rt, "s", "hi");
    assert_eq!(
        transport.urls(),
        [
            "https://api.anthropic.com/v1/messages",
            "https://proxy.test/v1/proxy/chat/completions"
        ]
    );
    assert_eq!(stored_texts(&rt, "s")[1].1, "via proxy");
}

#[wasm_bindgen_test(unsupported = test)]
fn a_rate_limit_is_reported_with_its_wait_and_retry_works() {
    let transport = FakeTransport::default();
    let refused =
        r#"{"error":{"type":"rate_limit_error","code":"rate_limited","message":"slow down"}}"#;
    transport.json(429, Some(12), refused);
    transport.answer(
        200,
        &[&chunk(serde_json::json!({"content": "ok now"})), "[DONE]"],
    );
    // Mistral takes no browser calls: the proxy only, and a 429 is an answer, not a failure.
    let mut rt = runtime(&transport, ProviderId::Mistral);
    let events = send(&mut rt, "s", "hi");
    assert!(events.iter().any(|e| matches!(
        e,
        Event::Error {
            kind: ErrorKind::RateLimited {
                retry_after_secs: 12
            },
            ..
        }
    )));
    assert_eq!(transport.urls().len(), 1);
    let mut retried = Vec::new();
    run(rt.handle(
        Command::Retry {
            session: "s".into(),
        },
        &mut |e| retried.push(e),
    ));
    assert!(matches!(
        retried.last(),
        Some(Event::TurnFinished { stopped: false, .. })
    ));
    assert_eq!(stored_texts(&rt, "s")[1].1, "ok now");
}

#[wasm_bindgen_test(unsupported = test)]
fn stop_keeps_the_partial_answer() {
    let transport = FakeTransport::default();
    transport.answer(
        200,
        &[
            &chunk(serde_json::json!({"content": "Half"})),
            &chunk(serde_json::json!({"content": " more"})),
            "[DONE]",
        ],
    );
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    *transport.stop_after_first.borrow_mut() = Some(rt.stop_handle());
    let events = send(&mut rt, "s", "hi");
    assert!(matches!(
        events.last(),
        Some(Event::TurnFinished { stopped: true, .. })
    ));
    assert_eq!(
        stored_texts(&rt, "s")[1],
        (Role::Assistant, "Half".into(), true)
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn keys_are_sealed_or_kept_in_memory_only_and_never_told() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    let stored = run(rt.store().keys()).unwrap();
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].sealed.ciphertext.contains(KEY));
    run(rt.handle(
        Command::SetKey {
            provider: ProviderId::OpenAi.into(),
            key: KEY.into(),
            remember: false,
        },
        &mut |_| {},
    ));
    assert!(run(rt.store().keys()).unwrap().is_empty());
    // A refusal that quotes the key does not carry it to the UI.
    transport.json(
        401,
        None,
        &format!(r#"{{"error":{{"code":"invalid_api_key","message":"bad key {KEY}"}}}}"#),
    );
    let events = send(&mut rt, "s", "hi");
    let told = format!("{events:?}");
    assert!(told.contains("ProviderRefused"));
    assert!(!told.contains(KEY));
}

#[wasm_bindgen_test(unsupported = test)]
fn without_a_key_the_ui_is_told_to_add_one() {
    let transport = FakeTransport::default();
    let mut rt = Runtime::new(
        &transport,
        MemoryStore::default(),
        FakeVault,
        FakeClock::default(),
        settings(ProviderId::OpenAi),
    );
    let events = send(&mut rt, "s", "hi");
    assert!(events.iter().any(|e| matches!(
        e,
        Event::Error {
            kind: ErrorKind::MissingKey,
            ..
        }
    )));
    assert!(transport.sent.borrow().is_empty());
}

#[wasm_bindgen_test(unsupported = test)]
fn a_long_session_is_compacted_and_every_message_stays_stored() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    // About 30 tokens a message: three turns stay under 90 % of the usable 220 tokens, the
    // fourth question passes it.
    rt.settings.context_window = 270;
    rt.settings.answer_reserve = 50;
    rt.settings.keep_recent_tokens = 60;
    let long = "word ".repeat(20);
    for i in 0..3 {
        transport.answer(
            200,
            &[
                &chunk(serde_json::json!({"content": format!("answer {i} {long}")})),
                "[DONE]",
            ],
        );
        send(&mut rt, "s", &format!("question {i} {long}"));
    }
    assert_eq!(transport.sent.borrow().len(), 3, "no compaction yet");
    // A summary first, then the turn.
    let summary = serde_json::json!({"id": "x", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "## Goal\nQuestions."}, "finish_reason": "stop"}]});
    transport.json(200, None, &summary.to_string());
    transport.answer(
        200,
        &[&chunk(serde_json::json!({"content": "short"})), "[DONE]"],
    );
    let events = send(&mut rt, "s", &format!("last question {long}"));
    assert!(events.iter().any(|e| matches!(e, Event::Compacted { .. })));
    let sent = transport.sent.borrow();
    let summary_call: serde_json::Value =
        serde_json::from_str(sent[3].body.as_deref().unwrap()).unwrap();
    assert_eq!(summary_call["stream"], false);
    let turn_call: serde_json::Value =
        serde_json::from_str(sent[4].body.as_deref().unwrap()).unwrap();
    let text = turn_call["messages"].to_string();
    assert!(text.contains("## Goal"), "{text}");
    assert!(
        !text.contains("question 0"),
        "the oldest turn is summarized, not sent"
    );
    assert!(text.contains("last question"));
    drop(sent);
    // Nothing stored was deleted: 4 questions and 4 answers.
    assert_eq!(stored_texts(&rt, "s").len(), 8);
    assert!(run(rt.store().compaction("s")).unwrap().is_some());
}

fn command(rt: &mut TestRuntime<'_>, command: Command) -> Vec<Event> {
    let mut events = Vec::new();
    run(rt.handle(command, &mut |e| events.push(e)));
    events
}

fn listed(events: &[Event]) -> Vec<String> {
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

#[wasm_bindgen_test(unsupported = test)]
fn sessions_are_titled_renamed_searched_and_deleted() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    for (session, question) in [
        ("a", "How do I brew green tea?\nThanks"),
        ("b", "Plan a trip to Lisbon"),
    ] {
        transport.answer(
            200,
            &[
                &chunk(serde_json::json!({"content": format!("About {question}")})),
                "[DONE]",
            ],
        );
        send(&mut rt, session, question);
    }
    let all = command(
        &mut rt,
        Command::SearchSessions {
            query: String::new(),
        },
    );
    assert_eq!(
        listed(&all),
        ["Plan a trip to Lisbon", "How do I brew green tea?"]
    );
    // Search looks at titles and at what was said.
    let found = command(
        &mut rt,
        Command::SearchSessions {
            query: "LISBON".into(),
        },
    );
    assert_eq!(listed(&found), ["Plan a trip to Lisbon"]);
    let renamed = command(
        &mut rt,
        Command::RenameSession {
            session: "a".into(),
            title: " Tea ".into(),
        },
    );
    assert_eq!(listed(&renamed), ["Tea", "Plan a trip to Lisbon"]);
    let left = command(
        &mut rt,
        Command::DeleteSession {
            session: "b".into(),
        },
    );
    assert_eq!(listed(&left), ["Tea"]);
    assert!(run(rt.store().messages("b")).unwrap().is_empty());
    let opened = command(
        &mut rt,
        Command::OpenSession {
            session: "a".into(),
        },
    );
    assert!(matches!(&opened[0], Event::SessionOpened { messages, .. } if messages.len() == 2));
}

#[wasm_bindgen_test(unsupported = test)]
fn export_then_import_into_a_fresh_agent_restores_everything() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    transport.answer(
        200,
        &[&chunk(serde_json::json!({"content": "Hi"})), "[DONE]"],
    );
    send(&mut rt, "s", "hello");
    let exported = command(
        &mut rt,
        Command::Export {
            include_keys: false,
        },
    );
    let Some(Event::Exported { document }) = exported.first() else {
        panic!("{exported:?}")
    };
    assert!(!document.contains(KEY));
    let mut fresh = Runtime::new(
        &transport,
        MemoryStore::default(),
        FakeVault,
        FakeClock::default(),
        settings(ProviderId::OpenAi),
    );
    let imported = command(
        &mut fresh,
        Command::Import {
            document: document.clone(),
        },
    );
    assert!(matches!(
        imported[0],
        Event::Imported {
            sessions: 1,
            messages: 2,
            ..
        }
    ));
    assert_eq!(stored_texts(&fresh, "s"), stored_texts(&rt, "s"));
    let refused = command(
        &mut fresh,
        Command::Import {
            document: "{}".into(),
        },
    );
    assert!(matches!(
        refused[0],
        Event::Error {
            kind: ErrorKind::InvalidRequest,
            ..
        }
    ));
}

#[wasm_bindgen_test(unsupported = test)]
fn titles_come_from_the_first_line() {
    assert_eq!(auto_title("  \nWhat is GCRA?\nmore"), "What is GCRA?");
    assert_eq!(auto_title(&"x".repeat(60)), format!("{}…", "x".repeat(48)));
    assert_eq!(auto_title(""), "New chat");
}

#[wasm_bindgen_test(unsupported = test)]
fn direct_calls_log_their_usage_for_the_signed_in_user_and_lose_none_offline() {
    use base64::Engine as _;
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    rt.settings.supabase_url = Some("https://project.supabase.test".into());
    rt.settings.supabase_anon_key = Some("anon-key".into());
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"sub":"user-1"}"#);
    rt.set_access_token(Some(format!("h.{payload}.s")));
    let usage = serde_json::json!({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
        "choices": [], "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}});
    // Supabase unreachable after the first answer: the row waits in the outbox.
    transport.answer(
        200,
        &[
            &chunk(serde_json::json!({"content": "Hi"})),
            &usage.to_string(),
            "[DONE]",
        ],
    );
    transport.unreachable();
    send(&mut rt, "s", "hello");
    let waiting = run(rt.store().outbox()).unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].user_id, "user-1");
    assert_eq!((waiting[0].input_tokens, waiting[0].output_tokens), (11, 7));
    // The next turn sends both rows, with the user's token and the anon key, and empties the queue.
    transport.answer(
        200,
        &[
            &chunk(serde_json::json!({"content": "Again"})),
            &usage.to_string(),
            "[DONE]",
        ],
    );
    transport.json(201, None, "");
    send(&mut rt, "s", "again");
    let sent = transport.sent.borrow();
    let insert = sent.last().unwrap();
    assert_eq!(
        insert.url,
        "https://project.supabase.test/rest/v1/usage_events?on_conflict=request_id"
    );
    assert!(insert.headers.contains(&("apikey", "anon-key".to_owned())));
    let rows: Vec<serde_json::Value> =
        serde_json::from_str(insert.body.as_deref().unwrap()).unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r["route"] == "direct"));
    drop(sent);
    assert!(run(rt.store().outbox()).unwrap().is_empty());
}

#[wasm_bindgen_test(unsupported = test)]
fn regenerate_and_edit_replace_what_followed() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    transport.answer(
        200,
        &[&chunk(serde_json::json!({"content": "first"})), "[DONE]"],
    );
    send(&mut rt, "s", "question");
    transport.answer(
        200,
        &[&chunk(serde_json::json!({"content": "second"})), "[DONE]"],
    );
    command(
        &mut rt,
        Command::Regenerate {
            session: "s".into(),
        },
    );
    let texts: Vec<String> = stored_texts(&rt, "s")
        .into_iter()
        .map(|(_, t, _)| t)
        .collect();
    assert_eq!(texts, ["question", "second"]);
    // The regenerated call saw the question, not the old answer.
    let body: serde_json::Value =
        serde_json::from_str(transport.sent.borrow()[1].body.as_deref().unwrap()).unwrap();
    assert_eq!(
        body["messages"].as_array().unwrap().last().unwrap()["content"],
        "question"
    );

    let question = run(rt.store().messages("s")).unwrap()[0].id.clone();
    transport.answer(
        200,
        &[&chunk(serde_json::json!({"content": "third"})), "[DONE]"],
    );
    command(
        &mut rt,
        Command::EditAndResend {
            session: "s".into(),
            message: question,
            text: "better question".into(),
        },
    );
    let texts: Vec<String> = stored_texts(&rt, "s")
        .into_iter()
        .map(|(_, t, _)| t)
        .collect();
    assert_eq!(texts, ["better question", "third"]);
    let refused = command(
        &mut rt,
        Command::EditAndResend {
            session: "s".into(),
            message: "nope".into(),
            text: "x".into(),
        },
    );
    assert!(matches!(
        refused[0],
        Event::Error {
            kind: ErrorKind::InvalidRequest,
            ..
        }
    ));
}

/// Counts words once "loaded"; records every batch it was asked to count.
#[derive(Default)]
struct WordTokenizer {
    ready: Cell<bool>,
    asked: RefCell<Vec<usize>>,
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

fn token_count(events: &[Event]) -> (u64, u64, bool) {
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

#[wasm_bindgen_test(unsupported = test)]
fn counts_are_estimates_until_the_tokenizer_is_ready_then_exact_and_cached() {
    let transport = FakeTransport::default();
    let tokenizer = WordTokenizer::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi).with_tokenizer(&tokenizer);
    rt.settings.model = "gpt-4o-mini".into();
    transport.answer(
        200,
        &[
            &chunk(serde_json::json!({"content": "four words of answer"})),
            "[DONE]",
        ],
    );
    run(rt.handle(
        Command::SendMessage {
            session: "s".into(),
            text: "two words".into(),
        },
        &mut |_| {},
    ));
    let count = |rt: &mut Runtime<_, _, _, _, _>| {
        let mut events = Vec::new();
        run(rt.handle(
            Command::CountTokens {
                session: Some("s".into()),
                draft: "one two three".into(),
            },
            &mut |e| events.push(e),
        ));
        token_count(&events)
    };
    // Not loaded: 13 characters estimate to 4 tokens.
    let (_, draft, exact) = count(&mut rt);
    assert_eq!((draft, exact), (4, false));

    tokenizer.ready.set(true);
    let (conversation, draft, exact) = count(&mut rt);
    // "Be brief." + "two words" + "four words of answer", each with its frame.
    assert_eq!((conversation, draft, exact), (2 + 2 + 4 + 3 * 4, 3, true));
    let batches = tokenizer.asked.borrow().len();

    // Counted once: asking again sends nothing new to the tokenizer.
    assert_eq!(count(&mut rt), (20, 3, true));
    assert_eq!(tokenizer.asked.borrow().len(), batches);
}

#[wasm_bindgen_test(unsupported = test)]
fn exact_counts_decide_when_to_compact() {
    let transport = FakeTransport::default();
    let tokenizer = WordTokenizer {
        ready: Cell::new(true),
        ..WordTokenizer::default()
    };
    let mut rt = runtime(&transport, ProviderId::OpenAi).with_tokenizer(&tokenizer);
    rt.settings.model = "gpt-4o".into();
    rt.settings.context_window = 120;
    rt.settings.answer_reserve = 0;
    rt.settings.keep_recent_tokens = 20;
    // One-letter words: a token each for the tokenizer, half a token by the estimate.
    // Two turns of 2 × 24 words stay under 90 % of 120; the estimate would never get there.
    let words = "a ".repeat(20);
    for i in 0..2 {
        transport.answer(
            200,
            &[
                &chunk(serde_json::json!({"content": format!("b {words}")})),
                "[DONE]",
            ],
        );
        run(rt.handle(
            Command::SendMessage {
                session: "s".into(),
                text: format!("q{i} {words}"),
            },
            &mut |_| {},
        ));
    }
    assert_eq!(transport.sent.borrow().len(), 2, "no compaction yet");
    let summary = serde_json::json!({"id": "x", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "## Goal\nQ."}, "finish_reason": "stop"}]});
    transport.json(200, None, &summary.to_string());
    transport.answer(
        200,
        &[&chunk(serde_json::json!({"content": "ok"})), "[DONE]"],
    );
    let mut events = Vec::new();
    run(rt.handle(
        Command::SendMessage {
            session: "s".into(),
            text: format!("q2 {words}"),
        },
        &mut |e| events.push(e),
    ));
    assert!(
        events.iter().any(|e| matches!(e, Event::Compacted { .. })),
        "{events:?}"
    );
}

fn declared_tools(request: &UpstreamRequest) -> Vec<String> {
    let body: serde_json::Value = serde_json::from_str(request.body.as_deref().unwrap()).unwrap();
    body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap().to_owned())
        .collect()
}

#[wasm_bindgen_test(unsupported = test)]
fn web_search_is_offered_once_a_search_key_is_set_and_goes_through_the_proxy() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    transport.answer(
        200,
        &[&chunk(serde_json::json!({"content": "Hi."})), "[DONE]"],
    );
    send(&mut rt, "s", "hello");
    assert!(!declared_tools(&transport.sent.borrow()[0]).contains(&"web_search".to_owned()));

    let brave: crate::protocol::KeyOwner = serde_json::from_str(r#""brave""#).unwrap();
    assert_eq!(
        brave,
        crate::protocol::KeyOwner::Search(ferry_core::search::SearchEngine::Brave)
    );
    run(rt.handle(
        Command::SetKey {
            provider: brave,
            key: "BSA-search-key".into(),
            remember: true,
        },
        &mut |_| {},
    ));
    let call = serde_json::json!({"tool_calls": [{"index": 0, "id": "call_s", "type": "function",
        "function": {"name": "web_search", "arguments": "{\"query\":\"ferry rust\",\"count\":2}"}}]});
    transport.answer(200, &[&chunk(call), "[DONE]"]);
    transport.json(
        200,
        None,
        r#"{"results":[{"title":"Ferry","url":"https://ferry.example/","snippet":"Bring your own key."}]}"#,
    );
    transport.answer(
        200,
        &[
            &chunk(serde_json::json!({"content": "Found it."})),
            "[DONE]",
        ],
    );
    let events = send(&mut rt, "s", "search for ferry");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::ToolCallFinished { ok: true, .. })),
        "{events:?}"
    );
    let sent = transport.sent.borrow();
    assert!(declared_tools(&sent[1]).contains(&"web_search".to_owned()));
    let search = &sent[2];
    assert_eq!(search.url, "https://proxy.test/v1/proxy/search");
    let header = |name: &str| {
        search
            .headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(header("x-provider").as_deref(), Some("brave"));
    assert_eq!(header("x-provider-key").as_deref(), Some("BSA-search-key"));
    let body: serde_json::Value = serde_json::from_str(search.body.as_deref().unwrap()).unwrap();
    assert_eq!(body, serde_json::json!({"query": "ferry rust", "count": 2}));
    // The results went back to the model; the search key did not.
    let last_call = sent[3].body.as_deref().unwrap();
    assert!(last_call.contains("https://ferry.example/"));
    assert!(!last_call.contains("BSA-search-key"));
    // Stored sealed, like a provider key.
    let keys = run(rt.store().keys()).unwrap();
    assert!(keys.iter().any(|k| k.provider == KeyOwner::from(brave)));
}

#[wasm_bindgen_test(unsupported = test)]
fn load_tells_the_settings_and_which_keys_are_held_never_the_keys() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    let events = command(&mut rt, Command::Load);
    let Event::Ready { settings, keys, .. } = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(settings.provider, ProviderId::OpenAi);
    assert_eq!(
        keys,
        &[crate::protocol::KeyOwner::Provider(ProviderId::OpenAi)]
    );
    assert!(matches!(events[1], Event::Sessions { .. }));
    assert!(!format!("{events:?}").contains(KEY));
}

#[wasm_bindgen_test(unsupported = test)]
fn models_are_listed_through_the_proxy_or_directly_in_the_providers_format() {
    let transport = FakeTransport::default();
    // Mistral takes no browser calls: through the proxy, an OpenAI list.
    let mut rt = runtime(&transport, ProviderId::Mistral);
    transport.json(
        200,
        None,
        r#"{"object":"list","data":[{"id":"gpt-4o","object":"model","created":1,"owned_by":"openai"},{"id":"gpt-4o-mini","object":"model","created":1,"owned_by":"openai"}]}"#,
    );
    let events = command(
        &mut rt,
        Command::ListModels {
            provider: ProviderId::Mistral,
        },
    );
    assert_eq!(
        events,
        [Event::Models {
            provider: ProviderId::Mistral,
            models: vec!["gpt-4o".into(), "gpt-4o-mini".into()]
        }]
    );
    let sent = transport.sent.borrow();
    assert_eq!(sent[0].url, "https://proxy.test/v1/proxy/models");
    assert!(
        sent[0]
            .headers
            .contains(&("x-provider-key", KEY.to_owned()))
    );
    drop(sent);

    // Anthropic does: directly, its own format.
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::Anthropic);
    transport.json(
        200,
        None,
        r#"{"data":[{"type":"model","id":"claude-sonnet-4-5","display_name":"Claude Sonnet 4.5","created_at":"2025-09-29T00:00:00Z"}],"has_more":false}"#,
    );
    let events = command(
        &mut rt,
        Command::ListModels {
            provider: ProviderId::Anthropic,
        },
    );
    assert!(
        matches!(&events[0], Event::Models { models, .. } if models == &["claude-sonnet-4-5"]),
        "{events:?}"
    );
    assert!(transport.urls()[0].starts_with("https://api.anthropic.com/v1/models"));
}

#[wasm_bindgen_test(unsupported = test)]
fn a_refused_model_list_is_an_error_without_the_key() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::Mistral);
    transport.json(
        401,
        None,
        &format!(r#"{{"error":{{"message":"Incorrect API key provided: {KEY}","code":"invalid_api_key"}}}}"#),
    );
    let events = command(
        &mut rt,
        Command::ListModels {
            provider: ProviderId::Mistral,
        },
    );
    assert!(
        matches!(
            &events[0],
            Event::Error {
                kind: ErrorKind::ProviderRefused,
                ..
            }
        ),
        "{events:?}"
    );
    assert!(!format!("{events:?}").contains(KEY));
}

#[wasm_bindgen_test(unsupported = test)]
fn a_stop_pressed_before_the_first_token_still_stops_the_turn() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    transport.answer(
        200,
        &[
            &chunk(serde_json::json!({"content": "never "})),
            &chunk(serde_json::json!({"content": "shown"})),
            "[DONE]",
        ],
    );
    // Pressed while the command is on its way, before any answer.
    rt.stop_handle().stop();
    let events = send(&mut rt, "s", "hi");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::TurnFinished { stopped: true, .. })),
        "{events:?}"
    );
    // Consumed by that turn: the next one runs to its end.
    transport.answer(
        200,
        &[&chunk(serde_json::json!({"content": "ok"})), "[DONE]"],
    );
    let events = send(&mut rt, "s", "again");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::TurnFinished { stopped: false, .. }))
    );
}

const ADA: &str = "7a6f0c2e-3b1d-4c5e-9f8a-0b1c2d3e4f50";
const MALLORY: &str = "0d9c8b7a-6f5e-4d3c-2b1a-000000000bad";

/// An access token (unsigned: the runtime only reads it) for `sub`.
fn token_for(sub: &str, email: &str) -> String {
    let payload = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        serde_json::json!({"sub": sub, "email": email}).to_string(),
    );
    format!("h.{payload}.s")
}

/// Supabase's answer to a code exchange, a session for `sub`.
fn session_answer(sub: &str, email: &str, refresh: &str, expires_in: u64) -> String {
    serde_json::json!({
        "access_token": token_for(sub, email), "token_type": "bearer", "expires_in": expires_in,
        "refresh_token": refresh, "user": {"id": sub, "email": email}
    })
    .to_string()
}

fn supabase_runtime(transport: &FakeTransport) -> TestRuntime<'_> {
    // Mistral goes through the proxy, so the access token shows in the calls.
    let mut rt = runtime(transport, ProviderId::Mistral);
    rt.settings.supabase_url = Some("https://abc.supabase.co".into());
    rt.settings.supabase_anon_key = Some("anon".into());
    rt
}

/// Asks for a magic link (the verifier is kept); returns the challenge sent.
fn ask_for_link(rt: &mut TestRuntime<'_>, transport: &FakeTransport) -> String {
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

fn come_back_with_code(rt: &mut TestRuntime<'_>, code: &str) -> Vec<Event> {
    command(
        rt,
        Command::CompleteSignIn {
            query: format!("?code={code}"),
            fragment: String::new(),
        },
    )
}

fn signed_in_runtime(transport: &FakeTransport, expires_in: u64) -> TestRuntime<'_> {
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

#[wasm_bindgen_test(unsupported = test)]
fn a_session_in_the_fragment_signs_no_one_in() {
    let transport = FakeTransport::default();
    let mut rt = supabase_runtime(&transport);
    ask_for_link(&mut rt, &transport);
    transport.sent.borrow_mut().clear();
    let events = command(
        &mut rt,
        Command::CompleteSignIn {
            query: String::new(),
            fragment: format!(
                "#access_token={}&refresh_token=r-mallory&expires_in=3600&token_type=bearer",
                token_for(MALLORY, "mallory@example.test")
            ),
        },
    );
    assert!(
        matches!(&events[..], [Event::Error { kind: ErrorKind::InvalidRequest, message, .. }] if message.contains("Nobody was signed in")),
        "{events:?}"
    );
    assert!(transport.urls().is_empty(), "nothing asked of Supabase");
    assert_eq!(rt.signed_in_user(), None);
    assert!(
        run(rt.store().keys())
            .unwrap()
            .iter()
            .all(|k| k.provider != KeyOwner::Account(crate::store::Account::Supabase))
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_code_this_browser_did_not_ask_for_signs_no_one_in() {
    let transport = FakeTransport::default();
    let mut rt = supabase_runtime(&transport);
    // No sign-in was started here: there is no verifier to trade the code with.
    let events = come_back_with_code(&mut rt, "someone-elses-code");
    assert!(
        matches!(
            &events[..],
            [Event::Error {
                kind: ErrorKind::InvalidRequest,
                ..
            }]
        ),
        "{events:?}"
    );
    assert!(transport.urls().is_empty());
    assert_eq!(rt.signed_in_user(), None);
    // With a sign-in started, a code made for another verifier is refused by Supabase.
    ask_for_link(&mut rt, &transport);
    transport.json(
        400,
        None,
        r#"{"code":400,"error_code":"bad_code_verifier","msg":"code challenge does not match previously saved code verifier"}"#,
    );
    let events = come_back_with_code(&mut rt, "someone-elses-code");
    assert!(
        matches!(&events[..], [Event::Error { kind: ErrorKind::InvalidRequest, message, .. }] if message.contains("code challenge does not match")),
        "{events:?}"
    );
    assert_eq!(rt.signed_in_user(), None);
}

#[wasm_bindgen_test(unsupported = test)]
fn oauth_starts_with_the_challenge_of_the_kept_verifier() {
    let transport = FakeTransport::default();
    let mut rt = supabase_runtime(&transport);
    let events = command(
        &mut rt,
        Command::SignInWithProvider {
            provider: crate::auth::OAuthProvider::Github,
            redirect_to: "http://127.0.0.1:8080/".into(),
        },
    );
    let [Event::SignInRedirect { url }] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert!(url.starts_with("https://abc.supabase.co/auth/v1/authorize?provider=github&redirect_to=http%3A%2F%2F127.0.0.1%3A8080%2F&code_challenge="), "{url}");
    assert!(url.ends_with("&code_challenge_method=s256"));
    // A second sign-in started soon after (an emailed link) uses the same verifier, so
    // either way back works.
    let challenge = ask_for_link(&mut rt, &transport);
    assert!(
        url.contains(&format!("code_challenge={challenge}&")),
        "{url}"
    );
    let stored = format!("{:?}", run(rt.store().keys()).unwrap());
    assert!(stored.contains("SupabaseSignIn"), "{stored}");
}

#[wasm_bindgen_test(unsupported = test)]
fn a_sign_in_to_another_account_waits_for_the_users_yes() {
    let transport = FakeTransport::default();
    let mut rt = signed_in_runtime(&transport, 3600);
    let mine = rt.settings.clone();
    ask_for_link(&mut rt, &transport);
    transport.sent.borrow_mut().clear();
    transport.json(
        200,
        None,
        &session_answer(MALLORY, "mallory@example.test", "refresh-m", 3600),
    );
    let events = come_back_with_code(&mut rt, "code-m");
    assert_eq!(
        events,
        [Event::ConfirmAccountSwitch {
            current: "ada@example.test".into(),
            next: "mallory@example.test".into()
        }]
    );
    // Nothing of the other account is in force: same user, same settings, nothing synced.
    assert_eq!(
        transport.urls(),
        ["https://abc.supabase.co/auth/v1/token?grant_type=pkce"]
    );
    assert_eq!(rt.signed_in_user().as_deref(), Some(ADA));
    assert_eq!(rt.settings, mine);
    // Staying: the other session is dropped.
    let events = command(&mut rt, Command::SwitchAccount { confirm: false });
    assert!(
        matches!(&events[..], [Event::Ready { signed_in: Some(user), .. }] if user == ADA),
        "{events:?}"
    );
    let events = command(&mut rt, Command::SwitchAccount { confirm: true });
    assert!(matches!(
        &events[..],
        [Event::Error {
            kind: ErrorKind::InvalidRequest,
            ..
        }]
    ));
    assert_eq!(rt.signed_in_user().as_deref(), Some(ADA));
    // Asked again, and switching: the other account is signed in, its settings synced.
    transport.json(
        200,
        None,
        &session_answer(MALLORY, "mallory@example.test", "refresh-m2", 3600),
    );
    come_back_with_code(&mut rt, "code-m2");
    transport.json(200, None, "[]");
    transport.json(201, None, "");
    let events = command(&mut rt, Command::SwitchAccount { confirm: true });
    assert_eq!(
        events[1],
        Event::SignedIn {
            user: MALLORY.into()
        }
    );
    assert_eq!(rt.signed_in_user().as_deref(), Some(MALLORY));
}

#[wasm_bindgen_test(unsupported = test)]
fn the_same_account_signing_in_again_needs_no_question() {
    let transport = FakeTransport::default();
    let mut rt = signed_in_runtime(&transport, 3600);
    ask_for_link(&mut rt, &transport);
    transport.json(
        200,
        None,
        &session_answer(ADA, "ada@example.test", "refresh-9", 3600),
    );
    transport.json(200, None, "[]");
    transport.json(201, None, "");
    let events = come_back_with_code(&mut rt, "code-9");
    assert_eq!(events.last(), Some(&Event::SignedIn { user: ADA.into() }));
}

#[wasm_bindgen_test(unsupported = test)]
fn usage_rows_of_another_user_are_set_aside_not_sent() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    rt.settings.supabase_url = Some("https://project.supabase.test".into());
    let row = |id: &str, user: &str| {
        ferry_core::usage::UsageRecord::new(&ferry_core::usage::CallOutcome {
            request_id: id,
            user_id: user,
            started_ms: 1,
            finished_ms: 2,
            route: ferry_core::usage::UsageRoute::Direct,
            provider: ProviderId::OpenAi,
            model: "m",
            usage: None,
            error_code: None,
        })
    };
    run(rt.store().put_outbox(&row("r-ada", ADA))).unwrap();
    run(rt.store().put_outbox(&row("r-mallory", MALLORY))).unwrap();
    // Mallory is signed in now: only her row goes, Ada's waits for Ada.
    transport.json(201, None, "");
    command(
        &mut rt,
        Command::SetAccessToken {
            token: Some(token_for(MALLORY, "mallory@example.test")),
        },
    );
    let sent = transport.sent.borrow().last().cloned().unwrap();
    let rows: Vec<serde_json::Value> = serde_json::from_str(sent.body.as_deref().unwrap()).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["user_id"], MALLORY);
    let waiting = run(rt.store().outbox()).unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].user_id, ADA);
    // Nothing of Mallory's waiting: no request at all, Ada's row stays.
    transport.sent.borrow_mut().clear();
    command(
        &mut rt,
        Command::SetAccessToken {
            token: Some(token_for(MALLORY, "m")),
        },
    );
    assert!(transport.urls().is_empty());
    // Ada back: her row goes.
    transport.json(201, None, "");
    command(
        &mut rt,
        Command::SetAccessToken {
            token: Some(token_for(ADA, "a")),
        },
    );
    assert_eq!(transport.sent.borrow().len(), 1);
    assert!(run(rt.store().outbox()).unwrap().is_empty());
}

#[wasm_bindgen_test(unsupported = test)]
fn a_usage_row_supabase_will_never_take_is_dropped_alone() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    rt.settings.supabase_url = Some("https://project.supabase.test".into());
    let row = |id: &str, model: &str| {
        ferry_core::usage::UsageRecord::new(&ferry_core::usage::CallOutcome {
            request_id: id,
            user_id: ADA,
            started_ms: 1,
            finished_ms: 2,
            route: ferry_core::usage::UsageRoute::Direct,
            provider: ProviderId::OpenAi,
            model,
            usage: None,
            error_code: None,
        })
    };
    for (id, model) in [("r-1", "m"), ("r-bad", "m\u{0}"), ("r-3", "m")] {
        run(rt.store().put_outbox(&row(id, model))).unwrap();
    }
    let sign_in = |rt: &mut TestRuntime<'_>| {
        command(
            rt,
            Command::SetAccessToken {
                token: Some(token_for(ADA, "ada@example.test")),
            },
        )
    };
    // Supabase failing: nothing is the rows' fault, all three wait.
    transport.json(503, None, "");
    sign_in(&mut rt);
    assert_eq!(run(rt.store().outbox()).unwrap().len(), 3);
    // The batch refused for what it holds: each row alone, and only the bad one is dropped.
    transport.sent.borrow_mut().clear();
    transport.json(400, None, r#"{"code":"22P05"}"#);
    transport.json(201, None, "");
    transport.json(400, None, r#"{"code":"22P05"}"#);
    transport.json(201, None, "");
    sign_in(&mut rt);
    let sizes: Vec<usize> = transport
        .sent
        .borrow()
        .iter()
        .map(|r| {
            serde_json::from_str::<Vec<serde_json::Value>>(r.body.as_deref().unwrap())
                .unwrap()
                .len()
        })
        .collect();
    assert_eq!(sizes, [3, 1, 1, 1]);
    assert!(run(rt.store().outbox()).unwrap().is_empty());
}

#[wasm_bindgen_test(unsupported = test)]
fn settings_saved_on_another_device_arrive_with_the_sign_in() {
    let transport = FakeTransport::default();
    let mut rt = signed_in_runtime(&transport, 3600);
    // Changed elsewhere: a Load (at start) takes them.
    let before = rt.settings.clone();
    let mut elsewhere = serde_json::to_value(settings(ProviderId::Mistral)).unwrap();
    elsewhere["model"] = "mistral-large".into();
    // What the row's owner may also have written: never taken.
    elsewhere["supabase_url"] = "https://evil.supabase.test".into();
    elsewhere["proxy_url"] = "https://evil.test".into();
    elsewhere["provider_base_url"] = "https://evil.test/v1".into();
    elsewhere["always_proxy"] = true.into();
    transport.json(
        200,
        None,
        &serde_json::json!([{ "settings": elsewhere }]).to_string(),
    );
    let events = command(&mut rt, Command::Load);
    let Some(Event::Ready { settings, .. }) = events.last() else {
        panic!("{events:?}")
    };
    assert_eq!(settings.model, "mistral-large");
    assert_eq!(
        (
            &settings.proxy_url,
            &settings.provider_base_url,
            settings.always_proxy,
            &settings.supabase_url
        ),
        (
            &before.proxy_url,
            &before.provider_base_url,
            before.always_proxy,
            &before.supabase_url
        )
    );
    let stored = run(rt.store().settings()).unwrap().unwrap();
    assert_eq!(stored["model"], "mistral-large");
    assert_eq!(stored["proxy_url"], "https://proxy.test");
    assert!(!stored.to_string().contains("evil"), "{stored}");
    // And a change here goes there.
    transport.json(201, None, "");
    let mut mine = serde_json::to_value(settings.clone()).unwrap();
    mine["model"] = "mistral-small".into();
    command(&mut rt, Command::SetSettings { settings: mine });
    let last = transport.sent.borrow().last().cloned().unwrap();
    assert!(
        last.url
            .ends_with("/rest/v1/user_settings?on_conflict=user_id")
    );
    let body = last.body.unwrap();
    assert!(body.contains("mistral-small"));
    assert!(!body.contains("proxy"), "{body}");
}

#[wasm_bindgen_test(unsupported = test)]
fn the_usage_page_reads_the_users_rows_and_sums_them_per_day() {
    let transport = FakeTransport::default();
    let mut rt = signed_in_runtime(&transport, 3600);
    transport.json(
        200,
        None,
        r#"[{"created_at":"2026-11-24T10:00:00+00:00","route":"proxy","provider":"openai","model":"gpt-4o-mini","input_tokens":11,"output_tokens":7,"cost_usd":0.000006,"error_code":null},
            {"created_at":"2026-11-23T10:00:00+00:00","route":"direct","provider":"anthropic","model":"claude-sonnet-4-5","input_tokens":100,"output_tokens":50,"cost_usd":0.00105,"error_code":null}]"#,
    );
    let events = command(
        &mut rt,
        Command::LoadUsage {
            since: "2026-10-25T00:00:00Z".into(),
        },
    );
    let [Event::UsageReport { days, rows }] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert_eq!(rows.len(), 2);
    assert_eq!(
        days.iter().map(|d| d.day.as_str()).collect::<Vec<_>>(),
        ["2026-11-23", "2026-11-24"]
    );
    assert!(bearer(&transport.sent.borrow()[0]).is_some_and(|b| b.starts_with("Bearer h.")));
}

fn bearer(request: &UpstreamRequest) -> Option<String> {
    request
        .headers
        .iter()
        .find(|(n, _)| *n == "authorization")
        .map(|(_, v)| v.clone())
}

#[wasm_bindgen_test(unsupported = test)]
fn a_sign_in_is_kept_sealed_and_its_token_goes_to_the_proxy() {
    let transport = FakeTransport::default();
    let mut rt = signed_in_runtime(&transport, 3600);
    let stored = format!("{:?}", run(rt.store().keys()).unwrap());
    assert!(stored.contains("Account(Supabase)"), "{stored}");
    assert!(!stored.contains("refresh-1"), "sealed: {stored}");
    transport.answer(
        200,
        &[&chunk(serde_json::json!({"content": "hi"})), "[DONE]"],
    );
    send(&mut rt, "s", "hello");
    let sent = transport.sent.borrow();
    assert_eq!(sent.len(), 1, "no refresh needed yet");
    assert!(bearer(&sent[0]).is_some_and(|b| b.starts_with("Bearer h.")));
    drop(sent);
    let events = command(&mut rt, Command::Load);
    assert!(matches!(
        &events[0],
        Event::Ready {
            signed_in: Some(_),
            ..
        }
    ));
}

#[wasm_bindgen_test(unsupported = test)]
fn a_session_about_to_expire_is_refreshed_before_the_call() {
    let transport = FakeTransport::default();
    let mut rt = signed_in_runtime(&transport, 30);
    transport.json(
        200,
        None,
        r#"{"access_token":"fresh.token.x","token_type":"bearer","expires_in":3600,"refresh_token":"refresh-2","user":{"id":"u"}}"#,
    );
    transport.answer(
        200,
        &[&chunk(serde_json::json!({"content": "hi"})), "[DONE]"],
    );
    send(&mut rt, "s", "hello");
    let sent = transport.sent.borrow();
    assert_eq!(
        sent[0].url,
        "https://abc.supabase.co/auth/v1/token?grant_type=refresh_token"
    );
    assert_eq!(
        sent[0].body.as_deref(),
        Some(r#"{"refresh_token":"refresh-1"}"#)
    );
    assert_eq!(bearer(&sent[1]).as_deref(), Some("Bearer fresh.token.x"));
}

#[wasm_bindgen_test(unsupported = test)]
fn a_refused_refresh_signs_out_and_says_so() {
    let transport = FakeTransport::default();
    let mut rt = signed_in_runtime(&transport, 30);
    transport.json(
        400,
        None,
        r#"{"error":"invalid_grant","error_description":"Invalid Refresh Token: Already Used"}"#,
    );
    let events = command(&mut rt, Command::Load);
    assert_eq!(events[0], Event::SignedOut);
    assert!(matches!(
        &events[1],
        Event::Error {
            kind: ErrorKind::Unauthorized,
            ..
        }
    ));
    assert!(
        run(rt.store().keys())
            .unwrap()
            .iter()
            .all(|k| k.provider != KeyOwner::Account(crate::store::Account::Supabase))
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn sign_out_ends_the_session_there_and_here() {
    let transport = FakeTransport::default();
    let mut rt = signed_in_runtime(&transport, 3600);
    transport.json(204, None, "");
    let events = command(&mut rt, Command::SignOut);
    assert_eq!(events, [Event::SignedOut]);
    assert_eq!(transport.urls(), ["https://abc.supabase.co/auth/v1/logout"]);
    let events = command(&mut rt, Command::Load);
    assert!(matches!(
        &events[0],
        Event::Ready {
            signed_in: None,
            ..
        }
    ));
}

#[wasm_bindgen_test(unsupported = test)]
fn the_magic_link_is_asked_for() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::Mistral);
    rt.settings.supabase_url = Some("https://abc.supabase.co".into());
    transport.json(200, None, "{}");
    let events = command(
        &mut rt,
        Command::SignInWithEmail {
            email: "ada@example.test".into(),
            redirect_to: "http://127.0.0.1:8080/".into(),
        },
    );
    assert_eq!(
        events,
        [Event::MagicLinkSent {
            email: "ada@example.test".into()
        }]
    );
    assert!(transport.urls()[0].starts_with("https://abc.supabase.co/auth/v1/otp?redirect_to="));
}

mod approvals;

#[wasm_bindgen_test(unsupported = test)]
fn refusals_are_read_by_core_in_the_format_of_who_wrote_them() {
    // Anthropic called directly: its envelope, its type as the code.
    let anthropic = refusal(
        ProviderId::Anthropic,
        401,
        None,
        format!(r#"{{"type":"error","error":{{"type":"authentication_error","message":"invalid x-api-key {KEY}"}}}}"#).as_bytes(),
        KEY,
    );
    assert_eq!(anthropic.kind, ErrorKind::ProviderRefused);
    assert_eq!(anthropic.message, "invalid x-api-key [redacted]");
    // Gemini called directly: its numeric code is no contract code.
    let google = refusal(
        ProviderId::Google,
        429,
        Some(7),
        br#"{"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED"}}"#,
        KEY,
    );
    assert_eq!(
        (google.kind, google.message.as_str()),
        (
            ErrorKind::RateLimited {
                retry_after_secs: 7
            },
            "Resource has been exhausted"
        )
    );
    // The proxy writes the contract's body (OpenAI's format) with its codes.
    let proxy = refusal(
        ProviderId::OpenAi,
        429,
        Some(600),
        br#"{"error":{"type":"rate_limit_error","code":"quota_exceeded","message":"daily token quota exceeded"}}"#,
        KEY,
    );
    assert_eq!(
        proxy.kind,
        ErrorKind::QuotaExceeded {
            retry_after_secs: 600
        }
    );
    let disabled = refusal(
        ProviderId::OpenAi,
        503,
        None,
        br#"{"error":{"type":"service_unavailable","code":"proxy_disabled","message":"off"}}"#,
        KEY,
    );
    assert_eq!(disabled.kind, ErrorKind::ProviderDisabled);
    // A body that is no error of its format: the status is the message.
    for body in [&b"<html>Bad gateway</html>"[..], br#"{"error":{}}"#] {
        let failed = refusal(ProviderId::Google, 502, None, body, KEY);
        assert_eq!(
            (failed.kind, failed.message.as_str()),
            (ErrorKind::Upstream, "HTTP 502")
        );
    }
}

//! A turn along its fallback chain: a 503 or a hang moves to the next link, a short 429
//! is waited out on the same link, a long one moves on, Stop during a wait stops the
//! turn, other refusals end the chain; what each link was sent; a usage row per attempt.

use std::cell::RefCell;

use serde_json::json;

use super::*;
use crate::protocol::{AnsweredBy, ChatParams, ModelRef, Skipped};

/// A clock whose sleeps end at once (time moves on by what they slept), so a deadline is
/// reached as soon as a call is left waiting; with `stop_at_sleep`, a sleep presses Stop
/// instead and never ends, as a user would during a wait.
#[derive(Default)]
struct TickClock {
    now: Cell<u64>,
    slept: RefCell<Vec<u64>>,
    stop_at_sleep: RefCell<Option<StopHandle>>,
}

impl Clock for TickClock {
    fn now_ms(&self) -> u64 {
        self.now.set(self.now.get() + 1);
        self.now.get()
    }
    fn new_id(&self) -> String {
        format!("id{}", self.now_ms())
    }
    async fn sleep(&self, ms: u64) {
        let stop = self.stop_at_sleep.borrow_mut().take();
        if let Some(stop) = stop {
            stop.stop();
            std::future::pending::<()>().await;
        }
        self.slept.borrow_mut().push(ms);
        self.now.set(self.now.get() + ms);
    }
}

type ChainRuntime<'t> = Runtime<&'t FakeTransport, MemoryStore, FakeVault, TickClock>;

fn link(model: &str) -> ModelRef {
    ModelRef {
        provider: ProviderId::OpenAi,
        model: model.into(),
    }
}

/// OpenAI's `gpt-main`, then `fallbacks`; direct calls only (no proxy), so each link is
/// one request.
fn chain_runtime<'t>(transport: &'t FakeTransport, fallbacks: &[&str]) -> ChainRuntime<'t> {
    let settings = Settings {
        model: "gpt-main".into(),
        proxy_url: None,
        fallbacks: fallbacks.iter().map(|m| link(m)).collect(),
        ..settings(ProviderId::OpenAi)
    };
    let mut rt = Runtime::new(
        transport,
        MemoryStore::default(),
        FakeVault,
        TickClock::default(),
        settings,
    );
    run(rt.handle(
        Command::SetKey {
            provider: ProviderId::OpenAi.into(),
            key: KEY.into(),
            remember: true,
        },
        &mut |_| {},
    ));
    rt
}

fn ask(rt: &mut ChainRuntime<'_>, text: &str) -> Vec<Event> {
    let mut events = Vec::new();
    run(rt.handle(
        Command::SendMessage {
            session: "s".into(),
            text: text.into(),
            attachments: Vec::new(),
        },
        &mut |e| events.push(e),
    ));
    events
}

fn hello(transport: &FakeTransport) {
    transport.answer(200, &[&chunk(json!({"content": "Hello"})), "[DONE]"]);
}

fn overloaded(transport: &FakeTransport) {
    transport.json(
        503,
        None,
        r#"{"error":{"message":"overloaded","type":"server_error"}}"#,
    );
}

fn rate_limited(transport: &FakeTransport, retry_after: u64) {
    transport.json(
        429,
        Some(retry_after),
        r#"{"error":{"message":"slow down","type":"rate_limit_error"}}"#,
    );
}

fn models_sent(transport: &FakeTransport) -> Vec<String> {
    (0..transport.sent.borrow().len())
        .map(|n| transport.body(n)["model"].as_str().unwrap_or("").to_owned())
        .collect()
}

fn answer(rt: &ChainRuntime<'_>) -> StoredMessage {
    run(rt.store().messages("s"))
        .unwrap()
        .into_iter()
        .find(|m| m.message.role == Role::Assistant)
        .unwrap()
}

fn skipped(model: &str, reason: &str) -> Skipped {
    Skipped {
        provider: ProviderId::OpenAi,
        model: model.into(),
        reason: reason.into(),
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn a_503_moves_to_the_next_link_which_answers() {
    let transport = FakeTransport::default();
    overloaded(&transport);
    hello(&transport);
    let mut rt = chain_runtime(&transport, &["gpt-backup"]);
    let events = ask(&mut rt, "hi");
    assert!(matches!(
        events.last(),
        Some(Event::TurnFinished { stopped: false, .. })
    ));
    assert_eq!(models_sent(&transport), ["gpt-main", "gpt-backup"]);
    let answer = answer(&rt);
    assert_eq!(answer.message.text_content(), "Hello");
    assert_eq!(
        answer.answered_by,
        Some(AnsweredBy {
            provider: ProviderId::OpenAi,
            model: "gpt-backup".into(),
            skipped: vec![skipped("gpt-main", "server error: overloaded")],
        })
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_hang_times_out_and_moves_on() {
    let transport = FakeTransport::default();
    // Headers, then nothing: no first chunk within the deadline.
    transport.headed(200, &[], Vec::new(), true);
    hello(&transport);
    let mut rt = chain_runtime(&transport, &["gpt-backup"]);
    rt.settings.first_answer_timeout_secs = 5;
    ask(&mut rt, "hi");
    assert_eq!(models_sent(&transport), ["gpt-main", "gpt-backup"]);
    assert_eq!(
        answer(&rt).answered_by.unwrap().skipped,
        [skipped("gpt-main", "timed out: no answer in 5 s")]
    );
    assert_eq!(rt.clock.slept.borrow().len(), 1);
}

#[wasm_bindgen_test(unsupported = test)]
fn a_short_retry_after_is_waited_out_on_the_same_link() {
    let transport = FakeTransport::default();
    rate_limited(&transport, 2);
    hello(&transport);
    let mut rt = chain_runtime(&transport, &["gpt-backup"]);
    let events = ask(&mut rt, "hi");
    let waits: Vec<(String, u64)> = events
        .iter()
        .filter_map(|e| match e {
            Event::FallbackWait { model, seconds, .. } => Some((model.clone(), *seconds)),
            _ => None,
        })
        .collect();
    assert_eq!(waits, [("gpt-main".to_owned(), 2)]);
    assert_eq!(*rt.clock.slept.borrow(), [2_000]);
    assert_eq!(models_sent(&transport), ["gpt-main", "gpt-main"]);
    let answered = answer(&rt).answered_by.unwrap();
    assert_eq!(
        (answered.model.as_str(), answered.skipped.len()),
        ("gpt-main", 0)
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_short_retry_after_is_retried_at_most_three_times() {
    let transport = FakeTransport::default();
    for _ in 0..4 {
        rate_limited(&transport, 1);
    }
    hello(&transport);
    let mut rt = chain_runtime(&transport, &["gpt-backup"]);
    ask(&mut rt, "hi");
    // Backoff from 1 s, doubling: 1, 2 and 4 s.
    assert_eq!(*rt.clock.slept.borrow(), [1_000, 2_000, 4_000]);
    assert_eq!(
        models_sent(&transport),
        ["gpt-main", "gpt-main", "gpt-main", "gpt-main", "gpt-backup"]
    );
    assert_eq!(
        answer(&rt).answered_by.unwrap().skipped,
        [skipped(
            "gpt-main",
            "429 rate limited, still after 3 retries"
        )]
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_long_retry_after_moves_on_at_once() {
    let transport = FakeTransport::default();
    rate_limited(&transport, 30);
    hello(&transport);
    let mut rt = chain_runtime(&transport, &["gpt-backup"]);
    ask(&mut rt, "hi");
    assert!(rt.clock.slept.borrow().is_empty());
    assert_eq!(
        answer(&rt).answered_by.unwrap().skipped,
        [skipped("gpt-main", "429 rate limited for 30 s")]
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn stop_during_a_wait_stops_the_whole_chain() {
    let transport = FakeTransport::default();
    rate_limited(&transport, 2);
    hello(&transport);
    let mut rt = chain_runtime(&transport, &["gpt-backup"]);
    *rt.clock.stop_at_sleep.borrow_mut() = Some(rt.stop_handle());
    let events = ask(&mut rt, "hi");
    assert!(matches!(
        events.last(),
        Some(Event::TurnFinished { stopped: true, .. })
    ));
    // Neither the same link again nor the next one.
    assert_eq!(models_sent(&transport), ["gpt-main"]);
}

#[wasm_bindgen_test(unsupported = test)]
fn other_refusals_end_the_chain() {
    let transport = FakeTransport::default();
    transport.json(
        401,
        None,
        r#"{"error":{"message":"bad key","type":"invalid_request_error","code":"invalid_api_key"}}"#,
    );
    hello(&transport);
    let mut rt = chain_runtime(&transport, &["gpt-backup"]);
    let events = ask(&mut rt, "hi");
    assert_eq!(models_sent(&transport), ["gpt-main"]);
    assert!(events.iter().any(|e| matches!(e, Event::Error { .. })));
}

#[wasm_bindgen_test(unsupported = test)]
fn when_every_link_fails_the_error_names_the_skipped() {
    let transport = FakeTransport::default();
    overloaded(&transport);
    overloaded(&transport);
    let mut rt = chain_runtime(&transport, &["gpt-backup"]);
    let events = ask(&mut rt, "hi");
    let message = events.iter().find_map(|e| match e {
        Event::Error { message, .. } => Some(message.clone()),
        _ => None,
    });
    assert_eq!(
        message.as_deref(),
        Some("overloaded (before: gpt-main: server error: overloaded)")
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_single_model_answers_as_before() {
    let transport = FakeTransport::default();
    hello(&transport);
    let mut rt = chain_runtime(&transport, &[]);
    ask(&mut rt, "hi");
    assert_eq!(answer(&rt).answered_by, None);
}

#[wasm_bindgen_test(unsupported = test)]
fn each_link_gets_only_the_parameters_its_model_takes() {
    let transport = FakeTransport::default();
    overloaded(&transport);
    hello(&transport);
    let mut rt = chain_runtime(&transport, &["o3-mini"]);
    rt.settings.params = ChatParams {
        temperature: Some(0.5),
        ..ChatParams::default()
    };
    rt.settings.model = "gpt-4o".into();
    ask(&mut rt, "hi");
    assert_eq!(transport.body(0)["temperature"], json!(0.5));
    assert_eq!(transport.body(1)["model"], "o3-mini");
    assert_eq!(transport.body(1).get("temperature"), None);
}

#[wasm_bindgen_test(unsupported = test)]
fn a_chats_own_chain_takes_the_place_of_the_default() {
    let transport = FakeTransport::default();
    overloaded(&transport);
    hello(&transport);
    let mut rt = chain_runtime(&transport, &["gpt-backup"]);
    let session = run(rt.new_session()).unwrap();
    let mut events = Vec::new();
    run(rt.handle(
        Command::SetChatFallbacks {
            session: session.clone(),
            fallbacks: Some(vec![link("gpt-own")]),
        },
        &mut |e| events.push(e),
    ));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Sessions { sessions }
        if sessions[0].fallbacks == Some(vec![link("gpt-own")])))
    );
    run(rt.handle(
        Command::SendMessage {
            session,
            text: "hi".into(),
            attachments: Vec::new(),
        },
        &mut |_| {},
    ));
    assert_eq!(models_sent(&transport), ["gpt-main", "gpt-own"]);
}

#[wasm_bindgen_test(unsupported = test)]
fn each_direct_attempt_has_its_usage_row() {
    let transport = FakeTransport::default();
    overloaded(&transport);
    hello(&transport);
    let mut rt = chain_runtime(&transport, &["gpt-backup"]);
    rt.settings.supabase_url = Some("https://abc.supabase.co".into());
    rt.settings.supabase_anon_key = Some("anon".into());
    rt.set_access_token(Some(token_for("u1", "a@example.com")));
    ask(&mut rt, "hi");
    // Supabase is not scripted: the rows stay queued.
    let rows = run(rt.store().outbox()).unwrap();
    let mut rows: Vec<(String, Option<String>)> =
        rows.into_iter().map(|r| (r.model, r.error_code)).collect();
    rows.sort();
    assert_eq!(
        rows,
        [
            ("gpt-backup".to_owned(), None),
            ("gpt-main".to_owned(), Some("upstream_error".to_owned())),
        ]
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_link_to_a_service_ferry_does_not_know_is_refused_by_name_and_nothing_changes() {
    let transport = FakeTransport::default();
    let mut rt = chain_runtime(&transport, &["gpt-backup"]);
    let mut sent = serde_json::to_value(&rt.settings).unwrap();
    sent["model"] = "gpt-other".into();
    sent["fallbacks"] = json!([
        {"provider": "openai", "model": "gpt-4o-mini"},
        {"provider": "a-service-of-the-future", "model": "m"},
    ]);
    let mut events = Vec::new();
    run(rt.handle(
        Command::SetSettings {
            settings: sent.clone(),
        },
        &mut |e| events.push(e),
    ));
    let [Event::Error { kind, message, .. }] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert_eq!(*kind, ErrorKind::InvalidRequest);
    assert_eq!(
        message,
        r#"the settings were not saved: fallback model 2: the service "a-service-of-the-future" is not one Ferry knows"#
    );
    assert_eq!(rt.settings.model, "gpt-main");
    assert_eq!(rt.settings.fallbacks, [link("gpt-backup")]);
    assert_eq!(run(rt.store().settings()).unwrap(), None);
    // A link that is not even a model at a service says what it is instead.
    sent["fallbacks"] = json!(["gpt-4o-mini"]);
    events.clear();
    run(
        rt.handle(Command::SetSettings { settings: sent }, &mut |e| {
            events.push(e)
        }),
    );
    assert!(
        matches!(events.as_slice(), [Event::Error { message, .. }]
            if message.starts_with("the settings were not saved: fallback model 1: invalid type")),
        "{events:?}"
    );
    assert_eq!(rt.settings.model, "gpt-main");
}

//! Branches: edits and regenerations as versions, switching between them, a branch copied
//! into a new chat, and — above all — that a model call sends exactly the path it answers.

use super::*;
use crate::compaction::Compaction;
use crate::protocol::MessageView;
use crate::store::CompactionRecord;

fn answer_with(transport: &FakeTransport, text: &str) {
    transport.answer(
        200,
        &[&chunk(serde_json::json!({"content": text})), "[DONE]"],
    );
}

/// Chat "s" of `exchanges`: each question sent and answered in turn.
fn chat(rt: &mut TestRuntime<'_>, transport: &FakeTransport, exchanges: &[(&str, &str)]) {
    for (question, answer) in exchanges {
        answer_with(transport, answer);
        send(rt, "s", question);
    }
}

/// `message` of chat "s" edited to `text` and sent again.
fn edit(rt: &mut TestRuntime<'_>, message: &str, text: &str) -> Vec<Event> {
    command(
        rt,
        Command::EditAndResend {
            session: "s".into(),
            message: message.into(),
            text: text.into(),
        },
    )
}

/// Chat "s" switched to the version `message`.
fn switch(rt: &mut TestRuntime<'_>, message: &str) -> Vec<Event> {
    command(
        rt,
        Command::SwitchBranch {
            session: "s".into(),
            message: message.into(),
        },
    )
}

/// A new answer in chat "s" to what `message` (an answer; `None`: the last) answered.
fn regenerate(rt: &mut TestRuntime<'_>, message: Option<String>) -> Vec<Event> {
    command(
        rt,
        Command::Regenerate {
            session: "s".into(),
            message,
        },
    )
}

/// The messages the session shows (its path), as `SessionOpened` gives them.
fn opened(rt: &mut TestRuntime<'_>, session: &str) -> Vec<MessageView> {
    let events = command(
        rt,
        Command::OpenSession {
            session: session.into(),
            message: None,
        },
    );
    last_opened(&events)
}

fn last_opened(events: &[Event]) -> Vec<MessageView> {
    events
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::SessionOpened { messages, .. } => Some(messages.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

fn texts(views: &[MessageView]) -> Vec<String> {
    views.iter().map(|m| m.message.text_content()).collect()
}

/// The texts of the messages the `n`th request sent, the system prompt left out.
fn sent_texts(transport: &FakeTransport, n: usize) -> Vec<String> {
    transport.body(n)["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] != "system")
        .map(|m| m["content"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[wasm_bindgen_test(unsupported = test)]
fn an_edit_is_a_new_version_and_the_old_one_stays() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    chat(&mut rt, &transport, &[("q1", "a1"), ("q2", "a2")]);
    let q2 = opened(&mut rt, "s")[2].id.clone();
    answer_with(&transport, "a2b");
    let events = edit(&mut rt, &q2, "q2b");
    // The new branch is shown before its answer streams in.
    let first = events
        .iter()
        .position(|e| matches!(e, Event::SessionOpened { .. }))
        .unwrap();
    let delta = events
        .iter()
        .position(|e| matches!(e, Event::Delta { .. }))
        .unwrap();
    assert!(first < delta, "{events:?}");
    // Nothing deleted: five messages stored, four shown.
    assert_eq!(stored_texts(&rt, "s").len(), 6);
    let shown = opened(&mut rt, "s");
    assert_eq!(texts(&shown), ["q1", "a1", "q2b", "a2b"]);
    let edited = &shown[2];
    assert_eq!(edited.siblings, [q2.clone(), edited.id.clone()]);
    assert_eq!(edited.parent.as_deref(), Some(shown[1].id.as_str()));
    assert!(shown[0].siblings.is_empty() && shown[3].siblings.is_empty());
    // Back to version 1: its answer follows.
    let events = switch(&mut rt, &q2);
    assert_eq!(texts(&last_opened(&events)), ["q1", "a1", "q2", "a2"]);
    // Reopened, the chat stays on the chosen branch.
    assert_eq!(texts(&opened(&mut rt, "s")), ["q1", "a1", "q2", "a2"]);
}

/// LobeChat's #6683: a branch's context leaked into another's requests. Here a model call
/// sends exactly the path from the root to the message it answers, whichever branch was
/// written last.
#[wasm_bindgen_test(unsupported = test)]
fn a_turn_on_one_branch_sends_nothing_of_another() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    chat(
        &mut rt,
        &transport,
        &[
            ("shared question", "shared answer"),
            ("alpha secret", "alpha answer"),
        ],
    );
    let alpha = opened(&mut rt, "s")[2].id.clone();
    answer_with(&transport, "beta answer");
    edit(&mut rt, &alpha, "beta question");
    // The edit's call: the shared part and the new version, nothing of alpha.
    assert_eq!(
        sent_texts(&transport, 2),
        ["shared question", "shared answer", "beta question"]
    );
    chat(&mut rt, &transport, &[("beta follow-up", "beta more")]);
    assert_eq!(
        sent_texts(&transport, 3),
        [
            "shared question",
            "shared answer",
            "beta question",
            "beta answer",
            "beta follow-up"
        ]
    );
    // Back on alpha: its own path only, beta's newer messages nowhere.
    switch(&mut rt, &alpha);
    chat(&mut rt, &transport, &[("alpha follow-up", "alpha more")]);
    assert_eq!(
        sent_texts(&transport, 4),
        [
            "shared question",
            "shared answer",
            "alpha secret",
            "alpha answer",
            "alpha follow-up"
        ]
    );
    // Regenerated on alpha: again alpha's path, up to its question.
    answer_with(&transport, "alpha again");
    regenerate(&mut rt, None);
    let last = sent_texts(&transport, 5);
    assert_eq!(last.last().map(String::as_str), Some("alpha follow-up"));
    assert!(!last.iter().any(|t| t.contains("beta")), "{last:?}");
    assert!(!last.contains(&"alpha more".to_owned()), "{last:?}");
}

#[wasm_bindgen_test(unsupported = test)]
fn regenerate_adds_a_version_of_the_answer() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    chat(&mut rt, &transport, &[("question", "first")]);
    answer_with(&transport, "second");
    regenerate(&mut rt, None);
    let shown = opened(&mut rt, "s");
    assert_eq!(texts(&shown), ["question", "second"]);
    assert_eq!(shown[1].siblings.len(), 2);
    // The first answer is there as version 1.
    let first = shown[1].siblings[0].clone();
    let events = switch(&mut rt, &first);
    assert_eq!(texts(&last_opened(&events)), ["question", "first"]);
    // An earlier answer regenerated by its id.
    answer_with(&transport, "third");
    let events = regenerate(&mut rt, Some(shown[1].id.clone()));
    assert!(!events.iter().any(|e| matches!(e, Event::Error { .. })));
    let shown = opened(&mut rt, "s");
    assert_eq!(texts(&shown), ["question", "third"]);
    assert_eq!(shown[1].siblings.len(), 3);
}

#[wasm_bindgen_test(unsupported = test)]
fn a_branch_into_a_new_chat_copies_the_path_up_to_a_message() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    chat(&mut rt, &transport, &[("q1", "a1"), ("q2", "a2")]);
    let original = opened(&mut rt, "s");
    let events = command(
        &mut rt,
        Command::BranchSession {
            session: "s".into(),
            message: original[1].id.clone(),
        },
    );
    let Some(Event::SessionCreated { session: copy }) = events
        .iter()
        .find(|e| matches!(e, Event::SessionCreated { .. }))
    else {
        panic!("{events:?}")
    };
    assert!(listed(&events).iter().any(|t| t.ends_with("(branch)")));
    let shown = last_opened(&events);
    assert_eq!(texts(&shown), ["q1", "a1"]);
    assert!(shown.iter().all(|m| &m.session == copy));
    assert!(shown.iter().all(|m| original.iter().all(|o| o.id != m.id)));
    // Its own context from then on; the original is as it was.
    answer_with(&transport, "b");
    send(&mut rt, copy, "in the branch");
    assert_eq!(sent_texts(&transport, 2), ["q1", "a1", "in the branch"]);
    assert_eq!(texts(&opened(&mut rt, "s")), ["q1", "a1", "q2", "a2"]);
}

#[wasm_bindgen_test(unsupported = test)]
fn search_finds_text_in_any_branch_and_opens_that_branch() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    chat(&mut rt, &transport, &[("birds?", "about pelicans")]);
    let first = opened(&mut rt, "s")[0].id.clone();
    answer_with(&transport, "about whales");
    edit(&mut rt, &first, "fish?");
    let events = command(
        &mut rt,
        Command::SearchSessions {
            query: "Pelican".into(),
        },
    );
    let Some(Event::Sessions { sessions }) = events.last() else {
        panic!("{events:?}")
    };
    let hit = sessions[0].hit.clone().unwrap();
    let events = command(
        &mut rt,
        Command::OpenSession {
            session: "s".into(),
            message: Some(hit),
        },
    );
    assert_eq!(texts(&last_opened(&events)), ["birds?", "about pelicans"]);
    // Not found anywhere: not listed.
    let events = command(
        &mut rt,
        Command::SearchSessions {
            query: "zebra".into(),
        },
    );
    assert!(listed(&events).is_empty());
}

#[wasm_bindgen_test(unsupported = test)]
fn a_summary_made_on_one_branch_is_not_sent_on_another_that_starts_before_it() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    chat(&mut rt, &transport, &[("q1", "a1"), ("q2", "a2")]);
    let shown = opened(&mut rt, "s");
    // A summary of q1 and a1 made on this branch, keeping q2 on.
    run(rt.store().put_compaction(&CompactionRecord::new(
        "s",
        Compaction {
            summary: "SUMMARY OF THE START".into(),
            first_kept: shown[2].id.clone(),
            summarized_tokens: 10,
        },
    )))
    .unwrap();
    chat(&mut rt, &transport, &[("q3", "a3")]);
    let on_branch = transport.body(2)["messages"].to_string();
    assert!(on_branch.contains("SUMMARY OF THE START"), "{on_branch}");
    assert!(!on_branch.contains("\"a1\""), "{on_branch}");
    // q1 edited: that branch starts before the summary, so it has none of it.
    answer_with(&transport, "a1b");
    edit(&mut rt, &shown[0].id, "q1b");
    let other = transport.body(3)["messages"].to_string();
    assert!(!other.contains("SUMMARY"), "{other}");
    assert_eq!(sent_texts(&transport, 3), ["q1b"]);
    // Nor does it show the marker.
    let events = command(
        &mut rt,
        Command::OpenSession {
            session: "s".into(),
            message: None,
        },
    );
    assert!(events.iter().any(|e| matches!(
        e,
        Event::SessionOpened {
            first_kept: None,
            ..
        }
    )));
}

#[wasm_bindgen_test(unsupported = test)]
fn export_and_import_keep_the_tree() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    chat(&mut rt, &transport, &[("q1", "a1")]);
    let q1 = opened(&mut rt, "s")[0].id.clone();
    answer_with(&transport, "a1b");
    edit(&mut rt, &q1, "q1b");
    switch(&mut rt, &q1);
    let document = exported(&mut rt, false);
    assert!(document.contains(r#""version":3"#));
    let mut fresh = empty_runtime(&transport, ProviderId::OpenAi);
    command(&mut fresh, Command::Import { document });
    let before = opened(&mut rt, "s");
    let after = opened(&mut fresh, "s");
    assert_eq!(after, before);
    assert_eq!(texts(&after), ["q1", "a1"]);
    assert_eq!(after[0].siblings.len(), 2);
}

#[wasm_bindgen_test(unsupported = test)]
fn a_version_2_export_imports_as_one_branch() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    let message = |id: &str, seq: u64, role: &str| {
        serde_json::json!({"id": id, "session": "old", "seq": seq,
            "message": {"role": role, "content": id}, "created_ms": seq})
    };
    let document = serde_json::json!({
        "format": "ferry-export", "version": 2, "exported_ms": 1,
        "sessions": [{"id": "old", "title": "Old", "created_ms": 1, "updated_ms": 2}],
        "messages": [message("m3", 3, "user"), message("m1", 1, "user"), message("m2", 2, "assistant")],
        "notes": []
    })
    .to_string();
    command(&mut rt, Command::Import { document });
    let shown = opened(&mut rt, "old");
    assert_eq!(texts(&shown), ["m1", "m2", "m3"]);
    assert_eq!(shown[2].parent.as_deref(), Some("m2"));
    assert!(shown.iter().all(|m| m.siblings.is_empty()));
}

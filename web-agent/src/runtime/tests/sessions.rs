//! Chats: titled, renamed, searched, deleted.

use super::*;

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
            message: None,
        },
    );
    assert!(matches!(&opened[0], Event::SessionOpened { messages, .. } if messages.len() == 2));
}

#[wasm_bindgen_test(unsupported = test)]
fn titles_come_from_the_first_line() {
    assert_eq!(auto_title("  \nWhat is GCRA?\nmore"), "What is GCRA?");
    assert_eq!(auto_title(&"x".repeat(60)), format!("{}…", "x".repeat(48)));
    assert_eq!(auto_title(""), "New chat");
}

//! The conversation as events fold into it, and as storage gives it back.

use ferry_core::wire::{FunctionCall, Message, ToolCall};

use super::*;

fn stored(id: &str, message: Message) -> MessageView {
    MessageView {
        id: id.into(),
        session: "s".into(),
        seq: 0,
        message,
        partial: false,
        created_ms: 0,
        cost_usd: None,
        usage: None,
        tool_ok: None,
        attachments: Vec::new(),
        answered_by: None,
        parent: None,
        siblings: Vec::new(),
    }
}

#[test]
fn a_message_with_versions_shows_which_one_of_how_many() {
    let mut question = stored("q2", Message::text(Role::User, "again"));
    question.siblings = vec!["q1".into(), "q2".into(), "q3".into()];
    let mut first_part = stored("a1", Message::text(Role::Assistant, "part one"));
    first_part.parent = Some("q2".into());
    let mut second_part = stored("a2", Message::text(Role::Assistant, "part two"));
    second_part.siblings = vec!["a2".into(), "a9".into()];
    let chat = Chat::open("s".into(), &[question, first_part, second_part], None);
    assert_eq!(chat.messages[0].versions, ["q1", "q2", "q3"]);
    assert_eq!(chat.messages[0].version, "q2");
    // One answer of two model calls: the versions of its first part that has any.
    assert_eq!(chat.messages[1].versions, ["a2", "a9"]);
    assert_eq!(chat.messages[1].version, "a2");
    assert_eq!(chat.messages[1].ids, ["a1", "a2"]);
}

#[test]
fn deltas_grow_one_answer_and_the_end_settles_it() {
    let mut chat = Chat::open("s".into(), &[], None);
    chat.sent("hi", &[]);
    for text in ["Hel", "lo"] {
        chat.apply(
            &Event::Delta {
                session: "s".into(),
                message: "a1".into(),
                text: text.into(),
            },
            0,
        );
    }
    // Another session's events change nothing here.
    chat.apply(
        &Event::Delta {
            session: "other".into(),
            message: "x".into(),
            text: "nope".into(),
        },
        0,
    );
    assert_eq!(chat.messages.len(), 2);
    assert_eq!(chat.messages[1].text, "Hello");
    assert!(chat.busy && chat.messages[1].partial);
    chat.apply(
        &Event::TurnFinished {
            session: "s".into(),
            stopped: false,
        },
        0,
    );
    assert!(!chat.busy && !chat.messages[1].partial);
}

#[test]
fn rows_mark_the_last_message_and_the_first_kept_one() {
    let mut chat = Chat::open(
        "s".into(),
        &[
            stored("u1", Message::text(Role::User, "old")),
            stored("a1", Message::text(Role::Assistant, "summarized")),
            stored("u2", Message::text(Role::User, "kept")),
        ],
        Some("u2".into()),
    );
    chat.sent("kept", &[]);
    let rows = chat.rows();
    let flags: Vec<(usize, bool, bool)> =
        rows.iter().map(|r| (r.index, r.last, r.marker)).collect();
    assert_eq!(
        flags,
        [
            (0, false, false),
            (1, false, false),
            (2, false, true),
            (3, true, false)
        ]
    );
    // The same unsaved text twice is still two rows: keys stay apart by place.
    chat.sent("again", &[]);
    chat.sent("again", &[]);
    let rows = chat.rows();
    assert_eq!(rows[4].message, rows[5].message);
    assert_ne!(rows[4], rows[5]);
}

fn file(id: &str, kind: ferry_core::media::MediaKind, size: u64) -> AttachmentView {
    AttachmentView {
        id: id.into(),
        name: format!("{id}.bin"),
        mime: "image/png".into(),
        kind,
        size,
        width: None,
        height: None,
        pages: None,
        original: None,
        original_size: None,
        text_bytes: None,
    }
}

#[test]
fn a_message_shows_its_files_sent_or_stored_and_the_chat_counts_those_sent_again() {
    use ferry_core::media::MediaKind::{Document, Image};
    let mut old = stored("u1", Message::text(Role::User, "old"));
    old.attachments = vec![file("a", Image, 100)];
    let mut kept = stored("u2", Message::text(Role::User, "kept"));
    kept.attachments = vec![file("b", Document, 20)];
    let mut chat = Chat::open("s".into(), &[old, kept], None);
    assert_eq!(chat.messages[0].attachments[0].id, "a");
    assert_eq!(chat.messages[1].attachments[0].kind, Document);
    assert_eq!(chat.attachment_bytes(), 120);
    // What is before the marker goes as a summary, without its files.
    chat.first_kept = Some("u2".into());
    assert_eq!(chat.attachment_bytes(), 20);
    chat.sent("look", &[file("c", Image, 3)]);
    assert_eq!(chat.messages[2].attachments[0].name, "c.bin");
    assert_eq!(chat.attachment_bytes(), 23);
}

#[test]
fn the_chat_counts_the_text_its_earlier_files_go_as() {
    use ferry_core::media::MediaKind::{Document, Image, Text};
    let with_text = |id: &str, kind, size, text| AttachmentView {
        text_bytes: Some(text),
        ..file(id, kind, size)
    };
    let mut asked = stored("u1", Message::text(Role::User, "these"));
    asked.attachments = vec![
        file("a", Image, 100),
        with_text("r", Document, 1_000, 300),
        with_text("n", Text, 50, 80),
    ];
    let chat = Chat::open("s".into(), &[asked], None);
    assert_eq!(chat.messages[0].attachments[2].text_bytes, Some(80));
    // The report goes as its text only to a model without PDFs.
    assert_eq!(
        chat.earlier(false),
        Earlier {
            bytes: 1_150,
            text: 380
        }
    );
    assert_eq!(
        chat.earlier(true),
        Earlier {
            bytes: 1_150,
            text: 80
        }
    );
}

#[test]
fn a_stopped_answer_stays_marked() {
    let mut chat = Chat::open("s".into(), &[], None);
    chat.sent("hi", &[]);
    chat.apply(
        &Event::Delta {
            session: "s".into(),
            message: "a1".into(),
            text: "par".into(),
        },
        0,
    );
    chat.apply(
        &Event::TurnFinished {
            session: "s".into(),
            stopped: true,
        },
        0,
    );
    assert!(chat.messages[1].partial);
    assert!(!chat.busy);
}

#[test]
fn tool_steps_attach_to_their_answer_live_and_when_reopened() {
    let mut chat = Chat::open("s".into(), &[], None);
    chat.sent("remember tea", &[]);
    chat.apply(
        &Event::ToolCallStarted {
            session: "s".into(),
            call_id: "c1".into(),
            name: "memory_save".into(),
            arguments: "{}".into(),
            server: None,
            tool: None,
        },
        0,
    );
    chat.apply(
        &Event::ToolCallFinished {
            session: "s".into(),
            call_id: "c1".into(),
            output: "saved".into(),
            ok: true,
            attachments: Vec::new(),
        },
        0,
    );
    assert_eq!(
        chat.messages[1].tools[0].output,
        Some((true, "saved".into()))
    );

    let mut call = Message::text(Role::Assistant, "");
    call.tool_calls = Some(vec![ToolCall {
        id: "c1".into(),
        kind: "function".into(),
        function: FunctionCall {
            name: "memory_save".into(),
            arguments: "{}".into(),
        },
    }]);
    let mut result = Message::text(Role::Tool, "saved");
    result.tool_call_id = Some("c1".into());
    let reopened = Chat::open(
        "s".into(),
        &[
            stored("u", Message::text(Role::User, "remember tea")),
            stored("a", call),
            stored("t", result),
            stored("b", Message::text(Role::Assistant, "Noted.")),
        ],
        None,
    );
    let roles: Vec<Role> = reopened.messages.iter().map(|m| m.role).collect();
    // The call and the answer after it are one answer.
    assert_eq!(roles, [Role::User, Role::Assistant]);
    assert_eq!(
        reopened.messages[1].tools[0].output,
        Some((true, "saved".into()))
    );
    assert_eq!(reopened.messages[1].text, "Noted.");
}

#[test]
fn an_approval_waits_on_its_step_until_decided_or_the_turn_ends() {
    let mut chat = Chat::open("s".into(), &[], None);
    chat.sent("look around", &[]);
    for (id, name) in [
        ("f1", "web_fetch"),
        ("f2", "web_fetch"),
        ("m", "memory_save"),
    ] {
        chat.apply(
            &Event::ToolCallStarted {
                session: "s".into(),
                call_id: id.into(),
                name: name.into(),
                arguments: "{}".into(),
                server: None,
                tool: None,
            },
            0,
        );
        chat.apply(
            &Event::ToolApprovalRequested {
                session: "s".into(),
                call_id: id.into(),
                name: name.into(),
                subject: format!("subject of {id}"),
            },
            0,
        );
    }
    // Another chat's request is not shown here.
    chat.apply(
        &Event::ToolApprovalRequested {
            session: "other".into(),
            call_id: "f1".into(),
            name: "web_fetch".into(),
            subject: "elsewhere".into(),
        },
        0,
    );
    let tools = &chat.messages[1].tools;
    assert_eq!(tools[0].approval.as_deref(), Some("subject of f1"));
    assert_eq!(tools[0].status(), "waiting for approval");
    assert_eq!(
        tools[0].approval_question(),
        "Ferry wants to fetch this page:"
    );
    assert!(chat.busy && chat.awaits_approval());

    // A grant releases the tool's other waiting calls, not other tools'.
    chat.decided("f1", Decision::AllowInChat);
    let waiting: Vec<_> = chat.messages[1]
        .tools
        .iter()
        .map(|t| t.approval.is_some())
        .collect();
    assert_eq!(waiting, [false, false, true]);
    chat.apply(
        &Event::ToolCallFinished {
            session: "s".into(),
            call_id: "m".into(),
            output: DECLINED_TOOL_OUTPUT.into(),
            ok: false,
            attachments: Vec::new(),
        },
        0,
    );
    assert_eq!(chat.messages[1].tools[2].status(), "declined");
    assert!(!chat.awaits_approval());

    chat.apply(
        &Event::ToolApprovalRequested {
            session: "s".into(),
            call_id: "f2".into(),
            name: "web_fetch".into(),
            subject: "again".into(),
        },
        0,
    );
    chat.apply(
        &Event::TurnFinished {
            session: "s".into(),
            stopped: true,
        },
        0,
    );
    assert!(!chat.awaits_approval() && !chat.busy);

    // Reopened, calls that did not run still say why.
    let mut call = Message::text(Role::Assistant, "");
    call.tool_calls = Some(
        ["d", "s"]
            .map(|id| ToolCall {
                id: id.into(),
                kind: "function".into(),
                function: FunctionCall {
                    name: "web_fetch".into(),
                    arguments: "{}".into(),
                },
            })
            .to_vec(),
    );
    let result = |id: &str, text: &str| {
        let mut m = Message::text(Role::Tool, text);
        m.tool_call_id = Some(id.into());
        stored(id, m)
    };
    let reopened = Chat::open(
        "s".into(),
        &[
            stored("a", call),
            result("d", DECLINED_TOOL_OUTPUT),
            result("s", STOPPED_TOOL_OUTPUT),
        ],
        None,
    );
    let statuses: Vec<_> = reopened.messages[0]
        .tools
        .iter()
        .map(ToolStep::status)
        .collect();
    assert_eq!(statuses, ["declined", "stopped"]);
}

fn call(id: &str, name: &str) -> ToolCall {
    ToolCall {
        id: id.into(),
        kind: "function".into(),
        function: FunctionCall {
            name: name.into(),
            arguments: "{}".into(),
        },
    }
}

fn result(id: &str, text: &str) -> MessageView {
    let mut m = Message::text(Role::Tool, text);
    m.tool_call_id = Some(id.into());
    stored(&format!("r{id}"), m)
}

fn started(id: &str, name: &str) -> Event {
    Event::ToolCallStarted {
        session: "s".into(),
        call_id: id.into(),
        name: name.into(),
        arguments: "{}".into(),
        server: None,
        tool: None,
    }
}

fn finished(id: &str, ok: bool) -> Event {
    Event::ToolCallFinished {
        session: "s".into(),
        call_id: id.into(),
        output: "out".into(),
        ok,
        attachments: Vec::new(),
    }
}

fn thinking(message: &str, text: &str) -> Event {
    Event::ThinkingDelta {
        session: "s".into(),
        message: message.into(),
        text: text.into(),
    }
}

fn delta(message: &str, text: &str) -> Event {
    Event::Delta {
        session: "s".into(),
        message: message.into(),
        text: text.into(),
    }
}

fn finished_turn() -> Event {
    Event::TurnFinished {
        session: "s".into(),
        stopped: false,
    }
}

#[test]
fn an_answer_of_three_tool_rounds_is_one_message_live_and_reopened() {
    let mut chat = Chat::open("s".into(), &[], None);
    chat.sent("look three times", &[]);
    for (round, id) in ["a1", "a2", "a3"].into_iter().enumerate() {
        chat.apply(&thinking(id, &format!("round {round}")), 0);
        chat.apply(&started(&format!("c{round}"), "memory_search"), 0);
        chat.apply(&finished(&format!("c{round}"), true), 0);
    }
    chat.apply(&delta("a4", "All three done."), 0);
    chat.apply(&finished_turn(), 0);
    assert_eq!(chat.messages.len(), 2);
    let answer = &chat.messages[1];
    assert_eq!(answer.tools.len(), 3);
    assert_eq!(answer.ids, ["a1", "a2", "a3", "a4"]);
    assert_eq!(answer.thinking.text, "round 0\n\nround 1\n\nround 2");
    assert_eq!(answer.text, "All three done.");
    assert!(!answer.partial && !answer.live);

    // The next turn's answer is a message of its own.
    chat.sent("again", &[]);
    chat.apply(&delta("b1", "Again."), 0);
    assert_eq!(chat.messages.len(), 4);

    let mut stored_turn = vec![stored("u", Message::text(Role::User, "look three times"))];
    for round in 0..3 {
        let mut asked = Message::text(Role::Assistant, if round == 1 { "Hm." } else { "" });
        asked.reasoning_content = Some(format!("round {round}"));
        asked.tool_calls = Some(vec![call(&format!("c{round}"), "memory_search")]);
        stored_turn.push(stored(&format!("a{round}"), asked));
        stored_turn.push(result(&format!("c{round}"), "no notes match"));
    }
    stored_turn.push(stored(
        "a3",
        Message::text(Role::Assistant, "All three done."),
    ));
    stored_turn.push(stored("u2", Message::text(Role::User, "again")));
    let reopened = Chat::open("s".into(), &stored_turn, Some("a1".into()));
    let roles: Vec<Role> = reopened.messages.iter().map(|m| m.role).collect();
    assert_eq!(roles, [Role::User, Role::Assistant, Role::User]);
    let answer = &reopened.messages[1];
    assert_eq!(answer.id, "a0");
    assert_eq!(answer.thinking.text, "round 0\n\nround 1\n\nround 2");
    assert_eq!(answer.text, "Hm.\n\nAll three done.");
    let statuses: Vec<_> = answer.tools.iter().map(ToolStep::status).collect();
    assert_eq!(statuses, ["done", "done", "done"]);
    // A compaction that kept the answer's second call marks the answer.
    let markers: Vec<bool> = reopened.rows().iter().map(|r| r.marker).collect();
    assert_eq!(markers, [false, true, false]);
}

#[test]
fn thinking_is_timed_open_while_it_runs_and_folds_when_the_answer_starts() {
    let mut chat = Chat::open("s".into(), &[], None);
    chat.sent("think", &[]);
    chat.apply(&thinking("a1", "Let me "), 10_000);
    chat.apply(&thinking("a1", "see."), 11_500);
    let answer = &chat.messages[1];
    assert!(answer.thinking.running());
    assert_eq!(answer.thinking.text, "Let me see.");
    assert_eq!(answer.thinking.label(13_100), "Thinking… 3 s");
    chat.apply(&delta("a1", "Yes."), 13_200);
    let answer = &chat.messages[1];
    assert!(!answer.thinking.running());
    assert_eq!(answer.thinking.label(60_000), "Thought for 3 s");
    assert_eq!(answer.text, "Yes.");
    chat.apply(&finished_turn(), 14_000);

    // Read back from storage: the text is stored; the time is known from before.
    let mut stored_answer = Message::text(Role::Assistant, "Yes.");
    stored_answer.reasoning_content = Some("Let me see.".into());
    let messages = [
        stored("u", Message::text(Role::User, "think")),
        stored("a1", stored_answer),
    ];
    let mut reopened = Chat::open("s".into(), &messages, None);
    assert_eq!(reopened.messages[1].thinking.text, "Let me see.");
    assert_eq!(reopened.messages[1].thinking.label(0), "Thinking");
    reopened.carry_from(&chat);
    assert_eq!(reopened.messages[1].thinking.label(0), "Thought for 3 s");

    // A turn that ends while thinking stops the clock.
    let mut cut = Chat::open("s".into(), &[], None);
    cut.sent("think", &[]);
    cut.apply(&thinking("a1", "Hm"), 1_000);
    cut.apply(&finished_turn(), 2_000);
    assert!(!cut.messages[1].thinking.running());
    assert_eq!(cut.messages[1].thinking.label(9_000), "Thought for 1 s");
    // A blink of thinking still reads as some.
    let mut blink = Chat::open("s".into(), &[], None);
    blink.sent("quick", &[]);
    blink.apply(&thinking("a1", "Ok"), 5_000);
    blink.apply(&delta("a1", "Yes."), 5_100);
    assert_eq!(blink.messages[1].thinking.label(0), "Thought for 1 s");
}

#[test]
fn an_unknown_or_failed_tool_shows_failed_live_and_when_read_again() {
    let mut chat = Chat::open("s".into(), &[], None);
    chat.sent("go", &[]);
    chat.apply(&started("c1", "teleport"), 0);
    chat.apply(
        &Event::ToolCallFinished {
            session: "s".into(),
            call_id: "c1".into(),
            output: "there is no tool named teleport".into(),
            ok: false,
            attachments: Vec::new(),
        },
        0,
    );
    chat.apply(&started("c2", "web_fetch"), 0);
    chat.apply(&finished("c2", false), 0);
    assert_eq!(chat.messages[1].tools[0].status(), "failed");
    assert_eq!(chat.messages[1].tools[1].status(), "failed");

    let mut asked = Message::text(Role::Assistant, "");
    asked.tool_calls = Some(vec![call("c1", "teleport"), call("c2", "web_fetch")]);
    let messages = [
        stored("u", Message::text(Role::User, "go")),
        stored("a", asked),
        result("c1", "there is no tool named teleport"),
        result("c2", "out"),
    ];
    // After a reload, a tool Ferry does not have is known by its name.
    let reloaded = Chat::open("s".into(), &messages, None);
    let statuses: Vec<_> = reloaded.messages[1]
        .tools
        .iter()
        .map(ToolStep::status)
        .collect();
    assert_eq!(statuses, ["failed", "done"]);
    // Read again after the turn, what the turn saw fail stays failed.
    let mut reopened = Chat::open("s".into(), &messages, None);
    reopened.carry_from(&chat);
    let statuses: Vec<_> = reopened.messages[1]
        .tools
        .iter()
        .map(ToolStep::status)
        .collect();
    assert_eq!(statuses, ["failed", "failed"]);
}

#[test]
fn a_stored_tool_outcome_is_what_a_reopened_chat_shows() {
    let outcome = |id: &str, text: &str, ok: bool| MessageView {
        tool_ok: Some(ok),
        ..result(id, text)
    };
    let mut asked = Message::text(Role::Assistant, "");
    asked.tool_calls = Some(vec![
        call("c1", "web_fetch"),
        call("c2", "web_fetch"),
        call("c3", "teleport"),
        call("c4", "memory_save"),
    ]);
    let reopened = Chat::open(
        "s".into(),
        &[
            stored("u", Message::text(Role::User, "go")),
            stored("a", asked),
            // A built-in tool that failed: its words alone would read "done".
            outcome("c1", "HTTP 500 from the page", false),
            outcome("c2", "the page", true),
            // Stored before the outcome was kept: today's rule.
            result("c3", "there is no tool named teleport"),
            outcome("c4", DECLINED_TOOL_OUTPUT, false),
        ],
        None,
    );
    let statuses: Vec<_> = reopened.messages[1]
        .tools
        .iter()
        .map(ToolStep::status)
        .collect();
    assert_eq!(statuses, ["failed", "done", "failed", "declined"]);
}

#[test]
fn each_answer_costs_the_sum_of_its_calls_and_the_chat_the_sum_of_its_answers() {
    let usage = |message: &str, cost: Option<f64>| Event::Usage {
        session: "s".into(),
        message: Some(message.into()),
        usage: ferry_core::wire::Usage {
            cost,
            ..ferry_core::wire::Usage::default()
        },
    };
    let mut chat = Chat::open("s".into(), &[], None);
    assert_eq!(chat.cost(), None);
    chat.sent("go", &[]);
    chat.apply(&started("c1", "memory_search"), 0);
    chat.apply(&usage("a1", Some(0.001)), 0);
    chat.apply(&finished("c1", true), 0);
    chat.apply(&delta("a2", "Done."), 0);
    chat.apply(&usage("a2", Some(0.0025)), 0);
    chat.apply(&usage("a2", None), 0);
    chat.apply(&finished_turn(), 0);
    // Late usage of no known answer is not drawn as one.
    chat.apply(&usage("zz", Some(1.0)), 0);
    assert_eq!(chat.messages.len(), 2);
    let cost = chat.messages[1].cost.map(|c| c.0).unwrap_or_default();
    assert!((cost - 0.0035).abs() < 1e-12, "{cost}");

    let priced = |id: &str, text: &str, cost: f64| MessageView {
        cost_usd: Some(cost),
        ..stored(id, Message::text(Role::Assistant, text))
    };
    let reopened = Chat::open(
        "s".into(),
        &[
            stored("u", Message::text(Role::User, "one")),
            priced("a", "First.", 0.5),
            stored("u2", Message::text(Role::User, "two")),
            priced("b1", "", 0.25),
            priced("b2", "Second.", 0.125),
        ],
        None,
    );
    let costs: Vec<_> = reopened
        .messages
        .iter()
        .map(|m| m.cost.map(|c| c.0))
        .collect();
    assert_eq!(costs, [None, Some(0.5), None, Some(0.375)]);
    assert_eq!(reopened.cost(), Some(0.875));
}

#[test]
fn regenerate_takes_the_last_answer_away_for_its_replacement() {
    let mut chat = Chat::open(
        "s".into(),
        &[
            stored("u", Message::text(Role::User, "hi")),
            stored("a", Message::text(Role::Assistant, "Hello.")),
        ],
        None,
    );
    chat.regenerating();
    assert!(chat.busy);
    chat.apply(&delta("b", "Hi!"), 0);
    let texts: Vec<&str> = chat.messages.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, ["hi", "Hi!"]);
}

fn image(id: &str) -> AttachmentView {
    AttachmentView {
        id: id.into(),
        name: "image.png".into(),
        mime: "image/png".into(),
        kind: ferry_core::media::MediaKind::Image,
        size: 100,
        width: Some(10),
        height: Some(10),
        pages: None,
        original: None,
        original_size: None,
        text_bytes: None,
    }
}

#[test]
fn an_mcp_call_names_its_server_and_tool_shows_progress_then_its_images() {
    let mut chat = Chat::open("s".into(), &[], None);
    chat.sent("use it", &[]);
    chat.apply(
        &Event::ToolCallStarted {
            session: "s".into(),
            call_id: "c1".into(),
            name: "everything__get-tiny-image".into(),
            arguments: "{}".into(),
            server: Some("Everything Reference Server".into()),
            tool: Some("get-tiny-image".into()),
        },
        0,
    );
    let progress = |done: f64, total: Option<f64>| Event::ToolProgress {
        session: "s".into(),
        call_id: "c1".into(),
        progress: done,
        total,
        message: Some("working".into()),
    };
    chat.apply(&progress(1.0, Some(4.0)), 0);
    chat.apply(&progress(f64::NAN, Some(4.0)), 0);
    let step = &chat.messages[1].tools[0];
    assert_eq!(
        step.approval_question(),
        "Ferry wants to use the tool get-tiny-image of Everything Reference Server with:"
    );
    assert_eq!(
        step.progress,
        Some(Progress {
            done: 1.0,
            total: Some(4.0),
            message: Some("working".into()),
        })
    );
    chat.apply(
        &Event::ToolCallFinished {
            session: "s".into(),
            call_id: "c1".into(),
            output: "A tiny image".into(),
            ok: true,
            attachments: vec![image("img1")],
        },
        0,
    );
    // Progress after the end changes nothing.
    chat.apply(&progress(2.0, None), 0);
    let step = &chat.messages[1].tools[0];
    assert_eq!(step.progress, None);
    assert_eq!(step.images.len(), 1);
    assert_eq!(step.images[0].id, "img1");
    assert_eq!(step.status(), "done");
}

#[test]
fn a_reopened_chat_shows_the_images_a_tool_returned() {
    let mut answer = Message::text(Role::Assistant, "");
    answer.tool_calls = Some(vec![call("c1", "everything__get-tiny-image")]);
    let mut returned = result("c1", "A tiny image");
    returned.attachments = vec![image("img1")];
    returned.tool_ok = Some(true);
    let chat = Chat::open("s".into(), &[stored("a", answer), returned], None);
    let step = &chat.messages[0].tools[0];
    assert_eq!(step.images.len(), 1);
    assert_eq!(step.server, None, "the view finds the server by the name");
    assert_eq!(
        step.approval_question(),
        "Ferry wants to use the tool everything__get-tiny-image with:"
    );
}

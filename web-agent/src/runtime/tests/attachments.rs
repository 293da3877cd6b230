//! Attachments: stored once per content within core's limits, sent as the model takes
//! them (and only as it takes them), counted, named in the summary, freed when no message
//! refers to them, exported and imported with their bytes.

use base64::Engine as _;
use ferry_core::media::{self, MediaKind};

use super::*;
use crate::protocol::AttachmentView;
use crate::runtime::attachments::Prepared;
use crate::store::{Blob, Store};

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn image(bytes: &[u8]) -> Prepared {
    Prepared {
        name: "photo.png".into(),
        mime: "image/png".into(),
        kind: MediaKind::Image,
        bytes: bytes.to_vec(),
        width: Some(1000),
        height: Some(750),
        pages: None,
        text: None,
        original: None,
    }
}

const REPORT_TEXT: &str = "--- Page 1 ---\nRevenue grew.\n--- Page 2 ---\nCosts fell.";

fn pdf() -> Prepared {
    Prepared {
        name: "report.pdf".into(),
        mime: "application/pdf".into(),
        kind: MediaKind::Document,
        bytes: b"%PDF-1.7 two pages".to_vec(),
        width: None,
        height: None,
        pages: Some(2),
        text: Some(REPORT_TEXT.into()),
        original: None,
    }
}

fn notes() -> Prepared {
    Prepared {
        name: "notes.md".into(),
        mime: "text/markdown".into(),
        kind: MediaKind::Text,
        bytes: b"# Notes\nBuy tea.\n".to_vec(),
        width: None,
        height: None,
        pages: None,
        text: None,
        original: None,
    }
}

fn attach(rt: &TestRuntime<'_>, prepared: Prepared) -> AttachmentView {
    run(rt.add_attachment(prepared)).unwrap()
}

fn send_with(
    rt: &mut TestRuntime<'_>,
    session: &str,
    text: &str,
    attachments: Vec<AttachmentView>,
) -> Vec<Event> {
    command(
        rt,
        Command::SendMessage {
            session: session.into(),
            text: text.into(),
            attachments,
        },
    )
}

fn answers(transport: &FakeTransport, n: usize) {
    for _ in 0..n {
        transport.answer(
            200,
            &[&chunk(serde_json::json!({"content": "Seen."})), "[DONE]"],
        );
    }
}

/// The last message of the `n`th request's body.
fn last_message(transport: &FakeTransport, n: usize) -> serde_json::Value {
    let body = transport.body(n);
    body["messages"].as_array().unwrap().last().unwrap().clone()
}

#[wasm_bindgen_test(unsupported = test)]
fn a_file_is_stored_once_and_its_view_read_from_what_was_stored() {
    let transport = FakeTransport::default();
    let rt = runtime(&transport, ProviderId::OpenAi);
    let bytes = b"\x89PNG fake image bytes";
    let view = attach(&rt, image(bytes));
    let id = Blob::id_of(bytes);
    assert_eq!(
        view,
        AttachmentView {
            id: id.clone(),
            name: "photo.png".into(),
            mime: "image/png".into(),
            kind: MediaKind::Image,
            size: bytes.len() as u64,
            width: Some(1000),
            height: Some(750),
            pages: None,
            original: None,
            original_size: None,
            text_bytes: None,
        }
    );
    assert_eq!(id.len(), 64);
    assert!(
        id.chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    // The same bytes under another name: the same blob, the view with the new name.
    let again = attach(
        &rt,
        Prepared {
            name: "screenshot.png".into(),
            ..image(bytes)
        },
    );
    assert_eq!(
        (again.id.as_str(), again.name.as_str()),
        (id.as_str(), "screenshot.png")
    );
    assert_eq!(
        run(rt.store().blob_ids()).unwrap(),
        std::slice::from_ref(&id)
    );
    let stored = run(rt.attachment(&id)).unwrap().unwrap();
    assert_eq!(stored.bytes, bytes);
    // A PDF keeps its text and pages; a text file its text.
    let report = attach(&rt, pdf());
    assert_eq!((report.kind, report.pages), (MediaKind::Document, Some(2)));
    let stored = run(rt.attachment(&report.id)).unwrap().unwrap();
    assert_eq!(stored.text.as_deref(), Some(REPORT_TEXT));
    let file = attach(&rt, notes());
    let stored = run(rt.attachment(&file.id)).unwrap().unwrap();
    assert_eq!(stored.text.as_deref(), Some("# Notes\nBuy tea.\n"));
    assert_eq!(run(rt.attachment("nowhere")).unwrap(), None);
}

#[wasm_bindgen_test(unsupported = test)]
fn files_over_the_limits_are_refused_with_words_the_app_shows() {
    let transport = FakeTransport::default();
    let rt = runtime(&transport, ProviderId::OpenAi);
    let refused = |prepared: Prepared| {
        let refused = run(rt.add_attachment(prepared)).unwrap_err();
        assert_eq!(refused.kind, ErrorKind::InvalidRequest);
        refused.message
    };
    let tiff = Prepared {
        name: "scan.tiff".into(),
        mime: "image/tiff".into(),
        ..image(b"II*")
    };
    assert!(
        refused(tiff).starts_with("scan.tiff: Ferry does not take this type of file (image/tiff)")
    );
    let huge = vec![b'a'; (media::MAX_TEXT_FILE_BYTES + 1) as usize];
    assert_eq!(
        refused(Prepared {
            bytes: huge,
            ..notes()
        }),
        "notes.md is too large (2 MB); the most Ferry takes for a text file is 2 MB."
    );
    assert_eq!(
        refused(Prepared {
            pages: Some(101),
            ..pdf()
        }),
        "report.pdf has 101 pages; the most Ferry takes is 100."
    );
    assert_eq!(
        refused(Prepared {
            bytes: vec![0xff, 0xfe, 0x00],
            ..notes()
        }),
        "notes.md is not a text file (it is not UTF-8)."
    );
    assert_eq!(
        refused(Prepared {
            bytes: Vec::new(),
            ..image(b"")
        }),
        "photo.png is empty."
    );
    assert_eq!(
        refused(Prepared {
            kind: MediaKind::Document,
            ..image(b"png")
        }),
        "photo.png: its type (image/png) does not match what it holds (a PDF)."
    );
    assert!(run(rt.store().blob_ids()).unwrap().is_empty());
}

#[wasm_bindgen_test(unsupported = test)]
fn an_original_is_kept_only_when_the_user_asked() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    let with_original = || Prepared {
        original: Some(("image/jpeg".into(), b"ten megapixels".to_vec())),
        ..image(b"small")
    };
    let view = attach(&rt, with_original());
    assert_eq!((view.original, view.original_size), (None, None));
    assert_eq!(run(rt.store().blob_ids()).unwrap().len(), 1);

    rt.settings.keep_original_images = true;
    let view = attach(&rt, with_original());
    let original = Blob::id_of(b"ten megapixels");
    assert_eq!(
        (view.original.as_deref(), view.original_size),
        (Some(original.as_str()), Some(14))
    );
    // Sent: the message keeps both, and the conversation shows both.
    answers(&transport, 1);
    send_with(&mut rt, "s", "look", vec![view.clone()]);
    let stored = run(rt.store().messages("s")).unwrap();
    assert_eq!(
        stored[0].attachments[0].original.as_deref(),
        Some(original.as_str())
    );
    let opened = command(
        &mut rt,
        Command::OpenSession {
            session: "s".into(),
            message: None,
        },
    );
    let Some(Event::SessionOpened { messages, .. }) = opened.first() else {
        panic!("{opened:?}")
    };
    assert_eq!(messages[0].attachments, [view]);
    assert!(messages[1].attachments.is_empty());
}

#[wasm_bindgen_test(unsupported = test)]
fn openai_gets_image_and_file_parts_after_the_text() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    rt.settings.model = "gpt-4o".into();
    let photo = attach(&rt, image(b"png bytes"));
    let report = attach(&rt, pdf());
    let file = attach(&rt, notes());
    answers(&transport, 1);
    let events = send_with(
        &mut rt,
        "s",
        "What do these say?",
        vec![photo, report, file],
    );
    assert!(
        matches!(events.last(), Some(Event::TurnFinished { .. })),
        "{events:?}"
    );
    assert_eq!(
        last_message(&transport, 0),
        serde_json::json!({"role": "user", "content": [
            {"type": "text", "text": "What do these say?"},
            {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{}", b64(b"png bytes"))}},
            {"type": "file", "file": {"filename": "report.pdf",
                "file_data": format!("data:application/pdf;base64,{}", b64(b"%PDF-1.7 two pages"))}},
            {"type": "text", "text": "<file name=\"notes.md\">\n# Notes\nBuy tea.\n</file>"}
        ]})
    );
    // What is stored is the text and the references, never the bytes.
    let stored = run(rt.store().messages("s")).unwrap();
    assert_eq!(
        stored[0].message.content,
        Some(ferry_core::wire::Content::Text("What do these say?".into()))
    );
    let names: Vec<_> = stored[0]
        .attachments
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(names, ["photo.png", "report.pdf", "notes.md"]);
    // The next turn sends the earlier files again: they are part of the conversation.
    answers(&transport, 1);
    send(&mut rt, "s", "And?");
    let body = transport.body(1);
    assert_eq!(
        body["messages"][1]["content"].as_array().map(Vec::len),
        Some(4)
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn anthropic_and_gemini_get_their_own_blocks_when_called_directly() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::Anthropic);
    rt.settings.model = "claude-sonnet-4-5".into();
    let photo = attach(&rt, image(b"png bytes"));
    let report = attach(&rt, pdf());
    // Unanswered: the request as it went out is what matters here.
    send_with(
        &mut rt,
        "s",
        "Read these.",
        vec![photo.clone(), report.clone()],
    );
    assert_eq!(transport.urls()[0], "https://api.anthropic.com/v1/messages");
    let body = transport.body(0);
    let content = &body["messages"][0]["content"];
    assert_eq!(
        content[0],
        serde_json::json!({"type": "text", "text": "Read these."})
    );
    assert_eq!(
        content[1]["source"],
        serde_json::json!({"type": "base64", "media_type": "image/png", "data": b64(b"png bytes")})
    );
    assert_eq!(content[2]["type"], "document");
    assert_eq!(
        content[2]["source"],
        serde_json::json!({"type": "base64", "media_type": "application/pdf", "data": b64(b"%PDF-1.7 two pages")})
    );

    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::Google);
    rt.settings.model = "gemini-2.5-flash".into();
    let photo = attach(&rt, image(b"png bytes"));
    let report = attach(&rt, pdf());
    send_with(&mut rt, "s", "Read these.", vec![photo, report]);
    assert!(transport.urls()[0].starts_with("https://generativelanguage.googleapis.com/"));
    let body = transport.body(0).to_string();
    assert!(
        body.contains(&b64(b"png bytes")) && body.contains("image/png"),
        "{body}"
    );
    assert!(
        body.contains(&b64(b"%PDF-1.7 two pages")) && body.contains("application/pdf"),
        "{body}"
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_model_without_pdfs_gets_the_text_and_one_without_vision_a_note() {
    let transport = FakeTransport::default();
    // Mistral Small reads images, not PDFs (and goes through the proxy).
    let mut rt = runtime(&transport, ProviderId::Mistral);
    rt.settings.model = "mistral-small-latest".into();
    let photo = attach(&rt, image(b"png bytes"));
    let report = attach(&rt, pdf());
    answers(&transport, 1);
    send_with(
        &mut rt,
        "s",
        "Compare.",
        vec![photo.clone(), report.clone()],
    );
    assert_eq!(
        transport.urls()[0],
        "https://proxy.test/v1/proxy/chat/completions"
    );
    let content = &last_message(&transport, 0)["content"];
    assert_eq!(content[1]["type"], "image_url");
    assert_eq!(
        content[2],
        serde_json::json!({"type": "text", "text":
            "<document name=\"report.pdf\" pages=\"2\">\n--- Page 1 ---\nRevenue grew.\n--- Page 2 ---\nCosts fell.\n</document>"})
    );

    // DeepSeek's chat model reads neither: the image becomes a note, never a failure.
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::DeepSeek);
    rt.settings.model = "deepseek-chat".into();
    let photo = attach(&rt, image(b"png bytes"));
    let report = attach(&rt, pdf());
    answers(&transport, 1);
    let events = send_with(&mut rt, "s", "Compare.", vec![photo, report]);
    assert!(
        matches!(events.last(), Some(Event::TurnFinished { .. })),
        "{events:?}"
    );
    let content = &last_message(&transport, 0)["content"];
    assert_eq!(
        content[1],
        serde_json::json!({"type": "text", "text":
            "[image: photo.png — not sent: deepseek-chat does not take images]"})
    );
    assert!(
        content[2]["text"]
            .as_str()
            .unwrap()
            .starts_with("<document name=\"report.pdf\"")
    );
    assert!(!transport.body(0).to_string().contains(&b64(b"png bytes")));

    // A scan without a text layer says so rather than sending an empty document.
    let scan = attach(
        &rt,
        Prepared {
            name: "scan.pdf".into(),
            bytes: b"%PDF scanned".to_vec(),
            pages: Some(1),
            text: Some("--- Page 1 ---\n".into()),
            ..pdf()
        },
    );
    answers(&transport, 1);
    send_with(&mut rt, "s", "", vec![scan]);
    assert_eq!(
        last_message(&transport, 1)["content"][0]["text"],
        "<document name=\"scan.pdf\" pages=\"1\">\n(no text could be read from this PDF: its pages are images)\n</document>"
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_view_says_how_many_bytes_of_text_a_file_goes_as() {
    let transport = FakeTransport::default();
    // Mistral Small takes no PDFs: the report goes as its text, as the notes do.
    let mut rt = runtime(&transport, ProviderId::Mistral);
    rt.settings.model = "mistral-small-latest".into();
    let photo = attach(&rt, image(b"png bytes"));
    let report = attach(&rt, pdf());
    let notes = attach(
        &rt,
        Prepared {
            name: "n\"é.md".into(),
            ..notes()
        },
    );
    assert_eq!(photo.text_bytes, None);
    answers(&transport, 1);
    send_with(
        &mut rt,
        "s",
        "Compare.",
        vec![photo, report.clone(), notes.clone()],
    );
    let content = &last_message(&transport, 0)["content"];
    let sent = |part: &serde_json::Value| part["text"].as_str().unwrap().len() as u64;
    assert_eq!(report.text_bytes, Some(sent(&content[2])));
    assert_eq!(notes.text_bytes, Some(sent(&content[3])));
    // A reopened chat's views say the same.
    let opened = command(
        &mut rt,
        Command::OpenSession {
            session: "s".into(),
            message: None,
        },
    );
    let Some(Event::SessionOpened { messages, .. }) = opened.first() else {
        panic!("{opened:?}")
    };
    let bytes: Vec<_> = messages[0]
        .attachments
        .iter()
        .map(|a| a.text_bytes)
        .collect();
    assert_eq!(bytes, [None, report.text_bytes, notes.text_bytes]);
}

#[wasm_bindgen_test(unsupported = test)]
fn a_message_with_an_unknown_attachment_is_refused_before_anything_is_stored() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    let mut forged = attach(&rt, image(b"png bytes"));
    forged.id = Blob::id_of(b"never stored");
    let events = send_with(&mut rt, "s", "hi", vec![forged]);
    assert!(
        matches!(&events[..], [Event::Error { kind: ErrorKind::InvalidRequest, message, .. }]
            if message == "photo.png is not stored any more: attach it again."),
        "{events:?}"
    );
    assert!(run(rt.store().messages("s")).unwrap().is_empty());
    assert!(run(rt.store().session("s")).unwrap().is_none());
    assert!(transport.sent.borrow().is_empty());

    // Only the id and the name of a view are taken: the rest is read from the blob.
    let mut lying = attach(&rt, notes());
    lying.mime = "image/png".into();
    lying.kind = MediaKind::Image;
    lying.size = 1;
    answers(&transport, 1);
    send_with(&mut rt, "s", "hi", vec![lying]);
    let stored = run(rt.store().messages("s")).unwrap();
    assert_eq!(stored[0].attachments[0].kind, MediaKind::Text);

    // More files than a message takes.
    let many = vec![attach(&rt, notes()); media::MAX_ATTACHMENTS_PER_MESSAGE + 1];
    let events = send_with(&mut rt, "t", "hi", many);
    assert!(
        matches!(&events[..], [Event::Error { kind: ErrorKind::InvalidRequest, message, .. }]
            if message == "A message takes at most 10 files; this one has 11."),
        "{events:?}"
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_file_only_message_names_the_chat_after_the_file() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    let report = attach(&rt, pdf());
    answers(&transport, 1);
    send_with(&mut rt, "s", "", vec![report]);
    assert_eq!(
        run(rt.store().session("s")).unwrap().unwrap().title,
        "report.pdf"
    );
    // No empty text part before the file.
    let content = &last_message(&transport, 0)["content"];
    assert_eq!(content.as_array().map(Vec::len), Some(1));
}

#[wasm_bindgen_test(unsupported = test)]
fn blobs_no_message_refers_to_are_freed() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    let shared = attach(&rt, image(b"in both chats"));
    let only_a = attach(&rt, pdf());
    answers(&transport, 5);
    send_with(&mut rt, "a", "one", vec![shared.clone(), only_a.clone()]);
    send_with(&mut rt, "b", "two", vec![shared.clone()]);
    // Attached in the composer, not sent yet: kept through any clean-up.
    let waiting = attach(&rt, notes());
    let ids = |rt: &TestRuntime<'_>| {
        let mut ids = run(rt.store().blob_ids()).unwrap();
        ids.sort();
        ids
    };
    command(
        &mut rt,
        Command::DeleteSession {
            session: "a".into(),
        },
    );
    let mut expected = vec![shared.id.clone(), waiting.id.clone()];
    expected.sort();
    assert_eq!(ids(&rt), expected);
    command(
        &mut rt,
        Command::DeleteSession {
            session: "b".into(),
        },
    );
    assert_eq!(ids(&rt), std::slice::from_ref(&waiting.id));

    // An edit is a new version: what followed stays (another branch) with its files, and
    // the new version keeps the edited message's files.
    let later = attach(&rt, image(b"later"));
    send_with(&mut rt, "c", "first", vec![waiting.clone()]);
    send_with(&mut rt, "c", "second", vec![later.clone()]);
    let first = run(rt.store().messages("c")).unwrap()[0].id.clone();

    command(
        &mut rt,
        Command::EditAndResend {
            session: "c".into(),
            message: first,
            text: "first, again".into(),
        },
    );
    let stored = run(rt.store().messages("c")).unwrap();
    assert_eq!(stored.len(), 6);
    assert_eq!(stored[4].message.text_content(), "first, again");
    assert_eq!(stored[4].attachments[0].id, waiting.id);
    let mut kept = vec![waiting.id.clone(), later.id.clone()];
    kept.sort();
    assert_eq!(ids(&rt), kept);
    let content = &last_message(&transport, 4)["content"];
    assert_eq!(content[0]["text"], "first, again");
    assert!(
        content[1]["text"]
            .as_str()
            .unwrap()
            .starts_with("<file name=\"notes.md\">")
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn an_export_carries_the_files_and_imports_into_a_fresh_store() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    let photo = attach(&rt, image(&[0, 1, 2, 254, 255]));
    let report = attach(&rt, pdf());
    attach(&rt, notes()); // never sent: not exported
    answers(&transport, 1);
    send_with(
        &mut rt,
        "s",
        "keep these",
        vec![photo.clone(), report.clone()],
    );
    let events = command(
        &mut rt,
        Command::Export {
            include_keys: false,
        },
    );
    let Some(Event::Exported { document }) = events.first() else {
        panic!("{events:?}")
    };
    let json: serde_json::Value = serde_json::from_str(document).unwrap();
    assert_eq!(json["version"], 3);
    let mut blobs = json["blobs"].as_array().unwrap().clone();
    blobs.sort_by_key(|b| b["mime"].as_str().map(str::to_owned));
    assert_eq!(
        blobs,
        [
            serde_json::json!({"id": report.id, "mime": "application/pdf",
                "data": b64(b"%PDF-1.7 two pages"), "text": REPORT_TEXT, "pages": 2}),
            serde_json::json!({"id": photo.id, "mime": "image/png",
                "data": b64(&[0, 1, 2, 254, 255]), "width": 1000, "height": 750}),
        ]
    );

    let fresh_transport = FakeTransport::default();
    let mut fresh = runtime(&fresh_transport, ProviderId::OpenAi);
    let events = command(
        &mut fresh,
        Command::Import {
            document: document.clone(),
        },
    );
    assert!(
        matches!(events.first(), Some(Event::Imported { messages: 2, .. })),
        "{events:?}"
    );
    let opened = command(
        &mut fresh,
        Command::OpenSession {
            session: "s".into(),
            message: None,
        },
    );
    let Some(Event::SessionOpened { messages, .. }) = opened.first() else {
        panic!("{opened:?}")
    };
    assert_eq!(messages[0].attachments, [photo.clone(), report]);
    let image = run(fresh.attachment(&photo.id)).unwrap().unwrap();
    assert_eq!(image.bytes, [0, 1, 2, 254, 255]);

    // Bytes that are not what the id says refuse the whole document.
    let tampered = document.replace(&b64(&[0, 1, 2, 254, 255]), &b64(&[9, 9, 9]));
    let other = FakeTransport::default();
    let mut third = runtime(&other, ProviderId::OpenAi);
    let events = command(&mut third, Command::Import { document: tampered });
    assert!(
        matches!(
            events.first(),
            Some(Event::Error {
                kind: ErrorKind::InvalidRequest,
                ..
            })
        ),
        "{events:?}"
    );
    assert!(run(third.store().sessions()).unwrap().is_empty());
    assert!(run(third.store().blob_ids()).unwrap().is_empty());

    // A version 1 document (before attachments) still imports.
    let v1 = r#"{"format":"ferry-export","version":1,"exported_ms":1,"sessions":[{"id":"old","title":"Old","created_ms":1,"updated_ms":2}],"messages":[{"id":"m","session":"old","seq":0,"message":{"role":"user","content":"hi"},"created_ms":1}],"notes":[]}"#;
    let events = command(
        &mut third,
        Command::Import {
            document: v1.into(),
        },
    );
    assert!(
        matches!(
            events.first(),
            Some(Event::Imported {
                sessions: 1,
                messages: 1,
                ..
            })
        ),
        "{events:?}"
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn counts_include_what_the_files_cost_the_model() {
    let count = |rt: &mut TestRuntime<'_>| {
        let events = command(
            rt,
            Command::CountTokens {
                session: Some("s".into()),
                draft: String::new(),
            },
        );
        token_count(&events).0
    };
    for (provider, model) in [
        (ProviderId::OpenAi, "gpt-4o"),
        (ProviderId::Anthropic, "claude-sonnet-4-5"),
        (ProviderId::DeepSeek, "deepseek-chat"),
    ] {
        let transport = FakeTransport::default();
        let mut rt = runtime(&transport, provider);
        rt.settings.model = model.into();
        answers(&transport, 2);
        send(&mut rt, "s", "plain");
        let before = count(&mut rt);
        // The same question with files, in a chat of its own: the difference is theirs.
        let transport2 = FakeTransport::default();
        let mut with_files = runtime(&transport2, provider);
        with_files.settings.model = model.into();
        let photo = attach(&with_files, image(b"png"));
        let report = attach(&with_files, pdf());
        answers(&transport2, 1);
        send_with(&mut with_files, "s", "plain", vec![photo, report]);
        let after = count(&mut with_files);
        let estimate = |t: &str| ferry_core::tokens::estimate(t);
        let document =
            format!("<document name=\"report.pdf\" pages=\"2\">\n{REPORT_TEXT}\n</document>");
        let expected = match provider {
            ProviderId::DeepSeek => {
                estimate("[image: photo.png — not sent: deepseek-chat does not take images]")
                    + estimate(&document)
            }
            _ => {
                media::image_tokens(provider, model, 1000, 750)
                    + 2 * media::pdf_page_tokens(provider, model)
                    + estimate(REPORT_TEXT)
            }
        };
        assert_eq!(after - before, expected, "{provider:?} {model}");
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn the_summary_names_the_files_and_never_carries_their_bytes() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    rt.settings.model = "gpt-4o".into();
    rt.settings.context_window = Some(9_000);
    rt.settings.answer_reserve = 1_000;
    rt.settings.keep_recent_tokens = 10;
    let photo = attach(&rt, image(b"png bytes"));
    let report = attach(&rt, pdf());
    let file = attach(&rt, notes());
    answers(&transport, 1);
    send_with(&mut rt, "s", "Look.", vec![photo, report, file]);
    // A long question passes the budget: the older turn is summarized.
    let words = "word ".repeat(25_000);
    transport.json(
        200,
        None,
        &serde_json::json!({"id": "c", "object": "chat.completion", "created": 1, "model": "gpt-4o",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "## Goal\nFiles."},
                "finish_reason": "stop"}]})
        .to_string(),
    );
    answers(&transport, 1);
    let events = send(&mut rt, "s", &words);
    assert!(
        events.iter().any(|e| matches!(e, Event::Compacted { .. })),
        "{events:?}"
    );
    let summary_input = transport.body(1).to_string();
    assert!(
        summary_input.contains(
            "[User]\\nLook.\\n[image: photo.png]\\n[document: report.pdf, 2 pages]\\n[file: notes.md]"
        ),
        "{summary_input}"
    );
    assert!(!summary_input.contains(&b64(b"png bytes")));
    assert!(!summary_input.contains("Revenue grew."));
    // The turn after the cut sends the summary, not the files; they stay stored.
    let sent = transport.body(2).to_string();
    assert!(!sent.contains(&b64(b"png bytes")), "{sent}");
    assert_eq!(run(rt.store().blob_ids()).unwrap().len(), 3);
}

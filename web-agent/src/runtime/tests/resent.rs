//! Earlier messages' files sent again within a request's budget: the current message's
//! always, older ones newest first while they fit the budget of the way the call takes
//! first, the rest as notes; counts follow what is sent.

use base64::Engine as _;
use ferry_core::Config;
use ferry_core::media::{self, MediaKind};
use ferry_core::wire::Message;

use super::*;
use crate::compaction::Entry;
use crate::protocol::AttachmentView;
use crate::routing::Way;
use crate::runtime::attachments::budget::{self, DIRECT_BUDGET, TEXT_MARGIN};
use crate::runtime::attachments::{Prepared, Takes};

const MIB: u64 = 1024 * 1024;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn picture(name: &str, bytes: &[u8]) -> Prepared {
    Prepared {
        name: name.into(),
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

fn notes() -> Prepared {
    Prepared {
        name: "notes.md".into(),
        mime: "text/markdown".into(),
        kind: MediaKind::Text,
        bytes: b"Buy tea.".to_vec(),
        width: None,
        height: None,
        pages: None,
        text: None,
        original: None,
    }
}

fn send_with(rt: &mut TestRuntime<'_>, text: &str, attachments: Vec<AttachmentView>) -> Vec<Event> {
    command(
        rt,
        Command::SendMessage {
            session: "s".into(),
            text: text.into(),
            attachments,
        },
    )
}

fn answer(transport: &FakeTransport) {
    transport.answer(
        200,
        &[&chunk(serde_json::json!({"content": "Seen."})), "[DONE]"],
    );
}

fn conversation_tokens(rt: &mut TestRuntime<'_>) -> u64 {
    let events = command(
        rt,
        Command::CountTokens {
            session: Some("s".into()),
            draft: String::new(),
        },
    );
    token_count(&events).0
}

#[wasm_bindgen_test(unsupported = test)]
fn through_the_proxy_only_the_newest_images_fit_and_the_older_are_named() {
    let transport = FakeTransport::default();
    // Mistral is reached through the proxy; Mistral Small reads images.
    let mut rt = runtime(&transport, ProviderId::Mistral);
    rt.settings.model = "mistral-small-latest".into();
    // The proxy serves a cap with room for one of these images beside the text.
    let (one, two, three) = (vec![1u8; 3000], vec![2u8; 3000], vec![3u8; 3000]);
    let data_url = |bytes: &[u8]| format!("data:image/png;base64,{}", b64(bytes));
    let room = data_url(&one).len() as u64;
    assert_eq!(room, 22 + 4000);
    rt.settings.proxy_max_media_body_bytes = Some(TEXT_MARGIN + room + 1_000);
    let a = run(rt.add_attachment(picture("a.png", &one))).unwrap();
    let file = run(rt.add_attachment(notes())).unwrap();
    let b = run(rt.add_attachment(picture("b.png", &two))).unwrap();
    let c = run(rt.add_attachment(picture("c.png", &three))).unwrap();
    for _ in 0..3 {
        answer(&transport);
    }
    send_with(&mut rt, "First.", vec![a, file]);
    send_with(&mut rt, "Second.", vec![b]);
    let events = send_with(&mut rt, "Third.", vec![c]);
    assert!(
        matches!(events.last(), Some(Event::TurnFinished { .. })),
        "{events:?}"
    );
    assert!(
        transport
            .urls()
            .iter()
            .all(|u| u == "https://proxy.test/v1/proxy/chat/completions")
    );
    let text = |t: &str| serde_json::json!({"type": "text", "text": t});
    let image = |bytes: &[u8]| serde_json::json!({"type": "image_url", "image_url": {"url": data_url(bytes)}});
    let file_part = text("<file name=\"notes.md\">\nBuy tea.\n</file>");
    let seen = serde_json::json!({"role": "assistant", "content": "Seen."});
    let system = serde_json::json!({"role": "system", "content": "Be brief."});
    let not_repeated = |name: &str| {
        text(&format!(
            "[image: {name} — sent earlier in this chat, not repeated]"
        ))
    };
    // Turn 1: its own files.
    assert_eq!(
        transport.body(0)["messages"],
        serde_json::json!([system,
            {"role": "user", "content": [text("First."), image(&one), file_part]}])
    );
    // Turn 2: the new image goes; the first one has no room left, the text file goes.
    assert_eq!(
        transport.body(1)["messages"],
        serde_json::json!([system,
            {"role": "user", "content": [text("First."), not_repeated("a.png"), file_part]},
            seen,
            {"role": "user", "content": [text("Second."), image(&two)]}])
    );
    // Turn 3: only the newest image.
    assert_eq!(
        transport.body(2)["messages"],
        serde_json::json!([system,
            {"role": "user", "content": [text("First."), not_repeated("a.png"), file_part]},
            seen,
            {"role": "user", "content": [text("Second."), not_repeated("b.png")]},
            seen,
            {"role": "user", "content": [text("Third."), image(&three)]}])
    );
    assert!(!transport.body(2).to_string().contains(&b64(&one)));

    // The count is of what is sent: the notes, not the images they stand for.
    let counted = conversation_tokens(&mut rt);
    rt.settings.proxy_max_media_body_bytes = Some(16 * MIB);
    let all_images = conversation_tokens(&mut rt);
    let image_tokens = media::image_tokens(ProviderId::Mistral, "mistral-small-latest", 1000, 750);
    let estimate = |name: &str| {
        ferry_core::tokens::estimate(&format!(
            "[image: {name} — sent earlier in this chat, not repeated]"
        ))
    };
    assert_eq!(
        all_images - counted,
        2 * image_tokens - estimate("a.png") - estimate("b.png")
    );
}

fn view(name: &str, kind: MediaKind, mime: &str, size: u64) -> AttachmentView {
    AttachmentView {
        id: format!("id-{name}"),
        name: name.into(),
        mime: mime.into(),
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

fn png(name: &str, size: u64) -> AttachmentView {
    view(name, MediaKind::Image, "image/png", size)
}

/// A chat of user messages with these files, each answered.
fn chat(files: Vec<Vec<AttachmentView>>) -> Vec<Entry> {
    let mut entries = Vec::new();
    for (i, attachments) in files.into_iter().enumerate() {
        entries.push(Entry {
            id: format!("u{i}"),
            message: Message::text(Role::User, "look"),
            tokens: 0,
            attachments,
        });
        entries.push(Entry {
            id: format!("a{i}"),
            message: Message::text(Role::Assistant, "seen"),
            tokens: 0,
            attachments: Vec::new(),
        });
    }
    // The last user message is the one being answered.
    entries.pop();
    entries
}

/// Of each user message, whether its first file is sent.
fn firsts(resent: &[Vec<bool>]) -> Vec<bool> {
    resent.iter().step_by(2).map(|files| files[0]).collect()
}

#[wasm_bindgen_test(unsupported = test)]
fn the_way_the_call_takes_first_sets_the_budget() {
    // As stored and sent, before base64.
    assert_eq!(budget::base64_len(3), 4);
    assert_eq!(budget::base64_len(4), 8);
    assert_eq!(DIRECT_BUDGET, 19_573_420);
    assert_eq!(budget::budget(Way::Direct, Some(MIB)), DIRECT_BUDGET);
    assert_eq!(
        budget::budget(Way::Proxy, None),
        Config::DEFAULT_MAX_MEDIA_BODY_BYTES - Config::DEFAULT_MAX_BODY_BYTES
    );
    assert_eq!(budget::budget(Way::Proxy, Some(8 * MIB)), 8 * MIB - 131_072);
    assert_eq!(budget::budget(Way::Proxy, Some(1_000)), 0);

    // Three messages of a 2 MiB image each: 2.7 MiB apiece as base64.
    let three = chat(vec![vec![png("a.png", 2 * MIB)]; 3]);
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    rt.settings.model = "gpt-4o".into();
    // OpenAI takes calls from the browser: direct first, all three fit.
    assert_eq!(firsts(&rt.resent(&three)), [true, true, true]);
    // Through the proxy first: 3.9 MiB of room, the newest only.
    rt.settings.always_proxy = true;
    assert_eq!(firsts(&rt.resent(&three)), [false, false, true]);
    // Unless the proxy serves a larger cap.
    rt.settings.proxy_max_media_body_bytes = Some(16 * MIB);
    assert_eq!(firsts(&rt.resent(&three)), [true, true, true]);
    // Without a proxy, direct whatever always_proxy says.
    rt.settings.proxy_url = None;
    rt.settings.proxy_max_media_body_bytes = None;
    assert_eq!(firsts(&rt.resent(&three)), [true, true, true]);
    // A provider that takes no browser calls goes through the proxy.
    let mut rt = runtime(&transport, ProviderId::Mistral);
    rt.settings.model = "mistral-small-latest".into();
    assert_eq!(firsts(&rt.resent(&three)), [false, false, true]);

    // Direct, six messages of a 3 MiB image each (4 MiB as base64): the newest four fit
    // within 18.7 MiB.
    let six = chat(vec![vec![png("b.png", 3 * MIB)]; 6]);
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    rt.settings.model = "gpt-4o".into();
    assert_eq!(
        firsts(&rt.resent(&six)),
        [false, false, true, true, true, true]
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn the_current_message_always_goes_and_no_older_file_after_the_first_that_does_not_fit() {
    let takes = Takes {
        images: true,
        documents: true,
    };
    let url = |view: &AttachmentView| budget::data_bytes(view, takes);
    assert_eq!(url(&png("a.png", 300)), 22 + 400);
    // Room for 1,000 bytes of data URLs.
    let entries = chat(vec![
        vec![png("old.png", 30)],
        vec![
            png("small.png", 30),
            view("notes.md", MediaKind::Text, "text/markdown", 10_000),
        ],
        vec![png("big.png", 600), png("medium.png", 300)],
        vec![png("newest.png", 300)],
    ]);
    assert_eq!(
        budget::resent(&entries, takes, 1_000),
        [
            // Older than a file that did not fit: not sent, small as it is.
            vec![false],
            vec![],
            // A text file is no inline data: it always goes.
            vec![false, true],
            vec![],
            // Newest first: the medium one fits, the big one no longer.
            vec![false, true],
            vec![],
            vec![true],
        ]
    );
    // Over the budget alone, and sent: the app let it through. Nothing older fits.
    let entries = chat(vec![vec![png("a.png", 30)], vec![png("huge.png", 5_000)]]);
    assert_eq!(
        budget::resent(&entries, takes, 1_000),
        [vec![false], vec![], vec![true]]
    );
    // A model without PDFs reads a document's text, which always goes; one without
    // vision a note.
    let entries = chat(vec![
        vec![
            view("report.pdf", MediaKind::Document, "application/pdf", 5_000),
            png("a.png", 5_000),
        ],
        vec![png("b.png", 5_000)],
    ]);
    let text_only = Takes {
        images: false,
        documents: false,
    };
    assert_eq!(
        budget::resent(&entries, text_only, 0),
        [vec![true, true], vec![], vec![true]]
    );
    assert_eq!(
        budget::resent(&entries, takes, 10_000),
        [vec![false, false], vec![], vec![true]]
    );
    // No user message: nothing to choose.
    assert_eq!(budget::resent(&[], takes, 0), Vec::<Vec<bool>>::new());
    // The notes, by kind.
    assert_eq!(
        budget::not_repeated(&view(
            "report.pdf",
            MediaKind::Document,
            "application/pdf",
            1
        )),
        "[document: report.pdf — sent earlier in this chat, not repeated]"
    );
    assert_eq!(
        budget::not_repeated(&view("notes.md", MediaKind::Text, "text/markdown", 1)),
        "[file: notes.md — sent earlier in this chat, not repeated]"
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn the_proxy_cap_is_the_page_s_and_outlives_the_settings_the_user_saves() {
    let page = Settings::read(serde_json::json!({
        "provider": "openai",
        "proxy_url": "https://proxy.example",
        "proxy_max_media_body_bytes": 8_388_608u64,
    }))
    .unwrap();
    assert_eq!(page.proxy_max_media_body_bytes, Some(8 * MIB));
    // Saved settings from before it was served, or with an older figure: the page's wins.
    let saved = Settings::read(serde_json::json!({"provider": "openai"})).unwrap();
    assert_eq!(
        saved.clone().served_by(&page).proxy_max_media_body_bytes,
        Some(8 * MIB)
    );
    let old = Settings {
        proxy_max_media_body_bytes: Some(MIB),
        ..saved.clone()
    };
    assert_eq!(
        old.clone().served_by(&page).proxy_max_media_body_bytes,
        Some(8 * MIB)
    );
    // A page that serves none leaves the saved figure.
    assert_eq!(old.served_by(&saved).proxy_max_media_body_bytes, Some(MIB));
    // Not written when unknown.
    assert!(
        serde_json::to_value(&saved)
            .unwrap()
            .get("proxy_max_media_body_bytes")
            .is_none()
    );

    // The app's settings form does not carry it: saving keeps the page's.
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::OpenAi);
    rt.settings.proxy_max_media_body_bytes = Some(8 * MIB);
    command(
        &mut rt,
        Command::SetSettings {
            settings: serde_json::json!({"provider": "openai", "model": "gpt-4o"}),
        },
    );
    assert_eq!(rt.settings.model, "gpt-4o");
    assert_eq!(rt.settings.proxy_max_media_body_bytes, Some(8 * MIB));
    let stored = run(rt.store().settings()).unwrap().unwrap();
    assert_eq!(stored["proxy_max_media_body_bytes"], 8_388_608);
    // Never synced to the user's other devices: it is where this page's proxy stands.
    let synced = serde_json::to_value(crate::supabase_rest::SyncedSettings::from_settings(
        &rt.settings,
    ))
    .unwrap();
    assert!(synced.get("proxy_max_media_body_bytes").is_none());
}

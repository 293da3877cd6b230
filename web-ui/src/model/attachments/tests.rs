//! Chips, limits and labels.

use super::*;

fn view(name: &str, kind: MediaKind, size: u64) -> AttachmentView {
    AttachmentView {
        id: format!("id-{name}"),
        name: name.into(),
        mime: match kind {
            MediaKind::Image => "image/jpeg",
            MediaKind::Document => "application/pdf",
            MediaKind::Text => "text/plain",
        }
        .into(),
        kind,
        size,
        width: None,
        height: None,
        pages: (kind == MediaKind::Document).then_some(3),
        original: None,
        original_size: None,
        text_bytes: (kind != MediaKind::Image).then_some(size + 40),
    }
}

const MB: u64 = 1024 * 1024;

#[test]
fn sizes_read_as_people_say_them() {
    assert_eq!(size_label(820), "820 B");
    assert_eq!(size_label(4 * 1024), "4 KB");
    assert_eq!(size_label(4 * 1024 + 1), "5 KB");
    assert_eq!(size_label(MB), "1 MB");
    assert_eq!(size_label(MB + MB / 5), "1.2 MB");
    assert_eq!(size_label(14 * MB), "14 MB");
    assert_eq!(pages_label(1), "1 page");
    assert_eq!(pages_label(12), "12 pages");
}

#[test]
fn a_document_reads_name_pages_and_size() {
    let pdf = Attached::from(&view("report.pdf", MediaKind::Document, 240 * 1024));
    assert_eq!(pdf.label(), "report.pdf · 3 pages · 240 KB");
    let notes = Attached::from(&view("notes.md", MediaKind::Text, 2000));
    assert_eq!(notes.label(), "notes.md · 2 KB");
}

#[test]
fn a_chip_prepares_then_is_ready_or_refused() {
    let mut chips = Chips::default();
    let a = chips.add("a.png", 10, Some("blob:a".into()));
    let b = chips.add("b.pdf", 20, None);
    let c = chips.add("c.zip", 5, None);
    assert!(chips.preparing());
    assert_eq!(chips.list[0].detail(), "Preparing…");
    assert!(!chips.has_images());
    chips.prepared(
        c,
        Err("c.zip: Ferry does not take this type of file".into()),
    );
    assert_eq!(
        chips.list[2].state,
        ChipState::Refused("c.zip: Ferry does not take this type of file".into())
    );

    chips.prepared(a, Ok(view("a.png", MediaKind::Image, 2048)));
    chips.prepared(b, Err("b.pdf has over 100 pages".into()));
    assert!(!chips.preparing());
    assert_eq!(chips.list[0].detail(), "2 KB");
    assert_eq!(chips.list[1].detail(), "b.pdf has over 100 pages");
    assert_eq!(chips.ready(true).len(), 1);
    assert!(chips.has_images());
    assert!(chips.ready(false).is_empty());

    // An answer for a chip removed meanwhile changes nothing.
    let removed = chips.remove(c).map(|chip| chip.name);
    assert_eq!(removed.as_deref(), Some("c.zip"));
    chips.prepared(c, Ok(view("c.zip", MediaKind::Text, 1)));
    assert_eq!(chips.list.len(), 2);

    let cleared = chips.clear();
    assert_eq!(cleared[0].preview.as_deref(), Some("blob:a"));
    assert!(chips.list.is_empty());
    // Keys are not reused.
    assert_ne!(chips.add("d.txt", 1, None), a);
}

#[test]
fn a_ready_document_shows_its_pages() {
    let mut chips = Chips::default();
    let key = chips.add("r.pdf", 1, None);
    chips.prepared(key, Ok(view("r.pdf", MediaKind::Document, 3 * 1024)));
    assert_eq!(chips.list[0].detail(), "3 pages · 3 KB");
}

#[test]
fn the_proxy_route_is_taken_without_browser_calls_or_when_always() {
    assert!(via_proxy(ProviderId::Mistral, true, false));
    assert!(!via_proxy(ProviderId::Anthropic, true, false));
    assert!(via_proxy(ProviderId::Anthropic, true, true));
    assert!(!via_proxy(ProviderId::Mistral, false, false));
}

#[test]
fn vision_comes_from_the_model_facts() {
    assert!(reads_images(ProviderId::Mistral, "mistral-small-latest"));
    assert!(!reads_images(ProviderId::DeepSeek, "deepseek-chat"));
}

#[test]
fn limits_per_message_and_on_the_proxy() {
    let direct = Limits {
        proxy_cap: None,
        proxy_text_cap: None,
        documents: true,
    };
    let one = vec![view("a.png", MediaKind::Image, MB)];
    assert_eq!(direct.problem("", &one, Earlier::default()), None);
    assert_eq!(direct.line(&one), "1 of 10 files · 1 MB of 14 MB");

    let eleven: Vec<_> = (0..11)
        .map(|i| view(&format!("{i}.txt"), MediaKind::Text, 10))
        .collect();
    assert_eq!(
        direct.problem("", &eleven, Earlier::default()).as_deref(),
        Some("At most 10 files a message: remove 1.")
    );
    let heavy = vec![
        view("a.pdf", MediaKind::Document, 10 * MB),
        view("b.pdf", MediaKind::Document, 5 * MB),
    ];
    assert_eq!(
        direct.problem("", &heavy, Earlier::default()).as_deref(),
        Some("These files come to 15 MB, over the 14 MB a message may carry.")
    );
    // Earlier files do not count on a direct call.
    assert_eq!(
        direct.problem(
            "",
            &one,
            Earlier {
                bytes: 100 * MB,
                text: 0
            }
        ),
        None
    );

    let proxy = Limits {
        proxy_cap: Some(4 * MB),
        proxy_text_cap: None,
        documents: true,
    };
    assert_eq!(
        proxy.line(&one),
        "1 of 10 files · 1 MB of 14 MB · the proxy takes requests up to 4 MB"
    );
    assert_eq!(proxy.problem("", &one, Earlier::default()), None);
    // 3 MB is 4 MB as base64.
    let three = vec![view("a.pdf", MediaKind::Document, 3 * MB + 3)];
    assert_eq!(
        proxy.problem("", &three, Earlier::default()).as_deref(),
        Some("These files come to about 4 MB as sent, over the 4 MB your proxy takes.")
    );
    assert!(
        proxy
            .problem(
                "",
                &one,
                Earlier {
                    bytes: 2 * MB + 3,
                    text: 0
                }
            )
            .is_some_and(|p| p.contains("earlier files"))
    );
}

#[test]
fn through_the_proxy_the_text_a_request_carries_is_counted_before_sending() {
    // 8 KB for the text, beside the JSON's margin; the test views' text is their size + 40.
    let proxy = Limits {
        proxy_cap: Some(4 * MB),
        proxy_text_cap: Some(TEXT_MARGIN + 8 * 1024),
        documents: false,
    };
    assert_eq!(
        proxy.line(&[]),
        "0 of 10 files · 0 B of 14 MB · the proxy takes requests up to 4 MB, 8 KB of text"
    );
    let media_unsaid = Limits {
        proxy_cap: None,
        ..proxy
    };
    assert_eq!(
        media_unsaid.line(&[]),
        "0 of 10 files · 0 B of 14 MB · the proxy takes up to 8 KB of text"
    );
    let small = vec![view("notes.md", MediaKind::Text, 4_000)];
    assert_eq!(proxy.problem("Read this", &small, Earlier::default()), None);
    let large = vec![view("notes.md", MediaKind::Text, 9_000)];
    assert_eq!(
        proxy
            .problem("Read this", &large, Earlier::default())
            .as_deref(),
        Some(
            "This message and its files come to about 9 KB of text, over the 8 KB your proxy takes."
        )
    );
    // A PDF goes as its text to a model that does not read PDFs, as data to one that does.
    let report = vec![view("report.pdf", MediaKind::Document, 9_000)];
    assert!(proxy.problem("", &report, Earlier::default()).is_some());
    let reading = Limits {
        documents: true,
        ..proxy
    };
    assert_eq!(reading.problem("", &report, Earlier::default()), None);
    // Images are data, never text.
    let photo = vec![view("a.png", MediaKind::Image, MB)];
    assert_eq!(proxy.problem("", &photo, Earlier::default()), None);
    // The message's own text counts.
    assert_eq!(
        proxy
            .problem(&"x".repeat(9 * 1024), &[], Earlier::default())
            .as_deref(),
        Some("This message comes to about 9 KB of text, over the 8 KB your proxy takes.")
    );
    // And the chat's earlier files' text, sent again with every request.
    assert_eq!(
        proxy
            .problem(
                "",
                &small,
                Earlier {
                    bytes: 0,
                    text: 5_000
                }
            )
            .as_deref(),
        Some(
            "With this chat's earlier files the request comes to about 9 KB of text, over the 8 KB your proxy takes: start a new chat or remove files."
        )
    );
    // The proxy's cap on files' data is checked first.
    let tight = Limits {
        proxy_cap: Some(8 * 1024),
        ..proxy
    };
    assert!(
        tight
            .problem("", &large, Earlier::default())
            .is_some_and(|p| p.contains("as sent"))
    );
    // A direct call, or a proxy that did not say, has no such cap.
    let unsaid = Limits {
        proxy_text_cap: None,
        ..proxy
    };
    assert_eq!(unsaid.problem("", &large, Earlier::default()), None);
}

#[test]
fn text_sent_is_a_text_files_text_and_a_pdfs_for_a_model_without_pdfs() {
    assert_eq!(text_sent(MediaKind::Text, Some(50), 10, true), 50);
    // Not said: a text file's bytes; a PDF's text is not known.
    assert_eq!(text_sent(MediaKind::Text, None, 10, true), 10);
    assert_eq!(text_sent(MediaKind::Document, Some(50), 10, false), 50);
    assert_eq!(text_sent(MediaKind::Document, None, 10, false), 0);
    assert_eq!(text_sent(MediaKind::Document, Some(50), 10, true), 0);
    assert_eq!(text_sent(MediaKind::Image, None, 10, false), 0);
    assert!(!reads_documents(
        ProviderId::Mistral,
        "mistral-small-latest"
    ));
    assert!(reads_documents(ProviderId::OpenAi, "gpt-4o"));
}

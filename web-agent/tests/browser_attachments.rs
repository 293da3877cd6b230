//! Attachments in headless Chromium: a large photo downscaled to the fitted size as a small
//! JPEG, a small image kept as it is, a GIF turned into a PNG, text decoded strictly, PDFs
//! read by pdf.js (served by `tests/support/sse-server.mjs`, whose URL `scripts/test.sh`
//! passes in `FERRY_SSE_SERVER`) with page markers, the page limit, a password refused and
//! character maps fetched for fonts not embedded; the same file attached twice stored once,
//! attaching while an answer streams, and a version 3 database upgraded to blobs keeping its
//! data.
#![cfg(all(target_arch = "wasm32", feature = "browser"))]
#![expect(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::cell::RefCell;
use std::rc::Rc;

use base64::Engine as _;
use ferry_core::media::{self, MediaKind};
use indexed_db_futures::database::Database;
use indexed_db_futures::prelude::*;
use js_sys::{Function, Promise, Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_agent::browser::api::open_agent;
use web_agent::browser::attach::{self, Options, Prepared, Refusal};
use web_agent::browser::idb::IdbStore;
use web_agent::protocol::AttachmentView;
use web_agent::store::{Blob, Store, conformance};
use web_sys::{ImageEncodeOptions, OffscreenCanvas, OffscreenCanvasRenderingContext2d};

wasm_bindgen_test_configure!(run_in_browser);

fn unique(name: &str) -> String {
    format!("{name}-{}", js_sys::Math::random())
}

fn pdf_url() -> String {
    format!("{}/pdfjs/pdf.min.mjs", server())
}

fn server() -> &'static str {
    match option_env!("FERRY_SSE_SERVER") {
        Some(server) => server,
        None => panic!(
            "FERRY_SSE_SERVER is not set: run `node web-agent/tests/support/sse-server.mjs` and \
             build the tests with the URL it prints (scripts/test.sh does)"
        ),
    }
}

fn blob_of(bytes: &[u8], mime: &str) -> web_sys::Blob {
    let parts = js_sys::Array::of1(&Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).unwrap()
}

/// A `width` × `height` picture of many coloured rectangles (`alpha` < 1: see-through),
/// encoded as `mime`.
async fn picture(width: u32, height: u32, mime: &str, alpha: f64) -> web_sys::Blob {
    let canvas = OffscreenCanvas::new(width, height).unwrap();
    let context: OffscreenCanvasRenderingContext2d = canvas
        .get_context("2d")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    let (w, h) = (f64::from(width), f64::from(height));
    for i in 0..600 {
        let r = |k: u32| (i * 37 + k * 91) % 256;
        context.set_fill_style_str(&format!("rgba({},{},{},{alpha})", r(1), r(2), r(3)));
        let x = js_sys::Math::random() * w;
        let y = js_sys::Math::random() * h;
        context.fill_rect(x, y, w / 8.0, h / 8.0);
    }
    let options = ImageEncodeOptions::new();
    options.set_type(mime);
    JsFuture::from(canvas.convert_to_blob_with_options(&options).unwrap())
        .await
        .unwrap()
        .dyn_into()
        .unwrap()
}

async fn decode(bytes: &[u8], mime: &str) -> (u32, u32, Vec<u8>) {
    let window = web_sys::window().unwrap();
    let bitmap: web_sys::ImageBitmap = JsFuture::from(
        window
            .create_image_bitmap_with_blob(&blob_of(bytes, mime))
            .unwrap(),
    )
    .await
    .unwrap()
    .dyn_into()
    .unwrap();
    let (w, h) = (bitmap.width(), bitmap.height());
    let canvas = OffscreenCanvas::new(w, h).unwrap();
    let context: OffscreenCanvasRenderingContext2d = canvas
        .get_context("2d")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    context
        .draw_image_with_image_bitmap(&bitmap, 0.0, 0.0)
        .unwrap();
    // The top-left pixel, RGBA.
    let pixel = context.get_image_data(0.0, 0.0, 1.0, 1.0).unwrap().data().0;
    (w, h, pixel)
}

async fn prepare(file: &web_sys::Blob, name: &str) -> Result<Prepared, Refusal> {
    attach::prepare(file, name, &Options::default()).await
}

#[wasm_bindgen_test]
async fn a_large_photo_becomes_a_small_jpeg_of_the_fitted_size() {
    let photo = picture(4000, 3000, "image/png", 1.0).await;
    let prepared = attach::prepare(
        &photo,
        "photo.png",
        &Options {
            keep_original: true,
            pdf_url: None,
        },
    )
    .await
    .unwrap();
    let (width, height) = media::fit_image(4000, 3000);
    assert_eq!(
        (prepared.width, prepared.height),
        (Some(width), Some(height))
    );
    assert!(width <= media::IMAGE_MAX_SIDE && height <= media::IMAGE_MAX_SIDE);
    assert_eq!(
        (prepared.kind, prepared.mime.as_str()),
        (MediaKind::Image, "image/jpeg")
    );
    assert_eq!(attach::sniff(&prepared.bytes), Some("image/jpeg"));
    assert!(
        prepared.bytes.len() < 600_000,
        "{} bytes",
        prepared.bytes.len()
    );
    let (w, h, _) = decode(&prepared.bytes, "image/jpeg").await;
    assert_eq!((w, h), (width, height));
    // Asked to: the original is kept too, as it was.
    let (mime, original) = prepared.original.unwrap();
    assert_eq!(mime, "image/png");
    assert_eq!(original.len() as f64, photo.size());
}

#[wasm_bindgen_test]
async fn a_small_image_is_kept_as_it_is() {
    let png = picture(320, 200, "image/png", 1.0).await;
    let bytes = Uint8Array::new(&JsFuture::from(png.array_buffer()).await.unwrap()).to_vec();
    let prepared = prepare(&png, "small.png").await.unwrap();
    assert_eq!(prepared.mime, "image/png");
    assert_eq!(prepared.bytes, bytes);
    assert_eq!((prepared.width, prepared.height), (Some(320), Some(200)));
    assert_eq!(prepared.original, None);
}

#[wasm_bindgen_test]
async fn transparency_becomes_white_in_a_jpeg() {
    let see_through = picture(2400, 1800, "image/png", 0.0).await;
    let prepared = prepare(&see_through, "clear.png").await.unwrap();
    assert_eq!(prepared.mime, "image/jpeg");
    let (_, _, pixel) = decode(&prepared.bytes, "image/jpeg").await;
    assert!(pixel[..3].iter().all(|&c| c > 245), "{pixel:?}");
}

#[wasm_bindgen_test]
async fn a_gif_becomes_a_png_and_types_are_told_by_their_bytes() {
    // 1 × 1, one white pixel; named and typed as something else.
    let gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";
    let prepared = prepare(&blob_of(gif, ""), "pasted").await.unwrap();
    assert_eq!(
        (prepared.mime.as_str(), prepared.width),
        ("image/png", Some(1))
    );
    assert_eq!(attach::sniff(&prepared.bytes), Some("image/png"));
    // A ".png" that is not an image, and a type Ferry does not take.
    let fake = prepare(&blob_of(b"not an image", "image/png"), "x.png").await;
    assert_eq!(
        fake.map(|_| ()),
        Err(Refusal::UnreadableImage {
            name: "x.png".into()
        })
    );
    let exe = prepare(
        &blob_of(b"MZ\x90\x00", "application/x-msdownload"),
        "setup.exe",
    )
    .await;
    let refusal = exe.map(|_| ()).unwrap_err();
    assert!(
        refusal.to_string().starts_with("setup.exe: Ferry takes"),
        "{refusal}"
    );
}

#[wasm_bindgen_test]
fn kinds_come_from_first_bytes_then_type_then_name() {
    let webp = b"RIFF\x24\x00\x00\x00WEBPVP8 ";
    assert_eq!(attach::sniff(webp), Some("image/webp"));
    assert_eq!(attach::sniff(b"RIFF\x24\x00\x00\x00WAVEfmt "), None);
    assert_eq!(
        attach::classify(b"%PDF-1.7\n", "application/octet-stream", "scan"),
        Ok((MediaKind::Document, "application/pdf".to_owned()))
    );
    // A text file's odd type gives way to plain text; a text type stays.
    assert_eq!(
        attach::classify(b"fn main() {}", "application/x-unknown", "main.rs"),
        Ok((MediaKind::Text, "text/plain".to_owned()))
    );
    assert_eq!(
        attach::classify(b"{}", "application/json; charset=utf-8", "a.json"),
        Ok((MediaKind::Text, "application/json".to_owned()))
    );
    assert_eq!(attach::decode_text(b"a\0b"), None);
}

#[wasm_bindgen_test]
async fn text_is_utf8_or_refused() {
    let notes = prepare(
        &blob_of("\u{feff}# Notes\nçà 🙂\n".as_bytes(), ""),
        "notes.md",
    )
    .await
    .unwrap();
    assert_eq!(
        (notes.kind, notes.mime.as_str(), notes.text.as_deref()),
        (MediaKind::Text, "text/plain", Some("# Notes\nçà 🙂\n"))
    );
    let csv = prepare(&blob_of(b"a,b\n1,2\n", "text/csv"), "t.csv")
        .await
        .unwrap();
    assert_eq!(csv.mime, "text/csv");
    let latin1 = prepare(&blob_of(b"caf\xe9", "text/plain"), "old.txt").await;
    assert_eq!(
        latin1.map(|_| ()),
        Err(Refusal::NotText {
            name: "old.txt".into()
        })
    );
    let too_large = vec![b'a'; media::MAX_TEXT_FILE_BYTES as usize + 1];
    let refusal = prepare(&blob_of(&too_large, "text/plain"), "big.txt")
        .await
        .map(|_| ())
        .unwrap_err();
    assert!(
        matches!(refusal, Refusal::TooLarge { .. }),
        "{refusal:?}: {refusal}"
    );
    let empty = prepare(&blob_of(b"", "text/plain"), "e.txt").await;
    assert_eq!(
        empty.map(|_| ()),
        Err(Refusal::Empty {
            name: "e.txt".into()
        })
    );
}

/// A PDF, written by hand: one page per entry of `pages`, each entry's lines in
/// Helvetica, one under the other.
fn pdf(pages: &[&[&str]]) -> Vec<u8> {
    let mut objects = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        format!(
            "<< /Type /Pages /Kids [{}] /Count {} >>",
            (0..pages.len())
                .map(|i| format!("{} 0 R", 4 + 2 * i))
                .collect::<Vec<_>>()
                .join(" "),
            pages.len()
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    for (i, lines) in pages.iter().enumerate() {
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] \
             /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
            5 + 2 * i
        ));
        let shown: String = lines
            .iter()
            .map(|line| format!("({line}) Tj 0 -30 Td "))
            .collect();
        let stream = format!("BT /F1 18 Tf 72 700 Td {shown}ET");
        objects.push(format!(
            "<< /Length {} >>\nstream\n{stream}\nendstream",
            stream.len()
        ));
    }
    write_pdf(&objects)
}

/// A PDF of `objects` (object 1 its catalog), with their cross-reference table.
fn write_pdf(objects: &[String]) -> Vec<u8> {
    let mut out = String::from("%PDF-1.4\n");
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.push_str(&format!("{} 0 obj\n{body}\nendobj\n", i + 1));
    }
    let xref = out.len();
    out.push_str(&format!(
        "xref\n0 {}\n0000000000 65535 f \n",
        objects.len() + 1
    ));
    for offset in offsets {
        out.push_str(&format!("{offset:010} 00000 n \n"));
    }
    out.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    ));
    out.into_bytes()
}

/// One page of Japanese in a font the PDF names but does not embed, its codes read through
/// the predefined `UniJIS-UCS2-H` character map, which pdf.js has to fetch.
fn japanese_pdf(text: &str) -> Vec<u8> {
    let codes: String = text
        .encode_utf16()
        .map(|unit| format!("{unit:04X}"))
        .collect();
    let stream = format!("BT /F1 24 Tf 72 700 Td <{codes}> Tj ET");
    let font = "/BaseFont /KozMinPro-Regular";
    write_pdf(&[
        "<< /Type /Catalog /Pages 2 0 R >>".into(),
        "<< /Type /Pages /Kids [4 0 R] /Count 1 >>".into(),
        format!(
            "<< /Type /Font /Subtype /Type0 {font} /Encoding /UniJIS-UCS2-H /DescendantFonts [6 0 R] >>"
        ),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] \
         /Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>"
            .into(),
        format!(
            "<< /Length {} >>\nstream\n{stream}\nendstream",
            stream.len()
        ),
        format!(
            "<< /Type /Font /Subtype /CIDFontType0 {font} /CIDSystemInfo << /Registry (Adobe) \
             /Ordering (Japan1) /Supplement 4 >> /FontDescriptor 7 0 R >>"
        ),
        "<< /Type /FontDescriptor /FontName /KozMinPro-Regular /Flags 4 /FontBBox [0 0 1000 1000] \
         /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 700 /StemV 80 >>"
            .into(),
    ])
}

#[wasm_bindgen_test]
async fn text_in_a_font_the_pdf_does_not_embed_is_read_through_its_character_map() {
    let bytes = japanese_pdf("日本語のテキスト");
    let prepared = attach::prepare(&blob_of(&bytes, ""), "ja.pdf", &with_pdf_reader())
        .await
        .unwrap();
    assert_eq!(
        prepared.text.as_deref(),
        Some("--- Page 1 ---\n日本語のテキスト")
    );
}

/// A one-page PDF encrypted (AES-256) with the user password "secret" (`qpdf --encrypt`).
const ENCRYPTED_PDF: &str = concat!(
    "JVBERi0xLjcKJb/3ov4KMSAwIG9iago8PCAvRXh0ZW5zaW9ucyA8PCAvQURCRSA8PCAvQmFzZVZlcnNpb24g",
    "LzEuNyAvRXh0ZW5zaW9uTGV2ZWwgOCA+PiA+PiAvUGFnZXMgMiAwIFIgL1R5cGUgL0NhdGFsb2cgPj4KZW5k",
    "b2JqCjIgMCBvYmoKPDwgL0NvdW50IDEgL0tpZHMgWyAzIDAgUiBdIC9UeXBlIC9QYWdlcyA+PgplbmRvYmoK",
    "MyAwIG9iago8PCAvQ29udGVudHMgNCAwIFIgL01lZGlhQm94IFsgMCAwIDYxMiA3OTIgXSAvUGFyZW50IDIg",
    "MCBSIC9SZXNvdXJjZXMgPDwgL0ZvbnQgPDwgL0YxIDUgMCBSID4+ID4+IC9UeXBlIC9QYWdlID4+CmVuZG9i",
    "ago0IDAgb2JqCjw8IC9MZW5ndGggNjQgL0ZpbHRlciAvRmxhdGVEZWNvZGUgPj4Kc3RyZWFtCimydTNT/W7f",
    "6OgXIg8VSJ6IthObEoxJXT9VkNxC2BihzVfMmEl8wKl9SshTzMD8/XQDFBJQkDdXiq+cPopgVkZlbmRzdHJl",
    "YW0KZW5kb2JqCjUgMCBvYmoKPDwgL0Jhc2VGb250IC9IZWx2ZXRpY2EgL1N1YnR5cGUgL1R5cGUxIC9UeXBl",
    "IC9Gb250ID4+CmVuZG9iago2IDAgb2JqCjw8IC9DRiA8PCAvU3RkQ0YgPDwgL0F1dGhFdmVudCAvRG9jT3Bl",
    "biAvQ0ZNIC9BRVNWMyAvTGVuZ3RoIDMyID4+ID4+IC9GaWx0ZXIgL1N0YW5kYXJkIC9MZW5ndGggMjU2IC9P",
    "IDxmZTk5YjExY2MwOTFjMWM4NzM4ZGRmNjk2YTBlMGQ4MTgwMWMzZTNhMmY5OWRkNzI2MmNkZWI0MTI4Yzc0",
    "MjExNjUyODE4MmM1YjZmNzM1ZjhmNmUxOTc2MTg2ODA0Mzc+IC9PRSA8ODE1MjY1ZWE2ZDY2ZDc1YjRhOGY3",
    "OTlmMTI0NDkyYmJjYzY2YTEwNDJlNGIyZmQ3NzIzNDM2NjA4MDY1NjVjOD4gL1AgLTQgL1Blcm1zIDxhMWU4",
    "MTljN2MzMzMwNDljYjQyYjNjOTQ3OGMzOGM4Mj4gL1IgNiAvU3RtRiAvU3RkQ0YgL1N0ckYgL1N0ZENGIC9V",
    "IDwwMjU4ODUyMmVmZGNjNTkwMGJkOWZmNjJkZWFhZWZjZDk1YTQyYWM1NjYyYjE5M2MwYTllMjA1NTFiOWFm",
    "ZTE0YjhlNzEwZGY4NDNmMTk5NDFhOGQwZjM0OTc1NWIwNjM+IC9VRSA8NTkyYmZiMGYxMmQxM2U0NGU3NmYw",
    "MWU1YTdjZmNkN2U4OWNkMmYyMmVjYjA1NzZhYmUyNjU1NThiOTJiMDgzMT4gL1YgNSA+PgplbmRvYmoKeHJl",
    "ZgowIDcKMDAwMDAwMDAwMCA2NTUzNSBmIAowMDAwMDAwMDE1IDAwMDAwIG4gCjAwMDAwMDAxMzAgMDAwMDAg",
    "biAKMDAwMDAwMDE4OSAwMDAwMCBuIAowMDAwMDAwMzE3IDAwMDAwIG4gCjAwMDAwMDA0NTEgMDAwMDAgbiAK",
    "MDAwMDAwMDUyMSAwMDAwMCBuIAp0cmFpbGVyIDw8IC9Sb290IDEgMCBSIC9TaXplIDcgL0lEIFs8MzE0MTU5",
    "MjY1MzU4OTc5MzIzODQ2MjY0MzM4MzI3OTU+PDMxNDE1OTI2NTM1ODk3OTMyMzg0NjI2NDMzODMyNzk1Pl0g",
    "L0VuY3J5cHQgNiAwIFIgPj4Kc3RhcnR4cmVmCjEwNjgKJSVFT0YK",
);

fn with_pdf_reader() -> Options {
    Options {
        keep_original: false,
        pdf_url: Some(pdf_url()),
    }
}

#[wasm_bindgen_test]
async fn a_pdf_is_read_page_by_page() {
    let bytes = pdf(&[
        &["First page, line one", "First page, line two"],
        &["Second page"],
        &["Third page"],
    ]);
    let file = blob_of(&bytes, "application/pdf");
    let prepared = attach::prepare(&file, "report.pdf", &with_pdf_reader())
        .await
        .unwrap();
    assert_eq!(
        (prepared.kind, prepared.mime.as_str(), prepared.pages),
        (MediaKind::Document, "application/pdf", Some(3))
    );
    assert_eq!(prepared.bytes, bytes);
    let text = prepared.text.unwrap();
    assert!(
        text.starts_with("--- Page 1 ---\nFirst page, line one"),
        "{text}"
    );
    let at = |needle: &str| {
        text.find(needle)
            .unwrap_or_else(|| panic!("{needle} in {text}"))
    };
    assert!(at("line one") < at("line two"));
    assert!(at("line two") < at("--- Page 2 ---\nSecond page"));
    assert!(at("Second page") < at("--- Page 3 ---\nThird page"));
}

#[wasm_bindgen_test]
async fn blocks_of_text_in_columns_are_never_glued_together() {
    // Blocks placed on one baseline out of reading order (a right-hand cell drawn before
    // the left one), which pdf.js reports with no line end between them; a new column by
    // its text matrix; a cell gap inside one TJ array; a superscript.
    let stream = "BT /F1 12 Tf 320 500 Td (Right first.) Tj ET BT /F1 12 Tf 72 500 Td (Then left) Tj ET \
                  BT /F1 12 Tf 72 700 Td (Left column top) Tj 1 0 0 1 72 680 Tm (and the end.) Tj \
                  1 0 0 1 320 700 Tm (Legal Notice) Tj ET \
                  BT /F1 12 Tf 72 600 Td [(Cell one) -9000 (Cell two)] TJ ET \
                  BT /F1 12 Tf 320 400 Td (E = mc) Tj ET BT /F1 7 Tf 360 405 Td (2) Tj ET";
    let bytes = write_pdf(&[
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [4 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] \
         /Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>"
            .to_owned(),
        format!(
            "<< /Length {} >>\nstream\n{stream}\nendstream",
            stream.len()
        ),
    ]);
    let file = blob_of(&bytes, "application/pdf");
    let prepared = attach::prepare(&file, "columns.pdf", &with_pdf_reader())
        .await
        .unwrap();
    let text = prepared.text.unwrap();
    for line in [
        "Right first.",
        "Then left",
        "Left column top",
        "and the end.",
        "Legal Notice",
        "Cell one Cell two",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "{line:?} alone on a line in {text}"
        );
    }
    // The superscript stays on its line.
    assert!(
        text.lines().any(|l| l == "E = mc 2" || l == "E = mc2"),
        "{text}"
    );
}

#[wasm_bindgen_test]
async fn a_pdf_over_the_page_limit_or_unreadable_is_refused() {
    let page: &[&str] = &["page"];
    let long = pdf(&vec![page; media::MAX_PDF_PAGES as usize + 1]);
    let refusal = attach::prepare(&blob_of(&long, ""), "long.pdf", &with_pdf_reader())
        .await
        .map(|_| ())
        .unwrap_err();
    assert_eq!(
        refusal,
        Refusal::TooManyPages {
            name: "long.pdf".into(),
            pages: media::MAX_PDF_PAGES + 1,
            max: media::MAX_PDF_PAGES
        }
    );
    assert_eq!(
        refusal.to_string(),
        "long.pdf has 101 pages; the most Ferry takes is 100."
    );
    let broken = b"%PDF-1.4\nthis is not a PDF at all".to_vec();
    let refusal = attach::prepare(&blob_of(&broken, ""), "broken.pdf", &with_pdf_reader())
        .await
        .map(|_| ())
        .unwrap_err();
    assert_eq!(
        refusal,
        Refusal::UnreadablePdf {
            name: "broken.pdf".into()
        }
    );
    let locked = base64::engine::general_purpose::STANDARD
        .decode(ENCRYPTED_PDF)
        .unwrap();
    let refusal = attach::prepare(&blob_of(&locked, ""), "locked.pdf", &with_pdf_reader())
        .await
        .map(|_| ())
        .unwrap_err();
    assert_eq!(
        refusal.to_string(),
        "locked.pdf is protected by a password."
    );
    // Without the reader's address, PDFs are refused with a reason.
    let refusal = prepare(&blob_of(&pdf(&[page]), ""), "a.pdf")
        .await
        .unwrap_err();
    assert!(
        matches!(refusal, Refusal::NoPdfReader { .. }),
        "{refusal:?}"
    );
}

#[wasm_bindgen_test]
async fn the_same_file_attached_twice_is_stored_once_and_shown_by_url() {
    let db = unique("ferry-attach");
    let agent = open_agent(db.clone(), r#"{"provider":"openai"}"#.into(), None, None)
        .await
        .unwrap();
    let png = picture(64, 48, "image/png", 1.0).await;
    let mut views = Vec::new();
    for name in ["a.png", "again.png"] {
        let json = JsFuture::from(agent.attach(png.clone(), name.into()))
            .await
            .unwrap();
        let view: AttachmentView = serde_json::from_str(&json.as_string().unwrap()).unwrap();
        views.push(view);
    }
    assert_eq!(views[0].id, views[1].id);
    assert_eq!(
        (views[0].kind, views[1].name.as_str()),
        (MediaKind::Image, "again.png")
    );
    assert_eq!((views[0].width, views[0].height), (Some(64), Some(48)));
    let store = IdbStore::open(&db).await.unwrap();
    assert_eq!(store.blob_ids().await.unwrap(), [views[0].id.as_str()]);

    let url = JsFuture::from(agent.attachment_url(views[0].id.clone()))
        .await
        .unwrap()
        .as_string()
        .unwrap();
    assert!(url.starts_with("blob:"), "{url}");
    let response: web_sys::Response =
        JsFuture::from(web_sys::window().unwrap().fetch_with_str(&url))
            .await
            .unwrap()
            .dyn_into()
            .unwrap();
    assert_eq!(
        response.headers().get("content-type").unwrap().as_deref(),
        Some("image/png")
    );
    let served = JsFuture::from(response.array_buffer().unwrap())
        .await
        .unwrap();
    let original = JsFuture::from(png.array_buffer()).await.unwrap();
    assert_eq!(
        Uint8Array::new(&served).to_vec(),
        Uint8Array::new(&original).to_vec()
    );
    web_sys::Url::revoke_object_url(&url).unwrap();

    // A refusal is an Error with the words the app shows.
    let refused = JsFuture::from(agent.attach(blob_of(b"\x00\x01", ""), "data.bin".into()))
        .await
        .unwrap_err();
    let message = Reflect::get(&refused, &"message".into())
        .unwrap()
        .as_string()
        .unwrap();
    assert!(message.starts_with("data.bin: Ferry takes"), "{message}");
    assert!(
        JsFuture::from(agent.attachment_url("0".repeat(64)))
            .await
            .is_err()
    );
}

/// Runs `command` on `agent`; its events' JSON.
async fn run(agent: &web_agent::browser::api::Agent, command: &str) -> Vec<serde_json::Value> {
    let events = Rc::new(RefCell::new(Vec::new()));
    let sink = Rc::clone(&events);
    let on_event = Closure::<dyn FnMut(String)>::new(move |json: String| {
        sink.borrow_mut().push(serde_json::from_str(&json).unwrap());
    });
    JsFuture::from(agent.command(
        command.into(),
        on_event.as_ref().unchecked_ref::<Function>().clone(),
    ))
    .await
    .unwrap();
    events.take()
}

/// Notes `label` in `order` when `promise` settles, fulfilled or not; answers `promise`.
fn labelled(
    promise: Promise,
    label: &'static str,
    order: &Rc<RefCell<Vec<&'static str>>>,
) -> Promise {
    let (on_ok, on_err) = (Rc::clone(order), Rc::clone(order));
    let ok = Closure::<dyn FnMut(JsValue)>::new(move |_| on_ok.borrow_mut().push(label));
    let err = Closure::<dyn FnMut(JsValue)>::new(move |_| on_err.borrow_mut().push(label));
    let _ = promise.then2(&ok, &err);
    ok.forget();
    err.forget();
    promise
}

#[wasm_bindgen_test]
async fn attaching_during_a_turn_waits_for_it_instead_of_failing() {
    let settings = serde_json::json!({
        "provider": "openai",
        "model": "gpt-4o",
        "provider_base_url": format!("{}/slow", server()),
    });
    let agent = open_agent(unique("ferry-busy"), settings.to_string(), None, None)
        .await
        .unwrap();
    run(
        &agent,
        r#"{"type":"set_key","provider":"openai","key":"sk-test","remember":false}"#,
    )
    .await;
    let created = run(&agent, r#"{"type":"new_session"}"#).await;
    let session = created
        .iter()
        .find_map(|e| (e["type"] == "session_created").then(|| e["session"].clone()))
        .unwrap();
    let send = serde_json::json!({"type": "send_message", "session": session, "text": "hi"});
    let answer = Rc::new(RefCell::new(String::new()));
    let sink = Rc::clone(&answer);
    let on_event = Closure::<dyn FnMut(String)>::new(move |json: String| {
        sink.borrow_mut().push_str(&json);
    });
    let order = Rc::new(RefCell::new(Vec::new()));
    let turn = labelled(
        agent.command(
            send.to_string(),
            on_event.as_ref().unchecked_ref::<Function>().clone(),
        ),
        "turn",
        &order,
    );
    let png = picture(40, 30, "image/png", 1.0).await;
    let attached = labelled(agent.attach(png, "meanwhile.png".into()), "attach", &order);
    let view = JsFuture::from(attached).await.unwrap();
    JsFuture::from(turn).await.unwrap();
    assert_eq!(*order.borrow(), ["turn", "attach"]);
    let view: AttachmentView = serde_json::from_str(&view.as_string().unwrap()).unwrap();
    assert_eq!(view.name, "meanwhile.png");
    // The turn really streamed (it held the runtime while the file was prepared).
    assert!(answer.borrow().contains("\"c\""), "{}", answer.borrow());
}

#[wasm_bindgen_test]
async fn a_version_3_database_is_upgraded_to_blobs_keeping_its_data() {
    let name = unique("ferry-upgrade-v4");
    let old = IdbStore::open_at(&name, 3).await.unwrap();
    old.put_session(&conformance::session("s")).await.unwrap();
    old.put_message(&conformance::message("m", "s", 1, "from v3"))
        .await
        .unwrap();
    old.close();

    let upgraded = IdbStore::open(&name).await.unwrap();
    assert_eq!(
        upgraded.messages("s").await.unwrap()[0]
            .message
            .text_content(),
        "from v3"
    );
    let bytes: Vec<u8> = (0..=255).cycle().take(300_000).collect();
    let blob = Blob {
        id: Blob::id_of(&bytes),
        mime: "image/png".into(),
        bytes,
        text: None,
        pages: None,
        width: Some(10),
        height: Some(20),
        created_ms: 1_700_000_000_123,
    };
    upgraded.put_blob(&blob).await.unwrap();
    upgraded.close();

    // As stored: the bytes a Uint8Array, not an array of numbers.
    let raw = Database::open(&name).await.unwrap();
    let tx = raw.transaction("blobs").build().unwrap();
    let record: Option<JsValue> = tx
        .object_store("blobs")
        .unwrap()
        .get(blob.id.clone())
        .primitive()
        .unwrap()
        .await
        .unwrap();
    let record = record.unwrap();
    let bytes = Reflect::get(&record, &"bytes".into()).unwrap();
    assert!(bytes.is_instance_of::<Uint8Array>(), "{bytes:?}");
    assert_eq!(Reflect::get(&record, &"mime".into()).unwrap(), "image/png");
    drop(tx);
    raw.close();

    let reopened = IdbStore::open(&name).await.unwrap();
    assert_eq!(reopened.blob(&blob.id).await.unwrap(), Some(blob.clone()));
    assert_eq!(reopened.blob_ids().await.unwrap(), [blob.id.as_str()]);
    assert_eq!(reopened.blob("missing").await.unwrap(), None);
    reopened.delete_blob(&blob.id).await.unwrap();
    assert!(reopened.blob_ids().await.unwrap().is_empty());
}

//! What the browser makes of a file the user picked, pasted or dropped, before the agent
//! stores it ([`Prepared`]): its kind (by its first bytes, else its type and name), the size
//! limits (checked before the file is read), and then
//! - images decoded (`createImageBitmap`) and, unless already within
//!   [`media::fit_image`], at most [`KEEP_AS_IS_BYTES`] and PNG, JPEG or WebP, drawn onto an
//!   `OffscreenCanvas` at the fitted size and encoded as JPEG (quality [`JPEG_QUALITY`], on
//!   white, since JPEG has no transparency) — a GIF becomes a PNG of its first frame;
//! - PDFs read by pdf.js (`pdf.js` beside this file, which imports it on first need): page
//!   count and each page's text after a `--- Page N ---` line;
//! - text files decoded as UTF-8, strictly.
//!
//! Every refusal is a [`Refusal`] whose message the app shows as it is.

use ferry_core::media::{self, MediaKind};
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    ImageBitmap, ImageEncodeOptions, OffscreenCanvas, OffscreenCanvasRenderingContext2d,
};

pub use crate::runtime::Prepared;

/// An image already small enough is kept as it is up to this many bytes; a larger one is
/// re-encoded even at its own size (a lossless screenshot can weigh several MB).
pub const KEEP_AS_IS_BYTES: u64 = 1024 * 1024;
/// The JPEG quality images are re-encoded with.
pub const JPEG_QUALITY: f64 = 0.85;

#[wasm_bindgen(module = "/src/browser/pdf.js")]
extern "C" {
    #[wasm_bindgen(js_name = readPdf, catch)]
    async fn read_pdf(url: &str, bytes: Uint8Array, max_pages: u32) -> Result<JsValue, JsValue>;
}

/// Why a file is not taken, in words for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(
        "{name}: Ferry takes images (PNG, JPEG, WebP, GIF), PDFs and text files, not this type."
    )]
    NotTaken { name: String },
    #[error("{name} is empty.")]
    Empty { name: String },
    #[error("{name} is {size}; the most Ferry takes for {what} is {max}.")]
    TooLarge {
        name: String,
        what: &'static str,
        size: String,
        max: String,
    },
    #[error("{name} is not a text file (it is not UTF-8 text).")]
    NotText { name: String },
    #[error("{name} could not be read as an image.")]
    UnreadableImage { name: String },
    #[error("{name} has {pages} pages; the most Ferry takes is {max}.")]
    TooManyPages { name: String, pages: u32, max: u32 },
    #[error("{name} is protected by a password.")]
    Encrypted { name: String },
    #[error("{name} could not be read as a PDF.")]
    UnreadablePdf { name: String },
    #[error("PDFs cannot be read here: {reason}.")]
    NoPdfReader { reason: String },
    #[error("{name} could not be prepared: {reason}.")]
    Browser { name: String, reason: String },
}

/// How to prepare a file.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Also keep the original bytes of an image that gets re-encoded.
    pub keep_original: bool,
    /// The URL of pdf.js's module (`pdf.min.mjs`); without it, PDFs are refused.
    pub pdf_url: Option<String>,
}

/// Reads `file` (a `Blob` or `File`) named `name` into what the agent stores.
pub async fn prepare(
    file: &web_sys::Blob,
    name: &str,
    options: &Options,
) -> Result<Prepared, Refusal> {
    let size = file.size() as u64;
    if size == 0 {
        return Err(Refusal::Empty { name: name.into() });
    }
    let head = read(&slice(file, 0.0, 16.0, name)?, name).await?;
    let declared = file.type_();
    let (kind, mime) = classify(&head, &declared, name)?;
    let max = media::max_file_bytes(kind);
    if size > max {
        return Err(Refusal::TooLarge {
            name: name.into(),
            what: match kind {
                MediaKind::Image => "an image",
                MediaKind::Document => "a PDF",
                MediaKind::Text => "a text file",
            },
            size: megabytes(size),
            max: megabytes(max),
        });
    }
    match kind {
        MediaKind::Image => image(file, name, mime, size, options.keep_original).await,
        MediaKind::Document => pdf(file, name, options.pdf_url.as_deref()).await,
        MediaKind::Text => text(file, name, mime).await,
    }
}

/// A file's kind and the MIME type it is stored under: its first bytes decide for images
/// and PDFs (a browser's type comes from the name alone), else its declared type and name.
pub fn classify(head: &[u8], declared: &str, name: &str) -> Result<(MediaKind, String), Refusal> {
    if let Some(mime) = sniff(head) {
        let kind = if mime == "application/pdf" {
            MediaKind::Document
        } else {
            MediaKind::Image
        };
        return Ok((kind, mime.to_owned()));
    }
    match media::kind_of(declared, name) {
        Some(MediaKind::Image) => Err(Refusal::UnreadableImage { name: name.into() }),
        Some(MediaKind::Document) => Err(Refusal::UnreadablePdf { name: name.into() }),
        Some(MediaKind::Text) => {
            let essence = declared
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            // A type that says text stays; anything else a text file came with (none, or a
            // guess from an unknown extension) is plain text.
            let mime = if media::kind_of(&essence, "") == Some(MediaKind::Text) {
                essence
            } else {
                "text/plain".to_owned()
            };
            Ok((MediaKind::Text, mime))
        }
        None => Err(Refusal::NotTaken { name: name.into() }),
    }
}

/// The image or PDF type of a file's first bytes (at least 12 of them for WebP).
pub fn sniff(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if head.len() >= 12 && head.starts_with(b"RIFF") && &head[8..12] == b"WEBP" {
        Some("image/webp")
    } else if head.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

fn megabytes(bytes: u64) -> String {
    let mb = bytes as f64 / (1024.0 * 1024.0);
    if mb >= 10.0 {
        format!("{mb:.0} MB")
    } else {
        format!("{mb:.1} MB")
    }
}

fn browser(name: &str, error: &JsValue) -> Refusal {
    let reason = error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "the browser refused".into());
    Refusal::Browser {
        name: name.into(),
        reason,
    }
}

fn slice(file: &web_sys::Blob, start: f64, end: f64, name: &str) -> Result<web_sys::Blob, Refusal> {
    file.slice_with_f64_and_f64(start, end)
        .map_err(|e| browser(name, &e))
}

async fn read_js(file: &web_sys::Blob, name: &str) -> Result<Uint8Array, Refusal> {
    let buffer = JsFuture::from(file.array_buffer())
        .await
        .map_err(|e| browser(name, &e))?;
    Ok(Uint8Array::new(&buffer))
}

async fn read(file: &web_sys::Blob, name: &str) -> Result<Vec<u8>, Refusal> {
    Ok(read_js(file, name).await?.to_vec())
}

async fn image(
    file: &web_sys::Blob,
    name: &str,
    mime: String,
    size: u64,
    keep_original: bool,
) -> Result<Prepared, Refusal> {
    let unreadable = || Refusal::UnreadableImage { name: name.into() };
    let window = web_sys::window().ok_or_else(|| Refusal::Browser {
        name: name.into(),
        reason: "no window".into(),
    })?;
    let decoding = window
        .create_image_bitmap_with_blob(file)
        .map_err(|_| unreadable())?;
    let bitmap: ImageBitmap = JsFuture::from(decoding)
        .await
        .map_err(|_| unreadable())?
        .dyn_into()
        .map_err(|_| unreadable())?;
    let (width, height) = (bitmap.width(), bitmap.height());
    let (fit_width, fit_height) = media::fit_image(width, height);
    let kept_as_is = (fit_width, fit_height) == (width, height)
        && size <= KEEP_AS_IS_BYTES
        && matches!(mime.as_str(), "image/png" | "image/jpeg" | "image/webp");
    if kept_as_is {
        bitmap.close();
        return Ok(Prepared {
            name: name.into(),
            mime,
            kind: MediaKind::Image,
            bytes: read(file, name).await?,
            width: Some(width),
            height: Some(height),
            pages: None,
            text: None,
            original: None,
        });
    }
    let encoded = encode(&bitmap, fit_width, fit_height, mime == "image/gif", name).await;
    bitmap.close();
    let (out_mime, bytes) = encoded?;
    let original = if keep_original {
        Some((mime, read(file, name).await?))
    } else {
        None
    };
    Ok(Prepared {
        name: name.into(),
        mime: out_mime.into(),
        kind: MediaKind::Image,
        bytes,
        width: Some(fit_width),
        height: Some(fit_height),
        pages: None,
        text: None,
        original,
    })
}

/// Draws `bitmap` at `width` × `height` (smoothed) and encodes it: JPEG on white, or PNG
/// (`lossless`, for GIFs: flat colours and transparency).
async fn encode(
    bitmap: &ImageBitmap,
    width: u32,
    height: u32,
    lossless: bool,
    name: &str,
) -> Result<(&'static str, Vec<u8>), Refusal> {
    let fail = |e: JsValue| browser(name, &e);
    let canvas = OffscreenCanvas::new(width, height).map_err(fail)?;
    let context: OffscreenCanvasRenderingContext2d = canvas
        .get_context("2d")
        .map_err(fail)?
        .ok_or_else(|| browser(name, &"no 2d canvas".into()))?
        .dyn_into()
        .map_err(|_| browser(name, &"no 2d canvas".into()))?;
    let (w, h) = (f64::from(width), f64::from(height));
    if !lossless {
        context.set_fill_style_str("#fff");
        context.fill_rect(0.0, 0.0, w, h);
    }
    context.set_image_smoothing_enabled(true);
    // Not in web-sys for OffscreenCanvas yet; Chromium has it.
    let _ = Reflect::set(&context, &"imageSmoothingQuality".into(), &"high".into());
    context
        .draw_image_with_image_bitmap_and_dw_and_dh(bitmap, 0.0, 0.0, w, h)
        .map_err(fail)?;
    let (mime, quality) = if lossless {
        ("image/png", None)
    } else {
        ("image/jpeg", Some(JPEG_QUALITY))
    };
    let options = ImageEncodeOptions::new();
    options.set_type(mime);
    if let Some(quality) = quality {
        options.set_quality(quality);
    }
    let blob: web_sys::Blob = JsFuture::from(
        canvas
            .convert_to_blob_with_options(&options)
            .map_err(fail)?,
    )
    .await
    .map_err(fail)?
    .dyn_into()
    .map_err(|_| browser(name, &"the canvas gave no image".into()))?;
    Ok((mime, read(&blob, name).await?))
}

async fn pdf(file: &web_sys::Blob, name: &str, pdf_url: Option<&str>) -> Result<Prepared, Refusal> {
    let Some(url) = pdf_url else {
        return Err(Refusal::NoPdfReader {
            reason: "the page did not give the PDF reader's address".into(),
        });
    };
    let js_bytes = read_js(file, name).await?;
    let bytes = js_bytes.to_vec();
    // pdf.js takes (detaches) the array it is given: it gets the JavaScript copy.
    let read = read_pdf(url, js_bytes, media::MAX_PDF_PAGES)
        .await
        .map_err(|error| pdf_refusal(name, &error))?;
    let pages = Reflect::get(&read, &"pages".into())
        .ok()
        .and_then(|v| v.as_f64())
        .map(|v| v as u32);
    let text = Reflect::get(&read, &"text".into())
        .ok()
        .and_then(|v| v.as_string());
    let (Some(pages), Some(text)) = (pages, text) else {
        return Err(Refusal::UnreadablePdf { name: name.into() });
    };
    Ok(Prepared {
        name: name.into(),
        mime: "application/pdf".into(),
        kind: MediaKind::Document,
        bytes,
        width: None,
        height: None,
        pages: Some(pages),
        text: Some(text),
        original: None,
    })
}

fn pdf_refusal(name: &str, error: &JsValue) -> Refusal {
    let error_name = Reflect::get(error, &"name".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    let message = Reflect::get(error, &"message".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    match error_name.as_str() {
        "TooManyPages" => Refusal::TooManyPages {
            name: name.into(),
            pages: Reflect::get(error, &"pages".into())
                .ok()
                .and_then(|v| v.as_f64())
                .map_or(media::MAX_PDF_PAGES + 1, |v| v as u32),
            max: media::MAX_PDF_PAGES,
        },
        "Encrypted" => Refusal::Encrypted { name: name.into() },
        "ReaderUnavailable" => Refusal::NoPdfReader { reason: message },
        _ => Refusal::UnreadablePdf { name: name.into() },
    }
}

async fn text(file: &web_sys::Blob, name: &str, mime: String) -> Result<Prepared, Refusal> {
    let bytes = read(file, name).await?;
    let text = decode_text(&bytes).ok_or_else(|| Refusal::NotText { name: name.into() })?;
    Ok(Prepared {
        name: name.into(),
        mime,
        kind: MediaKind::Text,
        bytes,
        width: None,
        height: None,
        pages: None,
        text: Some(text),
        original: None,
    })
}

/// Strict UTF-8 (a byte-order mark dropped); `None` for anything else, and for bytes with
/// a NUL, which text does not have and binary files do.
pub fn decode_text(bytes: &[u8]) -> Option<String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).ok()?;
    (!text.contains('\0')).then(|| text.to_owned())
}

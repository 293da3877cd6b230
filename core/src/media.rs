//! Attachments as the model sees them: which files Ferry takes, how large an image is
//! made before it is sent, the limits per file and per message, and what an image or a
//! PDF page costs in tokens on each provider (their documented rules).
//!
//! Pure arithmetic: the browser decodes and re-encodes, the agent stores and sends; both
//! ask here what to do.

use serde::{Deserialize, Serialize};

use crate::ProviderId;

/// What an attachment is, which decides how it is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    /// PNG, JPEG, WebP or GIF: sent as an image part.
    Image,
    /// A PDF: native where the model reads PDFs, else its text with page markers.
    Document,
    /// Plain text, Markdown, CSV, JSON, source code: sent as text with its name.
    Text,
}

/// The longest side an image is sent with: Anthropic's guidance (larger images are scaled
/// down by the provider anyway, after the upload and with added latency), which is also
/// within OpenAI's 2048 × 768 high-detail rule and Gemini's tiles.
pub const IMAGE_MAX_SIDE: u32 = 1568;
/// The most pixels an image is sent with (Anthropic's ≈1.15 megapixels).
pub const IMAGE_MAX_PIXELS: u64 = 1_150_000;
/// The largest image file taken before downscaling (a 48-megapixel phone photo fits).
pub const MAX_IMAGE_FILE_BYTES: u64 = 40 * 1024 * 1024;
/// The largest PDF taken (Anthropic's and OpenAI's request limits allow 32 MB; the
/// base64 form is a third larger).
pub const MAX_PDF_BYTES: u64 = 20 * 1024 * 1024;
/// The most pages a PDF may have (Anthropic's limit for PDF support).
pub const MAX_PDF_PAGES: u32 = 100;
/// The largest text file taken.
pub const MAX_TEXT_FILE_BYTES: u64 = 2 * 1024 * 1024;
/// The most attachments one message carries.
pub const MAX_ATTACHMENTS_PER_MESSAGE: usize = 10;
/// The most bytes (as stored and sent, before base64) of one message's attachments
/// on a direct call: Gemini takes at most 20 MB of inline data in one request.
pub const MAX_MESSAGE_ATTACHMENT_BYTES: u64 = 14 * 1024 * 1024;

/// The size an image of `width` × `height` is sent at: scaled down (never up), keeping
/// its aspect ratio, to at most [`IMAGE_MAX_SIDE`] on its longest side and
/// [`IMAGE_MAX_PIXELS`] in all. Sides are at least 1.
pub fn fit_image(width: u32, height: u32) -> (u32, u32) {
    fit_within(width, height, IMAGE_MAX_SIDE, IMAGE_MAX_PIXELS)
}

fn fit_within(width: u32, height: u32, max_side: u32, max_pixels: u64) -> (u32, u32) {
    let (w, h) = (f64::from(width.max(1)), f64::from(height.max(1)));
    let by_side = f64::from(max_side) / w.max(h);
    let by_area = (max_pixels as f64 / (w * h)).sqrt();
    let scale = by_side.min(by_area).min(1.0);
    if scale >= 1.0 {
        return (width.max(1), height.max(1));
    }
    // The small epsilon keeps a side the rule binds exactly at its limit.
    let side = |v: f64| ((v * scale + 1e-6).floor() as u32).max(1);
    (side(w), side(h))
}

/// The kind of a file by its MIME type, else its name's extension; `None` for a type
/// Ferry does not take.
pub fn kind_of(mime: &str, name: &str) -> Option<MediaKind> {
    let mime = mime
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match mime.as_str() {
        "image/png" | "image/jpeg" | "image/webp" | "image/gif" => return Some(MediaKind::Image),
        "application/pdf" => return Some(MediaKind::Document),
        _ => {}
    }
    if mime.starts_with("text/") || TEXT_MIMES.contains(&mime.as_str()) {
        return Some(MediaKind::Text);
    }
    let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase())?;
    match extension.as_str() {
        "png" | "jpg" | "jpeg" | "webp" | "gif" => Some(MediaKind::Image),
        "pdf" => Some(MediaKind::Document),
        e if TEXT_EXTENSIONS.contains(&e) => Some(MediaKind::Text),
        _ => None,
    }
}

/// MIME types outside `text/` that are text.
const TEXT_MIMES: &[&str] = &[
    "application/json",
    "application/xml",
    "application/javascript",
    "application/typescript",
    "application/x-sh",
    "application/x-yaml",
    "application/yaml",
    "application/toml",
    "application/sql",
    "application/x-python",
];

/// Extensions of text files a browser may give no MIME type (or a wrong one) for.
const TEXT_EXTENSIONS: &[&str] = &[
    "txt",
    "md",
    "markdown",
    "csv",
    "tsv",
    "json",
    "jsonl",
    "xml",
    "yaml",
    "yml",
    "toml",
    "ini",
    "cfg",
    "conf",
    "log",
    "html",
    "htm",
    "css",
    "scss",
    "js",
    "mjs",
    "cjs",
    "jsx",
    "ts",
    "tsx",
    "rs",
    "py",
    "rb",
    "go",
    "java",
    "kt",
    "kts",
    "scala",
    "c",
    "h",
    "cc",
    "cpp",
    "cxx",
    "hpp",
    "cs",
    "fs",
    "swift",
    "m",
    "mm",
    "php",
    "pl",
    "lua",
    "r",
    "jl",
    "dart",
    "ex",
    "exs",
    "erl",
    "hs",
    "ml",
    "clj",
    "sh",
    "bash",
    "zsh",
    "fish",
    "ps1",
    "bat",
    "sql",
    "graphql",
    "proto",
    "vue",
    "svelte",
    "tex",
    "rst",
    "adoc",
    "org",
    "diff",
    "patch",
    "dockerfile",
    "makefile",
    "gradle",
    "cmake",
    "nix",
    "zig",
    "v",
    "sol",
    "tf",
    "hcl",
];

/// The limit on one file of `kind`, in bytes, as picked (before an image is downscaled).
pub fn max_file_bytes(kind: MediaKind) -> u64 {
    match kind {
        MediaKind::Image => MAX_IMAGE_FILE_BYTES,
        MediaKind::Document => MAX_PDF_BYTES,
        MediaKind::Text => MAX_TEXT_FILE_BYTES,
    }
}

/// Which provider's image arithmetic applies: OpenRouter serves other vendors' models
/// (`anthropic/…`, `google/…`), which count as their makers count.
fn rule_of(provider: ProviderId, model: &str) -> ProviderId {
    if provider != ProviderId::OpenRouter {
        return provider;
    }
    match model.split_once('/').map(|(vendor, _)| vendor) {
        Some("anthropic") => ProviderId::Anthropic,
        Some("google") => ProviderId::Google,
        _ => ProviderId::OpenAi,
    }
}

/// The bare model name: without a `vendor/` prefix, lowercased.
fn bare(model: &str) -> String {
    model
        .rsplit_once('/')
        .map_or(model, |(_, m)| m)
        .to_ascii_lowercase()
}

/// Input tokens an image of `width` × `height` (as sent) costs on `provider`'s `model`,
/// by the provider's documented rule:
/// - **OpenAI** (high detail): fit in 2048 × 2048, then the shortest side to 768; 85 plus
///   170 per 512-pixel tile (GPT-4o mini: 2,833 plus 5,667 a tile). The models that count
///   32-pixel patches instead (GPT-4.1 mini and nano, o4-mini, GPT-5 mini and nano): the
///   patches, at most 1,536, times the model's multiplier.
/// - **Anthropic:** width × height / 750, after its own scaling (1568 on a side, at most
///   ≈1.19 MP: 1092 × 1092 is its largest square).
/// - **Gemini:** 258 when both sides are at most 384, else 258 per 768 × 768 tile;
///   Gemini 3 counts 1,120 per image at its default resolution.
/// - Other OpenAI-format providers: OpenAI's rule.
pub fn image_tokens(provider: ProviderId, model: &str, width: u32, height: u32) -> u64 {
    let (width, height) = (width.max(1), height.max(1));
    match rule_of(provider, model) {
        ProviderId::Anthropic => {
            // Its largest sizes in its own table (1092 × 1092 at 1:1) are ≈1.19 MP.
            let (w, h) = fit_within(width, height, 1568, 1_192_464);
            (u64::from(w) * u64::from(h)).div_ceil(750)
        }
        ProviderId::Google => {
            if bare(model).starts_with("gemini-3") {
                1_120
            } else if width <= 384 && height <= 384 {
                258
            } else {
                258 * u64::from(width.div_ceil(768)) * u64::from(height.div_ceil(768))
            }
        }
        _ => openai_image_tokens(&bare(model), width, height),
    }
}

fn openai_image_tokens(model: &str, width: u32, height: u32) -> u64 {
    const PATCH_MODELS: &[(&str, f64)] = &[
        ("gpt-4.1-mini", 1.62),
        ("gpt-4.1-nano", 2.46),
        ("o4-mini", 1.72),
        ("gpt-5-mini", 1.62),
        ("gpt-5-nano", 2.46),
    ];
    if let Some(&(_, multiplier)) = PATCH_MODELS.iter().find(|(m, _)| model.starts_with(m)) {
        let (w, h) = (f64::from(width), f64::from(height));
        let patches = (w / 32.0).ceil() * (h / 32.0).ceil();
        let patches = if patches > 1536.0 {
            // Scaled so the image fits in 1,536 patches, then counted whole.
            let scale = (1536.0 * 32.0 * 32.0 / (w * h)).sqrt();
            let (sw, sh) = (w * scale, h * scale);
            let scale =
                scale * ((sw / 32.0).floor() / (sw / 32.0)).min((sh / 32.0).floor() / (sh / 32.0));
            ((w * scale / 32.0).ceil() * (h * scale / 32.0).ceil()).min(1536.0)
        } else {
            patches
        };
        return (patches * multiplier).ceil() as u64;
    }
    let (mut w, mut h) = (f64::from(width), f64::from(height));
    let fit = (2048.0 / w.max(h)).min(1.0);
    (w, h) = (w * fit, h * fit);
    let short = (768.0 / w.min(h)).min(1.0);
    (w, h) = (w * short, h * short);
    let tiles = (w / 512.0).ceil() as u64 * (h / 512.0).ceil() as u64;
    let (base, per_tile) = if model.starts_with("gpt-4o-mini") {
        (2_833, 5_667)
    } else {
        (85, 170)
    };
    base + per_tile * tiles
}

/// Input tokens one page of a PDF costs beyond its text, where the model reads the PDF
/// itself: each page also goes in as an image. Anthropic: a letter page at 1568 / 1.15 MP
/// (≈1,530); OpenAI: the page image at high detail (765); Gemini: 258 a page (Gemini 3:
/// 560 at its default PDF resolution). Zero where the text alone is sent.
pub fn pdf_page_tokens(provider: ProviderId, model: &str) -> u64 {
    // A US-letter page rendered at 150 dpi.
    const PAGE: (u32, u32) = (1275, 1650);
    match rule_of(provider, model) {
        ProviderId::Google if bare(model).starts_with("gemini-3") => 560,
        ProviderId::Google => 258,
        ProviderId::Anthropic => image_tokens(ProviderId::Anthropic, model, PAGE.0, PAGE.1),
        _ => openai_image_tokens("gpt-4o", PAGE.0, PAGE.1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[test]
    #[wasm_bindgen_test]
    fn images_are_fitted_down_never_up() {
        assert_eq!(fit_image(800, 600), (800, 600));
        // A 12-megapixel photo: the area rule binds (1568 × 1176 would be 1.84 MP).
        let (w, h) = fit_image(4000, 3000);
        assert!(u64::from(w) * u64::from(h) <= IMAGE_MAX_PIXELS, "{w}×{h}");
        assert!((f64::from(w) / f64::from(h) - 4.0 / 3.0).abs() < 0.01);
        // A tall screenshot: the side rule binds.
        assert_eq!(fit_image(600, 3000).1, 1568);
        assert_eq!(fit_image(0, 0), (1, 1));
        assert_eq!(fit_image(100_000, 1), (1568, 1));
    }

    #[test]
    #[wasm_bindgen_test]
    fn kinds_by_type_then_extension() {
        assert_eq!(kind_of("image/png", "x"), Some(MediaKind::Image));
        assert_eq!(kind_of("IMAGE/JPEG", "x"), Some(MediaKind::Image));
        assert_eq!(kind_of("application/pdf", "x"), Some(MediaKind::Document));
        assert_eq!(
            kind_of("text/csv; charset=utf-8", "x"),
            Some(MediaKind::Text)
        );
        assert_eq!(kind_of("application/json", "x"), Some(MediaKind::Text));
        assert_eq!(kind_of("", "main.rs"), Some(MediaKind::Text));
        assert_eq!(
            kind_of("application/octet-stream", "Paper.PDF"),
            Some(MediaKind::Document)
        );
        assert_eq!(kind_of("image/tiff", "scan.tiff"), None);
        assert_eq!(kind_of("application/zip", "a.zip"), None);
        assert_eq!(kind_of("", "README"), None);
    }

    #[test]
    #[wasm_bindgen_test]
    fn image_costs_follow_each_providers_rule() {
        // OpenAI's documented examples: 1024 × 1024 → 4 tiles → 765; 2048 × 4096 → 1105.
        assert_eq!(image_tokens(ProviderId::OpenAi, "gpt-4o", 1024, 1024), 765);
        assert_eq!(image_tokens(ProviderId::OpenAi, "gpt-4o", 2048, 4096), 1105);
        assert_eq!(
            image_tokens(ProviderId::OpenAi, "gpt-4o-mini", 1024, 1024),
            2833 + 4 * 5667
        );
        // Patch models: 1024 × 1024 → 1024 patches × 1.62.
        assert_eq!(
            image_tokens(ProviderId::OpenAi, "gpt-4.1-mini", 1024, 1024),
            1659
        );
        // Anthropic's documented figures: 1092 × 1092 ≈ 1,590 tokens.
        assert_eq!(
            image_tokens(ProviderId::Anthropic, "claude-sonnet-4-5", 1092, 1092),
            1590
        );
        // Gemini: small image 258; 1024 × 1024 → 4 tiles.
        assert_eq!(
            image_tokens(ProviderId::Google, "gemini-2.5-flash", 384, 200),
            258
        );
        assert_eq!(
            image_tokens(ProviderId::Google, "gemini-2.5-flash", 1024, 1024),
            1032
        );
        assert_eq!(
            image_tokens(ProviderId::Google, "gemini-3-pro-preview", 1024, 1024),
            1120
        );
        // OpenRouter counts as the model's maker.
        assert_eq!(
            image_tokens(
                ProviderId::OpenRouter,
                "anthropic/claude-sonnet-4.5",
                1092,
                1092
            ),
            1590
        );
        assert_eq!(
            image_tokens(ProviderId::OpenRouter, "openai/gpt-4o", 1024, 1024),
            765
        );
    }

    #[test]
    #[wasm_bindgen_test]
    fn pdf_pages_cost_an_image_each_where_read_natively() {
        assert_eq!(pdf_page_tokens(ProviderId::Google, "gemini-2.5-pro"), 258);
        assert_eq!(pdf_page_tokens(ProviderId::OpenAi, "gpt-4.1"), 765);
        let claude = pdf_page_tokens(ProviderId::Anthropic, "claude-sonnet-4-5");
        assert!((1_400..1_600).contains(&claude), "{claude}");
    }
}

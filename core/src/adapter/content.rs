//! A message's content as the translated providers (Anthropic, Gemini) see it: text, images
//! (inline or by URL) and PDFs (inline), in order. Each adapter turns these pieces into its
//! own blocks; the data is borrowed from the request, never decoded.
//!
//! | OpenAI part | piece | refused when |
//! |---|---|---|
//! | `text` | text (empty text is skipped: both providers refuse empty blocks) | — |
//! | `image_url` | an inline image (`data:<mime>;base64,…`) or a URL | not base64, not http(s) |
//! | `file` | an inline PDF (`file_data` = `data:application/pdf;base64,…`), with its `filename` | a `file_id` (uploaded to OpenAI: no other provider can read it), another type, not base64 |
//! | anything else | — | always (OpenAI-format providers get such parts unchanged) |

use crate::wire::{Content, ContentPart, FileRef, Message};
use crate::{ProviderId, ProxyError};

/// The one document type the translated providers read natively.
pub(crate) const PDF: &str = "application/pdf";

/// An image reference, as the translated providers take it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ImageRef<'a> {
    /// `data:<mime>;base64,<data>`
    Inline { mime: &'a str, data: &'a str },
    /// An http(s) URL the provider fetches itself.
    Url(&'a str),
}

/// An inline PDF: its base64 data and the file name the client gave, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DocumentRef<'a> {
    pub name: Option<&'a str>,
    /// Base64, as it came (the MIME type is always [`PDF`]).
    pub data: &'a str,
}

/// One piece of a message's content, as the translated providers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece<'a> {
    /// Non-empty text (both translated providers refuse empty text blocks).
    Text(&'a str),
    Image(ImageRef<'a>),
    Document(DocumentRef<'a>),
}

/// `data:<mime>[;param…];base64,<data>` split into the MIME type (parameters left out) and
/// the data; `None` when `url` is not such a URL or either part is empty.
fn base64_data_url(url: &str) -> Option<(&str, &str)> {
    let rest = url.strip_prefix("data:")?;
    let (meta, data) = rest.split_once(',')?;
    let meta = meta.strip_suffix(";base64")?;
    let mime = meta.split(';').next().unwrap_or(meta).trim();
    (!mime.is_empty() && !data.is_empty()).then_some((mime, data))
}

pub(crate) fn image_ref(provider: ProviderId, url: &str) -> Result<ImageRef<'_>, ProxyError> {
    if url.starts_with("data:") {
        return match base64_data_url(url) {
            Some((mime, data)) => Ok(ImageRef::Inline { mime, data }),
            None => Err(ProxyError::invalid(format!(
                "image data URLs for {provider} must be base64: data:<type>;base64,<data>"
            ))),
        };
    }
    if url.starts_with("https://") || url.starts_with("http://") {
        Ok(ImageRef::Url(url))
    } else {
        Err(ProxyError::invalid(
            "image_url must be an http(s) URL or a base64 data URL",
        ))
    }
}

/// A `file` part as an inline PDF, or why `provider` cannot take it.
pub(crate) fn document_ref(
    provider: ProviderId,
    file: &FileRef,
) -> Result<DocumentRef<'_>, ProxyError> {
    let Some(url) = file.file_data.as_deref() else {
        return Err(ProxyError::invalid(if file.file_id.is_some() {
            format!(
                "a file part for {provider} must carry the PDF inline (file_data), not a file_id: \
                 uploaded files are OpenAI's"
            )
        } else {
            format!("a file part for {provider} needs file_data: data:{PDF};base64,<data>")
        }));
    };
    match base64_data_url(url) {
        Some((mime, data)) if mime.eq_ignore_ascii_case(PDF) => Ok(DocumentRef {
            name: file.filename.as_deref().filter(|n| !n.trim().is_empty()),
            data,
        }),
        Some((mime, _)) => Err(ProxyError::invalid(format!(
            "{provider} reads PDF files only ({PDF}), not {mime}"
        ))),
        None => Err(ProxyError::invalid(format!(
            "file_data for {provider} must be a base64 data URL: data:{PDF};base64,<data>"
        ))),
    }
}

/// The message's content as pieces, in order; part types the provider cannot take are
/// refused rather than dropped.
pub(crate) fn content_pieces(
    message: &Message,
    provider: ProviderId,
) -> Result<Vec<Piece<'_>>, ProxyError> {
    let parts = match &message.content {
        None => return Ok(Vec::new()),
        Some(Content::Text(text)) => {
            return Ok(if text.is_empty() {
                Vec::new()
            } else {
                vec![Piece::Text(text)]
            });
        }
        Some(Content::Parts(parts)) => parts,
    };
    let mut pieces = Vec::with_capacity(parts.len());
    for part in parts {
        match part {
            ContentPart::Text { text } if text.is_empty() => {}
            ContentPart::Text { text } => pieces.push(Piece::Text(text)),
            ContentPart::ImageUrl { image_url } => {
                pieces.push(Piece::Image(image_ref(provider, &image_url.url)?));
            }
            ContentPart::File { file } => {
                pieces.push(Piece::Document(document_ref(provider, file)?));
            }
            ContentPart::Other(raw) => {
                return Err(ProxyError::invalid(format!(
                    "content part of type {} is not supported for {provider}",
                    raw.get("type").unwrap_or(&serde_json::Value::Null)
                )));
            }
        }
    }
    Ok(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn file(value: serde_json::Value) -> FileRef {
        serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"))
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn data_urls_split_into_type_and_data() {
        assert_eq!(
            base64_data_url("data:image/png;base64,iVBO"),
            Some(("image/png", "iVBO"))
        );
        assert_eq!(
            base64_data_url("data:application/pdf;name=a.pdf;base64,JVBE"),
            Some(("application/pdf", "JVBE"))
        );
        for bad in [
            "data:image/png,iVBO",
            "data:;base64,iVBO",
            "data:image/png;base64,",
            "data:image/png;base64",
            "https://x/y.png",
        ] {
            assert_eq!(base64_data_url(bad), None, "{bad}");
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn only_inline_pdfs_become_documents() {
        let pdf = file(
            serde_json::json!({"filename": "a.pdf", "file_data": "data:application/pdf;base64,JVBERi0x"}),
        );
        assert_eq!(
            document_ref(ProviderId::Anthropic, &pdf),
            Ok(DocumentRef {
                name: Some("a.pdf"),
                data: "JVBERi0x"
            })
        );
        let unnamed = file(
            serde_json::json!({"filename": " ", "file_data": "data:APPLICATION/PDF;base64,JVBE"}),
        );
        assert_eq!(
            document_ref(ProviderId::Google, &unnamed).map(|d| d.name),
            Ok(None)
        );
        for (bad, words) in [
            (serde_json::json!({"file_id": "file-abc"}), "not a file_id"),
            (serde_json::json!({"filename": "a.pdf"}), "needs file_data"),
            (
                serde_json::json!({"file_data": "data:text/plain;base64,aGk="}),
                "not text/plain",
            ),
            (
                serde_json::json!({"file_data": "data:application/pdf,%PDF"}),
                "must be a base64 data URL",
            ),
        ] {
            let error = document_ref(ProviderId::Anthropic, &file(bad.clone()))
                .err()
                .unwrap_or_else(|| panic!("taken: {bad}"));
            assert_eq!(error.code(), "invalid_request", "{bad}");
            assert!(error.to_string().contains(words), "{error} / {words}");
        }
    }
}

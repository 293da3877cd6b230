//! How large a request body the proxy takes. Every route takes `MAX_BODY_BYTES`. A chat
//! request is read up to the larger of `MAX_BODY_BYTES` and `MAX_MEDIA_BODY_BYTES`, and
//! taken past `MAX_BODY_BYTES` only when its excess is inline image and file data: its
//! bytes outside those data URLs must still be within `MAX_BODY_BYTES`. Sizes are the bytes
//! read, whatever `Content-Length` says: a declared length over the read cap is refused
//! before reading, and the length read is checked again.

use super::Config;
use crate::wire::{ChatRequest, Content, ContentPart};
use crate::{BodyCap, ProxyError};

impl Config {
    /// The most of a chat request's body that is read, and the cap that names.
    pub fn chat_body_limit(&self) -> (u64, BodyCap) {
        if self.max_media_body_bytes > self.max_body_bytes {
            (self.max_media_body_bytes, BodyCap::MediaBody)
        } else {
            (self.max_body_bytes, BodyCap::Body)
        }
    }

    /// Whether a chat request of `body_len` bytes (read within [`Self::chat_body_limit`])
    /// is taken: within `MAX_BODY_BYTES`, or past it by its inline images' and files' data
    /// only.
    pub fn check_chat_body(&self, body_len: u64, request: &ChatRequest) -> Result<(), ProxyError> {
        let (limit, cap) = self.chat_body_limit();
        if body_len > limit {
            return Err(ProxyError::PayloadTooLarge { limit, cap });
        }
        if body_len <= self.max_body_bytes {
            return Ok(());
        }
        let media = inline_media_bytes(request);
        if media == 0 {
            return Err(ProxyError::PayloadTooLarge {
                limit: self.max_body_bytes,
                cap: BodyCap::Body,
            });
        }
        if body_len.saturating_sub(media) > self.max_body_bytes {
            return Err(ProxyError::PayloadTooLarge {
                limit: self.max_body_bytes,
                cap: BodyCap::OutsideMedia,
            });
        }
        Ok(())
    }
}

/// The bytes of a chat request's inline media: its `image_url` data URLs and its `file`
/// parts' `file_data`, as they stand in the JSON text (base64 has nothing to escape). Image
/// URLs that are links count nothing.
pub fn inline_media_bytes(request: &ChatRequest) -> u64 {
    let mut bytes = 0u64;
    for message in &request.messages {
        let Some(Content::Parts(parts)) = &message.content else {
            continue;
        };
        for part in parts {
            let data = match part {
                ContentPart::ImageUrl { image_url } if image_url.url.starts_with("data:") => {
                    image_url.url.len()
                }
                ContentPart::File { file } => file.file_data.as_deref().map_or(0, str::len),
                _ => 0,
            };
            bytes = bytes.saturating_add(data as u64);
        }
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    const BODY: u64 = 1_000;
    const MEDIA: u64 = 10_000;

    fn caps(body: u64, media: u64) -> Config {
        let (body, media) = (body.to_string(), media.to_string());
        Config::from_lookup(|name| match name {
            "MAX_BODY_BYTES" => Some(body.clone()),
            "MAX_MEDIA_BODY_BYTES" => Some(media.clone()),
            _ => None,
        })
    }

    /// A request with `text` characters of text and an image and a PDF of `data` base64
    /// characters each, and its JSON length.
    fn request(text: usize, data: usize) -> (ChatRequest, u64) {
        let mut parts = vec![serde_json::json!({"type": "text", "text": "t".repeat(text)})];
        if data > 0 {
            parts.push(serde_json::json!({"type": "image_url", "image_url": {
                "url": format!("data:image/png;base64,{}", "A".repeat(data))}}));
            parts.push(
                serde_json::json!({"type": "file", "file": {"filename": "a.pdf",
                "file_data": format!("data:application/pdf;base64,{}", "A".repeat(data))}}),
            );
        }
        parts.push(
            serde_json::json!({"type": "image_url", "image_url": {"url": "https://x/y.png"}}),
        );
        let json =
            serde_json::json!({"model": "m", "messages": [{"role": "user", "content": parts}]});
        let text = json.to_string();
        let parsed = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        (parsed, text.len() as u64)
    }

    fn cap_of(result: Result<(), ProxyError>) -> Option<(u64, BodyCap)> {
        match result {
            Ok(()) => None,
            Err(ProxyError::PayloadTooLarge { limit, cap }) => Some((limit, cap)),
            Err(other) => panic!("{other}"),
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn media_data_is_counted_as_it_stands() {
        let (with, _) = request(10, 100);
        let data_urls = "data:image/png;base64,".len() + "data:application/pdf;base64,".len();
        assert_eq!(inline_media_bytes(&with), (200 + data_urls) as u64);
        assert_eq!(inline_media_bytes(&request(10, 0).0), 0);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn media_may_take_a_chat_body_past_the_text_cap_up_to_its_own() {
        let c = caps(BODY, MEDIA);
        assert_eq!(c.chat_body_limit(), (MEDIA, BodyCap::MediaBody));
        // Small: taken, media or not.
        let (small, len) = request(100, 100);
        assert_eq!(cap_of(c.check_chat_body(len, &small)), None);
        // Between the caps by its media: taken.
        let (media, len) = request(100, 4_000);
        assert!(len > BODY && len <= MEDIA, "{len}");
        assert_eq!(cap_of(c.check_chat_body(len, &media)), None);
        // Between the caps by its text: the text cap.
        let (text, len) = request(2_000, 0);
        assert!(len > BODY && len <= MEDIA, "{len}");
        assert_eq!(
            cap_of(c.check_chat_body(len, &text)),
            Some((BODY, BodyCap::Body))
        );
        // Media, but too much text beside it.
        let (both, len) = request(2_000, 100);
        assert_eq!(
            cap_of(c.check_chat_body(len, &both)),
            Some((BODY, BodyCap::OutsideMedia))
        );
        // Over the media cap: that cap, whatever the body holds.
        let (huge, len) = request(100, 6_000);
        assert!(len > MEDIA);
        assert_eq!(
            cap_of(c.check_chat_body(len, &huge)),
            Some((MEDIA, BodyCap::MediaBody))
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_media_cap_below_the_text_cap_changes_nothing() {
        let c = caps(MEDIA, BODY);
        assert_eq!(c.chat_body_limit(), (MEDIA, BodyCap::Body));
        assert_eq!(c.app_config().max_media_body_bytes, MEDIA);
        let (media, len) = request(100, 4_000);
        assert_eq!(cap_of(c.check_chat_body(len, &media)), None);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_message_names_the_cap() {
        let error = |limit, cap| ProxyError::PayloadTooLarge { limit, cap }.to_string();
        assert_eq!(
            error(131_072, BodyCap::Body),
            "request body is larger than 131072 bytes (MAX_BODY_BYTES)"
        );
        assert!(
            error(4_194_304, BodyCap::MediaBody).contains("4194304 bytes (MAX_MEDIA_BODY_BYTES")
        );
        assert!(
            error(131_072, BodyCap::OutsideMedia)
                .contains("outside its images' and files' data (MAX_BODY_BYTES")
        );
    }
}

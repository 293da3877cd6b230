//! OpenAI-shaped wire types: the one format Ferry speaks to its clients.
//!
//! Every type keeps fields it does not know in an `extra` map (or as raw JSON), so a client
//! may send, and a provider may return, anything the OpenAI format grows without Ferry
//! failing or dropping it.

/// `Deserialize` for a struct whose unknown fields go to its `extra` map, read field by field
/// straight from the input. serde's `#[serde(flatten)]` does the same by buffering each field
/// it does not know as a generic value first, which links a second reader of every type the
/// struct holds into each module that reads it. `required` fields are an error when missing;
/// `optional` ones are `Option`s, `None` when missing or `null`. Each names its key. A key
/// given twice keeps its last value.
macro_rules! deserialize_with_extra {
    (
        $ty:ident, $expecting:literal,
        required { $($req:ident: $req_key:literal),* $(,)? },
        optional { $($opt:ident: $opt_key:literal),* $(,)? } $(,)?
    ) => {
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Fields;
                impl<'de> serde::de::Visitor<'de> for Fields {
                    type Value = $ty;
                    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_map<A: serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<$ty, A::Error> {
                        $(let mut $req = None;)*
                        $(let mut $opt = None;)*
                        let mut extra = $crate::wire::Extra::new();
                        while let Some($crate::wire::Key(key)) = map.next_key()? {
                            match key.as_ref() {
                                $($req_key => $req = Some(map.next_value()?),)*
                                $($opt_key => $opt = map.next_value()?,)*
                                _ => {
                                    extra.insert(key.into_owned(), map.next_value()?);
                                }
                            }
                        }
                        Ok($ty {
                            $($req: $req.ok_or_else(|| {
                                <A::Error as serde::de::Error>::missing_field($req_key)
                            })?,)*
                            $($opt,)*
                            extra,
                        })
                    }
                }
                deserializer.deserialize_map(Fields)
            }
        }
    };
}

mod chat;
mod chunk;
mod embeddings;
mod models;
mod reasoning;

pub use chat::{
    ChatCompletion, ChatRequest, Choice, Content, ContentPart, FileRef, FinishReason, FunctionCall,
    FunctionDef, ImageUrl, Message, NamedFunction, ResponseMessage, Role, Stop, StreamOptions,
    Tool, ToolCall, ToolChoice, ToolChoiceMode, Usage, UsageDetails,
};
pub use chunk::{ChatChunk, ChunkChoice, Delta, FunctionCallDelta, ToolCallDelta};
pub use embeddings::{
    Embedding, EmbeddingInput, EmbeddingUsage, EmbeddingsRequest, EmbeddingsResponse,
};
pub use models::{Model, ModelList};
pub use reasoning::{
    ReasoningDetail, ReasoningEffort, ReasoningFormat, ReasoningKind, merge_reasoning_details,
};

/// Unknown JSON fields, kept verbatim.
pub type Extra = serde_json::Map<String, serde_json::Value>;

/// Reads a value that is either one text or a list of `T`, as `one` or `many` of it, without
/// serde's untagged enum (which buffers the value first and then tries each variant).
/// `expecting` names it in the error for anything else.
pub fn text_or_list<'de, D, T, R>(
    deserializer: D,
    expecting: &'static str,
    one: fn(String) -> R,
    many: fn(Vec<T>) -> R,
) -> Result<R, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    use serde::de::{self, SeqAccess, Visitor};
    struct TextOrList<T, R> {
        expecting: &'static str,
        one: fn(String) -> R,
        many: fn(Vec<T>) -> R,
    }
    impl<'de, T: serde::Deserialize<'de>, R> Visitor<'de> for TextOrList<T, R> {
        type Value = R;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str(self.expecting)
        }
        fn visit_str<E: de::Error>(self, text: &str) -> Result<R, E> {
            Ok((self.one)(text.to_owned()))
        }
        fn visit_string<E: de::Error>(self, text: String) -> Result<R, E> {
            Ok((self.one)(text))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<R, A::Error> {
            serde::Deserialize::deserialize(de::value::SeqAccessDeserializer::new(seq))
                .map(self.many)
        }
    }
    deserializer.deserialize_any(TextOrList {
        expecting,
        one,
        many,
    })
}

/// A map key, borrowed from the input when it holds no escapes.
pub(crate) struct Key<'de>(pub std::borrow::Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl<'de> serde::de::Visitor<'de> for Text {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E>(self, key: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(key.into()))
            }
            fn visit_str<E>(self, key: &str) -> Result<Key<'de>, E> {
                Ok(Key(key.to_owned().into()))
            }
            fn visit_string<E>(self, key: String) -> Result<Key<'de>, E> {
                Ok(Key(key.into()))
            }
        }
        deserializer.deserialize_str(Text)
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::{Value, json};
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    fn read<T: serde::de::DeserializeOwned>(json: &Value) -> Result<T, String> {
        serde_json::from_slice(json.to_string().as_bytes()).map_err(|e| e.to_string())
    }

    /// Every level keeps what it does not know, and writes it back as it came.
    #[wasm_bindgen_test(unsupported = test)]
    fn unknown_fields_survive_at_every_level() {
        let body = json!({
            "model": "m", "seed": 7, "stream": true,
            "stream_options": {"include_usage": true, "chunk_size": 3},
            "stop": ["a", "b"],
            "tool_choice": {"type": "function", "function": {"name": "f"}},
            "tools": [{"type": "function", "function": {"name": "f", "strict": true, "parameters": {"type": "object"}}}],
            "messages": [
                {"role": "user", "content": [
                    {"type": "text", "text": "hi"},
                    {"type": "file", "file": {"filename": "a.pdf", "file_data": "data:,", "note": 1}},
                    {"type": "input_audio", "input_audio": {"data": "…"}},
                ], "cache_control": {"type": "ephemeral"}},
                {"role": "assistant", "content": null, "reasoning_details": [
                    {"type": "reasoning.future", "format": "openai-responses-v1", "id": "r1"},
                ]},
            ],
        });
        let request: ChatRequest = read(&body).unwrap();
        assert_eq!(request.extra["seed"], 7);
        assert_eq!(
            request.stream_options.as_ref().unwrap().extra["chunk_size"],
            3
        );
        assert_eq!(
            request.tools.as_ref().unwrap()[0].function.extra["strict"],
            true
        );
        let first = &request.messages[0];
        assert_eq!(first.extra["cache_control"]["type"], "ephemeral");
        let Some(Content::Parts(parts)) = &first.content else {
            panic!("{first:?}")
        };
        assert!(matches!(&parts[0], ContentPart::Text { text } if text == "hi"));
        assert!(matches!(&parts[1], ContentPart::File { file } if file.extra["note"] == 1));
        assert!(matches!(&parts[2], ContentPart::Other(raw) if raw["type"] == "input_audio"));
        let detail = &request.messages[1].reasoning_details.as_ref().unwrap()[0];
        assert_eq!(detail.kind, ReasoningKind::Other("reasoning.future".into()));
        assert_eq!(
            detail.format,
            Some(ReasoningFormat::Other("openai-responses-v1".into()))
        );
        assert_eq!(detail.extra["id"], "r1");
        assert_eq!(request.messages[1].content, None);
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            body_without_nulls(body)
        );
    }

    /// `null` optional fields are left out when written (`content: null` above).
    fn body_without_nulls(mut body: Value) -> Value {
        if let Some(message) = body["messages"][1].as_object_mut() {
            message.remove("content");
        }
        body
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn missing_and_mistyped_fields_are_named() {
        let missing = read::<ChatRequest>(&json!({"messages": []})).unwrap_err();
        assert!(missing.contains("missing field `model`"), "{missing}");
        let missing = read::<Message>(&json!({"content": "x"})).unwrap_err();
        assert!(missing.contains("missing field `role`"), "{missing}");
        let wrong = read::<ChatRequest>(&json!({"model": 5, "messages": []})).unwrap_err();
        assert!(wrong.contains("invalid type: integer `5`"), "{wrong}");
        let wrong = read::<Message>(&json!({"role": "user", "content": 5})).unwrap_err();
        assert!(wrong.contains("text or a list of content parts"), "{wrong}");
        let wrong = read::<ChatRequest>(&json!([])).unwrap_err();
        assert!(wrong.contains("a chat completion request"), "{wrong}");
        let mode = read::<ToolChoice>(&json!("sometimes")).unwrap_err();
        assert!(mode.contains("unknown variant `sometimes`"), "{mode}");
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn values_of_more_than_one_shape() {
        assert_eq!(read::<Stop>(&json!("x")), Ok(Stop::One("x".into())));
        assert_eq!(
            read::<Stop>(&json!(["x", "y"])),
            Ok(Stop::Many(vec!["x".into(), "y".into()]))
        );
        assert!(read::<Stop>(&json!(3)).is_err());
        assert_eq!(
            read::<ToolChoice>(&json!("required")),
            Ok(ToolChoice::Mode(ToolChoiceMode::Required))
        );
        assert_eq!(
            read::<Content>(&json!("hi")),
            Ok(Content::Text("hi".into()))
        );
        assert_eq!(read::<Content>(&json!([])), Ok(Content::Parts(vec![])));
        // A known type whose fields do not fit is kept raw, not refused.
        let odd = json!({"type": "text", "text": 5});
        assert_eq!(read::<ContentPart>(&odd), Ok(ContentPart::Other(odd)));
        let image = json!({"type": "image_url", "image_url": {"url": "data:,", "detail": "low"}});
        assert!(
            matches!(read::<ContentPart>(&image), Ok(ContentPart::ImageUrl { image_url }) if image_url.detail.as_deref() == Some("low"))
        );
        assert_eq!(
            read::<EmbeddingInput>(&json!("a")),
            Ok(EmbeddingInput::One("a".into()))
        );
        assert_eq!(
            read::<EmbeddingInput>(&json!(["a", "b"])),
            Ok(EmbeddingInput::Many(vec!["a".into(), "b".into()]))
        );
        assert_eq!(
            read::<EmbeddingInput>(&json!([1, 2])),
            Ok(EmbeddingInput::Tokens(json!([1, 2])))
        );
        assert_eq!(
            read::<ReasoningFormat>(&json!("google-gemini-v1")),
            Ok(ReasoningFormat::Google)
        );
    }

    /// A key with an escape in it cannot be borrowed from the input; it reads the same.
    #[wasm_bindgen_test(unsupported = test)]
    fn escaped_keys_read_as_their_text() {
        let request: ChatRequest =
            serde_json::from_slice(br#"{"mo\u0064el":"m","messages":[],"x\u0079":1}"#).unwrap();
        assert_eq!(request.model, "m");
        assert_eq!(request.extra["xy"], 1);
        // From a value (as the agent reads stored JSON) too.
        let request =
            ChatRequest::deserialize(json!({"model": "m", "messages": [], "n": 2})).unwrap();
        assert_eq!(request.extra["n"], 2);
    }
}

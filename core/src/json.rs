//! Reading JSON into Ferry's types: serde_json's reader, with a struct read only from a JSON
//! object.
//!
//! serde_json also reads a struct from an array of its fields in order, so every derived
//! type's reader carried a second, positional copy of itself that no client, provider or
//! stored row ever sends (about 10 KB of the worker's gzip size across its types). Reading
//! through [`Objects`] asks serde_json for a map wherever serde asks for a struct; an array
//! where an object belongs is then refused as any other wrong type is, with the same
//! message. Everything else reads as serde_json reads it.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, Visitor};

/// Reads one `T` from `bytes`, refusing anything after it but whitespace, as
/// `serde_json::from_slice` does.
pub fn read<'de, T: de::Deserialize<'de>>(bytes: &'de [u8]) -> serde_json::Result<T> {
    let mut json = serde_json::Deserializer::from_slice(bytes);
    let value = T::deserialize(Objects(&mut json))?;
    json.end()?;
    Ok(value)
}

/// [`read`] from text.
pub fn read_str<'de, T: de::Deserialize<'de>>(text: &'de str) -> serde_json::Result<T> {
    read(text.as_bytes())
}

/// A deserializer that reads a struct as a map and passes itself on to whatever it holds.
/// Scalars go straight to the inner deserializer: nothing nests in them.
struct Objects<D>(D);

macro_rules! straight {
    ($($method:ident),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            self.0.$method(visitor)
        }
    )*};
}

macro_rules! wrapped {
    ($($method:ident),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            self.0.$method(Nested(visitor))
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Objects<D> {
    type Error = D::Error;

    straight!(
        deserialize_bool,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_i128,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_u128,
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_str,
        deserialize_string,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_unit,
        deserialize_identifier,
        deserialize_ignored_any,
    );
    wrapped!(
        deserialize_any,
        deserialize_option,
        deserialize_seq,
        deserialize_map
    );

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_unit_struct(name, visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_newtype_struct(name, Nested(visitor))
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple(len, Nested(visitor))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple_struct(name, len, Nested(visitor))
    }

    /// The point of the module: a struct is a map of its fields, never a list of them.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(Nested(visitor))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_enum(name, variants, Nested(visitor))
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

/// A visitor whose nested values are read through [`Objects`] too.
struct Nested<V>(V);

macro_rules! visit {
    ($($method:ident: $ty:ty),* $(,)?) => {$(
        fn $method<E: de::Error>(self, value: $ty) -> Result<V::Value, E> {
            self.0.$method(value)
        }
    )*};
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Nested<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }

    visit!(
        visit_bool: bool,
        visit_i8: i8,
        visit_i16: i16,
        visit_i32: i32,
        visit_i64: i64,
        visit_i128: i128,
        visit_u8: u8,
        visit_u16: u16,
        visit_u32: u32,
        visit_u64: u64,
        visit_u128: u128,
        visit_f32: f32,
        visit_f64: f64,
        visit_char: char,
        visit_str: &str,
        visit_borrowed_str: &'de str,
        visit_string: String,
        visit_bytes: &[u8],
        visit_borrowed_bytes: &'de [u8],
        visit_byte_buf: Vec<u8>,
    );

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, inner: D) -> Result<V::Value, D::Error> {
        self.0.visit_some(Objects(inner))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, inner: D) -> Result<V::Value, D::Error> {
        self.0.visit_newtype_struct(Objects(inner))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.0.visit_seq(Nested(seq))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.0.visit_map(Nested(map))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.0.visit_enum(Nested(data))
    }
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Nested<A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        self.0.next_element_seed(Nested(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Nested<A> {
    type Error = A::Error;

    /// Keys are text: nothing nests in them.
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.0.next_key_seed(seed)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        self.0.next_value_seed(Nested(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: EnumAccess<'de>> EnumAccess<'de> for Nested<A> {
    type Error = A::Error;
    type Variant = Nested<A::Variant>;

    fn variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<(T::Value, Self::Variant), A::Error> {
        let (value, variant) = self.0.variant_seed(seed)?;
        Ok((value, Nested(variant)))
    }
}

impl<'de, A: de::VariantAccess<'de>> de::VariantAccess<'de> for Nested<A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.0.unit_variant()
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        self.0.newtype_variant_seed(Nested(seed))
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.0.tuple_variant(len, Nested(visitor))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.0.struct_variant(fields, Nested(visitor))
    }
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Nested<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, inner: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(Objects(inner))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;
    use serde_json::Value;
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;
    use crate::wire::{ChatRequest, Content, Role};

    #[derive(Debug, PartialEq, Deserialize)]
    struct Inner {
        n: u32,
        #[serde(default)]
        tag: Option<String>,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Plain,
        Wrapped(Inner),
        Pair(u8, u8),
        Shaped { inner: Inner },
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Outer {
        inner: Inner,
        list: Vec<Inner>,
        maybe: Option<Inner>,
        by_name: BTreeMap<String, Inner>,
        kinds: Vec<Kind>,
        pair: (u8, Inner),
        raw: Value,
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn everything_reads_as_serde_json_reads_it() {
        let text = r#" {
            "inner": {"n": 1, "tag": "a", "unknown": [1, {"x": 2}]},
            "list": [{"n": 2}, {"n": 3, "tag": null}],
            "maybe": {"n": 4},
            "by_name": {"k": {"n": 5}},
            "kinds": ["plain", {"wrapped": {"n": 6}}, {"pair": [7, 8]}, {"shaped": {"inner": {"n": 9}}}],
            "pair": [10, {"n": 11}],
            "raw": {"a": [1, "b", null, 2.5, {"c": true}]}
        } "#;
        let ours: Outer = read_str(text).unwrap();
        let theirs: Outer = serde_json::from_str(text).unwrap();
        assert_eq!(ours, theirs);
        assert_eq!(ours.kinds[1], Kind::Wrapped(Inner { n: 6, tag: None }));
        let request = r#"{"model":"m","messages":[{"role":"user","content":"hi"}],"seed":7}"#;
        let request: ChatRequest = read(request.as_bytes()).unwrap();
        assert_eq!(request.messages[0].role, Role::User);
        assert!(matches!(&request.messages[0].content, Some(Content::Text(t)) if t == "hi"));
        assert_eq!(request.extra["seed"], 7);
    }

    /// Where serde_json would take a struct's fields as a list, this refuses the list with
    /// the message any other wrong type gets.
    #[wasm_bindgen_test(unsupported = test)]
    fn a_struct_is_read_only_from_an_object() {
        fn refused<T: Deserialize<'static> + fmt::Debug>(text: &'static str) -> String {
            read_str::<T>(text).unwrap_err().to_string()
        }
        assert!(serde_json::from_str::<Inner>("[1, null]").is_ok());
        let list = "invalid type: sequence, expected struct Inner";
        assert!(refused::<Inner>("[1, null]").starts_with(list));
        assert!(refused::<Inner>("[]").starts_with(list));
        assert!(refused::<Vec<Inner>>(r#"[{"n": 1}, [2]]"#).starts_with(list));
        assert!(refused::<Option<Inner>>("[2]").starts_with(list));
        assert!(refused::<Outer>(r#"{"inner": [1]}"#).starts_with(list));
        assert!(refused::<BTreeMap<String, Inner>>(r#"{"k": [1]}"#).starts_with(list));
        assert!(refused::<Kind>(r#"{"wrapped": [1]}"#).starts_with(list));
    }

    /// Anything else that is wrong is refused in serde_json's own words, at the same place.
    #[wasm_bindgen_test(unsupported = test)]
    fn other_errors_are_serde_jsons() {
        for text in [
            "",
            "null",
            "\"n\"",
            "{\"n\": 1",
            "{\"inner\": {\"n\": -1}}",
            "{\"inner\": {\"n\": \"1\"}}",
            "{\"inner\": {\"n\": 1}, \"inner\": {\"n\": 1}}",
            "{\"inner\": {\"n\": 1}} trailing",
            "{\"inner\": {\"n\": 1}, \"kinds\": [\"other\"]}",
            "{\"inner\": {}}",
        ] {
            let ours = read_str::<Outer>(text).unwrap_err().to_string();
            let theirs = serde_json::from_str::<Outer>(text).unwrap_err().to_string();
            assert_eq!(ours, theirs, "{text:?}");
        }
    }
}

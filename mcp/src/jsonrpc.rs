//! JSON-RPC 2.0 as MCP uses it: the client's requests and notifications as JSON text, and
//! whatever arrives from the server read into [`Incoming`]. A server may also send requests
//! of its own (`ping`, sampling, elicitation…): [`answer_server_request`] answers them.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// A request id. Ferry sends numbers; a server's own requests may use strings.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum RequestId {
    Number(i64),
    Text(String),
}

// Read by hand: serde's untagged enum buffers the value first and links a reader per try.
impl<'de> Deserialize<'de> for RequestId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::Number(n) => n.as_i64().map(Self::Number),
            Value::String(text) => Some(Self::Text(text)),
            _ => None,
        }
        .ok_or_else(|| {
            serde::de::Error::custom("data did not match any variant of untagged enum RequestId")
        })
    }
}

impl From<i64> for RequestId {
    fn from(n: i64) -> Self {
        Self::Number(n)
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Number(n) => write!(f, "{n}"),
            Self::Text(s) => f.write_str(s),
        }
    }
}

/// The method-not-found code, what Ferry answers a server request it does not serve.
pub const METHOD_NOT_FOUND: i64 = -32601;

/// A request's JSON text.
pub fn request(id: &RequestId, method: &str, params: Option<&Value>) -> String {
    let mut message = json!({"jsonrpc": "2.0", "id": id, "method": method});
    if let (Some(params), Some(map)) = (params, message.as_object_mut()) {
        map.insert("params".into(), params.clone());
    }
    message.to_string()
}

/// A notification's JSON text.
pub fn notification(method: &str, params: Option<&Value>) -> String {
    let mut message = json!({"jsonrpc": "2.0", "method": method});
    if let (Some(params), Some(map)) = (params, message.as_object_mut()) {
        map.insert("params".into(), params.clone());
    }
    message.to_string()
}

/// The answer to a server's request: `ping` gets `{}`, anything else "method not found"
/// (Ferry offers no sampling, elicitation or roots).
pub fn answer_server_request(id: &RequestId, method: &str) -> String {
    if method == "ping" {
        json!({"jsonrpc": "2.0", "id": id, "result": {}}).to_string()
    } else {
        json!({"jsonrpc": "2.0", "id": id,
               "error": {"code": METHOD_NOT_FOUND, "message": format!("method not found: {method}")}})
        .to_string()
    }
}

/// One message from the server.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    Response {
        id: RequestId,
        result: Value,
    },
    Error {
        id: Option<RequestId>,
        code: i64,
        message: String,
        data: Option<Value>,
    },
    Notification {
        method: String,
        params: Option<Value>,
    },
    Request {
        id: RequestId,
        method: String,
        params: Option<Value>,
    },
}

/// Why a message could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a JSON-RPC message: {0}")]
pub struct Unreadable(pub String);

#[derive(Deserialize)]
struct Raw {
    #[serde(default)]
    id: Option<RequestId>,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    params: Option<Value>,
    #[serde(default)]
    result: Option<Value>,
    #[serde(default)]
    error: Option<RawError>,
}

#[derive(Deserialize)]
struct RawError {
    code: i64,
    #[serde(default)]
    message: String,
    #[serde(default)]
    data: Option<Value>,
}

impl Incoming {
    /// Reads one message, or a batch (an array) of them.
    pub fn parse(text: &str) -> Result<Vec<Self>, Unreadable> {
        let value: Value = serde_json::from_str(text).map_err(|e| Unreadable(format!("{e}")))?;
        match value {
            Value::Array(items) => items.into_iter().map(Self::from_value).collect(),
            one => Ok(vec![Self::from_value(one)?]),
        }
    }

    fn from_value(value: Value) -> Result<Self, Unreadable> {
        let raw: Raw = serde_json::from_value(value).map_err(|e| Unreadable(format!("{e}")))?;
        match raw {
            Raw {
                method: Some(method),
                id: Some(id),
                params,
                ..
            } => Ok(Self::Request { id, method, params }),
            Raw {
                method: Some(method),
                params,
                ..
            } => Ok(Self::Notification { method, params }),
            Raw {
                error: Some(error),
                id,
                ..
            } => Ok(Self::Error {
                id,
                code: error.code,
                message: error.message,
                data: error.data,
            }),
            Raw {
                result: Some(result),
                id: Some(id),
                ..
            } => Ok(Self::Response { id, result }),
            _ => Err(Unreadable(
                "neither a request, a notification nor a response".into(),
            )),
        }
    }

    /// The request id this message answers, if it is an answer.
    pub fn answers(&self) -> Option<&RequestId> {
        match self {
            Self::Response { id, .. } => Some(id),
            Self::Error { id, .. } => id.as_ref(),
            Self::Notification { .. } | Self::Request { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn an_id_is_a_whole_number_or_a_string() {
        let id = |text: &str| serde_json::from_str::<RequestId>(text).ok();
        assert_eq!(id("-7"), Some(RequestId::Number(-7)));
        assert_eq!(id(r#""a-1""#), Some(RequestId::Text("a-1".into())));
        for other in ["1.5", "18446744073709551615", "true", "null", "[1]", "{}"] {
            assert_eq!(id(other), None, "{other}");
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn requests_and_notifications_as_sent() {
        let id = RequestId::Number(3);
        assert_eq!(
            request(&id, "tools/list", None),
            r#"{"id":3,"jsonrpc":"2.0","method":"tools/list"}"#
        );
        assert_eq!(
            notification("notifications/cancelled", Some(&json!({"requestId": 3}))),
            r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":3}}"#
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn every_kind_of_message_the_server_sends() {
        let got = Incoming::parse(r#"{"result":{"tools":[]},"jsonrpc":"2.0","id":2}"#).unwrap();
        assert_eq!(
            got,
            vec![Incoming::Response {
                id: 2.into(),
                result: json!({"tools": []})
            }]
        );
        let got = Incoming::parse(
            r#"{"method":"notifications/progress","params":{"progress":1,"total":2,"progressToken":"p5"},"jsonrpc":"2.0"}"#,
        )
        .unwrap();
        assert!(
            matches!(&got[0], Incoming::Notification { method, .. } if method == "notifications/progress")
        );
        let got = Incoming::parse(r#"{"jsonrpc":"2.0","id":"s1","method":"ping"}"#).unwrap();
        assert_eq!(
            got,
            vec![Incoming::Request {
                id: RequestId::Text("s1".into()),
                method: "ping".into(),
                params: None
            }]
        );
        let got = Incoming::parse(
            r#"{"jsonrpc":"2.0","error":{"code":-32000,"message":"Bad Request: No valid session ID provided"}}"#,
        )
        .unwrap();
        assert!(matches!(
            &got[0],
            Incoming::Error {
                id: None,
                code: -32000,
                ..
            }
        ));
        assert!(Incoming::parse(r#"{"jsonrpc":"2.0"}"#).is_err());
        assert!(Incoming::parse("not json").is_err());
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn server_requests_are_answered() {
        assert_eq!(
            answer_server_request(&RequestId::Text("a".into()), "ping"),
            r#"{"id":"a","jsonrpc":"2.0","result":{}}"#
        );
        let refused: Value =
            serde_json::from_str(&answer_server_request(&7.into(), "sampling/createMessage"))
                .unwrap();
        assert_eq!(refused["error"]["code"], json!(-32601));
        assert_eq!(refused["id"], json!(7));
    }
}

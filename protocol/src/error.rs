//! What went wrong, as the app hears of it.

use ferry_core::ErrorClass;
use serde::{Deserialize, Deserializer, Serialize, de};

/// What went wrong, in terms the UI can act on.
///
/// JSON: `{"kind":"rate_limited","retry_after_secs":12}`, `{"kind":"offline"}`. Read through
/// a flat struct (see the `Deserialize` impl) rather than serde's internally tagged enum:
/// the same JSON, a fraction of the code in the app's wasm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ErrorKind {
    /// No network: wait and retry.
    Offline,
    /// Sign in again.
    Unauthorized,
    /// Wait `retry_after_secs`, then retry.
    RateLimited {
        retry_after_secs: u64,
    },
    QuotaExceeded {
        retry_after_secs: u64,
    },
    /// An operator turned the proxy or this provider off for now.
    ProviderDisabled,
    /// The provider refused: a bad key, an unknown model.
    ProviderRefused,
    /// The provider or the proxy failed; a retry may work.
    Upstream,
    /// No key for the provider.
    MissingKey,
    /// The request itself is wrong.
    InvalidRequest,
    Storage,
}

impl<'de> Deserialize<'de> for ErrorKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "snake_case")]
        enum Kind {
            Offline,
            Unauthorized,
            RateLimited,
            QuotaExceeded,
            ProviderDisabled,
            ProviderRefused,
            Upstream,
            MissingKey,
            InvalidRequest,
            Storage,
        }
        #[derive(Deserialize)]
        struct Flat {
            kind: Kind,
            #[serde(default)]
            retry_after_secs: Option<u64>,
        }
        let flat = Flat::deserialize(deserializer)?;
        let wait = || {
            flat.retry_after_secs
                .ok_or_else(|| de::Error::missing_field("retry_after_secs"))
        };
        Ok(match flat.kind {
            Kind::Offline => Self::Offline,
            Kind::Unauthorized => Self::Unauthorized,
            Kind::RateLimited => Self::RateLimited {
                retry_after_secs: wait()?,
            },
            Kind::QuotaExceeded => Self::QuotaExceeded {
                retry_after_secs: wait()?,
            },
            Kind::ProviderDisabled => Self::ProviderDisabled,
            Kind::ProviderRefused => Self::ProviderRefused,
            Kind::Upstream => Self::Upstream,
            Kind::MissingKey => Self::MissingKey,
            Kind::InvalidRequest => Self::InvalidRequest,
            Kind::Storage => Self::Storage,
        })
    }
}

impl ErrorKind {
    /// The kind for an error answer of the proxy (or a provider called directly), read by
    /// core's [`ErrorClass`], the one home of the contract's codes.
    pub fn from_answer(status: u16, code: Option<&str>, retry_after_secs: Option<u64>) -> Self {
        let wait = retry_after_secs.unwrap_or(1);
        match ErrorClass::of_answer(status, code) {
            ErrorClass::Unauthorized => Self::Unauthorized,
            ErrorClass::QuotaExceeded => Self::QuotaExceeded {
                retry_after_secs: wait,
            },
            ErrorClass::RateLimited => Self::RateLimited {
                retry_after_secs: wait,
            },
            ErrorClass::Disabled => Self::ProviderDisabled,
            ErrorClass::InvalidRequest => Self::InvalidRequest,
            ErrorClass::Refused => Self::ProviderRefused,
            ErrorClass::Failed => Self::Upstream,
        }
    }

    /// Whether a Retry can help.
    pub fn is_retryable(self) -> bool {
        match self {
            Self::Offline
            | Self::RateLimited { .. }
            | Self::QuotaExceeded { .. }
            | Self::ProviderDisabled
            | Self::Upstream => true,
            Self::Unauthorized
            | Self::ProviderRefused
            | Self::MissingKey
            | Self::InvalidRequest
            | Self::Storage => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn every_kind_reads_back_from_its_json() {
        let kinds = [
            ErrorKind::Offline,
            ErrorKind::Unauthorized,
            ErrorKind::RateLimited {
                retry_after_secs: 12,
            },
            ErrorKind::QuotaExceeded {
                retry_after_secs: 600,
            },
            ErrorKind::ProviderDisabled,
            ErrorKind::ProviderRefused,
            ErrorKind::Upstream,
            ErrorKind::MissingKey,
            ErrorKind::InvalidRequest,
            ErrorKind::Storage,
        ];
        for kind in kinds {
            let json = serde_json::to_string(&kind).expect("serializes");
            let back: ErrorKind = serde_json::from_str(&json).expect("reads back");
            assert_eq!(back, kind, "{json}");
        }
        // Key order does not matter; a field a kind does not have is ignored.
        let read = |json: &str| serde_json::from_str::<ErrorKind>(json);
        assert_eq!(
            read(r#"{"retry_after_secs":3,"kind":"rate_limited"}"#).ok(),
            Some(ErrorKind::RateLimited {
                retry_after_secs: 3
            })
        );
        assert_eq!(
            read(r#"{"kind":"offline","retry_after_secs":3}"#).ok(),
            Some(ErrorKind::Offline)
        );
        // A wait is required where the kind has one; an unknown kind is refused.
        let missing = read(r#"{"kind":"quota_exceeded"}"#).expect_err("no wait");
        assert!(
            missing.to_string().contains("retry_after_secs"),
            "{missing}"
        );
        assert!(read(r#"{"kind":"on_fire"}"#).is_err());
        assert!(read(r#"{"retry_after_secs":3}"#).is_err());
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn proxy_answers_map_to_kinds() {
        let cases = [
            (401, Some("unauthorized"), None, ErrorKind::Unauthorized),
            (
                401,
                Some("invalid_api_key"),
                None,
                ErrorKind::ProviderRefused,
            ),
            (
                429,
                Some("rate_limited"),
                Some(12),
                ErrorKind::RateLimited {
                    retry_after_secs: 12,
                },
            ),
            (
                429,
                Some("quota_exceeded"),
                Some(600),
                ErrorKind::QuotaExceeded {
                    retry_after_secs: 600,
                },
            ),
            (
                503,
                Some("provider_disabled"),
                None,
                ErrorKind::ProviderDisabled,
            ),
            (502, Some("upstream_error"), None, ErrorKind::Upstream),
            (504, Some("upstream_timeout"), None, ErrorKind::Upstream),
            (
                400,
                Some("invalid_request"),
                None,
                ErrorKind::InvalidRequest,
            ),
        ];
        for (status, code, wait, kind) in cases {
            assert_eq!(
                ErrorKind::from_answer(status, code, wait),
                kind,
                "{status} {code:?}"
            );
        }
    }
}

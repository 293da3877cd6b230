//! What went wrong, as the app hears of it.

use ferry_core::ErrorClass;
use serde::{Deserialize, Serialize};

/// What went wrong, in terms the UI can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

//! The errors of the proxy contract and their one mapping to status, code and body.

use serde::Serialize;

use crate::ProviderId;

/// Everything that can go wrong with a proxied request, as the client sees it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProxyError {
    #[error("{message}")]
    InvalidRequest { message: String },
    #[error("{message}")]
    Unauthorized { message: String },
    #[error("no route for {path}")]
    NotFound { path: String },
    #[error("method {method} is not allowed here")]
    MethodNotAllowed { method: String },
    #[error("{}", cap.message(*limit))]
    PayloadTooLarge { limit: u64, cap: BodyCap },
    #[error("rate limit exceeded, retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("daily token quota exceeded, retry in {retry_after_secs} s")]
    QuotaExceeded { retry_after_secs: u64 },
    /// The provider refused the request (4xx): its status and its own words, and how long
    /// it asked the caller to wait (its `Retry-After`, passed on: a rate-limited provider's
    /// wait is what a fallback chain decides on).
    #[error("{message}")]
    Provider {
        provider: ProviderId,
        status: u16,
        kind: Option<String>,
        code: Option<String>,
        message: String,
        retry_after_secs: Option<u64>,
    },
    /// The provider failed (5xx), was unreachable, broke the connection or sent nonsense.
    #[error("{message}")]
    Upstream {
        provider: ProviderId,
        message: String,
    },
    /// A service other than a model provider (a search engine) refused: its status.
    #[error("{message}")]
    Remote {
        service: String,
        status: u16,
        message: String,
    },
    /// A service other than a model provider (a search engine, a web page) failed, was
    /// unreachable or answered nonsense.
    #[error("{message}")]
    RemoteFailed { service: String, message: String },
    #[error("{service} gave no complete answer within {timeout_secs} s")]
    RemoteTimeout { service: String, timeout_secs: u64 },
    #[error("the proxy is temporarily disabled")]
    ProxyDisabled,
    #[error("provider {provider} is temporarily disabled")]
    ProviderDisabled { provider: ProviderId },
    /// A relay of the proxy's other than a model provider's (`mcp`) is switched off; the
    /// body names it as its `provider`.
    #[error("the {relay} relay is temporarily disabled")]
    RelayDisabled { relay: &'static str },
    #[error("{provider} gave no complete answer within {timeout_secs} s")]
    UpstreamTimeout {
        provider: ProviderId,
        timeout_secs: u64,
    },
    /// The per-user limits could not be consulted, for a route that must not run unlimited
    /// (web fetch and search cost the operator money).
    #[error("{message}")]
    LimitsUnavailable { message: String },
    /// The keys that verify access tokens could not be fetched: the proxy's fault, not the
    /// token's, so not a 401 (which would send the user to sign in again).
    #[error("{message}")]
    AuthUnavailable { message: String },
}

impl ProxyError {
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::InvalidRequest {
            message: message.into(),
        }
    }

    pub fn upstream(provider: ProviderId, message: impl Into<String>) -> Self {
        Self::Upstream {
            provider,
            message: message.into(),
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            Self::InvalidRequest { .. } => 400,
            Self::Unauthorized { .. } => 401,
            Self::NotFound { .. } => 404,
            Self::MethodNotAllowed { .. } => 405,
            Self::PayloadTooLarge { .. } => 413,
            Self::RateLimited { .. } | Self::QuotaExceeded { .. } => 429,
            Self::Provider { status, .. } | Self::Remote { status, .. } => *status,
            Self::Upstream { .. } | Self::RemoteFailed { .. } => 502,
            Self::ProxyDisabled
            | Self::ProviderDisabled { .. }
            | Self::RelayDisabled { .. }
            | Self::LimitsUnavailable { .. }
            | Self::AuthUnavailable { .. } => 503,
            Self::UpstreamTimeout { .. } | Self::RemoteTimeout { .. } => 504,
        }
    }

    pub fn code(&self) -> &str {
        match self {
            Self::InvalidRequest { .. } => code::INVALID_REQUEST,
            Self::Unauthorized { .. } => code::UNAUTHORIZED,
            Self::NotFound { .. } => code::NOT_FOUND,
            Self::MethodNotAllowed { .. } => code::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge { .. } => code::PAYLOAD_TOO_LARGE,
            Self::RateLimited { .. } => code::RATE_LIMITED,
            Self::QuotaExceeded { .. } => code::QUOTA_EXCEEDED,
            Self::Provider { code, status, .. } => code
                .as_deref()
                .unwrap_or_else(|| provider_status_code(*status)),
            Self::Remote { status, .. } => provider_status_code(*status),
            Self::Upstream { .. } | Self::RemoteFailed { .. } => code::UPSTREAM_ERROR,
            Self::ProxyDisabled => code::PROXY_DISABLED,
            Self::ProviderDisabled { .. } | Self::RelayDisabled { .. } => code::PROVIDER_DISABLED,
            Self::LimitsUnavailable { .. } => code::LIMITS_UNAVAILABLE,
            Self::AuthUnavailable { .. } => code::AUTH_UNAVAILABLE,
            Self::UpstreamTimeout { .. } | Self::RemoteTimeout { .. } => code::UPSTREAM_TIMEOUT,
        }
    }

    /// The error family, in the spirit of OpenAI's `type` field.
    pub fn kind(&self) -> &str {
        match self {
            Self::InvalidRequest { .. } | Self::PayloadTooLarge { .. } => "invalid_request_error",
            Self::Unauthorized { .. } => "authentication_error",
            Self::NotFound { .. } | Self::MethodNotAllowed { .. } => "not_found_error",
            Self::RateLimited { .. } | Self::QuotaExceeded { .. } => "rate_limit_error",
            Self::Provider { kind, .. } => kind.as_deref().unwrap_or("provider_error"),
            Self::Remote { .. } => "provider_error",
            Self::Upstream { .. }
            | Self::UpstreamTimeout { .. }
            | Self::RemoteFailed { .. }
            | Self::RemoteTimeout { .. } => "upstream_error",
            Self::ProxyDisabled
            | Self::ProviderDisabled { .. }
            | Self::RelayDisabled { .. }
            | Self::LimitsUnavailable { .. }
            | Self::AuthUnavailable { .. } => "service_unavailable",
        }
    }

    /// Whether the same request may succeed if sent again later.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::RateLimited { .. }
            | Self::QuotaExceeded { .. }
            | Self::Upstream { .. }
            | Self::ProxyDisabled
            | Self::ProviderDisabled { .. }
            | Self::RelayDisabled { .. }
            | Self::UpstreamTimeout { .. }
            | Self::RemoteFailed { .. }
            | Self::RemoteTimeout { .. }
            | Self::LimitsUnavailable { .. }
            | Self::AuthUnavailable { .. } => true,
            Self::Provider { status, .. } | Self::Remote { status, .. } => {
                *status == 408 || *status == 409 || *status == 429
            }
            Self::InvalidRequest { .. }
            | Self::Unauthorized { .. }
            | Self::NotFound { .. }
            | Self::MethodNotAllowed { .. }
            | Self::PayloadTooLarge { .. } => false,
        }
    }

    /// Seconds for a `Retry-After` header, where one applies.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::RateLimited { retry_after_secs } | Self::QuotaExceeded { retry_after_secs } => {
                Some(*retry_after_secs)
            }
            Self::Provider {
                retry_after_secs, ..
            } => *retry_after_secs,
            _ => None,
        }
    }

    /// This error with the provider's `Retry-After` (see [`parse_retry_after`]) when it is
    /// the provider's refusal; any other error as it is.
    pub fn with_retry_after(mut self, secs: Option<u64>) -> Self {
        if let Self::Provider {
            retry_after_secs, ..
        } = &mut self
        {
            *retry_after_secs = secs;
        }
        self
    }

    pub fn provider(&self) -> Option<ProviderId> {
        match self {
            Self::Provider { provider, .. }
            | Self::Upstream { provider, .. }
            | Self::ProviderDisabled { provider }
            | Self::UpstreamTimeout { provider, .. } => Some(*provider),
            _ => None,
        }
    }

    /// The JSON body of the contract: `{"error":{"type","code","message","provider"?}}`.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                kind: self.kind().to_owned(),
                code: self.code().to_owned(),
                message: self.to_string(),
                provider: match self {
                    Self::RelayDisabled { relay } => Some((*relay).to_owned()),
                    _ => self.provider().map(|p| p.as_str().to_owned()),
                },
            },
        }
    }

    /// The body as JSON text.
    pub fn to_json(&self) -> String {
        // Serializing plain strings cannot fail; an empty object is a safe last resort.
        serde_json::to_string(&self.body()).unwrap_or_else(|_| "{}".to_owned())
    }
}

/// Which of the proxy's body caps a request went over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyCap {
    /// `MAX_BODY_BYTES`: the whole body (every route; a chat request without images or files).
    Body,
    /// `MAX_MEDIA_BODY_BYTES`: the whole body of a chat request (the most that is read).
    MediaBody,
    /// `MAX_BODY_BYTES`, for the bytes of a chat request outside its images' and files' data.
    OutsideMedia,
}

impl BodyCap {
    /// The variable that sets this cap.
    pub fn variable(self) -> &'static str {
        match self {
            Self::Body | Self::OutsideMedia => "MAX_BODY_BYTES",
            Self::MediaBody => "MAX_MEDIA_BODY_BYTES",
        }
    }

    fn message(self, limit: u64) -> String {
        let variable = self.variable();
        match self {
            Self::Body => format!("request body is larger than {limit} bytes ({variable})"),
            Self::MediaBody => format!(
                "request body is larger than {limit} bytes ({variable}, the cap for a chat \
                 request with images or files)"
            ),
            Self::OutsideMedia => format!(
                "request body is larger than {limit} bytes outside its images' and files' data \
                 ({variable}; only image and file data may take a body up to MAX_MEDIA_BODY_BYTES)"
            ),
        }
    }
}

/// A code for a provider refusal that carried none of its own.
fn provider_status_code(status: u16) -> &'static str {
    match status {
        400 => code::INVALID_REQUEST,
        401 => code::INVALID_API_KEY,
        403 => code::PERMISSION_DENIED,
        404 => code::MODEL_NOT_FOUND,
        408 => code::REQUEST_TIMEOUT,
        413 => code::PAYLOAD_TOO_LARGE,
        429 => code::RATE_LIMITED,
        _ => code::PROVIDER_ERROR,
    }
}

/// The `code` values of the contract's error body: the one list the proxy writes and
/// clients read back.
pub mod code {
    pub const INVALID_REQUEST: &str = "invalid_request";
    pub const UNAUTHORIZED: &str = "unauthorized";
    pub const NOT_FOUND: &str = "not_found";
    pub const METHOD_NOT_ALLOWED: &str = "method_not_allowed";
    pub const PAYLOAD_TOO_LARGE: &str = "payload_too_large";
    pub const RATE_LIMITED: &str = "rate_limited";
    pub const QUOTA_EXCEEDED: &str = "quota_exceeded";
    pub const UPSTREAM_ERROR: &str = "upstream_error";
    pub const UPSTREAM_TIMEOUT: &str = "upstream_timeout";
    pub const PROXY_DISABLED: &str = "proxy_disabled";
    pub const PROVIDER_DISABLED: &str = "provider_disabled";
    pub const LIMITS_UNAVAILABLE: &str = "limits_unavailable";
    pub const AUTH_UNAVAILABLE: &str = "auth_unavailable";
    /// Provider refusals that carried no code of their own, by status.
    pub const INVALID_API_KEY: &str = "invalid_api_key";
    pub const PERMISSION_DENIED: &str = "permission_denied";
    pub const MODEL_NOT_FOUND: &str = "model_not_found";
    pub const REQUEST_TIMEOUT: &str = "request_timeout";
    pub const PROVIDER_ERROR: &str = "provider_error";
}

/// What a client can make of an error answer (the proxy's, or a provider's called
/// directly): its status and `code` read back into the contract's families.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// The proxy refused the caller's access token: sign in again.
    Unauthorized,
    /// A per-user or provider rate limit: wait, then retry.
    RateLimited,
    /// The daily token quota is spent: wait, then retry.
    QuotaExceeded,
    /// An operator turned the proxy or this provider off for now.
    Disabled,
    /// The request itself is wrong.
    InvalidRequest,
    /// The provider refused (a bad key, an unknown model).
    Refused,
    /// The provider or the proxy failed; a retry may work.
    Failed,
}

impl ErrorClass {
    pub fn of_answer(status: u16, code: Option<&str>) -> Self {
        match (status, code) {
            (401, Some(code::UNAUTHORIZED)) => Self::Unauthorized,
            (429, Some(code::QUOTA_EXCEEDED)) => Self::QuotaExceeded,
            (429, _) => Self::RateLimited,
            (503, Some(code::PROXY_DISABLED | code::PROVIDER_DISABLED)) => Self::Disabled,
            (400 | 413, Some(code::INVALID_REQUEST | code::PAYLOAD_TOO_LARGE)) => {
                Self::InvalidRequest
            }
            (400..=499, _) => Self::Refused,
            _ => Self::Failed,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorDetail {
    #[serde(rename = "type")]
    pub kind: String,
    pub code: String,
    pub message: String,
    /// A provider's id, or the name of the service switched off ([`ProxyError::RelayDisabled`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
}

/// A `Retry-After` header's wait in seconds: its delta-seconds form (what providers send on a
/// 429), at most a day. An HTTP date, or anything else, is `None`: the caller then waits by
/// its own rule.
pub fn parse_retry_after(value: &str) -> Option<u64> {
    const DAY_SECS: u64 = 86_400;
    let value = value.trim();
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(
        value
            .parse::<u64>()
            .map_or(DAY_SECS, |secs| secs.min(DAY_SECS)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn statuses_and_codes_follow_the_contract() {
        let anthropic = ProviderId::Anthropic;
        let cases = [
            (ProxyError::invalid("x"), 400, "invalid_request"),
            (
                ProxyError::Unauthorized {
                    message: "x".into(),
                },
                401,
                "unauthorized",
            ),
            (ProxyError::NotFound { path: "/".into() }, 404, "not_found"),
            (
                ProxyError::MethodNotAllowed {
                    method: "PUT".into(),
                },
                405,
                "method_not_allowed",
            ),
            (
                ProxyError::PayloadTooLarge {
                    limit: 1,
                    cap: BodyCap::Body,
                },
                413,
                "payload_too_large",
            ),
            (
                ProxyError::RateLimited {
                    retry_after_secs: 3,
                },
                429,
                "rate_limited",
            ),
            (
                ProxyError::QuotaExceeded {
                    retry_after_secs: 3,
                },
                429,
                "quota_exceeded",
            ),
            (ProxyError::upstream(anthropic, "x"), 502, "upstream_error"),
            (ProxyError::ProxyDisabled, 503, "proxy_disabled"),
            (
                ProxyError::ProviderDisabled {
                    provider: anthropic,
                },
                503,
                "provider_disabled",
            ),
            (
                ProxyError::UpstreamTimeout {
                    provider: anthropic,
                    timeout_secs: 30,
                },
                504,
                "upstream_timeout",
            ),
            (
                ProxyError::LimitsUnavailable {
                    message: "x".into(),
                },
                503,
                "limits_unavailable",
            ),
            (
                ProxyError::AuthUnavailable {
                    message: "x".into(),
                },
                503,
                "auth_unavailable",
            ),
        ];
        for (error, status, code) in cases {
            assert_eq!((error.status(), error.code()), (status, code), "{error:?}");
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn provider_refusals_keep_status_and_code() {
        let error = ProxyError::Provider {
            provider: ProviderId::OpenAi,
            status: 401,
            kind: None,
            code: None,
            message: "Incorrect API key provided".into(),
            retry_after_secs: None,
        };
        let body = serde_json::to_value(error.body()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"error": {
                "type": "provider_error",
                "code": "invalid_api_key",
                "message": "Incorrect API key provided",
                "provider": "openai",
            }})
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn every_error_of_the_proxy_reads_back_into_its_class() {
        let anthropic = ProviderId::Anthropic;
        let message = || "x".to_owned();
        let refusal = |status, code: Option<&str>| ProxyError::Provider {
            provider: anthropic,
            status,
            kind: None,
            code: code.map(str::to_owned),
            message: message(),
            retry_after_secs: None,
        };
        let cases = [
            (ProxyError::invalid("x"), ErrorClass::InvalidRequest),
            (
                ProxyError::PayloadTooLarge {
                    limit: 1,
                    cap: BodyCap::Body,
                },
                ErrorClass::InvalidRequest,
            ),
            (
                ProxyError::Unauthorized { message: message() },
                ErrorClass::Unauthorized,
            ),
            (
                ProxyError::NotFound { path: "/".into() },
                ErrorClass::Refused,
            ),
            (
                ProxyError::MethodNotAllowed {
                    method: "PUT".into(),
                },
                ErrorClass::Refused,
            ),
            (
                ProxyError::RateLimited {
                    retry_after_secs: 1,
                },
                ErrorClass::RateLimited,
            ),
            (
                ProxyError::QuotaExceeded {
                    retry_after_secs: 1,
                },
                ErrorClass::QuotaExceeded,
            ),
            (refusal(401, None), ErrorClass::Refused),
            (refusal(404, Some("model_not_found")), ErrorClass::Refused),
            (refusal(429, None), ErrorClass::RateLimited),
            (ProxyError::upstream(anthropic, "x"), ErrorClass::Failed),
            (ProxyError::ProxyDisabled, ErrorClass::Disabled),
            (
                ProxyError::ProviderDisabled {
                    provider: anthropic,
                },
                ErrorClass::Disabled,
            ),
            (
                ProxyError::UpstreamTimeout {
                    provider: anthropic,
                    timeout_secs: 1,
                },
                ErrorClass::Failed,
            ),
            (
                ProxyError::LimitsUnavailable { message: message() },
                ErrorClass::Failed,
            ),
            (
                ProxyError::AuthUnavailable { message: message() },
                ErrorClass::Failed,
            ),
        ];
        for (error, class) in cases {
            assert_eq!(
                ErrorClass::of_answer(error.status(), Some(error.code())),
                class,
                "{error:?}"
            );
        }
        // A provider called directly may send no code, or one of its own.
        assert_eq!(ErrorClass::of_answer(400, None), ErrorClass::Refused);
        assert_eq!(
            ErrorClass::of_answer(401, Some("authentication_error")),
            ErrorClass::Refused
        );
        assert_eq!(ErrorClass::of_answer(500, None), ErrorClass::Failed);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_providers_retry_after_is_read_as_seconds_and_passed_on() {
        assert_eq!(parse_retry_after("2"), Some(2));
        assert_eq!(parse_retry_after(" 30 "), Some(30));
        assert_eq!(parse_retry_after("999999999999999999999999"), Some(86_400));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after(""), None);
        let refusal = crate::adapter::upstream_error(ProviderId::OpenAi, 429, b"{}", "k")
            .with_retry_after(Some(2));
        assert_eq!(refusal.status(), 429);
        assert_eq!(refusal.retry_after_secs(), Some(2));
        let failure = crate::adapter::upstream_error(ProviderId::OpenAi, 503, b"{}", "k")
            .with_retry_after(Some(2));
        assert_eq!(
            failure.retry_after_secs(),
            None,
            "only a refusal carries it"
        );
    }
}

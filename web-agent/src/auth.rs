//! Supabase Auth (GoTrue) over its REST endpoints, as plain requests and answers: the
//! magic-link email, the OAuth redirect for GitHub and Google, reading the session that
//! comes back in the URL fragment, refreshing it before it expires, and signing out.
//!
//! No I/O here: the runtime sends the requests through its [`Transport`] and keeps the
//! session. Every request carries the project's public `apikey`.
//!
//! [`Transport`]: crate::transport::Transport

use ferry_core::adapter::{HttpMethod, UpstreamRequest};
use serde::{Deserialize, Serialize};

/// Refresh this long before the access token expires.
pub const REFRESH_MARGIN_MS: u64 = 60_000;

/// A Supabase project, as the app knows it: its URL and public (anon) key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    pub url: String,
    pub anon_key: String,
}

/// The OAuth providers the app offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OAuthProvider {
    Github,
    Google,
}

impl OAuthProvider {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Github => "github",
            Self::Google => "google",
        }
    }
}

/// A signed-in user's session.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthSession {
    pub access_token: String,
    pub refresh_token: String,
    /// When the access token expires, ms since the epoch.
    pub expires_at_ms: u64,
}

impl std::fmt::Debug for AuthSession {
    // Tokens are credentials: never in a debug print.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthSession")
            .field("expires_at_ms", &self.expires_at_ms)
            .finish_non_exhaustive()
    }
}

impl AuthSession {
    /// Whether to refresh now: expired, or about to.
    pub fn refresh_due(&self, now_ms: u64) -> bool {
        now_ms + REFRESH_MARGIN_MS >= self.expires_at_ms
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// Supabase said no (a used or expired link, a revoked refresh token): sign in again.
    #[error("sign-in failed: {0}")]
    Refused(String),
    #[error("the sign-in answer is not readable: {0}")]
    Unreadable(String),
}

fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

fn root(project: &Project) -> &str {
    project.url.trim_end_matches('/')
}

fn request(
    project: &Project,
    method: HttpMethod,
    url: String,
    body: Option<String>,
) -> UpstreamRequest {
    let mut headers = vec![("apikey", project.anon_key.clone())];
    if body.is_some() {
        headers.push(("content-type", "application/json".to_owned()));
    }
    UpstreamRequest {
        method,
        url,
        headers,
        body,
    }
}

/// Asks Supabase to email a sign-in link that comes back to `redirect_to`.
pub fn magic_link_request(project: &Project, email: &str, redirect_to: &str) -> UpstreamRequest {
    let body = serde_json::json!({ "email": email.trim(), "create_user": true });
    request(
        project,
        HttpMethod::Post,
        format!(
            "{}/auth/v1/otp?redirect_to={}",
            root(project),
            encode(redirect_to)
        ),
        Some(body.to_string()),
    )
}

/// Where to send the browser to sign in with `provider`; it comes back to `redirect_to`
/// with the session in the URL fragment.
pub fn authorize_url(project: &Project, provider: OAuthProvider, redirect_to: &str) -> String {
    format!(
        "{}/auth/v1/authorize?provider={}&redirect_to={}",
        root(project),
        provider.as_str(),
        encode(redirect_to)
    )
}

/// The session in the fragment Supabase redirects back with
/// (`#access_token=…&refresh_token=…&expires_in=…`), or the error it reports there.
/// `Ok(None)`: the fragment is not a sign-in's.
pub fn session_from_fragment(
    fragment: &str,
    now_ms: u64,
) -> Result<Option<AuthSession>, AuthError> {
    let fragment = fragment.trim_start_matches('#');
    let mut access = None;
    let mut refresh = None;
    let mut expires_in = None;
    let mut error = None;
    let mut description = None;
    for (key, value) in url::form_urlencoded::parse(fragment.as_bytes()) {
        match key.as_ref() {
            "access_token" => access = Some(value.into_owned()),
            "refresh_token" => refresh = Some(value.into_owned()),
            "expires_in" => expires_in = value.parse::<u64>().ok(),
            "error" => error = Some(value.into_owned()),
            "error_description" => description = Some(value.into_owned()),
            _ => {}
        }
    }
    if let Some(error) = error {
        return Err(AuthError::Refused(description.unwrap_or(error)));
    }
    match (access, refresh) {
        (Some(access_token), Some(refresh_token)) => Ok(Some(AuthSession {
            access_token,
            refresh_token,
            expires_at_ms: now_ms + expires_in.unwrap_or(3600) * 1000,
        })),
        (None, None) => Ok(None),
        _ => Err(AuthError::Unreadable(
            "a session needs both an access and a refresh token".to_owned(),
        )),
    }
}

/// What Supabase Auth says when it refuses (`error_description`, `msg` or `error`).
pub fn refusal_reason(status: u16, body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct Refusal {
        #[serde(alias = "error_description", alias = "msg")]
        message: Option<String>,
        error: Option<String>,
    }
    serde_json::from_slice::<Refusal>(body)
        .ok()
        .and_then(|r| r.message.or(r.error))
        .unwrap_or_else(|| format!("HTTP {status}"))
}

/// Trades the refresh token for a new session.
pub fn refresh_request(project: &Project, session: &AuthSession) -> UpstreamRequest {
    let body = serde_json::json!({ "refresh_token": session.refresh_token });
    request(
        project,
        HttpMethod::Post,
        format!("{}/auth/v1/token?grant_type=refresh_token", root(project)),
        Some(body.to_string()),
    )
}

/// The session in a token endpoint's answer (or its refusal).
pub fn session_from_answer(
    status: u16,
    body: &[u8],
    now_ms: u64,
) -> Result<AuthSession, AuthError> {
    #[derive(Deserialize)]
    struct Answer {
        access_token: String,
        refresh_token: String,
        expires_in: u64,
    }
    if !(200..300).contains(&status) {
        return Err(AuthError::Refused(refusal_reason(status, body)));
    }
    let answer: Answer =
        serde_json::from_slice(body).map_err(|e| AuthError::Unreadable(e.to_string()))?;
    Ok(AuthSession {
        access_token: answer.access_token,
        refresh_token: answer.refresh_token,
        expires_at_ms: now_ms + answer.expires_in * 1000,
    })
}

/// Ends the session on Supabase's side too (its refresh token stops working).
pub fn sign_out_request(project: &Project, session: &AuthSession) -> UpstreamRequest {
    let mut call = request(
        project,
        HttpMethod::Post,
        format!("{}/auth/v1/logout", root(project)),
        None,
    );
    call.headers
        .push(("authorization", format!("Bearer {}", session.access_token)));
    call
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    fn project() -> Project {
        Project {
            url: "https://abc.supabase.co/".into(),
            anon_key: "anon-key".into(),
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_magic_link_is_asked_for_with_the_way_back() {
        let call = magic_link_request(&project(), " ada@example.test ", "https://app.example/#x");
        assert_eq!(
            call.url,
            "https://abc.supabase.co/auth/v1/otp?redirect_to=https%3A%2F%2Fapp.example%2F%23x"
        );
        assert_eq!(call.method, HttpMethod::Post);
        assert!(call.headers.contains(&("apikey", "anon-key".to_owned())));
        let body: serde_json::Value =
            serde_json::from_str(call.body.as_deref().unwrap_or("")).unwrap_or_default();
        assert_eq!(
            body,
            serde_json::json!({"email": "ada@example.test", "create_user": true})
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn oauth_goes_through_authorize() {
        assert_eq!(
            authorize_url(&project(), OAuthProvider::Github, "http://127.0.0.1:8080/"),
            "https://abc.supabase.co/auth/v1/authorize?provider=github&redirect_to=http%3A%2F%2F127.0.0.1%3A8080%2F"
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_fragment_brings_the_session_or_the_error() {
        let session = session_from_fragment(
            "#access_token=eyJ.a.b&expires_at=1&expires_in=3600&refresh_token=r1&token_type=bearer&type=magiclink",
            1_000,
        );
        assert_eq!(
            session,
            Ok(Some(AuthSession {
                access_token: "eyJ.a.b".into(),
                refresh_token: "r1".into(),
                expires_at_ms: 1_000 + 3_600_000,
            }))
        );
        assert_eq!(
            session_from_fragment(
                "#error=access_denied&error_code=otp_expired&error_description=Email+link+is+invalid+or+has+expired",
                0
            ),
            Err(AuthError::Refused(
                "Email link is invalid or has expired".into()
            ))
        );
        assert_eq!(session_from_fragment("#section-2", 0), Ok(None));
        assert!(session_from_fragment("#access_token=only", 0).is_err());
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn refresh_comes_a_minute_before_expiry() {
        let session = AuthSession {
            access_token: "a".into(),
            refresh_token: "r".into(),
            expires_at_ms: 100_000,
        };
        assert!(!session.refresh_due(39_999));
        assert!(session.refresh_due(40_000));
        assert!(session.refresh_due(200_000));
        let call = refresh_request(&project(), &session);
        assert_eq!(
            call.url,
            "https://abc.supabase.co/auth/v1/token?grant_type=refresh_token"
        );
        assert_eq!(call.body.as_deref(), Some(r#"{"refresh_token":"r"}"#));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn token_answers_and_refusals_are_read() {
        let body = br#"{"access_token":"new","token_type":"bearer","expires_in":3600,"expires_at":9,"refresh_token":"r2","user":{"id":"u"}}"#;
        assert_eq!(
            session_from_answer(200, body, 5),
            Ok(AuthSession {
                access_token: "new".into(),
                refresh_token: "r2".into(),
                expires_at_ms: 5 + 3_600_000,
            })
        );
        let refused = br#"{"error":"invalid_grant","error_description":"Invalid Refresh Token: Already Used"}"#;
        assert_eq!(
            session_from_answer(400, refused, 0),
            Err(AuthError::Refused(
                "Invalid Refresh Token: Already Used".into()
            ))
        );
        assert!(matches!(
            session_from_answer(200, b"{}", 0),
            Err(AuthError::Unreadable(_))
        ));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn sign_out_carries_the_access_token_and_debug_hides_tokens() {
        let session = AuthSession {
            access_token: "secret-access".into(),
            refresh_token: "secret-refresh".into(),
            expires_at_ms: 1,
        };
        let call = sign_out_request(&project(), &session);
        assert_eq!(call.url, "https://abc.supabase.co/auth/v1/logout");
        assert!(
            call.headers
                .contains(&("authorization", "Bearer secret-access".to_owned()))
        );
        let shown = format!("{session:?}");
        assert!(!shown.contains("secret"), "{shown}");
    }
}

//! Supabase Auth (GoTrue) over its REST endpoints, as plain requests and answers: the
//! magic-link email and the OAuth redirect for GitHub and Google, both in the PKCE flow
//! (RFC 7636), the code they come back with traded for a session, refreshing it before it
//! expires, and signing out.
//!
//! PKCE is what ties a sign-in to the browser that started it: the agent keeps a random
//! code verifier and sends only its SHA-256 (the challenge) with the request; the `?code=`
//! the link or the redirect brings back is worth a session only together with that
//! verifier. A link someone else started (their own account, their own verifier) signs no
//! one in here, and neither does a session handed over in a URL fragment
//! (`#access_token=…`, the implicit flow): [`callback`] refuses it.
//!
//! No I/O here: the runtime sends the requests through its [`Transport`] and keeps the
//! session. Every request carries the project's public `apikey`.
//!
//! [`Transport`]: crate::transport::Transport

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ferry_core::adapter::{HttpMethod, UpstreamRequest};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Refresh this long before the access token expires.
pub const REFRESH_MARGIN_MS: u64 = 60_000;

/// A Supabase project, as the app knows it: its URL and public (anon) key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    pub url: String,
    pub anon_key: String,
}

/// The OAuth providers the app offers.
pub use ferry_protocol::OAuthProvider;

/// A signed-in user's session.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignIn {
    pub access_token: String,
    pub refresh_token: String,
    /// When the access token expires, ms since the epoch.
    pub expires_at_ms: u64,
}

impl std::fmt::Debug for SignIn {
    // Tokens are credentials: never in a debug print.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignIn")
            .field("expires_at_ms", &self.expires_at_ms)
            .finish_non_exhaustive()
    }
}

impl SignIn {
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
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
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
        dropped: Vec::new(),
    }
}

/// Characters of a code verifier: RFC 7636 allows 43 to 128.
pub const VERIFIER_LEN: std::ops::RangeInclusive<usize> = 43..=128;

/// A code verifier from random ids (`random` is called until there are enough characters):
/// only RFC 7636's unreserved characters are kept, at most 128 of them. `None` if the ids
/// never give 43.
pub fn code_verifier(mut random: impl FnMut() -> String) -> Option<String> {
    let mut verifier = String::new();
    // A bounded number of draws: a source that gives nothing usable must not spin.
    for _ in 0..16 {
        if verifier.len() >= 64 {
            break;
        }
        verifier.extend(
            random()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')),
        );
    }
    verifier.truncate(*VERIFIER_LEN.end());
    VERIFIER_LEN.contains(&verifier.len()).then_some(verifier)
}

/// The challenge sent for `verifier` (method `s256`): base64url, unpadded, of its SHA-256.
pub fn code_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Asks Supabase to email a sign-in link that comes back to `redirect_to` with a `?code=`
/// for the verifier whose challenge this is.
pub fn magic_link_request(
    project: &Project,
    email: &str,
    redirect_to: &str,
    challenge: &str,
) -> UpstreamRequest {
    let body = serde_json::json!({
        "email": email.trim(),
        "create_user": true,
        "code_challenge": challenge,
        "code_challenge_method": "s256",
    });
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
/// with a `?code=` for the verifier whose challenge this is.
pub fn authorize_url(
    project: &Project,
    provider: OAuthProvider,
    redirect_to: &str,
    challenge: &str,
) -> String {
    format!(
        "{}/auth/v1/authorize?provider={}&redirect_to={}&code_challenge={}&code_challenge_method=s256",
        root(project),
        provider.as_str(),
        encode(redirect_to),
        encode(challenge)
    )
}

/// Trades the code a sign-in came back with, and this browser's verifier, for a session.
pub fn code_exchange_request(project: &Project, code: &str, verifier: &str) -> UpstreamRequest {
    let body = serde_json::json!({ "auth_code": code, "code_verifier": verifier });
    request(
        project,
        HttpMethod::Post,
        format!("{}/auth/v1/token?grant_type=pkce", root(project)),
        Some(body.to_string()),
    )
}

/// What the app's address says after a sign-in came back to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Callback {
    /// Not a sign-in's way back.
    Nothing,
    /// The PKCE code (`?code=…`), to trade with this browser's verifier.
    Code(String),
    /// Supabase refused (an expired link, a denied consent): its words.
    Refused(String),
    /// A session handed over in the fragment (`#access_token=…`): never accepted, since
    /// nothing ties it to this browser — it may be someone else's account.
    TokensInFragment,
}

/// Reads the address's query (`?code=…`, `?error=…`) and fragment (where the implicit flow
/// and some errors put theirs). The leading `?` / `#` are optional.
pub fn callback(query: &str, fragment: &str) -> Callback {
    let read = |part: &str| -> Vec<(String, String)> {
        form_urlencoded::parse(part.trim_start_matches(['?', '#']).as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    };
    let query = read(query);
    let fragment = read(fragment);
    let find = |pairs: &[(String, String)], key: &str| {
        pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    };
    if find(&fragment, "access_token").is_some() || find(&fragment, "refresh_token").is_some() {
        return Callback::TokensInFragment;
    }
    for pairs in [&query, &fragment] {
        if let Some(error) = find(pairs, "error") {
            return Callback::Refused(find(pairs, "error_description").unwrap_or(error));
        }
    }
    match find(&query, "code") {
        Some(code) if !code.is_empty() => Callback::Code(code),
        _ => Callback::Nothing,
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
pub fn refresh_request(project: &Project, sign_in: &SignIn) -> UpstreamRequest {
    let body = serde_json::json!({ "refresh_token": sign_in.refresh_token });
    request(
        project,
        HttpMethod::Post,
        format!("{}/auth/v1/token?grant_type=refresh_token", root(project)),
        Some(body.to_string()),
    )
}

/// The session in a token endpoint's answer (or its refusal).
pub fn sign_in_from_answer(status: u16, body: &[u8], now_ms: u64) -> Result<SignIn, AuthError> {
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
    Ok(SignIn {
        access_token: answer.access_token,
        refresh_token: answer.refresh_token,
        expires_at_ms: now_ms + answer.expires_in * 1000,
    })
}

/// Ends the session on Supabase's side too (its refresh token stops working).
pub fn sign_out_request(project: &Project, sign_in: &SignIn) -> UpstreamRequest {
    let mut call = request(
        project,
        HttpMethod::Post,
        format!("{}/auth/v1/logout", root(project)),
        None,
    );
    call.headers
        .push(("authorization", format!("Bearer {}", sign_in.access_token)));
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
    fn the_magic_link_is_asked_for_with_the_way_back_and_the_challenge() {
        let call = magic_link_request(
            &project(),
            " ada@example.test ",
            "https://app.example/#x",
            "chal",
        );
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
            serde_json::json!({"email": "ada@example.test", "create_user": true,
                "code_challenge": "chal", "code_challenge_method": "s256"})
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn oauth_goes_through_authorize_with_the_challenge() {
        assert_eq!(
            authorize_url(
                &project(),
                OAuthProvider::Github,
                "http://127.0.0.1:8080/",
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
            ),
            "https://abc.supabase.co/auth/v1/authorize?provider=github&redirect_to=http%3A%2F%2F127.0.0.1%3A8080%2F&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=s256"
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_challenge_is_rfc_7636s_s256() {
        // RFC 7636, appendix B.
        assert_eq!(
            code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_verifier_is_43_to_128_unreserved_characters() {
        let mut n = 0;
        let verifier = code_verifier(|| {
            n += 1;
            format!("{n:024x}/+=")
        })
        .unwrap_or_default();
        assert_eq!(verifier.len(), 72, "{verifier}");
        assert!(verifier.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(
            code_verifier(|| "x".repeat(500)).map(|v| v.len()),
            Some(128)
        );
        assert_eq!(code_verifier(|| "/".into()), None);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_code_is_traded_with_the_verifier() {
        let call = code_exchange_request(&project(), "code-1", "verifier-1");
        assert_eq!(
            call.url,
            "https://abc.supabase.co/auth/v1/token?grant_type=pkce"
        );
        assert_eq!(call.method, HttpMethod::Post);
        assert!(call.headers.contains(&("apikey", "anon-key".to_owned())));
        let body: serde_json::Value =
            serde_json::from_str(call.body.as_deref().unwrap_or("")).unwrap_or_default();
        assert_eq!(
            body,
            serde_json::json!({"auth_code": "code-1", "code_verifier": "verifier-1"})
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_way_back_brings_a_code_or_an_error_and_never_tokens() {
        assert_eq!(
            callback("?code=abc-123", ""),
            Callback::Code("abc-123".into())
        );
        assert_eq!(
            callback(
                "",
                "#error=access_denied&error_code=otp_expired&error_description=Email+link+is+invalid+or+has+expired"
            ),
            Callback::Refused("Email link is invalid or has expired".into())
        );
        assert_eq!(
            callback("?error=server_error", ""),
            Callback::Refused("server_error".into())
        );
        // The implicit flow's session: refused, even beside a code.
        assert_eq!(
            callback(
                "?code=abc",
                "#access_token=eyJ.a.b&expires_in=3600&refresh_token=r1&token_type=bearer&type=magiclink"
            ),
            Callback::TokensInFragment
        );
        assert_eq!(
            callback("", "#refresh_token=r1"),
            Callback::TokensInFragment
        );
        assert_eq!(callback("", "#section-2"), Callback::Nothing);
        assert_eq!(callback("?code=", ""), Callback::Nothing);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn refresh_comes_a_minute_before_expiry() {
        let sign_in = SignIn {
            access_token: "a".into(),
            refresh_token: "r".into(),
            expires_at_ms: 100_000,
        };
        assert!(!sign_in.refresh_due(39_999));
        assert!(sign_in.refresh_due(40_000));
        assert!(sign_in.refresh_due(200_000));
        let call = refresh_request(&project(), &sign_in);
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
            sign_in_from_answer(200, body, 5),
            Ok(SignIn {
                access_token: "new".into(),
                refresh_token: "r2".into(),
                expires_at_ms: 5 + 3_600_000,
            })
        );
        let refused = br#"{"error":"invalid_grant","error_description":"Invalid Refresh Token: Already Used"}"#;
        assert_eq!(
            sign_in_from_answer(400, refused, 0),
            Err(AuthError::Refused(
                "Invalid Refresh Token: Already Used".into()
            ))
        );
        assert!(matches!(
            sign_in_from_answer(200, b"{}", 0),
            Err(AuthError::Unreadable(_))
        ));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn sign_out_carries_the_access_token_and_debug_hides_tokens() {
        let sign_in = SignIn {
            access_token: "secret-access".into(),
            refresh_token: "secret-refresh".into(),
            expires_at_ms: 1,
        };
        let call = sign_out_request(&project(), &sign_in);
        assert_eq!(call.url, "https://abc.supabase.co/auth/v1/logout");
        assert!(
            call.headers
                .contains(&("authorization", "Bearer secret-access".to_owned()))
        );
        let shown = format!("{sign_in:?}");
        assert!(!shown.contains("secret"), "{shown}");
    }
}

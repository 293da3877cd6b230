//! How each model call travels: straight to the provider where it accepts browser calls
//! (CORS), otherwise through Ferry's proxy; when the chosen way fails at the network or
//! with a server error, once more the other way where there is one.
//!
//! | provider accepts browser calls | always via proxy | first | then, if that fails |
//! |---|---|---|---|
//! | yes | no | direct | proxy |
//! | yes | yes | proxy | direct |
//! | no | either | proxy | — |
//!
//! A provider's refusal (a 4xx: bad key, unknown model, rate limit) is an answer, not a
//! failure of the way: it is never retried the other way.

use ferry_core::adapter::{self, HttpMethod, Target, UpstreamRequest};
use ferry_core::wire::ChatRequest;
use ferry_core::{ProviderId, ProxyError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    Direct,
    Proxy,
}

/// The user's routing settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routing {
    /// The proxy's root, e.g. `https://ferry-proxy.example.workers.dev`; `None`: no proxy.
    pub proxy_url: Option<String>,
    pub always_proxy: bool,
    /// Where direct calls go instead of the provider's own API: a local Ollama or LM
    /// Studio, a compatible gateway. `None`: the registry's URL.
    pub direct_base_url: Option<String>,
}

/// The ways to try, in order.
pub fn ways(provider: ProviderId, routing: &Routing) -> Vec<Way> {
    let direct = provider.info().browser_cors;
    let proxy = routing.proxy_url.is_some();
    match (direct, proxy, routing.always_proxy) {
        (true, true, false) => vec![Way::Direct, Way::Proxy],
        (true, true, true) => vec![Way::Proxy, Way::Direct],
        (true, false, _) => vec![Way::Direct],
        (false, true, _) => vec![Way::Proxy],
        (false, false, _) => Vec::new(),
    }
}

/// How a model call ended, as far as choosing the next way is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// No answer at all: offline, DNS, connection refused, CORS refused.
    Network,
    /// An HTTP answer with this status.
    Status(u16),
}

/// Whether a failure of one way is worth trying the next way for.
pub fn try_next_way(failure: Failure) -> bool {
    match failure {
        Failure::Network => true,
        Failure::Status(status) => status >= 500,
    }
}

/// Credentials for the call.
#[derive(Debug, Clone, Copy)]
pub struct Credentials<'a> {
    /// The user's provider key.
    pub key: &'a str,
    /// The user's Supabase access token, when signed in (the proxy may require it).
    pub access_token: Option<&'a str>,
}

/// The HTTP request for one model call the given way. Direct calls speak the provider's
/// own format (translated by `ferry-core`); proxy calls speak OpenAI's, with the provider
/// and key in `X-Provider` / `X-Provider-Key`.
pub fn model_call(
    way: Way,
    provider: ProviderId,
    request: ChatRequest,
    credentials: Credentials<'_>,
    routing: &Routing,
) -> Result<UpstreamRequest, ProxyError> {
    let model = request.model.clone();
    match way {
        Way::Direct => {
            let target = direct_target(provider, credentials, routing);
            let mut call = adapter::chat_request(&target, request, model)?;
            allow_browser(provider, &mut call);
            Ok(call)
        }
        Way::Proxy => {
            let body = serde_json::to_string(&request)
                .map_err(|e| ProxyError::invalid(format!("cannot encode request: {e}")))?;
            proxy_call(
                HttpMethod::Post,
                "chat/completions",
                Some(body),
                provider,
                credentials,
                routing,
            )
        }
    }
}

/// The request for the provider's model list, `way`. Direct answers are in the provider's
/// format (`adapter::models_response` reads them); the proxy's are an OpenAI list.
pub fn models_call(
    way: Way,
    provider: ProviderId,
    credentials: Credentials<'_>,
    routing: &Routing,
) -> Result<UpstreamRequest, ProxyError> {
    match way {
        Way::Direct => {
            let mut call = adapter::models_request(&direct_target(provider, credentials, routing));
            allow_browser(provider, &mut call);
            Ok(call)
        }
        Way::Proxy => proxy_call(
            HttpMethod::Get,
            "models",
            None,
            provider,
            credentials,
            routing,
        ),
    }
}

fn direct_target<'a>(
    provider: ProviderId,
    credentials: Credentials<'a>,
    routing: &'a Routing,
) -> Target<'a> {
    Target {
        provider,
        base_url: routing
            .direct_base_url
            .as_deref()
            .map_or(provider.info().default_base_url, |url| {
                url.trim_end_matches('/')
            }),
        key: credentials.key,
    }
}

/// Anthropic answers a browser only when asked to in this header.
/// Adds what the provider wants of a call from a browser page (Anthropic answers browsers
/// only with its opt-in header), as the registry says.
fn allow_browser(provider: ProviderId, call: &mut UpstreamRequest) {
    if let Some(header) = provider.info().browser_header {
        call.headers.push((header.name, header.value.to_owned()));
    }
}

fn proxy_call(
    method: HttpMethod,
    route: &str,
    body: Option<String>,
    provider: ProviderId,
    credentials: Credentials<'_>,
    routing: &Routing,
) -> Result<UpstreamRequest, ProxyError> {
    let root = routing
        .proxy_url
        .as_deref()
        .ok_or_else(|| ProxyError::invalid("no proxy URL is set"))?;
    let provider_headers = vec![
        ("x-provider", provider.as_str().to_owned()),
        ("x-provider-key", credentials.key.to_owned()),
    ];
    Ok(proxy_request(
        root,
        method,
        route,
        body,
        provider_headers,
        credentials.access_token,
    ))
}

/// A request to the proxy at `root` (`/v1/proxy/<route>`), with `headers`, a JSON body's
/// content type, and the user's sign-in when there is one: model calls and tools alike.
pub fn proxy_request(
    root: &str,
    method: HttpMethod,
    route: &str,
    body: Option<String>,
    mut headers: Vec<(&'static str, String)>,
    access_token: Option<&str>,
) -> UpstreamRequest {
    if body.is_some() {
        headers.push(("content-type", "application/json".to_owned()));
    }
    if let Some(token) = access_token {
        headers.push(("authorization", format!("Bearer {token}")));
    }
    UpstreamRequest {
        method,
        url: format!("{}/v1/proxy/{route}", root.trim_end_matches('/')),
        headers,
        body,
        dropped: Vec::new(),
    }
}

/// The wire format of the answer to a call made `way` to `provider`: proxy answers are
/// always OpenAI-shaped.
pub fn answer_provider(way: Way, provider: ProviderId) -> ProviderId {
    match way {
        Way::Direct => provider,
        Way::Proxy => ProviderId::OpenAi,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn routing(proxy: bool, always_proxy: bool) -> Routing {
        Routing {
            proxy_url: proxy.then(|| "https://proxy.test/".to_owned()),
            always_proxy,
            direct_base_url: None,
        }
    }

    fn request() -> ChatRequest {
        serde_json::from_value(serde_json::json!({
            "model": "claude-sonnet-4-5", "stream": true,
            "messages": [{"role": "user", "content": "hi"}]
        }))
        .unwrap()
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_table_of_ways() {
        use ProviderId::{Anthropic, Mistral};
        assert_eq!(
            ways(Anthropic, &routing(true, false)),
            [Way::Direct, Way::Proxy]
        );
        assert_eq!(
            ways(Anthropic, &routing(true, true)),
            [Way::Proxy, Way::Direct]
        );
        assert_eq!(ways(Anthropic, &routing(false, false)), [Way::Direct]);
        assert_eq!(ways(Mistral, &routing(true, false)), [Way::Proxy]);
        assert_eq!(ways(Mistral, &routing(true, true)), [Way::Proxy]);
        assert!(ways(Mistral, &routing(false, false)).is_empty());
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn only_network_and_server_failures_change_the_way() {
        assert!(try_next_way(Failure::Network));
        assert!(try_next_way(Failure::Status(502)));
        assert!(try_next_way(Failure::Status(503)));
        assert!(!try_next_way(Failure::Status(401)));
        assert!(!try_next_way(Failure::Status(429)));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn direct_calls_speak_the_providers_format() {
        let credentials = Credentials {
            key: "sk-ant",
            access_token: Some("jwt"),
        };
        let call = model_call(
            Way::Direct,
            ProviderId::Anthropic,
            request(),
            credentials,
            &routing(true, false),
        )
        .unwrap();
        assert_eq!(call.url, "https://api.anthropic.com/v1/messages");
        let header = |name: &str| {
            call.headers
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(header("x-api-key"), Some("sk-ant"));
        assert_eq!(
            header("anthropic-dangerous-direct-browser-access"),
            Some("true")
        );
        // The access token is for the proxy only.
        assert_eq!(header("authorization"), None);
        assert!(call.body.unwrap().contains("\"max_tokens\":4096"));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn direct_calls_go_to_the_users_endpoint_when_set() {
        let credentials = Credentials {
            key: "k",
            access_token: None,
        };
        let routing = Routing {
            direct_base_url: Some("http://127.0.0.1:11434/v1/".to_owned()),
            ..routing(false, false)
        };
        let call = model_call(
            Way::Direct,
            ProviderId::OpenAi,
            request(),
            credentials,
            &routing,
        )
        .unwrap();
        assert_eq!(call.url, "http://127.0.0.1:11434/v1/chat/completions");
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn proxy_calls_speak_openai_with_the_provider_in_headers() {
        let credentials = Credentials {
            key: "sk-ant",
            access_token: Some("jwt"),
        };
        let call = model_call(
            Way::Proxy,
            ProviderId::Anthropic,
            request(),
            credentials,
            &routing(true, false),
        )
        .unwrap();
        assert_eq!(call.url, "https://proxy.test/v1/proxy/chat/completions");
        assert!(
            call.headers
                .contains(&("x-provider", "anthropic".to_owned()))
        );
        assert!(
            call.headers
                .contains(&("x-provider-key", "sk-ant".to_owned()))
        );
        assert!(
            call.headers
                .contains(&("authorization", "Bearer jwt".to_owned()))
        );
        let body: serde_json::Value = serde_json::from_str(&call.body.unwrap()).unwrap();
        assert_eq!(body["model"], "claude-sonnet-4-5");
        assert_eq!(
            answer_provider(Way::Proxy, ProviderId::Anthropic),
            ProviderId::OpenAi
        );
    }
}

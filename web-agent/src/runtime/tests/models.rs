//! The provider's model list, read through the proxy or directly.

use super::*;

#[wasm_bindgen_test(unsupported = test)]
fn models_are_listed_through_the_proxy_or_directly_in_the_providers_format() {
    let transport = FakeTransport::default();
    // Mistral takes no browser calls: through the proxy, an OpenAI list.
    let mut rt = runtime(&transport, ProviderId::Mistral);
    transport.json(
        200,
        None,
        r#"{"object":"list","data":[{"id":"gpt-4o","object":"model","created":1,"owned_by":"openai"},{"id":"gpt-4o-mini","object":"model","created":1,"owned_by":"openai"}]}"#,
    );
    let events = command(
        &mut rt,
        Command::ListModels {
            provider: ProviderId::Mistral,
        },
    );
    assert_eq!(
        events,
        [Event::Models {
            provider: ProviderId::Mistral,
            models: vec!["gpt-4o".into(), "gpt-4o-mini".into()]
        }]
    );
    let sent = transport.sent.borrow();
    assert_eq!(sent[0].url, "https://proxy.test/v1/proxy/models");
    assert!(
        sent[0]
            .headers
            .contains(&("x-provider-key", KEY.to_owned()))
    );
    drop(sent);

    // Anthropic does: directly, its own format.
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::Anthropic);
    transport.json(
        200,
        None,
        r#"{"data":[{"type":"model","id":"claude-sonnet-4-5","display_name":"Claude Sonnet 4.5","created_at":"2025-09-29T00:00:00Z"}],"has_more":false}"#,
    );
    let events = command(
        &mut rt,
        Command::ListModels {
            provider: ProviderId::Anthropic,
        },
    );
    assert!(
        matches!(&events[0], Event::Models { models, .. } if models == &["claude-sonnet-4-5"]),
        "{events:?}"
    );
    assert!(transport.urls()[0].starts_with("https://api.anthropic.com/v1/models"));
}

#[wasm_bindgen_test(unsupported = test)]
fn a_refused_model_list_is_an_error_without_the_key() {
    let transport = FakeTransport::default();
    let mut rt = runtime(&transport, ProviderId::Mistral);
    transport.json(
        401,
        None,
        &format!(r#"{{"error":{{"message":"Incorrect API key provided: {KEY}","code":"invalid_api_key"}}}}"#),
    );
    let events = command(
        &mut rt,
        Command::ListModels {
            provider: ProviderId::Mistral,
        },
    );
    assert!(
        matches!(
            &events[0],
            Event::Error {
                kind: ErrorKind::ProviderRefused,
                ..
            }
        ),
        "{events:?}"
    );
    assert!(!format!("{events:?}").contains(KEY));
}

//! The boundary between the UI and the agent: [`Command`]s in, [`Event`]s out, defined in
//! the `ferry-protocol` crate (the app depends on that and on nothing of the agent). Here:
//! the agent's records turned into the protocol's plain views, at the boundary.

pub use ferry_protocol::*;

use crate::runtime::Settings;
use crate::store::{self, Session, StoredMessage};

impl From<Session> for SessionView {
    fn from(session: Session) -> Self {
        let Session {
            id,
            title,
            created_ms,
            updated_ms,
            params,
            cost_usd,
            mcp,
            head: _,
            fallbacks,
        } = session;
        Self {
            id,
            title,
            created_ms,
            updated_ms,
            params,
            cost_usd,
            mcp,
            hit: None,
            fallbacks,
        }
    }
}

/// The view of a stored message; its attachments' views read from their blobs, through
/// `blob` (an attachment whose blob is gone is left out).
pub(crate) fn message_view(
    stored: StoredMessage,
    blob: impl Fn(&str) -> Option<crate::runtime::BlobFacts>,
) -> MessageView {
    let attachments = stored
        .attachments
        .iter()
        .filter_map(|a| {
            let original = a.original.as_deref().and_then(&blob);
            Some(crate::runtime::attachment_view(
                a,
                &blob(&a.id)?,
                original.as_ref(),
            ))
        })
        .collect();
    MessageView {
        attachments,
        ..MessageView::from(stored)
    }
}

/// The view of a stored message without its attachments (see `message_view`).
impl From<StoredMessage> for MessageView {
    fn from(stored: StoredMessage) -> Self {
        let StoredMessage {
            id,
            session,
            seq,
            parent,
            message,
            partial,
            created_ms,
            cost_usd,
            usage,
            tool_ok,
            attachments: _,
            answered_by,
        } = stored;
        Self {
            id,
            session,
            seq,
            message,
            partial,
            created_ms,
            cost_usd,
            usage,
            tool_ok,
            attachments: Vec::new(),
            parent,
            siblings: Vec::new(),
            answered_by,
        }
    }
}

impl From<&Settings> for SettingsView {
    fn from(settings: &Settings) -> Self {
        // Destructured, so a new setting cannot be left out of the view unnoticed.
        let Settings {
            provider,
            model,
            system_prompt,
            proxy_url,
            always_proxy,
            provider_base_url,
            max_rounds,
            context_window,
            answer_reserve,
            keep_recent_tokens,
            supabase_url,
            supabase_anon_key,
            always_allow,
            params,
            keep_original_images,
            // What the page serves of its proxy, not a setting the user sees.
            proxy_max_media_body_bytes: _,
            fallbacks,
            first_answer_timeout_secs,
        } = settings.clone();
        Self {
            provider,
            model,
            system_prompt,
            proxy_url,
            always_proxy,
            provider_base_url,
            max_rounds,
            context_window,
            answer_reserve,
            keep_recent_tokens,
            supabase_url,
            supabase_anon_key,
            always_allow,
            params,
            keep_original_images,
            fallbacks,
            first_answer_timeout_secs,
        }
    }
}

/// A key the UI names is stored under the same name.
impl From<KeyOwner> for store::KeyOwner {
    fn from(owner: KeyOwner) -> Self {
        match owner {
            KeyOwner::Provider(provider) => Self::Provider(provider),
            KeyOwner::Search(engine) => Self::Search(engine),
        }
    }
}

/// The key as the UI may see it: a provider's or a search engine's, never a sign-in's.
pub(crate) fn key_view(owner: store::KeyOwner) -> Option<KeyOwner> {
    match owner {
        store::KeyOwner::Provider(provider) => Some(KeyOwner::Provider(provider)),
        store::KeyOwner::Search(engine) => Some(KeyOwner::Search(engine)),
        store::KeyOwner::Account(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_core::ProviderId;
    use ferry_core::search::SearchEngine;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn the_settings_view_reads_and_writes_as_the_settings_do() {
        let cases = [
            serde_json::json!({"provider": "openai", "model": "gpt-5-mini"}),
            serde_json::json!({
                "provider": "anthropic", "model": "claude", "system_prompt": "Be brief.",
                "proxy_url": "https://proxy.test", "always_proxy": true,
                "provider_base_url": "http://localhost:11434", "max_rounds": 3,
                "context_window": 8000, "answer_reserve": 500, "keep_recent_tokens": 900,
                "supabase_url": "https://sb.test", "supabase_anon_key": "anon",
                "always_allow": ["web_fetch"], "keep_original_images": true,
                "params": {"reasoning_effort": "low", "temperature": 0.3, "max_output_tokens": 900}
            }),
        ];
        for json in cases {
            let settings: Settings = serde_json::from_value(json.clone()).unwrap();
            let view: SettingsView = serde_json::from_value(json).unwrap();
            assert_eq!(SettingsView::from(&settings), view);
            assert_eq!(
                serde_json::to_value(&view).unwrap(),
                serde_json::to_value(&settings).unwrap()
            );
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn records_become_views_that_read_the_same() {
        let session = Session {
            id: "s1".into(),
            title: "Hello".into(),
            created_ms: 1,
            updated_ms: 2,
            params: ChatParams {
                reasoning_effort: Some(ferry_core::wire::ReasoningEffort::High),
                ..ChatParams::default()
            },
            cost_usd: Some(0.5),
            mcp: [("m1".to_owned(), false)].into(),
            head: None,
            fallbacks: None,
        };
        assert_eq!(
            serde_json::to_value(SessionView::from(session.clone())).unwrap(),
            serde_json::to_value(&session).unwrap()
        );
        let mut answer = ferry_core::wire::Message::text(ferry_core::wire::Role::Assistant, "hi");
        answer.reasoning_content = Some("thinking".into());
        let mut usage = ferry_core::wire::Usage::new(10, 20, 0);
        usage.cost = Some(0.25);
        let stored = StoredMessage {
            id: "m1".into(),
            session: "s1".into(),
            seq: 3,
            parent: Some("m0".into()),
            message: answer,
            partial: true,
            created_ms: 4,
            cost_usd: Some(0.25),
            usage: Some(usage),
            tool_ok: Some(true),
            attachments: Vec::new(),
            answered_by: None,
        };
        assert_eq!(
            serde_json::to_value(MessageView::from(stored.clone())).unwrap(),
            serde_json::to_value(&stored).unwrap()
        );
        let view = MessageView::from(stored);
        assert_eq!(
            (view.cost_usd, view.usage, view.message.reasoning_content),
            (Some(0.25), Some(usage), Some("thinking".to_owned()))
        );
        assert_eq!(view.tool_ok, Some(true));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn keys_keep_their_names_and_a_sign_in_is_never_shown() {
        for owner in [
            KeyOwner::Provider(ProviderId::OpenAi),
            KeyOwner::Search(SearchEngine::Brave),
        ] {
            let stored = store::KeyOwner::from(owner);
            assert_eq!(stored.as_str(), owner.as_str());
            assert_eq!(key_view(stored), Some(owner));
        }
        assert_eq!(
            key_view(store::KeyOwner::Account(store::Account::Supabase)),
            None
        );
    }
}

//! The JSON on the wire, pinned: each value against the exact text the agent and the app
//! exchange, both ways. The page's API is public, so a change here is a breaking change.

use ferry_core::ProviderId;
use ferry_core::search::SearchEngine;
use ferry_core::wire::{Message, ReasoningEffort, Role, Usage, UsageDetails};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen_test::wasm_bindgen_test;

use crate::*;

/// `value` is written as exactly `json`, and `json` reads back as `value`.
fn pinned<T>(value: &T, json: &str)
where
    T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    assert_eq!(serde_json::to_string(value).unwrap(), json);
    assert_eq!(&serde_json::from_str::<T>(json).unwrap(), value, "{json}");
}

fn s() -> SessionId {
    "s1".to_owned()
}

fn settings(json: serde_json::Value) -> SettingsView {
    serde_json::from_value(json).unwrap()
}

#[wasm_bindgen_test(unsupported = test)]
fn commands_keep_their_json() {
    let approve = |decision| Command::ApproveToolCall {
        session: s(),
        call_id: "c1".into(),
        decision,
    };
    let cases = [
        (
            Command::SendMessage {
                session: s(),
                text: "hi".into(),
                attachments: vec![],
            },
            r#"{"type":"send_message","session":"s1","text":"hi"}"#,
        ),
        (
            Command::SendMessage {
                session: s(),
                text: "what is this?".into(),
                attachments: vec![photo()],
            },
            r#"{"type":"send_message","session":"s1","text":"what is this?","attachments":[{"id":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","name":"photo.jpg","mime":"image/jpeg","kind":"image","size":250000,"width":1568,"height":1176,"original":"60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752","original_size":10000000}]}"#,
        ),
        (
            Command::Stop { session: s() },
            r#"{"type":"stop","session":"s1"}"#,
        ),
        (
            Command::Regenerate {
                session: s(),
                message: None,
            },
            r#"{"type":"regenerate","session":"s1"}"#,
        ),
        (
            Command::Regenerate {
                session: s(),
                message: Some("m1".into()),
            },
            r#"{"type":"regenerate","session":"s1","message":"m1"}"#,
        ),
        (
            Command::SwitchBranch {
                session: s(),
                message: "m2".into(),
            },
            r#"{"type":"switch_branch","session":"s1","message":"m2"}"#,
        ),
        (
            Command::BranchSession {
                session: s(),
                message: "m2".into(),
            },
            r#"{"type":"branch_session","session":"s1","message":"m2"}"#,
        ),
        (
            Command::EditAndResend {
                session: s(),
                message: "m1".into(),
                text: "again".into(),
            },
            r#"{"type":"edit_and_resend","session":"s1","message":"m1","text":"again"}"#,
        ),
        (
            Command::Retry { session: s() },
            r#"{"type":"retry","session":"s1"}"#,
        ),
        (
            approve(Decision::AllowOnce),
            r#"{"type":"approve_tool_call","session":"s1","call_id":"c1","decision":"allow_once"}"#,
        ),
        (
            approve(Decision::AllowInChat),
            r#"{"type":"approve_tool_call","session":"s1","call_id":"c1","decision":"allow_in_chat"}"#,
        ),
        (
            approve(Decision::AlwaysAllow),
            r#"{"type":"approve_tool_call","session":"s1","call_id":"c1","decision":"always_allow"}"#,
        ),
        (
            approve(Decision::Deny),
            r#"{"type":"approve_tool_call","session":"s1","call_id":"c1","decision":"deny"}"#,
        ),
        (Command::NewSession, r#"{"type":"new_session"}"#),
        (
            Command::OpenSession {
                session: s(),
                message: None,
            },
            r#"{"type":"open_session","session":"s1"}"#,
        ),
        (
            Command::OpenSession {
                session: s(),
                message: Some("m7".into()),
            },
            r#"{"type":"open_session","session":"s1","message":"m7"}"#,
        ),
        (
            Command::RenameSession {
                session: s(),
                title: "T".into(),
            },
            r#"{"type":"rename_session","session":"s1","title":"T"}"#,
        ),
        (
            Command::DeleteSession { session: s() },
            r#"{"type":"delete_session","session":"s1"}"#,
        ),
        (
            Command::SearchSessions { query: "q".into() },
            r#"{"type":"search_sessions","query":"q"}"#,
        ),
        (
            Command::Refresh {
                changed: vec![Change::Settings, Change::Keys, Change::McpServers],
            },
            r#"{"type":"refresh","changed":["settings","keys","mcp_servers"]}"#,
        ),
        (
            Command::SetSettings {
                settings: serde_json::json!({"provider": "openai", "model": "gpt-4o-mini"}),
            },
            r#"{"type":"set_settings","settings":{"model":"gpt-4o-mini","provider":"openai"}}"#,
        ),
        (
            Command::SetChatParams {
                session: s(),
                params: ChatParams {
                    reasoning_effort: Some(ReasoningEffort::High),
                    temperature: Some(0.5),
                    max_output_tokens: Some(2048),
                },
            },
            r#"{"type":"set_chat_params","session":"s1","params":{"reasoning_effort":"high","temperature":0.5,"max_output_tokens":2048}}"#,
        ),
        (
            Command::SetChatParams {
                session: s(),
                params: ChatParams::default(),
            },
            r#"{"type":"set_chat_params","session":"s1","params":{}}"#,
        ),
        (
            Command::SetKey {
                provider: KeyOwner::Provider(ProviderId::OpenAi),
                key: "sk-x".into(),
                remember: true,
            },
            r#"{"type":"set_key","provider":"openai","key":"sk-x","remember":true}"#,
        ),
        (
            Command::SetKey {
                provider: KeyOwner::Search(SearchEngine::Brave),
                key: "b".into(),
                remember: false,
            },
            r#"{"type":"set_key","provider":"brave","key":"b","remember":false}"#,
        ),
        (
            Command::ClearKey {
                provider: KeyOwner::Provider(ProviderId::Anthropic),
            },
            r#"{"type":"clear_key","provider":"anthropic"}"#,
        ),
        (
            Command::Export {
                include_keys: false,
            },
            r#"{"type":"export","include_keys":false}"#,
        ),
        (
            Command::Import {
                document: "{}".into(),
            },
            r#"{"type":"import","document":"{}"}"#,
        ),
        (Command::Load, r#"{"type":"load"}"#),
        (
            Command::ListModels {
                provider: ProviderId::OpenAi,
            },
            r#"{"type":"list_models","provider":"openai"}"#,
        ),
        (
            Command::SetAccessToken {
                token: Some("t".into()),
            },
            r#"{"type":"set_access_token","token":"t"}"#,
        ),
        (
            Command::SetAccessToken { token: None },
            r#"{"type":"set_access_token","token":null}"#,
        ),
        (
            Command::SignInWithEmail {
                email: "a@b.c".into(),
                redirect_to: "http://app/".into(),
            },
            r#"{"type":"sign_in_with_email","email":"a@b.c","redirect_to":"http://app/"}"#,
        ),
        (
            Command::SignInWithProvider {
                provider: OAuthProvider::Github,
                redirect_to: "http://app/".into(),
            },
            r#"{"type":"sign_in_with_provider","provider":"github","redirect_to":"http://app/"}"#,
        ),
        (
            Command::SignInWithProvider {
                provider: OAuthProvider::Google,
                redirect_to: "http://app/".into(),
            },
            r#"{"type":"sign_in_with_provider","provider":"google","redirect_to":"http://app/"}"#,
        ),
        (
            Command::CompleteSignIn {
                query: "?code=x".into(),
                fragment: String::new(),
            },
            r#"{"type":"complete_sign_in","query":"?code=x","fragment":""}"#,
        ),
        (
            Command::SwitchAccount { confirm: true },
            r#"{"type":"switch_account","confirm":true}"#,
        ),
        (Command::SignOut, r#"{"type":"sign_out"}"#),
        (
            Command::LoadUsage {
                since: "2026-01-01T00:00:00Z".into(),
            },
            r#"{"type":"load_usage","since":"2026-01-01T00:00:00Z"}"#,
        ),
        (
            Command::CountTokens {
                session: Some(s()),
                draft: "d".into(),
            },
            r#"{"type":"count_tokens","session":"s1","draft":"d"}"#,
        ),
        (
            Command::CountTokens {
                session: None,
                draft: String::new(),
            },
            r#"{"type":"count_tokens","session":null,"draft":""}"#,
        ),
    ];
    for (command, json) in &cases {
        pinned(command, json);
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn commands_may_leave_out_what_has_a_default() {
    let read = |json: &str| serde_json::from_str::<Command>(json).unwrap();
    assert_eq!(
        read(r#"{"type":"count_tokens"}"#),
        Command::CountTokens {
            session: None,
            draft: String::new()
        }
    );
    assert_eq!(
        read(r#"{"type":"complete_sign_in","query":"?code=x"}"#),
        Command::CompleteSignIn {
            query: "?code=x".into(),
            fragment: String::new()
        }
    );
    // Neither an unknown command nor a sign-in's own record is something the app can send.
    assert!(serde_json::from_str::<Command>(r#"{"type":"launch"}"#).is_err());
    assert!(
        serde_json::from_str::<Command>(r#"{"type":"clear_key","provider":"supabase"}"#).is_err()
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn events_keep_their_json() {
    let error = |kind, message: &str| Event::Error {
        session: None,
        kind,
        message: message.into(),
    };
    let row = |at: &str, route: &str, cost: Option<f64>, code: Option<&str>| UsageRow {
        created_at: at.into(),
        route: route.into(),
        provider: "openai".into(),
        model: "m".into(),
        input_tokens: if code.is_some() { 0 } else { 10 },
        output_tokens: if code.is_some() { 0 } else { 20 },
        reasoning_tokens: if code.is_some() { 0 } else { 15 },
        cache_write_tokens: if code.is_some() { 0 } else { 4 },
        cost_usd: cost,
        error_code: code.map(str::to_owned),
    };
    let cases = [
        (
            Event::Delta {
                session: s(),
                message: "m1".into(),
                text: "he".into(),
            },
            r#"{"type":"delta","session":"s1","message":"m1","text":"he"}"#,
        ),
        (
            Event::ThinkingDelta {
                session: s(),
                message: "m1".into(),
                text: "hm".into(),
            },
            r#"{"type":"thinking_delta","session":"s1","message":"m1","text":"hm"}"#,
        ),
        (
            Event::ToolCallStarted {
                session: s(),
                call_id: "c1".into(),
                name: "web_fetch".into(),
                arguments: r#"{"url":"x"}"#.into(),
                server: None,
                tool: None,
            },
            r#"{"type":"tool_call_started","session":"s1","call_id":"c1","name":"web_fetch","arguments":"{\"url\":\"x\"}"}"#,
        ),
        (
            Event::ToolCallFinished {
                session: s(),
                call_id: "c1".into(),
                output: "out".into(),
                ok: true,
                attachments: vec![],
            },
            r#"{"type":"tool_call_finished","session":"s1","call_id":"c1","output":"out","ok":true}"#,
        ),
        (
            Event::ToolApprovalRequested {
                session: s(),
                call_id: "c1".into(),
                name: "web_fetch".into(),
                subject: "https://x".into(),
            },
            r#"{"type":"tool_approval_requested","session":"s1","call_id":"c1","name":"web_fetch","subject":"https://x"}"#,
        ),
        (
            Event::MessageSaved {
                session: s(),
                message: "m1".into(),
            },
            r#"{"type":"message_saved","session":"s1","message":"m1"}"#,
        ),
        (
            Event::Compacted {
                session: s(),
                summarized: 4,
            },
            r#"{"type":"compacted","session":"s1","summarized":4}"#,
        ),
        (
            Event::Usage {
                session: s(),
                message: None,
                usage: Usage {
                    prompt_tokens: 10,
                    completion_tokens: 5,
                    total_tokens: 15,
                    prompt_tokens_details: Some(UsageDetails {
                        cached_tokens: Some(2),
                        ..UsageDetails::default()
                    }),
                    ..Usage::default()
                },
            },
            r#"{"type":"usage","session":"s1","message":null,"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15,"prompt_tokens_details":{"cached_tokens":2}}}"#,
        ),
        (
            Event::Usage {
                session: s(),
                message: Some("m2".into()),
                usage: thinking_usage(),
            },
            r#"{"type":"usage","session":"s1","message":"m2","usage":{"prompt_tokens":10,"completion_tokens":50,"total_tokens":60,"completion_tokens_details":{"reasoning_tokens":40},"cost":0.0125}}"#,
        ),
        (
            Event::TurnFinished {
                session: s(),
                stopped: false,
            },
            r#"{"type":"turn_finished","session":"s1","stopped":false}"#,
        ),
        (
            Event::Error {
                session: Some(s()),
                kind: ErrorKind::RateLimited {
                    retry_after_secs: 3,
                },
                message: "slow".into(),
            },
            r#"{"type":"error","session":"s1","kind":{"kind":"rate_limited","retry_after_secs":3},"message":"slow"}"#,
        ),
        (
            error(
                ErrorKind::QuotaExceeded {
                    retry_after_secs: 60,
                },
                "q",
            ),
            r#"{"type":"error","session":null,"kind":{"kind":"quota_exceeded","retry_after_secs":60},"message":"q"}"#,
        ),
        (
            error(ErrorKind::Offline, "o"),
            r#"{"type":"error","session":null,"kind":{"kind":"offline"},"message":"o"}"#,
        ),
        (
            error(ErrorKind::Unauthorized, "u"),
            r#"{"type":"error","session":null,"kind":{"kind":"unauthorized"},"message":"u"}"#,
        ),
        (
            error(ErrorKind::ProviderDisabled, ""),
            r#"{"type":"error","session":null,"kind":{"kind":"provider_disabled"},"message":""}"#,
        ),
        (
            error(ErrorKind::ProviderRefused, ""),
            r#"{"type":"error","session":null,"kind":{"kind":"provider_refused"},"message":""}"#,
        ),
        (
            error(ErrorKind::Upstream, ""),
            r#"{"type":"error","session":null,"kind":{"kind":"upstream"},"message":""}"#,
        ),
        (
            error(ErrorKind::MissingKey, ""),
            r#"{"type":"error","session":null,"kind":{"kind":"missing_key"},"message":""}"#,
        ),
        (
            error(ErrorKind::InvalidRequest, ""),
            r#"{"type":"error","session":null,"kind":{"kind":"invalid_request"},"message":""}"#,
        ),
        (
            error(ErrorKind::Storage, ""),
            r#"{"type":"error","session":null,"kind":{"kind":"storage"},"message":""}"#,
        ),
        (
            Event::Sessions {
                sessions: vec![
                    SessionView {
                        id: s(),
                        title: "Hello".into(),
                        created_ms: 1,
                        updated_ms: 2,
                        params: ChatParams::default(),
                        cost_usd: None,
                        mcp: ChatMcp::new(),
                        hit: None,
                        fallbacks: None,
                    },
                    SessionView {
                        id: "s2".into(),
                        title: "Think".into(),
                        created_ms: 3,
                        updated_ms: 4,
                        params: ChatParams {
                            reasoning_effort: Some(ReasoningEffort::Low),
                            ..ChatParams::default()
                        },
                        cost_usd: Some(0.25),
                        mcp: ChatMcp::new(),
                        hit: Some("m7".into()),
                        fallbacks: None,
                    },
                ],
            },
            r#"{"type":"sessions","sessions":[{"id":"s1","title":"Hello","created_ms":1,"updated_ms":2,"params":{},"cost_usd":null},{"id":"s2","title":"Think","created_ms":3,"updated_ms":4,"params":{"reasoning_effort":"low"},"cost_usd":0.25,"hit":"m7"}]}"#,
        ),
        (
            Event::SessionCreated { session: s() },
            r#"{"type":"session_created","session":"s1"}"#,
        ),
        (
            Event::SessionOpened {
                session: s(),
                messages: vec![
                    MessageView {
                        id: "m1".into(),
                        session: s(),
                        seq: 0,
                        message: Message::text(Role::User, "hi"),
                        partial: false,
                        created_ms: 5,
                        cost_usd: None,
                        usage: None,
                        tool_ok: None,
                        attachments: vec![],
                        parent: None,
                        siblings: vec![],
                        answered_by: None,
                    },
                    MessageView {
                        id: "m2".into(),
                        session: s(),
                        seq: 1,
                        message: Message::text(Role::Assistant, "a"),
                        partial: true,
                        created_ms: 6,
                        cost_usd: None,
                        usage: None,
                        tool_ok: None,
                        attachments: vec![],
                        parent: Some("m1".into()),
                        siblings: vec!["m0".into(), "m2".into()],
                        answered_by: None,
                    },
                ],
                first_kept: Some("m2".into()),
            },
            r#"{"type":"session_opened","session":"s1","messages":[{"id":"m1","session":"s1","seq":0,"message":{"role":"user","content":"hi"},"partial":false,"created_ms":5},{"id":"m2","session":"s1","seq":1,"message":{"role":"assistant","content":"a"},"partial":true,"created_ms":6,"parent":"m1","siblings":["m0","m2"]}],"first_kept":"m2"}"#,
        ),
        (
            Event::SessionOpened {
                session: s(),
                messages: vec![MessageView {
                    id: "m2".into(),
                    session: s(),
                    seq: 1,
                    message: thinking_answer(),
                    partial: false,
                    created_ms: 6,
                    cost_usd: Some(0.0125),
                    usage: Some(thinking_usage()),
                    tool_ok: None,
                    attachments: vec![],
                    parent: None,
                    siblings: vec![],
                    answered_by: None,
                }],
                first_kept: None,
            },
            r#"{"type":"session_opened","session":"s1","messages":[{"id":"m2","session":"s1","seq":1,"message":{"role":"assistant","content":"Paris.","reasoning_content":"The capital…","reasoning_details":[{"type":"reasoning.text","text":"The capital…","signature":"sig==","format":"anthropic-claude-v1","index":0}]},"partial":false,"created_ms":6,"cost_usd":0.0125,"usage":{"prompt_tokens":10,"completion_tokens":50,"total_tokens":60,"completion_tokens_details":{"reasoning_tokens":40},"cost":0.0125}}],"first_kept":null}"#,
        ),
        (
            Event::SessionOpened {
                session: s(),
                messages: vec![MessageView {
                    id: "m3".into(),
                    session: s(),
                    seq: 2,
                    message: tool_result("c1", "HTTP 500"),
                    partial: false,
                    created_ms: 7,
                    cost_usd: None,
                    usage: None,
                    tool_ok: Some(false),
                    attachments: vec![],
                    parent: None,
                    siblings: vec![],
                    answered_by: None,
                }],
                first_kept: None,
            },
            r#"{"type":"session_opened","session":"s1","messages":[{"id":"m3","session":"s1","seq":2,"message":{"role":"tool","content":"HTTP 500","tool_call_id":"c1"},"partial":false,"created_ms":7,"tool_ok":false}],"first_kept":null}"#,
        ),
        (
            Event::SessionOpened {
                session: s(),
                messages: vec![],
                first_kept: None,
            },
            r#"{"type":"session_opened","session":"s1","messages":[],"first_kept":null}"#,
        ),
        (
            Event::Ready {
                settings: settings(serde_json::json!({
                    "provider": "anthropic", "model": "claude", "always_allow": ["web_fetch"]
                })),
                keys: vec![
                    KeyOwner::Provider(ProviderId::OpenAi),
                    KeyOwner::Search(SearchEngine::Tavily),
                ],
                signed_in: Some("u1".into()),
            },
            r#"{"type":"ready","settings":{"provider":"anthropic","model":"claude","system_prompt":"","proxy_url":null,"always_proxy":false,"provider_base_url":null,"max_rounds":8,"context_window":null,"answer_reserve":4096,"keep_recent_tokens":20000,"supabase_url":null,"supabase_anon_key":null,"always_allow":["web_fetch"],"params":{},"keep_original_images":false},"keys":["openai","tavily"],"signed_in":"u1"}"#,
        ),
        (
            Event::Ready {
                settings: settings(serde_json::json!({
                    "provider": "openai", "model": "gpt-5-mini", "proxy_url": "http://p",
                    "context_window": 64000,
                    "supabase_url": "http://sb", "supabase_anon_key": "anon",
                    "params": {"reasoning_effort": "minimal", "max_output_tokens": 1000}
                })),
                keys: vec![],
                signed_in: None,
            },
            r#"{"type":"ready","settings":{"provider":"openai","model":"gpt-5-mini","system_prompt":"","proxy_url":"http://p","always_proxy":false,"provider_base_url":null,"max_rounds":8,"context_window":64000,"answer_reserve":4096,"keep_recent_tokens":20000,"supabase_url":"http://sb","supabase_anon_key":"anon","params":{"reasoning_effort":"minimal","max_output_tokens":1000},"keep_original_images":false},"keys":[],"signed_in":null}"#,
        ),
        (
            Event::MagicLinkSent {
                email: "a@b.c".into(),
            },
            r#"{"type":"magic_link_sent","email":"a@b.c"}"#,
        ),
        (
            Event::SignInRedirect {
                url: "https://sb/auth".into(),
            },
            r#"{"type":"sign_in_redirect","url":"https://sb/auth"}"#,
        ),
        (
            Event::ConfirmAccountSwitch {
                current: "a@b.c".into(),
                next: "d@e.f".into(),
            },
            r#"{"type":"confirm_account_switch","current":"a@b.c","next":"d@e.f"}"#,
        ),
        (
            Event::SignedIn { user: "u1".into() },
            r#"{"type":"signed_in","user":"u1"}"#,
        ),
        (Event::SignedOut, r#"{"type":"signed_out"}"#),
        (
            Event::UsageReport {
                days: vec![DayUsage {
                    day: "2026-01-01".into(),
                    calls: 2,
                    input_tokens: 10,
                    output_tokens: 20,
                    cost_usd: 0.5,
                }],
                rows: vec![
                    row("2026-01-01T00:00:00Z", "direct", Some(0.25), None),
                    row(
                        "2026-01-01T00:00:01Z",
                        "proxy",
                        None,
                        Some("upstream_error"),
                    ),
                ],
            },
            r#"{"type":"usage_report","days":[{"day":"2026-01-01","calls":2,"input_tokens":10,"output_tokens":20,"cost_usd":0.5}],"rows":[{"created_at":"2026-01-01T00:00:00Z","route":"direct","provider":"openai","model":"m","input_tokens":10,"output_tokens":20,"reasoning_tokens":15,"cache_write_tokens":4,"cost_usd":0.25,"error_code":null},{"created_at":"2026-01-01T00:00:01Z","route":"proxy","provider":"openai","model":"m","input_tokens":0,"output_tokens":0,"reasoning_tokens":0,"cache_write_tokens":0,"cost_usd":null,"error_code":"upstream_error"}]}"#,
        ),
        (
            Event::Models {
                provider: ProviderId::Anthropic,
                models: vec!["a".into(), "b".into()],
            },
            r#"{"type":"models","provider":"anthropic","models":["a","b"]}"#,
        ),
        (
            Event::Exported {
                document: "{}".into(),
            },
            r#"{"type":"exported","document":"{}"}"#,
        ),
        (
            Event::Imported {
                sessions: 1,
                messages: 2,
                notes: 3,
            },
            r#"{"type":"imported","sessions":1,"messages":2,"notes":3}"#,
        ),
        (
            Event::TokenCount {
                session: Some(s()),
                conversation: 100,
                draft: 3,
                exact: true,
            },
            r#"{"type":"token_count","session":"s1","conversation":100,"draft":3,"exact":true}"#,
        ),
        (
            Event::TokenCount {
                session: None,
                conversation: 0,
                draft: 0,
                exact: false,
            },
            r#"{"type":"token_count","session":null,"conversation":0,"draft":0,"exact":false}"#,
        ),
    ];
    for (event, json) in &cases {
        pinned(event, json);
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn events_may_leave_out_what_has_a_default() {
    let read = |json: &str| serde_json::from_str::<Event>(json).unwrap();
    assert_eq!(
        read(
            r#"{"type":"session_opened","session":"s1","messages":[{"id":"m1","session":"s1","seq":0,"message":{"role":"user","content":"hi"},"created_ms":5}]}"#
        ),
        Event::SessionOpened {
            session: s(),
            messages: vec![MessageView {
                id: "m1".into(),
                session: s(),
                seq: 0,
                message: Message::text(Role::User, "hi"),
                partial: false,
                created_ms: 5,
                cost_usd: None,
                usage: None,
                tool_ok: None,
                attachments: vec![],
                parent: None,
                siblings: vec![],
                answered_by: None,
            }],
            first_kept: None,
        }
    );
    assert!(!settings_of_old().keep_original_images);
    let Event::Ready {
        settings,
        signed_in,
        ..
    } = read(r#"{"type":"ready","settings":{"provider":"openai","model":"m"},"keys":["brave"]}"#)
    else {
        panic!("not ready")
    };
    assert_eq!(signed_in, None);
    assert_eq!(
        (
            settings.max_rounds,
            settings.context_window,
            settings.answer_reserve,
            settings.keep_recent_tokens
        ),
        (8, None, 4_096, 20_000)
    );
    assert_eq!(settings.params, ChatParams::default());
    // A usage row from before thinking and cache writes were counted.
    let Event::UsageReport { rows, .. } = read(
        r#"{"type":"usage_report","days":[],"rows":[{"created_at":"t","route":"proxy","provider":"openai","model":"m","input_tokens":1,"output_tokens":2,"cost_usd":null,"error_code":null}]}"#,
    ) else {
        panic!("not a report")
    };
    assert_eq!(
        (rows[0].reasoning_tokens, rows[0].cache_write_tokens),
        (0, 0)
    );
    // What came before chats had parameters and answers a cost.
    assert_eq!(
        read(
            r#"{"type":"usage","session":"s1","usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}"#
        ),
        Event::Usage {
            session: s(),
            message: None,
            usage: Usage::new(1, 2, 0),
        }
    );
    assert_eq!(
        read(
            r#"{"type":"sessions","sessions":[{"id":"s1","title":"T","created_ms":1,"updated_ms":2}]}"#
        ),
        Event::Sessions {
            sessions: vec![SessionView {
                id: s(),
                title: "T".into(),
                created_ms: 1,
                updated_ms: 2,
                params: ChatParams::default(),
                cost_usd: None,
                mcp: ChatMcp::new(),
                hit: None,
                fallbacks: None,
            }]
        }
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn events_read_in_any_field_order_and_skip_what_they_do_not_know() {
    let read = |json: &str| serde_json::from_str::<Event>(json);
    // The tag last, a field of a newer agent in between.
    assert_eq!(
        read(
            r#"{"text":"he","later":{"x":[1,null]},"message":"m1","session":"s1","type":"delta"}"#
        )
        .unwrap(),
        Event::Delta {
            session: s(),
            message: "m1".into(),
            text: "he".into(),
        }
    );
    // `sessions` and `messages` are counts in one event, lists in another, read before the tag.
    assert_eq!(
        read(r#"{"sessions":1,"messages":2,"notes":3,"type":"imported"}"#).unwrap(),
        Event::Imported {
            sessions: 1,
            messages: 2,
            notes: 3,
        }
    );
    assert_eq!(
        read(r#"{"messages":[],"session":"s1","type":"session_opened","first_kept":null}"#)
            .unwrap(),
        Event::SessionOpened {
            session: s(),
            messages: vec![],
            first_kept: None,
        }
    );
    assert_eq!(
        read(r#"{"message":"x","kind":{"kind":"offline"},"type":"error"}"#).unwrap(),
        Event::Error {
            session: None,
            kind: ErrorKind::Offline,
            message: "x".into(),
        }
    );
    // What is not an event is refused.
    for bad in [
        r#"{"session":"s1","message":"m1","text":"he"}"#,
        r#"{"type":"delta","session":"s1","text":"he"}"#,
        r#"{"type":"delta","session":null,"message":"m1","text":"he"}"#,
        r#"{"type":"imported","sessions":[],"messages":2,"notes":3}"#,
        r#"{"type":"sessions","sessions":4}"#,
        r#"{"type":"deltas","session":"s1","message":"m1","text":"he"}"#,
        r#"{"type":"delta","type":"delta","session":"s1","message":"m1","text":"he"}"#,
        r#"{"type":"ready","settings":{"provider":"openai","model":"m"},"keys":["Brave"]}"#,
        r#"["delta"]"#,
    ] {
        assert!(read(bad).is_err(), "{bad}");
    }
}

/// An answer that thought first, as Anthropic's thinking comes back.
fn thinking_answer() -> Message {
    let mut message = Message::text(Role::Assistant, "Paris.");
    message.reasoning_content = Some("The capital…".into());
    message.reasoning_details = Some(
        serde_json::from_value(serde_json::json!([{
            "type": "reasoning.text", "text": "The capital…", "signature": "sig==",
            "format": "anthropic-claude-v1", "index": 0
        }]))
        .unwrap(),
    );
    message
}

fn tool_result(call_id: &str, output: &str) -> Message {
    let mut message = Message::text(Role::Tool, output);
    message.tool_call_id = Some(call_id.into());
    message
}

fn thinking_usage() -> Usage {
    Usage {
        prompt_tokens: 10,
        completion_tokens: 50,
        total_tokens: 60,
        completion_tokens_details: Some(UsageDetails {
            reasoning_tokens: Some(40),
            ..UsageDetails::default()
        }),
        cost: Some(0.0125),
        ..Usage::default()
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn chat_params_take_the_defaults_for_what_they_leave_unset() {
    let defaults = ChatParams {
        reasoning_effort: Some(ReasoningEffort::Medium),
        temperature: Some(0.7),
        max_output_tokens: None,
    };
    let chat = ChatParams {
        reasoning_effort: Some(ReasoningEffort::None),
        temperature: None,
        max_output_tokens: Some(500),
    };
    assert_eq!(
        chat.or(&defaults),
        ChatParams {
            reasoning_effort: Some(ReasoningEffort::None),
            temperature: Some(0.7),
            max_output_tokens: Some(500),
        }
    );
    assert_eq!(ChatParams::default().or(&defaults), defaults);
    assert!(ChatParams::default().is_empty());
    assert!(!chat.is_empty());
    // Every effort by its OpenAI name; anything else is refused.
    for (effort, name) in [
        (ReasoningEffort::None, "none"),
        (ReasoningEffort::Minimal, "minimal"),
        (ReasoningEffort::Low, "low"),
        (ReasoningEffort::Medium, "medium"),
        (ReasoningEffort::High, "high"),
    ] {
        pinned(
            &ChatParams {
                reasoning_effort: Some(effort),
                ..ChatParams::default()
            },
            &format!(r#"{{"reasoning_effort":"{name}"}}"#),
        );
    }
    assert!(serde_json::from_str::<ChatParams>(r#"{"reasoning_effort":"max"}"#).is_err());
    assert!(serde_json::from_str::<ChatParams>(r#"{"max_output_tokens":-1}"#).is_err());
}

/// An image as `attach` answers: downscaled, its original kept.
fn photo() -> AttachmentView {
    AttachmentView {
        id: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
        name: "photo.jpg".into(),
        mime: "image/jpeg".into(),
        kind: ferry_core::media::MediaKind::Image,
        size: 250_000,
        width: Some(1568),
        height: Some(1176),
        pages: None,
        original: Some("60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752".into()),
        original_size: Some(10_000_000),
        text_bytes: None,
    }
}

fn settings_of_old() -> SettingsView {
    settings(serde_json::json!({"provider": "openai", "model": "m"}))
}

#[wasm_bindgen_test(unsupported = test)]
fn attachments_keep_their_json() {
    pinned(
        &photo(),
        r#"{"id":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","name":"photo.jpg","mime":"image/jpeg","kind":"image","size":250000,"width":1568,"height":1176,"original":"60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752","original_size":10000000}"#,
    );
    let pdf = AttachmentView {
        id: "ab".into(),
        name: "report.pdf".into(),
        mime: "application/pdf".into(),
        kind: ferry_core::media::MediaKind::Document,
        size: 52_000,
        width: None,
        height: None,
        pages: Some(3),
        original: None,
        original_size: None,
        text_bytes: Some(1_800),
    };
    pinned(
        &pdf,
        r#"{"id":"ab","name":"report.pdf","mime":"application/pdf","kind":"document","size":52000,"pages":3,"text_bytes":1800}"#,
    );
    let notes = AttachmentView {
        name: "notes.md".into(),
        mime: "text/markdown".into(),
        kind: ferry_core::media::MediaKind::Text,
        pages: None,
        size: 12,
        // `<file name="notes.md">\nhello world\n</file>`
        text_bytes: Some(42),
        ..pdf
    };
    pinned(
        &notes,
        r#"{"id":"ab","name":"notes.md","mime":"text/markdown","kind":"text","size":12,"text_bytes":42}"#,
    );
    // A user message with its attachments, as a reopened chat shows it.
    let view = MessageView {
        id: "m1".into(),
        session: s(),
        seq: 0,
        message: Message::text(Role::User, "see"),
        partial: false,
        created_ms: 5,
        cost_usd: None,
        usage: None,
        tool_ok: None,
        attachments: vec![notes],
        parent: None,
        siblings: vec![],
        answered_by: None,
    };
    pinned(
        &view,
        r#"{"id":"m1","session":"s1","seq":0,"message":{"role":"user","content":"see"},"partial":false,"created_ms":5,"attachments":[{"id":"ab","name":"notes.md","mime":"text/markdown","kind":"text","size":12,"text_bytes":42}]}"#,
    );
    let mut keeping = settings_of_old();
    keeping.keep_original_images = true;
    let json = serde_json::to_value(&keeping).unwrap();
    assert_eq!(json["keep_original_images"], serde_json::json!(true));
    assert_eq!(
        serde_json::from_value::<SettingsView>(json).unwrap(),
        keeping
    );
}

fn everything() -> McpServerView {
    McpServerView {
        id: "mcp1".into(),
        url: "http://127.0.0.1:3001/mcp".into(),
        name: "mcp-servers/everything".into(),
        title: Some("Everything Reference Server".into()),
        version: "2.0.0".into(),
        prefix: "everything".into(),
        enabled: true,
        auth: McpAuth::None,
        status: McpStatus::Connected,
        error: None,
        via: Some(McpWay::Direct),
        tools: vec![McpToolView {
            name: "echo".into(),
            qualified: "everything__echo".into(),
            title: None,
            description: Some("Echoes back the input".into()),
            read_only: true,
            destructive: false,
            approval: ToolApproval::Always,
        }],
        prompts: vec![McpPromptView {
            name: "args".into(),
            title: None,
            description: None,
            arguments: vec![McpPromptArgument {
                name: "city".into(),
                description: Some("City".into()),
                required: true,
            }],
        }],
        resources: vec![McpResourceView {
            uri: "demo://resource/static/document/architecture.md".into(),
            name: "architecture.md".into(),
            title: None,
            description: None,
            mime_type: Some("text/markdown".into()),
        }],
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn mcp_commands_keep_their_json() {
    let cases = [
        (
            Command::AddMcpServer {
                url: "https://mcp.example/mcp".into(),
                token: Some("t".into()),
            },
            r#"{"type":"add_mcp_server","url":"https://mcp.example/mcp","token":"t"}"#,
        ),
        (
            Command::AddMcpServer {
                url: "https://mcp.example/mcp".into(),
                token: None,
            },
            r#"{"type":"add_mcp_server","url":"https://mcp.example/mcp","token":null}"#,
        ),
        (
            Command::RemoveMcpServer {
                server: "mcp1".into(),
            },
            r#"{"type":"remove_mcp_server","server":"mcp1"}"#,
        ),
        (
            Command::SetMcpServer {
                server: "mcp1".into(),
                enabled: false,
            },
            r#"{"type":"set_mcp_server","server":"mcp1","enabled":false}"#,
        ),
        (
            Command::SetMcpToken {
                server: "mcp1".into(),
                token: None,
            },
            r#"{"type":"set_mcp_token","server":"mcp1","token":null}"#,
        ),
        (
            Command::RefreshMcpServer {
                server: "mcp1".into(),
            },
            r#"{"type":"refresh_mcp_server","server":"mcp1"}"#,
        ),
        (
            Command::SetMcpToolApproval {
                server: "mcp1".into(),
                tool: "echo".into(),
                approval: ToolApproval::Chat,
            },
            r#"{"type":"set_mcp_tool_approval","server":"mcp1","tool":"echo","approval":"chat"}"#,
        ),
        (
            Command::SetChatMcp {
                session: s(),
                server: "mcp1".into(),
                enabled: None,
            },
            r#"{"type":"set_chat_mcp","session":"s1","server":"mcp1","enabled":null}"#,
        ),
        (
            Command::SetChatMcp {
                session: s(),
                server: "mcp1".into(),
                enabled: Some(false),
            },
            r#"{"type":"set_chat_mcp","session":"s1","server":"mcp1","enabled":false}"#,
        ),
        (Command::ListMcpServers, r#"{"type":"list_mcp_servers"}"#),
        (
            Command::AuthorizeMcpServer {
                server: "mcp1".into(),
                redirect_uri: "https://ferry.example/mcp-oauth.html".into(),
            },
            r#"{"type":"authorize_mcp_server","server":"mcp1","redirect_uri":"https://ferry.example/mcp-oauth.html"}"#,
        ),
        (
            Command::CompleteMcpAuthorization {
                query: "?code=c&state=s".into(),
            },
            r#"{"type":"complete_mcp_authorization","query":"?code=c&state=s"}"#,
        ),
        (
            Command::GetMcpPrompt {
                server: "mcp1".into(),
                prompt: "args".into(),
                arguments: [("city".to_owned(), "Oslo".to_owned())].into(),
            },
            r#"{"type":"get_mcp_prompt","server":"mcp1","prompt":"args","arguments":{"city":"Oslo"}}"#,
        ),
        (
            Command::ReadMcpResource {
                server: "mcp1".into(),
                uri: "demo://r/1".into(),
            },
            r#"{"type":"read_mcp_resource","server":"mcp1","uri":"demo://r/1"}"#,
        ),
    ];
    for (command, json) in &cases {
        pinned(command, json);
    }
    let read = |json: &str| serde_json::from_str::<Command>(json).unwrap();
    assert_eq!(
        read(r#"{"type":"add_mcp_server","url":"u"}"#),
        Command::AddMcpServer {
            url: "u".into(),
            token: None
        }
    );
    assert_eq!(
        read(r#"{"type":"get_mcp_prompt","server":"m","prompt":"simple"}"#),
        Command::GetMcpPrompt {
            server: "m".into(),
            prompt: "simple".into(),
            arguments: Default::default()
        }
    );
    assert!(
        serde_json::from_str::<Command>(
            r#"{"type":"set_mcp_tool_approval","server":"m","tool":"t","approval":"never"}"#
        )
        .is_err()
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn mcp_events_keep_their_json() {
    let cases = [
        (
            Event::ToolCallStarted {
                session: s(),
                call_id: "c1".into(),
                name: "everything__echo".into(),
                arguments: r#"{"message":"hi"}"#.into(),
                server: Some("Everything Reference Server".into()),
                tool: Some("echo".into()),
            },
            r#"{"type":"tool_call_started","session":"s1","call_id":"c1","name":"everything__echo","arguments":"{\"message\":\"hi\"}","server":"Everything Reference Server","tool":"echo"}"#,
        ),
        (
            Event::ToolCallFinished {
                session: s(),
                call_id: "c1".into(),
                output: "a tiny image".into(),
                ok: true,
                attachments: vec![photo()],
            },
            r#"{"type":"tool_call_finished","session":"s1","call_id":"c1","output":"a tiny image","ok":true,"attachments":[{"id":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","name":"photo.jpg","mime":"image/jpeg","kind":"image","size":250000,"width":1568,"height":1176,"original":"60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752","original_size":10000000}]}"#,
        ),
        (
            Event::ToolProgress {
                session: s(),
                call_id: "c1".into(),
                progress: 2.0,
                total: Some(5.0),
                message: Some("step 2".into()),
            },
            r#"{"type":"tool_progress","session":"s1","call_id":"c1","progress":2.0,"total":5.0,"message":"step 2"}"#,
        ),
        (
            Event::ToolProgress {
                session: s(),
                call_id: "c1".into(),
                progress: 0.5,
                total: None,
                message: None,
            },
            r#"{"type":"tool_progress","session":"s1","call_id":"c1","progress":0.5,"total":null,"message":null}"#,
        ),
        (
            Event::McpServers {
                servers: vec![everything()],
            },
            r#"{"type":"mcp_servers","servers":[{"id":"mcp1","url":"http://127.0.0.1:3001/mcp","name":"mcp-servers/everything","title":"Everything Reference Server","version":"2.0.0","prefix":"everything","enabled":true,"auth":"none","status":"connected","via":"direct","tools":[{"name":"echo","qualified":"everything__echo","description":"Echoes back the input","read_only":true,"destructive":false,"approval":"always"}],"prompts":[{"name":"args","arguments":[{"name":"city","description":"City","required":true}]}],"resources":[{"uri":"demo://resource/static/document/architecture.md","name":"architecture.md","mime_type":"text/markdown"}]}]}"#,
        ),
        (
            Event::McpServers {
                servers: vec![McpServerView {
                    title: None,
                    auth: McpAuth::Oauth,
                    status: McpStatus::Unauthorized,
                    error: Some("sign in".into()),
                    via: None,
                    tools: vec![],
                    prompts: vec![],
                    resources: vec![],
                    ..everything()
                }],
            },
            r#"{"type":"mcp_servers","servers":[{"id":"mcp1","url":"http://127.0.0.1:3001/mcp","name":"mcp-servers/everything","version":"2.0.0","prefix":"everything","enabled":true,"auth":"oauth","status":"unauthorized","error":"sign in","via":null,"tools":[],"prompts":[],"resources":[]}]}"#,
        ),
        (
            Event::McpServerFailed {
                server: None,
                url: "https://mcp.example/mcp".into(),
                message: "no answer".into(),
                unauthorized: false,
            },
            r#"{"type":"mcp_server_failed","server":null,"url":"https://mcp.example/mcp","message":"no answer","unauthorized":false}"#,
        ),
        (
            Event::McpServerFailed {
                server: Some("mcp1".into()),
                url: "https://mcp.example/mcp".into(),
                message: "401".into(),
                unauthorized: true,
            },
            r#"{"type":"mcp_server_failed","server":"mcp1","url":"https://mcp.example/mcp","message":"401","unauthorized":true}"#,
        ),
        (
            Event::McpAuthorizeUrl {
                server: "mcp1".into(),
                url: "https://as.example/authorize?x=1".into(),
            },
            r#"{"type":"mcp_authorize_url","server":"mcp1","url":"https://as.example/authorize?x=1"}"#,
        ),
        (
            Event::McpPrompt {
                server: "mcp1".into(),
                prompt: "simple".into(),
                text: "This is a simple prompt".into(),
            },
            r#"{"type":"mcp_prompt","server":"mcp1","prompt":"simple","text":"This is a simple prompt"}"#,
        ),
        (
            Event::McpResource {
                server: "mcp1".into(),
                uri: "demo://r/1".into(),
                name: "r1.txt".into(),
                mime_type: "text/plain".into(),
                text: Some("hello".into()),
                blob: None,
            },
            r#"{"type":"mcp_resource","server":"mcp1","uri":"demo://r/1","name":"r1.txt","mime_type":"text/plain","text":"hello","blob":null}"#,
        ),
        (
            Event::McpResource {
                server: "mcp1".into(),
                uri: "demo://r/2".into(),
                name: "r2".into(),
                mime_type: "application/octet-stream".into(),
                text: None,
                blob: Some("AAEC".into()),
            },
            r#"{"type":"mcp_resource","server":"mcp1","uri":"demo://r/2","name":"r2","mime_type":"application/octet-stream","text":null,"blob":"AAEC"}"#,
        ),
        (
            Event::Sessions {
                sessions: vec![SessionView {
                    id: s(),
                    title: "T".into(),
                    created_ms: 1,
                    updated_ms: 2,
                    params: ChatParams::default(),
                    cost_usd: None,
                    mcp: [("mcp1".to_owned(), false)].into(),
                    hit: None,
                    fallbacks: None,
                }],
            },
            r#"{"type":"sessions","sessions":[{"id":"s1","title":"T","created_ms":1,"updated_ms":2,"params":{},"cost_usd":null,"mcp":{"mcp1":false}}]}"#,
        ),
    ];
    for (event, json) in &cases {
        pinned(event, json);
    }
    // Fields in any order, the optional ones left out, an integer progress.
    let read = |json: &str| serde_json::from_str::<Event>(json).unwrap();
    assert_eq!(
        read(r#"{"progress":3,"call_id":"c1","session":"s1","type":"tool_progress","total":null}"#),
        Event::ToolProgress {
            session: s(),
            call_id: "c1".into(),
            progress: 3.0,
            total: None,
            message: None,
        }
    );
    assert_eq!(
        read(
            r#"{"type":"mcp_servers","servers":[{"id":"m","url":"u","name":"n","version":"1","prefix":"n","enabled":false,"auth":"bearer","status":"off"}]}"#
        ),
        Event::McpServers {
            servers: vec![McpServerView {
                id: "m".into(),
                url: "u".into(),
                name: "n".into(),
                title: None,
                version: "1".into(),
                prefix: "n".into(),
                enabled: false,
                auth: McpAuth::Bearer,
                status: McpStatus::Off,
                error: None,
                via: None,
                tools: vec![],
                prompts: vec![],
                resources: vec![],
            }]
        }
    );
    // A required text given as null is refused, not taken as empty.
    assert!(
        serde_json::from_str::<Event>(
            r#"{"type":"mcp_prompt","server":"m","prompt":"p","text":null}"#
        )
        .is_err()
    );
}

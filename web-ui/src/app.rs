//! The app's frame: its state (signals), the agent's events folded into it, the layout,
//! the error banner, and what is never allowed to leave a blank page (a panic, an agent
//! that will not load).

use ferry_core::ProviderId;
use ferry_protocol::{
    AttachmentView, ChatMcp, ChatParams, Command, Event, KeyOwner, McpServerView, SessionId,
    SessionView, SettingsView,
};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::agent_module;
use crate::chat::ChatView;
use crate::model::{Action, Banner, Chat, Chips};
use crate::settings::SettingsPanel;
use crate::sidebar::Sidebar;

/// Everything the views share. All signals: `Copy`, handed around by context.
#[derive(Clone, Copy)]
pub struct State {
    pub sessions: RwSignal<Vec<SessionView>>,
    pub query: RwSignal<String>,
    pub chat: RwSignal<Chat>,
    /// A first message (text and files), waiting for its new session.
    pub pending: RwSignal<Option<(String, Vec<AttachmentView>)>>,
    pub banner: RwSignal<Option<Banner>>,
    /// Seconds left before Retry, for rate limits and quotas.
    pub countdown: RwSignal<u64>,
    pub settings: RwSignal<Option<SettingsView>>,
    pub keys: RwSignal<Vec<KeyOwner>>,
    pub models: RwSignal<Vec<String>>,
    /// The provider whose model list Settings asked for last: a list of another provider,
    /// answering an earlier question, arrives late and is dropped.
    pub models_of: RwSignal<Option<ProviderId>>,
    /// The composer's text.
    pub draft: RwSignal<String>,
    /// The composer's files.
    pub chips: RwSignal<Chips>,
    /// The proxy's cap on a request body with images or files (its `ferry-config.json`).
    pub proxy_media_cap: RwSignal<Option<u64>>,
    /// The proxy's cap on a request body outside its images' and files' data (its
    /// `ferry-config.json`'s `max_body_bytes`).
    pub proxy_text_cap: RwSignal<Option<u64>>,
    /// Conversation and draft tokens, and whether exact.
    pub tokens: RwSignal<Option<(u64, u64, bool)>>,
    pub settings_open: RwSignal<bool>,
    /// The chat list, opened over the chat on a narrow screen.
    pub nav_open: RwSignal<bool>,
    /// The screen is narrow (phone width): the chat list folds behind the menu button.
    pub narrow: RwSignal<bool>,
    /// A passing word: "Saved", "Imported 3 chats".
    pub notice: RwSignal<Option<String>>,
    pub loaded: RwSignal<bool>,
    /// The proxy wants a Supabase sign-in (`auth_mode: "supabase"` in the app's config).
    pub auth_required: RwSignal<bool>,
    /// The signed-in user's id.
    pub user: RwSignal<Option<String>>,
    /// The Usage page is shown instead of the chat.
    pub show_usage: RwSignal<bool>,
    /// The Usage page's data: totals per day and the rows.
    pub usage: RwSignal<Option<(Vec<ferry_protocol::DayUsage>, Vec<ferry_protocol::UsageRow>)>>,
    /// Where the last sign-in link went.
    pub link_sent: RwSignal<Option<String>>,
    /// A sign-in came back for another account: (signed in as, the other), until answered.
    pub switch_ask: RwSignal<Option<(String, String)>>,
    /// The latest chat was reopened at start (once).
    restored: RwSignal<bool>,
    pub load_error: RwSignal<Option<String>>,
    /// Now, in ms since the epoch, ticking each second while a turn runs (thinking's time).
    pub clock: RwSignal<u64>,
    /// The parameters chosen before a new chat exists, sent once it does.
    pub new_chat_params: RwSignal<ChatParams>,
    /// The MCP servers, as the agent last listed them.
    pub mcp_servers: RwSignal<Vec<McpServerView>>,
    /// The chat's own switches for MCP servers chosen before a new chat exists.
    pub new_chat_mcp: RwSignal<ChatMcp>,
    /// Settings' add form: its URL and token (kept when adding fails), whether it waits
    /// for the agent, and why adding failed.
    pub mcp_url: RwSignal<String>,
    pub mcp_token: RwSignal<String>,
    pub mcp_adding: RwSignal<bool>,
    pub mcp_failed: RwSignal<Option<String>>,
    /// A known server's failure (a sign-in that did not complete): its id and why.
    pub mcp_server_alert: RwSignal<Option<(String, String)>>,
}

impl State {
    fn new() -> Self {
        Self {
            sessions: RwSignal::new(Vec::new()),
            query: RwSignal::new(String::new()),
            chat: RwSignal::new(Chat::default()),
            pending: RwSignal::new(None),
            banner: RwSignal::new(None),
            countdown: RwSignal::new(0),
            settings: RwSignal::new(None),
            keys: RwSignal::new(Vec::new()),
            models: RwSignal::new(Vec::new()),
            models_of: RwSignal::new(None),
            draft: RwSignal::new(String::new()),
            chips: RwSignal::new(Chips::default()),
            proxy_media_cap: RwSignal::new(None),
            proxy_text_cap: RwSignal::new(None),
            tokens: RwSignal::new(None),
            settings_open: RwSignal::new(false),
            nav_open: RwSignal::new(false),
            narrow: RwSignal::new(false),
            notice: RwSignal::new(None),
            loaded: RwSignal::new(false),
            restored: RwSignal::new(false),
            auth_required: RwSignal::new(false),
            user: RwSignal::new(None),
            link_sent: RwSignal::new(None),
            switch_ask: RwSignal::new(None),
            show_usage: RwSignal::new(false),
            usage: RwSignal::new(None),
            load_error: RwSignal::new(None),
            clock: RwSignal::new(now_ms()),
            new_chat_params: RwSignal::new(ChatParams::default()),
            mcp_servers: RwSignal::new(Vec::new()),
            new_chat_mcp: RwSignal::new(ChatMcp::new()),
            mcp_url: RwSignal::new(String::new()),
            mcp_token: RwSignal::new(String::new()),
            mcp_adding: RwSignal::new(false),
            mcp_failed: RwSignal::new(None),
            mcp_server_alert: RwSignal::new(None),
        }
    }

    /// Sends `text` and `attachments` in the open chat, starting one first if there is none.
    pub fn send_message(self, text: String, attachments: Vec<AttachmentView>) {
        self.banner.set(None);
        match self.chat.get_untracked().session {
            Some(session) => {
                self.chat.update(|c| c.sent(&text, &attachments));
                agent_module::send(&Command::SendMessage {
                    session,
                    text,
                    attachments,
                });
            }
            None => {
                self.pending.set(Some((text, attachments)));
                agent_module::send(&Command::NewSession);
            }
        }
    }

    /// No chat open: the welcome, and the composer's next message starts a new one.
    pub fn close_chat(self) {
        self.chat.set(Chat::default());
        self.tokens.set(None);
    }

    pub fn open(self, session: SessionId) {
        self.banner.set(None);
        agent_module::send(&Command::OpenSession {
            session,
            message: None,
        });
    }

    pub fn refresh_sessions(self) {
        agent_module::send(&Command::SearchSessions {
            query: self.query.get_untracked(),
        });
    }

    /// Asks for the token counts of the open chat and the composer's text.
    pub fn count_tokens(self) {
        agent_module::send(&Command::CountTokens {
            session: self.chat.with_untracked(|c| c.session.clone()),
            draft: self.draft.get_untracked(),
        });
    }

    /// Asks for the composer's count only: typing does not re-read the conversation.
    pub fn count_draft(self) {
        agent_module::send(&Command::CountTokens {
            session: None,
            draft: self.draft.get_untracked(),
        });
    }

    /// Signing in comes first.
    pub fn must_sign_in(self) -> bool {
        self.auth_required.get_untracked() && self.user.with_untracked(Option::is_none)
    }

    /// Asks for `provider`'s model list (the key's own); until it comes, the list is empty,
    /// and only that provider's list is taken.
    pub fn list_models(self, provider: ProviderId) {
        self.models.set(Vec::new());
        self.models_of.set(Some(provider));
        agent_module::send(&Command::ListModels { provider });
    }

    pub fn has_key(self, provider: ProviderId) -> bool {
        self.keys
            .get_untracked()
            .contains(&KeyOwner::Provider(provider))
    }

    fn on_event(self, event: Event) {
        crate::durable::seen(&event);
        crate::fallback::seen(&event);
        match event {
            Event::Ready {
                settings,
                keys,
                signed_in,
            } => {
                self.user.set(signed_in);
                // For the benchmarks: the moment the app can take a message.
                if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
                    let _ = performance.mark("ferry-ready");
                }
                let provider = settings.provider;
                self.settings.set(Some(settings));
                self.keys.set(keys);
                self.loaded.set(true);
                // First visit: nothing can be sent without a key.
                if !self.has_key(provider) && !self.must_sign_in() {
                    self.settings_open.set(true);
                }
            }
            Event::Sessions { sessions } => {
                // At start, carry on where the user left off: the latest chat.
                if !self.restored.get_untracked() {
                    self.restored.set(true);
                    let idle = self.chat.with_untracked(|c| c.session.is_none())
                        && self.pending.with_untracked(Option::is_none);
                    if let (true, Some(latest)) = (idle, sessions.first()) {
                        self.open(latest.id.clone());
                    }
                }
                self.sessions.set(sessions);
            }
            Event::SessionCreated { session } => {
                self.chat.set(Chat::open(session.clone(), &[], None));
                let params = self.new_chat_params.get_untracked();
                if !params.is_empty() {
                    self.new_chat_params.set(ChatParams::default());
                    agent_module::send(&Command::SetChatParams {
                        session: session.clone(),
                        params,
                    });
                }
                for (server, on) in self
                    .new_chat_mcp
                    .try_update(std::mem::take)
                    .unwrap_or_default()
                {
                    agent_module::send(&Command::SetChatMcp {
                        session: session.clone(),
                        server,
                        enabled: Some(on),
                    });
                }
                if let Some((text, attachments)) = self.pending.try_update(Option::take).flatten() {
                    self.chat.update(|c| c.sent(&text, &attachments));
                    agent_module::send(&Command::SendMessage {
                        session,
                        text,
                        attachments,
                    });
                }
                self.refresh_sessions();
            }
            Event::SessionOpened {
                session,
                messages,
                first_kept,
            } => {
                let busy = self
                    .chat
                    .with_untracked(|c| c.busy && c.session.as_ref() == Some(&session));
                let mut chat = Chat::open(session, &messages, first_kept);
                chat.busy = busy;
                self.chat.with_untracked(|before| chat.carry_from(before));
                self.chat.set(chat);
                // Messages that changed are drawn anew: a button of theirs that had focus is gone.
                refocus_if_lost();
                self.count_tokens();
            }
            Event::TurnFinished { ref session, .. } => {
                self.chat.update(|c| c.apply(&event, now_ms()));
                // Stop goes away with the turn: if it had focus, the composer takes it.
                refocus_if_lost();
                if self
                    .chat
                    .with_untracked(|c| c.session.as_ref() == Some(session))
                {
                    // The stored messages carry the ids Edit needs.
                    agent_module::send(&Command::OpenSession {
                        session: session.clone(),
                        message: None,
                    });
                }
                self.refresh_sessions();
            }
            Event::Error {
                ref session,
                kind,
                ref message,
            } => {
                self.chat.update(|c| c.apply(&event, now_ms()));
                self.count_tokens();
                if kind == ferry_protocol::ErrorKind::Unauthorized
                    && self.auth_required.get_untracked()
                {
                    self.user.set(None);
                }
                let banner = Banner::from_error(kind, message, session.clone());
                if let Action::RetryIn(secs) = banner.action {
                    self.countdown.set(secs);
                }
                // What Settings asked for (a save, an import) was refused: said where the
                // user is, the banner being behind the dialog.
                if session.is_none() && self.settings_open.get_untracked() {
                    self.notice.set(Some(banner.text.clone()));
                }
                self.banner.set(Some(banner));
            }
            Event::TokenCount {
                session,
                conversation,
                draft,
                exact,
            } => {
                match session {
                    // The draft alone (while typing): the conversation's count stands.
                    None => self.tokens.update(|counts| {
                        let (kept, _, kept_exact) = counts.unwrap_or((0, 0, true));
                        *counts = Some((kept, draft, kept_exact && exact));
                    }),
                    Some(session)
                        if self
                            .chat
                            .with_untracked(|c| c.session.as_ref() == Some(&session)) =>
                    {
                        self.tokens.set(Some((conversation, draft, exact)));
                    }
                    Some(_) => {}
                }
            }
            Event::SignedIn { user } => {
                self.user.set(Some(user));
                self.link_sent.set(None);
                self.banner.set(None);
                let provider = self
                    .settings
                    .with_untracked(|s| s.as_ref().map(|s| s.provider));
                if provider.is_some_and(|p| !self.has_key(p)) {
                    self.settings_open.set(true);
                }
            }
            Event::SignedOut => {
                self.user.set(None);
                self.show_usage.set(false);
            }
            Event::UsageReport { days, rows } => self.usage.set(Some((days, rows))),
            Event::MagicLinkSent { email } => self.link_sent.set(Some(email)),
            Event::SignInRedirect { url } => crate::sign_in::go_to(&url),
            Event::ConfirmAccountSwitch { current, next } => {
                self.switch_ask.set(Some((current, next)));
            }
            // A list answering an earlier question, for another provider: dropped.
            Event::Models { provider, .. } if self.models_of.get_untracked() != Some(provider) => {}
            Event::Models { models, .. } => {
                self.notice.set(Some(format!(
                    "{} model{} available",
                    models.len(),
                    if models.len() == 1 { "" } else { "s" }
                )));
                self.models.set(models);
            }
            Event::Exported { document } => crate::durable::exported(document),
            Event::McpServers { servers } => {
                if self.mcp_adding.get_untracked() {
                    // Added: the form is done with.
                    self.mcp_adding.set(false);
                    self.mcp_url.set(String::new());
                    self.mcp_token.set(String::new());
                }
                self.mcp_server_alert.set(None);
                self.mcp_servers.set(servers);
            }
            Event::McpServerFailed {
                server, message, ..
            } => match server {
                Some(server) if !self.mcp_adding.get_untracked() => {
                    self.mcp_server_alert.set(Some((server, message)));
                }
                _ => {
                    self.mcp_adding.set(false);
                    self.mcp_failed.set(Some(message));
                }
            },
            Event::McpAuthorizeUrl { url, .. } => crate::mcp::oauth::open_authorization(&url),
            Event::McpPrompt { text, .. } => {
                self.draft.set(text);
                self.count_draft();
                focus_soon(COMPOSER);
            }
            Event::McpResource {
                name,
                uri,
                mime_type,
                text,
                blob,
                ..
            } => crate::mcp::composer::attach_resource(
                self,
                &name,
                &uri,
                &mime_type,
                text.as_deref(),
                blob.as_deref(),
            ),
            Event::Imported {
                sessions, messages, ..
            } => self.notice.set(Some(format!(
                "Imported {sessions} chats and {messages} messages"
            ))),
            other => {
                if matches!(other, Event::ThinkingDelta { .. }) {
                    self.clock.set(now_ms());
                }
                self.chat.update(|c| c.apply(&other, now_ms()));
            }
        }
    }
}

/// Now, in ms since the epoch.
pub fn now_ms() -> u64 {
    let now = js_sys::Date::now();
    if now.is_finite() && now > 0.0 {
        now as u64
    } else {
        0
    }
}

/// Offers `text` as a file download.
pub(crate) fn download(name: &str, text: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Ok(link) = document.create_element("a")
        && let Ok(link) = link.dyn_into::<web_sys::HtmlAnchorElement>()
    {
        link.set_href(&url);
        link.set_download(name);
        link.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// A panic leaves the wasm unusable: say so, plainly, with a way back. The screen covers
/// the app, which is made inert (a screen reader finds only the message), and focus moves
/// to Reload.
fn install_panic_screen() {
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&JsValue::from_str(&info.to_string()));
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let Some(body) = document.body() else { return };
        if document.get_element_by_id("crash").is_some() {
            return;
        }
        // A modal dialog (Settings) would keep the message out of reach: close it first.
        let dialogs = document.get_elements_by_tag_name("dialog");
        for i in 0..dialogs.length() {
            if let Some(dialog) = dialogs
                .item(i)
                .and_then(|d| d.dyn_into::<web_sys::HtmlDialogElement>().ok())
                && dialog.open()
            {
                dialog.close();
            }
        }
        let app = body.children();
        for i in 0..app.length() {
            if let Some(part) = app.item(i) {
                let _ = part.set_attribute("inert", "");
            }
        }
        if let Ok(screen) = document.create_element("div") {
            screen.set_id("crash");
            let _ = screen.set_attribute("role", "alert");
            screen.set_inner_html(
                "<p>Something went wrong and Ferry stopped. Your chats are saved in this browser.</p>\
                 <button type=\"button\">Reload</button>",
            );
            let _ = body.append_child(&screen);
            if let Some(reload) = screen
                .query_selector("button")
                .ok()
                .flatten()
                .and_then(|b| b.dyn_into::<web_sys::HtmlElement>().ok())
            {
                // The browser's own `location.reload`, bound to the location: a click never
                // calls back into the wasm that just panicked, and the page's
                // Content-Security-Policy allows no inline `onclick`.
                if let Some(location) = web_sys::window().map(|w| w.location())
                    && let Ok(native) = js_sys::Reflect::get(&location, &"reload".into())
                    && let Ok(native) = native.dyn_into::<js_sys::Function>()
                {
                    let _ =
                        reload.add_event_listener_with_callback("click", &native.bind0(&location));
                }
                let _ = reload.focus();
            }
        }
    }));
}

/// Reload for the "could not start" banner: the wasm is sound there, so a handler will do.
fn reload_page() {
    if let Some(window) = web_sys::window() {
        let _ = window.location().reload();
    }
}

/// The app's own configuration, beside `index.html`: from the Worker's variables when the
/// proxy's Worker serves the app, else written by whoever serves it.
#[derive(Debug, Default, serde::Deserialize)]
struct AppConfig {
    #[serde(default)]
    proxy_url: Option<String>,
    #[serde(default)]
    provider: Option<ProviderId>,
    #[serde(default)]
    model: Option<String>,
    /// `"supabase"` when the proxy wants signed-in users.
    #[serde(default)]
    auth_mode: Option<String>,
    #[serde(default)]
    supabase_url: Option<String>,
    #[serde(default)]
    supabase_anon_key: Option<String>,
    /// The proxy's cap, in bytes, on a request body that carries images or files.
    #[serde(default)]
    max_media_body_bytes: Option<u64>,
    /// The proxy's cap, in bytes, on a request body outside its images' and files' data.
    #[serde(default)]
    max_body_bytes: Option<u64>,
}

/// The page's own origin (`https://ferry.example`), the proxy's when the config names none.
fn own_origin() -> Option<String> {
    let origin = web_sys::window()?.location().origin().ok()?;
    origin.starts_with("http").then_some(origin)
}

async fn app_config() -> AppConfig {
    let Some(window) = web_sys::window() else {
        return AppConfig::default();
    };
    let Ok(response) =
        wasm_bindgen_futures::JsFuture::from(window.fetch_with_str("ferry-config.json")).await
    else {
        return AppConfig::default();
    };
    let Ok(response) = response.dyn_into::<web_sys::Response>() else {
        return AppConfig::default();
    };
    if !response.ok() {
        return AppConfig::default();
    }
    let Ok(text) = response.text() else {
        return AppConfig::default();
    };
    match wasm_bindgen_futures::JsFuture::from(text).await {
        Ok(text) => serde_json::from_str(&text.as_string().unwrap_or_default()).unwrap_or_default(),
        Err(_) => AppConfig::default(),
    }
}

/// Moves focus to the first element matching `selector` once it is in the page. The control
/// that had focus is often replaced by the very update that asks for this, and some controls
/// appear only once the agent has answered; so it looks again every few milliseconds, for
/// about a second.
pub fn focus_soon(selector: impl Into<String>) {
    fn attempt(selector: String, left: u32) {
        set_timeout(
            move || {
                let found = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.query_selector(&selector).ok().flatten())
                    .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
                match found {
                    Some(element) => {
                        let _ = element.focus();
                    }
                    None if left > 0 => attempt(selector, left - 1),
                    None => {}
                }
            },
            std::time::Duration::from_millis(16),
        );
    }
    attempt(selector.into(), 60);
}

/// The composer's text box.
pub const COMPOSER: &str = "textarea[aria-label=Message]";

/// Once the page has been redrawn: if the control that had focus is gone (Stop at the end of
/// a turn, a message's buttons when its chat is redrawn), the composer takes focus, instead
/// of leaving it on the page itself.
fn refocus_if_lost() {
    set_timeout(
        || {
            if focus_lost() {
                focus_soon(COMPOSER);
            }
        },
        std::time::Duration::from_millis(16),
    );
}

/// Whether focus has fallen to the page itself (its control was removed from the page).
pub fn focus_lost() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_none_or(|d| {
            d.active_element().is_none() || d.active_element() == d.body().map(Into::into)
        })
}

fn listen(target: &web_sys::EventTarget, name: &str, handler: impl Fn(web_sys::Event) + 'static) {
    let closure = Closure::<dyn Fn(web_sys::Event)>::new(handler);
    let _ = target.add_event_listener_with_callback(name, closure.as_ref().unchecked_ref());
    closure.forget();
}

#[component]
fn BannerView() -> impl IntoView {
    let state = expect_context::<State>();
    let action = move || state.banner.get().map(|b| b.action);
    let retry = move |_| {
        let Some(banner) = state.banner.get_untracked() else {
            return;
        };
        state.banner.set(None);
        if let Some(session) = banner.session {
            state.chat.update(|c| c.busy = true);
            agent_module::send(&Command::Retry { session });
        }
    };
    view! {
        <Show when=move || state.banner.get().is_some()>
            <div class="banner" role="alert">
                <span>
                    {move || state.banner.get().map(|b| b.countdown_text(state.countdown.get()))}
                </span>
                {move || match action() {
                    Some(Action::Retry) => view! {
                        <button type="button" on:click=retry>"Retry"</button>
                    }.into_any(),
                    Some(Action::RetryIn(_)) => view! {
                        <button type="button" on:click=retry disabled=move || state.countdown.get() > 0>
                            "Retry"
                        </button>
                    }.into_any(),
                    Some(Action::OpenSettings) => view! {
                        <button type="button" on:click=move |_| state.settings_open.set(true)>
                            "Open settings"
                        </button>
                    }.into_any(),
                    _ => ().into_any(),
                }}
                <button type="button" class="quiet" aria-label="Dismiss" on:click=move |_| state.banner.set(None)>
                    "×"
                </button>
            </div>
        </Show>
    }
}

#[component]
fn App() -> impl IntoView {
    let state = State::new();
    provide_context(state);
    crate::durable::provide();
    crate::tabs::listen(state);
    crate::tabs::keep_drafts(state);

    // The countdown of a rate limit or quota; the clock of a running turn.
    let _ = set_interval_with_handle(
        move || {
            if state.countdown.get_untracked() > 0 {
                state.countdown.update(|n| *n -= 1);
            }
            if state.chat.with_untracked(|c| c.busy) {
                state.clock.set(now_ms());
            }
        },
        std::time::Duration::from_secs(1),
    );

    if let Some(window) = web_sys::window() {
        // Phone width, as the style sheet's breakpoint has it.
        if let Some(query) = window.match_media("(max-width: 720px)").ok().flatten() {
            state.narrow.set(query.matches());
            let changed = query.clone();
            listen(&query, "change", move |_| {
                state.narrow.set(changed.matches())
            });
        }
        // Esc stops a turn anywhere on the page, but in a dialog (Settings, an image opened
        // larger) it closes the dialog only.
        listen(&window, "keydown", move |event| {
            let escape = event
                .dyn_ref::<web_sys::KeyboardEvent>()
                .is_some_and(|k| k.key() == "Escape");
            let in_dialog = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.query_selector("dialog[open]").ok().flatten())
                .is_some();
            if escape && !in_dialog && state.chat.get_untracked().busy {
                crate::chat::stop_turn(state);
            }
        });
        // Files dropped outside the composer are attached too, not opened by the browser.
        for name in ["dragover", "drop"] {
            listen(&window, name, move |event| {
                crate::attachments::on_window_drop(state, &event)
            });
        }
        crate::mcp::oauth::listen();
    }
    // Offline: the composer says so and keeps the message. The service worker's versions.
    crate::offline::watch(state);
    crate::pwa::watch(state);

    leptos::task::spawn_local(async move {
        let config = app_config().await;
        state.proxy_media_cap.set(config.max_media_body_bytes);
        state.proxy_text_cap.set(config.max_body_bytes);
        state
            .auth_required
            .set(config.auth_mode.as_deref() == Some("supabase") && config.supabase_url.is_some());
        let provider = config.provider.unwrap_or(ProviderId::OpenAi);
        let defaults = serde_json::json!({
            "provider": provider,
            // The provider's current default, from the model facts, unless the config names one.
            "model": config.model.unwrap_or_else(|| {
                ferry_core::models::default_model(provider).to_owned()
            }),
            // Served with the proxy from one Worker, the app's own origin is the proxy.
            "proxy_url": config.proxy_url.or_else(own_origin),
            // The proxy's cap on a request with files: the agent keeps earlier files within it.
            "proxy_max_media_body_bytes": config.max_media_body_bytes,
            "system_prompt": crate::settings::PRESETS[0].1,
            "supabase_url": config.supabase_url,
            "supabase_anon_key": config.supabase_anon_key,
        });
        let loaded = agent_module::load("./web-agent-pkg", &defaults, move |event| {
            state.on_event(event)
        })
        .await;
        match loaded {
            Ok(()) => {
                agent_module::send(&Command::Load);
                crate::durable::start();
                // Back from a sign-in link or OAuth: the code is in the address. After Load,
                // so that reopening the latest chat does not clear what the sign-in says.
                if let Some(complete) = crate::sign_in::take_sign_in_callback() {
                    agent_module::send(&complete);
                }
            }
            Err(reason) => state.load_error.set(Some(reason)),
        }
    });

    let theme = RwSignal::new(stored_theme());
    Effect::new(move |_| apply_theme(&theme.get()));

    view! {
        <div class="app">
            <Sidebar theme=theme/>
            // While the chat list is open over it, the chat is out of reach.
            <main class="main" inert=move || state.narrow.get() && state.nav_open.get()>
                <crate::pwa::UpdatePrompt/>
                <crate::durable::BackupReminder/>
                <BannerView/>
                <Show
                    when=move || state.load_error.get().is_none()
                    fallback=move || view! {
                        <div class="banner" role="alert">
                            <span>{move || format!("Ferry could not start: {}", state.load_error.get().unwrap_or_default())}</span>
                            <button type="button" on:click=|_| reload_page()>"Reload"</button>
                        </div>
                    }
                >
                    <Show
                        when=move || !(state.auth_required.get() && state.user.with(Option::is_none))
                        fallback=|| view! { <crate::sign_in::SignIn/> }
                    >
                        <Show
                            when=move || !state.show_usage.get()
                            fallback=|| view! { <crate::usage::UsageView/> }
                        >
                            <ChatView/>
                        </Show>
                    </Show>
                </Show>
            </main>
            {move || state.switch_ask.get().map(|(current, next)| view! {
                <crate::sign_in::SwitchAccount current=current next=next/>
            })}
            <Show when=move || state.settings_open.get()>
                <SettingsPanel/>
            </Show>
            <crate::durable::GoneNotice/>
        </div>
    }
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

fn stored_theme() -> String {
    local_storage()
        .and_then(|s| s.get_item("ferry-theme").ok().flatten())
        .unwrap_or_else(|| "auto".to_owned())
}

fn apply_theme(theme: &str) {
    if let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = root.set_attribute("data-theme", theme);
    }
    if let Some(storage) = local_storage() {
        let _ = storage.set_item("ferry-theme", theme);
    }
}

/// Mounts the app on the page.
pub fn start() {
    install_panic_screen();
    #[cfg(feature = "crash-trigger")]
    install_crash_trigger();
    leptos::mount::mount_to_body(App);
}

/// Test builds only (feature `crash-trigger`, never in the shipped app): `window.ferryCrash()`
/// panics, so that the panic screen can be tested in the built app.
#[cfg(feature = "crash-trigger")]
fn install_crash_trigger() {
    #[expect(
        clippy::panic,
        reason = "the whole point: a panic on request, in test builds"
    )]
    let crash = Closure::<dyn Fn()>::new(|| panic!("a crash asked for by window.ferryCrash()"));
    if let Some(window) = web_sys::window() {
        let _ = js_sys::Reflect::set(&window, &"ferryCrash".into(), &crash.into_js_value());
    }
}

//! The sessions sidebar: New chat, search across titles and messages, switch, rename,
//! delete (after a confirmation), and the way to Settings.

use leptos::prelude::*;
use web_agent::protocol::Command;
use web_agent::store::Session;

use crate::agent;
use crate::app::State;

#[component]
fn SessionRow(session: Session) -> impl IntoView {
    let state = expect_context::<State>();
    let renaming = RwSignal::new(false);
    let confirming = RwSignal::new(false);
    let title = session.title.clone();
    let id = StoredValue::new(session.id.clone());
    let current = move || {
        state
            .chat
            .with(|c| c.session.as_deref() == Some(id.get_value().as_str()))
    };
    let draft = RwSignal::new(session.title.clone());
    let shown = if title.is_empty() {
        "Untitled chat".to_owned()
    } else {
        title.clone()
    };
    let shown = StoredValue::new(shown);

    let rename = move || {
        renaming.set(false);
        let title = draft.get_untracked().trim().to_owned();
        if !title.is_empty() {
            agent::send(&Command::RenameSession {
                session: id.get_value(),
                title,
            });
        }
    };
    let delete = move |_| {
        confirming.set(false);
        let session = id.get_value();
        if state
            .chat
            .with_untracked(|c| c.session.as_ref() == Some(&session))
        {
            state.chat.set(crate::model::Chat::default());
            state.tokens.set(None);
        }
        agent::send(&Command::DeleteSession { session });
    };

    view! {
        <li class="session" class:current=current>
            <Show
                when=move || renaming.get()
                fallback=move || view! {
                    <button
                        type="button"
                        class="session-open"
                        aria-current=move || current().then_some("page")
                        on:click=move |_| state.open(id.get_value())
                    >
                        {shown.get_value()}
                    </button>
                    <button
                        type="button"
                        class="icon"
                        aria-label=format!("Rename {}", shown.get_value())
                        title="Rename"
                        on:click=move |_| { draft.set(shown.get_value()); renaming.set(true); }
                    >
                        "✎"
                    </button>
                    <button
                        type="button"
                        class="icon"
                        aria-label=format!("Delete {}", shown.get_value())
                        title="Delete"
                        on:click=move |_| confirming.set(true)
                    >
                        "✕"
                    </button>
                }
            >
                <input
                    class="rename"
                    aria-label="Chat title"
                    prop:value=move || draft.get()
                    on:input=move |ev| draft.set(event_target_value(&ev))
                    on:keydown=move |ev| match ev.key().as_str() {
                        "Enter" => rename(),
                        "Escape" => renaming.set(false),
                        _ => {}
                    }
                    autofocus
                />
                <button type="button" on:click=move |_| rename()>"Save title"</button>
            </Show>
            <Show when=move || confirming.get()>
                <div class="confirm" role="alertdialog" aria-label="Delete chat?">
                    <span>{format!("Delete “{}”? This cannot be undone.", shown.get_value())}</span>
                    <button type="button" class="danger" on:click=delete>"Delete chat"</button>
                    <button type="button" on:click=move |_| confirming.set(false)>"Cancel"</button>
                </div>
            </Show>
        </li>
    }
}

#[component]
pub fn Sidebar(theme: RwSignal<String>) -> impl IntoView {
    let state = expect_context::<State>();
    let open = RwSignal::new(false);
    let next_theme = move || match theme.get().as_str() {
        "dark" => "light",
        "light" => "auto",
        _ => "dark",
    };
    view! {
        <button
            type="button"
            class="menu-toggle icon"
            aria-label="Chats"
            aria-expanded=move || open.get().to_string()
            on:click=move |_| open.update(|o| *o = !*o)
        >
            "☰"
        </button>
        <aside class="sidebar" class:open=move || open.get() aria-label="Chats">
            <button
                type="button"
                class="primary"
                on:click=move |_| {
                    state.chat.set(crate::model::Chat::default());
                    state.tokens.set(None);
                    state.banner.set(None);
                    open.set(false);
                    // The session itself is made with its first message: no empty chats.
                    if let Some(input) = web_sys::window()
                        .and_then(|w| w.document())
                        .and_then(|d| d.query_selector("textarea[aria-label=Message]").ok().flatten())
                        .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
                    {
                        let _ = input.focus();
                    }
                }
            >
                "New chat"
            </button>
            <input
                type="search"
                aria-label="Search chats"
                placeholder="Search chats"
                prop:value=move || state.query.get()
                on:input=move |ev| {
                    state.query.set(event_target_value(&ev));
                    state.refresh_sessions();
                }
            />
            <nav aria-label="Chat list">
                <ul class="sessions">
                    <For
                        each=move || state.sessions.get()
                        key=|s| (s.id.clone(), s.title.clone())
                        children=move |session| view! { <SessionRow session=session/> }
                    />
                </ul>
                <Show when=move || state.sessions.with(Vec::is_empty) && state.loaded.get()>
                    <p class="empty">
                        {move || if state.query.with(String::is_empty) { "No chats yet." } else { "No chats match." }}
                    </p>
                </Show>
            </nav>
            <div class="sidebar-foot">
                <button type="button" on:click=move |_| state.settings_open.set(true)>"Settings"</button>
                <Show when=move || state.user.with(Option::is_some)>
                    <button type="button" on:click=move |_| { state.usage.set(None); state.show_usage.set(true); }>"Usage"</button>
                    <button type="button" on:click=move |_| agent::send(&Command::SignOut)>"Sign out"</button>
                </Show>
                <button
                    type="button"
                    class="icon"
                    aria-label=move || format!("Theme: {} (switch to {})", theme.get(), next_theme())
                    on:click=move |_| theme.set(next_theme().to_owned())
                >
                    "◐"
                </button>
            </div>
        </aside>
    }
}

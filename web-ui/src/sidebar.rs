//! The sessions sidebar: New chat, search across titles and messages, switch, rename,
//! delete (after a confirmation), and the way to Settings.

use ferry_protocol::{Command, SessionView};
use leptos::prelude::*;

use crate::agent_module;
use crate::app::{COMPOSER, State, focus_soon};
use crate::model::css_string;

#[component]
fn SessionRow(session: SessionView) -> impl IntoView {
    let state = expect_context::<State>();
    let renaming = RwSignal::new(false);
    let confirming = RwSignal::new(false);
    let id = StoredValue::new(session.id.clone());
    // A search hit: opening it shows the branch that holds it.
    let hit = StoredValue::new(session.hit.clone());
    let current = move || {
        state
            .chat
            .with(|c| c.session.as_deref() == Some(id.get_value().as_str()))
    };
    // Filled with the title when Rename opens.
    let draft = RwSignal::new(String::new());
    let shown = StoredValue::new(if session.title.is_empty() {
        "Untitled chat".to_owned()
    } else {
        session.title
    });

    // This row, for focus to come back to (its id is stable; its buttons come and go).
    let row = StoredValue::new(format!("li[data-session={}]", css_string(&session.id)));
    let rename = move || {
        renaming.set(false);
        let title = draft.get_untracked().trim().to_owned();
        // Back on Rename: the one of the row drawn anew with the new title, once it is there.
        let shown_after = if title.is_empty() {
            shown.get_value()
        } else {
            title.clone()
        };
        focus_soon(format!(
            "{} button[aria-label={}]",
            row.get_value(),
            css_string(&format!("Rename {shown_after}"))
        ));
        if !title.is_empty() {
            agent_module::send(&Command::RenameSession {
                session: id.get_value(),
                title,
            });
        }
    };
    let delete = move |_| {
        confirming.set(false);
        // The row goes; focus goes to the top of the list.
        focus_soon(".sidebar button.primary");
        let session = id.get_value();
        if state
            .chat
            .with_untracked(|c| c.session.as_ref() == Some(&session))
        {
            state.close_chat();
        }
        agent_module::send(&Command::DeleteSession { session });
    };

    view! {
        <li class="session" class:current=current data-session=id.get_value()>
            <Show
                when=move || renaming.get()
                fallback=move || view! {
                    <button
                        type="button"
                        class="session-open"
                        aria-current=move || current().then_some("page")
                        on:click=move |_| {
                            match hit.get_value() {
                                Some(message) => {
                                    state.banner.set(None);
                                    agent_module::send(&Command::OpenSession {
                                        session: id.get_value(),
                                        message: Some(message),
                                    });
                                }
                                None => state.open(id.get_value()),
                            }
                            // On a phone the list covers the chat: fold it, and go to the composer.
                            if state.nav_open.get_untracked() {
                                state.nav_open.set(false);
                                focus_soon(COMPOSER);
                            }
                        }
                    >
                        {shown.get_value()}
                    </button>
                    <button
                        type="button"
                        class="icon rename-open"
                        aria-label=format!("Rename {}", shown.get_value())
                        title="Rename"
                        on:click=move |_| {
                            draft.set(shown.get_value());
                            renaming.set(true);
                            focus_soon(format!("{} input.rename", row.get_value()));
                        }
                    >
                        "✎"
                    </button>
                    <button
                        type="button"
                        class="icon delete-open"
                        aria-label=format!("Delete {}", shown.get_value())
                        title="Delete"
                        on:click=move |_| {
                            confirming.set(true);
                            focus_soon(format!("{} .confirm button:last-child", row.get_value()));
                        }
                    >
                        "✕"
                    </button>
                }
            >
                <input
                    class="rename"
                    aria-label="Chat title"
                    bind:value=draft
                    on:keydown=move |ev| match ev.key().as_str() {
                        "Enter" => rename(),
                        "Escape" => {
                            renaming.set(false);
                            focus_soon(format!("{} button.rename-open", row.get_value()));
                        }
                        _ => {}
                    }
                />
                <button type="button" on:click=move |_| rename()>"Save title"</button>
            </Show>
            <Show when=move || confirming.get()>
                <div class="confirm" role="alertdialog" aria-label="Delete chat?">
                    <span>{format!("Delete “{}”? This cannot be undone.", shown.get_value())}</span>
                    <button type="button" class="danger" on:click=delete>"Delete chat"</button>
                    <button type="button" on:click=move |_| {
                        confirming.set(false);
                        focus_soon(format!("{} button.delete-open", row.get_value()));
                    }>"Cancel"</button>
                </div>
            </Show>
        </li>
    }
}

#[component]
pub fn Sidebar(theme: RwSignal<String>) -> impl IntoView {
    let state = expect_context::<State>();
    let open = state.nav_open;
    let next_theme = move || match theme.get().as_str() {
        "dark" => "light",
        "light" => "auto",
        _ => "dark",
    };
    // On a phone: opening moves focus into the list; Esc folds it and returns to the button.
    let toggle = move |_| {
        open.update(|o| *o = !*o);
        if open.get_untracked() {
            focus_soon(".sidebar button.primary");
        }
    };
    let fold = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" && state.narrow.get_untracked() && open.get_untracked() {
            open.set(false);
            focus_soon("button.menu-toggle");
        }
    };
    view! {
        <button
            type="button"
            class="menu-toggle icon"
            aria-label="Chats"
            aria-expanded=move || open.get().to_string()
            on:click=toggle
        >
            "☰"
        </button>
        <aside class="sidebar" class:open=move || open.get() aria-label="Chats" on:keydown=fold>
            <button
                type="button"
                class="primary"
                on:click=move |_| {
                    state.close_chat();
                    state.banner.set(None);
                    open.set(false);
                    // The session itself is made with its first message: no empty chats.
                    focus_soon(COMPOSER);
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
                        // A search hit is part of the row: opening it opens its branch.
                        key=|s| (s.id.clone(), s.title.clone(), s.hit.clone())
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
                    <button type="button" on:click=move |_| agent_module::send(&Command::SignOut)>"Sign out"</button>
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

//! Branches in the conversation: on a message with other versions (an edit, a
//! regeneration) the group `‹ 2 / 3 ›` moves between them, by its buttons or by the arrow
//! keys, and a polite live region says "version 2 of 3" after a switch; on every message,
//! "Branch into a new chat" copies the conversation up to it into a chat of its own. The
//! agent keeps the tree; the app shows the branch it is told.

use std::cell::RefCell;

use ferry_protocol::Command;
use leptos::prelude::*;

use crate::agent_module;
use crate::app::{State, focus_soon};
use crate::model::css_string;

/// What the live region says: the version just switched to.
#[derive(Clone, Copy)]
pub struct Announcer(RwSignal<String>);

/// Gives the conversation's messages the live region's words (call once, in the view
/// that holds both).
pub fn provide_announcer() {
    provide_context(Announcer(RwSignal::new(String::new())));
}

/// The conversation's live region for version switches.
#[component]
pub fn Announcement() -> impl IntoView {
    let said = use_context::<Announcer>().map(|Announcer(said)| said);
    view! {
        <div class="sr-only" role="status" aria-live="polite">
            {move || said.map(|s| s.get()).unwrap_or_default()}
        </div>
    }
}

thread_local! {
    /// The version whose group takes focus when it is drawn: the one switched to by a
    /// group that had it.
    static FOCUS_ON: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The words a switch to version `at` (from 0) of `total` is announced with.
pub fn version_words(at: usize, total: usize) -> String {
    format!("version {} of {total}", at + 1)
}

/// `‹ 2 / 3 ›` for the stored message `id` among its `versions` (oldest first).
#[component]
pub fn Versions(id: String, versions: Vec<String>) -> impl IntoView {
    let state = expect_context::<State>();
    let announcer = use_context::<Announcer>();
    let total = versions.len();
    let at = versions.iter().position(|v| *v == id).unwrap_or(0);
    // Out of the view macro: a `>` there would end the tag.
    let newest = at + 1 >= total;
    let versions = StoredValue::new(versions);
    // The group is drawn anew for the version shown. Focus moves to the new group as it is
    // mounted, before the next key can be pressed, so a second arrow key is not lost.
    let group = NodeRef::<leptos::html::Div>::new();
    let mine = id.clone();
    Effect::new(move |_| {
        let Some(group) = group.get() else {
            return;
        };
        let wanted = FOCUS_ON.with_borrow(|wanted| wanted.as_deref() == Some(mine.as_str()));
        if wanted && group.is_connected() {
            FOCUS_ON.set(None);
            let _ = group.focus();
        }
    });
    let busy = move || state.chat.with(|c| c.busy);
    let go = move |to: Option<usize>| {
        let Some(to) = to.filter(|to| *to < total && *to != at) else {
            return;
        };
        if state.chat.with_untracked(|c| c.busy) {
            return;
        }
        let Some(session) = state.chat.with_untracked(|c| c.session.clone()) else {
            return;
        };
        let Some(target) = versions.with_value(|v| v.get(to).cloned()) else {
            return;
        };
        if let Some(Announcer(said)) = announcer {
            said.set(version_words(to, total));
        }
        FOCUS_ON.set(Some(target.clone()));
        // Should the group be drawn before it is in the document, focus follows it there.
        focus_soon(format!(".versions[data-message={}]", css_string(&target)));
        agent_module::send(&Command::SwitchBranch {
            session,
            message: target,
        });
    };
    view! {
        <div
            node_ref=group
            class="versions"
            role="group"
            aria-label="Versions"
            tabindex="0"
            data-message=id
            on:keydown=move |ev| match ev.key().as_str() {
                "ArrowLeft" => {
                    ev.prevent_default();
                    go(at.checked_sub(1));
                }
                "ArrowRight" => {
                    ev.prevent_default();
                    go(Some(at + 1));
                }
                _ => {}
            }
        >
            <button
                type="button"
                class="icon"
                aria-label="Previous version"
                title="Previous version"
                disabled=move || at == 0 || busy()
                on:click=move |_| go(at.checked_sub(1))
            >
                "‹"
            </button>
            <span class="count">{format!("{} / {total}", at + 1)}</span>
            <button
                type="button"
                class="icon"
                aria-label="Next version"
                title="Next version"
                disabled=move || newest || busy()
                on:click=move |_| go(Some(at + 1))
            >
                "›"
            </button>
        </div>
    }
}

/// "Branch into a new chat": a new chat with the conversation up to the stored message
/// `last` (an answer's last part).
#[component]
pub fn BranchButton(last: String) -> impl IntoView {
    let state = expect_context::<State>();
    let last = StoredValue::new(last);
    view! {
        <button
            type="button"
            class="quiet"
            disabled=move || state.chat.with(|c| c.busy)
            on:click=move |_| {
                let Some(session) = state.chat.with_untracked(|c| c.session.clone()) else {
                    return;
                };
                state.banner.set(None);
                agent_module::send(&Command::BranchSession {
                    session,
                    message: last.get_value(),
                });
            }
        >
            "Branch into a new chat"
        </button>
    }
}

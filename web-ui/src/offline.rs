//! The composer without a connection (see [`crate::model::Waiting`]): the browser's
//! `online` / `offline` events followed, Send held while offline with the message kept, the
//! offline notice and its `Send when back online` checkbox, and what that sets off when the
//! connection is back.

use std::rc::Rc;

use ferry_protocol::Command;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::agent_module;
use crate::app::State;
use crate::model::{Action, BackOnline, Waiting, failed_offline};

/// The connection as the composer sees it: whether the browser says it is online, and what
/// waits for it.
#[derive(Clone, Copy)]
pub struct Connection {
    pub online: RwSignal<bool>,
    /// Send was pressed offline: the message stayed in the composer.
    held: RwSignal<bool>,
    /// `Send when back online` is checked.
    auto_send: RwSignal<bool>,
    /// The composer's Send, as the open composer registered it.
    send: StoredValue<Option<Rc<dyn Fn()>>, LocalStorage>,
}

impl Connection {
    /// Whether Send must wait (the browser is offline): then the message stays in the
    /// composer and the notice says so.
    pub fn hold(self) -> bool {
        if self.online.get_untracked() && browser_online() {
            return false;
        }
        self.online.set(false);
        self.held.set(true);
        true
    }

    /// Registers the composer's Send, for `Send when back online`.
    pub fn on_back_online(self, send: impl Fn() + 'static) {
        self.send.set_value(Some(Rc::new(send)));
    }

    fn waiting(self, state: State) -> Waiting {
        Waiting {
            held: self.held.get(),
            failed: state.banner.with(|b| b.as_ref().and_then(failed_offline)),
            auto_send: self.auto_send.get(),
        }
    }
}

fn browser_online() -> bool {
    web_sys::window().is_none_or(|w| w.navigator().on_line())
}

fn listen(name: &str, handler: impl Fn() + 'static) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let closure = Closure::<dyn Fn()>::new(handler);
    let _ = window.add_event_listener_with_callback(name, closure.as_ref().unchecked_ref());
    closure.forget();
}

/// Follows the browser's connection for the app's lifetime (called once, by the app).
pub fn watch(state: State) {
    let connection = Connection {
        online: RwSignal::new(browser_online()),
        held: RwSignal::new(false),
        auto_send: RwSignal::new(false),
        send: StoredValue::new_local(None),
    };
    provide_context(connection);
    listen("offline", move || connection.online.set(false));
    listen("online", move || {
        connection.online.set(true);
        // What failed offline outside a turn (a model list, say) has nothing to retry.
        if state.banner.with_untracked(|b| {
            b.as_ref()
                .is_some_and(|b| b.action == Action::Retry && b.session.is_none())
        }) {
            state.banner.set(None);
        }
        let next = untrack(|| connection.waiting(state)).back_online();
        connection.held.set(false);
        connection.auto_send.set(false);
        match next {
            BackOnline::Send => {
                if let Some(send) = connection.send.get_value() {
                    send();
                }
            }
            BackOnline::Retry(session) => {
                state.banner.set(None);
                state.chat.update(|c| c.busy = true);
                agent_module::send(&Command::Retry { session });
            }
            BackOnline::Nothing => {}
        }
    });
    // A message emptied while held waits no more.
    Effect::new(move |_| {
        if state.draft.with(|d| d.trim().is_empty()) {
            connection.held.set(false);
        }
    });
}

/// The composer's offline notice: what works, what happened to the message, and the choice
/// to send it by itself once back online.
#[component]
pub fn OfflineNotice() -> impl IntoView {
    let state = expect_context::<State>();
    let connection = expect_context::<Connection>();
    let notice = move || connection.waiting(state).notice(connection.online.get());
    let offer = move || !connection.online.get() && connection.waiting(state).any();
    view! {
        <div class="offline" role="status" hidden=move || notice().is_none()>
            <span>{notice}</span>
            <label hidden=move || !offer()>
                <input
                    type="checkbox"
                    prop:checked=move || connection.auto_send.get()
                    on:change=move |ev| connection.auto_send.set(event_target_checked(&ev))
                />
                "Send when back online"
            </label>
        </div>
    }
}

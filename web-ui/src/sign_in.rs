//! Signing in, when the proxy wants it: an emailed link, or GitHub / Google through
//! Supabase's OAuth redirect, both in the PKCE flow the agent runs. The agent does the
//! asking and keeps the session; this is the form, the hand-over of the address Supabase
//! sends the browser back to, and the question asked before switching accounts.

use ferry_protocol::{Command, OAuthProvider};
use leptos::prelude::*;

use crate::agent_module;
use crate::app::State;

/// The app's own address, where Supabase sends the user back: no query, no fragment.
fn here() -> String {
    web_sys::window()
        .and_then(|w| {
            let location = w.location();
            Some(format!(
                "{}{}",
                location.origin().ok()?,
                location.pathname().ok()?
            ))
        })
        .unwrap_or_default()
}

/// What the page was opened with, if it looks like a sign-in's way back (`?code=…`,
/// `?error=…`, or a session in the fragment, which the agent refuses): the query and the
/// fragment, for [`Command::CompleteSignIn`]. Both are removed from the address: codes and
/// tokens do not belong in the history or in a bookmark.
pub fn take_sign_in_callback() -> Option<Command> {
    let window = web_sys::window()?;
    let location = window.location();
    let query = location.search().ok().unwrap_or_default();
    let fragment = location.hash().ok().unwrap_or_default();
    let is_callback = query.contains("code=")
        || query.contains("error=")
        || ["access_token=", "refresh_token=", "error="]
            .iter()
            .any(|k| fragment.contains(k));
    if !is_callback {
        return None;
    }
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&here()));
    }
    Some(Command::CompleteSignIn { query, fragment })
}

/// Sends the browser where the agent says a sign-in goes on (the OAuth consent).
pub fn go_to(url: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().assign(url);
    }
}

#[component]
pub fn SignIn() -> impl IntoView {
    let state = expect_context::<State>();
    let email = RwSignal::new(String::new());
    let oauth = move |provider: OAuthProvider| {
        agent_module::send(&Command::SignInWithProvider {
            provider,
            redirect_to: here(),
        });
    };
    view! {
        <section class="sign-in" aria-labelledby="sign-in-title">
            <h1 id="sign-in-title">"Sign in to Ferry"</h1>
            <p>"This Ferry proxy is for signed-in users. Your keys and chats stay in this browser either way."</p>
            <form on:submit=move |ev| {
                ev.prevent_default();
                state.link_sent.set(None);
                agent_module::send(&Command::SignInWithEmail {
                    email: email.get_untracked(),
                    redirect_to: here(),
                });
            }>
                <label>
                    "Email"
                    <input
                        type="email"
                        autocomplete="email"
                        required
                        bind:value=email
                    />
                </label>
                <button type="submit" class="primary">"Email me a sign-in link"</button>
            </form>
            <p role="status">
                {move || state.link_sent.get().map(|to| format!("Check your inbox: a sign-in link is on its way to {to}. Open it in this browser."))}
            </p>
            <div class="row">
                <button type="button" on:click=move |_| oauth(OAuthProvider::Github)>"Continue with GitHub"</button>
                <button type="button" on:click=move |_| oauth(OAuthProvider::Google)>"Continue with Google"</button>
            </div>
        </section>
    }
}

/// Asked when a sign-in came back for another account than the signed-in one: nothing of
/// that account is in force until the user picks `Switch account`. Esc, like `Stay signed
/// in`, keeps the current account.
#[component]
pub fn SwitchAccount(current: String, next: String) -> impl IntoView {
    let state = expect_context::<State>();
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let stay = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if let Some(dialog) = dialog.get()
            && !dialog.open()
        {
            let _ = dialog.show_modal();
            // The safe answer has focus: Enter alone does not switch.
            if let Some(stay) = stay.get() {
                let _ = stay.focus();
            }
        }
    });
    let answer = move |confirm: bool| {
        state.switch_ask.set(None);
        agent_module::send(&Command::SwitchAccount { confirm });
    };
    view! {
        <dialog node_ref=dialog class="switch-account" aria-labelledby="switch-title"
            aria-describedby="switch-text"
            on:cancel=move |ev: leptos::ev::Event| {
                ev.prevent_default();
                answer(false);
            }>
            <h2 id="switch-title">"Switch account?"</h2>
            <p id="switch-text">
                {format!("You are signed in as {current}. This sign-in is for {next}: switching makes {next}'s settings yours here and bills its usage to it. Only switch if you asked for this sign-in.")}
            </p>
            <div class="row">
                <button type="button" node_ref=stay class="primary" on:click=move |_| answer(false)>"Stay signed in"</button>
                <button type="button" on:click=move |_| answer(true)>"Switch account"</button>
            </div>
        </dialog>
    }
}

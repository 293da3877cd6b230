//! Signing in, when the proxy wants it: an emailed link, or GitHub / Google through
//! Supabase's OAuth redirect. The agent does the asking and keeps the session; this is the
//! form, and the hand-over of what Supabase sends back in the URL fragment.

use leptos::prelude::*;
use web_agent::auth::{OAuthProvider, Project, authorize_url};
use web_agent::protocol::Command;

use crate::agent;
use crate::app::State;

/// The app's own address, where Supabase sends the user back.
fn here() -> String {
    web_sys::window()
        .and_then(|w| w.location().href().ok())
        .map(|href| href.split('#').next().unwrap_or_default().to_owned())
        .unwrap_or_default()
}

/// The sign-in fragment, if the page was opened with one; it is removed from the address
/// (tokens do not belong in the history or in a bookmark).
pub fn take_sign_in_fragment() -> Option<String> {
    let window = web_sys::window()?;
    let hash = window.location().hash().ok()?;
    if !(hash.contains("access_token=") || hash.contains("error=")) {
        return None;
    }
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&here()));
    }
    Some(hash)
}

#[component]
pub fn SignIn() -> impl IntoView {
    let state = expect_context::<State>();
    let email = RwSignal::new(String::new());
    let project = move || {
        state.settings.get().and_then(|s| {
            Some(Project {
                url: s.supabase_url?,
                anon_key: s.supabase_anon_key.unwrap_or_default(),
            })
        })
    };
    let oauth = move |provider: OAuthProvider| {
        if let (Some(project), Some(window)) = (project(), web_sys::window()) {
            let _ = window
                .location()
                .assign(&authorize_url(&project, provider, &here()));
        }
    };
    view! {
        <section class="sign-in" aria-labelledby="sign-in-title">
            <h1 id="sign-in-title">"Sign in to Ferry"</h1>
            <p>"This Ferry proxy is for signed-in users. Your keys and chats stay in this browser either way."</p>
            <form on:submit=move |ev| {
                ev.prevent_default();
                state.link_sent.set(None);
                agent::send(&Command::SignInWithEmail {
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
                {move || state.link_sent.get().map(|to| format!("Check your inbox: a sign-in link is on its way to {to}."))}
            </p>
            <div class="row">
                <button type="button" on:click=move |_| oauth(OAuthProvider::Github)>"Continue with GitHub"</button>
                <button type="button" on:click=move |_| oauth(OAuthProvider::Google)>"Continue with Google"</button>
            </div>
        </section>
    }
}

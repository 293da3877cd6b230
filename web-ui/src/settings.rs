//! Settings: provider, key (sealed by the agent, or held in memory only), model (the
//! provider's live list, with the current default from the model facts preselected, or any
//! name typed), every chat's default parameters, system prompt with presets, proxy, MCP
//! servers (see `mcp`), and export / import of everything. On a first start it opens by
//! itself; the first Save with a key gives way to the chat.

use ferry_core::ProviderId;
use ferry_core::models::default_model;
use ferry_protocol::{Command, KeyOwner};
use js_sys::Reflect;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;

use crate::agent_module;
use crate::app::{COMPOSER, State, focus_soon};
use crate::model::{Controls, preselect, size_label};
use crate::params::ParamsFields;

/// System prompt presets: a name and the prompt.
pub const PRESETS: [(&str, &str); 4] = [
    (
        "Helpful assistant",
        "You are Ferry, a helpful assistant. Answer clearly; use Markdown for structure and code.",
    ),
    (
        "Concise",
        "You are Ferry. Answer in as few words as the question allows. No preamble.",
    ),
    (
        "Code reviewer",
        "You are a careful senior engineer reviewing code. Point out bugs, risks and simpler alternatives, most important first.",
    ),
    (
        "Translator",
        "Translate what the user writes. If it is English, into French; otherwise into English. Output only the translation.",
    ),
];

/// Reads the chosen file (an export, a backup) and hands its text to the agent's import.
pub(crate) fn import_file(ev: leptos::ev::Event) {
    let Some(input) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
    else {
        return;
    };
    let Some(file) = input.files().and_then(|files| files.get(0)) else {
        return;
    };
    input.set_value("");
    leptos::task::spawn_local(async move {
        if let Ok(text) = wasm_bindgen_futures::JsFuture::from(file.text()).await
            && let Some(document) = text.as_string()
        {
            agent_module::send(&Command::Import { document });
        }
    });
}

/// The browser's `navigator.storage`, where it has one.
fn storage_manager() -> Option<JsValue> {
    let navigator = web_sys::window()?.navigator();
    Reflect::get(&navigator, &"storage".into())
        .ok()
        .filter(|s| s.is_object())
}

/// Calls `navigator.storage[name]()` and waits for its answer.
pub(crate) async fn ask_storage(name: &str) -> Option<JsValue> {
    let storage = storage_manager()?;
    let promise = Reflect::get(&storage, &name.into())
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()?
        .call0(&storage)
        .ok()?
        .dyn_into::<js_sys::Promise>()
        .ok()?;
    wasm_bindgen_futures::JsFuture::from(promise).await.ok()
}

/// What the browser says of Ferry's storage: bytes used, bytes still available, and
/// whether it is kept under pressure.
async fn storage_state() -> Option<(u64, u64, bool)> {
    let estimate = ask_storage("estimate").await?;
    let number = |name: &str| {
        Reflect::get(&estimate, &name.into())
            .ok()
            .and_then(|v| v.as_f64())
            .filter(|v| v.is_finite() && *v >= 0.0)
            .map_or(0, |v| v as u64)
    };
    let (used, quota) = (number("usage"), number("quota"));
    let persistent = ask_storage("persisted")
        .await
        .and_then(|p| p.as_bool())
        .unwrap_or(false);
    Some((used, quota.saturating_sub(used), persistent))
}

/// Storage: what Ferry's data takes in this browser, what is left, whether the browser
/// keeps it; and asking it to.
#[component]
fn Storage() -> impl IntoView {
    let known = RwSignal::new(None::<(u64, u64, bool)>);
    let refresh = move || {
        leptos::task::spawn_local(async move {
            let _ = known.try_set(storage_state().await);
        });
    };
    refresh();
    view! {
        <h3>"Storage"</h3>
        <p class="storage">
            {move || match known.get() {
                Some((used, available, _)) => format!(
                    "Used: {} · Available: {}",
                    size_label(used),
                    size_label(available)
                ),
                None => "This browser does not say how much it stores.".to_owned(),
            }}
        </p>
        <p class="storage">
            {move || match known.get() {
                Some((_, _, true)) => "Persistent",
                _ => "Not persistent (the browser may clear it under pressure)",
            }}
            " "
            // Asks the browser to keep Ferry's data under pressure (it may decide by itself).
            <button
                type="button"
                class="quiet"
                hidden=move || known.get().is_none_or(|(_, _, kept)| kept)
                on:click=move |_| {
                    leptos::task::spawn_local(async move {
                        let _ = ask_storage("persist").await;
                        refresh();
                    });
                }
            >
                "Keep storage"
            </button>
        </p>
    }
}

#[component]
pub fn SettingsPanel() -> impl IntoView {
    let state = expect_context::<State>();
    let current = state.settings.get_untracked();
    let provider = RwSignal::new(current.as_ref().map_or(ProviderId::OpenAi, |s| s.provider));
    let model = RwSignal::new(
        current
            .as_ref()
            .map(|s| s.model.clone())
            .unwrap_or_default(),
    );
    let system_prompt = RwSignal::new(
        current
            .as_ref()
            .map(|s| s.system_prompt.clone())
            .unwrap_or_default(),
    );
    let proxy_url = RwSignal::new(
        current
            .as_ref()
            .and_then(|s| s.proxy_url.clone())
            .unwrap_or_default(),
    );
    let always_proxy = RwSignal::new(current.as_ref().is_some_and(|s| s.always_proxy));
    let keep_originals = RwSignal::new(current.as_ref().is_some_and(|s| s.keep_original_images));
    let params = RwSignal::new(current.as_ref().map(|s| s.params).unwrap_or_default());
    let controls = Signal::derive(move || {
        Controls::of(provider.get(), model.with(|m| m.trim().to_owned()).as_str())
    });
    // The user typed or picked a model: the live list no longer chooses one.
    let touched = RwSignal::new(false);
    let key = RwSignal::new(String::new());
    let dont_save = RwSignal::new(false);
    state.notice.set(None);
    state.models.set(Vec::new());
    state.models_of.set(None);
    if state.has_key(provider.get_untracked()) {
        state.list_models(provider.get_untracked());
    }

    // The live list arrived: a model the user did not choose may give way to one listed.
    Effect::new(move |_| {
        state.models.with(|listed| {
            if touched.get_untracked() {
                return;
            }
            if let Some(pick) = preselect(provider.get_untracked(), &model.get_untracked(), listed)
            {
                model.set(pick);
            }
        });
    });

    let has_key = move || {
        state
            .keys
            .with(|keys| keys.contains(&KeyOwner::Provider(provider.get())))
    };
    // Opened without a key (a first start): the first Save with one goes on to the chat.
    let had_key = state.has_key(provider.get_untracked());

    // Saves what the form says; the key only if one was typed. Returns whether it could.
    let save = move || -> bool {
        let Some(mut settings) = state.settings.get_untracked() else {
            return false;
        };
        settings.provider = provider.get_untracked();
        settings.model = model.get_untracked().trim().to_owned();
        settings.system_prompt = system_prompt.get_untracked();
        settings.proxy_url =
            Some(proxy_url.get_untracked().trim().to_owned()).filter(|u| !u.is_empty());
        settings.always_proxy = always_proxy.get_untracked();
        settings.keep_original_images = keep_originals.get_untracked();
        settings.params = controls.get_untracked().fit(params.get_untracked());
        if settings.model.is_empty() {
            state.notice.set(Some("Choose a model first.".to_owned()));
            return false;
        }
        let Ok(json) = serde_json::to_value(&settings) else {
            return false;
        };
        agent_module::send(&Command::SetSettings { settings: json });
        state.settings.set(Some(settings));
        let typed = key.get_untracked().trim().to_owned();
        if !typed.is_empty() {
            let owner = KeyOwner::Provider(provider.get_untracked());
            agent_module::send(&Command::SetKey {
                provider: owner,
                key: typed,
                remember: !dont_save.get_untracked(),
            });
            key.set(String::new());
            state.keys.update(|keys| {
                if !keys.contains(&owner) {
                    keys.push(owner);
                }
            });
        }
        true
    };

    // A modal <dialog>: focus moves in and stays, the page behind is inert, Esc closes, and
    // focus goes back to whatever opened it.
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    Effect::new(move |_| {
        if let Some(dialog) = dialog.get()
            && !dialog.open()
        {
            let _ = dialog.show_modal();
        }
    });
    let closed = move || {
        state.settings_open.set(false);
        state.notice.set(None);
    };
    let close = move || match dialog.get_untracked() {
        // Its `close` event does the rest.
        Some(dialog) => dialog.close(),
        None => closed(),
    };
    // A click on the backdrop (it reaches the dialog itself, outside its box) closes it.
    let backdrop = move |ev: leptos::ev::MouseEvent| {
        let Some(element) = dialog.get_untracked() else {
            return;
        };
        let on_dialog = ev
            .target()
            .is_some_and(|t| &t == element.unchecked_ref::<web_sys::EventTarget>());
        let r = element.get_bounding_client_rect();
        let (x, y) = (f64::from(ev.client_x()), f64::from(ev.client_y()));
        if on_dialog && (x < r.left() || x > r.right() || y < r.top() || y > r.bottom()) {
            close();
        }
    };

    view! {
        <dialog node_ref=dialog class="settings" aria-labelledby="settings-title"
            on:close=move |_| closed() on:click=backdrop>
            <h2 id="settings-title">"Settings"</h2>
            <form on:submit=move |ev| {
                ev.prevent_default();
                if save() {
                    // Opened without a key, saved with one: nothing stands between the user
                    // and the chat now.
                    if !had_key && has_key() && !state.must_sign_in() {
                        close();
                        focus_soon(COMPOSER);
                    } else {
                        state.notice.set(Some("Saved".to_owned()));
                    }
                }
            }>
                <label>
                    "Provider"
                    <select
                        on:change=move |ev| {
                            let name = event_target_value(&ev);
                            if let Some(p) = ProviderId::ALL.into_iter().find(|p| p.as_str() == name) {
                                provider.set(p);
                                // The model saved for this provider, else its current default.
                                let saved = state.settings.with_untracked(|s| {
                                    s.as_ref().filter(|s| s.provider == p).map(|s| s.model.clone())
                                });
                                model.set(saved.unwrap_or_else(|| default_model(p).to_owned()));
                                touched.set(false);
                                state.models.set(Vec::new());
                                state.models_of.set(None);
                                if state.has_key(p) {
                                    state.list_models(p);
                                }
                            }
                        }
                    >
                        {ProviderId::ALL.into_iter().map(|p| view! {
                            <option value=p.as_str() selected=move || provider.get() == p>{p.info().display_name}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>
                    "API key"
                    <input
                        type="password"
                        autocomplete="off"
                        placeholder=move || if has_key() { "Saved — type to replace" } else { "Paste your key" }
                        bind:value=key
                    />
                </label>
                <label class="check">
                    <input type="checkbox" bind:checked=dont_save/>
                    "Don't save key"
                </label>
                <p class="hint">"Keys are encrypted in this browser, or with “Don't save key” kept only until you close the tab. They go to the provider, or through your proxy, never anywhere else."</p>
                <div class="row">
                    <button
                        type="button"
                        on:click=move |_| {
                            if save() && has_key() {
                                state.list_models(provider.get_untracked());
                            }
                        }
                    >
                        "Test"
                    </button>
                </div>
                <label>
                    "Model"
                    <input
                        list="model-list"
                        prop:value=move || model.get()
                        on:input=move |ev| {
                            touched.set(true);
                            model.set(event_target_value(&ev));
                        }
                    />
                </label>
                <datalist id="model-list">
                    <For
                        each=move || state.models.get()
                        key=|m| m.clone()
                        children=move |m| view! { <option value=m.clone()></option> }
                    />
                </datalist>
                <Show when=move || !state.models.with(Vec::is_empty)>
                    <ul class="models" aria-label="Available models">
                        <For
                            each=move || state.models.get()
                            key=|m| m.clone()
                            children=move |m| {
                                let pick = m.clone();
                                view! {
                                    <li><button type="button" class="chip" on:click=move |_| { touched.set(true); model.set(pick.clone()); }>{m}</button></li>
                                }
                            }
                        />
                    </ul>
                </Show>
                <fieldset class="defaults">
                    <legend>"Every chat, unless it says otherwise"</legend>
                    <ParamsFields params=params controls=controls changed=Callback::new(|()| {}) default="Default"/>
                </fieldset>
                <label>
                    "Preset"
                    <select on:change=move |ev| {
                        let name = event_target_value(&ev);
                        if let Some((_, prompt)) = PRESETS.iter().find(|(n, _)| *n == name) {
                            system_prompt.set((*prompt).to_owned());
                        }
                    }>
                        <option value="">"Choose a preset…"</option>
                        {PRESETS.iter().map(|(name, _)| view! { <option value=*name>{*name}</option> }).collect_view()}
                    </select>
                </label>
                <label>
                    "System prompt"
                    <textarea
                        rows="4"
                        bind:value=system_prompt
                    ></textarea>
                </label>
                <label>
                    "Proxy URL"
                    <input
                        type="url"
                        placeholder="https://your-proxy.workers.dev"
                        bind:value=proxy_url
                    />
                </label>
                <label class="check">
                    <input type="checkbox" bind:checked=always_proxy/>
                    "Always via proxy"
                </label>
                <label class="check">
                    <input type="checkbox" bind:checked=keep_originals/>
                    "Keep original images"
                </label>
                <p class="hint">"Images are sent downscaled. With this on, the original file is stored too, and takes its space."</p>
                <p class="notice" role="status">{move || state.notice.get()}</p>
                <div class="row">
                    <button type="submit" class="primary">"Save"</button>
                    <button type="button" on:click=move |_| close()>"Close"</button>
                </div>
            </form>
            <crate::fallback::FallbackSettings/>
            <crate::mcp::McpSettings/>
            <Storage/>
            <crate::durable::BackupSettings/>
            <h3>"Your data"</h3>
            <div class="row">
                <button type="button" on:click=move |_| agent_module::send(&Command::Export { include_keys: false })>
                    "Export data"
                </button>
                <label class="file">
                    "Import file"
                    <input type="file" accept="application/json,.json" on:change=import_file/>
                </label>
            </div>
        </dialog>
    }
}

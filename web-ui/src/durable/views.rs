//! What the user sees of durable data: the notice of chats gone (a modal dialog, above
//! Settings), the backup reminder, and Settings' `Backups` section.

use leptos::prelude::*;

use super::durable;
use crate::app::State;

/// "Ferry's saved chats are gone from this browser": never an empty app in silence. A
/// modal dialog, so that nothing else is in reach until the user restores or starts over;
/// Settings (opened by itself when no key is left) waits behind it.
#[component]
pub fn GoneNotice() -> impl IntoView {
    let state = expect_context::<State>();
    let d = durable();
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    Effect::new(move |_| {
        let gone = d.gone.get().is_some();
        if gone && state.settings_open.get() {
            state.settings_open.set(false);
        }
        if let Some(dialog) = dialog.get() {
            if gone && !dialog.open() {
                let _ = dialog.show_modal();
            } else if !gone && dialog.open() {
                dialog.close();
                // What the backup did not hold: the keys.
                if state.loaded.get_untracked()
                    && state
                        .settings
                        .with_untracked(|s| s.as_ref().is_some_and(|s| !state.has_key(s.provider)))
                {
                    state.settings_open.set(true);
                }
            }
        }
    });
    let has_folder = move || d.folder.with(Option::is_some);
    view! {
        <dialog node_ref=dialog class="gone" aria-labelledby="gone-title" aria-describedby="gone-why"
            // Esc would leave an empty app in silence: the user chooses.
            on:cancel=|ev: leptos::ev::Event| ev.prevent_default()>
            <h2 id="gone-title">"Ferry's saved chats are gone from this browser"</h2>
            <p id="gone-why">
                {move || d.gone.get().map(|(gone, sessions)| gone.explanation(sessions))}
            </p>
            <div class="row">
                <label class="file primary">
                    "Restore from backup"
                    <input type="file" accept="application/json,.json" on:change=crate::settings::import_file/>
                </label>
                <Show when=has_folder>
                    <button type="button" on:click=|_| super::restore_from_folder()>
                        "Restore from backup folder"
                    </button>
                </Show>
                <button type="button" on:click=|_| super::start_over()>"Start over"</button>
            </div>
            <p class="notice" role="status">{move || d.note.get()}</p>
        </dialog>
    }
}

/// The reminder to back up, after the chosen number of new messages.
#[component]
pub fn BackupReminder() -> impl IntoView {
    let d = durable();
    let due = move || {
        d.gone.with(Option::is_none) && d.marker.with(|m| m.reminder_due(d.remind_after.get()))
    };
    let dismiss = move |_| {
        super::keep_marker(d.marker.get_untracked().dismissed());
    };
    view! {
        <Show when=due>
            <section class="banner reminder" aria-label="Backup reminder">
                <span>
                    {move || format!(
                        "{} new messages since your last backup. Your chats are kept in this browser only.",
                        d.marker.with(|m| m.new_messages())
                    )}
                </span>
                <button type="button" on:click=|_| super::back_up_now()>"Back up now"</button>
                <button type="button" class="quiet" on:click=dismiss>"Dismiss"</button>
            </section>
        </Show>
    }
}

/// When the last backup was, in words.
fn last_backup(ms: Option<u64>, file: Option<String>) -> String {
    let Some(ms) = ms else {
        return "No backup yet.".to_owned();
    };
    let when = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64))
        .to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED);
    match file {
        Some(file) => format!("Last backup: {} ({file}).", String::from(when)),
        None => format!("Last backup: {}.", String::from(when)),
    }
}

/// Settings' `Backups`: what it means that storage is not persistent, the reminder's
/// threshold, the backup folder.
#[component]
pub fn BackupSettings() -> impl IntoView {
    let d = durable();
    let persistent = RwSignal::new(None::<bool>);
    leptos::task::spawn_local(async move {
        let _ = persistent.try_set(persisted().await);
    });
    view! {
        <h3>"Backups"</h3>
        <Show when=move || persistent.get() == Some(false)>
            <p class="hint">
                "This browser has not promised to keep Ferry's data. When space runs low, or when \
                 this site's data is cleared, it may delete your chats, settings and files without \
                 asking. Keep storage asks it to keep them; a backup keeps a copy you hold."
            </p>
        </Show>
        <label>
            "Remind me to back up after"
            <input
                type="number"
                aria-label="Remind me to back up after"
                min="0"
                step="1"
                prop:value=move || d.remind_after.get().to_string()
                on:input=move |ev| {
                    if let Ok(n) = event_target_value(&ev).trim().parse::<u32>() {
                        super::set_remind_after(n);
                    }
                }
            />
            " new messages (0: never)"
        </label>
        <p class="storage">
            {move || d.marker.with(|m| last_backup(m.last_backup_ms, m.last_backup_file.clone()))}
        </p>
        <div class="row">
            <button type="button" on:click=|_| super::back_up_now()>"Back up now"</button>
        </div>
        <Show when=super::folder_available>
            {move || match d.folder.get() {
                None => view! {
                    <p class="hint">
                        {format!(
                            "Ferry can write a backup to a folder you choose a few seconds after each \
                             change, keeping the newest {}.",
                            super::kept()
                        )}
                    </p>
                    <div class="row">
                        <button type="button" on:click=|_| super::choose_folder()>"Choose backup folder"</button>
                    </div>
                }.into_any(),
                Some(folder) => {
                    let name = folder.name.clone();
                    let allow = format!("Allow backups to {name}");
                    view! {
                        <p class="storage">
                            {format!(
                                "Automatic backups go to the folder “{name}” (the newest {} kept).",
                                super::kept()
                            )}
                        </p>
                        <div class="row">
                            <Show when=move || !folder.writable()>
                                <button type="button" on:click=|_| super::allow_folder()>{allow.clone()}</button>
                            </Show>
                            <button type="button" on:click=|_| super::choose_folder()>"Choose backup folder"</button>
                            <button type="button" class="quiet" on:click=|_| super::forget_folder()>
                                "Stop automatic backups"
                            </button>
                        </div>
                    }.into_any()
                }
            }}
        </Show>
        <p class="notice" role="status">{move || d.note.get()}</p>
    }
}

/// `navigator.storage.persisted()`, where the browser has it.
async fn persisted() -> Option<bool> {
    crate::settings::ask_storage("persisted").await?.as_bool()
}

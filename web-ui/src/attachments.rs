//! Files in the chat: the composer's chips (from `Attach`, a paste or a drop), each
//! prepared by the agent before Send; a message's files in the conversation, images as
//! thumbnails that open larger, documents and text files by name, pages and size.

use ferry_core::media::MediaKind;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::agent_module;
use crate::app::State;
use crate::model::{ACCEPT, Attached, Chip, ChipState};

/// A pasted image's name when the clipboard gives none worth keeping.
fn pasted_name(file: &web_sys::File) -> String {
    let name = file.name();
    if !name.is_empty() && name != "image.png" {
        return name;
    }
    let extension = match file.type_().as_str() {
        "image/jpeg" => "jpg",
        "image/webp" => "webp",
        "image/gif" => "gif",
        _ => "png",
    };
    format!("screenshot.{extension}")
}

fn files_of(list: Option<web_sys::FileList>) -> Vec<web_sys::File> {
    let Some(list) = list else {
        return Vec::new();
    };
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}

/// Chips for `files` at once, then each prepared by the agent in turn (one at a time: ten
/// phone photos decoded together would hold ten bitmaps).
pub fn add_files(state: State, files: Vec<web_sys::File>, pasted: bool) {
    let mut queue = Vec::new();
    for file in files {
        let name = if pasted {
            pasted_name(&file)
        } else {
            file.name()
        };
        let size = file.size().max(0.0) as u64;
        let preview = file
            .type_()
            .starts_with("image/")
            .then(|| web_sys::Url::create_object_url_with_blob(&file).ok())
            .flatten();
        if let Some(key) = state
            .chips
            .try_update(|chips| chips.add(&name, size, preview))
        {
            queue.push((key, file, name));
        }
    }
    if queue.is_empty() {
        return;
    }
    leptos::task::spawn_local(async move {
        for (key, file, name) in queue {
            // Removed while it waited: nothing to prepare.
            if !state
                .chips
                .with_untracked(|c| c.list.iter().any(|chip| chip.key == key))
            {
                continue;
            }
            let answer = agent_module::attach(&file, &name).await;
            state.chips.update(|c| c.prepared(key, answer));
        }
    });
}

/// Lets go of a chip's thumbnail.
pub fn release(chip: &Chip) {
    if let Some(url) = &chip.preview {
        let _ = web_sys::Url::revoke_object_url(url);
    }
}

/// The composer's `Attach` button and its (hidden) file input.
#[component]
pub fn AttachButton() -> impl IntoView {
    let state = expect_context::<State>();
    let input = NodeRef::<leptos::html::Input>::new();
    view! {
        <button
            type="button"
            class="attach"
            title="Attach images, PDFs or text files"
            on:click=move |_| {
                if let Some(input) = input.get_untracked() {
                    input.click();
                }
            }
        >
            "Attach"
        </button>
        <input
            node_ref=input
            type="file"
            multiple
            accept=ACCEPT
            hidden
            tabindex="-1"
            on:change=move |ev| {
                let Some(input) = ev
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                else {
                    return;
                };
                let files = files_of(input.files());
                // The same file again is a change too.
                input.set_value("");
                add_files(state, files, false);
            }
        />
    }
}

/// Pasted image files become chips; pasted text stays text.
pub fn on_paste(state: State, ev: web_sys::ClipboardEvent) {
    let Some(data) = ev.clipboard_data() else {
        return;
    };
    let files = files_of(data.files());
    if files.is_empty() {
        return;
    }
    if data.get_data("text/plain").unwrap_or_default().is_empty() {
        ev.prevent_default();
    }
    add_files(state, files, true);
}

/// Whether a drag carries files (not text or a link from the page).
pub fn carries_files(ev: &web_sys::DragEvent) -> bool {
    ev.data_transfer()
        .is_some_and(|data| data.types().includes(&"Files".into(), 0))
}

/// Files dropped on the composer become chips; dropped anywhere else they would make the
/// browser leave the app for the file: the page takes them too.
pub fn on_window_drop(state: State, ev: &web_sys::Event) {
    let Some(drag) = ev.dyn_ref::<web_sys::DragEvent>() else {
        return;
    };
    if ev.default_prevented() || !carries_files(drag) {
        return;
    }
    ev.prevent_default();
    if ev.type_() == "drop" {
        let files = files_of(drag.data_transfer().and_then(|d| d.files()));
        add_files(state, files, false);
    }
}

/// Files dropped on the composer become chips.
pub fn on_drop(state: State, ev: web_sys::DragEvent) {
    if !carries_files(&ev) {
        return;
    }
    ev.prevent_default();
    let files = files_of(ev.data_transfer().and_then(|d| d.files()));
    add_files(state, files, false);
}

fn file_icon(kind: Option<MediaKind>) -> impl IntoView {
    let text = match kind {
        Some(MediaKind::Image) => "IMG",
        Some(MediaKind::Document) => "PDF",
        Some(MediaKind::Text) => "TXT",
        None => "…",
    };
    view! { <span class="file-icon" aria-hidden="true">{text}</span> }
}

fn chip_view(state: State, chip: Chip) -> impl IntoView {
    let key = chip.key;
    let refused = matches!(chip.state, ChipState::Refused(_));
    let preparing = chip.state == ChipState::Preparing;
    let detail = chip.detail();
    let picture = match &chip.preview {
        Some(url) if !refused => view! { <img class="thumb" src=url.clone() alt=""/> }.into_any(),
        _ => file_icon(chip.kind).into_any(),
    };
    view! {
        <li class="attachment" class:refused=refused aria-busy=preparing.then_some("true")>
            {picture}
            <span class="name">{chip.name.clone()}</span>
            <span class="detail">{detail}</span>
            <button
                type="button"
                class="quiet"
                aria-label=format!("Remove {}", chip.name)
                on:click=move |_| {
                    if let Some(chip) = state.chips.try_update(|c| c.remove(key)).flatten() {
                        release(&chip);
                    }
                }
            >
                "×"
            </button>
        </li>
    }
}

/// The composer's files, above the text.
#[component]
pub fn Chips() -> impl IntoView {
    let state = expect_context::<State>();
    view! {
        <ul class="attachments" aria-label="Attachments" hidden=move || state.chips.with(|c| c.list.is_empty())>
            {move || state.chips.with(|c| {
                c.list.iter().cloned().map(|chip| chip_view(state, chip)).collect_view()
            })}
        </ul>
    }
}

/// A stored image, by an object URL while it is shown, as a thumbnail that opens larger.
#[component]
fn ImageThumb(attached: Attached) -> impl IntoView {
    let url = RwSignal::new(None::<String>);
    let id = attached.id.clone();
    leptos::task::spawn_local(async move {
        if let Ok(made) = agent_module::attachment_url(&id).await
            && let Some(Some(unused)) = url.try_set(Some(made))
        {
            // Gone before its picture came.
            let _ = web_sys::Url::revoke_object_url(&unused);
        }
    });
    on_cleanup(move || {
        if let Some(Some(made)) = url.try_get_untracked() {
            let _ = web_sys::Url::revoke_object_url(&made);
        }
    });
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let name = attached.name;
    let open_label = format!("Open image {name}");
    let dialog_label = name.clone();
    let close = move || {
        if let Some(dialog) = dialog.get_untracked() {
            dialog.close();
        }
    };
    view! {
        <button
            type="button"
            class="thumb-button"
            aria-label=open_label
            on:click=move |_| {
                if let Some(dialog) = dialog.get_untracked() {
                    let _ = dialog.show_modal();
                }
            }
        >
            <img class="thumb" src=move || url.get() alt=""/>
        </button>
        // A click on the backdrop reaches the dialog itself: it closes too.
        <dialog
            node_ref=dialog
            class="image-view"
            aria-label=dialog_label
            on:click=move |ev| {
                let on_backdrop = ev
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::HtmlDialogElement>().ok())
                    .is_some();
                if on_backdrop {
                    close();
                }
            }
        >
            <img src=move || url.get() alt=name/>
            <button type="button" on:click=move |_| close()>"Close"</button>
        </dialog>
    }
}

/// A message's files: images as thumbnails, the others as "name · N pages · size".
pub fn message_attachments(list: Vec<Attached>) -> impl IntoView {
    (!list.is_empty()).then(|| {
        let items = list
            .into_iter()
            .map(|attached| match attached.kind {
                MediaKind::Image => view! { <ImageThumb attached=attached/> }.into_any(),
                kind => view! {
                    <span class="file-label">{file_icon(Some(kind))}<span>{attached.label()}</span></span>
                }
                .into_any(),
            })
            .collect_view();
        view! { <div class="attachments">{items}</div> }
    })
}

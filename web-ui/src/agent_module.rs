//! The agent, loaded as its own wasm module after the app has painted, and spoken to only
//! in [`Command`]s and [`Event`]s (as JSON over its page handle).
//!
//! Commands run one after another, in the order sent: the agent takes one at a time. Those
//! sent before the module has loaded wait for it, so a button pressed right after first
//! paint is not lost. Stop goes around the queue, so it works while a turn runs.

use std::cell::RefCell;

use ferry_protocol::{AttachmentView, Command, Event};
use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

// Relative to the page, not to this snippet's own URL.
#[wasm_bindgen(
    inline_js = "export function importModule(url) { return import(new URL(url, document.baseURI).href); }"
)]
extern "C" {
    #[wasm_bindgen(js_name = importModule)]
    fn import_module(url: &str) -> Promise;
}

struct Loaded {
    agent: JsValue,
    /// The module's `renderMarkdown`.
    render: Function,
    on_event: Function,
    /// The last command's promise: the next one starts when it settles.
    tail: Promise,
}

impl Loaded {
    /// Runs the command `json` once the one before it has settled; once it has, the other
    /// tabs hear of what it wrote (`note`).
    fn enqueue(&mut self, json: String, note: Option<crate::tabs::Note>) {
        let agent = self.agent.clone();
        let on_event = self.on_event.clone();
        let run = Closure::once_into_js(move |_: JsValue| -> JsValue {
            let done = method(&agent, "command")
                .and_then(|command| command.call2(&agent, &JsValue::from_str(&json), &on_event))
                .unwrap_or(JsValue::UNDEFINED);
            if let Some(note) = note {
                let written = Closure::once_into_js(move |_: JsValue| crate::tabs::written(&note));
                let _ =
                    method(&done, "then").and_then(|then| then.call2(&done, &written, &written));
            }
            done
        });
        let run: Function = run.unchecked_into();
        // `then` through its JS function, so `run`'s promise is what the chain waits for;
        // `run` for both outcomes, so a failed command does not hold up the next one.
        let chained = method(&self.tail, "then")
            .and_then(|then| then.call2(&self.tail, &run, &run))
            .and_then(|next| next.dyn_into::<Promise>());
        if let Ok(next) = chained {
            self.tail = next;
        }
    }
}

thread_local! {
    static AGENT: RefCell<Option<Loaded>> = const { RefCell::new(None) };
    /// Commands sent before the module has loaded (a button pressed right after first
    /// paint), as JSON, run in order once it has.
    static WAITING: RefCell<Vec<(String, Option<crate::tabs::Note>)>> = const { RefCell::new(Vec::new()) };
}

fn method(target: &JsValue, name: &str) -> Result<Function, JsValue> {
    Reflect::get(target, &JsValue::from_str(name))?.dyn_into::<Function>()
}

/// `url` resolved against the page (workers and modules resolve against other bases).
fn page_url(url: &str) -> String {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.base_uri().ok().flatten())
        .and_then(|base| web_sys::Url::new_with_base(url, &base).ok())
        .map_or_else(|| url.to_owned(), |u| u.href())
}

/// Loads the agent module from `base` (the directory of `web_agent.js`), opens it with
/// `defaults` as the settings where the user has saved none, and routes its events to
/// `on_event`.
pub async fn load(
    base: &str,
    defaults: &serde_json::Value,
    on_event: impl Fn(Event) + 'static,
) -> Result<(), String> {
    let text = |e: JsValue| {
        e.as_string()
            .or_else(|| {
                Reflect::get(&e, &"message".into())
                    .ok()
                    .and_then(|m| m.as_string())
            })
            .unwrap_or_else(|| "the agent could not be loaded".to_owned())
    };
    let module = JsFuture::from(import_module(&format!("{base}/web_agent.js")))
        .await
        .map_err(text)?;
    let init = method(&module, "default").map_err(text)?;
    let started: Promise = init
        .call0(&JsValue::NULL)
        .map_err(text)?
        .dyn_into()
        .map_err(text)?;
    JsFuture::from(started).await.map_err(text)?;
    let render = method(&module, "renderMarkdown").map_err(text)?;
    let open = method(&module, "openAgent").map_err(text)?;
    let args = js_sys::Array::of4(
        &JsValue::from_str("ferry"),
        // Through the writer that Commands go through: `Value`'s `Display` would link a
        // second serializer (and `std::io`'s error texts) into the first-paint wasm.
        &JsValue::from_str(&serde_json::to_string(defaults).unwrap_or_default()),
        &JsValue::from_str(&page_url(&format!("{base}/tokenizer-worker.js"))),
        // pdf.js, imported by the agent the first time a PDF is attached.
        &JsValue::from_str(&page_url(&format!("{base}/pdf/pdf.min.mjs"))),
    );
    let opened: Promise = open
        .apply(&JsValue::NULL, &args)
        .map_err(text)?
        .dyn_into()
        .map_err(text)?;
    let agent = JsFuture::from(opened).await.map_err(text)?;
    let listener = Closure::<dyn Fn(String)>::new(move |json: String| {
        if let Ok(event) = serde_json::from_str::<Event>(&json) {
            on_event(event);
        }
    });
    let on_event: Function = listener.into_js_value().unchecked_into();
    let mut loaded = Loaded {
        agent,
        render,
        on_event,
        tail: Promise::resolve(&JsValue::UNDEFINED),
    };
    for (json, note) in WAITING.take() {
        loaded.enqueue(json, note);
    }
    AGENT.with_borrow_mut(|slot| *slot = Some(loaded));
    Ok(())
}

/// What a JS error says, for the user.
fn error_text(error: &JsValue, otherwise: &str) -> String {
    error
        .as_string()
        .or_else(|| {
            Reflect::get(error, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
        })
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| otherwise.to_owned())
}

/// Calls the agent's `name` with `args` and waits for the string its promise gives.
async fn call_agent(name: &str, args: &js_sys::Array, failed: &str) -> Result<String, String> {
    let (agent, function) = AGENT
        .with_borrow(|slot| {
            let agent = slot.as_ref()?.agent.clone();
            let function = method(&agent, name).ok()?;
            Some((agent, function))
        })
        .ok_or_else(|| "Ferry is still starting".to_owned())?;
    let promise: Promise = function
        .apply(&agent, args)
        .and_then(|p| p.dyn_into())
        .map_err(|e| error_text(&e, failed))?;
    let answer = JsFuture::from(promise)
        .await
        .map_err(|e| error_text(&e, failed))?;
    answer.as_string().ok_or_else(|| failed.to_owned())
}

/// Hands a picked, pasted or dropped file to the agent, which prepares (downscales, reads)
/// and stores it; the refusal says why, in words for the user.
pub async fn attach(file: &web_sys::Blob, name: &str) -> Result<AttachmentView, String> {
    let json = call_agent(
        "attach",
        &js_sys::Array::of2(file, &JsValue::from_str(name)),
        "the file could not be attached",
    )
    .await?;
    serde_json::from_str(&json).map_err(|_| "the agent's answer could not be read".to_owned())
}

/// What the database is and holds, as the agent's `storageState()` JSON (see
/// [`StorageState`](crate::model::StorageState)).
pub async fn storage_state() -> Result<String, String> {
    call_agent(
        "storageState",
        &js_sys::Array::new(),
        "the storage could not be read",
    )
    .await
}

/// An object URL of the stored attachment `id` (the caller revokes it).
pub async fn attachment_url(id: &str) -> Result<String, String> {
    call_agent(
        "attachmentUrl",
        &js_sys::Array::of1(&JsValue::from_str(id)),
        "the attachment could not be read",
    )
    .await
}

/// Queues `command`; its events arrive through the listener given to [`load`].
pub fn send(command: &Command) {
    let Ok(json) = serde_json::to_string(command) else {
        return;
    };
    let note = crate::tabs::note_of(command);
    AGENT.with_borrow_mut(|slot| match slot.as_mut() {
        Some(loaded) => loaded.enqueue(json, note),
        None => WAITING.with_borrow_mut(|waiting| waiting.push((json, note))),
    });
}

/// Stops the turn in progress at once (what has arrived is kept).
pub fn stop() {
    AGENT.with_borrow(|slot| {
        if let Some(loaded) = slot
            && let Ok(stop) = method(&loaded.agent, "stop")
        {
            let _ = stop.call0(&loaded.agent);
        }
    });
}

/// `markdown` as safe HTML, by the agent module's renderer (it is not in the first-paint
/// bundle); `None` before the module has loaded.
pub fn render_markdown(markdown: &str) -> Option<String> {
    AGENT.with_borrow(|slot| {
        slot.as_ref()
            .and_then(|loaded| {
                loaded
                    .render
                    .call1(&JsValue::NULL, &JsValue::from_str(markdown))
                    .ok()
            })
            .and_then(|html| html.as_string())
    })
}

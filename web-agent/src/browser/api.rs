//! The agent as a page's JavaScript sees it: `openAgent(db, settings)` and, on the agent,
//! `command(json, onEvent)` and `stop()` — nothing else reaches it. Commands and events
//! travel as the JSON of [`Command`] and [`Event`] (the `ferry-protocol` crate).
//!
//! Beside the agent, the module exports `renderMarkdown(text)`: the app's Markdown renderer
//! ([`ferry_markdown`]) lives here so that the app's first paint need not carry it.
//!
//! One command runs at a time: a second one is refused while the first holds the runtime
//! (`try_borrow_mut`), which is why holding that borrow across awaits is sound here.

#![expect(
    clippy::await_holding_refcell_ref,
    reason = "every borrow is taken with try_borrow*, so an overlapping call is refused, not a panic"
)]

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Function;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::clock::BrowserClock;
use super::idb::IdbStore;
use super::tokenizer::WorkerTokenizer;
use super::transport::FetchTransport;
use super::vault::WebVault;
use crate::protocol::{Command, Event};
use crate::runtime::{Runtime, Settings, StopHandle};
use crate::store::Store;

type BrowserRuntime =
    Runtime<FetchTransport, IdbStore, WebVault, BrowserClock, Option<WorkerTokenizer>>;

fn js_error(message: impl std::fmt::Display) -> JsValue {
    js_sys::Error::new(&message.to_string()).into()
}

/// `markdown` as safe HTML (see [`ferry_markdown::to_html`]).
#[wasm_bindgen(js_name = renderMarkdown)]
pub fn render_markdown(markdown: &str) -> String {
    ferry_markdown::to_html(markdown)
}

#[wasm_bindgen]
pub struct Agent {
    runtime: Rc<RefCell<BrowserRuntime>>,
    stop: StopHandle,
    persistent: bool,
}

/// Opens the agent's storage (IndexedDB database `db`) and vault, and unseals saved keys.
/// `settings` are the page's defaults; settings the user saved take their place.
/// `tokenizer_url` is the URL of `tokenizer-worker.js`, started on the first count with an
/// OpenAI model; without it, token counts are estimates.
#[wasm_bindgen(js_name = openAgent)]
pub async fn open_agent(
    db: String,
    settings: String,
    tokenizer_url: Option<String>,
) -> Result<Agent, JsValue> {
    let defaults = serde_json::from_str(&settings)
        .and_then(Settings::read)
        .map_err(js_error)?;
    let store = IdbStore::open(&db).await.map_err(js_error)?;
    // What the user saved wins over the page's defaults.
    let settings = match store.settings().await {
        Ok(Some(saved)) => Settings::read(saved).unwrap_or(defaults),
        _ => defaults,
    };
    let vault = WebVault::device().await.map_err(js_error)?;
    // Best effort: the browser may still evict the data under storage pressure.
    let persistent = IdbStore::request_persistence().await;
    let mut runtime = Runtime::new(FetchTransport, store, vault, BrowserClock, settings)
        .with_tokenizer(tokenizer_url.map(WorkerTokenizer::new));
    runtime
        .unlock()
        .await
        .map_err(|kind| js_error(format!("{kind:?}")))?;
    let stop = runtime.stop_handle();
    Ok(Agent {
        runtime: Rc::new(RefCell::new(runtime)),
        stop,
        persistent,
    })
}

#[wasm_bindgen]
impl Agent {
    /// Runs one command; `on_event` receives each event's JSON. Resolves when it is done.
    pub fn command(&self, command: String, on_event: Function) -> js_sys::Promise {
        let runtime = Rc::clone(&self.runtime);
        future_to_promise(async move {
            let command: Command = serde_json::from_str(&command).map_err(js_error)?;
            let Ok(mut runtime) = runtime.try_borrow_mut() else {
                return Err(js_error("the agent is busy with another command"));
            };
            let mut emit = |event: Event| {
                if let Ok(json) = serde_json::to_string(&event) {
                    // A throwing listener is the page's business, not the agent's.
                    let _ = on_event.call1(&JsValue::NULL, &JsValue::from_str(&json));
                }
            };
            runtime.handle(command, &mut emit).await;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Whether the browser granted persistent storage (asked for at open), so the data is
    /// not evicted under storage pressure.
    #[wasm_bindgen(getter)]
    pub fn persistent(&self) -> bool {
        self.persistent
    }

    /// Stops the turn in progress; what has arrived is kept.
    pub fn stop(&self) {
        self.stop.stop();
    }
}

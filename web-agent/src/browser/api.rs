//! The agent as a page's JavaScript sees it: `openAgent(db, settings, tokenizerUrl?, pdfUrl?)`
//! and, on the agent, `command(json, onEvent)`, `stop()`, `attach(file, name)` and
//! `attachmentUrl(id)` — nothing else reaches it. Commands and events travel as the JSON of
//! [`Command`] and [`Event`] (the `ferry-protocol` crate); `attach` answers the JSON of an
//! [`AttachmentView`].
//!
//! Beside the agent, the module exports `renderMarkdown(text)`: the app's Markdown renderer
//! ([`ferry_markdown`]) lives here so that the app's first paint need not carry it.
//!
//! One command runs at a time: a second one is refused while the first holds the runtime
//! (`try_borrow_mut`), which is why holding that borrow across awaits is sound here.
//! Attaching is not a command and is never refused for a turn in progress: the file is read,
//! decoded and downscaled (the slow part) at once, beside the turn; only storing it waits
//! until the runtime is free (the runtime keeps the blob from being collected until the
//! message that carries it is sent). A command that arrives while a file is being stored
//! (a few milliseconds) waits for it rather than being refused. `attachmentUrl` reads the
//! store through a second handle on the same database, so the conversation's images show
//! while an answer streams.

#![expect(
    clippy::await_holding_refcell_ref,
    reason = "every borrow is taken with try_borrow*, so an overlapping call is refused, not a panic"
)]

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Function, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, future_to_promise};

use super::attach::{self, Options};
use super::clock::BrowserClock;
use super::idb::IdbStore;
use super::tokenizer::WorkerTokenizer;
use super::transport::FetchTransport;
use super::vault::WebVault;
use crate::protocol::{AttachmentView, Command, Event};
use crate::runtime::{ClockTimer, McpListener, Runtime, Settings, StopHandle};
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
    /// The runtime's database, for what must not wait for a turn: reading blobs and settings.
    store: IdbStore,
    /// The page's default for keeping original images, until the user saves settings.
    keep_original_images: bool,
    pdf_url: Option<String>,
    waiters: Rc<Waiters>,
}

/// Calls waiting for the runtime: attachments for a command to end, commands for an
/// attachment's store step to end.
#[derive(Default)]
struct Waiters {
    wake: RefCell<Vec<Function>>,
    /// Attachments holding the runtime (shared) while they store a file.
    storing: Cell<u32>,
}

impl Waiters {
    /// Resolves at the next [`Waiters::wake_all`].
    async fn next(&self) {
        let woken = Promise::new(&mut |resolve, _| self.wake.borrow_mut().push(resolve));
        let _ = JsFuture::from(woken).await;
    }

    fn wake_all(&self) {
        let waiting = std::mem::take(&mut *self.wake.borrow_mut());
        for wake in waiting {
            let _ = wake.call0(&JsValue::NULL);
        }
    }
}

/// Opens the agent's storage (IndexedDB database `db`) and vault, and unseals saved keys.
/// `settings` are the page's defaults; settings the user saved take their place.
/// `tokenizer_url` is the URL of `tokenizer-worker.js`, started on the first count with an
/// OpenAI model; without it, token counts are estimates. `pdf_url` is the URL of pdf.js's
/// module (`web-agent-pkg/pdf/pdf.min.mjs`, its worker beside it), imported the first time
/// a PDF is attached; without it, PDFs are refused.
#[wasm_bindgen(js_name = openAgent)]
pub async fn open_agent(
    db: String,
    settings: String,
    tokenizer_url: Option<String>,
    pdf_url: Option<String>,
) -> Result<Agent, JsValue> {
    let defaults = serde_json::from_str(&settings)
        .and_then(Settings::read)
        .map_err(js_error)?;
    let keep_original_images = defaults.keep_original_images;
    let store = IdbStore::open(&db).await.map_err(js_error)?;
    // What the user saved wins over the page's defaults, but for what the server says of
    // itself (the proxy's media cap).
    let settings = match store.settings().await {
        Ok(Some(saved)) => {
            Settings::read(saved).map_or(defaults.clone(), |s| s.served_by(&defaults))
        }
        _ => defaults,
    };
    let vault = WebVault::device().await.map_err(js_error)?;
    // Best effort: the browser may still evict the data under storage pressure.
    let persistent = IdbStore::request_persistence().await;
    let reader = store.clone();
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
        store: reader,
        keep_original_images,
        pdf_url,
        waiters: Rc::default(),
    })
}

#[wasm_bindgen]
impl Agent {
    /// Runs one command; `on_event` receives each event's JSON. Resolves when it is done.
    pub fn command(&self, command: String, on_event: Function) -> js_sys::Promise {
        let runtime = Rc::clone(&self.runtime);
        let waiters = Rc::clone(&self.waiters);
        future_to_promise(async move {
            let command: Command = serde_json::from_str(&command).map_err(js_error)?;
            let mut runtime = loop {
                match runtime.try_borrow_mut() {
                    Ok(runtime) => break runtime,
                    Err(_) if waiters.storing.get() > 0 => waiters.next().await,
                    Err(_) => return Err(js_error("the agent is busy with another command")),
                }
            };
            let mut emit = |event: Event| {
                if let Ok(json) = serde_json::to_string(&event) {
                    // A throwing listener is the page's business, not the agent's.
                    let _ = on_event.call1(&JsValue::NULL, &JsValue::from_str(&json));
                }
            };
            runtime.handle(command, &mut emit).await;
            // MCP servers connected by the command: their notifications are listened for
            // beside the runtime, which reads what they heard before its model calls.
            for listener in runtime.take_mcp_listeners() {
                wasm_bindgen_futures::spawn_local(async move {
                    let clock = BrowserClock;
                    let McpListener { handle, inbox, .. } = &listener;
                    crate::mcp::listen(
                        &FetchTransport,
                        &ClockTimer(&clock),
                        &listener.endpoint(),
                        handle.clone(),
                        inbox,
                    )
                    .await;
                });
            }
            drop(runtime);
            waiters.wake_all();
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Prepares and stores a file the user picked, pasted or dropped (a `Blob` or `File`,
    /// named `name`): resolves to its [`AttachmentView`]'s JSON, or rejects with an `Error`
    /// whose message the app shows as it is (a type Ferry does not take, too large, not
    /// text, a PDF over 100 pages or with a password, an image that does not decode).
    pub fn attach(&self, file: web_sys::Blob, name: String) -> Promise {
        let runtime = Rc::clone(&self.runtime);
        let waiters = Rc::clone(&self.waiters);
        let store = self.store.clone();
        let default_keep = self.keep_original_images;
        let pdf_url = self.pdf_url.clone();
        future_to_promise(async move {
            // The saved settings, read beside any turn in progress.
            let keep_original = match store.settings().await {
                Ok(Some(saved)) => {
                    Settings::read(saved).map_or(default_keep, |s| s.keep_original_images)
                }
                _ => default_keep,
            };
            let options = Options {
                keep_original,
                pdf_url,
            };
            let prepared = attach::prepare(&file, &name, &options)
                .await
                .map_err(js_error)?;
            // Stored once no command holds the runtime.
            let held = loop {
                match runtime.try_borrow() {
                    Ok(runtime) => break runtime,
                    Err(_) => waiters.next().await,
                }
            };
            waiters.storing.set(waiters.storing.get() + 1);
            let added = held.add_attachment(prepared).await;
            drop(held);
            waiters.storing.set(waiters.storing.get() - 1);
            waiters.wake_all();
            let view: AttachmentView = added.map_err(|refused| js_error(refused.message))?;
            serde_json::to_string(&view)
                .map(|json| JsValue::from_str(&json))
                .map_err(js_error)
        })
    }

    /// An object URL (`blob:`) of the stored attachment `id`, for a thumbnail or a larger
    /// view; the page revokes it when done. Rejects for an id the agent does not hold.
    #[wasm_bindgen(js_name = attachmentUrl)]
    pub fn attachment_url(&self, id: String) -> Promise {
        let store = self.store.clone();
        future_to_promise(async move {
            let blob = store
                .blob(&id)
                .await
                .map_err(js_error)?
                .ok_or_else(|| js_error("no such attachment"))?;
            let parts = js_sys::Array::of1(&Uint8Array::from(blob.bytes.as_slice()));
            let options = web_sys::BlobPropertyBag::new();
            options.set_type(&blob.mime);
            let file = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)?;
            Ok(web_sys::Url::create_object_url_with_blob(&file)?.into())
        })
    }

    /// What the page needs to notice a database the browser emptied: a promise of the JSON
    /// `{"database":{"id","created_ms"}|null,"sessions","messages"}` (see
    /// [`durable`](super::durable)). Read beside any turn in progress.
    #[wasm_bindgen(js_name = storageState)]
    pub fn storage_state(&self) -> Promise {
        let store = self.store.clone();
        future_to_promise(async move {
            let state = super::durable::storage_state(&store)
                .await
                .map_err(js_error)?;
            serde_json::to_string(&state)
                .map(|json| JsValue::from_str(&json))
                .map_err(js_error)
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

//! The [`Tokenizer`] seam over a Web Worker running `ferry-tokenizer`'s wasm module
//! (`tokenizer-worker.js`). Nothing is downloaded until the first count for an encoding;
//! until that encoding has loaded, counts are `None` and the runtime estimates.
//!
//! Messages to the worker: `{id, op: "load" | "count", encoding, texts?}`; answers:
//! `{id, counts?}` or `{id, error}`.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use ferry_core::tokens::Encoding;
use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{MessageEvent, Worker, WorkerOptions, WorkerType};

use crate::seams::Tokenizer;

#[derive(Default)]
struct State {
    worker: Option<Worker>,
    /// Set when the worker cannot be started or failed: estimates from then on.
    broken: bool,
    loading: BTreeSet<Encoding>,
    ready: BTreeSet<Encoding>,
    next_id: u32,
    /// Answers awaited, by message id: the promise's `resolve`.
    waiting: BTreeMap<u32, Function>,
    /// The worker's listeners, alive as long as the page (they hold this state).
    listeners: Vec<Closure<dyn FnMut(JsValue)>>,
}

pub struct WorkerTokenizer {
    url: String,
    state: Rc<RefCell<State>>,
}

impl WorkerTokenizer {
    /// A tokenizer whose worker script is at `url` (started on first need).
    pub fn new(url: String) -> Self {
        Self {
            url,
            state: Rc::default(),
        }
    }

    fn worker(&self) -> Option<Worker> {
        let mut state = self.state.borrow_mut();
        if state.broken {
            return None;
        }
        if let Some(worker) = &state.worker {
            return Some(worker.clone());
        }
        let options = WorkerOptions::new();
        options.set_type(WorkerType::Module);
        let Ok(worker) = Worker::new_with_options(&self.url, &options) else {
            state.broken = true;
            return None;
        };
        let answers = Rc::clone(&self.state);
        let on_message = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
            let data = event.unchecked_into::<MessageEvent>().data();
            let id = Reflect::get(&data, &"id".into())
                .ok()
                .and_then(|v| v.as_f64())
                .map(|v| v as u32);
            let resolve = id.and_then(|id| answers.borrow_mut().waiting.remove(&id));
            if let Some(resolve) = resolve {
                let _ = resolve.call1(&JsValue::NULL, &data);
            }
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        // A worker that fails to load (a missing script, a wasm that won't compile)
        // answers nothing: give up on it and wake everyone waiting.
        let failed = Rc::clone(&self.state);
        let on_error = Closure::<dyn FnMut(JsValue)>::new(move |_: JsValue| {
            let waiting = {
                let mut state = failed.borrow_mut();
                state.broken = true;
                std::mem::take(&mut state.waiting)
            };
            for resolve in waiting.into_values() {
                let _ = resolve.call1(&JsValue::NULL, &JsValue::UNDEFINED);
            }
        });
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        state.listeners.extend([on_message, on_error]);
        state.worker = Some(worker.clone());
        Some(worker)
    }

    /// Posts a message and resolves to the worker's answer (`undefined` if it broke).
    fn ask(state: &Rc<RefCell<State>>, worker: &Worker, message: &Object) -> Option<JsFuture> {
        let id = {
            let mut state = state.borrow_mut();
            state.next_id = state.next_id.wrapping_add(1);
            state.next_id
        };
        Reflect::set(message, &"id".into(), &id.into()).ok()?;
        let mut resolver = None;
        let promise = Promise::new(&mut |resolve, _reject| resolver = Some(resolve));
        state.borrow_mut().waiting.insert(id, resolver?);
        if worker.post_message(message).is_err() {
            state.borrow_mut().waiting.remove(&id);
            return None;
        }
        Some(JsFuture::from(promise))
    }

    /// Starts loading `encoding` in the worker; it counts once the worker says it is ready.
    fn start_loading(&self, encoding: Encoding) {
        let Some(worker) = self.worker() else { return };
        if !self.state.borrow_mut().loading.insert(encoding) {
            return;
        }
        let message = Object::new();
        let _ = Reflect::set(&message, &"op".into(), &"load".into());
        let _ = Reflect::set(&message, &"encoding".into(), &encoding.name().into());
        let Some(answer) = Self::ask(&self.state, &worker, &message) else {
            return;
        };
        let state = Rc::clone(&self.state);
        wasm_bindgen_futures::spawn_local(async move {
            let loaded = answer
                .await
                .ok()
                .is_some_and(|a| a.is_object() && !has(&a, "error"));
            let mut state = state.borrow_mut();
            if loaded {
                state.ready.insert(encoding);
            } else {
                state.broken = true;
            }
        });
    }
}

fn has(value: &JsValue, field: &str) -> bool {
    Reflect::get(value, &field.into()).is_ok_and(|v| !v.is_undefined())
}

impl Tokenizer for WorkerTokenizer {
    async fn count(&self, encoding: Encoding, texts: &[&str]) -> Option<Vec<u64>> {
        let ready = self.state.borrow().ready.contains(&encoding);
        if !ready {
            self.start_loading(encoding);
            return None;
        }
        let worker = self.worker()?;
        let message = Object::new();
        Reflect::set(&message, &"op".into(), &"count".into()).ok()?;
        Reflect::set(&message, &"encoding".into(), &encoding.name().into()).ok()?;
        let list: Array = texts.iter().map(|t| JsValue::from_str(t)).collect();
        Reflect::set(&message, &"texts".into(), &list).ok()?;
        let answer = Self::ask(&self.state, &worker, &message)?.await.ok()?;
        let counts = Reflect::get(&answer, &"counts".into()).ok()?;
        let counts: Vec<u64> = Array::from(&counts)
            .iter()
            .map(|n| n.as_f64().map(|n| n as u64))
            .collect::<Option<_>>()?;
        (counts.len() == texts.len()).then_some(counts)
    }
}

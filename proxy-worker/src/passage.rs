//! A body that passes through Rust on its way to the client: a runtime `TransformStream`
//! whose `transform` hands each chunk to a Rust step. The runtime drives the pipe; a chunk
//! crosses into wasm once and its output crosses back once, with no stream reader, no
//! future and no microtask between them. When the source ends, the passage waits (its
//! `flush` pending) until its owner has sent the last bytes and lets it close: a clean end
//! then costs no error object, where `terminate` builds one with its stack.

use std::cell::RefCell;
use std::rc::Rc;

use worker::js_sys::{Function, Promise, Uint8Array};
use worker::wasm_bindgen::closure::Closure;
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::web_sys::{
    ReadableStream, StreamPipeOptions, TransformStream, TransformStreamDefaultController,
    Transformer,
};

use crate::handoff::{Handed, handoff};

type Step = dyn FnMut(JsValue, TransformStreamDefaultController);
type Flush = dyn FnMut(TransformStreamDefaultController) -> Promise;

/// A transform stream in flight. Its callbacks live as long as this value: drop it only once
/// nothing more will be written (after [`Closing::close`] or [`Self::terminate`], or once
/// the pipe into it has settled).
pub struct Passage {
    stream: TransformStream,
    controller: TransformStreamDefaultController,
    _transform: Closure<Step>,
    _flush: Closure<Flush>,
}

/// A passage whose source has ended, waiting to close: what is sent before [`Self::close`]
/// (or its drop) is the client's last.
pub struct Closing(Option<Function>);

impl Closing {
    pub fn close(mut self) {
        self.resolve();
    }

    fn resolve(&mut self) {
        if let Some(resolve) = self.0.take() {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    }
}

impl Drop for Closing {
    fn drop(&mut self) {
        self.resolve();
    }
}

impl Passage {
    /// A passage whose every chunk of bytes goes through `step(input, output)`; what `step`
    /// appends to the output is sent on as one chunk. Non-byte chunks are dropped (a fetch
    /// body only carries bytes). The second value comes when the source has ended.
    pub fn new(
        mut step: impl FnMut(&[u8], &mut Vec<u8>) + 'static,
    ) -> Result<(Self, Handed<Closing>), JsValue> {
        let started = Rc::new(RefCell::new(None));
        let start = {
            let started = Rc::clone(&started);
            Closure::once(move |controller: TransformStreamDefaultController| {
                *started.borrow_mut() = Some(controller);
            })
        };
        // Both buffers are reused from chunk to chunk.
        let mut input = Vec::new();
        let mut output = Vec::new();
        let transform = Closure::<Step>::new(
            move |chunk: JsValue, controller: TransformStreamDefaultController| {
                let Some(chunk) = chunk.dyn_ref::<Uint8Array>() else {
                    return;
                };
                input.resize(chunk.length() as usize, 0);
                chunk.copy_to(&mut input);
                step(&input, &mut output);
                enqueue(&controller, &output);
                output.clear();
            },
        );
        let (closing, on_close) = handoff();
        let mut closing = Some(closing);
        let flush = Closure::<Flush>::new(move |_: TransformStreamDefaultController| {
            let mut closing = closing.take();
            Promise::new(&mut |resolve, _| match closing.take() {
                Some(closing) => closing.send(Closing(Some(resolve))),
                None => drop(Closing(Some(resolve))),
            })
        });
        let transformer = Transformer::new();
        transformer.set_start(start.as_ref().unchecked_ref());
        transformer.set_transform(transform.as_ref().unchecked_ref());
        transformer.set_flush(flush.as_ref().unchecked_ref());
        let stream = TransformStream::new_with_transformer(&transformer)?;
        // `start` runs inside the constructor.
        let controller = started
            .borrow_mut()
            .take()
            .ok_or_else(|| JsValue::from_str("the transform stream did not start"))?;
        let passage = Self {
            stream,
            controller,
            _transform: transform,
            _flush: flush,
        };
        Ok((passage, on_close))
    }

    /// What the client reads.
    pub fn readable(&self) -> ReadableStream {
        self.stream.readable()
    }

    /// Pipes `source` in and answers when the pipe stops. A source that ends closes into the
    /// passage, which then waits for its owner ([`Closing`]); one that breaks does not
    /// error it: that end is the owner's to tell ([`Self::send`], then [`Self::terminate`]).
    /// A client that goes away cancels the source.
    pub fn pipe_from(&self, source: &ReadableStream) -> Promise {
        let options = StreamPipeOptions::new();
        options.set_prevent_abort(true);
        source.pipe_to_with_options(&self.stream.writable(), &options)
    }

    /// Sends `bytes` to the client, unless it has gone.
    pub fn send(&self, bytes: &[u8]) {
        enqueue(&self.controller, bytes);
    }

    /// Whether the client has gone: its side cancelled, which errors the side the pipe
    /// writes into (the pipe itself never errors it). Meant for after a pipe that stopped
    /// without the source closing into it, to tell a client that left from a source that
    /// broke.
    pub fn client_left(&self) -> bool {
        let writable = self.stream.writable();
        if writable.locked() {
            return false;
        }
        let Ok(writer) = writable.get_writer() else {
            return false;
        };
        // No desired size: the stream has errored.
        let left = matches!(writer.desired_size(), Ok(None));
        writer.release_lock();
        left
    }

    /// Closes the client's stream after what was sent, at once (an error path: this builds
    /// an error for the side written into).
    pub fn terminate(&self) {
        self.controller.terminate();
    }
}

/// Sends `bytes` on as one chunk, if there are any. It fails only when the client has gone,
/// and the pipe then stops by itself.
fn enqueue(controller: &TransformStreamDefaultController, bytes: &[u8]) {
    if !bytes.is_empty() {
        let _ = controller.enqueue_with_chunk(&Uint8Array::from(bytes));
    }
}

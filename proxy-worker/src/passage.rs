//! A body that passes through Rust on its way to the client: a runtime `TransformStream`
//! whose `transform` hands each chunk to a Rust step. The runtime drives the pipe; a chunk
//! crosses into wasm once and its output crosses back once, with no stream reader, no
//! future and no microtask between them.

use std::cell::RefCell;
use std::rc::Rc;

use worker::js_sys::Uint8Array;
use worker::wasm_bindgen::closure::Closure;
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::web_sys::{
    ReadableStream, StreamPipeOptions, TransformStream, TransformStreamDefaultController,
    Transformer,
};

type Step = dyn FnMut(JsValue, TransformStreamDefaultController);

/// A transform stream in flight. Its `transform` callback lives as long as this value: drop
/// it only once nothing more will be written (after [`Self::terminate`], or once the pipe
/// into it has settled).
pub struct Passage {
    stream: TransformStream,
    controller: TransformStreamDefaultController,
    _transform: Closure<Step>,
}

impl Passage {
    /// A passage whose every chunk of bytes goes through `step(input, output)`; what `step`
    /// appends to the output is sent on as one chunk. Non-byte chunks are dropped (a fetch
    /// body only carries bytes).
    pub fn new(mut step: impl FnMut(&[u8], &mut Vec<u8>) + 'static) -> Result<Self, JsValue> {
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
                if !output.is_empty() {
                    // Fails only when the client has gone; the pipe then stops by itself.
                    let _ = controller.enqueue_with_chunk(&Uint8Array::from(output.as_slice()));
                    output.clear();
                }
            },
        );
        let transformer = Transformer::new();
        transformer.set_start(start.as_ref().unchecked_ref());
        transformer.set_transform(transform.as_ref().unchecked_ref());
        let stream = TransformStream::new_with_transformer(&transformer)?;
        // `start` runs inside the constructor.
        let controller = started
            .borrow_mut()
            .take()
            .ok_or_else(|| JsValue::from_str("the transform stream did not start"))?;
        Ok(Self {
            stream,
            controller,
            _transform: transform,
        })
    }

    /// What the client reads.
    pub fn readable(&self) -> ReadableStream {
        self.stream.readable()
    }

    /// Pipes `source` in and answers when the pipe stops. The source is neither closed into
    /// the passage nor allowed to error it: its end, clean or not, is the caller's to
    /// translate ([`Self::send`], then [`Self::terminate`]). A client that goes away cancels
    /// the source.
    pub fn pipe_from(&self, source: &ReadableStream) -> worker::js_sys::Promise {
        let options = StreamPipeOptions::new();
        options.set_prevent_close(true);
        options.set_prevent_abort(true);
        source.pipe_to_with_options(&self.stream.writable(), &options)
    }

    /// Sends `bytes` to the client, unless it has gone.
    pub fn send(&self, bytes: &[u8]) {
        if !bytes.is_empty() {
            let _ = self.controller.enqueue_with_chunk(&Uint8Array::from(bytes));
        }
    }

    /// Whether the client has gone: its side cancelled, which errors the side the pipe
    /// writes into (the pipe never errors it, nor closes it). Meant for after the pipe has
    /// stopped, to tell a client that left from a source that broke.
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

    /// Closes the client's stream after what was sent; nothing more is written in.
    pub fn terminate(&self) {
        self.controller.terminate();
    }
}

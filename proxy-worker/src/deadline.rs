//! A deadline for an outbound call: a runtime timer set once, that wakes whichever task is
//! waiting on it when it passes. (`worker::Delay` wakes only the task that first polled it,
//! so a deadline set while the headers were awaited and then watched by a stream's task
//! would pass unnoticed until something else woke that task.)

use std::pin::Pin;
use std::task::{Context, Poll};

use worker::wasm_bindgen::JsCast;
use worker::wasm_bindgen::closure::Closure;
use worker::{js_sys, web_sys};

use crate::handoff::{Handed, handoff};

pub struct Deadline {
    passed: bool,
    /// Handed over by the timer when it fires.
    on_time: Handed<()>,
    timer: Option<i32>,
    _callback: Closure<dyn FnMut()>,
}

impl Deadline {
    /// A deadline `ms` milliseconds from now.
    pub fn after(ms: u64) -> Self {
        let (time, on_time) = handoff();
        let mut time = Some(time);
        let callback = Closure::<dyn FnMut()>::new(move || {
            if let Some(time) = time.take() {
                time.send(());
            }
        });
        let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
        let timer = global
            .set_timeout_with_callback_and_timeout_and_arguments_0(
                callback.as_ref().unchecked_ref(),
                i32::try_from(ms).unwrap_or(i32::MAX),
            )
            .ok();
        Self {
            // Without a timer there is no deadline to wait for: it has passed.
            passed: timer.is_none(),
            on_time,
            timer,
            _callback: callback,
        }
    }
}

impl Future for Deadline {
    type Output = ();

    /// Ready once the time has come, and every time after.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if !this.passed && Pin::new(&mut this.on_time).poll(cx).is_ready() {
            this.passed = true;
        }
        if this.passed {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        if let Some(timer) = self.timer.take() {
            let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
            global.clear_timeout_with_handle(timer);
        }
    }
}

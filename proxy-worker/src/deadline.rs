//! A deadline for an outbound call: a runtime timer set once, that wakes whichever task is
//! waiting on it when it passes. (`worker::Delay` wakes only the task that first polled it,
//! so a deadline set while the headers were awaited and then watched by a stream's task
//! would pass unnoticed until something else woke that task.)

use std::cell::RefCell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use worker::wasm_bindgen::JsCast;
use worker::wasm_bindgen::closure::Closure;
use worker::{js_sys, web_sys};

#[derive(Default)]
struct State {
    passed: bool,
    waker: Option<Waker>,
}

pub struct Deadline {
    state: Rc<RefCell<State>>,
    timer: Option<i32>,
    _on_time: Closure<dyn FnMut()>,
}

impl Deadline {
    /// A deadline `ms` milliseconds from now.
    pub fn after(ms: u64) -> Self {
        let state = Rc::new(RefCell::new(State::default()));
        let on_time = {
            let state = Rc::clone(&state);
            Closure::<dyn FnMut()>::new(move || {
                let waker = {
                    let mut state = state.borrow_mut();
                    state.passed = true;
                    state.waker.take()
                };
                if let Some(waker) = waker {
                    waker.wake();
                }
            })
        };
        let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
        let timer = global
            .set_timeout_with_callback_and_timeout_and_arguments_0(
                on_time.as_ref().unchecked_ref(),
                i32::try_from(ms).unwrap_or(i32::MAX),
            )
            .ok();
        if timer.is_none() {
            // Without a timer there is no deadline to wait for: it has passed.
            state.borrow_mut().passed = true;
        }
        Self {
            state,
            timer,
            _on_time: on_time,
        }
    }
}

impl Future for Deadline {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.state.borrow_mut();
        if state.passed {
            return Poll::Ready(());
        }
        match &state.waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            _ => state.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
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

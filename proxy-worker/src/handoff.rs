//! A one-value handoff between a callback the runtime calls and the task that waits for it.

use std::cell::RefCell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// A one-value handoff to a task awaiting it: single-threaded (one isolate), so an `Rc` and
/// a waker suffice.
pub struct Handoff<T>(Rc<RefCell<Slot<T>>>);

struct Slot<T> {
    value: Option<T>,
    waker: Option<Waker>,
}

/// The awaiting side of a [`Handoff`].
pub struct Handed<T>(Rc<RefCell<Slot<T>>>);

pub fn handoff<T>() -> (Handoff<T>, Handed<T>) {
    let slot = Rc::new(RefCell::new(Slot {
        value: None,
        waker: None,
    }));
    (Handoff(Rc::clone(&slot)), Handed(slot))
}

impl<T> Handoff<T> {
    pub fn send(self, value: T) {
        let waker = {
            let mut slot = self.0.borrow_mut();
            slot.value = Some(value);
            slot.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> Future for Handed<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut slot = self.0.borrow_mut();
        match slot.value.take() {
            Some(value) => Poll::Ready(value),
            None => {
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

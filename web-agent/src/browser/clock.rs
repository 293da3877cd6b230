//! [`Clock`] in the browser: `Date.now()` and random ids from `crypto.getRandomValues`.

use js_sys::{Math, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

use crate::runtime::Clock;

#[derive(Debug, Default, Clone, Copy)]
pub struct BrowserClock;

impl Clock for BrowserClock {
    fn now_ms(&self) -> u64 {
        js_sys::Date::now() as u64
    }

    fn new_id(&self) -> String {
        let bytes = Uint8Array::new_with_length(12);
        let crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto"))
            .ok()
            .and_then(|c| c.dyn_into::<web_sys::Crypto>().ok());
        let filled = crypto.is_some_and(|c| c.get_random_values_with_js_u8_array(&bytes).is_ok());
        if !filled {
            // Every browser has `crypto.getRandomValues`, secure context or not; this only
            // keeps ids unique where it is missing. A sign-in's code verifier is drawn from
            // these ids too, but it must be sealed by the vault first, and without Web
            // Crypto there is no vault, so no sign-in starts on such a verifier.
            for i in 0..12 {
                bytes.set_index(i, (Math::random() * 256.0) as u8);
            }
        }
        bytes.to_vec().iter().map(|b| format!("{b:02x}")).collect()
    }

    async fn sleep(&self, ms: u64) {
        sleep(ms).await;
    }
}

/// Resolves after `ms` milliseconds: a `setTimeout` promise (on the page or in a worker).
pub async fn sleep(ms: u64) {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        let global = js_sys::global();
        let set_timeout = Reflect::get(&global, &JsValue::from_str("setTimeout"))
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        let delay = JsValue::from_f64(ms.min(i32::MAX as u64) as f64);
        let scheduled = set_timeout.is_some_and(|f| f.call2(&global, &resolve, &delay).is_ok());
        if !scheduled {
            // No timers here: resolve at once rather than never.
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

//! Runs in headless Chromium: the browser tier is wired up.
#![cfg(all(target_arch = "wasm32", feature = "browser"))]

use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn a_window_is_there() {
    assert!(web_sys::window().is_some());
}

//! The app's entry point (trunk builds this binary to wasm).

fn main() {
    #[cfg(target_arch = "wasm32")]
    web_ui::start();
}

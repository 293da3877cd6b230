//! The installable app's versions: the service worker (`sw.js`, written at build time) is
//! registered once the agent has loaded, so that nothing of it competes with the first
//! paint. A new deploy installs beside the running version and waits; the app then offers
//! "A new version is ready" with `Reload`, which lets it take over and loads the page again,
//! once, as the new version. When another tab's Reload made a new version take over, this
//! tab reloads too, as soon as no turn runs: one tab never runs one version's page with
//! another's modules (the tokenizer, pdf.js), which the service worker now serves.

use leptos::prelude::*;
use wasm_bindgen::prelude::*;

use crate::app::State;

#[wasm_bindgen(inline_js = r#"
export function watchVersions(ready, takenOver) {
  const sw = navigator.serviceWorker;
  if (!sw) return;
  // The first version takes an uncontrolled page; only a change from one version to
  // another counts.
  let controlled = Boolean(sw.controller);
  sw.addEventListener('controllerchange', () => {
    if (controlled) takenOver();
    controlled = true;
  });
  sw.register('sw.js', { scope: './', updateViaCache: 'none' }).then((registration) => {
    const offer = (worker) => {
      if (worker.state === 'installed' && sw.controller) ready();
    };
    if (registration.waiting) offer(registration.waiting);
    registration.addEventListener('updatefound', () => {
      const worker = registration.installing;
      if (worker) worker.addEventListener('statechange', () => offer(worker));
    });
    // Besides the browser's own check on each visit: hourly, and when back online.
    const check = () => registration.update().catch(() => {});
    setInterval(check, 3600000);
    addEventListener('online', check);
  }, () => {});
}
export function takeUpdate() {
  // No version waits any more (another tab's Reload took it): the page loads as it is now.
  const again = () => location.reload();
  if (!navigator.serviceWorker) return again();
  navigator.serviceWorker.getRegistration().then((registration) => {
    if (registration?.waiting) registration.waiting.postMessage({ type: 'SKIP_WAITING' });
    else again();
  }, again);
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = watchVersions)]
    fn watch_versions(ready: &JsValue, taken_over: &JsValue);
    #[wasm_bindgen(js_name = takeUpdate)]
    fn take_update();
}

/// A new version, as this tab sees it.
#[derive(Clone, Copy)]
struct Update {
    /// A new version has installed and waits.
    ready: RwSignal<bool>,
    /// This tab asked it to take over (Reload).
    asked: RwSignal<bool>,
    /// A new version has taken over: the page reloads once no turn runs.
    taken_over: RwSignal<bool>,
}

fn reload() {
    if let Some(window) = web_sys::window() {
        let _ = window.location().reload();
    }
}

/// Registers the service worker once the agent has loaded (or failed to: a new version may
/// be the cure), and follows its versions for the app's lifetime (called once, by the app).
pub fn watch(state: State) {
    let update = Update {
        ready: RwSignal::new(false),
        asked: RwSignal::new(false),
        taken_over: RwSignal::new(false),
    };
    provide_context(update);
    let registered = StoredValue::new(false);
    Effect::new(move |_| {
        let started = state.loaded.get() || state.load_error.with(Option::is_some);
        if !started || registered.get_value() {
            return;
        }
        registered.set_value(true);
        let ready = Closure::<dyn Fn()>::new(move || update.ready.set(true)).into_js_value();
        let taken_over =
            Closure::<dyn Fn()>::new(move || update.taken_over.set(true)).into_js_value();
        watch_versions(&ready, &taken_over);
    });
    Effect::new(move |_| {
        if !update.taken_over.get() {
            return;
        }
        // Asked here: at once. Another tab's choice: once this tab's turn has ended.
        if update.asked.get_untracked() || !state.chat.with(|c| c.busy) {
            reload();
        }
    });
}

/// "A new version is ready" with `Reload`, while a new version waits.
#[component]
pub fn UpdatePrompt() -> impl IntoView {
    let update = expect_context::<Update>();
    // Hidden rather than shown by a `Show`: the lighter for the first paint's wasm.
    view! {
        <div class="update" role="status" hidden=move || !update.ready.get()>
            <span>"A new version is ready."</span>
            <button
                type="button"
                class="primary"
                disabled=move || update.asked.get()
                on:click=move |_| {
                    update.asked.set(true);
                    take_update();
                }
            >
                "Reload"
            </button>
        </div>
    }
}

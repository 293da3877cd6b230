// Starts the app. Trunk would inline this loader into index.html; as a file it needs no
// inline script, so the page's Content-Security-Policy allows none. Trunk writes the tag
// (`pattern_script` in Trunk.toml) with the hashed names of the app's JS and wasm in this
// script's own URL: `start.js?js=<name>.js&wasm=<name>_bg.wasm`.
const names = new URL(import.meta.url).searchParams;
const { default: init } = await import(new URL(names.get('js'), import.meta.url).href);
await init({ module_or_path: new URL(names.get('wasm'), import.meta.url) });

// Ferry's tokenizer, off the main thread: a module worker around ferry-tokenizer's wasm
// (ferry_tokenizer.js beside this file). Messages: {id, op: "load" | "count", encoding,
// texts}; answers: {id, counts} (a plain array) or {id, error}.
import init, { load, countMany } from './ferry_tokenizer.js';

const ready = init();

self.onmessage = async ({ data }) => {
  const { id, op, encoding, texts } = data;
  try {
    await ready;
    if (op === 'load') {
      const started = performance.now();
      load(encoding);
      self.postMessage({ id, loadedMs: performance.now() - started });
    } else if (op === 'count') {
      self.postMessage({ id, counts: Array.from(countMany(encoding, texts)) });
    } else {
      self.postMessage({ id, error: `unknown op ${op}` });
    }
  } catch (e) {
    self.postMessage({ id, error: String(e?.message ?? e) });
  }
};

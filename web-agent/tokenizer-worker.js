// Ferry's tokenizer, off the main thread: a module worker around ferry-tokenizer's wasm,
// one module per encoding beside this file (ferry_tokenizer_o200k.js,
// ferry_tokenizer_cl100k.js), each imported on its encoding's first message, so a model's
// counts fetch only its own tables. Messages: {id, op: "load" | "count", encoding, texts};
// answers: {id, counts} (a plain array) or {id, error}. A message without an encoding
// loads o200k, the current OpenAI models'.
const MODULES = {
  o200k_base: './ferry_tokenizer_o200k.js',
  cl100k_base: './ferry_tokenizer_cl100k.js',
};
const modules = new Map();

/** The initialised module of `encoding`, imported once (again after a failed try). */
function moduleOf(encoding) {
  const url = MODULES[encoding];
  if (!url) return Promise.reject(new Error(`unknown encoding ${encoding}`));
  if (!modules.has(encoding)) {
    const loading = import(url).then(async (module) => {
      await module.default();
      return module;
    });
    loading.catch(() => modules.delete(encoding));
    modules.set(encoding, loading);
  }
  return modules.get(encoding);
}

self.onmessage = async ({ data }) => {
  const { id, op, encoding = 'o200k_base', texts } = data;
  try {
    const module = await moduleOf(encoding);
    if (op === 'load') {
      const started = performance.now();
      module.load(encoding);
      self.postMessage({ id, loadedMs: performance.now() - started });
    } else if (op === 'count') {
      self.postMessage({ id, counts: Array.from(module.countMany(encoding, texts)) });
    } else {
      self.postMessage({ id, error: `unknown op ${op}` });
    }
  } catch (e) {
    self.postMessage({ id, error: String(e?.message ?? e) });
  }
};

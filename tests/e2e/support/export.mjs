// Ferry's export document (the agent's `Export`), built for tests and benchmarks that
// import a prepared session.

/**
 * One session titled `title` whose messages alternate user / assistant, the text of each
 * from `text(i, role)`; `settings` go along if given. Returns the JSON.
 */
export function exportDocument({ session = 'long', title, count, text, settings }) {
  const messages = Array.from({ length: count }, (_, i) => {
    const role = i % 2 ? 'assistant' : 'user';
    return { id: `m${i}`, session, seq: i, message: { role, content: text(i, role) }, partial: false, created_ms: i };
  });
  return JSON.stringify({
    format: 'ferry-export',
    version: 1,
    exported_ms: 0,
    sessions: [{ id: session, title, created_ms: 0, updated_ms: 1 }],
    messages,
    notes: [],
    ...(settings ? { settings } : {}),
  });
}

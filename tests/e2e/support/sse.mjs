// Reading the proxy's streams as they arrive: raw SSE events with arrival times, and
// OpenAI tool-call deltas put back together.

import { performance } from 'node:perf_hooks';

/**
 * Reads a `text/event-stream` body to its end. Returns the events in order as
 * `{ data, json, at }`: `data` the joined `data:` lines, `json` the parsed value (null for
 * `[DONE]` or non-JSON), `at` the arrival time (performance.now()). A body that breaks off
 * ends the list, with `broken` set on the returned array.
 */
export async function readSse(res) {
  const events = [];
  const decoder = new TextDecoder();
  let buffer = '';
  const flush = (at) => {
    buffer = buffer.replace(/\r\n/g, '\n').replace(/\r/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).replace(/^ /, ''))
        .join('\n');
      if (data === '' && !block.includes('data:')) continue; // comment or event-only block
      let json = null;
      try {
        json = JSON.parse(data);
      } catch {
        json = null;
      }
      events.push({ data, json, at });
    }
  };
  try {
    for await (const chunk of res.body) {
      buffer += decoder.decode(chunk, { stream: true });
      flush(performance.now());
    }
    buffer += decoder.decode();
    flush(performance.now());
  } catch (err) {
    events.broken = err;
  }
  events.rest = buffer;
  return events;
}

/** Concatenated `delta.content` of chat.completion.chunk values. */
export function contentOf(chunks) {
  return chunks.map((c) => c?.choices?.[0]?.delta?.content ?? '').join('');
}

/** The finish_reason that some chunk carried, if any. */
export function finishReasonOf(chunks) {
  for (const c of chunks) {
    const reason = c?.choices?.[0]?.finish_reason;
    if (reason) return reason;
  }
  return null;
}

/**
 * Puts `delta.tool_calls` pieces back together by index, as OpenAI clients do.
 * Returns `[{ id, type, name, arguments, pieces }]` where `pieces` counts the deltas that
 * carried argument text.
 */
export function assembleToolCalls(chunks) {
  const calls = [];
  for (const c of chunks) {
    for (const d of c?.choices?.[0]?.delta?.tool_calls ?? []) {
      const call = (calls[d.index] ??= { id: undefined, type: undefined, name: '', arguments: '', pieces: 0 });
      if (d.id) call.id = d.id;
      if (d.type) call.type = d.type;
      if (d.function?.name) call.name += d.function.name;
      if (d.function?.arguments) {
        call.arguments += d.function.arguments;
        call.pieces += 1;
      }
    }
  }
  return calls;
}

/**
 * Reads a chat stream until `count` events with answer text have arrived, then aborts the
 * request with `controller` (the client going away mid-answer). Returns the text received.
 */
export async function abortAfterContent(res, controller, count) {
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let text = '';
  let seen = 0;
  while (seen < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const data = buffer.slice(0, end).replace(/^data: ?/, '');
      buffer = buffer.slice(end + 2);
      try {
        const content = JSON.parse(data).choices?.[0]?.delta?.content;
        if (content) {
          text += content;
          seen += 1;
        }
      } catch {
        // [DONE] or not JSON
      }
    }
  }
  controller.abort();
  await reader.cancel().catch(() => {});
  return text;
}

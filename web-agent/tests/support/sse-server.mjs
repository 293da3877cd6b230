// A loopback server for the browser tests of the fetch transport: it streams Server-Sent
// Events with pauses between them, so a test can see that chunks arrive one by one.
//
//   node web-agent/tests/support/sse-server.mjs   → prints its URL, then a URL where nothing
//                                                   listens; serves until killed
//
//   GET /events?n=N&gap=MS   N events `data: {"i":k}`, MS apart, then `data: [DONE]`
//   GET /limited             429 with `Retry-After: 7` and a JSON error
//   POST /slow/chat/completions  an OpenAI-format streamed answer, "a b c", one word every
//                            200 ms (a turn that lasts: attaching meanwhile must wait, not fail)
//   GET /pdfjs/FILE          pdf.js's pdf.min.mjs or pdf.worker.min.mjs (npm pdfjs-dist), and
//                            its cmaps/NAME.bcmap, for the attachment tests' PDF reader

import { readFile } from 'node:fs/promises';
import http from 'node:http';

const PDFJS = new URL('../../../node_modules/pdfjs-dist/build/', import.meta.url);
const PDFJS_FILES = new Set(['pdf.min.mjs', 'pdf.worker.min.mjs']);
const CMAPS = new URL('../../../node_modules/pdfjs-dist/cmaps/', import.meta.url);

const cors = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': '*',
  'access-control-expose-headers': 'retry-after',
};

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://loopback.invalid');
  if (url.pathname === '/slow/chat/completions') {
    const headers = { ...cors, 'access-control-allow-headers': 'authorization, content-type' };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, headers).end();
      return;
    }
    for await (const _ of req); // the request's body, unread
    res.writeHead(200, { ...headers, 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const chunk = (delta, finish = null) =>
      `data: ${JSON.stringify({
        id: 'slow',
        object: 'chat.completion.chunk',
        created: 0,
        model: 'gpt-4o',
        choices: [{ index: 0, delta, finish_reason: finish }],
      })}\n\n`;
    res.write(chunk({ role: 'assistant', content: '' }));
    for (const word of ['a ', 'b ', 'c']) {
      await new Promise((r) => setTimeout(r, 200));
      res.write(chunk({ content: word }));
    }
    res.write(chunk({}, 'stop'));
    res.end('data: [DONE]\n\n');
    return;
  }
  if (req.method === 'OPTIONS') {
    res.writeHead(204, cors).end();
    return;
  }
  if (url.pathname === '/events') {
    const n = Number(url.searchParams.get('n') ?? 5);
    const gap = Number(url.searchParams.get('gap') ?? 50);
    res.writeHead(200, { ...cors, 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    for (let i = 0; i < n; i++) {
      res.write(`data: {"i":${i}}\n\n`);
      await new Promise((r) => setTimeout(r, gap));
    }
    res.end('data: [DONE]\n\n');
    return;
  }
  if (url.pathname === '/limited') {
    res.writeHead(429, { ...cors, 'content-type': 'application/json', 'retry-after': '7' });
    res.end('{"error":{"message":"slow down","code":"rate_limited"}}');
    return;
  }
  if (url.pathname.startsWith('/pdfjs/') && PDFJS_FILES.has(url.pathname.slice('/pdfjs/'.length))) {
    const body = await readFile(new URL(url.pathname.slice('/pdfjs/'.length), PDFJS));
    res.writeHead(200, { ...cors, 'content-type': 'text/javascript' });
    res.end(body);
    return;
  }
  const cmap = url.pathname.match(/^\/pdfjs\/cmaps\/([A-Za-z0-9_.-]+\.bcmap)$/);
  if (cmap) {
    try {
      const body = await readFile(new URL(cmap[1], CMAPS));
      res.writeHead(200, { ...cors, 'content-type': 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404, cors).end();
    }
    return;
  }
  res.writeHead(404, cors).end();
});

// A port that was free a moment ago and is closed again: for "nobody answers".
const closed = http.createServer();
await new Promise((r) => closed.listen(0, '127.0.0.1', r));
const closedPort = closed.address().port;
await new Promise((r) => closed.close(r));

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`http://127.0.0.1:${server.address().port}`);
  console.log(`http://127.0.0.1:${closedPort}`);
});

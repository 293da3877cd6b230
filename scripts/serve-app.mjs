// Serves the built app (a directory) on 127.0.0.1: `node scripts/serve-app.mjs DIR PORT`.
// Static files only; `/` is index.html.

import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';

const [dir = 'target/web-ui-dist', port = '8080'] = process.argv.slice(2);
const root = path.resolve(dir);
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.css': 'text/css',
  '.png': 'image/png',
};

http
  .createServer(async (req, res) => {
    const url = new URL(req.url, 'http://app.invalid');
    const wanted = url.pathname.endsWith('/') ? `${url.pathname}index.html` : url.pathname;
    const file = path.join(root, path.normalize(decodeURIComponent(wanted)));
    if (!file.startsWith(root + path.sep)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  })
  .listen(Number(port), '127.0.0.1');

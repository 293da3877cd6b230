// Serves the built app (a directory) on 127.0.0.1: `node scripts/serve-app.mjs DIR PORT`.
// Static files only; `/` is index.html. Every answer carries the app's
// Content-Security-Policy (web-ui/csp.txt), with the origins of the URLs in DIR's
// ferry-config.json added to connect-src where the policy does not already allow them.
// Also a module: `contentSecurityPolicy(config)`, `serveApp({ dir, port })`, and
// `sendFile(res, root, pathname, headers)`, the one answer with a file under a root (its
// path-traversal guard and MIME table) that the tests' static server uses as well.

import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const POLICY_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'web-ui', 'csp.txt');
/** The content types of the files served, by extension (anything else: octet-stream). */
export const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.css': 'text/css',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.webmanifest': 'application/manifest+json',
};

/** The policy's directives as `[name, sources]` pairs, in the file's order. */
export function policyDirectives(text = readFileSync(POLICY_FILE, 'utf8')) {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [name, ...sources] = line.split(/\s+/);
      return [name, sources];
    });
}

/**
 * The header's value for an app whose ferry-config.json is `config`: the URLs it names
 * (`proxy_url`, `supabase_url`) are reached by the page, so their origins join connect-src
 * unless a source there already covers them (`https:` covers every https origin).
 */
export function contentSecurityPolicy(config = {}) {
  const extra = [];
  for (const url of [config.proxy_url, config.supabase_url]) {
    let origin;
    try {
      origin = new URL(url);
    } catch {
      continue;
    }
    if (origin.protocol === 'http:' && !extra.includes(origin.origin)) extra.push(origin.origin);
  }
  return policyDirectives()
    .map(([name, sources]) => {
      const all = name === 'connect-src' ? [...sources, ...extra.filter((o) => !sources.includes(o))] : sources;
      return [name, ...all].join(' ');
    })
    .join('; ');
}

/**
 * Answers `res` with the file at `pathname` (URL-encoded, `/`-separated, `''` or ending in
 * `/`: its index.html) under the directory `root`, with `headers` and the file's type: 400
 * for a path that does not decode, 403 for one that leaves `root` (`..`, encoded or not),
 * 404 for no such file.
 */
export async function sendFile(res, root, pathname, headers = {}) {
  const base = path.resolve(root);
  const wanted = pathname === '' || pathname.endsWith('/') ? `${pathname}index.html` : pathname;
  let file;
  try {
    file = path.join(base, path.normalize(decodeURIComponent(wanted)));
  } catch {
    res.writeHead(400, headers).end();
    return;
  }
  if (!file.startsWith(base + path.sep)) {
    res.writeHead(403, headers).end();
    return;
  }
  try {
    const body = await readFile(file);
    const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
    res.writeHead(200, { ...headers, 'content-type': type }).end(body);
  } catch {
    res.writeHead(404, headers).end('not found');
  }
}

async function readConfig(root) {
  try {
    return JSON.parse(await readFile(path.join(root, 'ferry-config.json'), 'utf8'));
  } catch {
    return {};
  }
}

/**
 * Starts the server; resolves to the `http.Server` once it listens (`port` 0: any free one).
 * `config`, when given, is served as /ferry-config.json instead of DIR's file.
 */
export async function serveApp({ dir = 'target/web-ui-dist', port = 8080, config } = {}) {
  const root = path.resolve(dir);
  const server = http.createServer(async (req, res) => {
    // Read per request, so a config written after start (as scripts/run.sh does) counts.
    const current = config ?? (await readConfig(root));
    const headers = {
      'content-security-policy': contentSecurityPolicy(current),
      'x-content-type-options': 'nosniff',
    };
    const url = new URL(req.url, 'http://app.invalid');
    if (config && url.pathname === '/ferry-config.json') {
      res.writeHead(200, { ...headers, 'content-type': TYPES['.json'] }).end(JSON.stringify(config));
      return;
    }
    await sendFile(res, root, url.pathname, headers);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(port), '127.0.0.1', resolve);
  });
  return server;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const [dir, port] = process.argv.slice(2);
  await serveApp({ dir, port });
}

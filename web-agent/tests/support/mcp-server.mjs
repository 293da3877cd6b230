// The MCP reference server for the browser tests of the agent's MCP client: npm
// `@modelcontextprotocol/server-everything` (Streamable HTTP) on a free loopback port,
// behind the e2e suite's recording front, and a small log server that tells the test what
// the front saw (so a test can check that Stop aborted the call's request and sent
// `notifications/cancelled`).
//
//   node web-agent/tests/support/mcp-server.mjs   → prints the MCP endpoint (through the
//                                                   front), then the log's URL; serves
//                                                   until killed
//
//   GET <log>/requests   every request the front received: method, session id,
//                        Last-Event-ID, JSON body, status, startedAt / answeredAt /
//                        closedAt (ms, the front's clock), and `now`
//   <log>/cut/mcp        the same endpoint through the front, except that the answer to a
//                        `trigger-long-running-operation` call is cut (the connection
//                        destroyed) right after its first progress notification: a dropped
//                        stream, for the client to resume

import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { startEverything, startFront } from '../../../tests/e2e/support/mcp-servers.mjs';

const everything = await startEverything();
const front = await startFront(everything.url);
const frontUrl = new URL(front.url);

/** Forwards `req` to the front's MCP endpoint, cutting a long-running call's answer. */
function cutting(req, res) {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const raw = Buffer.concat(chunks);
    let body = null;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      body = null;
    }
    const cut = body?.method === 'tools/call' && body?.params?.name === 'trigger-long-running-operation';
    const headers = { ...req.headers, host: frontUrl.host };
    delete headers.connection;
    const out = http.request(
      { host: frontUrl.hostname, port: frontUrl.port, method: req.method, path: frontUrl.pathname, headers },
      (answer) => {
        res.writeHead(answer.statusCode, answer.headers);
        res.flushHeaders();
        answer.on('data', (chunk) => {
          res.write(chunk);
          if (cut && chunk.toString('utf8').includes('notifications/progress')) {
            answer.destroy();
            res.destroy();
          }
        });
        answer.on('end', () => res.end());
        answer.on('error', () => res.destroy());
      },
    );
    out.on('error', () => res.destroy());
    out.end(raw);
  });
}

const log = http.createServer((req, res) => {
  if (req.url === '/cut/mcp') {
    cutting(req, res);
    return;
  }
  const headers = { 'access-control-allow-origin': '*', 'content-type': 'application/json' };
  if (req.url === '/requests') {
    const requests = front.requests.map(({ method, headers, body, status, startedAt, answeredAt, closedAt }) => ({
      method,
      session: headers['mcp-session-id'] ?? null,
      lastEventId: headers['last-event-id'] ?? null,
      body,
      status,
      startedAt,
      answeredAt,
      closedAt,
    }));
    res.writeHead(200, headers).end(JSON.stringify({ now: performance.now(), requests }));
    return;
  }
  res.writeHead(404, headers).end('{}');
});
await new Promise((resolve) => log.listen(0, '127.0.0.1', resolve));

process.stdout.write(`${front.url}\nhttp://127.0.0.1:${log.address().port}\n`);

const stop = async () => {
  await front.stop();
  await everything.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

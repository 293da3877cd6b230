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
//   GET <log>/requests   every request the front received: method, session id, JSON body, status,
//                        startedAt / answeredAt / closedAt (ms, the front's clock), now

import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { startEverything, startFront } from '../../../tests/e2e/support/mcp-servers.mjs';

const everything = await startEverything();
const front = await startFront(everything.url);

const log = http.createServer((req, res) => {
  const headers = { 'access-control-allow-origin': '*', 'content-type': 'application/json' };
  if (req.url === '/requests') {
    const requests = front.requests.map(({ method, headers, body, status, startedAt, answeredAt, closedAt }) => ({
      method,
      session: headers['mcp-session-id'] ?? null,
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

// A loopback stand-in for a DNS-over-HTTPS resolver (JSON answers, as Cloudflare's
// `application/dns-json`) for the address guard's tests: every name resolves to a private
// address (10.0.0.7), and `nowhere.example` does not resolve at all (NXDOMAIN). `asked`
// holds every name it was asked for, in order.

import http from 'node:http';

/** Starts the resolver on a free loopback port; its `FETCH_DOH_URL` is `url`. */
export async function startPrivateDns() {
  const asked = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://dns.invalid');
    const name = url.searchParams.get('name');
    const type = url.searchParams.get('type');
    asked.push(name);
    const answer =
      name === 'nowhere.example'
        ? { Status: 3 }
        : { Status: 0, Answer: type === 'A' ? [{ name, type: 1, TTL: 60, data: '10.0.0.7' }] : [] };
    res.writeHead(200, { 'content-type': 'application/dns-json' }).end(JSON.stringify(answer));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/dns-query`,
    asked,
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}

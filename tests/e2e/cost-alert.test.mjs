// The daily cost alert: the cron trigger sums today's estimated cost in Supabase (through
// the PostgREST stand-in, on a real PostgreSQL) and posts to the webhook once the threshold
// is passed — once a day, however often the cron runs.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';

import { eventually, startSupabaseStack } from './support/supabase-stack.mjs';

const THRESHOLD = 1.5;

const posts = [];
const webhook = http.createServer((req, res) => {
  let body = '';
  req.on('data', (chunk) => (body += chunk));
  req.on('end', () => {
    posts.push(JSON.parse(body));
    res.writeHead(200).end('ok');
  });
});
await new Promise((resolve) => webhook.listen(0, '127.0.0.1', resolve));

let stack;
before(async () => {
  stack = await startSupabaseStack({
    vars: {
      DAILY_COST_ALERT_USD: String(THRESHOLD),
      COST_ALERT_WEBHOOK_URL: `http://127.0.0.1:${webhook.address().port}/hook`,
    },
  });
});
after(async () => {
  await stack?.stop();
  webhook.close();
});

async function seedCost(userId, cost) {
  await stack.db.query(
    `insert into public.usage_events (request_id, user_id, route, provider, model, cost_usd)
     values (gen_random_uuid()::text, $1, 'proxy', 'openai', 'gpt-4o', $2)`,
    [userId, cost],
  );
}

const runCron = async () => {
  const res = await fetch(`${stack.url}/__scheduled?cron=${encodeURIComponent('*/15 * * * *')}`);
  assert.equal(res.status, 200);
  await res.text();
};

describe('daily cost alert', () => {
  it('stays quiet below the threshold', async () => {
    const { id } = await stack.user();
    await seedCost(id, 1.0);
    await runCron();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.equal(posts.length, 0);
  });

  it('posts once when the day passes the threshold, not again on later runs', async () => {
    const { id } = await stack.user();
    await seedCost(id, 0.75);
    await runCron();
    const [post] = await eventually(() => posts.length > 0 && posts, { what: 'the webhook post' });
    assert.match(post.text, /\$1\.75/);
    assert.equal(post.content, post.text, 'Slack reads text, Discord reads content');
    await runCron();
    await runCron();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.equal(posts.length, 1);
  });
});

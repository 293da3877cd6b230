// Errors never leave a blank screen: a provider switched off by the operator shows
// "temporarily disabled" and Retry works once it is back on; a rate limit counts down
// from Retry-After; a proxy that is gone is said plainly, with Retry.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { openApp } from './support/app.mjs';

let app;
let ferry;
before(async () => {
  ({ app, ferry } = await openApp({ vars: { PROXY_DISABLE_MISTRAL: 'true' } }));
});
after(() => app?.stop());

describe('errors', () => {
  it('kill switch: "temporarily disabled", then Retry answers once it is lifted', async () => {
    await ferry.send('Are you there?');
    await ferry.banner.getByText(/temporarily disabled/).waitFor();
    await ferry.screenshot('disabled');
    await app.restartWorker();
    await ferry.banner.getByRole('button', { name: 'Retry' }).click();
    await ferry.answers.last().getByText('Hello from openai!').waitFor();
    await ferry.idle();
    assert.equal(await ferry.banner.count(), 0);
  });

  it('rate limit: a countdown from Retry-After, Retry enabled at its end', async () => {
    await app.restartWorker({ RATE_LIMIT_PER_MINUTE: '1' });
    await ferry.send('first');
    await ferry.idle();
    await ferry.send('second');
    const banner = ferry.banner;
    await banner.getByText(/Too many requests for now\. Retry in \d+ s\./).waitFor();
    const retry = banner.getByRole('button', { name: 'Retry' });
    assert.equal(await retry.isDisabled(), true);
    const first = Number((await banner.innerText()).match(/Retry in (\d+) s/)[1]);
    assert.ok(first > 0 && first <= 60, `${first}`);
    await ferry.page.waitForFunction(
      (first) => {
        const m = document.querySelector('[role=alert]')?.textContent.match(/Retry in (\d+) s/);
        return m && Number(m[1]) < first;
      },
      first,
    );
  });

  it('proxy gone: a clear message and Retry, never a blank page', async () => {
    await app.stopWorker();
    await ferry.page.reload();
    await ferry.open();
    await ferry.send('anyone?');
    await ferry.banner.getByText(/Can't reach the provider or the proxy/).waitFor();
    await ferry.banner.getByRole('button', { name: 'Retry' }).waitFor();
    await ferry.questions.getByText('anyone?').waitFor();
    await ferry.screenshot('offline');
  });
});

// The mock provider in a process of its own, so that it does not share an event loop with
// the benchmark's client. Prints its URL on the first line of stdout.
import { startMockProvider } from '../tests/e2e/support/mock-provider.mjs';

const mock = await startMockProvider();
process.stdout.write(`${mock.url}\n`);
process.on('SIGTERM', async () => {
  await mock.close();
  process.exit(0);
});

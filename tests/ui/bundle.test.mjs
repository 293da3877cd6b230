// What first paint loads stays small (ARCHITECTURE.md): the app's own wasm carries no
// Markdown parser — the agent module, loaded after first paint, does. (The size itself is
// measured by bench/ui.mjs.)

import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

import { DIST } from './support/app.mjs';

const read = (dir, pattern) =>
  readdirSync(dir)
    .filter((name) => pattern.test(name))
    .map((name) => readFileSync(path.join(dir, name)));

describe('first-paint bundle', () => {
  it('the app wasm has no Markdown parser; the agent module has it', () => {
    const app = read(DIST, /^web-ui-.*_bg\.wasm$/);
    const agent = read(path.join(DIST, 'web-agent-pkg'), /^web_agent_bg\.wasm$/);
    assert.equal(app.length, 1);
    assert.equal(agent.length, 1);
    // pulldown-cmark's panic locations name its crate: present where it is linked.
    assert.equal(app[0].includes('pulldown-cmark'), false, 'the app links pulldown-cmark');
    assert.equal(agent[0].includes('pulldown-cmark'), true);
  });
});

// The engine, in a module worker so that a huge input never freezes the page. The page posts
// `{id, pattern, events, detailLimit}` and gets back one reply per request:
// `{id, check, matches, details, elapsed}`, where `matches` is a Uint8Array (1 for each event that
// matches) and `details` holds `[index, {extracted, conditions}]` only for the events the page can
// draw (the first `detailLimit` events and the first `detailLimit` matches), so that the reply
// stays small whatever the input. `conditions` says, for a JSON pattern, which conditions held.
// A crash of the engine is reported as `{id, crashed}`; the page then starts a new worker.

import init, { Pattern, check, version } from './trailmatch_wasm.js';

// The panic hook writes the panic message with console.error just before the engine traps;
// keep it, so that the page can show it.
let lastConsoleError = '';
const consoleError = console.error.bind(console);
console.error = (...args) => {
  lastConsoleError = args.map(String).join(' ');
  consoleError(...args);
};

const ready = init().then(
  () => {
    self.postMessage({ type: 'ready', version: version() });
  },
  (error) => {
    self.postMessage({ type: 'failed', message: `could not load the engine: ${error}` });
    throw error;
  },
);

self.onmessage = async ({ data }) => {
  const { id, pattern, events, detailLimit } = data;
  try {
    await ready;
  } catch {
    return;
  }
  const started = performance.now();
  try {
    const checked = check(pattern);
    if (!checked.valid) {
      self.postMessage({ id, check: checked, matches: null, details: [], elapsed: performance.now() - started });
      return;
    }
    const compiled = new Pattern(pattern);
    const matches = new Uint8Array(events.length);
    const details = [];
    try {
      const explains = compiled.kind === 'json';
      let matched = 0;
      events.forEach((event, index) => {
        const extracted = compiled.test(event);
        if (extracted !== null) {
          matches[index] = 1;
          matched += 1;
        }
        if (index < detailLimit || (extracted !== null && matched <= detailLimit)) {
          details.push([index, { extracted, conditions: explains ? compiled.explain(event) : null }]);
        }
      });
    } finally {
      compiled.free();
    }
    const reply = { id, check: checked, matches, details, elapsed: performance.now() - started };
    self.postMessage(reply, [matches.buffer]);
  } catch (error) {
    self.postMessage({ id, crashed: lastConsoleError || String(error?.message ?? error) });
  }
};

// The engine, in a module worker so that a huge input never freezes the page. The page posts
// `{id, pattern, events, detailLimit}` and gets back one reply per request:
// `{id, check, matches, details, elapsed}`, where `matches` is a Uint8Array (1 for each event that
// matches) and `details` holds `[index, {extracted, conditions}]` only for the events the page can
// draw (the first `detailLimit` events and the first `detailLimit` matches), so that the reply
// stays small whatever the input. `conditions` says, for a JSON pattern or an event pattern, which
// conditions held. For an EventBridge event pattern (check's kind "event-pattern"), each event goes
// through `asEvent` first: a CloudTrail record is matched as EventBridge delivers it, wrapped in
// its envelope, and `wrap` in its details says so (`{kind, message}`).
// A crash of the engine is reported as `{id, crashed}`; the page then starts a new worker.

import init, { EventPattern, Pattern, asEvent, check, version } from './trailmatch_wasm.js';

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
    const matches = new Uint8Array(events.length);
    const details = [];
    if (checked.kind === 'event-pattern') {
      matchEventPattern(pattern, events, detailLimit, matches, details);
    } else {
      matchFilterPattern(pattern, events, detailLimit, matches, details);
    }
    const reply = { id, check: checked, matches, details, elapsed: performance.now() - started };
    self.postMessage(reply, [matches.buffer]);
  } catch (error) {
    self.postMessage({ id, crashed: lastConsoleError || String(error?.message ?? error) });
  }
};

/** Whether event `index` gets details: the first `limit` events, and the first `limit` matches. */
function wanted(index, matched, isMatch, limit) {
  return index < limit || (isMatch && matched <= limit);
}

function matchFilterPattern(pattern, events, detailLimit, matches, details) {
  const compiled = new Pattern(pattern);
  try {
    const explains = compiled.kind === 'json';
    let matched = 0;
    events.forEach((event, index) => {
      const extracted = compiled.test(event);
      if (extracted !== null) {
        matches[index] = 1;
        matched += 1;
      }
      if (wanted(index, matched, extracted !== null, detailLimit)) {
        details.push([index, { extracted, conditions: explains ? compiled.explain(event) : null }]);
      }
    });
  } finally {
    compiled.free();
  }
}

function matchEventPattern(pattern, events, detailLimit, matches, details) {
  const compiled = new EventPattern(pattern);
  try {
    let matched = 0;
    events.forEach((raw, index) => {
      const as = asEvent(raw);
      const isMatch = compiled.matches(as.event);
      if (isMatch) {
        matches[index] = 1;
        matched += 1;
      }
      if (wanted(index, matched, isMatch, detailLimit)) {
        const wrap = describeWrap(as);
        // Not a JSON object: no condition can hold (an empty list says so on the page).
        const conditions = compiled.explain(as.event) ?? [];
        details.push([index, { extracted: null, conditions, wrap }]);
      }
    });
  } finally {
    compiled.free();
  }
}

/** What the page says about how an event was taken: null when as given. */
function describeWrap(as) {
  if (as.kind === 'as-given') {
    return null;
  }
  if (as.kind === 'unwrappable') {
    return { kind: as.kind, message: as.message };
  }
  const envelope = JSON.parse(as.event);
  return { kind: as.kind, source: envelope.source, detailType: envelope['detail-type'] };
}

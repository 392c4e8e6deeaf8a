// The page's pure helpers, with no DOM and no engine: splitting pasted text into log events,
// the URL fragment that holds a test, and cutting a text into highlighted segments.
// test/events.test.mjs runs them in Node.

/**
 * Splits the events box into log events.
 *
 * - A CloudTrail log file (`{"Records": [...]}`) gives one event per record.
 * - A JSON array gives one event per element (strings as they are, other values as JSON).
 * - A TestMetricFilter request (`{"logEventMessages": [...]}`) gives its messages.
 * - Any other text gives one event per non-blank line (a JSON object on its own, even spread
 *   over several lines, is one event).
 *
 * Records and elements that are not strings are written back as compact JSON, the way
 * CloudTrail delivers a record to CloudWatch Logs.
 *
 * @param {string} text
 * @returns {{events: string[], source: "lines" | "cloudtrail" | "array" | "request" | "object"}}
 */
export function splitEvents(text) {
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let value;
    try {
      value = JSON.parse(trimmed);
    } catch {
      value = undefined;
    }
    if (Array.isArray(value)) {
      return { events: value.map(toMessage), source: 'array' };
    }
    if (value !== null && typeof value === 'object') {
      if (Array.isArray(value.Records)) {
        return { events: value.Records.map(toMessage), source: 'cloudtrail' };
      }
      if (Array.isArray(value.logEventMessages)) {
        return { events: value.logEventMessages.map(toMessage), source: 'request' };
      }
      if (trimmed.includes('\n')) {
        return { events: [JSON.stringify(value)], source: 'object' };
      }
    }
  }
  const events = text
    .split('\n')
    .map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line))
    .filter((line) => line.trim() !== '');
  return { events, source: 'lines' };
}

function toMessage(value) {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * The URL fragment that reproduces a test: `#pattern=…&events=…`.
 *
 * @param {string} pattern
 * @param {string} events the events box as typed
 * @returns {string} the fragment, with its `#`
 */
export function writeFragment(pattern, events) {
  const params = new URLSearchParams();
  params.set('pattern', pattern);
  params.set('events', events);
  return '#' + params.toString();
}

/**
 * The pattern and events of a fragment made by `writeFragment`; `null` when it holds neither.
 *
 * @param {string} hash `location.hash`
 * @returns {{pattern: string, events: string} | null}
 */
export function readFragment(hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  if (!params.has('pattern') && !params.has('events')) {
    return null;
  }
  return { pattern: params.get('pattern') ?? '', events: params.get('events') ?? '' };
}

/**
 * Cuts `text` into plain and marked segments. `marks` are `{start, end, kind}` in UTF-16
 * offsets (JavaScript string indices), as the engine reports them; overlapping or out-of-range
 * marks are clipped, and an empty mark stays as an empty segment (drawn as a caret).
 *
 * @param {string} text
 * @param {{start: number, end: number, kind: string}[]} marks
 * @returns {{text: string, kind: string | null}[]}
 */
export function segments(text, marks) {
  const out = [];
  let at = 0;
  const sorted = [...marks].sort((a, b) => a.start - b.start || a.end - b.end);
  for (const mark of sorted) {
    const start = Math.min(Math.max(mark.start, at), text.length);
    const end = Math.min(Math.max(mark.end, start), text.length);
    if (start > at) {
      out.push({ text: text.slice(at, start), kind: null });
    }
    out.push({ text: text.slice(start, end), kind: mark.kind });
    at = end;
  }
  if (at < text.length) {
    out.push({ text: text.slice(at), kind: null });
  }
  return out;
}

/**
 * A one-line summary of a CloudTrail record (`GetObject · s3.amazonaws.com · AccessDenied`), or
 * `null` for events that are not one.
 *
 * @param {string} event
 * @returns {string | null}
 */
export function describeCloudTrail(event) {
  if (!event.startsWith('{')) {
    return null;
  }
  let record;
  try {
    record = JSON.parse(event);
  } catch {
    return null;
  }
  if (record === null || typeof record !== 'object' || typeof record.eventName !== 'string') {
    return null;
  }
  const parts = [record.eventName, record.eventSource, record.errorCode];
  const identity = record.userIdentity;
  if (identity && typeof identity === 'object') {
    parts.push(identity.userName ?? identity.type);
  }
  return parts.filter((p) => typeof p === 'string' && p !== '').join(' · ');
}

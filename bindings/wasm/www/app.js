// The pattern tester page: reads the two boxes, asks the worker, shows the answer.
//
// Hooks for automation (kept stable): #pattern and #events (textareas); #results holds one
// element per event with data-event-index (0-based) and data-match="true"|"false"; #error holds
// the diagnostic text, empty when the pattern is valid. <body data-state> is "busy" while an
// answer is pending and "idle" once the page shows it.

import { describeCloudTrail, readFragment, segments, splitEvents, writeFragment } from './events.js';
import { examples } from './examples.js';

/** Results drawn on the page (the counts cover every event). */
const RENDER_LIMIT = 200;
/** Quiet time after typing before the engine runs. */
const DEBOUNCE_MS = 150;
/** Events longer than this are shown cut. */
const EVENT_PREVIEW_CHARS = 600;
/** Events boxes larger than this are left out of the link. */
const MAX_FRAGMENT_CHARS = 200_000;

const $ = (id) => document.getElementById(id);
const patternBox = $('pattern');
const eventsBox = $('events');
const highlights = $('pattern-highlights');
const backdrop = highlights.parentElement;
const errorBox = $('error');
const statusLine = $('status');
const eventsStatus = $('events-status');
const summary = $('summary');
const resultsList = $('results');
const onlyMatches = $('only-matches');
const exampleSelect = $('example');

let worker = null;
let busy = false;
let nextId = 0;
let latest = null; // {id, pattern, events, source}
let shown = null; // the last answer drawn, with its request
let errorMarks = [];
let timer = 0;

// ---- the worker ----------------------------------------------------------------------------------

function startWorker() {
  worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  worker.onmessage = ({ data }) => onReply(data);
  worker.onerror = (event) => {
    event.preventDefault();
    fail(`The engine could not start: ${event.message || 'see the browser console'}.`);
  };
}

function onReply(data) {
  if (data.type === 'ready') {
    $('version').textContent = `trailmatch ${data.version} (WebAssembly)`;
    return;
  }
  if (data.type === 'failed') {
    fail(`The engine could not start: ${data.message}`);
    return;
  }
  if (!latest || data.id !== latest.id) {
    return;
  }
  busy = false;
  if (data.crashed) {
    // A bug in the engine: say so, and start afresh for the next input.
    worker.terminate();
    startWorker();
    fail(`The engine crashed on this input (a bug in trailmatch; please report it): ${data.crashed}`);
    return;
  }
  shown = { request: latest, answer: data };
  draw();
  document.body.dataset.state = 'idle';
}

function fail(message) {
  busy = false;
  summary.textContent = message;
  summary.classList.add('failure');
  document.body.dataset.state = 'idle';
}

// ---- running -------------------------------------------------------------------------------------

function schedule() {
  document.body.dataset.state = 'busy';
  clearTimeout(timer);
  timer = setTimeout(run, DEBOUNCE_MS);
}

function run() {
  clearTimeout(timer);
  const pattern = patternBox.value;
  const { events, source } = splitEvents(eventsBox.value);
  describeEvents(events.length, source);
  saveFragment();
  if (busy) {
    // The worker is still busy with an older input: drop it rather than wait.
    worker.terminate();
    startWorker();
  }
  busy = true;
  document.body.dataset.state = 'busy';
  latest = { id: ++nextId, pattern, events, source };
  worker.postMessage({ id: latest.id, pattern, events, detailLimit: RENDER_LIMIT });
}

function describeEvents(count, source) {
  const n = `${count} event${count === 1 ? '' : 's'}`;
  const from = {
    lines: 'one per line',
    cloudtrail: 'the records of a CloudTrail log file',
    array: 'the elements of a JSON array',
    request: "a TestMetricFilter request's logEventMessages",
    object: 'one JSON object',
  }[source];
  const unlinked = eventsBox.value.length > MAX_FRAGMENT_CHARS ? ' (too large for the link, which keeps only the pattern)' : '';
  eventsStatus.textContent = count === 0 ? '' : `${n}: ${from}${unlinked}`;
}

// ---- drawing -------------------------------------------------------------------------------------

function draw() {
  const { request, answer } = shown;
  const { check } = answer;
  summary.classList.remove('failure');
  if (!check.valid) {
    errorBox.textContent = check.rendered;
    const inPattern = check.origin === 'filterPattern' || check.origin === 'EventPattern';
    errorMarks = inPattern ? [{ start: check.start, end: check.end, kind: 'error' }] : [];
    statusLine.textContent = '';
    drawHighlights(errorMarks);
    resultsList.replaceChildren();
    resultsList.dataset.kind = '';
    summary.textContent = 'Fix the pattern to see which events match.';
    return;
  }
  errorBox.textContent = '';
  errorMarks = [];
  drawHighlights([]);
  statusLine.textContent =
    check.kind === 'match-all'
      ? 'An empty pattern matches every event.'
      : check.kind === 'event-pattern'
        ? `Valid EventBridge event pattern; CloudTrail records are matched as EventBridge delivers them. Canonical form: ${check.canonical}`
        : `Valid ${kindName(check.kind)} pattern. Canonical form: ${check.canonical}`;
  resultsList.dataset.kind = check.kind;

  const { matches } = answer;
  const details = new Map(answer.details);
  let matched = 0;
  for (const m of matches) {
    matched += m;
  }
  const total = matches.length;
  const items = [];
  for (let i = 0; i < total && items.length < RENDER_LIMIT; i += 1) {
    if (!onlyMatches.checked || matches[i]) {
      items.push(drawResult(i, request.events[i], matches[i] === 1, details.get(i)));
    }
  }
  resultsList.replaceChildren(...items);
  if (total === 0) {
    summary.textContent = 'Paste log events to test the pattern against them.';
    return;
  }
  const shownCount = onlyMatches.checked ? Math.min(matched, RENDER_LIMIT) : Math.min(total, RENDER_LIMIT);
  const cut = items.length < (onlyMatches.checked ? matched : total) ? ` (showing the first ${shownCount})` : '';
  summary.textContent =
    `${matched} of ${total} event${total === 1 ? '' : 's'} match${matched === 1 ? 'es' : ''}` +
    ` · ${answer.elapsed.toFixed(1)} ms${cut}`;
}

function kindName(kind) {
  return { terms: 'term', regex: 'regex', json: 'JSON', delimited: 'space-delimited' }[kind] ?? kind;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

/** One event: its mark, its text, and what the worker said about it (`detail`). */
function drawResult(index, event, matches, detail) {
  const result = {
    matches,
    extracted: detail?.extracted ?? null,
    conditions: detail?.conditions ?? null,
    wrap: detail?.wrap ?? null,
  };
  const item = el('li', `result ${matches ? 'match' : 'no-match'}`);
  item.dataset.eventIndex = String(index);
  item.dataset.match = String(matches);
  item.tabIndex = 0;

  const head = el('div', 'result-head');
  head.append(
    el('span', 'badge', result.matches ? 'match' : 'no match'),
    el('span', 'event-number', `#${index + 1}`),
  );
  const about = describeCloudTrail(event);
  if (about) {
    head.append(el('span', 'event-about', about));
  }
  item.append(head);

  if (result.wrap) {
    const note =
      result.wrap.kind === 'wrapped'
        ? `CloudTrail record, matched as EventBridge delivers it: the detail of an event with source ${result.wrap.source} and detail-type "${result.wrap.detailType}".`
        : `CloudTrail record that could not be wrapped as EventBridge delivers it (${result.wrap.message}): matched as written.`;
    const line = el('p', `wrap-note ${result.wrap.kind}`, note);
    line.dataset.wrap = result.wrap.kind;
    item.append(line);
  }

  const preview = event.length > EVENT_PREVIEW_CHARS ? `${event.slice(0, EVENT_PREVIEW_CHARS)}…` : event;
  const text = el('code', 'event-text', preview);
  text.title = event.length > EVENT_PREVIEW_CHARS ? `${event.length} characters` : '';
  item.append(text);

  const values = result.extracted ? Object.entries(result.extracted) : [];
  if (values.length > 0) {
    const list = el('dl', 'extracted');
    for (const [key, value] of values) {
      list.append(el('dt', '', key), el('dd', '', value));
    }
    item.append(list);
  }

  if (result.conditions) {
    if (result.conditions.length === 0) {
      item.append(el('p', 'conditions-note', 'Not a JSON object, so no condition can hold.'));
    } else {
      const list = el('ul', 'conditions');
      for (const c of result.conditions) {
        const line = el('li', c.holds ? 'holds' : 'fails');
        line.dataset.holds = String(c.holds);
        line.append(el('span', 'mark', c.holds ? '✓' : '✗'), el('code', '', c.condition));
        list.append(line);
      }
      item.append(list);
      item.addEventListener('mouseenter', () => showConditions(result.conditions));
      item.addEventListener('focus', () => showConditions(result.conditions));
      item.addEventListener('mouseleave', () => drawHighlights(errorMarks));
      item.addEventListener('blur', () => drawHighlights(errorMarks));
    }
  }
  return item;
}

/** Colours the conditions of the pattern box: those that held, those that failed. */
function showConditions(conditions) {
  if (shown && shown.request.pattern === patternBox.value) {
    drawHighlights(conditions.map((c) => ({ start: c.start, end: c.end, kind: c.holds ? 'holds' : 'fails' })));
  }
}

/** The layer behind the pattern box: the same text, transparent, with marked spans. */
function drawHighlights(marks) {
  const text = patternBox.value;
  const nodes = segments(text, marks).map((s) => {
    if (!s.kind) {
      return document.createTextNode(s.text);
    }
    const mark = el('mark', s.text === '' ? `${s.kind} empty` : s.kind, s.text === '' ? '\u200b' : s.text);
    return mark;
  });
  // A final newline needs something after it to take its line.
  nodes.push(document.createTextNode('\u200b'));
  highlights.replaceChildren(...nodes);
  syncBackdrop();
}

function syncBackdrop() {
  backdrop.style.width = `${patternBox.offsetWidth}px`;
  backdrop.style.height = `${patternBox.offsetHeight}px`;
  highlights.style.width = `${patternBox.clientWidth}px`;
  backdrop.scrollTop = patternBox.scrollTop;
  backdrop.scrollLeft = patternBox.scrollLeft;
}

// ---- the link ------------------------------------------------------------------------------------

function saveFragment() {
  const events = eventsBox.value.length <= MAX_FRAGMENT_CHARS ? eventsBox.value : '';
  const fragment = writeFragment(patternBox.value, events);
  if (fragment !== location.hash) {
    history.replaceState(null, '', fragment);
  }
}

function loadFragment() {
  const test = readFragment(location.hash);
  if (!test) {
    return false;
  }
  patternBox.value = test.pattern;
  eventsBox.value = test.events;
  return true;
}

async function copyLink() {
  const button = $('copy-link');
  saveFragment();
  try {
    await navigator.clipboard.writeText(location.href);
    button.textContent = 'Copied';
  } catch {
    button.textContent = 'Copy it from the address bar';
  }
  setTimeout(() => {
    button.textContent = 'Copy link';
  }, 2000);
}

// ---- examples ------------------------------------------------------------------------------------

function fillExamples() {
  const groups = new Map();
  for (const example of examples) {
    if (!groups.has(example.group)) {
      const group = document.createElement('optgroup');
      group.label = example.group;
      groups.set(example.group, group);
      exampleSelect.append(group);
    }
    const option = el('option', '', example.title);
    option.value = example.id;
    groups.get(example.group).append(option);
  }
}

function loadExample(id) {
  const example = examples.find((e) => e.id === id);
  if (!example) {
    return;
  }
  patternBox.value = example.pattern;
  eventsBox.value = example.events.join('\n');
  run();
}

// ---- start ---------------------------------------------------------------------------------------

fillExamples();
startWorker();
if (!loadFragment()) {
  const first = examples[0];
  patternBox.value = first.pattern;
  eventsBox.value = first.events.join('\n');
}
drawHighlights([]);
run();

patternBox.addEventListener('input', () => {
  errorMarks = [];
  drawHighlights([]);
  schedule();
});
patternBox.addEventListener('scroll', syncBackdrop);
eventsBox.addEventListener('input', schedule);
onlyMatches.addEventListener('change', () => shown && draw());
exampleSelect.addEventListener('change', () => {
  loadExample(exampleSelect.value);
  exampleSelect.value = '';
});
$('copy-link').addEventListener('click', copyLink);
window.addEventListener('hashchange', () => {
  if (loadFragment()) {
    drawHighlights([]);
    run();
  }
});
new ResizeObserver(syncBackdrop).observe(patternBox);

// The page's pure helpers (www/events.js) and the provenance of its examples (www/examples.js).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { describeCloudTrail, readFragment, segments, splitEvents, writeFragment } from '../www/events.js';
import { examples } from '../www/examples.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

test('one event per non-blank line', () => {
  assert.deepEqual(splitEvents('ERROR a\r\n\n  \nINFO b\n'), { events: ['ERROR a', 'INFO b'], source: 'lines' });
  assert.deepEqual(splitEvents(''), { events: [], source: 'lines' });
});

test('JSON lines stay one event per line, byte for byte', () => {
  const text = '{"a": 1}\n{"b":2}';
  assert.deepEqual(splitEvents(text), { events: ['{"a": 1}', '{"b":2}'], source: 'lines' });
});

test('a CloudTrail log file gives one event per record', () => {
  const file = JSON.stringify({ Records: [{ eventName: 'A' }, { eventName: 'B', n: [1] }] }, null, 2);
  assert.deepEqual(splitEvents(file), {
    events: ['{"eventName":"A"}', '{"eventName":"B","n":[1]}'],
    source: 'cloudtrail',
  });
});

test('a JSON array gives one event per element', () => {
  assert.deepEqual(splitEvents('["ERROR a", {"x": 1}]'), { events: ['ERROR a', '{"x":1}'], source: 'array' });
});

test('a TestMetricFilter request gives its messages', () => {
  const request = '{"filterPattern": "ERROR", "logEventMessages": ["ERROR a", "INFO b"]}';
  assert.deepEqual(splitEvents(request), { events: ['ERROR a', 'INFO b'], source: 'request' });
});

test('a pretty-printed object is one event', () => {
  assert.deepEqual(splitEvents('{\n  "a": 1\n}'), { events: ['{"a":1}'], source: 'object' });
});

test('text that only looks like JSON is split into lines', () => {
  assert.deepEqual(splitEvents('[ERROR] 400\n[INFO] 200'), { events: ['[ERROR] 400', '[INFO] 200'], source: 'lines' });
});

test('the fragment round-trips any text', () => {
  const pattern = '{ $.a = "x y&z=#%" } 😀';
  const events = 'line 1\nline 2 + ü\t#';
  const hash = writeFragment(pattern, events);
  assert.ok(hash.startsWith('#pattern='));
  assert.deepEqual(readFragment(hash), { pattern, events });
  assert.equal(readFragment(''), null);
  assert.equal(readFragment('#other=1'), null);
});

test('segments cut a text at UTF-16 offsets', () => {
  const text = 'a😀bc';
  assert.deepEqual(segments(text, [{ start: 1, end: 3, kind: 'error' }]), [
    { text: 'a', kind: null },
    { text: '😀', kind: 'error' },
    { text: 'bc', kind: null },
  ]);
  // An empty mark at the end, and marks past the end, stay within the text.
  assert.deepEqual(segments('ab', [{ start: 2, end: 2, kind: 'error' }]), [
    { text: 'ab', kind: null },
    { text: '', kind: 'error' },
  ]);
  assert.deepEqual(segments('ab', [{ start: 5, end: 9, kind: 'x' }]), [
    { text: 'ab', kind: null },
    { text: '', kind: 'x' },
  ]);
});

test('CloudTrail records get a one-line summary', () => {
  const record = '{"eventName":"GetObject","eventSource":"s3.amazonaws.com","errorCode":"AccessDenied","userIdentity":{"type":"IAMUser","userName":"bob"}}';
  assert.equal(describeCloudTrail(record), 'GetObject · s3.amazonaws.com · AccessDenied · bob');
  assert.equal(describeCloudTrail('ERROR'), null);
  assert.equal(describeCloudTrail('{"a":1}'), null);
});

test('examples: unique ids, and CloudTrail events copied byte for byte from the corpus', () => {
  const corpus = new Set(
    readFileSync(`${repo}tests/corpus/cloudtrail/stratus-red-team.jsonl`, 'utf8').split('\n'),
  );
  const ids = new Set();
  for (const example of examples) {
    assert.ok(!ids.has(example.id), example.id);
    ids.add(example.id);
    assert.ok(example.pattern && example.title && example.group && example.events.length > 0, example.id);
    if (example.group.startsWith('CIS')) {
      for (const event of example.events) {
        assert.ok(corpus.has(event), `${example.id}: an event is not a line of stratus-red-team.jsonl`);
      }
    }
  }
});

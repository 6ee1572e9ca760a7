// The line of a syntax error: `new Function` names none, so the worker
// parses the source again as a nested worker's script. Node's vm has no
// Worker; these cases give the worker nestedWorkers() (harness.mjs), which
// behave as Chromium's do, and the e2e layer checks the real thing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, nestedWorkers, define, matches } from './harness.mjs';

test('a syntax error names the line the parser stopped at, found in a nested worker', async () => {
  const nested = nestedWorkers();
  const worker = startWorker({ globals: nested.globals });
  for (const [source, message, line] of [
    ['fromAll()\n  .when({\n    $any: (s, e) => { s.n = ; },\n  });', "the source does not parse: Unexpected token ';'", 3],
    // A comma where a closing brace is missing.
    ['fromAll()\n  .when({\n    $any: (s, e) => {\n      s.n = 1;\n    ,\n  });', "the source does not parse: Unexpected token ','", 5],
    // A stray closing brace, with more after it: new Function, parsing a
    // function body, takes the brace for the body's end and stumbles later.
    ["fromAll()\n  .when({\n    $any: (s) => s,\n  });\n}\nlog('after');", "the source does not parse: Unexpected token '}'", 5],
  ]) {
    const reply = await worker.send(define(source));
    matches(reply, { id: reply.id, op: 'fault', fault: { kind: 'definition', message, line } });
  }
  assert.equal(nested.scripts.length, 3, 'one parse each');
  assert.ok(nested.scripts.every((script) => /^throw "[^"]+";\n/.test(script)), 'each script throws before any of the source runs');
  assert.equal(nested.live(), 0, 'every nested worker is terminated and its URL revoked');
});

test('a source that returns at its top level, as new Function allows, is parsed in a function', async () => {
  const nested = nestedWorkers();
  const worker = startWorker({ globals: nested.globals });
  const reply = await worker.send(define('return fromAll()\n  .when({ $any: (s) => s }));'));
  matches(reply, { id: 1, op: 'fault', fault: { kind: 'definition', message: "the source does not parse: Unexpected token ')'", line: 2 } });
  assert.equal(nested.scripts.length, 2);
  assert.match(nested.scripts[1], /^throw "[^"]+";\nfunction __projection__\(\) \{\n[^]*\n\}$/, 'in a function never called, behind a throw');
  assert.equal(nested.live(), 0);
});

test('while it looks for the line, the worker says it is alive', async () => {
  const nested = nestedWorkers();
  const slowly = class extends nested.globals.Worker {
    run(text) { setTimeout(() => super.run(text), 30); }
  };
  const worker = startWorker({ globals: { ...nested.globals, Worker: slowly } });
  const reply = await worker.send(define('fromAll(', { rules: { heartbeatMs: 5 } }));
  matches(reply, { id: 1, op: 'fault', fault: { kind: 'definition', message: /^the source does not parse/, line: 1 } });
  assert.ok(worker.heartbeats().length >= 2, JSON.stringify(worker.heartbeats()));
});

test('a source that closes the wrapping function early still runs nothing', async () => {
  const nested = nestedWorkers();
  const worker = startWorker({ globals: nested.globals });
  // Fails `new Function` (a stray brace), returns at the top level, and would
  // put `ran()` outside the wrapper: only the leading throw keeps it from running.
  const reply = await worker.send(define('return 0;\n}\nran();\n{'));
  matches(reply, { id: 1, op: 'fault', fault: { kind: 'definition', message: /^the source does not parse/, line: (line) => line === null || line >= 1 } });
  assert.deepEqual(nested.ran, [], 'none of the source ran in a nested worker');
  assert.equal(nested.live(), 0);
});

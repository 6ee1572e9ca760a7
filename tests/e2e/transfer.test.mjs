// Import and export: the downloads, a whole sandbox carried into another,
// a 10 MB NDJSON import through the file picker with its preview and
// progress bar, all-or-nothing on a bad line or a conflict, and the
// window.sandbox methods.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import { startApp, openPage, reload, waitReady, attempt, eventually, artifacts, limit } from './harness.mjs';

/** Where the acceptance screenshot of the import preview goes. */
const previewShot = fileURLToPath(new URL('../../docs/screenshots/after/import-preview.png', import.meta.url));

let app;
before(async () => { app = await startApp(); }, limit);
after(async () => { await app?.stop(); }, limit);

const balances = `fromCategory('account')
  .foreachStream()
  .when({
    $init: () => ({ balance: 0 }),
    Deposited: (s, e) => { s.balance += e.data.amount; },
    Withdrawn: (s, e) => { s.balance -= e.data.amount; },
  })`;

/** Writes a stream of its own: its outputs are imported as events, and it must own them again. */
const noter = `fromCategory('account').when({
  Deposited: (s, e) => { emit('deposits', 'Noted', { amount: e.data.amount }); },
})`;

async function openSandbox(page, name, hash = '') {
  await page.goto(`${app.base}?sandbox=${name}${hash}`);
  await waitReady(page);
}

const count = (page) => page.evaluate(async () => (await window.sandbox.readAll({ direction: 'backwards', limit: 1 }))[0]?.position ?? -1);

/** Clicks a format's Download button and gives the file's text. */
async function download(page, fileName) {
  const [file] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('.export-formats li', { hasText: fileName }).getByRole('button').click(),
  ]);
  assert.equal(file.suggestedFilename(), fileName);
  return fs.readFileSync(await file.path(), 'utf8');
}

/** `n` NDJSON lines over `streams` streams, about `pad` bytes of data each. */
function ndjson(n, { streams = 40, pad = 0, at = '2026-11-18T11:06:40.123Z' } = {}) {
  const versions = new Map();
  const lines = [];
  for (let position = 0; position < n; position += 1) {
    const stream = `load-${position % streams}`;
    const version = versions.get(stream) ?? 0;
    versions.set(stream, version + 1);
    const id = `00000000-0000-4000-8000-${String(position).padStart(12, '0')}`;
    lines.push(JSON.stringify({
      stream, version, position, id, type: 'Loaded',
      data: { n: position, note: 'x'.repeat(pad) }, metadata: null, created: at,
    }));
  }
  return lines;
}

test('a whole sandbox exported and imported into another has equal events and projections', limit, async () => {
  const { page, context, errors } = await openPage(app);
  await page.evaluate(async ([source, noter]) => {
    await window.sandbox.loadSample();
    await window.sandbox.createProjection('balances', source);
    await window.sandbox.createProjection('paused', "fromAll().when({ $init: () => 0, $any: (n) => n + 1 })");
    await window.sandbox.stopProjection('paused');
    await window.sandbox.createProjection('noter', noter, { emit: true });
    await window.sandbox.projectionState('noter');
  }, [balances, noter]);
  const original = await page.evaluate(() => window.sandbox.readAll());
  const ada = await page.evaluate(() => window.sandbox.projectionState('balances', { partition: 'account-ada' }));

  await page.goto(`${app.base}#/transfer`);
  await waitReady(page);
  const lines = await download(page, 'default.ndjson');
  assert.equal(lines, await page.evaluate(() => window.sandbox.exportNdjson()));
  assert.deepEqual(lines.trim().split('\n').map((line) => JSON.parse(line)), original);
  const whole = await download(page, 'default.sandbox.json');
  const kurrent = JSON.parse(await download(page, 'default.kurrentdb.json'));
  // Streams in the order of their first event, each stream's events in order.
  assert.ok(original.some((e) => e.stream === 'deposits'), 'the projection wrote its stream');
  const byFirstEvent = [...new Set(original.filter((e) => e.stream !== 'deposits').map((e) => e.stream))];
  assert.deepEqual(kurrent.streams.map((s) => s.stream), byFirstEvent);
  for (const { stream, events } of kurrent.streams) {
    assert.deepEqual(events.map((e) => e.eventId), original.filter((e) => e.stream === stream).map((e) => e.id));
  }
  const first = kurrent.streams[0].events[0];
  assert.deepEqual(Object.keys(first), ['eventId', 'eventType', 'data', 'metadata']);
  assert.equal(first.eventId, original.find((e) => e.stream === 'account-ada').id);
  assert.deepEqual(kurrent.projections.map((p) => p.name).sort(), ['balances', 'noter', 'paused']);

  const file = path.join(artifacts, 'default.sandbox.json');
  fs.writeFileSync(file, whole);
  await openSandbox(page, 'carried', '#/transfer');
  await page.getByTestId('import-file').setInputFiles(file);
  await page.getByTestId('import-preview').waitFor();
  const deposits = original.filter((e) => e.stream === 'deposits').length;
  assert.equal(await page.getByTestId('preview-events').textContent(), String(20 + deposits));
  assert.match(await page.locator('.import-action').textContent(), new RegExp(`appends ${20 + deposits} events to 4 streams, then creates 3 projections`));
  assert.equal(await count(page), -1, 'nothing is written before Import');
  const { violations } = await new AxeBuilder({ page }).analyze();
  assert.deepEqual(violations.filter((v) => ['serious', 'critical'].includes(v.impact)).map((v) => v.id), [],
    'axe: nothing serious on the import preview');
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await page.locator('.import-done').waitFor();

  for (const step of ['now', 'after a reload']) {
    if (step !== 'now') await reload(page);
    // The emitting projection ran again over the imported events: it
    // recognised its outputs and wrote nothing twice.
    await page.evaluate(() => window.sandbox.projectionState('noter'));
    assert.deepEqual(await page.evaluate(() => window.sandbox.readAll()), original, step);
    const rows = await page.evaluate(() => window.sandbox.projections());
    const status = Object.fromEntries(rows.filter((p) => !p.system).map((p) => [p.name, p.status]));
    assert.deepEqual(status, { balances: 'Running', noter: 'Running', paused: 'Stopped' }, step);
    assert.deepEqual(await page.evaluate(() => window.sandbox.projectionState('balances', { partition: 'account-ada' })), ada, step);
  }
  // A whole sandbox goes only into an empty one.
  await page.goto(`${app.base}?sandbox=carried#/transfer`);
  await waitReady(page);
  await page.getByTestId('import-file').setInputFiles(file);
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  assert.match(await page.getByTestId('import-error').textContent(), new RegExp(`imports into an empty sandbox only, and this one has ${20 + deposits} events`));
  assert.deepEqual(errors, []);
  await context.close();
});

test('a 10 MB NDJSON file imports through the picker with a preview and a progress bar', limit, async () => {
  const { page, context, errors } = await openPage(app);
  const lines = ndjson(30_000, { pad: 300 });
  const file = path.join(artifacts, 'ten-megabytes.ndjson');
  fs.writeFileSync(file, lines.join('\n') + '\n');
  assert.ok(fs.statSync(file).size >= 10_000_000, `${fs.statSync(file).size} bytes`);

  // Tall enough for the whole preview, so the screenshot needs no scrolling.
  await page.setViewportSize({ width: 1280, height: 1500 });
  await openSandbox(page, 'big', '#/transfer');
  await page.getByTestId('import-file').setInputFiles(file);
  await page.getByTestId('import-preview').waitFor({ timeout: 60_000 });
  assert.equal(await page.getByTestId('preview-events').textContent(), '30,000');
  assert.match(await page.locator('.import-action').textContent(), /appends 30,000 events to 40 streams/);
  assert.match(await page.locator('.preview-events').textContent(), /^0@load-0 Loaded \{"n":0,"note":"x/);
  assert.equal(await count(page), -1, 'nothing is written before Import');

  const started = Date.now();
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  // The bar has moved: the first steps are written, the rest to come.
  await page.waitForFunction(() => Number(document.querySelector('#import-write')?.value) > 0);
  fs.mkdirSync(path.dirname(previewShot), { recursive: true });
  await page.screenshot({ path: previewShot });
  await page.locator('.import-done').waitFor({ timeout: 60_000 });
  console.log(`10 MB, 30,000 events written in ${Date.now() - started} ms (after the check)`);
  assert.match(await page.locator('.import-done').textContent(), /Imported 30,000 events/);
  assert.equal(await count(page), 29_999);
  await reload(page);
  assert.equal(await count(page), 29_999);
  const last = await page.evaluate(() => window.sandbox.readStream('load-39', { direction: 'backwards', limit: 1 }));
  assert.deepEqual([last[0].version, last[0].position, last[0].created], [749, 29_999, '2026-11-18T11:06:40.123Z']);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a malformed line near the end, or a conflict in the last event, writes nothing', limit, async () => {
  const { page, context, errors } = await openPage(app);
  await openSandbox(page, 'careful', '#/transfer');
  await page.evaluate(() => window.sandbox.append('load-3', [{ type: 'Here', data: {} }]));
  const lines = ndjson(2_000);
  const broken = JSON.parse(lines[1_998]);
  broken.version = 'three';
  const bad = [...lines];
  bad[1_998] = JSON.stringify(broken);
  const badFile = path.join(artifacts, 'bad-line.ndjson');
  fs.writeFileSync(badFile, bad.join('\n'));
  await page.getByTestId('import-file').setInputFiles(badFile);
  const message = await page.getByTestId('import-error').textContent();
  assert.equal(message, 'line 1999: "version" must be a whole number, got "three"; nothing was imported');
  assert.equal(await count(page), 0);

  // Every line is well formed, but load-3 exists here: the write refuses
  // the whole file, at the first line of load-3.
  const conflictFile = path.join(artifacts, 'conflict.ndjson');
  fs.writeFileSync(conflictFile, lines.join('\n'));
  await page.getByTestId('import-file').setInputFiles(conflictFile);
  await page.getByTestId('import-preview').waitFor();
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  assert.match(await page.getByTestId('import-error').textContent(),
    /^line 4: stream 'load-3' already exists in this sandbox \(up to version 0\)/);
  assert.equal(await count(page), 0);
  await reload(page);
  assert.equal(await count(page), 0);
  assert.deepEqual(await page.evaluate(() => window.sandbox.streams()).then((s) => s.map((r) => r.stream)), ['load-3']);
  assert.deepEqual(errors, []);
  await context.close();
});

test('window.sandbox.exportNdjson and importNdjson round-trip, and refuse with ImportError', limit, async () => {
  const { page, context, errors } = await openPage(app);
  await page.evaluate(() => window.sandbox.loadSample());
  const text = await page.evaluate(() => window.sandbox.exportNdjson());
  assert.equal(text.split('\n').length, 21, 'twenty lines and a final newline');
  const original = await page.evaluate(() => window.sandbox.readAll());

  await openSandbox(page, 'scripted');
  const imported = await attempt(page, (t) => window.sandbox.importNdjson(t), text);
  assert.deepEqual(imported, { ok: true, value: { imported: 20 } });
  assert.deepEqual(await page.evaluate(() => window.sandbox.readAll()), original);

  await openSandbox(page, 'refused');
  const lines = text.trim().split('\n');
  lines[2] = lines[2].replace('"type":"', '"type":0,"was":"');
  const refused = await attempt(page, (t) => window.sandbox.importNdjson(t), lines.join('\n'));
  assert.equal(refused.name, 'ImportError');
  assert.match(refused.message, /^line 3: "type" must be a string, got 0; nothing was imported$/);
  const again = await attempt(page, (t) => window.sandbox.importNdjson(t), text);
  assert.deepEqual(again.value, { imported: 20 });
  const twice = await attempt(page, (t) => window.sandbox.importNdjson(t), text);
  assert.equal(twice.name, 'ImportError');
  assert.match(twice.message, /^line 1: stream 'account-[a-z]+' already exists/);
  const notText = await attempt(page, () => window.sandbox.importNdjson(42));
  assert.equal(notText.name, 'InvalidArgument');
  await reload(page);
  assert.equal(await count(page), 19);
  assert.deepEqual(errors, []);
  await eventually(async () => assert.equal(await count(page), 19));
  await context.close();
});

// Writes the offline worker into a build: static/sw.js with its BUILD line
// filled in, as <build>/sw.js. Trunk's post_build hook (Trunk.toml) runs it
// with TRUNK_STAGING_DIR, the finished build before it moves to dist/.
//
//   node scripts/stamp-service-worker.mjs [build folder]
//
// BUILD lists every file of the build, which the worker precaches, and a
// version: a hash over the template and those files' names and contents.
// Any change to the build or the worker changes the version, so the browser sees a new sw.js, installs it
// into a cache of its own, and the old version's cache is deleted.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const WORKER = 'sw.js';
const TEMPLATE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'static', WORKER);
const BUILD_LINE = /^const BUILD = .*;$/gm;

/** Paths under `root`, relative and with `/`, sorted, without the worker itself. */
function buildFiles(root) {
  const files = [];
  const walk = (folder) => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) files.push(path.relative(root, full).split(path.sep).join('/'));
    }
  };
  walk(root);
  return files.filter((file) => file !== WORKER).sort();
}

/** A hash over the worker's template and the build's files, so a change to either is a new version. */
function versionOf(template, root, files) {
  const hash = crypto.createHash('sha256');
  hash.update(`${WORKER}\0${template.length}\0${template}`);
  for (const file of files) {
    // Name and length first, so moving bytes between files changes the hash too.
    const contents = fs.readFileSync(path.join(root, file));
    hash.update(`${file}\0${contents.length}\0`);
    hash.update(contents);
  }
  return hash.digest('hex').slice(0, 16);
}

function stamp(template, build) {
  const lines = template.match(BUILD_LINE) ?? [];
  if (lines.length !== 1) {
    throw new Error(`${TEMPLATE} must have exactly one line starting "const BUILD = " and ending ";", found ${lines.length}`);
  }
  // A function, so no `$` in a file name is read as a replacement pattern.
  return template.replace(BUILD_LINE, () => `const BUILD = ${JSON.stringify(build)};`);
}

/**
 * `trunk serve` puts its autoreload script (the one that opens
 * /.well-known/trunk/ws) into the page. A development build precaches
 * nothing: a cache-first app shell would show each rebuild one reload late.
 */
function isDevelopmentServe(root) {
  return fs.readFileSync(path.join(root, 'index.html'), 'utf8').includes('.well-known/trunk/ws');
}

function main() {
  const root = process.env.TRUNK_STAGING_DIR || process.argv[2];
  if (!root) throw new Error('no build folder: pass one, or set TRUNK_STAGING_DIR (Trunk\'s post_build hook does)');
  if (!fs.existsSync(path.join(root, 'index.html'))) throw new Error(`${root} has no index.html: is it a build?`);
  const development = isDevelopmentServe(root);
  const files = development ? [] : buildFiles(root);
  const template = fs.readFileSync(TEMPLATE, 'utf8');
  const build = { version: versionOf(template, root, buildFiles(root)), files };
  fs.writeFileSync(path.join(root, WORKER), stamp(template, build));
  const what = development ? 'nothing precached (trunk serve: every rebuild shows on reload)' : `${files.length} files precached`;
  console.log(`${WORKER}: version ${build.version}, ${what}`);
}

try {
  main();
} catch (error) {
  console.error(`stamp-service-worker: ${error.message}`);
  process.exit(1);
}

// The small log the time-travel tests fold at every position, and their helpers.
import { rows, streamRows, DATABASE } from './harness.mjs';

/** A fixed pseudo-random sequence (mulberry32) from `seed`. */
export function random(seed) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A copy of `list` in the order `next` (a random()) picks. */
export function shuffled(list, next) {
  const copy = [...list];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(next() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

/** The position of the one withdrawal that overdraws (and says `boom`). */
export const THROWS_AT = 30;

/**
 * 60 events over four accounts: opened, then deposits and withdrawals that
 * never overdraw but at THROWS_AT; account-b closed (its state set to null)
 * and reopened at once, account-c closed and reopened after other
 * partitions' events (so it is initialised again); customer and system
 * streams between, which a category source does not read.
 */
export const ACCOUNTS_60 = (() => {
  const accounts = ['account-a', 'account-b', 'account-c', 'account-d'];
  const owners = ['Ada', 'Zoë', 'Grace', '李'];
  const balance = Object.fromEntries(accounts.map((a) => [a, 0]));
  const next = random(60);
  const events = accounts.map((stream, i) => [stream, 'Opened', { owner: owners[i] }]);
  while (events.length < 60) {
    const i = events.length;
    // account-c stays closed from 40 to 44.
    const open = i > 40 && i < 44 ? ['account-a', 'account-b', 'account-d'] : accounts;
    const stream = open[Math.floor(next() * open.length)];
    if (i === THROWS_AT) {
      events.push(['account-d', 'Withdrawn', { amount: balance['account-d'] + 60, boom: true }]);
    } else if (i === 20 || i === 21) {
      events.push(['account-b', i === 20 ? 'Closed' : 'Reopened', {}]);
      balance['account-b'] = 0;
    } else if (i === 40 || i === 44) {
      events.push(['account-c', i === 40 ? 'Closed' : 'Reopened', {}]);
      balance['account-c'] = 0;
    } else if (i % 9 === 0) {
      events.push([`customer-${i}`, 'Registered', { amount: 99 }]);
    } else if (i % 11 === 0) {
      events.push(['$stats-1', 'Deposited', { amount: 70 }]);
    } else if (balance[stream] > 10 && next() < 0.4) {
      const amount = 5 + Math.floor(next() * Math.min(balance[stream] - 5, 80));
      balance[stream] -= amount;
      events.push([stream, 'Withdrawn', { amount }]);
    } else {
      const amount = 10 + Math.floor(next() * 91);
      balance[stream] += amount;
      events.push([stream, 'Deposited', { amount }]);
    }
  }
  return events;
})();

/**
 * The databases of a log in which the events at `positions` have a type no
 * projection handles: the log with those events left out, all else (positions,
 * versions) the same.
 */
export function ignoring(events, positions) {
  const log = rows(events).map((row) => (positions.includes(row.position) ? { ...row, type: 'Ignored' } : row));
  return { [DATABASE]: { events: log, streams: streamRows(log) } };
}

/** The 32-bit FNV-1a hash of a text's UTF-8 bytes, as TextEncoder makes them. */
export function fnv1a(text) {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) hash = Math.imul(hash ^ byte, 0x01000193);
  return hash >>> 0;
}

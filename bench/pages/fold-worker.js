// The raw baseline's worker: receives the events in one postMessage and
// folds them in plain JS, the same sum per account stream the sandbox's
// projection computes.
self.onmessage = ({ data: rows }) => {
  const balances = new Map();
  for (const row of rows) {
    if (!row.stream.startsWith('account-')) continue;
    const data = JSON.parse(row.data);
    balances.set(row.stream, (balances.get(row.stream) ?? 0) + data.amount);
  }
  postMessage(balances.size);
};

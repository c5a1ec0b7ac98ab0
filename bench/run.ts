/** Runs every benchmark in turn. Each prints its table and writes bench/results/<name>.json. */
const BENCHES = [
  './datastore.js',
  './ipam.js',
  './cni.js',
  './policy.js',
  './lab-net.js',
  './lab-join.js',
  './lab-rss.js',
];
for (const b of BENCHES) await import(b);

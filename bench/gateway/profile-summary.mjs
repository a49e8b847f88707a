// Summarises a V8 .cpuprofile by where the time went: which package or part of the runtime.
// Usage: node bench/gateway/profile-summary.mjs FILE.cpuprofile
import { readFileSync } from 'node:fs';

const profile = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = profile.timeDeltas;
for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (dt[i] ?? 0));

function bucket(node) {
  const { url, functionName } = node.callFrame;
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (functionName === '(program)') return 'V8 / native (program)';
  if (!url) return `native: ${functionName || '(anonymous)'}`;
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  if (url.startsWith('node:')) return `node: ${url.slice(5).split('/')[0]}`;
  if (url.includes('/dist/')) return 'flowsmith code';
  return url;
}

const totals = new Map();
let all = 0;
for (const [id, us] of self) {
  const b = bucket(byId.get(id));
  totals.set(b, (totals.get(b) ?? 0) + us);
  all += us;
}
const busy = all - (totals.get('idle') ?? 0);
console.log(`| where | share of busy CPU |\n|---|---|`);
for (const [b, us] of [...totals].filter(([b]) => b !== 'idle').sort((a, c) => c[1] - a[1]).slice(0, 14)) {
  console.log(`| ${b} | ${((100 * us) / busy).toFixed(1)}% |`);
}
console.log(`\nidle: ${((100 * (totals.get('idle') ?? 0)) / all).toFixed(1)}% of the profile`);

import { configSchema, DOMAIN_NAMES } from '../src/config/schema.js';
import { seededRng } from '../src/core/random.js';
import { judgeNight } from '../src/loop/analysis/judge.js';
import { nightFromReport } from '../src/loop/analysis/night.js';
import { judgeConfig } from '../src/loop/analysis/rules.js';
import { type DomainSpec, memoryNight, noisyDomain } from '../test/support/records.js';
const cfg = judgeConfig(configSchema.parse({}));
const nights = Array.from({ length: 8 }, (_, i) => {
  const rng = seededRng(i);
  const domains: Record<string, DomainSpec> = {};
  DOMAIN_NAMES.forEach((n, k) => { domains[n] = noisyDomain(rng, { n: 1000, ttftMs: 100 + k * 50, itlMs: 20, cv: 0.1, tokPerS: 1000, level: i === 7 ? 1.3 : 1 }); });
  return nightFromReport(memoryNight({ ts: i * 86400000, domains }));
});
for (let r = 0; r < 20; r++) {
  const t = performance.now(); const c = process.cpuUsage();
  judgeNight(nights.slice(0, 7), nights[7]!, cfg);
  const u = process.cpuUsage(c);
  console.log('judge wall', (performance.now() - t).toFixed(1), 'cpu', ((u.user + u.system) / 1000).toFixed(1));
}

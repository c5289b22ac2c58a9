import { Pool } from 'undici';
import { performance } from 'node:perf_hooks';
const port = Number(process.argv[2]);
const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 32 });
for (const mode of ['get', 'post', 'get', 'post']) {
  let n = 0; const end = performance.now() + 2000;
  async function w() { while (performance.now() < end) { const r = await pool.request(mode === 'get' ? { path: '/x', method: 'GET' } : { path: '/v1/chat/completions', method: 'POST', body: '{}' }); for await (const _c of r.body) {} n++; } }
  await Promise.all(Array.from({ length: 32 }, w));
  console.log(mode, Math.round(n / 2));
}
await pool.close();

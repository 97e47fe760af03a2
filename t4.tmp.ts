import { startTestServer, rest, connectMcp, callTool } from './test/helpers/server.ts';
import { GUIDE } from './test/compress/fixtures.ts';
const s = await startTestServer();
try {
  let r = await rest(s, 'POST', '/v1/compress', { key: s.ownerKey, body: { text: GUIDE, fidelity: 'balanced' } });
  console.log(r.status, r.headers.get('x-cache-hit'), r.headers.get('x-fidelity-warning'), JSON.stringify(r.body).slice(0, 600));
  console.log(r.body.compressed);
  r = await rest(s, 'POST', '/v1/compress', { key: s.ownerKey, body: { text: GUIDE, fidelity: 'balanced' } });
  console.log(r.status, r.headers.get('x-cache-hit'), r.body.cache);
  r = await rest(s, 'POST', '/v1/compress', { key: s.ownerKey, body: { text: GUIDE, fidelity: 'outline', query: 'what does computeBackoff do?' } });
  console.log(r.status, r.body.compressed);
  r = await rest(s, 'POST', '/v1/compress', { key: s.ownerKey, body: { text: GUIDE, fidelity: 'bogus' } });
  console.log(r.status, r.body);
  r = await rest(s, 'POST', '/v1/compress', { key: s.ownerKey, body: { text: '' } });
  console.log(r.status, r.body);
  r = await rest(s, 'POST', '/v1/compress', { key: s.ownerKey, body: { text: 'key AKIAIOSFODNN7EXAMPLE here' } });
  console.log(r.status, r.body);
} finally { await s.close(); }

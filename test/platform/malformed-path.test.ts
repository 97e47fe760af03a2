// A URL whose path parameter is not valid percent-encoding is the client's mistake: 400 naming the
// path, never the opaque 500 the router's URIError used to become.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rest, startTestServer, type TestServer } from '../helpers/server.js';

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => {
  await srv?.close();
});

describe('malformed percent-encoding in a REST path', () => {
  it('is a 400 naming the path, on keyed routes and a public one', async () => {
    for (const [method, path, key] of [
      ['DELETE', '/v1/documents/%E0%A4%A', srv.ownerKey],
      ['GET', '/v1/documents/%FF/skeleton', srv.ownerKey],
      ['GET', '/v1/contexts/%E0%A4%A', null],
    ] as const) {
      const r = await rest(srv, method, path, { key });
      expect(r.status, `${method} ${path}`).toBe(400);
      expect(r.body).toMatchObject({ error_code: 'malformed_path', field: '(path)', rule: 'percent_encoding' });
      expect(JSON.stringify(r.body)).not.toContain('%E0');
    }
    // A well-formed escape of an unknown id still reaches the tool.
    const ok = await rest(srv, 'DELETE', '/v1/documents/doc%5Fnope', { key: srv.ownerKey });
    expect(ok.status).toBe(404);
  });
});

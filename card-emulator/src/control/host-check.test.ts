import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { demoCardDocuments, generateKeyset } from '../cards/index.js';
import { Emulator } from './emulator.js';
import { createControlServer, isLoopbackHost } from './server.js';

/** Sends a request with exactly the Host header given (fetch would set its own). */
function get(port: number, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the control API against DNS rebinding', () => {
  let server: ReturnType<typeof createControlServer>;
  let port: number;

  before(async () => {
    server = createControlServer(new Emulator(generateKeyset(), demoCardDocuments()));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });

  after(() => server.close());

  test('answers its loopback names on its own port', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`]) {
      assert.equal((await get(port, '/cards', host)).status, 200, host);
    }
  });

  test('refuses a Host that is another name, or a loopback name on another port', async () => {
    for (const host of [
      `rebind.evil.example:${port}`,
      'rebind.evil.example',
      `127.0.0.1.evil.example:${port}`,
      `localhost:${port + 1}`,
      '127.0.0.1',
    ]) {
      const reply = await get(port, '/cards', host);
      assert.equal(reply.status, 403, host);
      assert.equal(JSON.parse(reply.body).code, 'HOST_NOT_ALLOWED');
    }
  });

  test('answers a malformed %-escape in a slot name with 400', async () => {
    const reply = await get(port, '/slots/%E0%A4%A/remove', `127.0.0.1:${port}`);
    assert.equal(reply.status, 400);
  });

  test('parses Host values', () => {
    assert.ok(isLoopbackHost('[::1]:8687', 8687));
    assert.ok(isLoopbackHost('localhost', 80));
    assert.ok(!isLoopbackHost('[::2]:8687', 8687));
    assert.ok(!isLoopbackHost(undefined, 8687));
  });
});

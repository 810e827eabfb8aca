import { announceReady } from '../lib/children.js';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface BareServerInput {
  keyPem: string;
  certPem: string;
  caPem: string;
  /** The JSON the server answers every request with (a real identity-check answer, same size). */
  body: string;
}

/**
 * The baseline server: `node:https` with the service's TLS setup (its key and certificate, its
 * CA, a client certificate required and verified) answering every request with one fixed JSON
 * body after reading the request. What is left of a request when the service's work is removed.
 */
const input = JSON.parse(process.argv[2] ?? '{}') as BareServerInput;
const body = Buffer.from(input.body);
const server = createServer(
  {
    key: input.keyPem,
    cert: input.certPem,
    ca: [input.caPem],
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
  },
  (req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': body.length,
      });
      res.end(body);
    });
  },
);
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  announceReady({ url: `https://127.0.0.1:${port}` });
});
process.once('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});

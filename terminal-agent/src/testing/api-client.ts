import { type IncomingHttpHeaders, request as httpRequest } from 'node:http';
import { WebSocket } from 'ws';

/**
 * The raw client side of the local API tests: requests and WebSocket upgrades spelled exactly as
 * the test writes them (any method, path and header), which a real HTTP client would tidy up.
 */

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  json: () => Record<string, unknown>;
}

/** One HTTP request to the API at `target`, whatever its address, naming the loopback host. */
export function send(
  target: { address: string; port: number },
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: target.address,
        port: target.port,
        method,
        path,
        headers: { host: `127.0.0.1:${target.port}`, ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text,
            json: () => JSON.parse(text),
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Opens a WebSocket; resolves with the socket, or with the HTTP status of a refused upgrade. */
export function openWebSocket(url: string, headers: Record<string, string>): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
    ws.once('error', reject);
  });
}

/** Sends one message over the socket and resolves with the next message back, parsed. */
export function callOver(ws: WebSocket, message: string | Buffer): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    ws.once('message', (data) => resolve(JSON.parse(data.toString())));
    ws.send(message);
  });
}

import { MinistryReturnCode } from '@sscard/agent-protocol';
import { WebSocketServer } from 'ws';
import type { Logger } from '@sscard/log';
import type { AgentActions } from './agent-actions.js';
import type { AgentMetrics } from './metrics.js';
import { callMinistry, type MinistryResponse, parseMinistryMessage } from './ministry.js';

/**
 * The ministry interface over a plain WebSocket, as reader vendors offer it to HIS pages. Calls on
 * one connection are answered in the order they were sent (a page that fires iReadCardBas twice
 * gets two answers in order), and a binary or malformed message gets -14 rather than a close, so
 * existing pages see the error codes they already handle.
 */
export function createMinistrySocketServer(options: {
  actions: AgentActions;
  metrics: AgentMetrics;
  log: Logger;
}): WebSocketServer {
  const { actions, metrics, log } = options;
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096, perMessageDeflate: false });

  wss.on('connection', (socket, req) => {
    metrics.clients.inc({ transport: 'ministry-ws' });
    log.info('ministry client connected', { origin: req.headers.origin });
    let queue: Promise<void> = Promise.resolve();
    socket.on('close', () => metrics.clients.dec({ transport: 'ministry-ws' }));
    socket.on('error', (error) => log.warn('ministry client error', { error }));
    socket.on('message', (data, isBinary) => {
      queue = queue
        .then(async () => {
          let response: MinistryResponse;
          if (isBinary) {
            response = { functionName: '', success: MinistryReturnCode.BAD_PARAMETER, pOutInfo: '' };
          } else {
            const parsed = parseMinistryMessage(data.toString());
            response = await callMinistry(actions.ministry, parsed, (e, fn) => actions.ministryCode(e, fn));
            if (parsed.ok && parsed.fn === 'iReadCardBas') {
              metrics.cardReads.inc({ interface: 'ministry-ws', code: String(response.success) });
            }
          }
          if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(response));
        })
        .catch((error: unknown) => log.error('ministry call failed', { error }));
    });
  });
  return wss;
}

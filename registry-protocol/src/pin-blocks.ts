import { z } from 'zod';
import { contracts } from './contracts.js';
import { hex } from './fields.js';
import { route } from './route.js';

/**
 * A bank PIN as it left a counter's PIN pad: an ISO 9564 PIN block (format 0 or 4) enciphered
 * under the terminal PIN key injected into that pad (`sscard-hsm terminal-pin-key` for the
 * terminal the certificate names), for the account `pan`.
 */
export const pinBlockTranslationRequestSchema = z
  .strictObject({
    pan: z.string().regex(/^\d{13,19}$/, 'a PAN of 13 to 19 digits'),
    format: z.union([z.literal(0), z.literal(4)]),
    /** 8 bytes (format 0, 3DES) or 16 (format 4, AES), hex. */
    pinBlock: hex([16, 32]),
  })
  .register(contracts, { id: 'PinBlockTranslationRequest' });
export type PinBlockTranslationRequest = z.input<typeof pinBlockTranslationRequestSchema>;

/** The same PIN under the zone PIN key, as format 0: what goes to the bank with the authorisation. */
export const pinBlockTranslationSchema = z
  .object({ pinBlock: hex([16]), format: z.literal(0) })
  .register(contracts, { id: 'PinBlockTranslation' });
export type PinBlockTranslation = z.output<typeof pinBlockTranslationSchema>;

export const pinBlockRoutes = [
  route({
    operationId: 'translatePinBlock',
    method: 'post',
    path: '/v1/pin-blocks/translate',
    summary:
      "Re-encipher a bank PIN block from the counter's PIN pad key to the zone PIN key, inside the HSM (bank terminals; the PIN is never in clear outside the pad and the HSM)",
    tag: 'terminal',
    access: { terminals: ['bank'] },
    body: pinBlockTranslationRequestSchema,
    responses: {
      200: { description: 'the PIN block under the zone PIN key, format 0', body: pinBlockTranslationSchema },
    },
  }),
] as const;

import { maskPan } from '@sscard/card-core';
import type { PinBlockTranslation, PinBlockTranslationRequest } from '@sscard/registry-protocol';
import type { AuditWriter } from '../audit/audit-writer.js';
import type { HsmClient } from '../hsm/hsm-client.js';

/** The account shown in the audit log: its last four digits only. */
const maskedPan = (pan: string): string => `pan ${maskPan(pan)}`;

/**
 * Bank PINs from counter PIN pads (DESIGN.md §3, HSM boundary): the pad enciphered the PIN block
 * under the terminal PIN key injected into it for this terminal; the HSM re-enciphers it under the
 * zone PIN key, and the PIN is in clear nowhere but inside the pad and the HSM. Every translation
 * is audited, a refused block (another terminal's key, another account) as such.
 */
export class PinBlocks {
  constructor(
    private readonly hsm: HsmClient,
    private readonly audit: AuditWriter,
  ) {}

  async translate(terminalId: string, request: PinBlockTranslationRequest): Promise<PinBlockTranslation> {
    const audit = (result: 'ok' | 'PIN_BLOCK_INVALID') =>
      this.audit.append({
        terminalId,
        action: 'pin.translate',
        subject: maskedPan(request.pan),
        result,
        details: { format: request.format },
      });
    try {
      const answer = await this.hsm.translatePin({
        terminalId,
        format: request.format,
        pinBlock: request.pinBlock,
        pan: request.pan,
      });
      await audit('ok');
      return { pinBlock: answer.pinBlock, format: 0 };
    } catch (e) {
      if ((e as { code?: unknown }).code === 'PIN_BLOCK_INVALID') await audit('PIN_BLOCK_INVALID');
      throw e;
    }
  }
}

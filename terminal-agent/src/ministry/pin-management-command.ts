import { CLA, INS, PIN_MANAGEMENT_OP, requireSuccess } from '@sscard/card-core';
import type { PinManagementOperation } from '@sscard/registry-protocol';
import { INITIAL_PIN, pinToBcd } from '../apps/pin.js';
import type { CardSession } from '../session/card-session.js';

/**
 * RELOAD PIN (to the initial PIN) or PIN UNBLOCK with the command's 4-byte MAC, whoever computed it
 * (the PSAM or the ministry's HSM); the card must answer 9000.
 */
export async function transmitPinManagement(
  session: CardSession,
  operation: PinManagementOperation,
  mac: Buffer,
): Promise<void> {
  const answer =
    operation === 'reload'
      ? await session.transmit({
          cla: CLA.PROPRIETARY,
          ins: INS.PIN_MANAGEMENT,
          p1: PIN_MANAGEMENT_OP.reload,
          p2: 0x00,
          data: Buffer.concat([pinToBcd(Buffer.from(INITIAL_PIN, 'ascii')), mac]),
        })
      : await session.transmit({
          cla: CLA.PROPRIETARY_SECURE_MESSAGING,
          ins: INS.PIN_UNBLOCK,
          p1: 0x00,
          p2: 0x00,
          data: mac,
        });
  requireSuccess(answer, operation === 'reload' ? 'reload PIN' : 'unblock PIN');
}

import {
  CLA,
  INS,
  challengeBlock,
  maskCardNumber,
  pinUnblockMacInput,
  requireSuccess,
  singleBlockMacInput,
} from '@sscard/card-core';
import type { PinManagementOperation } from '@sscard/registry-protocol';
import { MinistryReturnCode } from '@sscard/agent-protocol';
import type { SsseCardOsProfile } from '@sscard/firmware-profiles';
import type { Logger } from '@sscard/log';
import { INITIAL_PIN, pinToBcd } from '../apps/pin.js';
import { Psam } from '../apps/psam.js';
import { returnCodeFor } from '../apps/return-codes.js';
import { readSsse, type SsseCardInfo } from '../apps/ssse.js';
import type { ReaderManager } from '../readers/reader-manager.js';
import { openCardSession } from '../session/card-session.js';
import { transmitPinManagement } from './pin-management-command.js';

/**
 * RELOAD PIN (to the initial PIN) or PIN UNBLOCK at a counter terminal with a PSAM: the card's
 * challenge, the command's MAC from the PSAM's `pinReload` key (docs/card-conventions.md), the
 * command. The card is held for the whole operation: the challenge is good for its next command.
 * `spend` is asked once the card is known to be the one meant and before the PSAM makes the MAC
 * (a bureau counter spends the clerk's authorisation there); a code from it ends the operation.
 */
export async function pinCommandWithPsam(
  options: {
    readers: ReaderManager;
    cardOsOf: (atr: Buffer) => SsseCardOsProfile | undefined;
    log: Logger;
  },
  operation: PinManagementOperation,
  accept: (info: SsseCardInfo) => boolean,
  spend: (info: SsseCardInfo) => Promise<number | undefined>,
): Promise<{ code: number; output: string }> {
  const { readers, log } = options;
  let psam: Psam | undefined;
  try {
    const session = await openCardSession(readers, undefined, { roles: ['user'] });
    try {
      const cardOs = options.cardOsOf(session.atr);
      const read = await readSsse(session, { fields: 'readCardBas', ...(cardOs ? { cardOs } : {}) });
      if (!accept(read.info)) return { code: MinistryReturnCode.DATA_MISMATCH, output: '' };
      psam = Psam.take(readers);
      const stopped = await spend(read.info);
      if (stopped !== undefined) return { code: stopped, output: '' };
      const data =
        operation === 'reload' ? pinToBcd(Buffer.from(INITIAL_PIN, 'ascii')) : pinUnblockMacInput();
      const challenge = requireSuccess(
        await session.transmit({ cla: CLA.ISO, ins: INS.GET_CHALLENGE, p1: 0x00, p2: 0x00, le: 8 }),
        'get challenge',
      );
      const block = singleBlockMacInput(read.algorithm, data, challengeBlock(read.algorithm, challenge));
      const mac = (await psam.cryptogram('pinReload', read.algorithm, read.info.cardIdCode, block)).subarray(
        0,
        4,
      );
      await transmitPinManagement(session, operation, mac);
      log.info('PIN management', {
        operation,
        via: 'psam',
        cardNumber: maskCardNumber(read.info.cardNumber),
      });
      return { code: MinistryReturnCode.OK, output: '' };
    } finally {
      await session.close();
    }
  } catch (e) {
    return { code: returnCodeFor(e), output: '' };
  } finally {
    await psam?.close();
  }
}

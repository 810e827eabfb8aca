import { type SsseBasicInfo, maskIdNumber, maskName } from '@sscard/card-core';
import type { VerificationReport } from '../verification/types.js';
import type { RegistryClient } from './client.js';
import { isRegistryError } from './errors.js';
import type { CardPresentProof } from './remote-card-auth.js';
import type { IdentityCheckAnswer as IdentityCheckResult } from './client.js';

/**
 * The registry's view of a card the terminal has just read: known, in force, whose, and what the
 * holder is insured for. The card side decides whether the card is genuine; this asks the
 * registry whether it is valid. What the terminal shows is masked whatever the service sent: a
 * screen in a service hall is not the place for a full ID number.
 */

export type RegistryCheckStatus =
  /** The registry knows the card and it is in force. */
  | 'valid'
  /** The registry refused it; `reason` is the service's code (`CARD_TEMPORARILY_LOST`, `HOLDER_MISMATCH`, …). */
  | 'invalid'
  /** Not asked: the card failed local verification or did not release what the check needs. */
  | 'skipped'
  /** Asked, but no verdict came back (service unreachable, terminal revoked…); `reason` is the RegistryError code. */
  | 'unavailable';

export interface RegistryCheckResult {
  status: RegistryCheckStatus;
  valid: boolean;
  reason?: string;
  /** A sentence for the operator; never personal data. */
  message: string;
  /** True when the card proved its presence with a fresh cryptogram and the service verified it. */
  cardPresent: boolean;
  checkedAt?: string;
  card?: IdentityCheckResult['card'];
  holder?: { name: string; idNumber: string; gender: string; region: string };
  coverage?: NonNullable<IdentityCheckResult['coverage']>;
}

export interface CardReadForCheck {
  /** What the card released (card-core `SsseBasicInfo`, or the card side's read result with empty holder fields). */
  info: Pick<SsseBasicInfo, 'cardIdCode' | 'cardNumber'> & { ssn: string; name: string };
  /** The card side's verification; a card that failed it is not sent to the registry. */
  verification?: VerificationReport;
  /** False for a generation 3 card read without a PSAM: no holder data to compare. */
  holderDataRead?: boolean;
}

const REASON_TEXT: Record<string, string> = {
  CARD_UNKNOWN: 'the registry does not know this card',
  CARD_DATA_MISMATCH: "the card's data does not match the registry",
  HOLDER_MISMATCH: "the holder's data on the card does not match the registry",
  CARD_NOT_ACTIVATED: 'the card has not been activated',
  CARD_TEMPORARILY_LOST: 'the card is reported temporarily lost',
  CARD_LOST: 'the card is reported lost',
  CARD_REPLACED: 'the card has been replaced by a new card',
  CARD_CANCELLED: 'the card has been cancelled',
  CARD_EXPIRED: 'the card has expired',
  COVERAGE_MISSING: 'the holder is not insured in the scheme asked about',
  COVERAGE_PAUSED: "the holder's insurance in the scheme asked about is paused",
  COVERAGE_OTHER_REGION: 'the holder is insured in the scheme asked about in another region',
};

function reasonText(reason: string | undefined): string {
  if (!reason) return 'refused by the registry';
  if (reason.startsWith('PROOF_'))
    return `the card-present proof was refused (${reason.slice('PROOF_'.length)})`;
  return REASON_TEXT[reason] ?? `refused by the registry (${reason})`;
}

export async function checkCardWithRegistry(
  client: Pick<RegistryClient, 'identityCheck'>,
  read: CardReadForCheck,
  proof?: CardPresentProof,
): Promise<RegistryCheckResult> {
  if (read.verification && !read.verification.genuine) {
    return {
      status: 'skipped',
      valid: false,
      reason: 'CARD_NOT_GENUINE',
      message: 'the card failed verification on this terminal; the registry was not asked',
      cardPresent: false,
    };
  }
  const { info } = read;
  if (read.holderDataRead === false || !info.ssn || !info.name) {
    return {
      status: 'skipped',
      valid: false,
      reason: 'HOLDER_DATA_NOT_READ',
      message:
        "the card did not release the holder's data (no PSAM, and no cryptogram from card-service), which the registry check compares",
      cardPresent: false,
    };
  }
  let answer: IdentityCheckResult;
  try {
    answer = await client.identityCheck({
      cardIdCode: info.cardIdCode,
      cardNumber: info.cardNumber,
      ssn: info.ssn,
      name: info.name,
      ...(proof ? { proof } : {}),
    });
  } catch (e) {
    if (!isRegistryError(e)) throw e;
    return {
      status: 'unavailable',
      valid: false,
      reason: e.code === 'REFUSED' ? (e.serviceCode ?? e.code) : e.code,
      message: e.message,
      cardPresent: false,
    };
  }
  return {
    status: answer.valid ? 'valid' : 'invalid',
    valid: answer.valid,
    ...(answer.reason ? { reason: answer.reason } : {}),
    message: answer.valid ? 'the card is valid in the registry' : reasonText(answer.reason),
    cardPresent: answer.cardPresent,
    checkedAt: answer.checkedAt,
    ...(answer.card ? { card: answer.card } : {}),
    ...(answer.holder
      ? {
          holder: {
            ...answer.holder,
            name: maskName(answer.holder.name),
            idNumber: maskIdNumber(answer.holder.idNumber),
          },
        }
      : {}),
    ...(answer.coverage ? { coverage: answer.coverage } : {}),
  };
}

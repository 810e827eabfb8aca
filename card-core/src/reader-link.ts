import { type CommandApdu, encodeCommand, MAX_SHORT_NC, MAX_SHORT_NE, needsExtendedLength } from './apdu.js';
import { ProtocolError } from './errors.js';

/**
 * What one reader can carry between the host and the card, as its firmware profile declares it
 * (firmware-profiles' PC/SC reader quirks): whether it takes extended-length APDUs, the longest
 * command and response it transfers, and whether the host or the reader fetches 61xx data with
 * GET RESPONSE (and re-sends after 6Cxx). A TPDU-level CCID reader on a T=0 card leaves both to
 * the host; an APDU-level reader does them itself and hands over whole responses.
 */
export interface ReaderLink {
  extendedApdu: boolean;
  /** Longest command APDU the reader transfers, bytes. */
  maxCommandApdu: number;
  /** Longest response APDU, data and status word. */
  maxResponseApdu: number;
  hostGetResponse: boolean;
}

/** A link that limits nothing: what `transceive` assumes when it is told nothing about the reader. */
export const UNLIMITED_LINK: ReaderLink = Object.freeze({
  extendedApdu: true,
  maxCommandApdu: 65_544,
  maxResponseApdu: 65_538,
  hostGetResponse: true,
});

/** How one logical command goes over a link: one APDU, or a chain whose last part expects the answer. */
export interface CommandPlan {
  /** Sent in order; every part but the last has the chaining bit (CLA b5) set and no Le. */
  parts: CommandApdu[];
}

export const CLA_CHAINING = 0x10;

/**
 * The one place that decides how a logical command fits a reader (OpenSC's lesson: one function
 * decides short or extended, chaining and Le):
 * - an extended command goes as it is when the reader carries extended APDUs of that length;
 * - otherwise, when only its Le is extended, it goes in short form with Le `00`, and the rest of
 *   the answer comes by GET RESPONSE (ISO/IEC 7816-3 §12.2, case 2E/4E over a short link);
 * - otherwise its data go by command chaining (ISO/IEC 7816-4 §5.3.3) when the card takes it
 *   (`chaining`), and the caller gets LINK_APDU_TOO_LONG when it does not;
 * - an expected length beyond what the reader returns is lowered to the reader's limit: the card
 *   then answers 61xx or 6Cxx for the rest, which `transceive` fetches within the limit.
 */
export function planCommand(
  cmd: CommandApdu,
  link: ReaderLink,
  options: { chaining?: boolean } = {},
): CommandPlan {
  const maxLe = link.maxResponseApdu - 2;
  const capLe = (le: number | undefined, limit: number): number | undefined =>
    le === undefined ? undefined : Math.min(le, limit);
  const data = cmd.data ?? new Uint8Array(0);

  if (needsExtendedLength(cmd) && link.extendedApdu) {
    const withLe = { ...cmd, ...(cmd.le !== undefined ? { le: capLe(cmd.le, maxLe) } : {}) };
    if (encodeCommand(withLe).length <= link.maxCommandApdu) return { parts: [withLe] };
  }
  const shortLe = capLe(cmd.le, Math.min(MAX_SHORT_NE, maxLe));
  const single: CommandApdu = { ...cmd, ...(shortLe !== undefined ? { le: shortLe } : {}) };
  if (data.length <= MAX_SHORT_NC && encodeCommand(single).length <= link.maxCommandApdu) {
    return { parts: [single] };
  }
  if (options.chaining !== true) {
    throw new ProtocolError(
      'LINK_APDU_TOO_LONG',
      `a command with ${data.length} data bytes does not fit this reader (${link.extendedApdu ? 'extended' : 'short'} APDUs up to ${link.maxCommandApdu} bytes) and the card does not take command chaining`,
      {
        ins: cmd.ins,
        dataLength: data.length,
        maxCommandApdu: link.maxCommandApdu,
        extendedApdu: link.extendedApdu,
      },
    );
  }
  // One size for every part, so that the last one, which also carries Le, fits as well.
  const chunk = Math.min(MAX_SHORT_NC, link.maxCommandApdu - 5 - (shortLe !== undefined ? 1 : 0));
  if (chunk < 1) {
    throw new ProtocolError(
      'LINK_APDU_TOO_LONG',
      `a reader carrying ${link.maxCommandApdu}-byte commands cannot chain data`,
      {
        maxCommandApdu: link.maxCommandApdu,
      },
    );
  }
  const parts: CommandApdu[] = [];
  let offset = 0;
  while (data.length - offset > chunk) {
    const part = data.subarray(offset, offset + chunk);
    parts.push({ cla: cmd.cla | CLA_CHAINING, ins: cmd.ins, p1: cmd.p1, p2: cmd.p2, data: part });
    offset += chunk;
  }
  parts.push({ ...single, data: data.subarray(offset) });
  return { parts };
}

import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import {
  type CardAlgorithm,
  type PinBlockFormat,
  type SsseKeyUsage,
  cardMac,
  challengeBlock,
  computeArpc,
  decipherPinBlock,
  deriveSessionKey,
  deriveUdk,
  encipherPinBlock,
  externalAuthCryptogram,
  internalAuthCryptogram,
  isSscardError,
  pinUnblockMacInput,
  pinVerificationValue,
  ssseCardKey,
  verifyArqc,
  wipe,
} from '@sscard/card-core';
import type { AuditCheckpoint, HsmErrorCode, HsmResult, REQUESTS } from './protocol.js';
import type { ServiceKeyset } from './service-keyset.js';
import type { z } from 'zod';

/** A refusal of one HSM request, answered to the client with its code. */
export class HsmRefusal extends Error {
  constructor(
    readonly code: HsmErrorCode,
    message: string,
  ) {
    super(message);
  }
}

type Args<C extends keyof typeof REQUESTS> = z.output<(typeof REQUESTS)[C]>;

const ZERO_MAC = '0'.repeat(64);

/** The text a checkpoint's MAC covers; the version prefix keeps it from meaning anything else. */
export function checkpointMacInput(c: Omit<AuditCheckpoint, 'mac'>): string {
  return `sscard-audit-checkpoint/1|${c.seq}|${c.hash}|${c.at}|${c.prevMac}`;
}

/**
 * A terminal's PIN key, derived from the terminal PIN master key and the terminal id (HKDF-SHA256),
 * one per PIN block format: two-key 3DES for format 0, AES-128 for format 4. The key-loading
 * facility computes the same key to inject into the terminal's PIN pad (`sscard-hsm
 * terminal-pin-key`); the HSM never answers it over the socket.
 */
export function terminalPinKey(
  terminalMasterKey: Buffer,
  terminalId: string,
  format: PinBlockFormat,
): Buffer {
  return Buffer.from(
    hkdfSync(
      'sha256',
      terminalMasterKey,
      Buffer.alloc(0),
      `sscard terminal PIN key/format ${format}/${terminalId}`,
      16,
    ),
  );
}

/**
 * The HSM's commands over its unsealed keyset: pure computations, no I/O, nothing logged. Card
 * keys, session keys and PINs exist only for the length of one command and are wiped after it.
 */
export class HsmCore {
  private readonly keys: {
    ssse: Record<CardAlgorithm, { internalAuth: Buffer; externalAuth: Buffer; pinReload: Buffer }>;
    ac: Record<CardAlgorithm, Buffer>;
    terminalPinMaster: Buffer;
    pvk: Buffer;
    zpk: Buffer;
    auditMac: Buffer;
  };

  constructor(readonly keyset: ServiceKeyset) {
    const b = (hex: string) => Buffer.from(hex, 'hex');
    const masters = (alg: CardAlgorithm) => ({
      internalAuth: b(keyset.ssse[alg].internalAuth),
      externalAuth: b(keyset.ssse[alg].externalAuth),
      pinReload: b(keyset.ssse[alg].pinReload),
    });
    this.keys = {
      ssse: { '3des': masters('3des'), sm4: masters('sm4') },
      ac: { '3des': b(keyset.emv.acMasterKeys['3des']), sm4: b(keyset.emv.acMasterKeys.sm4) },
      terminalPinMaster: b(keyset.pin.terminalMasterKey),
      pvk: b(keyset.pin.verificationKey),
      zpk: b(keyset.pin.zoneKey),
      auditMac: b(keyset.audit.macKey),
    };
  }

  private withCardKey<T>(
    // The update key (secure messaging) is the personalisation's, not the service's.
    usage: Exclude<SsseKeyUsage, 'update'>,
    alg: CardAlgorithm,
    cardIdCode: string,
    fn: (key: Buffer) => T,
  ): T {
    const key = ssseCardKey(alg, this.keys.ssse[alg][usage], Buffer.from(cardIdCode, 'hex'));
    try {
      return fn(key);
    } finally {
      wipe(key);
    }
  }

  externalAuth(a: Args<'card.externalAuth'>): HsmResult<'card.externalAuth'> {
    const cryptogram = this.withCardKey('externalAuth', a.algorithm, a.cardIdCode, (key) =>
      externalAuthCryptogram(a.algorithm, key, Buffer.from(a.challenge, 'hex')),
    );
    return { cryptogram: cryptogram.toString('hex').toUpperCase() };
  }

  verifyInternalAuth(a: Args<'card.verifyInternalAuth'>): HsmResult<'card.verifyInternalAuth'> {
    const challenge = Buffer.from(a.challenge, 'hex');
    const cryptogram = Buffer.from(a.cryptogram, 'hex');
    // A challenge of the other algorithm's block size is a wrong answer, not a malformed request.
    if (challenge.length !== (a.algorithm === '3des' ? 8 : 16)) return { verified: false };
    const expected = this.withCardKey('internalAuth', a.algorithm, a.cardIdCode, (key) =>
      internalAuthCryptogram(a.algorithm, key, challenge),
    );
    return { verified: expected.length === cryptogram.length && timingSafeEqual(expected, cryptogram) };
  }

  /** The card's application cryptogram session key (UDK from PAN and PSN, then the ATC), for `fn` only. */
  private withSessionKey<T>(
    a: { algorithm: CardAlgorithm; pan: string; psn: string; atc: string },
    fn: (sessionKey: Buffer) => T,
  ): T {
    const udk = deriveUdk(a.algorithm, this.keys.ac[a.algorithm], a.pan, a.psn);
    const sessionKey = deriveSessionKey(a.algorithm, udk, Buffer.from(a.atc, 'hex'));
    try {
      return fn(sessionKey);
    } finally {
      wipe(udk);
      wipe(sessionKey);
    }
  }

  verifyArqc(a: Args<'emv.verifyArqc'>): HsmResult<'emv.verifyArqc'> {
    return this.withSessionKey(a, (sessionKey) => {
      const arqc = Buffer.from(a.arqc, 'hex');
      if (!verifyArqc(a.algorithm, sessionKey, Buffer.from(a.data, 'hex'), arqc)) return { verified: false };
      const arpc = computeArpc(a.algorithm, sessionKey, arqc, Buffer.from(a.arc, 'hex'));
      return { verified: true, arpc: arpc.toString('hex').toUpperCase() };
    });
  }

  verifyAc(a: Args<'emv.verifyAc'>): HsmResult<'emv.verifyAc'> {
    return this.withSessionKey(a, (sessionKey) => ({
      verified: verifyArqc(
        a.algorithm,
        sessionKey,
        Buffer.from(a.data, 'hex'),
        Buffer.from(a.cryptogram, 'hex'),
      ),
    }));
  }

  /** The PIN inside a terminal's PIN block, for the length of `fn` only. */
  private withPin<T>(a: Args<'pin.translate'>, fn: (pin: string) => T): T {
    const tpk = terminalPinKey(this.keys.terminalPinMaster, a.terminalId, a.format);
    let pin: string;
    try {
      pin = decipherPinBlock(a.format, tpk, Buffer.from(a.pinBlock, 'hex'), a.pan);
    } catch (e) {
      if (isSscardError(e)) {
        throw new HsmRefusal(
          'PIN_BLOCK_INVALID',
          'the PIN block is not one for this account under this terminal’s key',
        );
      }
      throw e;
    } finally {
      wipe(tpk);
    }
    return fn(pin);
  }

  translatePin(a: Args<'pin.translate'>): HsmResult<'pin.translate'> {
    return this.withPin(a, (pin) => ({
      pinBlock: encipherPinBlock(0, this.keys.zpk, pin, a.pan).toString('hex').toUpperCase(),
      format: 0,
    }));
  }

  verifyPin(a: Args<'pin.verify'>): HsmResult<'pin.verify'> {
    return this.withPin(a, (pin) => {
      const pvv = Buffer.from(pinVerificationValue(this.keys.pvk, a.pan, a.pvki, pin));
      const given = Buffer.from(a.pvv);
      return { verified: timingSafeEqual(pvv, given) };
    });
  }

  makePvv(a: Args<'pin.makePvv'>): HsmResult<'pin.makePvv'> {
    return this.withPin(a, (pin) => ({ pvv: pinVerificationValue(this.keys.pvk, a.pan, a.pvki, pin) }));
  }

  zoneMakePvv(a: Args<'pin.zoneMakePvv'>): HsmResult<'pin.zoneMakePvv'> {
    let pin: string;
    try {
      pin = decipherPinBlock(0, this.keys.zpk, Buffer.from(a.pinBlock, 'hex'), a.pan);
    } catch (e) {
      if (isSscardError(e)) {
        throw new HsmRefusal(
          'PIN_BLOCK_INVALID',
          'the PIN block is not one for this account under the zone key',
        );
      }
      throw e;
    }
    return { pvv: pinVerificationValue(this.keys.pvk, a.pan, a.pvki, pin) };
  }

  pinReloadMac(a: Args<'card.pinReloadMac'>): HsmResult<'card.pinReloadMac'> {
    return { mac: this.pinCommandMac(a, Buffer.from(a.newPinBcd, 'hex')) };
  }

  pinUnblockMac(a: Args<'card.pinUnblockMac'>): HsmResult<'card.pinUnblockMac'> {
    return { mac: this.pinCommandMac(a, pinUnblockMacInput()) };
  }

  /** A PIN management command's MAC: the card's PIN-reload key, the card's challenge as IV. */
  private pinCommandMac(a: Args<'card.pinUnblockMac'>, data: Buffer): string {
    const mac = this.withCardKey('pinReload', a.algorithm, a.cardIdCode, (key) =>
      cardMac(a.algorithm, key, data, challengeBlock(a.algorithm, Buffer.from(a.challenge, 'hex'))),
    );
    return mac.toString('hex').toUpperCase();
  }

  checkpointMac(c: Omit<AuditCheckpoint, 'mac'>): string {
    return createHmac('sha256', this.keys.auditMac).update(checkpointMacInput(c)).digest('hex');
  }

  /** The next checkpoint after `previous` (undefined: the first in the log). */
  makeCheckpoint(
    seq: number,
    hash: string,
    at: string,
    previous: AuditCheckpoint | undefined,
  ): AuditCheckpoint {
    const unsigned = { seq, hash, at, prevMac: previous?.mac ?? ZERO_MAC };
    return { ...unsigned, mac: this.checkpointMac(unsigned) };
  }

  checkMacs(a: Args<'audit.checkMacs'>): HsmResult<'audit.checkMacs'> {
    const invalid: number[] = [];
    a.checkpoints.forEach((c, i) => {
      const expected = Buffer.from(this.checkpointMac(c), 'hex');
      if (!timingSafeEqual(expected, Buffer.from(c.mac, 'hex'))) invalid.push(i);
    });
    return { invalid };
  }
}

export { ZERO_MAC };

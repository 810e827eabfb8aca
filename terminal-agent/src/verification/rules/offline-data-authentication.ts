import { type CaKeys, verifyDda, verifySda } from '@sscard/card-core';
import { type DebitApplicationData, requestDynamicSignature } from '../../apps/debit.js';
import type { CardSession } from '../../session/card-session.js';
import type { CardCheckContext } from '../card-context.js';
import { type CardCheck, fail, notApplicable, PASS, type Verdict } from '../types.js';

/**
 * EMV offline data authentication of the card's debit application: DDA when the card supports it
 * (a fresh signature over our unpredictable number, so a replayed card fails), else SDA. The CA
 * public keys come from the terminal's configuration.
 */
export const offlineDataAuthentication: CardCheck<CardCheckContext> = {
  name: 'offline-data-authentication',
  description: 'EMV SDA/DDA of the debit application against the configured CA public keys',
  usesCard: true,
  skipReason: (ctx) => (ctx.caKeys ? undefined : 'no payment system CA public keys are configured'),
  async run(ctx) {
    const debit = await ctx.debit();
    if (!debit) return notApplicable('the card has no debit application');
    return authenticateDebitApplication(ctx.session, debit, ctx.caKeys!, ctx.now);
  },
};

/** SDA or DDA of a debit application already read (DDA asks the card for a fresh signature). */
export async function authenticateDebitApplication(
  session: CardSession,
  debit: DebitApplicationData,
  caKeys: CaKeys,
  now: Date,
): Promise<Verdict> {
  if (!debit.supportsDda && !debit.supportsSda) {
    return notApplicable('the debit application supports neither SDA nor DDA');
  }
  const tag = (t: number) => debit.tags.get(t);
  const caIndex = tag(0x8f)?.[0];
  const issuerCertificate = tag(0x90);
  const issuerExponent = tag(0x9f32);
  if (caIndex === undefined || !issuerCertificate || !issuerExponent) {
    return fail('the debit application lacks the CA index or the issuer public key certificate');
  }
  const common = {
    caKeys,
    rid: debit.aid.subarray(0, 5),
    caIndex,
    issuerCertificate,
    issuerRemainder: tag(0x92),
    issuerExponent,
    pan: debit.pan,
    staticData: debit.staticData,
    at: now,
  };
  if (debit.supportsDda && tag(0x9f46) && tag(0x9f47)) {
    const { signedDynamicData, ddolData } = await requestDynamicSignature(session, debit);
    const result = verifyDda({
      ...common,
      iccCertificate: tag(0x9f46)!,
      iccRemainder: tag(0x9f48),
      iccExponent: tag(0x9f47)!,
      signedDynamicData,
      ddolData,
    });
    return result.ok ? PASS : fail(`DDA failed: ${result.code}: ${result.message}`);
  }
  const signedStaticData = tag(0x93);
  if (!signedStaticData) return fail('the card offers SDA but carries no signed static data (93)');
  const result = verifySda({ ...common, signedStaticData });
  return result.ok ? PASS : fail(`SDA failed: ${result.code}: ${result.message}`);
}

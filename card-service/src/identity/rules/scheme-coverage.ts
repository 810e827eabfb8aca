import type { SchemeKind } from '@sscard/registry-protocol';
import type { IdentityRule } from './types.js';

/**
 * The scheme codes of each kind a terminal may ask about (registry-protocol's `SCHEME_KINDS`): a
 * hospital asks whether the holder has basic medical insurance, employee (310) or resident (390);
 * a bank paying pensions asks for either pension (110 employee, 120 urban and rural resident).
 */
export const SCHEME_KIND_CODES: Readonly<Record<SchemeKind, readonly string[]>> = {
  medical: ['310', '390'],
  pension: ['110', '120'],
};

/**
 * When the check asks about a scheme, the holder has it in force in the region asked about (the
 * calling terminal's by default): not missing (none, terminated or not yet started), not paused,
 * not only in another region. A check that asks about no scheme is not judged on coverage.
 */
export const schemeCoverage: IdentityRule = {
  name: 'scheme-coverage',
  description: 'the holder has the scheme asked about in force in the region asked about',
  judge: (f) => {
    const asked = f.request.forScheme;
    if (!asked) return undefined;
    const codes = SCHEME_KIND_CODES[asked.scheme as SchemeKind] ?? [asked.scheme];
    const region = asked.region ?? f.terminal.region;
    const held = f.relations.filter(
      (r) => codes.includes(r.schemeCode) && r.status !== 'terminated' && r.startDate <= f.today,
    );
    if (held.length === 0) return 'COVERAGE_MISSING';
    const here = held.filter((r) => r.insuredRegion === region);
    if (here.length === 0) return 'COVERAGE_OTHER_REGION';
    const paused = (r: (typeof here)[number]) =>
      r.status === 'paused' && (r.pauseDate === null || r.pauseDate <= f.today);
    return here.every(paused) ? 'COVERAGE_PAUSED' : undefined;
  },
};

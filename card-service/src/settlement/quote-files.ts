import { readFile } from 'node:fs/promises';
import {
  type Breakdown,
  type PolicyParameters,
  HOSPITAL_LEVELS,
  PERSON_GROUPS,
  VISIT_TYPES,
  type VisitTerms,
  accumulatorsSchema,
  fenAmount,
  policyDraftSchema,
  pricedLineSchema,
  publishedPolicySchema,
} from '@sscard/registry-protocol/settlement';
import { z } from 'zod';
import { DomainError } from '../errors.js';
import { calculate } from './calculation.js';

/**
 * `sscard-service settlement quote`: an operator tries a policy file on accumulators and a bill
 * before publishing it. Reads three JSON files, touches no store, and runs the one calculation
 * the engine runs.
 */
export interface QuoteFiles {
  policy: string;
  accumulators: string;
  bill: string;
  /** The personal account's balance in fen (default 0). */
  account?: string | undefined;
  useAccount?: boolean | undefined;
  visit?: string | undefined;
  level?: string | undefined;
  group?: string | undefined;
}

const billFileSchema = z.strictObject({ lines: z.array(pricedLineSchema).min(1) });

function invalid(what: string, error: z.ZodError): DomainError {
  const issues = error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`);
  return new DomainError('SETTLEMENT_INPUT_INVALID', `${what}: ${issues.join('; ')}`, 400, { issues });
}

async function readJson<T>(
  file: string,
  schemaFor: z.ZodType<T> | ((v: unknown) => z.ZodType<T>),
): Promise<T> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new DomainError(
      'SETTLEMENT_INPUT_INVALID',
      `${file}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  const schema = typeof schemaFor === 'function' ? schemaFor(value) : schemaFor;
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalid(file, parsed.error);
  return parsed.data;
}

function oneOf<T extends string | number>(name: string, text: string, allowed: readonly T[]): T {
  const found = allowed.find((a) => String(a) === text);
  if (found === undefined) throw new DomainError('USAGE', `--${name} is one of ${allowed.join(', ')}`, 2);
  return found;
}

export async function quoteFromFiles(f: QuoteFiles): Promise<Breakdown> {
  // A published version (as the API answers it) or a draft (as an operator writes it).
  const policy = await readJson(
    f.policy,
    (v): z.ZodType<{ parameters: PolicyParameters }> =>
      typeof v === 'object' && v !== null && 'version' in v ? publishedPolicySchema : policyDraftSchema,
  );
  const accumulators = await readJson(f.accumulators, accumulatorsSchema);
  const bill = await readJson(f.bill, billFileSchema);
  const balance = fenAmount.safeParse(Number(f.account ?? '0'));
  if (!balance.success || (f.account !== undefined && !/^[0-9]+$/.test(f.account))) {
    throw new DomainError('USAGE', '--account is the balance in fen, a whole number', 2);
  }
  const terms: VisitTerms = {
    visitType: oneOf('visit', f.visit ?? 'outpatient', VISIT_TYPES),
    hospitalLevel: oneOf('level', f.level ?? '1', HOSPITAL_LEVELS),
    personGroup: oneOf('group', f.group ?? 'in_service', PERSON_GROUPS),
  };
  return calculate({
    parameters: policy.parameters,
    accumulators,
    terms,
    lines: bill.lines,
    account: { balance: balance.data, use: f.useAccount === true },
  });
}

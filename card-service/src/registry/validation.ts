import { isSscardError, validateCitizenId } from '@sscard/card-core';
import { DomainError } from '../errors.js';

/** Checks that turn input into a registry record; each failure names the field. */

export const REGION_RE = /^[1-9][0-9]{5}$/;
export const ISO_DATE_RE = /^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$/;
export const ETHNICITY_RE = /^(0[1-9]|[1-4][0-9]|5[0-6]|9[78])$/;

export const invalid = (field: string, message: string, extra: Record<string, unknown> = {}): DomainError =>
  new DomainError('VALIDATION_FAILED', `${field}: ${message}`, 400, { field, ...extra });

/** The citizen ID number's parts, and that the stated birth date and gender agree with it. */
export function checkIdNumber(
  idNumber: string,
  birthDate: string | undefined,
  gender: string | undefined,
  now: Date,
): { birthDate: string; gender: '1' | '2' } {
  let parts: ReturnType<typeof validateCitizenId>;
  try {
    parts = validateCitizenId(idNumber, { now });
  } catch (e) {
    if (isSscardError(e)) {
      throw invalid('idNumber', 'not a valid citizen ID number', { reason: e.details?.reason });
    }
    throw e;
  }
  const fromId = `${parts.birthDate.slice(0, 4)}-${parts.birthDate.slice(4, 6)}-${parts.birthDate.slice(6, 8)}`;
  if (birthDate !== undefined && birthDate !== fromId)
    throw invalid('birthDate', 'differs from the ID number');
  if (gender !== undefined && gender !== parts.gender) throw invalid('gender', 'differs from the ID number');
  return { birthDate: fromId, gender: parts.gender };
}

export function isCalendarDate(iso: string): boolean {
  if (!ISO_DATE_RE.test(iso)) return false;
  const t = Date.parse(`${iso}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === iso;
}

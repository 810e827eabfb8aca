import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { ProfileError } from './errors.js';
import { ProfileSet, type Profiles } from './profile-set.js';
import { cardOsProfile } from './schema/card-os.js';
import { pcscReaderProfile } from './schema/pcsc-reader.js';
import { pinPadProfile } from './schema/pin-pad.js';
import { serialReaderProfile } from './schema/serial-reader.js';

/** The profiles shipped with this package (`firmware-profiles/profiles`). */
export const DEFAULT_PROFILES_DIR = fileURLToPath(new URL('../profiles', import.meta.url));

/** Folder under the profiles directory for each kind. */
export const PROFILE_KINDS = {
  'card-os': cardOsProfile,
  'pcsc-reader': pcscReaderProfile,
  'serial-reader': serialReaderProfile,
  'pin-pad': pinPadProfile,
} as const;

function listJson(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new ProfileError(
      'PROFILE_DIR_UNREADABLE',
      `cannot read profile folder ${dir}`,
      { dir },
      { cause: e },
    );
  }
  return names.filter((n) => n.endsWith('.json')).sort();
}

function fieldPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(root)' : path.map(String).join('.');
}

/** Parses one profile file; errors name the file and the field path. */
export function parseProfileFile<S extends z.ZodType>(schema: S, file: string, text: string): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ProfileError('PROFILE_JSON', `${file}: not valid JSON: ${(e as Error).message}`, { file });
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${fieldPath(i.path)}: ${i.message}`);
    throw new ProfileError('PROFILE_INVALID', `${file}: ${problems.join('; ')}`, {
      file,
      path: fieldPath(result.error.issues[0]?.path ?? []),
      problems,
    });
  }
  return result.data;
}

function loadKind<S extends z.ZodType>(dir: string, kind: string, schema: S): z.output<S>[] {
  const folder = join(dir, kind);
  const seen = new Map<string, string>();
  const out: z.output<S>[] = [];
  for (const name of listJson(folder)) {
    const file = join(folder, name);
    const profile = parseProfileFile(schema, file, readFileSync(file, 'utf8')) as z.output<S> & {
      id: string;
    };
    if (`${profile.id}.json` !== name) {
      throw new ProfileError('PROFILE_ID_MISMATCH', `${file}: id "${profile.id}" must match the file name`, {
        file,
        path: 'id',
      });
    }
    const other = seen.get(profile.id);
    if (other)
      throw new ProfileError('PROFILE_DUPLICATE', `${file}: id "${profile.id}" is also in ${other}`, {
        file,
      });
    seen.set(profile.id, file);
    out.push(profile);
  }
  return out;
}

/**
 * Reads every profile under `dir/<kind>/*.json` (default: the profiles shipped with this package)
 * and validates it. Synchronous on purpose: profiles are read once at start, before any reader is
 * touched, and a bad file must stop the start with a message naming it.
 */
export function loadProfiles(dir: string = DEFAULT_PROFILES_DIR): ProfileSet {
  const profiles: Profiles = {
    cardOs: loadKind(dir, 'card-os', PROFILE_KINDS['card-os']),
    pcscReaders: loadKind(dir, 'pcsc-reader', PROFILE_KINDS['pcsc-reader']),
    serialReaders: loadKind(dir, 'serial-reader', PROFILE_KINDS['serial-reader']),
    pinPads: loadKind(dir, 'pin-pad', PROFILE_KINDS['pin-pad']),
  };
  return new ProfileSet(profiles);
}

let shipped: ProfileSet | undefined;

/** The shipped profiles, loaded once. */
export function defaultProfiles(): ProfileSet {
  shipped ??= loadProfiles();
  return shipped;
}

/** Card OS of an ATR by the shipped profiles. */
export function matchCardOs(atr: Uint8Array) {
  return defaultProfiles().matchCardOs(atr);
}

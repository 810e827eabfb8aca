import type { ReaderRole } from '@sscard/agent-protocol';
import type { ReaderKind } from './reader-backend.js';

/**
 * What the terminal uses a slot for (agent-protocol's `ReaderRole`): the citizen's card through
 * contacts (`user`) or through the antenna (`contactless`, `iReadCardBas` types 2 and 4), the
 * secure access module (`psam`), or nothing (`ignore`: a YubiKey, a reader that belongs to
 * another application).
 */
export type { ReaderRole };

export interface ReaderRoleAssignment {
  role: ReaderRole;
  /** The profile that decided it, for `list()` and logs. */
  profile?: string;
}

/** Decides a slot's role from its name; configuration first, then reader profiles. */
export type ReaderRoleResolver = (name: string, kind: ReaderKind) => ReaderRoleAssignment;

/** A configured role for reader names matching `pattern` (a substring or a regular expression). */
export interface ReaderRoleRule {
  pattern: string | RegExp;
  role: ReaderRole;
}

/** What the resolver needs of firmware-profiles' `ProfileSet`. */
export interface ReaderProfiles {
  matchReader(
    name: string,
  ): { role: 'user' | 'sam' | 'contactless' | 'ignore'; profile: { id: string } } | undefined;
}

/** The reader settings of the agent's configuration (`readers.*`) that name roles. */
export interface ConfiguredReaders {
  card?: string | undefined;
  psam?: string | undefined;
  ignore: readonly string[];
  /** When not empty, a PC/SC reader whose name contains none of these is ignored. */
  only?: readonly string[] | undefined;
}

function matches(pattern: string | RegExp, name: string): boolean {
  return typeof pattern === 'string' ? name.includes(pattern) : pattern.test(name);
}

/**
 * Configuration rules win over profiles: a site that wires its PSAM into an unusual slot says so
 * in its config. Without a rule or a profile a slot is a user slot.
 */
export function combineRoleResolvers(
  rules: readonly ReaderRoleRule[],
  profiles?: ReaderRoleResolver,
): ReaderRoleResolver {
  return (name, kind) => {
    const rule = rules.find((r) => matches(r.pattern, name));
    if (rule) return { role: rule.role, profile: 'configuration' };
    return profiles ? profiles(name, kind) : { role: 'user' };
  };
}

/**
 * Roles from firmware-profiles' PC/SC reader profiles (`ProfileSet.matchReader`): `sam` slots are
 * the PSAM, `contactless` and `ignore` keep their meaning, and a name no profile knows is a user
 * slot. Serial readers are configured one by one and are user slots.
 */
export function profileRoleResolver(profiles: ReaderProfiles): ReaderRoleResolver {
  return (name, kind) => {
    if (kind !== 'pcsc') return { role: 'user' };
    const match = profiles.matchReader(name);
    if (!match) return { role: 'user' };
    return { role: match.role === 'sam' ? 'psam' : match.role, profile: match.profile.id };
  };
}

/** Configuration rules in the order they win: ignored readers, then the named PSAM and card readers. */
function configuredRules(readers: ConfiguredReaders): ReaderRoleRule[] {
  return [
    ...readers.ignore.map((pattern) => ({ pattern, role: 'ignore' as const })),
    ...(readers.psam ? [{ pattern: readers.psam, role: 'psam' as const }] : []),
    ...(readers.card ? [{ pattern: readers.card, role: 'user' as const }] : []),
  ];
}

/**
 * The terminal's one reader-role resolver (the daemon's and the CLI's): PC/SC readers outside
 * `readers.only` are ignored, then configuration, then profiles.
 */
export function readerRoleResolver(readers: ConfiguredReaders, profiles: ReaderProfiles): ReaderRoleResolver {
  const resolve = combineRoleResolvers(configuredRules(readers), profileRoleResolver(profiles));
  const only = readers.only ?? [];
  if (only.length === 0) return resolve;
  return (name, kind) =>
    kind === 'pcsc' && !only.some((pattern) => name.includes(pattern))
      ? { role: 'ignore', profile: 'configuration' }
      : resolve(name, kind);
}

/**
 * The words of card-service's API: each list is the one place a value is spelled, and the service's
 * domain, its request schemas and the terminal agent all take them from here.
 */

/**
 * What a terminal is; its certificate names it, and the type limits what the terminal may do. A
 * `bureau` terminal is a social insurance bureau's service counter, where a clerk serves the
 * citizen in person (a card's PIN reload and unblock are done there, with the clerk's authorisation).
 */
export const TERMINAL_TYPES = ['kiosk', 'hospital', 'pharmacy', 'bank', 'bureau'] as const;
export type TerminalType = (typeof TERMINAL_TYPES)[number];

export const TERMINAL_STATUSES = ['pending', 'active', 'revoked'] as const;
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];

/** A card's lifecycle state (card-service's lifecycle table says which event leads where). */
export const CARD_STATUSES = [
  'issued',
  'active',
  'temporarily_lost',
  'lost',
  'replaced',
  'cancelled',
] as const;
export type CardStatus = (typeof CARD_STATUSES)[number];

/** The events of the card lifecycle; `liftTemporaryLoss` is the service's own, never requested. */
export const CARD_EVENTS = [
  'activateSocialSecurity',
  'activateFinancial',
  'reportTemporaryLoss',
  'unblock',
  'liftTemporaryLoss',
  'reportFormalLoss',
  'replace',
  'cancel',
  'resetPin',
] as const;
export type CardEvent = (typeof CARD_EVENTS)[number];

/** The events a caller may ask for. */
export const REQUESTABLE_CARD_EVENTS = CARD_EVENTS.filter(
  (e): e is Exclude<CardEvent, 'liftTemporaryLoss'> => e !== 'liftTemporaryLoss',
);
export type RequestableCardEvent = (typeof REQUESTABLE_CARD_EVENTS)[number];

/** The card's cipher: 3DES (generation 2) or SM4 (generation 3 may be either). */
export const CARD_ALGORITHMS = ['3des', 'sm4'] as const;
export type CardAlgorithm = (typeof CARD_ALGORITHMS)[number];

export const CARD_GENERATIONS = [2, 3] as const;
export type CardGenerationIssued = (typeof CARD_GENERATIONS)[number];

export const RELATION_STATUSES = ['active', 'paused', 'terminated'] as const;
export type RelationStatus = (typeof RELATION_STATUSES)[number];

/** GB/T 2261.1: 1 male, 2 female. */
export const GENDERS = ['1', '2'] as const;
export type Gender = (typeof GENDERS)[number];

/** What an operator token may do. */
export const SCOPES = [
  'admin',
  'registry:read',
  'registry:write',
  'terminals:manage',
  'audit:read',
  'settlement:manage',
  /** Pension entitlements, their status and payments. */
  'pension:manage',
  /** Risk alerts: list and acknowledge. */
  'risk:manage',
  /** The statistics reports (figures by region and period, no personal data). */
  'statistics:read',
  /** Prometheus scrapers from other hosts. */
  'metrics:read',
  /** A bureau counter clerk: authorises a card's PIN reload or unblock at the counter, for the citizen before them. */
  'pin:authorise',
] as const;
export type Scope = (typeof SCOPES)[number];

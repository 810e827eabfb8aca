/**
 * What a card read gives a client: the card's fields, the checks the terminal ran on it, and what
 * card-service says about it. Personal fields are masked unless the terminal is configured to
 * reveal them.
 */

/** The card's fields (EF05 and EF06); the holder's are empty strings when the card did not release them. */
export interface CardInfo {
  cardIdCode: string;
  cardType: string;
  /** `1.00`, `2.00` or `3.00`. */
  specVersion: string;
  initOrg: string;
  /** `YYYYMMDD`, as the card holds it. */
  issueDate: string;
  expiryDate: string;
  cardNumber: string;
  /** The citizen ID number (社会保障号码). */
  ssn: string;
  name: string;
  nameExt?: string;
  /** `1` male, `2` female, `''` when not released. */
  gender: string;
  ethnicity: string;
  birthplace: string;
  birthDate: string;
  generation: 1 | 2 | 3;
}

export type CheckStatus = 'passed' | 'failed' | 'skipped';

export interface CheckResult {
  /** The check's name (`card-authentication`, `validity-period`, …). */
  check: string;
  status: CheckStatus;
  /** Why it failed or was skipped; a sentence for the operator, never personal data. */
  reason?: string;
}

/** The checks the terminal ran on a card: is it genuine, are its data consistent, is it in date. */
export interface VerificationView {
  /** False as soon as one check failed: the terminal does nothing further with the card. */
  genuine: boolean;
  /** Names of the checks that ran (passed or failed), in order. */
  ran: string[];
  passed: string[];
  failed: { check: string; reason: string }[];
  skipped: { check: string; reason: string }[];
  results: CheckResult[];
}

export type RegistryCheckStatus =
  /** card-service knows the card and it is in force. */
  | 'valid'
  /** card-service refused it; `reason` is its refusal (registry-protocol's `IDENTITY_REFUSALS`). */
  | 'invalid'
  /** Not asked: no service configured, the card failed the terminal's checks, or kept its holder data. */
  | 'skipped'
  /** Asked, but no verdict came back; `reason` is the agent's registry code (`REGISTRY_UNREACHABLE`, `TERMINAL_REVOKED`…). */
  | 'unavailable';

/** What card-service says about the card just read. The holder is always masked. */
export interface RegistryView {
  status: RegistryCheckStatus;
  reason?: string;
  /** A sentence for the operator; never personal data. */
  message: string;
  checkedAt?: string;
  /** True when the service verified a fresh cryptogram of the card with the check. */
  cardPresent: boolean;
  card?: {
    cardNumber: string;
    status: string;
    expiryDate: string;
    temporary: boolean;
  };
  holder?: { name: string; idNumber: string; gender: string; region: string };
  coverage?: {
    schemeCode: string;
    schemeName: string | null;
    insuredRegion: string;
    status: string;
    startDate: string;
    pauseDate: string | null;
  }[];
}

export interface CardReadView {
  reader: string;
  /** ATR, upper-case hex. */
  atr: string;
  info: CardInfo;
  /** The checks that ran on the card; null when the read did not verify. */
  verification: VerificationView | null;
  /** The same read as the ministry interface's `iReadCardBas` output. */
  readCardBas: string;
  apduCount: number;
  /** True when the ID number, name, card number and card id code were masked for this terminal. */
  masked: boolean;
  registry: RegistryView;
}

/** The outcome of a lost-card report made at this terminal. */
export type LostCardReportView =
  | {
      /** card-service recorded the temporary loss. */
      status: 'reported';
      cardNumber: string;
      /** The card's state as the service answered: `temporarily_lost`. */
      cardStatus: string;
      /** When the loss lifts itself unless the holder reports a formal loss first. */
      temporaryLossUntil: string | null;
      reportedAt: string;
      /** The journal key: what an operator looks up in the service's audit log. */
      reference: string;
    }
  | {
      /**
       * The service did not answer; the journalled report is re-sent with the same key until it
       * does. It takes effect only if it arrives while its card-present proof is fresh (the
       * service's challenge lifetime): an operator confirms the card's state.
       */
      status: 'queued';
      cardNumber: string;
      reference: string;
    };

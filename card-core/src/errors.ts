/**
 * The error family of card-core. Every parser and codec in this package throws one of these and
 * nothing else, so that callers (and the fuzz tests) can tell a hostile input from a programming
 * error. Upper layers add their own families (ReaderError in the agent, DomainError in the
 * service) on the same base.
 */
export class SscardError extends Error {
  /** Stable, machine-readable code, e.g. `TLV_TRUNCATED`. Never changes meaning once published. */
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: string, message: string, details?: Record<string, unknown>, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

/** Bytes that do not follow the protocol: truncated TLV, a response APDU of one byte, a bad frame. */
export class ProtocolError extends SscardError {}

/** A field value that is well-formed bytes but not a valid value: an ID number with a bad check character. */
export class ValidationError extends SscardError {}

/** Wrong key length, a MAC that does not verify, a signature that does not recover. */
export class CryptoError extends SscardError {}

export function isSscardError(e: unknown): e is SscardError {
  return e instanceof SscardError;
}

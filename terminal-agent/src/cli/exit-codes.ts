/** Exit codes, stable for scripts. */
export const EXIT = {
  OK: 0,
  /** The card or reader said no: no card, not genuine, a negative iReadCardBas code. */
  CARD: 1,
  USAGE: 2,
  CONFIG: 3,
  /** A running agent refused or failed the request. */
  AGENT: 4,
  /** An unexpected failure (a bug). */
  SOFTWARE: 70,
} as const;

/** A failure the command reports in one line, with the exit code it stands for. */
export class CliError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

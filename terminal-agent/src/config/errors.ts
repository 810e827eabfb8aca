import { SscardError } from '@sscard/card-core';

export interface ConfigIssue {
  /** Dotted key, e.g. `api.port` or `pin.pinpad.profile`. */
  key: string;
  problem: string;
  /** Where the value came from: the file's path, an environment variable, or the default. */
  source: string;
}

function describe(issue: ConfigIssue): string {
  return `config key "${issue.key}" (${issue.source}): ${issue.problem}`;
}

/**
 * Configuration the agent cannot start with. Every line of the message begins with the dotted key
 * and says where the value came from, so an operator can fix it without reading code.
 */
export class ConfigError extends SscardError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: ConfigIssue[], options?: ErrorOptions) {
    super('CONFIG_INVALID', issues.map(describe).join('\n'), { issues }, options);
    this.issues = issues;
  }

  /** The first bad key (the one a single-line log shows). */
  get key(): string {
    return this.issues[0]?.key ?? '';
  }
}

/** The configuration file is missing, unreadable or not JSON. */
export class ConfigFileError extends SscardError {
  constructor(path: string, problem: string, options?: ErrorOptions) {
    super('CONFIG_FILE', `config file ${path}: ${problem}`, { path }, options);
  }
}

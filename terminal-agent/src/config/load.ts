import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { z } from 'zod';
import { applyEnvOverrides } from './env.js';
import { ConfigError, ConfigFileError, type ConfigIssue } from './errors.js';
import { type AgentConfig, AgentConfigSchema, type ClientConfig, ClientConfigSchema } from './schema.js';

export interface LoadOptions {
  /** Path of the JSON file. When absent, `SSCARD_CONFIG` names it; without either, only the environment and defaults apply. */
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

function readJsonFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigFileError(path, code === 'ENOENT' ? 'not found' : `cannot be read (${code ?? 'error'})`, {
      cause: e,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ConfigFileError(path, `is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigFileError(path, 'must contain a JSON object');
  }
  return parsed as Record<string, unknown>;
}

function issuesFrom(error: z.ZodError, sources: Map<string, string>, fileSource: string): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of error.issues) {
    const base = issue.path.map(String).join('.');
    const keys =
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((k) => (base ? `${base}.${k}` : k))
        : [base || '(root)'];
    for (const key of keys) {
      const problem = issue.code === 'unrecognized_keys' ? 'unknown key' : issue.message;
      out.push({ key, problem, source: sources.get(key) ?? fileSource });
    }
  }
  return out;
}

/** Paths in the file are relative to the file, so a config can be moved with its data directory. */
function resolvePaths<T extends ClientConfig>(config: T, baseDir: string): T {
  const abs = (p: string | undefined): string | undefined =>
    p === undefined ? undefined : isAbsolute(p) ? p : resolve(baseDir, p);
  const dataDir = abs(config.dataDir)!;
  return {
    ...config,
    dataDir,
    api: {
      ...config.api,
      tokenFile: abs(config.api.tokenFile) ?? resolve(dataDir, 'api-token'),
      uiDir: abs(config.api.uiDir),
    },
    emv: { ...config.emv, caKeysPath: abs(config.emv.caKeysPath) },
    cardService: { ...config.cardService, caCertPath: abs(config.cardService.caCertPath) },
    journal: { ...config.journal, path: abs(config.journal.path) ?? resolve(dataDir, 'journal.sqlite3') },
  };
}

function load<S extends z.ZodType>(
  schema: S,
  options: LoadOptions,
): { config: z.output<S>; baseDir: string } {
  const env = options.env ?? process.env;
  const file = options.file ?? (env.SSCARD_CONFIG || undefined);
  const fileConfig = file ? readJsonFile(file) : {};
  const fileSource = file ? `file ${file}` : 'no config file given';
  const { merged, sources } = applyEnvOverrides(fileConfig, env);
  const result = schema.safeParse(merged);
  if (!result.success) throw new ConfigError(issuesFrom(result.error, sources, fileSource));
  return { config: result.data, baseDir: file ? dirname(resolve(file)) : process.cwd() };
}

/** Loads and validates the agent's configuration; throws ConfigError naming every bad key. */
export function loadAgentConfig(options: LoadOptions = {}): AgentConfig {
  const { config, baseDir } = load(AgentConfigSchema, options);
  return resolvePaths(config, baseDir);
}

/** The lenient variant for the `sscard` client commands: the terminal identity may be absent. */
export function loadClientConfig(options: LoadOptions = {}): ClientConfig {
  const { config, baseDir } = load(ClientConfigSchema, options);
  return resolvePaths(config, baseDir);
}

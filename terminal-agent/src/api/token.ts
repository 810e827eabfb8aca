import { randomBytes, timingSafeEqual } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, mkdir, open, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SscardError } from '@sscard/card-core';

/** The API token file is missing, unreadable, or readable by other users. */
export class TokenFileError extends SscardError {
  constructor(path: string, problem: string, options?: ErrorOptions) {
    super('API_TOKEN_FILE', `API token file ${path}: ${problem}`, { path }, options);
  }
}

const TOKEN_BYTES = 32;
const MIN_TOKEN_LENGTH = 32;

async function readToken(path: string): Promise<string> {
  const info = await stat(path);
  // The token is as good as the file's permissions: refuse one that others can read, as ssh does
  // with a private key, instead of serving an API whose secret is public on the machine.
  if ((info.mode & 0o077) !== 0) {
    throw new TokenFileError(
      path,
      `is accessible by group or others (mode ${(info.mode & 0o777).toString(8)}); run chmod 600`,
    );
  }
  const token = (await readFile(path, 'utf8')).trim();
  if (token.length < MIN_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+$/.test(token)) {
    throw new TokenFileError(
      path,
      `does not hold a token of at least ${MIN_TOKEN_LENGTH} URL-safe characters`,
    );
  }
  return token;
}

/**
 * The agent's bearer token: read from `path`, or generated there (0600, directory 0700) on first
 * start. Creation uses O_EXCL so two agents starting together cannot both write a token.
 */
export async function ensureApiToken(path: string): Promise<string> {
  try {
    return await readToken(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    await handle.writeFile(`${token}\n`);
    await handle.sync();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return readToken(path);
    throw new TokenFileError(path, `cannot be created (${(e as NodeJS.ErrnoException).code ?? 'error'})`, {
      cause: e,
    });
  } finally {
    await handle?.close();
  }
  // The process umask may have narrowed the mode further but never widened it; make it exact.
  await chmod(path, 0o600);
  return token;
}

/** For clients (`sscard readers` talking to a running agent): the token, or undefined when there is none. */
export async function readApiToken(path: string): Promise<string | undefined> {
  try {
    return await readToken(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Compares in constant time, so the token cannot be guessed byte by byte from response times. */
export function tokenMatches(expected: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(presented, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

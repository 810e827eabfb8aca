import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { constants, mkdir, open, rename, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { wipe } from '@sscard/card-core';
import { z } from 'zod';
import { DomainError } from '../errors.js';
import { type ServiceKeyset, parseServiceKeyset } from './service-keyset.js';

/**
 * The HSM's key file at rest: the service keyset sealed (AES-256-GCM) under a local master key that
 * is not on the same disk path as the file and is given to the HSM process at start. The file
 * alone is useless; with the master key, only the HSM process reads it. Both files must be the
 * running user's own and unreadable by anyone else, or the process does not start: a key that
 * others could have read is a key to replace, not to use.
 */

const FORMAT = 'sscard-hsm-keyfile';
/** Authenticated with the sealed keyset so that a header cannot be swapped between files. */
const AAD = Buffer.from(`${FORMAT}/1`);

const keyFileSchema = z.object({
  format: z.literal(FORMAT),
  version: z.literal(1),
  cipher: z.literal('aes-256-gcm'),
  /** A check value of the master key (HMAC of a constant): tells a wrong master key from a damaged file. */
  masterKeyCheck: z.string().regex(/^[0-9a-f]{12}$/),
  iv: z.string().regex(/^[0-9a-f]{24}$/),
  tag: z.string().regex(/^[0-9a-f]{32}$/),
  sealed: z.string().min(1),
});

export const MASTER_KEY_BYTES = 32;

function masterKeyCheck(masterKey: Buffer): string {
  return createHmac('sha256', masterKey).update('sscard hsm master key check').digest('hex').slice(0, 12);
}

function keyFileError(message: string): DomainError {
  return new DomainError('HSM_KEY_FILE', message, 500);
}

/**
 * Refuses a secret file (key file or master key) that is not a regular file of the running user
 * with no access for group or others.
 */
export async function checkSecretFileMode(path: string, what: string): Promise<void> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw keyFileError(`${what} ${path} does not exist`);
    throw e;
  }
  if (!info.isFile()) throw keyFileError(`${what} ${path} is not a regular file`);
  const uid = process.getuid?.();
  if (uid !== undefined && info.uid !== uid) {
    throw keyFileError(`${what} ${path} belongs to uid ${info.uid}, not to the running user (uid ${uid})`);
  }
  if ((info.mode & 0o077) !== 0) {
    throw keyFileError(
      `${what} ${path} has mode ${(info.mode & 0o777).toString(8)}: it must be 600 (or 400), readable by its owner only`,
    );
  }
}

/** Reads the master key: 64 hex digits (a trailing newline allowed), from a file checked like the key file. */
export async function readMasterKey(path: string): Promise<Buffer> {
  await checkSecretFileMode(path, 'HSM master key');
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const text = (await handle.readFile('utf8')).trim();
    if (!/^[0-9A-Fa-f]{64}$/.test(text)) {
      throw keyFileError(`HSM master key ${path}: ${MASTER_KEY_BYTES} bytes as 64 hex digits expected`);
    }
    return Buffer.from(text, 'hex');
  } finally {
    await handle.close();
  }
}

/**
 * A key's check value as key-loading devices show it: the first 3 bytes of a zero block enciphered
 * under the key (3DES for format 0 keys, AES for format 4 keys).
 */
export function keyCheckValue(key: Buffer, format: 0 | 4): string {
  const cipher = createCipheriv(format === 0 ? 'des-ede-ecb' : 'aes-128-ecb', key, null).setAutoPadding(
    false,
  );
  const zero = Buffer.alloc(format === 0 ? 8 : 16);
  return Buffer.concat([cipher.update(zero), cipher.final()])
    .subarray(0, 3)
    .toString('hex')
    .toUpperCase();
}

/** Writes a new random master key file (mode 0600) unless one exists; its directory is made 0700. */
export async function createMasterKeyFile(path: string): Promise<boolean> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  try {
    const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      await handle.writeFile(`${randomBytes(MASTER_KEY_BYTES).toString('hex')}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

export function sealKeyset(keyset: ServiceKeyset, masterKey: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', masterKey, iv);
  cipher.setAAD(AAD);
  const plain = Buffer.from(JSON.stringify(keyset));
  const sealed = Buffer.concat([cipher.update(plain), cipher.final()]);
  wipe(plain);
  const file = {
    format: FORMAT,
    version: 1,
    cipher: 'aes-256-gcm',
    masterKeyCheck: masterKeyCheck(masterKey),
    iv: iv.toString('hex'),
    tag: cipher.getAuthTag().toString('hex'),
    sealed: sealed.toString('base64'),
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

export function unsealKeyset(text: string, masterKey: Buffer, path = 'key file'): ServiceKeyset {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw keyFileError(`${path} is not JSON`);
  }
  const file = keyFileSchema.safeParse(json);
  if (!file.success)
    throw keyFileError(`${path} is not an sscard HSM key file (${file.error.issues[0]!.path.join('.')})`);
  if (file.data.masterKeyCheck !== masterKeyCheck(masterKey)) {
    throw keyFileError(`${path} was sealed under another master key`);
  }
  const decipher = createDecipheriv('aes-256-gcm', masterKey, Buffer.from(file.data.iv, 'hex'));
  decipher.setAAD(AAD);
  decipher.setAuthTag(Buffer.from(file.data.tag, 'hex'));
  let plain: Buffer;
  try {
    plain = Buffer.concat([decipher.update(Buffer.from(file.data.sealed, 'base64')), decipher.final()]);
  } catch {
    throw keyFileError(`${path} has been altered or damaged (its authentication tag does not match)`);
  }
  try {
    return parseServiceKeyset(JSON.parse(plain.toString('utf8')));
  } finally {
    wipe(plain);
  }
}

/** Reads, checks (owner, mode) and unseals the key file. */
export async function openKeyFile(path: string, masterKey: Buffer): Promise<ServiceKeyset> {
  await checkSecretFileMode(path, 'HSM key file');
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    return unsealKeyset(await handle.readFile('utf8'), masterKey, path);
  } finally {
    await handle.close();
  }
}

/**
 * Writes a secret file (mode 0600, never wider even for a moment) and syncs it and its directory,
 * replacing an existing one only once the new one is whole.
 */
export async function writeSecretFile(path: string, text: string): Promise<void> {
  const temp = join(dirname(path), `.${Date.now()}-${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
  const dir = await open(dirname(path), constants.O_RDONLY);
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

import { access, mkdir, readFile } from 'node:fs/promises';
import { DomainError } from '../errors.js';
import { hsmPaths } from './hsm-paths.js';
import { sealKeyset, writeSecretFile } from './key-file.js';
import { type ServiceKeyset, serviceKeysetFromIssuer } from './service-keyset.js';

/**
 * `sscard-service keys`: the HSM's sealed key file made from an issuer keyset, in the HSM's
 * directory (created 0700). Run where the issuer keyset is (the key ceremony), not on the API
 * host; the issuer keyset itself is neither copied nor kept.
 */
export async function makeServiceKeyFile(options: {
  issuerKeysetPath: string;
  hsmDir: string;
  masterKey: Buffer;
  now?: Date;
}): Promise<{ keyFile: string; keyset: Pick<ServiceKeyset, 'createdAt' | 'issuerKeysetCreatedAt'> }> {
  let issuerJson: unknown;
  try {
    issuerJson = JSON.parse(await readFile(options.issuerKeysetPath, 'utf8'));
  } catch (e) {
    throw new DomainError(
      'HSM_KEYSET_INVALID',
      `cannot read issuer keyset ${options.issuerKeysetPath}: ${(e as Error).message}`,
      500,
    );
  }
  const keyset = serviceKeysetFromIssuer(issuerJson, options.now);
  const paths = hsmPaths(options.hsmDir);
  // A new keyset has a new audit MAC key: the checkpoints made under the old one could no longer be
  // verified. Replacing it is a deliberate act (move the old file away first), never a side effect.
  const exists = await access(paths.keyFile).then(
    () => true,
    () => false,
  );
  if (exists)
    throw new DomainError(
      'HSM_KEY_FILE_EXISTS',
      `${paths.keyFile} exists; move it away to make a new one`,
      409,
    );
  await mkdir(paths.dir, { recursive: true, mode: 0o700 });
  await writeSecretFile(paths.keyFile, sealKeyset(keyset, options.masterKey));
  return {
    keyFile: paths.keyFile,
    keyset: { createdAt: keyset.createdAt, issuerKeysetCreatedAt: keyset.issuerKeysetCreatedAt },
  };
}

import { join, resolve } from 'node:path';

/**
 * Where the HSM process keeps its files, all in one directory of its own (mode 0700): the socket
 * the service talks to, the sealed key file, and the audit checkpoint log.
 */
export interface HsmPaths {
  dir: string;
  socket: string;
  keyFile: string;
  checkpointLog: string;
}

export function hsmPaths(dir: string): HsmPaths {
  const abs = resolve(dir);
  return {
    dir: abs,
    socket: join(abs, 'hsm.sock'),
    keyFile: join(abs, 'service-keys.json'),
    checkpointLog: join(abs, 'audit-checkpoints.jsonl'),
  };
}

/**
 * The master key file: `SSCARD_HSM_MASTER_KEY_FILE`, else the credential systemd hands the unit
 * (`LoadCredentialEncrypted=sscard-hsm-master-key:…` puts it in `$CREDENTIALS_DIRECTORY`, on a
 * memory file system readable by the unit only). There is deliberately no default beside the key
 * file: the two on one disk would protect nothing.
 */
export function masterKeyPath(env: NodeJS.ProcessEnv): string | undefined {
  if (env.SSCARD_HSM_MASTER_KEY_FILE) return resolve(env.SSCARD_HSM_MASTER_KEY_FILE);
  if (env.CREDENTIALS_DIRECTORY) return join(env.CREDENTIALS_DIRECTORY, 'sscard-hsm-master-key');
  return undefined;
}

#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { DomainError } from '../errors.js';
import { CheckpointLog } from './checkpoint-log.js';
import { HsmCore, terminalPinKey } from './hsm-core.js';
import { hsmPaths, masterKeyPath } from './hsm-paths.js';
import { startHsmServer } from './hsm-server.js';
import { keyCheckValue, openKeyFile, readMasterKey, writeSecretFile } from './key-file.js';

const USAGE = `usage: sscard-hsm [serve] [--dir DIR]
       sscard-hsm terminal-pin-key --terminal-id T --format 0|4 --out FILE [--dir DIR]
       sscard-hsm zone-pin-key --out FILE [--dir DIR]

  serve               the HSM process: answers the service's host commands on DIR/hsm.sock
  terminal-pin-key    writes the PIN key to load into terminal T's PIN pad to FILE (mode 0600;
                      at the key-loading facility) and prints its check value
  zone-pin-key        writes the zone PIN key shared with the card-issuing bank to FILE (mode
                      0600; taken to the bank's HSM at the key exchange), under which the bank
                      passes on the bank PINs its cardholders choose; prints its check value

DIR: --dir, else SSCARD_HSM_DIR, else ./data/hsm. It holds service-keys.json (made by
\`sscard-service keys\`), the socket and audit-checkpoints.jsonl, and must be mode 0700.
Master key: SSCARD_HSM_MASTER_KEY_FILE, else $CREDENTIALS_DIRECTORY/sscard-hsm-master-key.`;

function stderr(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dir: { type: 'string' },
      'terminal-id': { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const paths = hsmPaths(values.dir ?? process.env.SSCARD_HSM_DIR ?? './data/hsm');
  const masterPath = masterKeyPath(process.env);
  if (!masterPath) {
    throw new DomainError(
      'USAGE',
      'no master key: set SSCARD_HSM_MASTER_KEY_FILE (or run under systemd with LoadCredential)',
      2,
    );
  }
  const masterKey = await readMasterKey(masterPath);
  const keyset = await openKeyFile(paths.keyFile, masterKey);
  masterKey.fill(0);
  const core = new HsmCore(keyset);
  const [command = 'serve'] = positionals;
  if (command === 'terminal-pin-key') {
    const format = Number(values.format);
    if (!values['terminal-id'] || !values.out || (format !== 0 && format !== 4)) {
      throw new DomainError('USAGE', 'terminal-pin-key --terminal-id T --format 0|4 --out FILE', 2);
    }
    const key = terminalPinKey(
      Buffer.from(keyset.pin.terminalMasterKey, 'hex'),
      values['terminal-id'],
      format,
    );
    await writeSecretFile(values.out, `${key.toString('hex').toUpperCase()}\n`);
    process.stdout.write(`check value ${keyCheckValue(key, format)}\n`);
    key.fill(0);
    return 0;
  }
  if (command === 'zone-pin-key') {
    if (!values.out) throw new DomainError('USAGE', 'zone-pin-key --out FILE', 2);
    const key = Buffer.from(keyset.pin.zoneKey, 'hex');
    await writeSecretFile(values.out, `${key.toString('hex').toUpperCase()}\n`);
    process.stdout.write(`check value ${keyCheckValue(key, 0)}\n`);
    key.fill(0);
    return 0;
  }
  if (command !== 'serve') throw new DomainError('USAGE', `unknown command ${command}`, 2);
  const checkpoints = await CheckpointLog.open(paths.checkpointLog);
  const server = await startHsmServer({ socketPath: paths.socket, core, checkpoints, warn: stderr });
  stderr(`sscard-hsm ready on ${paths.socket} (keyset of ${keyset.createdAt})`);
  const stop = () => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return -1;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (e: unknown) => {
    stderr(`sscard-hsm: ${e instanceof Error ? e.message : String(e)}`);
    if (e instanceof DomainError && e.code === 'USAGE') stderr(USAGE);
    process.exitCode = e instanceof DomainError && e.code === 'USAGE' ? 2 : 1;
  },
);

#!/usr/bin/env node
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isSscardError } from '@sscard/card-core';
import {
  type CardDocument,
  DEFAULT_KEYSET_PATH,
  demoCardDocuments,
  generateKeyset,
  loadKeyset,
  parseCardDocument,
  personalise,
  publicKeyset,
  saveKeyset,
} from './cards/index.js';
import { defaultProfiles } from '@sscard/firmware-profiles';
import { startPcscd, startPtyPair } from '@sscard/local-stack';
import { Emulator, serialSlot, vpcdSlot } from './control/emulator.js';
import { createControlServer } from './control/server.js';
import { parseFault } from './faults.js';
import { createLogger } from '@sscard/log';
import { SerialPinPadFirmware, SerialReaderFirmware } from './serial/index.js';

const USAGE = `usage: sscard-emulator <command> [options]

  keys [--out FILE] [--force]      generate a test issuer keyset (default ${DEFAULT_KEYSET_PATH}) and
                                   its public part (CA public keys) next to it
  personalise HOLDERS.json [--out FILE]
                                   card documents from holder records (JSON array)
  start [options]                  run the virtual readers with the cards
      --keys FILE                  keyset (default ${DEFAULT_KEYSET_PATH}; generated when missing)
      --cards FILE                 card documents (JSON array; default: the demo cards)
      --memory-dir DIR             keep each card's memory (PIN tries, records, transaction
                                   counter) in DIR/<card>.json across restarts
      --card ID                    the card inserted in slot "card" at start (default: the first)
      --vpcd-port N                vpcd port of the citizen's card slot (default 35963, Debian's vpcd)
      --psam-port N                vpcd port of the PSAM slot (default: vpcd-port + 1)
      --contactless-port N         also a contactless slot "contactless" on this vpcd port: dual-
                                   interface cards show there the ATR a reader builds for them
      --private-pcscd              start a private pcscd with the vpcd driver and print its socket
      --serial                     also a serial reader on a socat pty pair; prints the host-side
                                   path for the terminal
      --serial-profile ID          its serial protocol profile (default sscard-stx-bcc)
      --slot NAME=PORT             one more vpcd slot NAME on vpcd port PORT (a counter's reader);
                                   repeatable
      --pinpad NAME[=KEYFILE]      a serial PIN pad NAME on a socat pty pair; prints the host-side
                                   path for the terminal. KEYFILE: the terminal PIN key (hex, as
                                   \`sscard-hsm terminal-pin-key --format 0\` writes it) the pad
                                   enciphers bank PINs under; repeatable
      --pinpad-profile ID          the pads' profile (default sscard-serial-pinpad)
      --latency realistic          every APDU takes the time it would at 9600 baud T=0
      --control-port N             control API port on 127.0.0.1 (default 8687)
  cards | slots                    list the running emulator's cards or slots
  insert SLOT CARD | remove SLOT   put a card into a slot (swapping out what is there) or take it out
  press SLOT|PAD KEYS              type on a reader's keypad or a PIN pad: digits, E Enter, C Cancel
  fault SLOT KIND [--delay-ms N]   none | mute | garbage | huge-length | endless-61xx | slow |
                                   realistic-latency | disconnect

The control commands reach the emulator at --control-port or SSCARD_EMULATOR_URL.`;

class UsageError extends Error {}

function readCards(path: string | undefined): CardDocument[] {
  if (!path) return demoCardDocuments();
  const raw: unknown = JSON.parse(readFileSync(path, 'utf8'));
  const list = Array.isArray(raw) ? raw : [raw];
  return list.map((doc) => parseCardDocument(doc));
}

function publicKeysetPath(keysPath: string): string {
  return resolve(dirname(keysPath), 'ca-public-keys.json');
}

async function writeKeys(out: string, force: boolean): Promise<void> {
  if (existsSync(out) && !force) throw new UsageError(`${out} exists; use --force to replace it`);
  const keyset = generateKeyset();
  await saveKeyset(out, keyset);
  writeFileSync(publicKeysetPath(out), `${JSON.stringify(publicKeyset(keyset), null, 2)}\n`);
  process.stdout.write(`keyset written to ${out}; CA public keys to ${publicKeysetPath(out)}\n`);
}

async function start(values: Record<string, string | boolean | string[] | undefined>): Promise<void> {
  const started = Date.now();
  const keysPath = resolve(String(values.keys ?? DEFAULT_KEYSET_PATH));
  if (!existsSync(keysPath)) await writeKeys(keysPath, false);
  const keyset = await loadKeyset(keysPath);
  const documents = readCards(values.cards as string | undefined);
  const logger = createLogger();
  const memoryDir = values['memory-dir'] as string | undefined;
  const emulator = new Emulator(keyset, documents, {
    logger,
    ...(memoryDir ? { memoryDir: resolve(memoryDir) } : {}),
  });

  let vpcdPort = Number(values['vpcd-port'] ?? 35963);
  let psamPort = values['psam-port'] !== undefined ? Number(values['psam-port']) : vpcdPort + 1;
  let stopPcscd: (() => Promise<void>) | undefined;
  if (values['private-pcscd']) {
    const pcscd = await startPcscd();
    stopPcscd = () => pcscd.stop();
    vpcdPort = pcscd.vpcdPorts[0]!;
    psamPort = pcscd.vpcdPorts[1]!;
    process.stdout.write(`private pcscd: export PCSCLITE_CSOCK_NAME=${pcscd.socketPath}\n`);
  }
  const contactlessPort =
    values['contactless-port'] !== undefined ? Number(values['contactless-port']) : undefined;
  for (const [name, port] of [
    ['card', vpcdPort],
    ['psam', psamPort],
    ...(contactlessPort !== undefined ? [['contactless', contactlessPort] as const] : []),
  ] as const) {
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new UsageError(`bad port for slot ${name}`);
    emulator.addSlot(vpcdSlot(name, port, logger, { contactless: name === 'contactless' }));
  }
  for (const spec of (values.slot as string[] | undefined) ?? []) {
    const match = /^([a-z][a-z0-9-]*)=(\d+)$/.exec(spec);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65535) throw new UsageError(`--slot takes NAME=PORT, not "${spec}"`);
    if (emulator.listSlots().some((s) => s.name === match[1]))
      throw new UsageError(`slot ${match[1]} is given twice`);
    emulator.addSlot(vpcdSlot(match[1]!, port, logger));
  }

  if (values.serial) {
    const profileId = String(values['serial-profile'] ?? 'sscard-stx-bcc');
    const profile = defaultProfiles().serialReader(profileId);
    const pty = await startPtyPair();
    const firmware = await SerialReaderFirmware.open({ path: pty.a, profile });
    emulator.addSlot(serialSlot('serial', firmware, () => void pty.close()));
    process.stdout.write(`serial reader (${profileId}) for the terminal at ${pty.b}\n`);
  }

  for (const spec of (values.pinpad as string[] | undefined) ?? []) {
    const [name, keyFile] = spec.split('=', 2) as [string, string | undefined];
    if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new UsageError(`--pinpad takes NAME[=KEYFILE], not "${spec}"`);
    const profileId = String(values['pinpad-profile'] ?? 'sscard-serial-pinpad');
    // The terminal's format 0 PIN key, loaded as a key-loading device would load it.
    const key = keyFile ? Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'hex') : undefined;
    if (key && key.length !== 16) throw new UsageError(`${keyFile}: expected a 16-byte key in hex`);
    const pty = await startPtyPair();
    const pad = await SerialPinPadFirmware.open({
      path: pty.a,
      profile: defaultProfiles().pinPad(profileId),
      ...(key ? { terminalPinKeys: { 0: key } } : {}),
    });
    emulator.addPinPad({
      name,
      enciphers: key !== undefined,
      get connected() {
        return pad.connected;
      },
      pressKeys: (keys) => pad.pressKeys(keys),
      async close() {
        await pad.close();
        await pty.close();
      },
    });
    process.stdout.write(`serial PIN pad ${name} (${profileId}) for the terminal at ${pty.b}\n`);
  }

  const firstCard = (values.card as string | undefined) ?? documents[0]?.card.cardNumber;
  if (firstCard) emulator.insert('card', firstCard);
  const psam = emulator.listCards().find((c) => c.kind === 'psam');
  if (psam) emulator.insert('psam', psam.id);
  if (values.latency === 'realistic') {
    for (const slot of emulator.listSlots())
      if (slot.card) emulator.setFault(slot.name, { kind: 'realistic-latency' });
  } else if (values.latency !== undefined) {
    throw new UsageError('--latency takes "realistic"');
  }

  const controlPort = Number(values['control-port'] ?? 8687);
  const server = createControlServer(emulator);
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(controlPort, '127.0.0.1', ok);
  });
  const slots = emulator
    .listSlots()
    .map((s) => `${s.name}=${s.card?.id ?? 'empty'}`)
    .join(' ');
  process.stdout.write(
    `sscard-emulator ready in ${Date.now() - started} ms: control http://127.0.0.1:${controlPort} (vpcd ports ${vpcdPort}, ${psamPort}) ${slots}\n`,
  );

  const stop = () => {
    server.close();
    emulator
      .close()
      .then(() => stopPcscd?.())
      .finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function control(path: string, body?: unknown, port?: string): Promise<unknown> {
  const base = process.env.SSCARD_EMULATOR_URL ?? `http://127.0.0.1:${port ?? 8687}`;
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new UsageError(`no emulator answers at ${base}: start it with "sscard-emulator start"`);
  }
  const answer = (await res.json()) as { message?: string };
  if (!res.ok) throw new UsageError(answer.message ?? `the emulator answered ${res.status}`);
  return answer;
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      force: { type: 'boolean' },
      keys: { type: 'string' },
      cards: { type: 'string' },
      card: { type: 'string' },
      'memory-dir': { type: 'string' },
      'vpcd-port': { type: 'string' },
      'psam-port': { type: 'string' },
      'contactless-port': { type: 'string' },
      'private-pcscd': { type: 'boolean' },
      serial: { type: 'boolean' },
      'serial-profile': { type: 'string' },
      slot: { type: 'string', multiple: true },
      pinpad: { type: 'string', multiple: true },
      'pinpad-profile': { type: 'string' },
      latency: { type: 'string' },
      'control-port': { type: 'string' },
      'delay-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...args] = positionals;
  const port = values['control-port'];
  switch (command) {
    case 'keys':
      return writeKeys(resolve(values.out ?? DEFAULT_KEYSET_PATH), values.force === true);
    case 'personalise': {
      if (!args[0]) throw new UsageError('personalise needs a holders JSON file');
      const holders: unknown = JSON.parse(readFileSync(args[0], 'utf8'));
      if (!Array.isArray(holders)) throw new UsageError('the holders file must be a JSON array');
      const docs = personalise(holders);
      const text = `${JSON.stringify(docs, null, 2)}\n`;
      if (values.out) {
        mkdirSync(dirname(resolve(values.out)), { recursive: true });
        writeFileSync(values.out, text);
      } else process.stdout.write(text);
      return;
    }
    case 'start':
      return start(values);
    case 'cards':
      return print(await control('/cards', undefined, port));
    case 'slots':
      return print(await control('/slots', undefined, port));
    case 'insert':
      if (args.length !== 2) throw new UsageError('insert SLOT CARD');
      return print(await control(`/slots/${encodeURIComponent(args[0]!)}/insert`, { card: args[1] }, port));
    case 'remove':
      if (args.length !== 1) throw new UsageError('remove SLOT');
      return print(await control(`/slots/${encodeURIComponent(args[0]!)}/remove`, {}, port));
    case 'press': {
      if (args.length !== 2) throw new UsageError('press SLOT|PAD KEYS');
      const [target, keys] = args as [string, string];
      const pads = (await control('/pinpads', undefined, port)) as { pinPads: { name: string }[] };
      const where = pads.pinPads.some((p) => p.name === target) ? 'pinpads' : 'slots';
      return print(await control(`/${where}/${encodeURIComponent(target)}/keys`, { keys }, port));
    }
    case 'fault': {
      if (args.length !== 2) throw new UsageError('fault SLOT KIND');
      const fault = parseFault({
        kind: args[1],
        ...(values['delay-ms'] ? { delayMs: Number(values['delay-ms']) } : {}),
      });
      return print(await control(`/slots/${encodeURIComponent(args[0]!)}/fault`, fault, port));
    }
    default:
      if (values.help || command === undefined || command === 'help') {
        process.stdout.write(`${USAGE}\n`);
        return;
      }
      throw new UsageError(`unknown command ${command}`);
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  if (e instanceof UsageError) {
    process.stderr.write(`sscard-emulator: ${e.message}\n`);
    process.exit(2);
  }
  const message = isSscardError(e) || e instanceof Error ? e.message : String(e);
  process.stderr.write(`sscard-emulator: ${message}\n`);
  process.exit(1);
});

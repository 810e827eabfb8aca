// `npm start`: the whole service hall on one machine, with virtual hardware. The card registry on
// sqlite3 (seeded with demo holders and the virtual cards) with its HSM process, a private pcscd
// with the vpcd driver, the card emulator (a card reader at each counter, the kiosk's PSAM and
// dual-interface reader, a serial reader with a keypad, a serial PIN pad at the desk and at the
// bank counter), and four terminal agents that enrol themselves with the registry on first start:
// the kiosk, a hospital desk, a bank counter and a bureau counter (PIN unblock and reset on a
// clerk's authorisation), each serving its screens of the kiosk UI. The registry gets what the
// counters need to move money (scripts/demo-hall.mjs), and the bureau's clerk an operator token.
// State lives under ./data and survives restarts.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startPcscd, waitFor } from '@sscard/local-stack';
import {
  DEMO_BANK_PIN,
  DEMO_CLERK,
  HOSPITAL,
  TERMINALS,
  agentDir,
  demoCardPlaces,
  operatorApi,
  publishDemoPolicies,
  runThisMonthsPensions,
  seedCounters,
} from './demo-hall.mjs';

const root = new URL('..', import.meta.url).pathname;
const dataDir = process.env.SSCARD_DATA_DIR ?? join(root, 'data');
const servicePort = Number(process.env.SSCARD_SERVICE_PORT ?? 8443);
const emulatorPort = Number(process.env.SSCARD_EMULATOR_PORT ?? 8687);
/** Each counter's local API and screens. */
const agentPorts = {
  kiosk: Number(process.env.SSCARD_API_PORT ?? 8686),
  desk: Number(process.env.SSCARD_DESK_PORT ?? 8688),
  bank: Number(process.env.SSCARD_BANK_PORT ?? 8689),
  bureau: Number(process.env.SSCARD_BUREAU_PORT ?? 8690),
};

const paths = {
  keys: join(dataDir, 'keys', 'issuer.json'),
  // The HSM's master key, apart from its sealed key file (data/service/hsm): in production a
  // systemd credential or a file on another medium, never beside the key file.
  hsmMasterKey: join(dataDir, 'keys', 'hsm-master-key'),
  caPublicKeys: join(dataDir, 'keys', 'ca-public-keys.json'),
  cards: join(dataDir, 'emulator', 'cards.json'),
  // The cards' memory (PIN tries, records, transaction counters): a blocked card stays blocked.
  cardMemory: join(dataDir, 'emulator', 'memory'),
  service: join(dataDir, 'service'),
  // The bank counter's PIN pad key, as the key-loading facility writes it for the pad.
  bankPadKey: join(dataDir, 'keys', `${TERMINALS.bank.id}-pin-key`),
  // The bureau clerk's operator token (mode 0600), which they sign in at the counter with.
  clerkToken: join(dataDir, 'bureau', 'clerk-token'),
};

/** A clerk's token is made again well before it expires (operator tokens live 90 days). */
const CLERK_TOKEN_RENEW_MS = 60 * 86_400_000;

const children = [];
let stopping = false;

function say(text) {
  process.stdout.write(`[start] ${text}\n`);
}

function fail(text) {
  process.stderr.write(`[start] ${text}\n`);
  shutdown(1);
}

/** Runs a component's CLI to completion and returns its standard output. */
function runCli(name, script, args, env = {}) {
  const result = spawnSync(process.execPath, [join(root, script), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new Error(`${name} ${args.join(' ')} failed:\n${result.stderr || result.stdout}`);
  }
  return result.stdout;
}

/** This process's environment without the hall's SSCARD_ settings, for a terminal agent. */
function agentEnvironment() {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('SSCARD_')));
}

/** Starts a long-running component; its output lines are prefixed with its name. */
function startChild(name, script, args, env = {}, options = {}) {
  const { baseEnv = process.env, ...spawnOptions } = options;
  const child = spawn(process.execPath, [join(root, script), ...args], {
    cwd: root,
    env: { ...baseEnv, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...spawnOptions,
  });
  children.push(child);
  const lines = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      process.stdout.write(`[${name}] ${line}\n`);
    });
  }
  child.once('exit', (code, signal) => {
    if (!stopping) fail(`${name} stopped (${code ?? signal}); the system cannot run without it`);
  });
  return { child, lines };
}

function waitForLine(proc, name, pattern, timeoutMs = 30_000) {
  return waitFor(
    `${name} to be ready`,
    () => {
      if (proc.child.exitCode !== null) throw new Error(`${name} exited before it was ready`);
      return proc.lines.find((l) => pattern.test(l));
    },
    timeoutMs,
    50,
  );
}

function waitForHttp(url, what, timeoutMs = 30_000) {
  return waitFor(`${what} at ${url}`, async () => (await fetch(url)).status < 500, timeoutMs, 100);
}

function shutdown(code = 0) {
  if (stopping) return;
  stopping = true;
  say('stopping');
  // The HSM goes last: the service certifies its audit chain with it as it stops.
  const hsm = children.find((c) => c === hsmChild);
  const others = children.filter((c) => c !== hsmChild).reverse();
  for (const child of others) child.kill('SIGTERM');
  const exited = (child) =>
    child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve()
      : new Promise((resolve) => child.once('exit', resolve));
  const othersGone = Promise.race([
    Promise.allSettled(others.map(exited)),
    new Promise((resolve) => setTimeout(resolve, 5000)),
  ]);
  othersGone
    .then(() => {
      hsm?.kill('SIGTERM');
      return Promise.allSettled(pcscdStop ? [pcscdStop()] : []);
    })
    .finally(() => {
      setTimeout(() => process.exit(code), 500);
    });
}

let pcscdStop;
let hsmChild;
process.once('SIGINT', () => shutdown(0));
process.once('SIGTERM', () => shutdown(0));

/** The card documents of the virtual cards: written once, and later demo cards added to an older file. */
function demoCardFile(cards) {
  const wanted = cards.demoCardDocuments();
  if (!existsSync(paths.cards)) {
    mkdirSync(join(dataDir, 'emulator'), { recursive: true });
    writeFileSync(paths.cards, `${JSON.stringify(wanted, null, 2)}\n`);
    return { documents: wanted, added: wanted.length };
  }
  const documents = JSON.parse(readFileSync(paths.cards, 'utf8'));
  const missing = wanted.filter((w) => !documents.some((d) => d.card.cardNumber === w.card.cardNumber));
  if (missing.length > 0) {
    documents.push(...missing);
    writeFileSync(paths.cards, `${JSON.stringify(documents, null, 2)}\n`);
  }
  return { documents, added: missing.length };
}

/** Puts a card into a slot of the running emulator, through its control API. */
async function insertCard(slot, cardNumber) {
  const res = await fetch(`http://127.0.0.1:${emulatorPort}/slots/${slot}/insert`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ card: cardNumber }),
  });
  if (!res.ok) throw new Error(`the emulator did not insert ${cardNumber} into ${slot}: ${await res.text()}`);
}

async function main() {
  mkdirSync(dataDir, { recursive: true });

  // 1. The test issuer's keys and the virtual cards made from them. Generated once; the registry's
  //    HSM module, the PSAM and the cards all use the same keyset, as a real issuer's would.
  const cards = await import('@sscard/card-emulator/cards/index');
  if (!existsSync(paths.keys)) {
    say(`generating the test issuer keyset into ${paths.keys}`);
    await cards.saveKeyset(paths.keys, cards.generateKeyset());
  }
  const keyset = await cards.loadKeyset(paths.keys);
  writeFileSync(paths.caPublicKeys, `${JSON.stringify(cards.publicKeyset(keyset), null, 2)}\n`);
  const { documents, added } = demoCardFile(cards);
  const places = demoCardPlaces(documents);

  // 2. The registry on sqlite3: demo holders plus the holders of the virtual cards, seeded once.
  const serviceEnv = {
    SSCARD_DATA_DIR: paths.service,
    SSCARD_SERVICE_PORT: String(servicePort),
    DATABASE_URL: '',
    SSCARD_CONSOLE_DIR: join(root, 'operator-console', 'dist', 'www'),
  };
  const seededMarker = join(paths.service, '.seeded');
  // The registry's directory holds its CA key, admin token and database: the service refuses to
  // start on one that other users can read. A demo directory from before that rule is tightened.
  mkdirSync(paths.service, { recursive: true, mode: 0o700 });
  chmodSync(paths.service, 0o700);
  if (!existsSync(seededMarker)) {
    say('seeding the registry with demo holders and the virtual cards');
    runCli(
      'sscard-service',
      'card-service/dist/cli.js',
      ['seed', '--demo', '--cards', paths.cards],
      serviceEnv,
    );
    writeFileSync(seededMarker, new Date().toISOString());
  } else if (added > 0) {
    say(`registering ${added} new demo cards`);
    runCli('sscard-service', 'card-service/dist/cli.js', ['seed', '--cards', paths.cards], serviceEnv);
  }
  // 3. The HSM process: the service keyset (only what the service needs of the issuer's keys, plus
  //    its own PIN and audit keys) sealed under the master key once, then served on a Unix socket.
  //    The service process never reads a key.
  const hsmEnv = {
    SSCARD_HSM_DIR: join(paths.service, 'hsm'),
    SSCARD_HSM_MASTER_KEY_FILE: paths.hsmMasterKey,
  };
  if (!existsSync(join(paths.service, 'hsm', 'service-keys.json'))) {
    say('sealing the service keyset for the HSM process');
    runCli(
      'sscard-service',
      'card-service/dist/cli.js',
      ['keys', '--issuer', paths.keys, '--new-master-key'],
      {
        ...serviceEnv,
        ...hsmEnv,
      },
    );
  }
  // The bank counter's PIN pad enciphers the bank PIN under the terminal PIN key the HSM derives
  // for that terminal: the key-loading facility's copy, loaded into the (emulated) pad at start.
  if (!existsSync(paths.bankPadKey)) {
    runCli(
      'sscard-hsm',
      'card-service/dist/hsm/hsm-main.js',
      ['terminal-pin-key', '--terminal-id', TERMINALS.bank.id, '--format', '0', '--out', paths.bankPadKey],
      hsmEnv,
    );
  }
  // A process group of its own, so that Ctrl-C (sent to the terminal's whole group) does not stop
  // it before the service has made its last audit checkpoint; `shutdown` stops it last.
  const hsm = startChild('sscard-hsm', 'card-service/dist/hsm/hsm-main.js', ['serve'], hsmEnv, {
    detached: true,
  });
  hsmChild = hsm.child;
  await waitForLine(hsm, 'sscard-hsm', /sscard-hsm ready/);

  const service = startChild('card-service', 'card-service/dist/cli.js', ['serve'], serviceEnv);
  await waitForLine(service, 'card-service', /listening on/);

  // 4. A private pcscd with a vpcd reader per counter, so the demo never needs (or disturbs) a
  // system pcscd. The kiosk's reader (card in slot 00, PSAM in slot 01) and its dual-interface
  // reader (firmware-profiles sscard-dual-interface: slot 01 is the antenna, where the emulator's
  // contactless slot shows dual-interface cards), then the desk's, the bank counter's and the
  // bureau counter's readers.
  const pcscd = await startPcscd({
    readers: 5,
    names: [
      'Virtual PCD',
      'sscard dual-interface reader',
      'Virtual PCD #3',
      'Virtual PCD #4',
      'Virtual PCD #5',
    ],
  });
  pcscdStop = () => pcscd.stop();
  say(`PC/SC daemon ready: ${pcscd.readerNames.join(', ')} (PCSCLITE_CSOCK_NAME=${pcscd.socketPath})`);
  const readers = {
    kiosk: pcscd.readerNames[0],
    desk: pcscd.readerNames[4],
    bank: pcscd.readerNames[6],
    bureau: pcscd.readerNames[8],
  };

  // 5. The emulator: the first demo card in the kiosk's slot, the PSAM beside it, a serial reader
  // with a PIN keypad on a pty; a card in the desk's and the bank counter's readers, and their PIN
  // pads on ptys, the bank's holding its terminal PIN key. The bureau counter's reader starts
  // empty: a citizen brings a card whose PIN they locked (at the kiosk, say).
  const emulator = startChild('card-emulator', 'card-emulator/dist/cli.js', [
    'start',
    '--keys',
    paths.keys,
    '--cards',
    paths.cards,
    '--memory-dir',
    paths.cardMemory,
    '--card',
    places.kiosk.card.cardNumber,
    '--vpcd-port',
    String(pcscd.vpcdPorts[0]),
    '--psam-port',
    String(pcscd.vpcdPorts[1]),
    '--contactless-port',
    String(pcscd.vpcdPorts[3]),
    '--slot',
    `desk=${pcscd.vpcdPorts[4]}`,
    '--slot',
    `bank=${pcscd.vpcdPorts[6]}`,
    '--slot',
    `bureau=${pcscd.vpcdPorts[8]}`,
    '--serial',
    // A reader with a PIN keypad: the cardholder types on it (the control API's /slots/serial/keys).
    '--serial-profile',
    'sscard-stx-bcc-keypad',
    '--pinpad',
    'desk',
    '--pinpad',
    `bank=${paths.bankPadKey}`,
    '--control-port',
    String(emulatorPort),
  ]);
  const ready = await waitForLine(emulator, 'card-emulator', /ready/i);
  const printed = emulator.lines.join('\n');
  const serialPath = /serial reader \(\S+\) for the terminal at (\S+)/.exec(printed)?.[1];
  const padPath = (name) =>
    new RegExp(`serial PIN pad ${name} \\(\\S+\\) for the terminal at (\\S+)`).exec(printed)?.[1];
  await insertCard('desk', places.desk.card.cardNumber);
  if (places.bank) await insertCard('bank', places.bank.card.cardNumber);

  // 6. The terminal agents: each enrols with the registry on first start with a one-time code.
  const enrolmentCodes = {};
  for (const [counter, terminal] of Object.entries(TERMINALS)) {
    const dir = agentDir(dataDir, counter);
    mkdirSync(dir, { recursive: true });
    if (existsSync(join(dir, 'registry', 'enrolment.json'))) continue;
    const out = runCli(
      'sscard-service',
      'card-service/dist/cli.js',
      ['enrol-code', '--terminal-id', terminal.id, '--type', terminal.type, '--region', terminal.region],
      serviceEnv,
    );
    enrolmentCodes[counter] = out.trim().split(/\s+/).pop();
  }

  // 7. What the counters need to move money, through the operator API: once the hospital, the
  // accounts and the pensioner's bank account; at every start this year's settlement policy and
  // this month's pension run.
  const api = operatorApi({
    url: `https://127.0.0.1:${servicePort}`,
    caCertPath: join(paths.service, 'ca', 'ca-cert.pem'),
    adminTokenPath: join(paths.service, 'admin-token'),
  });
  const countersMarker = join(paths.service, '.seeded-counters');
  if (!existsSync(countersMarker) && places.bank) {
    say('setting up the hospital, the personal accounts and the pensioner’s bank account');
    // The zone PIN key as the issuing bank's HSM holds it: the bank passes on the PIN its
    // cardholder chose under it. The demo plays the bank once, and keeps no copy.
    const zoneKeyFile = join(dataDir, 'keys', 'zone-pin-key');
    runCli('sscard-hsm', 'card-service/dist/hsm/hsm-main.js', ['zone-pin-key', '--out', zoneKeyFile], hsmEnv);
    const zonePinKey = Buffer.from(readFileSync(zoneKeyFile, 'utf8').trim(), 'hex');
    rmSync(zoneKeyFile);
    try {
      await seedCounters(api, {
        documents,
        pensioner: places.bank,
        zonePinKey,
        deskTerminalId: TERMINALS.desk.id,
      });
    } finally {
      zonePinKey.fill(0);
    }
    writeFileSync(countersMarker, new Date().toISOString());
  }
  // The bureau's clerk: an operator token with the pin:authorise scope, which they sign in with at
  // the counter. Made once, and again before it expires.
  const clerkFresh =
    existsSync(paths.clerkToken) && Date.now() - statSync(paths.clerkToken).mtimeMs < CLERK_TOKEN_RENEW_MS;
  if (!clerkFresh) {
    const token = runCli(
      'sscard-service',
      'card-service/dist/cli.js',
      ['token', 'create', '--name', DEMO_CLERK.name, '--scopes', DEMO_CLERK.scopes],
      serviceEnv,
    ).trim();
    mkdirSync(agentDir(dataDir, 'bureau'), { recursive: true });
    writeFileSync(paths.clerkToken, `${token}\n`, { mode: 0o600 });
    chmodSync(paths.clerkToken, 0o600);
  }
  const regions = [...new Set(documents.map((d) => d.card.cardIdCode.slice(0, 6)))];
  const published = await publishDemoPolicies(api, regions);
  if (published.length > 0) say(`settlement policies published: ${published.join(', ')}`);
  const { month } = await runThisMonthsPensions(api);

  /** A counter with a reader of its own and the PIN pad that faces the person at it. */
  const pinPadCounter = (counter) => ({
    readers: { card: readers[counter], only: [readers[counter]] },
    pin: {
      entry: 'pinpad',
      pinpad: { profile: 'sscard-serial-pinpad', path: padPath(counter) },
      timeoutMs: 60_000,
    },
  });
  const agentConfigs = {
    kiosk: {
      readers: {
        // Its own readers only: the card and PSAM slots of the first vpcd reader, and the
        // dual-interface reader; the counters' readers are theirs.
        only: pcscd.readerNames.slice(0, 4),
        psam: pcscd.readerNames[1],
        ...(serialPath
          ? { serial: [{ name: 'sscard serial reader', path: serialPath, profile: 'sscard-stx-bcc-keypad' }] }
          : {}),
      },
      pin: { entry: 'keypad' },
    },
    // A desk's patient types the card PIN on the PIN pad that faces them.
    desk: pinPadCounter('desk'),
    // A bank takes PINs on its PIN pad only; the bank PIN leaves the pad enciphered.
    bank: pinPadCounter('bank'),
    // The bureau counter takes no PIN: it unblocks or resets one, card-service's HSM making the
    // command's MAC (it has no PSAM).
    bureau: {
      readers: { card: readers.bureau, only: [readers.bureau] },
      pin: { entry: 'none' },
    },
  };
  for (const [counter, terminal] of Object.entries(TERMINALS)) {
    const dir = agentDir(dataDir, counter);
    const configPath = join(dir, 'agent.json');
    const config = {
      terminal,
      api: { host: '127.0.0.1', port: agentPorts[counter], uiDir: join(root, 'kiosk-ui', 'dist', 'www') },
      ...agentConfigs[counter],
      emv: { caKeysPath: paths.caPublicKeys },
      cardService: {
        url: `https://127.0.0.1:${servicePort}`,
        caCertPath: join(paths.service, 'ca', 'ca-cert.pem'),
        ...(enrolmentCodes[counter] ? { enrolmentCode: enrolmentCodes[counter] } : {}),
      },
      dataDir: dir,
    };
    writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`);
    startChild(
      counter === 'kiosk' ? 'terminal-agent' : `${counter}-agent`,
      'terminal-agent/dist/sscard.cjs',
      ['agent', '--config', configPath],
      { ...pcscd.env, SSCARD_CONFIG: configPath },
      // The hall's own settings (SSCARD_DATA_DIR, SSCARD_API_PORT) would override the agent's
      // config file, in which every agent has its own.
      { baseEnv: agentEnvironment() },
    );
  }
  for (const [counter, port] of Object.entries(agentPorts)) {
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, `the ${counter} agent`);
  }

  const emulatorCli = `npx sscard-emulator${emulatorPort === 8687 ? '' : ` --control-port ${emulatorPort}`}`;
  const who = (doc) => `${doc.holder.name}'s card ${doc.card.cardNumber} (PIN ${doc.pin.value} as issued)`;
  say('');
  say(`kiosk:           http://127.0.0.1:${agentPorts.kiosk}/`);
  say(`                 ${who(places.kiosk)} in ${readers.kiosk}; type the PIN on the screen's keypad`);
  say(`hospital desk:   http://127.0.0.1:${agentPorts.desk}/   (${HOSPITAL.name}, ${TERMINALS.desk.id})`);
  say(
    `                 ${who(places.desk)} in ${readers.desk}; type the bill, F9 pre-settles, Enter settles,`,
  );
  say(
    `                 then the patient types the card PIN on the desk's pad: ${emulatorCli} press desk ${places.desk.pin.value}E`,
  );
  if (places.bank) {
    say(`bank counter:    http://127.0.0.1:${agentPorts.bank}/   (${TERMINALS.bank.id})`);
    say(
      `                 ${who(places.bank)}, pensioner, ${month} paid, in ${readers.bank}; type an amount, Enter,`,
    );
    say(
      `                 then the bank PIN on the counter's pad: ${emulatorCli} press bank ${DEMO_BANK_PIN}E`,
    );
  }
  say(`bureau counter:  http://127.0.0.1:${agentPorts.bureau}/   (${TERMINALS.bureau.id})`);
  say(`                 the clerk signs in with the operator token in ${paths.clerkToken};`);
  say(
    `                 a citizen who locked the PIN brings the card: ${emulatorCli} insert bureau ${places.kiosk.card.cardNumber}`,
  );
  say(
    '                 then types the ID number from the holder’s identity card (the screen shows the card’s own)',
  );
  say(`another card:    ${emulatorCli} cards, then ${emulatorCli} insert card|desk|bank|bureau CARD_NUMBER`);
  say(
    `agent API:       http://127.0.0.1:${agentPorts.kiosk}/v1/readers (token in ${join(dataDir, 'api-token')}; the desk's, the bank's and the bureau's in ${join(dataDir, 'desk')}, ${join(dataDir, 'bank')}, ${join(dataDir, 'bureau')})`,
  );
  say(`iReadCardBas:    ws://127.0.0.1:${agentPorts.kiosk}/ws/ministry`);
  say(
    `card registry:   https://127.0.0.1:${servicePort}/healthz (admin token in ${join(paths.service, 'admin-token')})`,
  );
  say(`operator console: https://127.0.0.1:${servicePort}/console/ (sign in with the admin token above)`);
  say(`card emulator:   http://127.0.0.1:${emulatorPort}/ (${ready.trim()})`);
  say('');
  say('in another terminal:  npx sscard readers   npx sscard read   npx sscard-emulator cards');
  say('Ctrl-C stops everything.');
}

main().catch((e) => fail(e instanceof Error ? e.message : String(e)));

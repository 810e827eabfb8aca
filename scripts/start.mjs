// `npm start`: the whole system on one machine, as a service hall would run it, with virtual
// hardware. The card registry on sqlite3 (seeded with demo holders and the virtual cards) with its
// HSM process, a private pcscd with the vpcd driver, the card emulator (citizen card in slot 0,
// PSAM in slot 1, a serial reader on a pseudo-terminal), and a kiosk terminal agent that enrols
// itself with the registry on first start and serves the kiosk UI. State lives under ./data and survives restarts.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startPcscd, waitFor } from '@sscard/local-stack';

const root = new URL('..', import.meta.url).pathname;
const dataDir = process.env.SSCARD_DATA_DIR ?? join(root, 'data');
const servicePort = Number(process.env.SSCARD_SERVICE_PORT ?? 8443);
const agentPort = Number(process.env.SSCARD_API_PORT ?? 8686);
const emulatorPort = Number(process.env.SSCARD_EMULATOR_PORT ?? 8687);

const terminal = {
  id: 'KIOSK-330300-0001',
  type: 'kiosk',
  region: '330300',
  number: '330300000001',
  deviceNumber: 'DEMO0001',
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
  // The agent keeps its files (API token, terminal credentials, journal) at the top of ./data,
  // where the `sscard` CLI looks by default, so `npx sscard read` finds the running agent.
  agent: dataDir,
  agentConfig: join(dataDir, 'agent.json'),
};

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

/** Starts a long-running component; its output lines are prefixed with its name. */
function startChild(name, script, args, env = {}, options = {}) {
  const child = spawn(process.execPath, [join(root, script), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...options,
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
  if (!existsSync(paths.cards)) {
    mkdirSync(join(dataDir, 'emulator'), { recursive: true });
    writeFileSync(paths.cards, `${JSON.stringify(cards.demoCardDocuments(), null, 2)}\n`);
  }

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
  // A process group of its own, so that Ctrl-C (sent to the terminal's whole group) does not stop
  // it before the service has made its last audit checkpoint; `shutdown` stops it last.
  const hsm = startChild('sscard-hsm', 'card-service/dist/hsm/hsm-main.js', ['serve'], hsmEnv, {
    detached: true,
  });
  hsmChild = hsm.child;
  await waitForLine(hsm, 'sscard-hsm', /sscard-hsm ready/);

  const service = startChild('card-service', 'card-service/dist/cli.js', ['serve'], serviceEnv);
  await waitForLine(service, 'card-service', /listening on/);

  // 4. A private pcscd with two vpcd slots, so the demo never needs (or disturbs) a system pcscd.
  // The second vpcd entry is a dual-interface reader (firmware-profiles sscard-dual-interface):
  // its slot 01 is the antenna, where the emulator's contactless slot shows dual-interface cards.
  const pcscd = await startPcscd({ readers: 2, names: ['Virtual PCD', 'sscard dual-interface reader'] });
  pcscdStop = () => pcscd.stop();
  say(`PC/SC daemon ready: ${pcscd.readerNames.join(', ')} (PCSCLITE_CSOCK_NAME=${pcscd.socketPath})`);

  // 5. The emulator: the first demo card in slot 0, the PSAM in slot 1, a serial reader with a PIN
  // keypad on a pty.
  const emulator = startChild('card-emulator', 'card-emulator/dist/cli.js', [
    'start',
    '--keys',
    paths.keys,
    '--cards',
    paths.cards,
    '--memory-dir',
    paths.cardMemory,
    '--vpcd-port',
    String(pcscd.vpcdPorts[0]),
    '--psam-port',
    String(pcscd.vpcdPorts[1]),
    '--contactless-port',
    String(pcscd.vpcdPorts[3]),
    '--serial',
    // A reader with a PIN keypad: the cardholder types on it (the control API's /slots/serial/keys).
    '--serial-profile',
    'sscard-stx-bcc-keypad',
    '--control-port',
    String(emulatorPort),
  ]);
  const ready = await waitForLine(emulator, 'card-emulator', /ready/i);
  const serialPath = /serial reader \(\S+\) for the terminal at (\S+)/.exec(emulator.lines.join('\n'))?.[1];

  // 6. The kiosk terminal agent: enrols with the registry on first start with a one-time code.
  mkdirSync(paths.agent, { recursive: true });
  const enrolled = existsSync(join(paths.agent, 'registry', 'enrolment.json'));
  let enrolmentCode;
  if (!enrolled) {
    const out = runCli(
      'sscard-service',
      'card-service/dist/cli.js',
      ['enrol-code', '--terminal-id', terminal.id, '--type', terminal.type, '--region', terminal.region],
      serviceEnv,
    );
    enrolmentCode = out.trim().split(/\s+/).pop();
  }
  const agentConfig = {
    terminal,
    api: { host: '127.0.0.1', port: agentPort, uiDir: join(root, 'kiosk-ui', 'dist', 'www') },
    readers: {
      psam: 'Virtual PCD 00 01',
      ...(serialPath
        ? { serial: [{ name: 'sscard serial reader', path: serialPath, profile: 'sscard-stx-bcc-keypad' }] }
        : {}),
    },
    pin: { entry: 'keypad' },
    emv: { caKeysPath: paths.caPublicKeys },
    cardService: {
      url: `https://127.0.0.1:${servicePort}`,
      caCertPath: join(paths.service, 'ca', 'ca-cert.pem'),
      ...(enrolmentCode ? { enrolmentCode } : {}),
    },
    dataDir: paths.agent,
  };
  writeFileSync(paths.agentConfig, `${JSON.stringify(agentConfig, null, 2)}\n`);
  const agentEnv = { ...pcscd.env, SSCARD_CONFIG: paths.agentConfig };
  startChild(
    'terminal-agent',
    'terminal-agent/dist/sscard.cjs',
    ['agent', '--config', paths.agentConfig],
    agentEnv,
  );
  await waitForHttp(`http://127.0.0.1:${agentPort}/healthz`, 'the terminal agent');

  say('');
  say(`kiosk UI:        http://127.0.0.1:${agentPort}/`);
  say(
    `agent API:       http://127.0.0.1:${agentPort}/v1/readers (token in ${join(paths.agent, 'api-token')})`,
  );
  say(`iReadCardBas:    ws://127.0.0.1:${agentPort}/ws/ministry`);
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

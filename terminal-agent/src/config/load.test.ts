import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '@sscard/test-harness';
import { ConfigError, ConfigFileError } from './errors.js';
import { loadAgentConfig, loadClientConfig } from './load.js';

const terminal = { id: 'T-330300-0001', type: 'hospital', region: '330300' };

async function configFile(content: unknown): Promise<string> {
  const dir = await tempDir('sscard-config-');
  const file = join(dir, 'agent.json');
  await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a ConfigError');
}

describe('agent configuration', () => {
  it('fills defaults: loopback bind, token and journal under the data directory', async () => {
    const file = await configFile({ terminal });
    const config = loadAgentConfig({ file, env: {} });
    assert.equal(config.api.host, '127.0.0.1');
    assert.equal(config.api.port, 8686);
    assert.equal(config.api.tokenFile, join(file, '..', 'data', 'api-token'));
    assert.equal(config.journal.path, join(file, '..', 'data', 'journal.sqlite3'));
    assert.equal(config.pin.entry, 'keypad');
    assert.equal(config.api.revealPersonalData, true);
  });

  it('names the bad key and the file for an out-of-range port', async () => {
    const file = await configFile({ terminal, api: { port: 70000 } });
    const error = configError(() => loadAgentConfig({ file, env: {} }));
    assert.equal(error.key, 'api.port');
    assert.match(error.message, /^config key "api\.port" \(file .*agent\.json\)/);
  });

  it('names a misspelt key instead of ignoring it', async () => {
    const file = await configFile({ terminal, api: { allowedOrigin: ['https://his.example.org'] } });
    const error = configError(() => loadAgentConfig({ file, env: {} }));
    assert.equal(error.key, 'api.allowedOrigin');
    assert.match(error.message, /unknown key/);
  });

  it('rejects an origin with a path and names the list entry', async () => {
    const file = await configFile({ terminal, api: { allowedOrigins: ['https://his.example.org/app'] } });
    const error = configError(() => loadAgentConfig({ file, env: {} }));
    assert.equal(error.key, 'api.allowedOrigins.0');
  });

  it('names the environment variable when an override is bad', async () => {
    const file = await configFile({ terminal });
    const error = configError(() => loadAgentConfig({ file, env: { SSCARD_API_PORT: 'eighty' } }));
    assert.equal(error.key, 'api.port');
    assert.match(error.message, /SSCARD_API_PORT/);
  });

  it('names the environment variable when an override is well-typed but invalid', async () => {
    const file = await configFile({ terminal });
    const error = configError(() => loadAgentConfig({ file, env: { SSCARD_TERMINAL_TYPE: 'casino' } }));
    assert.equal(error.key, 'terminal.type');
    assert.match(error.message, /SSCARD_TERMINAL_TYPE/);
  });

  it('lets the environment override the file', async () => {
    const file = await configFile({ terminal, api: { port: 9000 } });
    const config = loadAgentConfig({
      file,
      env: { SSCARD_API_PORT: '9100', SSCARD_API_ALLOWED_ORIGINS: 'https://a.example, https://b.example' },
    });
    assert.equal(config.api.port, 9100);
    assert.deepEqual(config.api.allowedOrigins, ['https://a.example', 'https://b.example']);
  });

  it('refuses the on-screen keypad on a bank terminal', async () => {
    const file = await configFile({ terminal: { ...terminal, type: 'bank' }, pin: { entry: 'keypad' } });
    const error = configError(() => loadAgentConfig({ file, env: {} }));
    assert.equal(error.key, 'pin.entry');
    assert.match(error.message, /bank/);
  });

  it('does not default to the on-screen keypad on a bank terminal', async () => {
    const file = await configFile({ terminal: { ...terminal, type: 'bank' } });
    assert.equal(loadAgentConfig({ file, env: {} }).pin.entry, 'none');
  });

  it('uses the PIN pad when one is configured', async () => {
    const file = await configFile({
      terminal: { ...terminal, type: 'bank' },
      pin: { pinpad: { profile: 'sscard-serial-pinpad', path: '/dev/ttyUSB0' } },
    });
    assert.equal(loadAgentConfig({ file, env: {} }).pin.entry, 'pinpad');
  });

  it('requires a PIN pad profile when the PIN pad entry mode is chosen', async () => {
    const file = await configFile({ terminal, pin: { entry: 'pinpad' } });
    assert.equal(configError(() => loadAgentConfig({ file, env: {} })).key, 'pin.pinpad');
  });

  it('masks personal data by default on kiosks only', async () => {
    const file = await configFile({ terminal: { ...terminal, type: 'kiosk' } });
    assert.equal(loadAgentConfig({ file, env: {} }).api.revealPersonalData, false);
  });

  it('requires the terminal identity for the agent, and names it', () => {
    const error = configError(() => loadAgentConfig({ env: {} }));
    assert.equal(error.key, 'terminal');
  });

  it('lets client commands run without a terminal identity', () => {
    const config = loadClientConfig({ env: {} });
    assert.equal(config.terminal, undefined);
    assert.equal(config.api.host, '127.0.0.1');
  });

  it('reports a file that is not JSON as a file problem', async () => {
    const file = await configFile('{ "terminal": ');
    assert.throws(() => loadAgentConfig({ file, env: {} }), ConfigFileError);
  });

  it('gives kiosks two minutes for a PIN entry and other terminals thirty seconds', async () => {
    const kiosk = await configFile({ terminal: { ...terminal, type: 'kiosk' } });
    assert.equal(loadAgentConfig({ file: kiosk, env: {} }).pin.timeoutMs, 120_000);
    const desk = await configFile({ terminal });
    assert.equal(loadAgentConfig({ file: desk, env: {} }).pin.timeoutMs, 30_000);
  });

  it('resolves the card-service CA file against the config file and reads the registry variables', async () => {
    const file = await configFile({
      terminal,
      cardService: { url: 'https://cards.example.gov.cn:8443', caCertPath: 'trust/ca.pem' },
    });
    const config = loadAgentConfig({
      file,
      env: {
        SSCARD_ENROLMENT_CODE: 'ABCDE-FGHIJ-KLMNP',
        SSCARD_CARD_SERVICE_TRUST_ON_FIRST_USE: 'no',
        SSCARD_CARD_SERVICE_RESEND_INTERVAL_MS: '5000',
      },
    });
    assert.equal(config.cardService.caCertPath, join(file, '..', 'trust', 'ca.pem'));
    assert.equal(config.cardService.enrolmentCode, 'ABCDE-FGHIJ-KLMNP');
    assert.equal(config.cardService.trustOnFirstUse, false);
    assert.equal(config.cardService.resendIntervalMs, 5000);
  });

  it('names the trust-on-first-use variable when its value is not a boolean', async () => {
    const file = await configFile({ terminal });
    const error = configError(() =>
      loadAgentConfig({ file, env: { SSCARD_CARD_SERVICE_TRUST_ON_FIRST_USE: 'maybe' } }),
    );
    assert.equal(error.key, 'cardService.trustOnFirstUse');
    assert.match(error.message, /SSCARD_CARD_SERVICE_TRUST_ON_FIRST_USE/);
  });

  it('refuses a card-service URL that is not https', async () => {
    const file = await configFile({ terminal, cardService: { url: 'http://cards.example.gov.cn' } });
    assert.equal(configError(() => loadAgentConfig({ file, env: {} })).key, 'cardService.url');
  });

  it('reads the file named by SSCARD_CONFIG', async () => {
    const file = await configFile({ terminal, api: { port: 9300 } });
    assert.equal(loadAgentConfig({ env: { SSCARD_CONFIG: file } }).api.port, 9300);
  });
});

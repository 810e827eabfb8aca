import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { defaultProfiles, encodeFrame, type SerialReaderProfile } from '@sscard/firmware-profiles';
import { type PtyPair, startPtyPair, waitFor } from '@sscard/test-harness';
import { createCard, demoCardDocuments } from '../cards/index.js';
import { testKeyset } from '../testing/card-fixtures.js';
import { CardWithFaults } from '../faults.js';
import { closeSerialPort, openSerialPort, type SerialPort } from '@sscard/serial-line';
import { SerialReaderFirmware } from './reader-firmware.js';
import { SerialHost } from '../testing/serial-host.js';

const SELECT_SSSE = Buffer.from('00A404000F7378312E73682EC9E7BBE1B1A3D5CF', 'hex');
const keyset = testKeyset();
const documents = demoCardDocuments();

function citizenCard(index = 0): CardWithFaults {
  return new CardWithFaults(createCard(documents[index]!, keyset));
}

for (const profileId of ['sscard-stx-bcc', 'sscard-len-crc16']) {
  const profile: SerialReaderProfile = defaultProfiles().serialReader(profileId);
  const { commands, status, cardStates } = profile;
  let pty: PtyPair;
  let reader: SerialReaderFirmware;
  let port: SerialPort;
  let host: SerialHost;

  before(async () => {
    pty = await startPtyPair();
    // A short card deadline keeps the mute-card case quick; the protocol does not depend on it.
    reader = await SerialReaderFirmware.open({ path: pty.a, profile, cardResponseMs: 300 });
    port = await openSerialPort(pty.b, profile.line);
    host = new SerialHost(port, profile.framing);
  });

  after(async () => {
    await closeSerialPort(port);
    await reader.close();
    await pty.close();
  });

  beforeEach(() => {
    reader.remove();
  });

  test(`${profileId}: an empty slot answers no card to power on and reports absent`, async () => {
    assert.equal((await host.request(commands.powerOn.code)).code, status.noCard.code);
    const state = await host.request(commands.cardStatus.code);
    assert.equal(state.code, status.ok.code);
    assert.deepEqual([...state.data], [cardStates.absent]);
  });

  test(`${profileId}: power on gives the card's ATR and an APDU reaches the card`, async () => {
    const card = citizenCard();
    reader.insert(card);
    assert.equal((await host.request(commands.apdu.code, SELECT_SSSE)).code, status.cardNotPowered.code);
    const atr = await host.request(commands.powerOn.code);
    assert.equal(atr.code, status.ok.code);
    assert.deepEqual(atr.data, card.atr);
    assert.deepEqual([...(await host.request(commands.cardStatus.code)).data], [cardStates.powered]);
    const response = await host.request(commands.apdu.code, SELECT_SSSE);
    assert.equal(response.code, status.ok.code);
    assert.match(response.data.subarray(-2).toString('hex'), /^(9000|61..)$/);
  });

  test(`${profileId}: a frame written a few bytes at a time is answered once`, async () => {
    reader.insert(citizenCard());
    const wire = encodeFrame(profile.framing, { code: commands.powerOn.code, data: Buffer.alloc(0) });
    for (let i = 0; i < wire.length; i += 2) await host.write(wire.subarray(i, i + 2));
    const answer = await host.next();
    assert.equal(answer.code, status.ok.code);
    const beep = await host.request(commands.beep.code, Buffer.from([2]));
    assert.equal(beep.code, status.ok.code, 'the next answer belongs to the next command');
  });

  test(`${profileId}: a corrupted frame is answered bad checksum and the line keeps working`, async () => {
    const wire = encodeFrame(profile.framing, {
      code: commands.cardStatus.code,
      data: Buffer.from([1, 2, 3]),
    });
    wire[wire.length - 3] = wire[wire.length - 3]! ^ 0x01;
    await host.write(wire);
    assert.equal((await host.next()).code, status.badChecksum.code);
    assert.equal((await host.request(commands.cardStatus.code)).code, status.ok.code);
  });

  test(`${profileId}: an unknown command is answered unknown command`, async () => {
    assert.equal((await host.request(0x7e)).code, status.unknownCommand.code);
  });

  test(`${profileId}: a frame cut short is dropped after the inter-byte timeout with bad length`, async () => {
    const wire = encodeFrame(profile.framing, { code: commands.apdu.code, data: SELECT_SSSE });
    await host.write(wire.subarray(0, 6));
    assert.equal((await host.next()).code, status.badLength.code);
    assert.equal((await host.request(commands.cardStatus.code)).code, status.ok.code);
  });

  test(`${profileId}: a card pulled during a slow APDU is answered no card`, async () => {
    const card = citizenCard();
    reader.insert(card);
    await host.request(commands.powerOn.code);
    // Longer than the card deadline, so only the removal can explain a noCard answer.
    card.fault = { kind: 'slow', delayMs: 2_000 };
    const pending = host.request(commands.apdu.code, SELECT_SSSE);
    await waitFor('the APDU to reach the card', () => reader.busy);
    reader.remove();
    assert.equal((await pending).code, status.noCard.code);
  });

  test(`${profileId}: a mute card is answered card mute`, async () => {
    const card = citizenCard();
    reader.insert(card);
    await host.request(commands.powerOn.code);
    card.fault = { kind: 'mute' };
    assert.equal((await host.request(commands.apdu.code, SELECT_SSSE)).code, status.cardMute.code);
  });

  test(`${profileId}: noise before a frame is skipped and the frame is answered`, async () => {
    reader.insert(citizenCard());
    const wire = encodeFrame(profile.framing, { code: commands.cardStatus.code, data: Buffer.alloc(0) });
    // 0xFF never starts an STX frame and is no plausible len-crc16 length; 0x02 0xFF 0xFF is a false STX.
    await host.write(Buffer.concat([Buffer.from([0xff, 0x02, 0xff, 0xff, 0xff]), wire]));
    const answer = await host.next();
    assert.equal(answer.code, status.ok.code);
    assert.deepEqual([...answer.data], [cardStates.present]);
    assert.equal((await host.request(commands.beep.code, Buffer.from([1]))).code, status.ok.code);
  });

  test(`${profileId}: a response longer than the reader's buffer is reported as card mute`, async () => {
    const card = citizenCard();
    reader.insert(card);
    await host.request(commands.powerOn.code);
    card.fault = { kind: 'huge-length' };
    assert.equal((await host.request(commands.apdu.code, SELECT_SSSE)).code, status.cardMute.code);
  });

  test(`${profileId}: an injected line fault damages exactly the next answer`, async () => {
    reader.injectLineFault('corrupt-checksum');
    await assert.rejects(host.request(commands.cardStatus.code), /broken frame: bad-checksum/);
    reader.injectLineFault('split');
    assert.equal((await host.request(commands.cardStatus.code)).code, status.ok.code);
    reader.injectLineFault('noise-before');
    assert.equal((await host.request(commands.cardStatus.code)).code, status.ok.code);
  });

  test(`${profileId}: the reader survives its line being unplugged and answers after reopen`, async () => {
    const card = citizenCard();
    reader.insert(card);
    await host.request(commands.powerOn.code);
    const lost = new Promise((resolve) => reader.once('disconnected', resolve));
    await closeSerialPort(port);
    await pty.replug();
    await lost;
    assert.equal(reader.connected, false);
    assert.equal(reader.cardPowered, false, 'the card lost power with the reader');
    await reader.reopen();
    port = await openSerialPort(pty.b, profile.line);
    host = new SerialHost(port, profile.framing);
    const state = await host.request(commands.cardStatus.code);
    assert.deepEqual([...state.data], [cardStates.present]);
    assert.deepEqual((await host.request(commands.powerOn.code)).data, card.atr);
  });

  test(`${profileId}: beeps are counted`, async () => {
    const before = reader.beeps;
    await host.request(commands.beep.code, Buffer.from([3]));
    assert.equal(reader.beeps, before + 3);
  });
}

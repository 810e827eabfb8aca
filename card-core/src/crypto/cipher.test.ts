import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { fromHex, toHex } from '../bytes.js';
import { CryptoError } from '../errors.js';
import { blockSize, decrypt, encrypt } from './cipher.js';
import { sha1, sm3 } from './hash.js';

const isCrypto = (code: string) => (e: unknown) => e instanceof CryptoError && e.code === code;

describe('block ciphers', () => {
  test('SM4 gives the GB/T 32907 example ciphertext and decrypts it back', () => {
    const k = fromHex('0123456789ABCDEFFEDCBA9876543210');
    const c = encrypt('sm4', k, k, { mode: 'ecb' });
    assert.equal(toHex(c), '681EDF34D206965E86B3E94F536E4246');
    assert.equal(toHex(decrypt('sm4', k, c, { mode: 'ecb' })), toHex(k));
  });

  test('single DES gives the NIST known answers without the OpenSSL legacy provider', () => {
    // SP 800-17 variable-key and variable-plaintext tables, and the classic worked example.
    const cases: [string, string, string][] = [
      ['7CA110454A1A6E57', '01A1D6D039776742', '690F5B0D9A26939B'],
      ['0101010101010101', '8000000000000000', '95F8A5E5DD31D900'],
      ['133457799BBCDFF1', '0123456789ABCDEF', '85E813540F0AB405'],
    ];
    for (const [key, plain, cipher] of cases) {
      assert.equal(toHex(encrypt('des', fromHex(key), fromHex(plain), { mode: 'ecb' })), cipher);
      assert.equal(toHex(decrypt('des', fromHex(key), fromHex(cipher), { mode: 'ecb' })), plain);
    }
  });

  test('three-key 3DES gives the SP 800-67 example', () => {
    const key = fromHex('0123456789ABCDEF23456789ABCDEF01456789ABCDEF0123');
    const c = encrypt('3des', key, Buffer.from('The qufck brown fox jump'), { mode: 'ecb' });
    assert.equal(toHex(c), 'A826FD8CE53B855FCCE21C8112256FE668D5C05DD9B6B900');
  });

  test('two-key 3DES is three-key 3DES with K3 = K1', () => {
    const k1 = fromHex('7CA110454A1A6E57');
    const k2 = fromHex('0131D9619DC1376E');
    const data = fromHex('01A1D6D0397767425CD54CA83DEF57DA');
    assert.deepEqual(
      encrypt('3des', Buffer.concat([k1, k2]), data, { mode: 'ecb' }),
      encrypt('3des', Buffer.concat([k1, k2, k1]), data, { mode: 'ecb' }),
    );
  });

  test('CBC chains each block into the next and starts from a zero IV by default', () => {
    const key = fromHex('0123456789ABCDEFFEDCBA9876543210');
    const data = fromHex('00112233445566778899AABBCCDDEEFF0123456789ABCDEFFEDCBA9876543210');
    const cbc = encrypt('sm4', key, data, { mode: 'cbc' });
    const first = encrypt('sm4', key, data.subarray(0, 16), { mode: 'ecb' });
    assert.deepEqual(cbc.subarray(0, 16), first);
    assert.deepEqual(encrypt('sm4', key, data, { mode: 'cbc', iv: Buffer.alloc(16) }), cbc);
    assert.notDeepEqual(encrypt('sm4', key, data, { mode: 'cbc', iv: Buffer.alloc(16, 1) }), cbc);
  });

  test('decrypt inverts encrypt for every algorithm and mode', () => {
    const keys = { des: 8, '3des': 16, sm4: 16 } as const;
    fc.assert(
      fc.property(
        fc.constantFrom('des', '3des', 'sm4'),
        fc.constantFrom('ecb', 'cbc'),
        fc.uint8Array({ minLength: 24, maxLength: 24 }),
        fc.integer({ min: 1, max: 4 }),
        (alg, mode, seed, blocks) => {
          const key = Buffer.from(seed.subarray(0, keys[alg]));
          const data = Buffer.alloc(blocks * blockSize(alg), seed[0]);
          const c = encrypt(alg, key, data, { mode });
          assert.deepEqual(decrypt(alg, key, c, { mode }), data);
        },
      ),
      { numRuns: 50 },
    );
  });

  test('refuses wrong key lengths, partial blocks and bad IVs instead of padding', () => {
    assert.throws(
      () => encrypt('des', Buffer.alloc(16), Buffer.alloc(8), { mode: 'ecb' }),
      isCrypto('KEY_LENGTH'),
    );
    assert.throws(
      () => encrypt('3des', Buffer.alloc(8), Buffer.alloc(8), { mode: 'ecb' }),
      isCrypto('KEY_LENGTH'),
    );
    assert.throws(
      () => encrypt('sm4', Buffer.alloc(24), Buffer.alloc(16), { mode: 'ecb' }),
      isCrypto('KEY_LENGTH'),
    );
    assert.throws(
      () => encrypt('sm4', Buffer.alloc(16), Buffer.alloc(8), { mode: 'ecb' }),
      isCrypto('DATA_NOT_BLOCK_ALIGNED'),
    );
    assert.throws(
      () => decrypt('3des', Buffer.alloc(16), Buffer.alloc(7), { mode: 'ecb' }),
      isCrypto('DATA_NOT_BLOCK_ALIGNED'),
    );
    assert.throws(
      () => encrypt('3des', Buffer.alloc(16), Buffer.alloc(8), { mode: 'cbc', iv: Buffer.alloc(16) }),
      isCrypto('IV_LENGTH'),
    );
    assert.throws(
      () => encrypt('3des', Buffer.alloc(16), Buffer.alloc(8), { mode: 'ecb', iv: Buffer.alloc(8) }),
      isCrypto('IV_UNEXPECTED'),
    );
  });
});

describe('hashes', () => {
  test('SHA-1 and SM3 of "abc" are the FIPS 180 and GB/T 32905 examples', () => {
    assert.equal(toHex(sha1(Buffer.from('abc'))), 'A9993E364706816ABA3E25717850C26C9CD0D89D');
    assert.equal(
      toHex(sm3(Buffer.from('a'), Buffer.from('bc'))),
      '66C7F0F462EEEDD9D1F2D46BDC10E4E24167C4875CF2F7A2297DA02B8F4BA8E0',
    );
  });
});

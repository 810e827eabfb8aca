import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { fromHex, toHex } from './bytes.js';
import { ProtocolError, ValidationError } from './errors.js';
import {
  dolDataLength,
  encodeBerTlv,
  encodeDol,
  encodeLength,
  encodeSimpleTlv,
  encodeTag,
  findAllTlv,
  findTlv,
  isConstructedTag,
  isValidTag,
  parseBerTlv,
  parseDol,
  parseSimpleTlv,
  type Tlv,
  type TlvInput,
  tagToHex,
} from './tlv.js';
import { berTag, berTlvTree, simpleTlvList } from './testing/tlv-arbitraries.js';

const SSSE_AID = '7378312E73682EC9E7BBE1B1A3D5CF';
const FCI = `6F1C840F${SSSE_AID}A5099F0801029F0C020001`;

function code(expected: string, type: typeof ProtocolError | typeof ValidationError = ProtocolError) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof type, `expected ${type.name}, got ${String(e)}`);
    assert.equal((e as ProtocolError).code, expected);
    return true;
  };
}

/** The tree with only tags, constructed flags and leaf values, for comparing parse results. */
function shape(nodes: readonly TlvInput[]): unknown[] {
  return nodes.map((n) =>
    n.children !== undefined
      ? { tag: n.tag, children: shape(n.children) }
      : { tag: n.tag, value: toHex(n.value ?? Buffer.alloc(0)) },
  );
}

describe('parseBerTlv', () => {
  test('parses an FCI into a tree with multi-byte tags', () => {
    const [fci, ...rest] = parseBerTlv(fromHex(FCI));
    assert.equal(rest.length, 0);
    assert.ok(fci);
    assert.equal(fci.tag, 0x6f);
    assert.equal(fci.constructed, true);
    assert.equal(fci.value.length, 0x1c);
    const [df, prop] = fci.children!;
    assert.equal(df!.tag, 0x84);
    assert.equal(df!.constructed, false);
    assert.equal(toHex(df!.value), SSSE_AID);
    assert.equal(df!.children, undefined);
    assert.equal(prop!.tag, 0xa5);
    assert.deepEqual(
      prop!.children!.map((c) => [c.tag, toHex(c.value)]),
      [
        [0x9f08, '02'],
        [0x9f0c, '0001'],
      ],
    );
  });

  test('reads the 81, 82, 83 and 84 length forms, minimal or not', () => {
    const v200 = 'AB'.repeat(200);
    assert.equal(parseBerTlv(fromHex(`5A81C8${v200}`))[0]!.value.length, 200);
    assert.equal(parseBerTlv(fromHex(`5A8200C8${v200}`))[0]!.value.length, 200);
    assert.equal(parseBerTlv(fromHex(`5A830000C8${v200}`))[0]!.value.length, 200);
    assert.equal(parseBerTlv(fromHex(`5A84000000C8${v200}`))[0]!.value.length, 200);
    assert.equal(toHex(parseBerTlv(fromHex('5A8103010203'))[0]!.value), '010203');
  });

  test('reads tags of two, three and four bytes', () => {
    const nodes = parseBerTlv(fromHex('9F100101 BF0C00 DF810102AABB 5F8181010100'));
    assert.deepEqual(
      nodes.map((n) => [tagToHex(n.tag), n.constructed]),
      [
        ['9F10', false],
        ['BF0C', true],
        ['DF8101', false],
        ['5F818101', false],
      ],
    );
    assert.deepEqual(nodes[1]!.children, []);
  });

  test('skips 00 and FF padding before, between and after objects, also inside templates', () => {
    const nodes = parseBerTlv(fromHex('0000 5A0112 FFFF 70 07 00 9F0802 0002 FF 00 FF'));
    assert.deepEqual(
      nodes.map((n) => n.tag),
      [0x5a, 0x70],
    );
    assert.deepEqual(
      nodes[1]!.children!.map((c) => [c.tag, toHex(c.value)]),
      [[0x9f08, '0002']],
    );
    assert.deepEqual(parseBerTlv(fromHex('00FF00')), []);
    assert.deepEqual(parseBerTlv(Buffer.alloc(0)), []);
  });

  test('refuses the indefinite length form', () => {
    assert.throws(() => parseBerTlv(fromHex('70800000')), code('TLV_INDEFINITE_LENGTH'));
  });

  test('refuses length fields of more than four bytes', () => {
    assert.throws(() => parseBerTlv(fromHex('5A850000000001AA')), code('TLV_BAD_LENGTH'));
    assert.throws(() => parseBerTlv(fromHex('5AFF')), code('TLV_BAD_LENGTH'));
  });

  test('refuses a value that runs past the end', () => {
    assert.throws(() => parseBerTlv(fromHex('5A0312')), code('TLV_TRUNCATED'));
    assert.throws(() => parseBerTlv(fromHex('5A84FFFFFFFF12')), code('TLV_TRUNCATED'));
    // The child claims more than its template holds, though the buffer has the bytes.
    assert.throws(() => parseBerTlv(fromHex('70025A03010203')), code('TLV_TRUNCATED'));
  });

  test('refuses a tag or length cut short', () => {
    assert.throws(() => parseBerTlv(fromHex('5A')), code('TLV_TRUNCATED'));
    assert.throws(() => parseBerTlv(fromHex('9F')), code('TLV_TRUNCATED'));
    assert.throws(() => parseBerTlv(fromHex('9F81')), code('TLV_TRUNCATED'));
    assert.throws(() => parseBerTlv(fromHex('5A82 01')), code('TLV_TRUNCATED'));
  });

  test('refuses tags longer than four bytes and tags with a zero first subsequent byte', () => {
    assert.throws(() => parseBerTlv(fromHex('5F8181818101AA')), code('TLV_BAD_TAG'));
    assert.throws(() => parseBerTlv(fromHex('9F800100')), code('TLV_BAD_TAG'));
    assert.throws(() => parseBerTlv(fromHex('9F0000')), code('TLV_BAD_TAG'));
  });

  test('refuses nesting deeper than maxDepth, and accepts it at the bound', () => {
    const nest = (levels: number): Buffer => {
      let inner = fromHex('5A0101');
      for (let i = 1; i < levels; i++)
        inner = Buffer.concat([fromHex('70'), encodeLength(inner.length), inner]);
      return inner;
    };
    assert.equal(parseBerTlv(nest(4), { maxDepth: 4 }).length, 1);
    assert.throws(() => parseBerTlv(nest(5), { maxDepth: 4 }), code('TLV_TOO_DEEP'));
    assert.throws(() => parseBerTlv(nest(200)), code('TLV_TOO_DEEP'));
    assert.throws(() => parseBerTlv(nest(1), { maxDepth: 0 }), code('TLV_OPTIONS', ValidationError));
  });

  test('refuses input that is not bytes, in every parser', () => {
    const text = '5A0112' as unknown as Uint8Array;
    assert.throws(() => parseBerTlv(text), code('TLV_NOT_BYTES'));
    assert.throws(() => parseDol(text), code('TLV_NOT_BYTES'));
    assert.throws(() => parseSimpleTlv(text), code('TLV_NOT_BYTES'));
  });

  test('copies values, so wiping the input leaves the tree intact', () => {
    const input = fromHex('5A0412345678');
    const [pan] = parseBerTlv(input);
    input.fill(0);
    assert.equal(toHex(pan!.value), '12345678');
  });
});

describe('encodeBerTlv', () => {
  test('writes the shortest length fields', () => {
    assert.equal(toHex(encodeLength(0)), '00');
    assert.equal(toHex(encodeLength(127)), '7F');
    assert.equal(toHex(encodeLength(128)), '8180');
    assert.equal(toHex(encodeLength(255)), '81FF');
    assert.equal(toHex(encodeLength(256)), '820100');
    assert.equal(toHex(encodeLength(65536)), '83010000');
    assert.equal(toHex(encodeLength(0x1000000)), '8401000000');
    for (const bad of [-1, 2 ** 32, 1.5]) assert.throws(() => encodeLength(bad), ValidationError);
  });

  test('re-encodes a parsed FCI to the same bytes', () => {
    assert.equal(toHex(encodeBerTlv(parseBerTlv(fromHex(FCI)))), FCI);
  });

  test('writes a constructed node from its children, so an edited tree re-encodes', () => {
    const tree = parseBerTlv(fromHex(FCI));
    const prop = findTlv(tree, 0xa5)!;
    prop.children!.push({ tag: 0x9f4d, constructed: false, value: fromHex('0B0A') });
    const reparsed = parseBerTlv(encodeBerTlv(tree));
    assert.equal(toHex(findTlv(reparsed, 0x9f4d)!.value), '0B0A');
    assert.equal(reparsed[0]!.value.length, 0x1c + 5);
  });

  test('builds templates by hand, with a single node or a list', () => {
    const bytes = encodeBerTlv({ tag: 0xbf0c, children: [{ tag: 0x9f4d, value: fromHex('0B0A') }] });
    assert.equal(toHex(bytes), 'BF0C059F4D020B0A');
    assert.equal(
      toHex(encodeBerTlv([{ tag: 0x5a }, { tag: 0x5f24, value: fromHex('301231') }])),
      '5A005F2403301231',
    );
  });

  test('refuses children under a primitive tag and a constructed flag that contradicts the tag', () => {
    assert.throws(
      () => encodeBerTlv({ tag: 0x5a, children: [] }),
      code('TLV_NOT_CONSTRUCTED', ValidationError),
    );
    assert.throws(
      () => encodeBerTlv({ tag: 0x5a, constructed: true, value: Buffer.alloc(0) }),
      code('TLV_CONSTRUCTED_MISMATCH', ValidationError),
    );
  });

  test('refuses integers that are not tags', () => {
    for (const bad of [0, 0xff, 0x1f, 0x9f, 0x9f80, 0x9f00, 0x0101, 0x9f8101 * 256 * 256, -1, 1.5, 0xff01]) {
      assert.equal(isValidTag(bad), false, String(bad));
      assert.throws(() => encodeTag(bad), code('TLV_TAG_INVALID', ValidationError), String(bad));
    }
    for (const good of [0x5a, 0x6f, 0x9f10, 0xbf0c, 0xdf8101, 0x5f818101])
      assert.equal(isValidTag(good), true);
  });

  test('refuses a cycle in hand-built children', () => {
    const loop: TlvInput & { children: TlvInput[] } = { tag: 0x70, children: [] };
    loop.children.push(loop);
    assert.throws(() => encodeBerTlv(loop), code('TLV_TOO_DEEP', ValidationError));
  });

  test('tells constructed tags from primitive ones', () => {
    assert.equal(isConstructedTag(0x70), true);
    assert.equal(isConstructedTag(0xbf0c), true);
    assert.equal(isConstructedTag(0x9f10), false);
    assert.throws(() => isConstructedTag(0), ValidationError);
    assert.equal(tagToHex(0x5a), '5A');
    assert.equal(tagToHex(0xdf8101), 'DF8101');
  });

  test('round-trips random trees through encode and parse', () => {
    fc.assert(
      fc.property(berTlvTree, (tree) => {
        const bytes = encodeBerTlv(tree);
        const parsed = parseBerTlv(bytes, { maxDepth: 64 });
        assert.deepEqual(shape(parsed), shape(tree));
        assert.deepEqual(encodeBerTlv(parsed), bytes);
      }),
      { numRuns: 400 },
    );
  });

  test('round-trips every generated tag through its bytes', () => {
    fc.assert(
      fc.property(fc.boolean().chain(berTag), (tag) => {
        assert.ok(isValidTag(tag));
        const [node] = parseBerTlv(Buffer.concat([encodeTag(tag), encodeLength(0)]));
        assert.equal(node!.tag, tag);
      }),
    );
  });
});

describe('findTlv', () => {
  const tree = parseBerTlv(fromHex(`${FCI}9F0C0199`));

  test('finds objects at any depth, the first in document order', () => {
    assert.equal(toHex(findTlv(tree, 0x84)!.value), SSSE_AID);
    assert.equal(toHex(findTlv(tree, 0x9f0c)!.value), '0001');
    assert.equal(findTlv(tree, 0x6f)!.tag, 0x6f);
    assert.equal(findTlv(tree, 0x5a), undefined);
    assert.equal(findTlv([], 0x5a), undefined);
  });

  test('finds all objects with a tag', () => {
    assert.deepEqual(
      findAllTlv(tree, 0x9f0c).map((n: Tlv) => toHex(n.value)),
      ['0001', '99'],
    );
    assert.deepEqual(findAllTlv(tree, 0x5a), []);
  });
});

describe('data object lists', () => {
  const PDOL = '9F66049F02069F03069F1A0295055F2A029A039C019F3704';

  test('parses a PDOL into tags and lengths', () => {
    const entries = parseDol(fromHex(PDOL));
    assert.deepEqual(
      entries.map((e) => [tagToHex(e.tag), e.length]),
      [
        ['9F66', 4],
        ['9F02', 6],
        ['9F03', 6],
        ['9F1A', 2],
        ['95', 5],
        ['5F2A', 2],
        ['9A', 3],
        ['9C', 1],
        ['9F37', 4],
      ],
    );
    assert.equal(dolDataLength(entries), 33);
    assert.equal(toHex(encodeDol(entries)), PDOL);
    assert.deepEqual(parseDol(Buffer.alloc(0)), []);
  });

  test('refuses a DOL cut inside an entry', () => {
    assert.throws(() => parseDol(fromHex('9F66')), code('TLV_TRUNCATED'));
    assert.throws(() => parseDol(fromHex('9F')), code('TLV_TRUNCATED'));
    assert.throws(() => parseDol(fromHex('9F0281')), code('TLV_TRUNCATED'));
  });

  test('refuses padding and indefinite lengths in a DOL', () => {
    assert.throws(() => parseDol(fromHex('9F660400')), code('TLV_BAD_TAG'));
    assert.throws(() => parseDol(fromHex('FF9F6604')), code('TLV_BAD_TAG'));
    assert.throws(() => parseDol(fromHex('9F6680')), code('TLV_INDEFINITE_LENGTH'));
  });

  test('round-trips random DOLs', () => {
    const entry = fc.record({ tag: fc.boolean().chain(berTag), length: fc.integer({ min: 0, max: 1000 }) });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 12 }), (entries) => {
        assert.deepEqual(
          parseDol(encodeDol(entries)),
          entries.map(({ tag, length }) => ({ tag, length })),
        );
      }),
    );
  });
});

describe('simple-TLV', () => {
  test('parses social security card records', () => {
    const ssn = Buffer.concat([fromHex('0812'), Buffer.from('110101199001011234')]);
    const [record] = parseSimpleTlv(ssn);
    assert.equal(record!.tag, 0x08);
    assert.equal(record!.value.toString('ascii'), '110101199001011234');
    const two = parseSimpleTlv(fromHex('02018A 0304312E3030'));
    assert.deepEqual(
      two.map((r) => [r.tag, toHex(r.value)]),
      [
        [0x02, '8A'],
        [0x03, '312E3030'],
      ],
    );
  });

  test('skips the 00 and FF filler of a fixed-length record', () => {
    const records = parseSimpleTlv(fromHex('0A0131 FFFFFFFF 0B0101 0000'));
    assert.deepEqual(
      records.map((r) => r.tag),
      [0x0a, 0x0b],
    );
  });

  test('reads a length byte of FF as 255 value bytes', () => {
    const [record] = parseSimpleTlv(Buffer.concat([fromHex('4EFF'), Buffer.alloc(255, 0x41)]));
    assert.equal(record!.value.length, 255);
  });

  test('refuses a record cut short', () => {
    assert.throws(() => parseSimpleTlv(fromHex('08')), code('TLV_TRUNCATED'));
    assert.throws(() => parseSimpleTlv(fromHex('081231')), code('TLV_TRUNCATED'));
    assert.throws(() => parseSimpleTlv(fromHex('020101 0304312E30')), code('TLV_TRUNCATED'));
  });

  test('writes records and refuses what simple-TLV cannot carry', () => {
    assert.equal(toHex(encodeSimpleTlv({ tag: 0x02, value: fromHex('8A') })), '02018A');
    assert.equal(toHex(encodeSimpleTlv([])), '');
    for (const tag of [0x00, 0xff, 0x100, -1]) {
      assert.throws(
        () => encodeSimpleTlv({ tag, value: Buffer.alloc(1) }),
        code('TLV_TAG_INVALID', ValidationError),
      );
    }
    assert.throws(
      () => encodeSimpleTlv({ tag: 0x09, value: Buffer.alloc(256) }),
      code('TLV_VALUE_TOO_LONG', ValidationError),
    );
  });

  test('round-trips random record lists', () => {
    fc.assert(
      fc.property(simpleTlvList, (records) => {
        const parsed = parseSimpleTlv(encodeSimpleTlv(records));
        assert.deepEqual(
          parsed.map((r) => [r.tag, toHex(r.value)]),
          records.map((r) => [r.tag, toHex(r.value)]),
        );
      }),
    );
  });
});

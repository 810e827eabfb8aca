import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { makeCitizenId } from '@sscard/card-core';

/** District codes the generated holders live in (real GB/T 2260 codes; the people are made up). */
const DISTRICTS = ['330302', '330303', '330304', '320205', '320206', '110101', '110105', '310104'] as const;
const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗';
const GIVEN = '伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂兰';
const FIRST_BIRTH_DAY = Date.UTC(1950, 0, 1);
const DAY_MS = 86_400_000;

export interface GeneratedHolder {
  idNumber: string;
  name: string;
  personNo: string;
  region: string;
}

/**
 * Holder number `i` of a generated registry, computed rather than stored so that a benchmark can
 * pick holders from a 10-million-row file without reading it back. ID numbers are unique by
 * construction: district, birth date and sequence are digits of `i` in a mixed radix.
 */
export function holderAt(i: number): GeneratedHolder {
  const district = DISTRICTS[i % DISTRICTS.length]!;
  const j = Math.floor(i / DISTRICTS.length);
  const sequence = j % 1000;
  const birth = new Date(FIRST_BIRTH_DAY + Math.floor(j / 1000) * DAY_MS);
  const birthDate = birth.toISOString().slice(0, 10).replace(/-/g, '');
  const name =
    SURNAMES[i % SURNAMES.length]! + GIVEN[(i >> 3) % GIVEN.length]! + GIVEN[(i >> 7) % GIVEN.length]!;
  return {
    idNumber: makeCitizenId(district, birthDate, sequence),
    name,
    personNo: `B${String(i).padStart(10, '0')}`,
    region: `${district.slice(0, 4)}00`,
  };
}

/** The largest count `holderAt` keeps unique and plausible (births up to about 2010). */
export const MAX_HOLDERS = DISTRICTS.length * 1000 * 21_900;

/**
 * Streams `count` holders as the CSV the service's bulk import reads (card-service
 * bulk-import/holder-import.ts): medical and pension coverage for everyone, as a bureau's initial
 * load would have. Written with back-pressure, so memory stays flat at any size.
 */
export async function writeHoldersCsv(path: string, count: number): Promise<void> {
  if (count > MAX_HOLDERS) throw new Error(`at most ${MAX_HOLDERS} generated holders`);
  const out = createWriteStream(path);
  out.write('id_number,name,ethnicity,region,person_no,relations\n');
  let chunk = '';
  for (let i = 0; i < count; i++) {
    const h = holderAt(i);
    chunk += `${h.idNumber},${h.name},01,${h.region},${h.personNo},310:${h.region}:2015-07-01;110:${h.region}:2015-07-01\n`;
    if (chunk.length > 1 << 16) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}

import { ProtocolError, ValidationError } from '../errors.js';

/**
 * The ministry-style `iReadCardBas` result that hospital and bank software already parses:
 * eleven fields, each followed by `|`. The fields are carried as the card gave them; checking
 * them is the reader's job, so this codec checks only the framing.
 */

export interface ReadCardBasFields {
  /** Six-digit issuing region. */
  region: string;
  ssn: string;
  cardNumber: string;
  cardIdCode: string;
  name: string;
  /** Historical bytes of the card's ATR, hex. */
  atrHistorical: string;
  /** Specification version, `1.00` to `3.00`. */
  version: string;
  issueDate: string;
  expiryDate: string;
  terminalNumber: string;
  terminalDeviceNumber: string;
}

/** The order of the fields in the string; fixed by the interface, never reorder. */
export const READ_CARD_BAS_FIELD_ORDER: readonly (keyof ReadCardBasFields)[] = [
  'region',
  'ssn',
  'cardNumber',
  'cardIdCode',
  'name',
  'atrHistorical',
  'version',
  'issueDate',
  'expiryDate',
  'terminalNumber',
  'terminalDeviceNumber',
];

const SEPARATOR = '|';

/** `region|ssn|…|terminalDeviceNumber|`; a field containing `|` could not be read back and is refused. */
export function formatReadCardBas(fields: ReadCardBasFields): string {
  return READ_CARD_BAS_FIELD_ORDER.map((key) => {
    const value = fields[key];
    if (typeof value !== 'string') {
      throw new ValidationError('READ_CARD_BAS_FIELD', `field ${key} must be a string`, { field: key });
    }
    if (value.includes(SEPARATOR)) {
      throw new ValidationError('READ_CARD_BAS_FIELD', `field ${key} contains the separator "|"`, {
        field: key,
      });
    }
    return value + SEPARATOR;
  }).join('');
}

/** The fields of an `iReadCardBas` string: exactly eleven, each ended by `|`. */
export function parseReadCardBas(text: string): ReadCardBasFields {
  const parts = text.split(SEPARATOR);
  const count = READ_CARD_BAS_FIELD_ORDER.length;
  if (parts.length !== count + 1 || parts[count] !== '') {
    throw new ProtocolError(
      'READ_CARD_BAS_FORMAT',
      `iReadCardBas output must be ${count} fields each ended by "|", got ${parts.length - 1} separators${
        parts[parts.length - 1] === '' ? '' : ' and text after the last one'
      }`,
    );
  }
  const fields = {} as ReadCardBasFields;
  READ_CARD_BAS_FIELD_ORDER.forEach((key, i) => {
    fields[key] = parts[i]!;
  });
  return fields;
}

export interface ReadCardBasCodeMeaning {
  zh: string;
  en: string;
}

/** Every return code of the interface, with the meaning a terminal shows (zh-CN) and logs (English). */
export const READ_CARD_BAS_CODES: Readonly<Record<number, ReadCardBasCodeMeaning>> = {
  0: { zh: '成功', en: 'success' },
  [-1]: { zh: '卡类型不正确', en: 'wrong card type' },
  [-2]: { zh: '无卡', en: 'no card' },
  [-3]: { zh: '有卡未上电', en: 'card present but not powered' },
  [-4]: { zh: '卡无应答', en: 'card does not respond' },
  [-11]: { zh: '读卡器连接错', en: 'reader connection error' },
  [-12]: { zh: '未建立连接', en: 'not connected' },
  [-13]: { zh: '不支持该命令', en: 'not supported' },
  [-14]: { zh: '命令参数错', en: 'bad parameter' },
  [-20]: { zh: '卡识别码格式错', en: 'card identification code format error' },
  [-21]: { zh: '内部认证失败（用户卡不合法）', en: 'internal authentication failed: card not genuine' },
  [-22]: { zh: '传入数据与卡内不符', en: 'data does not match the card' },
  [-23]: { zh: '传入数据不合法', en: 'illegal data' },
  [-24]: { zh: 'PSAM卡密钥级别不够', en: 'PSAM key level too low' },
  [-31]: { zh: '用户取消密码输入', en: 'PIN entry cancelled' },
  [-32]: { zh: '密码输入操作超时', en: 'PIN entry timed out' },
  [-33]: { zh: '输入密码长度错', en: 'PIN has the wrong length' },
  [-34]: { zh: '两次输入密码不一致', en: 'the two PIN entries differ' },
  [-35]: { zh: '初始密码不能交易', en: 'the initial PIN cannot be used for transactions' },
  [-36]: { zh: '不能修改为初始密码', en: 'the PIN cannot be changed to the initial PIN' },
  [-41]: { zh: '输入数据含非法字符', en: 'illegal characters in the input' },
  [-42]: { zh: '输入数据长度错', en: 'input has the wrong length' },
  [-51]: { zh: '密码错误', en: 'wrong PIN' },
  [-52]: { zh: '密码已锁', en: 'PIN locked' },
  [-2201]: { zh: '未插入PSAM卡', en: 'no PSAM' },
  [-2202]: { zh: 'PSAM卡算法不支持', en: 'PSAM algorithm not supported' },
  [-2203]: { zh: 'PSAM卡内无RKSSSE密钥', en: 'no RKSSSE key in the PSAM' },
  [-2204]: { zh: '无需加密机认证', en: 'HSM authentication not needed' },
};

/**
 * The return code for a card status word: the status word negated (`63C0` → -25536,
 * `6A82` → -27266), as the interface passes card errors through; `9000` is success, 0.
 */
export function swToReturnCode(sw: number): number {
  if (!Number.isInteger(sw) || sw < 0 || sw > 0xffff) {
    throw new ValidationError('SW_INVALID', `a status word is 0000 to FFFF, got ${sw}`);
  }
  return sw === 0x9000 ? 0 : -sw;
}

/** The status word a return code carries, or undefined for the interface's own codes. */
export function returnCodeToSw(code: number): number | undefined {
  // Card errors are 6xxx, and 6xxx negated lies far below the interface's own codes (-1 … -2204).
  return Number.isInteger(code) && code <= -0x6000 && code >= -0x6fff ? -code : undefined;
}

/** The meaning of any return code, including status words passed through. */
export function describeReadCardBasCode(code: number): ReadCardBasCodeMeaning {
  const known = READ_CARD_BAS_CODES[code];
  if (known) return known;
  const sw = returnCodeToSw(code);
  if (sw !== undefined) {
    const hex = sw.toString(16).toUpperCase().padStart(4, '0');
    return { zh: `卡片返回状态字 ${hex}`, en: `card answered status word ${hex}` };
  }
  return { zh: `未知返回码 ${code}`, en: `unknown return code ${code}` };
}

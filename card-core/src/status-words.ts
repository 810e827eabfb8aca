import type { ResponseApdu } from './apdu.js';
import { SscardError, ValidationError } from './errors.js';

/**
 * Status words (SW1 SW2) of ISO/IEC 7816-4 §5.1.3 and the few PBOC ones the debit application
 * uses, with a short English meaning for logs and operators and a Chinese one for citizen-facing
 * screens. The one table of sscard: the emulator answers with these constants and the terminal
 * explains them with `describeStatusWord`.
 */

export type StatusWordKind = 'success' | 'warning' | 'error';

export interface StatusWordInfo {
  sw: number;
  /** `6A82` */
  hex: string;
  meaning: string;
  /** zh-CN meaning for screens a citizen reads. */
  meaningZh: string;
  /** ISO 7816-4's class: 9000 and 61xx are normal processing, 62xx/63xx warnings, the rest errors. */
  kind: StatusWordKind;
  /** 63Cx: verification failed, x further tries allowed. */
  triesLeft?: number;
  /** 61xx: so many response bytes wait at the card for GET RESPONSE (00 means 256). */
  moreData?: number;
  /** 6Cxx: the command must be re-sent with this Le (00 means 256). */
  correctLe?: number;
}

/** Named status words. Families with a count in SW2 are built with `moreDataSw`, `correctLeSw`, `triesLeftSw`. */
export const SW = Object.freeze({
  SUCCESS: 0x9000,
  DATA_MAY_BE_CORRUPTED: 0x6281,
  END_OF_FILE: 0x6282,
  FILE_DEACTIVATED: 0x6283,
  VERIFICATION_FAILED: 0x6300,
  EXECUTION_ERROR: 0x6400,
  MEMORY_FAILURE: 0x6581,
  WRONG_LENGTH: 0x6700,
  LOGICAL_CHANNEL_NOT_SUPPORTED: 0x6881,
  SECURE_MESSAGING_NOT_SUPPORTED: 0x6882,
  COMMAND_INCOMPATIBLE_WITH_FILE: 0x6981,
  SECURITY_STATUS_NOT_SATISFIED: 0x6982,
  AUTH_METHOD_BLOCKED: 0x6983,
  REFERENCE_DATA_NOT_USABLE: 0x6984,
  CONDITIONS_NOT_SATISFIED: 0x6985,
  COMMAND_NOT_ALLOWED: 0x6986,
  SM_DATA_MISSING: 0x6987,
  SM_DATA_INCORRECT: 0x6988,
  WRONG_DATA: 0x6a80,
  FUNCTION_NOT_SUPPORTED: 0x6a81,
  FILE_NOT_FOUND: 0x6a82,
  RECORD_NOT_FOUND: 0x6a83,
  NOT_ENOUGH_MEMORY: 0x6a84,
  INCORRECT_P1P2: 0x6a86,
  LC_INCONSISTENT_WITH_P1P2: 0x6a87,
  REFERENCED_DATA_NOT_FOUND: 0x6a88,
  WRONG_P1P2: 0x6b00,
  INS_NOT_SUPPORTED: 0x6d00,
  CLA_NOT_SUPPORTED: 0x6e00,
  NO_PRECISE_DIAGNOSIS: 0x6f00,
  /** PBOC: the MAC of a secured command does not verify. */
  MAC_INVALID: 0x9302,
  /** PBOC: the application is permanently locked. */
  APPLICATION_LOCKED: 0x9303,
} as const);

/** English meaning, then the zh-CN one for screens a citizen reads. */
type Meaning = readonly [meaning: string, meaningZh: string];

const EXACT: ReadonlyMap<number, Meaning> = new Map<number, Meaning>([
  [SW.SUCCESS, ['Success', '操作成功']],
  [SW.DATA_MAY_BE_CORRUPTED, ['Part of the returned data may be corrupted', '返回的数据可能有误']],
  [SW.END_OF_FILE, ['End of file or record reached before Le bytes', '已读到文件或记录末尾']],
  [SW.FILE_DEACTIVATED, ['Selected file deactivated', '所选文件已停用']],
  [SW.VERIFICATION_FAILED, ['Verification failed', '校验失败']],
  [SW.EXECUTION_ERROR, ['Execution error, card memory unchanged', '卡片执行出错']],
  [SW.MEMORY_FAILURE, ['Memory failure', '卡片存储器故障']],
  [SW.WRONG_LENGTH, ['Wrong length', '长度错误']],
  [SW.LOGICAL_CHANNEL_NOT_SUPPORTED, ['Logical channel not supported', '不支持逻辑通道']],
  [SW.SECURE_MESSAGING_NOT_SUPPORTED, ['Secure messaging not supported', '不支持安全报文']],
  [SW.COMMAND_INCOMPATIBLE_WITH_FILE, ['Command incompatible with file structure', '命令与文件结构不符']],
  [SW.SECURITY_STATUS_NOT_SATISFIED, ['Security status not satisfied', '安全状态不满足']],
  [SW.AUTH_METHOD_BLOCKED, ['Authentication method blocked', '密码已锁定']],
  [SW.REFERENCE_DATA_NOT_USABLE, ['Reference data not usable', '引用数据无效']],
  [SW.CONDITIONS_NOT_SATISFIED, ['Conditions of use not satisfied', '使用条件不满足']],
  [SW.COMMAND_NOT_ALLOWED, ['Command not allowed (no current EF)', '命令不允许（未选择文件）']],
  [SW.SM_DATA_MISSING, ['Expected secure messaging data objects missing', '缺少安全报文数据']],
  [SW.SM_DATA_INCORRECT, ['Incorrect secure messaging data objects', '安全报文数据不正确']],
  [SW.WRONG_DATA, ['Incorrect parameters in the data field', '数据域参数不正确']],
  [SW.FUNCTION_NOT_SUPPORTED, ['Function not supported', '功能不支持']],
  [SW.FILE_NOT_FOUND, ['File or application not found', '文件或应用未找到']],
  [SW.RECORD_NOT_FOUND, ['Record not found', '记录未找到']],
  [SW.NOT_ENOUGH_MEMORY, ['Not enough memory space', '存储空间不足']],
  [SW.INCORRECT_P1P2, ['Incorrect parameters P1-P2', '参数P1、P2不正确']],
  [SW.LC_INCONSISTENT_WITH_P1P2, ['Lc inconsistent with P1-P2', 'Lc与P1、P2不一致']],
  [SW.REFERENCED_DATA_NOT_FOUND, ['Referenced data or key not found', '引用的数据或密钥未找到']],
  [SW.WRONG_P1P2, ['Wrong parameters P1-P2', '参数P1、P2错误']],
  [SW.INS_NOT_SUPPORTED, ['Instruction not supported', '不支持的指令']],
  [SW.CLA_NOT_SUPPORTED, ['Class not supported', '不支持的指令类别']],
  [SW.NO_PRECISE_DIAGNOSIS, ['No precise diagnosis', '卡片内部错误']],
  [SW.MAC_INVALID, ['MAC invalid', 'MAC校验错误']],
  [SW.APPLICATION_LOCKED, ['Application permanently locked', '应用已永久锁定']],
]);

/** What SW1 alone says, for status words not in the table (ISO/IEC 7816-4 table 5). */
const BY_SW1: ReadonlyMap<number, Meaning> = new Map<number, Meaning>([
  [0x62, ['Warning, card memory unchanged', '警告：卡片数据未改变']],
  [0x63, ['Warning, card memory changed', '警告：卡片数据已改变']],
  [0x64, ['Execution error, card memory unchanged', '卡片执行出错']],
  [0x65, ['Execution error, card memory changed', '卡片执行出错，数据已改变']],
  [0x66, ['Security-related issue', '安全相关错误']],
  [0x67, ['Wrong length', '长度错误']],
  [0x68, ['Functions in CLA not supported', '不支持指令类别中的功能']],
  [0x69, ['Command not allowed', '命令不允许']],
  [0x6a, ['Wrong parameters', '参数错误']],
  [0x6b, ['Wrong parameters P1-P2', '参数P1、P2错误']],
  [0x6d, ['Instruction not supported', '不支持的指令']],
  [0x6e, ['Class not supported', '不支持的指令类别']],
  [0x6f, ['No precise diagnosis', '卡片内部错误']],
]);

/** ISO 7816-4's class: 9000 and 61xx are normal processing, 62xx/63xx warnings, the rest errors. */
function kindOf(sw: number): StatusWordKind {
  const sw1 = sw >> 8;
  if (sw === SW.SUCCESS || sw1 === 0x61) return 'success';
  return sw1 === 0x62 || sw1 === 0x63 ? 'warning' : 'error';
}

function checkSw(sw: unknown): number {
  if (typeof sw !== 'number' || !Number.isInteger(sw) || sw < 0 || sw > 0xffff) {
    throw new ValidationError('SW_RANGE', `a status word is 0000..FFFF, got ${String(sw)}`);
  }
  return sw;
}

function hex4(sw: number): string {
  return sw.toString(16).toUpperCase().padStart(4, '0');
}

/** The meaning of a status word: the table entry, the 61xx/6Cxx/63Cx families, else SW1's class. */
export function describeStatusWord(sw: number): StatusWordInfo {
  checkSw(sw);
  const sw1 = sw >> 8;
  const sw2 = sw & 0xff;
  const info = ([meaning, meaningZh]: Meaning, count?: Partial<StatusWordInfo>): StatusWordInfo => ({
    sw,
    hex: hex4(sw),
    meaning,
    meaningZh,
    kind: kindOf(sw),
    ...count,
  });
  const exact = EXACT.get(sw);
  if (exact) return info(exact);

  if (sw1 === 0x61) {
    const moreData = sw2 === 0 ? 256 : sw2;
    return info(
      [`Success, ${moreData} more bytes available (GET RESPONSE)`, `操作成功，还有${moreData}字节数据待取`],
      { moreData },
    );
  }
  if (sw1 === 0x6c) {
    const correctLe = sw2 === 0 ? 256 : sw2;
    return info([`Wrong Le, ${correctLe} bytes available`, `长度错误，应为${correctLe}字节`], { correctLe });
  }
  if (sw1 === 0x63 && (sw2 & 0xf0) === 0xc0) {
    const triesLeft = sw2 & 0x0f;
    return info(
      [
        `Verification failed, ${triesLeft} ${triesLeft === 1 ? 'try' : 'tries'} left`,
        `密码错误，还可尝试${triesLeft}次`,
      ],
      { triesLeft },
    );
  }
  const bySw1 = BY_SW1.get(sw1);
  if (bySw1) return info(bySw1);
  if (sw1 >= 0x90 && sw1 <= 0x9f) return info(['Proprietary status', '卡片返回专有状态']);
  // SW1 60 is the T=0 NULL procedure byte and anything outside 6X/9X is not a status word.
  return info(['Not a valid status word', '卡片应答无效']);
}

/** The command completed with all its data: 9000 only. 61xx still holds data at the card. */
export function isSuccess(sw: number): boolean {
  return sw === SW.SUCCESS;
}

/** 61xx: `n` bytes (1..256) wait for GET RESPONSE. */
export function moreDataSw(n: number): number {
  return 0x6100 | (checkCount('moreData', n, 256) & 0xff);
}

/** 6Cxx: re-send with Le = `n` (1..256). */
export function correctLeSw(n: number): number {
  return 0x6c00 | (checkCount('correctLe', n, 256) & 0xff);
}

/** 63Cx: wrong PIN, `n` (0..15) tries left. */
export function triesLeftSw(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 15) {
    throw new ValidationError('SW_RANGE', `tries left in 63Cx are 0..15, got ${String(n)}`);
  }
  return 0x63c0 | n;
}

function checkCount(name: string, n: number, max: number): number {
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new ValidationError('SW_RANGE', `${name} is 1..${max}, got ${String(n)}`);
  }
  return n;
}

/**
 * A card answered with a status word other than success. The code names the status word
 * (`SW_6A82`), so callers and the HTTP layer can match it; `triesLeft` is set for 63Cx.
 */
export class CardError extends SscardError {
  readonly sw: number;
  readonly meaning: string;
  readonly meaningZh: string;
  readonly triesLeft: number | undefined;

  /** `context` says what was being done (`reading EF05 record 7`); it must not hold personal data. */
  constructor(sw: number, context?: string, options?: ErrorOptions) {
    const info = describeStatusWord(sw);
    super(
      `SW_${info.hex}`,
      `${context ? `${context}: ` : ''}card answered ${info.hex} (${info.meaning})`,
      { sw: info.hex, ...(info.triesLeft !== undefined ? { triesLeft: info.triesLeft } : {}) },
      options,
    );
    this.sw = sw;
    this.meaning = info.meaning;
    this.meaningZh = info.meaningZh;
    this.triesLeft = info.triesLeft;
  }
}

/** The response data when the card answered 9000, else a CardError naming the status word. */
export function requireSuccess(res: ResponseApdu, context?: string): Buffer {
  if (!isSuccess(res.sw)) throw new CardError(res.sw, context);
  return res.data;
}

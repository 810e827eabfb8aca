import type { z } from 'zod';
import type { hsmStepRequest } from './requests.js';

/**
 * The ministry-style card interface (`iReadCardBas` and its family) that hospital and bank
 * software already calls, as the agent offers it over HTTP and WebSocket: a JSON request naming the
 * function, a JSON answer with the return code in `success` and the `|`-separated output in
 * `pOutInfo`.
 *
 *   → {"function":"iReadCardBas","iType":3}
 *   ← {"functionName":"iReadCardBas","success":0,"pOutInfo":"639900|1111…|"}
 */

/** The interface's return codes by name: 0 is success, the rest are negative. */
export const MinistryReturnCode = {
  OK: 0,
  WRONG_CARD_TYPE: -1,
  NO_CARD: -2,
  CARD_NOT_POWERED: -3,
  CARD_NO_RESPONSE: -4,
  READER_CONNECTION: -11,
  NOT_CONNECTED: -12,
  UNSUPPORTED: -13,
  BAD_PARAMETER: -14,
  CARD_ID_FORMAT: -20,
  CARD_NOT_GENUINE: -21,
  DATA_MISMATCH: -22,
  ILLEGAL_DATA: -23,
  PSAM_KEY_LEVEL: -24,
  PIN_CANCELLED: -31,
  PIN_TIMEOUT: -32,
  PIN_BAD_LENGTH: -33,
  PIN_ENTRIES_DIFFER: -34,
  PIN_INITIAL_NOT_ALLOWED: -35,
  PIN_CHANGE_TO_INITIAL: -36,
  ILLEGAL_CHARACTERS: -41,
  BAD_LENGTH: -42,
  PIN_WRONG: -51,
  PIN_LOCKED: -52,
  NO_PSAM: -2201,
  PSAM_ALGORITHM_UNSUPPORTED: -2202,
  PSAM_KEY_MISSING: -2203,
  HSM_NOT_NEEDED: -2204,
  /** PIN reload or unblock without a clerk's authorisation for this card and operation (bureau counters). */
  PIN_NOT_AUTHORISED: -2205,
} as const;
export type MinistryReturnCodeName = keyof typeof MinistryReturnCode;
export type MinistryReturnCode = (typeof MinistryReturnCode)[MinistryReturnCodeName];

export interface ReturnCodeMeaning {
  zh: string;
  en: string;
}

/** Every code of the interface with the meaning a terminal shows (zh-CN) and logs (English). */
export const MINISTRY_RETURN_CODE_MEANINGS: Readonly<Record<MinistryReturnCode, ReturnCodeMeaning>> = {
  [MinistryReturnCode.OK]: { zh: '成功', en: 'success' },
  [MinistryReturnCode.WRONG_CARD_TYPE]: { zh: '卡类型不正确', en: 'wrong card type' },
  [MinistryReturnCode.NO_CARD]: { zh: '无卡', en: 'no card' },
  [MinistryReturnCode.CARD_NOT_POWERED]: { zh: '有卡未上电', en: 'card present but not powered' },
  [MinistryReturnCode.CARD_NO_RESPONSE]: { zh: '卡无应答', en: 'card does not respond' },
  [MinistryReturnCode.READER_CONNECTION]: { zh: '读卡器连接错', en: 'reader connection error' },
  [MinistryReturnCode.NOT_CONNECTED]: { zh: '未建立连接', en: 'not connected' },
  [MinistryReturnCode.UNSUPPORTED]: { zh: '不支持该命令', en: 'not supported' },
  [MinistryReturnCode.BAD_PARAMETER]: { zh: '命令参数错', en: 'bad parameter' },
  [MinistryReturnCode.CARD_ID_FORMAT]: { zh: '卡识别码格式错', en: 'card identification code format error' },
  [MinistryReturnCode.CARD_NOT_GENUINE]: {
    zh: '内部认证失败（用户卡不合法）',
    en: 'internal authentication failed: card not genuine',
  },
  [MinistryReturnCode.DATA_MISMATCH]: { zh: '传入数据与卡内不符', en: 'data does not match the card' },
  [MinistryReturnCode.ILLEGAL_DATA]: { zh: '传入数据不合法', en: 'illegal data' },
  [MinistryReturnCode.PSAM_KEY_LEVEL]: { zh: 'PSAM卡密钥级别不够', en: 'PSAM key level too low' },
  [MinistryReturnCode.PIN_CANCELLED]: { zh: '用户取消密码输入', en: 'PIN entry cancelled' },
  [MinistryReturnCode.PIN_TIMEOUT]: { zh: '密码输入操作超时', en: 'PIN entry timed out' },
  [MinistryReturnCode.PIN_BAD_LENGTH]: { zh: '输入密码长度错', en: 'PIN has the wrong length' },
  [MinistryReturnCode.PIN_ENTRIES_DIFFER]: { zh: '两次输入密码不一致', en: 'the two PIN entries differ' },
  [MinistryReturnCode.PIN_INITIAL_NOT_ALLOWED]: {
    zh: '初始密码不能交易',
    en: 'the initial PIN cannot be used for transactions',
  },
  [MinistryReturnCode.PIN_CHANGE_TO_INITIAL]: {
    zh: '不能修改为初始密码',
    en: 'the PIN cannot be changed to the initial PIN',
  },
  [MinistryReturnCode.ILLEGAL_CHARACTERS]: {
    zh: '输入数据含非法字符',
    en: 'illegal characters in the input',
  },
  [MinistryReturnCode.BAD_LENGTH]: { zh: '输入数据长度错', en: 'input has the wrong length' },
  [MinistryReturnCode.PIN_WRONG]: { zh: '密码错误', en: 'wrong PIN' },
  [MinistryReturnCode.PIN_LOCKED]: { zh: '密码已锁', en: 'PIN locked' },
  [MinistryReturnCode.NO_PSAM]: { zh: '未插入PSAM卡', en: 'no PSAM' },
  [MinistryReturnCode.PSAM_ALGORITHM_UNSUPPORTED]: {
    zh: 'PSAM卡算法不支持',
    en: 'PSAM algorithm not supported',
  },
  [MinistryReturnCode.PSAM_KEY_MISSING]: { zh: 'PSAM卡内无RKSSSE密钥', en: 'no RKSSSE key in the PSAM' },
  [MinistryReturnCode.HSM_NOT_NEEDED]: { zh: '无需加密机认证', en: 'HSM authentication not needed' },
  [MinistryReturnCode.PIN_NOT_AUTHORISED]: {
    zh: '未经经办人员授权',
    en: 'no clerk authorisation for this card and operation',
  },
};

export function isMinistryReturnCode(code: number): code is MinistryReturnCode {
  return Object.hasOwn(MINISTRY_RETURN_CODE_MEANINGS, code);
}

/**
 * The status word a return code carries, or undefined for the interface's own codes: a card's
 * status word passes through negated (`6A82` → -27266), far below the interface's own codes.
 */
export function statusWordOfReturnCode(code: number): number | undefined {
  return Number.isInteger(code) && code <= -0x6000 && code >= -0x6fff ? -code : undefined;
}

/** The meaning of any return code, including status words passed through. */
export function describeReturnCode(code: number): ReturnCodeMeaning {
  if (isMinistryReturnCode(code)) return MINISTRY_RETURN_CODE_MEANINGS[code];
  const sw = statusWordOfReturnCode(code);
  if (sw !== undefined) {
    const hex = sw.toString(16).toUpperCase().padStart(4, '0');
    return { zh: `卡片返回状态字 ${hex}`, en: `card answered status word ${hex}` };
  }
  return { zh: `未知返回码 ${code}`, en: `unknown return code ${code}` };
}

/**
 * The functions of the interface the agent answers, each with its input parameters in the order
 * the `in` dialect lists them (the common interface's signatures without the output buffer).
 * Outputs are settled in docs/card-conventions.md: `iReadCardBas` the 11 fields; `iReadCardNo`
 * the card (face) number and `|`; `iGetCardType` the card type byte and the specification version
 * (`3|3.00|`); `iReadCard` the records asked for in `pFileAddr`; `iGetReaderInfo` the reader's
 * serial number and the terminal number (`DEV0001|410100813475|`); the `_HSM_Step1` functions the
 * values the bureau's HSM needs (`region|historical bytes|algorithm|card id code|four 8-byte
 * values|terminal number|`), their `_HSM_Step2` what the first step began (`iReadCardBas_HSM_Step2`
 * the 11 fields, `iReadCard_HSM_Step2` the records its first step named); `iVerifyPIN`, `iChangePIN`, `iReloadPIN` and `iUnblockPIN` nothing, PINs coming
 * from the PIN pad or the on-screen keypad, never from the calling page.
 */
export const MINISTRY_PARAMETERS = {
  iReadCardBas: ['iType'],
  iReadCardBas_HSM_Step1: ['iType'],
  iReadCardBas_HSM_Step2: ['pKey'],
  iReadCard: ['iType', 'iAuthType', 'pCardInfo', 'pFileAddr'],
  iReadCard_HSM_Step1: ['iType', 'pCardInfo', 'pFileAddr'],
  iReadCard_HSM_Step2: ['pKey'],
  iReadCardNo: ['iType'],
  iGetCardType: ['iType'],
  iGetReaderInfo: [],
  iVerifyPIN: ['iType'],
  iChangePIN: ['iType'],
  iReloadPIN: ['iType', 'pCardInfo'],
  iReloadPIN_HSM_Step1: ['iType', 'pCardInfo'],
  iReloadPIN_HSM_Step2: ['pKey'],
  iUnblockPIN: ['iType', 'pCardInfo'],
  iUnblockPIN_HSM_Step1: ['iType', 'pCardInfo'],
  iUnblockPIN_HSM_Step2: ['pKey'],
} as const satisfies Record<string, readonly MinistryParameterName[]>;

/** The input parameters of the interface's functions, by their names in the public headers. */
export type MinistryParameterName = 'iType' | 'iAuthType' | 'pCardInfo' | 'pFileAddr' | 'pKey';

export type MinistryFunction = keyof typeof MINISTRY_PARAMETERS;
export const MINISTRY_FUNCTIONS = Object.keys(MINISTRY_PARAMETERS) as MinistryFunction[];

/** `iType`: 1 contact, 2 contactless, 3 auto with contact first, 4 auto with contactless first. */
export type CardInterfaceType = 1 | 2 | 3 | 4;

/**
 * `iAuthType` of `iReadCard`: 1 the terminal authenticates itself to the card as `iReadCardBas`
 * does (its PSAM, or the registry's HSM without one), 0 no authentication (a generation 3 card's
 * holder records then stay closed and come back empty).
 */
export type ReadAuthType = 0 | 1;

/** The arguments a call carries, by parameter name, as parsed. */
export interface MinistryArguments {
  iType?: CardInterfaceType;
  iAuthType?: ReadAuthType;
  /**
   * `iReadCard`, `iReloadPIN`, `iUnblockPIN`: the card the caller means, as its card
   * identification code, card number or both, each ended by `|` (`3303…|X00000019|`); the call
   * answers -22 when the card in the reader is another.
   */
  pCardInfo?: string;
  /** `iReadCard`: the records, `EF05:07|EF06:08|` (file and record tag, hex), or whole files `EF05|`. */
  pFileAddr?: string;
  /** `…_HSM_Step2`: the bureau HSM's answer to the first step's values, `"<internal>|<external>|"`. */
  pKey?: string;
}

/**
 * A call as a page sends it: the function and its parameters by name. Numbers may come as their
 * digits in text (vendors' pages send both, and query strings have only text); `id` is echoed in
 * the answer. A PIN is never part of a request.
 */
export interface MinistryRequest {
  function: MinistryFunction;
  iType?: CardInterfaceType | `${CardInterfaceType}`;
  iAuthType?: ReadAuthType | `${ReadAuthType}`;
  pCardInfo?: string;
  pFileAddr?: string;
  pKey?: string;
  id?: string | number;
}

/**
 * The other dialect web bridges use: the function in `func` and its input parameters in `in`, in
 * the order of `MINISTRY_PARAMETERS`: `{"func":"iReadCardBas_HSM_Step2","in":["…|…|"]}`.
 * Answered with the same `MinistryResponse`.
 */
export interface MinistryArgsRequest {
  func: MinistryFunction;
  in: (string | number)[];
  id?: string | number;
}

export interface MinistryResponse {
  /** The function called, or `''` when the request named none. */
  functionName: string;
  /** A return code: `MinistryReturnCode`, or a card status word negated. */
  success: number;
  /** The function's output; empty whenever `success` is not 0. */
  pOutInfo: string;
  /** Echoed from the request when it had one, so a page can match answers to calls. */
  id?: string | number;
}

/**
 * The agent's relay to the bureau's HSM (card-service) for the `_HSM_Step1` outputs: a page that
 * has no line of its own to the bureau posts the first step's output here and passes the answer's
 * `pKey` to the second step. The service answers only for a genuine card of its registry, and PIN
 * commands only to counter terminals.
 */
export type HsmStepRequest = z.input<typeof hsmStepRequest>;

export interface HsmStepAnswer {
  /** For the second step: `"<internal>|<external>|"`. */
  pKey: string;
}

/** Where the agent serves the interface. */
export const MINISTRY_HTTP_PATH = '/ministry';
export const MINISTRY_WS_PATH = '/ws/ministry';
export const MINISTRY_HSM_PATH = '/v1/registry/hsm-step';

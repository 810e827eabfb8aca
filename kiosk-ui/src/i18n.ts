/**
 * Two languages, Chinese first. Every text the kiosk shows is a pair, so a screen can never show
 * one language's words in the middle of the other's. Texts the agent sends (PIN results) arrive
 * as such pairs already.
 */
export type Lang = 'zh' | 'en';

export interface Text {
  zh: string;
  en: string;
}

const STORAGE_KEY = 'sscard.kiosk.lang';

/**
 * The choice lives in sessionStorage: it survives a reload of the page during one citizen's visit
 * and nothing outlives the browser session. The kiosk also returns to Chinese when a visit ends.
 */
export class Language {
  #lang: Lang;
  readonly #listeners = new Set<(lang: Lang) => void>();

  constructor() {
    const stored = safeSessionStorage()?.getItem(STORAGE_KEY);
    this.#lang = stored === 'en' ? 'en' : 'zh';
    this.#apply();
  }

  get current(): Lang {
    return this.#lang;
  }

  set(lang: Lang): void {
    if (lang === this.#lang) return;
    this.#lang = lang;
    if (lang === 'zh') safeSessionStorage()?.removeItem(STORAGE_KEY);
    else safeSessionStorage()?.setItem(STORAGE_KEY, lang);
    this.#apply();
    for (const listener of this.#listeners) listener(lang);
  }

  toggle(): void {
    this.set(this.#lang === 'zh' ? 'en' : 'zh');
  }

  /** Calls `listener` on every switch until the returned function is called. */
  onChange(listener: (lang: Lang) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  t(text: Text): string {
    return text[this.#lang];
  }

  #apply(): void {
    document.documentElement.lang = this.#lang === 'zh' ? 'zh-CN' : 'en';
  }
}

function safeSessionStorage(): Storage | undefined {
  try {
    return window.sessionStorage;
  } catch {
    // Storage can be disabled by browser policy; the kiosk then simply starts in Chinese.
    return undefined;
  }
}

/** Fixed texts of the kiosk. Plain words: the people reading them are often elderly. */
export const T = {
  title: { zh: '社会保障卡自助服务', en: 'Social Security Card Self-Service' },
  switchLanguage: { zh: 'English', en: '中文' },
  switchLanguageLabel: { zh: 'Switch to English', en: '切换到中文' },

  insertCard: { zh: '请插入社会保障卡', en: 'Please insert your social security card' },
  insertCardHint: {
    zh: '芯片朝上，插入读卡器，插好后请不要拔出',
    en: 'Chip facing up, into the card reader. Please leave it there until you are done.',
  },
  readerReady: { zh: '读卡器已就绪', en: 'Card reader ready' },
  readersReady: { zh: '{n} 个读卡器已就绪', en: '{n} card readers ready' },
  noReader: {
    zh: '未检测到读卡器，请联系工作人员',
    en: 'No card reader found. Please ask a member of staff.',
  },
  connecting: { zh: '正在连接终端服务…', en: 'Connecting to the terminal service…' },
  offline: {
    zh: '暂时无法连接终端服务，正在自动重新连接',
    en: 'The terminal service cannot be reached. Reconnecting automatically.',
  },
  offlineHint: {
    zh: '如果长时间没有恢复，请联系工作人员',
    en: 'If this does not recover soon, please ask a member of staff.',
  },

  reading: { zh: '正在读卡，请稍候', en: 'Reading your card, please wait' },
  readingHint: { zh: '请不要拔出卡片', en: 'Please do not remove the card' },

  readFailed: { zh: '无法读取这张卡', en: 'This card could not be read' },
  readFailedHint: {
    zh: '请取出卡片，确认芯片朝上后重新插入',
    en: 'Please take the card out, check the chip faces up, and insert it again.',
  },
  cardMute: {
    zh: '卡片可能插反了。请取出卡片，芯片朝上、朝里，重新插入',
    en: 'The card may be the wrong way round. Take it out and insert it again, chip facing up and in first.',
  },
  notSocialSecurityCard: {
    zh: '这不是社会保障卡（可能是银行卡或其他卡）。请取出，插入您的社会保障卡',
    en: 'This is not a social security card (perhaps a bank card). Take it out and insert your social security card.',
  },
  readerBusy: { zh: '读卡器正忙，请稍候再试', en: 'The card reader is busy. Please wait and try again.' },
  readAgain: { zh: '重新读卡', en: 'Read again' },
  staffCode: { zh: '给工作人员的代码', en: 'Code for staff' },

  cardRead: { zh: '您的社会保障卡', en: 'Your social security card' },
  name: { zh: '姓名', en: 'Name' },
  cardNumber: { zh: '社会保障卡号', en: 'Card number' },
  ssn: { zh: '社会保障号码', en: 'Social security number' },
  gender: { zh: '性别', en: 'Gender' },
  male: { zh: '男', en: 'Male' },
  female: { zh: '女', en: 'Female' },
  generation: { zh: '卡片类型', en: 'Card generation' },
  validity: { zh: '有效期', en: 'Valid' },
  issueDate: { zh: '发卡日期', en: 'Issued' },
  expiryDate: { zh: '有效期至', en: 'Valid until' },
  noExpiry: { zh: '长期', en: 'No expiry' },
  notReleased: { zh: '卡片未提供', en: 'Not given by the card' },
  maskedNote: {
    zh: '为保护您的信息，部分内容以 * 显示',
    en: 'To protect your information, some characters are shown as *',
  },

  genuine: { zh: '卡片检验通过：这是一张真卡', en: 'Card check passed: this card is genuine' },
  notGenuine: {
    zh: '卡片检验没有通过：这张卡可能不是真卡或已失效',
    en: 'Card check failed: this card may not be genuine or may no longer be valid',
  },
  failedCheck: { zh: '没有通过的检验', en: 'Check not passed' },
  notVerified: { zh: '本终端未检验卡片真伪', en: 'This terminal did not check the card' },
  notGenuineHint: {
    zh: '请取出卡片，到人工窗口咨询',
    en: 'Please take your card and ask at a staff counter.',
  },

  registryValid: { zh: '社保系统核验：卡片状态正常', en: 'Social security system: this card is valid' },
  registryUnavailable: {
    zh: '暂时无法向社保系统核验卡片状态',
    en: "The card's status could not be checked with the social security system just now",
  },
  registryInvalidHint: {
    zh: '如有疑问，请到人工窗口咨询',
    en: 'If in doubt, please ask at a staff counter.',
  },

  toServices: { zh: '办理业务', en: 'Services' },
  finish: { zh: '结束，退卡', en: 'Finish and take my card' },
  back: { zh: '返回', en: 'Back' },

  servicesTitle: { zh: '请选择要办理的业务', en: 'What would you like to do?' },
  viewCard: { zh: '查看我的卡信息', en: 'View my card information' },
  changePin: { zh: '修改密码', en: 'Change my PIN' },
  reportLost: { zh: '社保卡挂失', en: 'Report my card lost' },

  lostConfirmTitle: { zh: '确认挂失这张社保卡吗？', en: 'Report this card lost?' },
  lostConfirmText: {
    zh: '挂失后这张卡将暂停使用（临时挂失）。找回卡片后，请携带身份证件到人工窗口解除挂失；如需补卡，也请到人工窗口办理。',
    en: 'After the report this card stops working (temporary loss). If you find it, bring your ID to a staff counter to lift the loss; for a new card, please also ask at a staff counter.',
  },
  lostConfirm: { zh: '确认挂失', en: 'Yes, report it lost' },
  lostSending: { zh: '正在办理挂失，请稍候', en: 'Reporting your card lost, please wait' },
  lostReported: { zh: '挂失成功，这张卡已暂停使用', en: 'Done: this card is reported lost and stopped' },
  lostUntil: {
    zh: '临时挂失有效至 {date}，到期前请到人工窗口办理正式挂失或解除挂失',
    en: 'The temporary loss lasts until {date}. Before then, please visit a staff counter to confirm the loss or lift it.',
  },
  lostQueued: {
    zh: '挂失申请已发出，但尚未得到确认',
    en: 'Your report was sent, but it is not confirmed yet',
  },
  lostQueuedHint: {
    zh: '请到人工窗口确认这张卡是否已暂停使用',
    en: 'Please ask at a staff counter to confirm that the card is stopped.',
  },
  lostReference: { zh: '业务编号', en: 'Reference' },
  lostFailed: { zh: '挂失没有办理成功', en: 'The card could not be reported lost' },
  lostAlready: {
    zh: '这张卡已经挂失或不能挂失',
    en: 'This card is already reported lost or cannot be reported',
  },
  lostCardNotConfirmed: {
    zh: '未能确认读卡器中的这张卡，请不要拔卡，返回后重试，或到人工窗口办理',
    en: 'The card in the reader could not be confirmed. Leave it in, go back and try again, or ask at a staff counter.',
  },
  lostUnavailable: {
    zh: '本终端暂时不能办理挂失，请到人工窗口办理',
    en: 'This terminal cannot take loss reports right now. Please ask at a staff counter.',
  },

  enterPin: { zh: '请输入密码', en: 'Please enter your PIN' },
  enterCurrentPin: { zh: '请输入原密码', en: 'Please enter your current PIN' },
  enterNewPin: { zh: '请输入新密码', en: 'Please enter your new PIN' },
  confirmNewPin: { zh: '请再输入一次新密码', en: 'Please enter your new PIN again' },
  onPinPad: { zh: '请在密码键盘上输入', en: 'Please type it on the PIN pad' },
  onScreen: { zh: '请在下方按键输入，输入完按“确认”', en: 'Use the keys below, then press “Confirm”' },
  pinDigitsEntered: { zh: '已输入 {n} 位，共 {max} 位', en: '{n} of {max} digits entered' },
  keyClear: { zh: '清除', en: 'Clear' },
  keyBack: { zh: '退格', en: 'Delete' },
  keyBackLabel: { zh: '删除一位', en: 'Delete one digit' },
  keyConfirm: { zh: '确认', en: 'Confirm' },
  keyCancel: { zh: '取消', en: 'Cancel' },
  waitingForPin: { zh: '请稍候…', en: 'Please wait…' },

  pinAccepted: { zh: '密码正确', en: 'PIN accepted' },
  pinChanged: { zh: '密码修改成功，请记住您的新密码', en: 'Your PIN has been changed. Please remember it.' },
  pinTriesLeft: { zh: '还可以再试 {n} 次', en: '{n} tries left' },
  pinTryLeft: { zh: '还可以再试 1 次', en: '1 try left' },
  pinEntriesDiffer: {
    zh: '两次输入的新密码不一样，请重新修改',
    en: 'The two new PINs you typed are different. Please try again.',
  },
  tryAgain: { zh: '再试一次', en: 'Try again' },
  pinUnavailable: {
    zh: '本终端现在不能输入密码，请联系工作人员',
    en: 'This terminal cannot take a PIN right now. Please ask a member of staff.',
  },
  pinBusy: {
    zh: '正在处理另一个密码输入，请稍候再试',
    en: 'Another PIN entry is in progress. Please try again.',
  },
  somethingWrong: {
    zh: '操作没有完成，请重试或联系工作人员',
    en: 'That did not work. Please try again or ask a member of staff.',
  },

  takeCard: { zh: '请取走您的社会保障卡', en: 'Please take your social security card' },
  takeCardHint: { zh: '谢谢使用，再见', en: 'Thank you. Goodbye.' },

  moreTime: { zh: '您还需要更多时间吗？', en: 'Do you need more time?' },
  moreTimeHint: {
    zh: '如果没有回应，为保护您的信息，屏幕上的内容将被清除',
    en: 'If there is no answer, your information will be cleared from the screen.',
  },
  moreTimeYes: { zh: '我需要更多时间', en: 'I need more time' },
} as const satisfies Record<string, Text>;

/** Fills `{name}` placeholders of a text pair. */
export function fill(text: Text, values: Record<string, string | number>): Text {
  const sub = (s: string) => s.replace(/\{(\w+)\}/g, (_, k: string) => String(values[k] ?? `{${k}}`));
  return { zh: sub(text.zh), en: sub(text.en) };
}

import type { Text } from '../i18n.js';

/** The bureau counter's texts, for the clerks of a social insurance service hall. */
export const U = {
  title: { zh: '社保经办窗口 · 社保卡密码服务', en: 'Bureau Counter · Card PIN Services' },
  tabUnblock: { zh: '密码解锁', en: 'PIN unblock' },
  tabReload: { zh: '密码重置', en: 'PIN reset' },
  signInTitle: { zh: '经办人员登录', en: 'Clerk sign-in' },
  signInHint: {
    zh: '请输入您的操作员令牌。令牌只保存在本页面，离开窗口时请退出。',
    en: 'Enter your operator token. It stays on this page only; sign out when you leave the counter.',
  },
  token: { zh: '操作员令牌', en: 'Operator token' },
  signIn: { zh: '登录', en: 'Sign in' },
  signOut: { zh: '退出登录', en: 'Sign out' },
  signedInAs: { zh: '经办人：{name}', en: 'Clerk: {name}' },
  tokenMissing: { zh: '请输入操作员令牌', en: 'Enter the operator token' },
  signedOutIdle: {
    zh: '长时间未操作，已自动退出登录，请重新登录',
    en: 'Signed out after a while without use; sign in again',
  },
  unblockHint: {
    zh: '持卡人连续输错密码，密码已锁定：解锁后恢复原密码，重试次数恢复。',
    en: 'The cardholder typed wrong PINs until the PIN locked: unblocking keeps their PIN and restores its tries.',
  },
  reloadHint: {
    zh: '持卡人忘记密码：重置为初始密码 123456，请持卡人随后在密码键盘上修改。',
    en: 'The cardholder forgot the PIN: it is reset to the initial PIN 123456, which they then change on the PIN pad.',
  },
  idNumber: { zh: '持卡人居民身份证号码', en: "ID number on the cardholder's identity card" },
  idCheck: {
    zh: '请核对持卡人本人及其居民身份证，再输入身份证上的号码。',
    en: 'Check the cardholder in person against their resident identity card, then type the number on it.',
  },
  idBad: { zh: '请输入 18 位身份证号码', en: 'Enter the 18-character ID number' },
  authoriseUnblock: { zh: '授权并解锁', en: 'Authorise and unblock' },
  authoriseReload: { zh: '授权并重置', en: 'Authorise and reset' },
  working: { zh: '正在办理，请持卡人不要拔卡…', en: 'Working: the card stays in the reader…' },
  unblocked: { zh: '密码已解锁', en: 'PIN unblocked' },
  reloaded: { zh: '密码已重置为初始密码 123456', en: 'PIN reset to the initial PIN 123456' },
  changeSoon: {
    zh: '请持卡人尽快在密码键盘或自助机上修改密码。',
    en: 'The cardholder should change it soon, on the PIN pad or at a kiosk.',
  },
  notDone: { zh: '未能办理', en: 'Not done' },
  slipTitle: { zh: '社保卡密码服务凭条', en: 'Card PIN service slip' },
  operation: { zh: '业务', en: 'Service' },
  clerk: { zh: '经办人', en: 'Clerk' },
  time: { zh: '时间', en: 'Time' },
  notAuthorised: {
    zh: '授权已失效或已使用，请重新授权',
    en: 'The authorisation has lapsed or been used: authorise again',
  },
} as const satisfies Record<string, Text>;

/** What card-service's and the agent's refusals mean at the bureau counter. */
export const BUREAU_REFUSALS: Partial<Record<string, Text>> = {
  CLERK_NOT_ALLOWED: {
    zh: '该令牌无权办理密码解锁和重置（需要 pin:authorise 权限），或已失效',
    en: 'This token may not authorise PIN unblock or reset (it needs pin:authorise), or is no longer valid',
  },
  HOLDER_MISMATCH: {
    zh: '身份证号码与持卡人不符，不能办理',
    en: "The ID number is not the cardholder's: not done",
  },
  ILLEGAL_TRANSITION: {
    zh: '这张卡已挂失、补换或注销，不能办理',
    en: 'This card is reported lost, replaced or cancelled: not done',
  },
  CARD_PRESENCE_FAILED: {
    zh: '卡片未能向社保系统证明在读卡器中，请重新插卡',
    en: 'The card could not prove to the registry that it is in the reader; insert it again',
  },
  CARD_PRESENCE_UNPROVEN: {
    zh: '社保系统暂时无法核验卡片，请稍后重试',
    en: 'The registry cannot check the card now; try again shortly',
  },
  CARD_NOT_GENUINE: { zh: '卡片检验未通过，不能办理', en: 'The card failed its checks: not done' },
  REGISTRY_NOT_CONFIGURED: {
    zh: '本终端未连接社保系统',
    en: 'This terminal has no link to the registry',
  },
};

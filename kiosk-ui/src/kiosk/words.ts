import type { Text } from '../i18n.js';

/** The texts of the citizen's services. Plain words: the people reading them are often elderly. */
export const W = {
  pension: { zh: '养老金发放记录', en: 'My pension payments' },
  medical: { zh: '医保个人账户', en: 'My medical account' },
  certify: { zh: '养老金资格认证', en: 'Pension eligibility check' },
  statement: { zh: '打印或查看对账单', en: 'Print or view my statement' },

  loadingData: { zh: '正在查询您的信息，请稍候', en: 'Looking up your details, please wait' },
  noPension: { zh: '您目前没有养老金待遇', en: 'You do not receive a pension at the moment' },
  monthlyAmount: { zh: '每月养老金', en: 'Monthly pension' },
  yearTotal: { zh: '今年已发放合计', en: 'Paid this year in total' },
  pensionStatus: { zh: '发放状态', en: 'Payment status' },
  statusActive: { zh: '正常发放', en: 'Being paid' },
  statusSuspended: { zh: '暂停发放', en: 'Paused' },
  statusStopped: { zh: '已停发', en: 'Stopped' },
  certifiedUntil: { zh: '下次资格认证截止日期', en: 'Next eligibility check due by' },
  paymentsTitle: { zh: '最近的发放记录', en: 'Latest payments' },
  month: { zh: '月份', en: 'Month' },
  amount: { zh: '金额', en: 'Amount' },
  paidOn: { zh: '发放日期', en: 'Paid on' },
  noPayments: { zh: '还没有发放记录', en: 'No payments yet' },
  yuan: { zh: '{amount} 元', en: '¥{amount}' },

  balance: { zh: '个人账户余额', en: 'Account balance' },
  chartTitle: { zh: '近 12 个月医疗费用（元）', en: 'Medical costs in the last 12 months (¥)' },
  chartSummary: {
    zh: '近 12 个月共结算 {count} 次，医疗费用合计 {total} 元，个人账户支付 {account} 元',
    en: '{count} settlements in the last 12 months: costs ¥{total} in total, ¥{account} paid from the account',
  },
  settlementsTitle: { zh: '最近的结算记录', en: 'Latest settlements' },
  noSettlements: { zh: '近期没有结算记录', en: 'No settlements recently' },
  date: { zh: '日期', en: 'Date' },
  institution: { zh: '医院或药店', en: 'Hospital or pharmacy' },
  total: { zh: '费用合计', en: 'Total cost' },
  fundPaid: { zh: '医保基金支付', en: 'Paid by insurance' },
  accountPaid: { zh: '个人账户支付', en: 'Paid from account' },
  cashPaid: { zh: '个人现金支付', en: 'Paid in cash' },
  cancelled: { zh: '已撤销', en: 'Cancelled' },

  certifyTitle: { zh: '养老金领取资格认证', en: 'Pension eligibility check' },
  certifyText: {
    zh: '每年需要认证一次，证明您本人仍在领取养老金。请保持社保卡插在读卡器中，然后输入密码。',
    en: 'Once a year you confirm that you still receive your pension yourself. Keep your card in the reader, then enter your PIN.',
  },
  certifyStart: { zh: '开始认证', en: 'Start the check' },
  certifying: { zh: '正在认证，请稍候', en: 'Checking, please wait' },
  certified: { zh: '认证成功', en: 'Check complete' },
  nextDue: { zh: '下次请在 {date} 前认证', en: 'Please do the next check by {date}' },
  certifyQueued: {
    zh: '认证申请已发出，但尚未得到确认，请到人工窗口确认',
    en: 'Your check was sent but is not confirmed yet. Please ask at a staff counter.',
  },
  certifyFailed: { zh: '认证没有完成', en: 'The check could not be completed' },

  statementTitle: { zh: '社会保障对账单', en: 'Social security statement' },
  statementDate: { zh: '对账日期', en: 'Statement date' },
  print: { zh: '打印', en: 'Print' },

  serviceFailed: { zh: '暂时查询不到您的信息', en: 'Your details cannot be shown just now' },
  serviceUnavailable: {
    zh: '社保系统暂时无法连接，请稍后再试或到人工窗口办理',
    en: 'The social security system cannot be reached. Please try later or ask at a staff counter.',
  },
  cardNotConfirmed: {
    zh: '未能确认读卡器中的这张卡，请不要拔卡，返回后重试',
    en: 'The card in the reader could not be confirmed. Leave it in, go back and try again.',
  },

  goToCounter: { zh: '请到 {counter} 号人工窗口办理', en: 'Please go to staff counter {counter}' },
  goToAnyCounter: { zh: '请到人工窗口办理', en: 'Please go to a staff counter' },
  pinBlocked: {
    zh: '密码已被锁定，为保护您的账户，本机不能再输入密码',
    en: 'Your PIN is locked. To protect your account this machine cannot take it any more.',
  },

  displayStandard: { zh: '标准字体', en: 'Standard text' },
  displayElderly: { zh: '大字模式', en: 'Large text' },
  displayStandardLabel: { zh: '切换到标准字体', en: 'Switch to standard text size' },
  displayElderlyLabel: { zh: '切换到大字模式', en: 'Switch to large text' },
  mute: { zh: '关闭语音', en: 'Sound off' },
  unmute: { zh: '打开语音', en: 'Sound on' },
} as const satisfies Record<string, Text>;

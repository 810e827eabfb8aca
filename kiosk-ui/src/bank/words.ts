import type { Text } from '../i18n.js';

/** The bank counter's texts, for tellers. */
export const B = {
  title: { zh: '银行柜面 · 社保卡业务', en: 'Bank Counter · Social Security Card' },
  tabWithdraw: { zh: '养老金取款', en: 'Pension withdrawal' },
  tabBalance: { zh: '余额查询', en: 'Balance' },
  tabCertify: { zh: '资格认证', en: 'Certification' },
  amount: { zh: '取款金额（元）', en: 'Amount (CNY)' },
  amountBad: { zh: '请输入正确的金额，最多两位小数', en: 'Enter an amount with at most two decimals' },
  withdraw: { zh: '取款（持卡人输入银行卡密码）', en: 'Withdraw (cardholder enters the bank PIN)' },
  bankPin: {
    zh: '请持卡人在密码键盘上输入银行卡密码',
    en: 'The cardholder types the bank PIN on the PIN pad',
  },
  authorising: { zh: '正在联机授权…', en: 'Authorising online…' },
  completed: { zh: '取款成功，请付款', en: 'Approved: pay out the cash' },
  declined: { zh: '发卡方拒绝，未扣款', en: 'Declined by the issuer: nothing debited' },
  reversed: { zh: '交易已冲正，未扣款', en: 'Reversed: nothing debited' },
  declinedByCard: { zh: '卡片拒绝交易，未扣款', en: 'Declined by the card: nothing debited' },
  receipt: { zh: '取款凭条', en: 'Withdrawal receipt' },
  account: { zh: '账号', en: 'Account' },
  balanceAfter: { zh: '交易后余额', en: 'Balance after' },
  balance: { zh: '账户余额', en: 'Account balance' },
  arc: { zh: '授权响应码', en: 'Response code' },
  reference: { zh: '交易参考号', en: 'Reference' },
  withdrawalId: { zh: '交易流水号', en: 'Transaction number' },
  arc00: { zh: '批准', en: 'Approved' },
  arc51: { zh: '余额不足', en: 'Insufficient funds' },
  arc55: { zh: '银行卡密码错误', en: 'Wrong bank PIN' },
  arc62: { zh: '受限制的卡', en: 'Restricted card' },
  arc75: { zh: '银行卡密码已锁定', en: 'Bank PIN blocked' },
} as const satisfies Record<string, Text>;

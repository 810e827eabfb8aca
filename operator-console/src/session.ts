/**
 * The operator's token for this tab only: sessionStorage ends with the tab, is not shared with
 * other tabs or sent with any request on its own (unlike a cookie), and never appears in a URL.
 */
const KEY = 'sscard.console.token';

export function currentToken(): string | null {
  return sessionStorage.getItem(KEY);
}

export function keepToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function clearToken(): void {
  sessionStorage.removeItem(KEY);
}

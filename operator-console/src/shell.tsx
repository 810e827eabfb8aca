import type { OperatorRecord } from '@sscard/registry-protocol';
import { useEffect, useState } from 'preact/hooks';
import { call, mayCall, whenSignedOut } from './api.js';
import { PAGE_GROUPS, type PageGroup, allPages } from './pages/registry.js';
import { clearToken, currentToken, keepToken } from './session.js';
import { Notice, messageOf } from './ui.js';

/** `#/alerts/123` → `['alerts', '123']`. */
function locationPath(): string[] {
  return location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
}

function useLocationPath(): string[] {
  const [path, setPath] = useState(locationPath);
  useEffect(() => {
    const onChange = () => setPath(locationPath());
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return path;
}

/** The console: sign-in with an operator token, then the pages the token's scopes allow. */
export function Console() {
  const [operator, setOperator] = useState<OperatorRecord | null | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);

  const signIn = async (): Promise<void> => {
    if (!currentToken()) {
      setOperator(null);
      return;
    }
    try {
      setOperator(await call('getCallingOperator'));
      setError(undefined);
    } catch (e) {
      clearToken();
      setOperator(null);
      setError(messageOf(e));
    }
  };

  useEffect(() => {
    whenSignedOut(() => {
      setOperator(null);
      setError('登录已失效，请重新输入令牌');
    });
    void signIn();
  }, []);

  if (operator === undefined) return <p class="muted pad">加载中…</p>;
  if (operator === null)
    return (
      <SignIn
        error={error}
        onToken={(token) => {
          keepToken(token);
          void signIn();
        }}
      />
    );
  return (
    <Shell
      operator={operator}
      onSignOut={() => {
        clearToken();
        setOperator(null);
        setError(undefined);
      }}
    />
  );
}

function SignIn(props: { error: string | undefined; onToken(token: string): void }) {
  const [token, setToken] = useState('');
  return (
    <main class="signin">
      <h1>社会保障卡 业务管理台</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (token.trim()) props.onToken(token.trim());
        }}
      >
        <label for="token">操作员令牌</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="off"
          spellcheck={false}
          value={token}
          onInput={(e) => setToken((e.target as HTMLInputElement).value)}
        />
        <button type="submit" class="btn primary">
          登录
        </button>
      </form>
      {props.error && <Notice kind="error">{props.error}</Notice>}
      <p class="muted">令牌只保存在本标签页，关闭即清除。</p>
    </main>
  );
}

function Shell(props: { operator: OperatorRecord; onSignOut(): void }) {
  const path = useLocationPath();
  const visible = allPages().filter((p) => mayCall(props.operator.scopes, p.needs));
  const [pageId, ...rest] = path;
  const page = visible.find((p) => p.id === pageId) ?? visible[0];
  const groups = Object.entries(PAGE_GROUPS) as [PageGroup, string][];
  return (
    <div class="shell">
      <header class="topbar">
        <span class="brand">社会保障卡 业务管理台</span>
        <span class="who" data-testid="operator">
          {props.operator.name}
          <span class="muted"> · {props.operator.scopes.join(' ')}</span>
        </span>
        <button type="button" class="btn" onClick={props.onSignOut}>
          退出
        </button>
      </header>
      <nav class="nav" aria-label="页面">
        {groups.map(([group, title]) => {
          const inGroup = visible.filter((p) => p.group === group);
          if (inGroup.length === 0) return null;
          return (
            <section key={group}>
              <h2>{title}</h2>
              <ul>
                {inGroup.map((p) => (
                  <li key={p.id}>
                    <a href={`#/${p.id}`} data-page={p.id} aria-current={p === page ? 'page' : undefined}>
                      {p.title}
                    </a>
                  </li>
                ))}
              </ul>
            </section>
          );
        })}
      </nav>
      <main class="page" data-page={page?.id}>
        {page ? (
          <>
            <h1>{page.title}</h1>
            <page.component operator={props.operator} path={page.id === pageId ? rest : []} />
          </>
        ) : (
          <Notice kind="info">此令牌的权限范围内没有可用的页面。</Notice>
        )}
      </main>
    </div>
  );
}

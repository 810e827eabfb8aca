import type { Dialect, Store } from './store.js';

/**
 * The schema as one ordered list. A migration is applied once, in its own transaction, and recorded
 * in `schema_migrations`; published migrations are never edited, only followed by new ones. SQL is
 * shared by both engines except the few tokens below.
 */
interface Migration {
  version: number;
  name: string;
  /** The same for both engines, or each engine's own. */
  statements: string[] | Record<Dialect, string[]>;
}

const TOKENS: Record<Dialect, Record<string, string>> = {
  sqlite: { AUTO_ID: 'INTEGER PRIMARY KEY AUTOINCREMENT' },
  postgres: { AUTO_ID: 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY' },
};

const GENESIS_HASH = '0'.repeat(64);

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'registry: holders, cards, insurance relations, history',
    statements: [
      `CREATE TABLE holders (
        person_no TEXT PRIMARY KEY,
        id_number TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        gender TEXT NOT NULL CHECK (gender IN ('1', '2')),
        ethnicity TEXT NOT NULL,
        birth_date TEXT NOT NULL,
        birthplace TEXT NOT NULL,
        region TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      )`,
      `CREATE TABLE cards (
        card_number TEXT PRIMARY KEY,
        card_id_code TEXT NOT NULL UNIQUE,
        person_no TEXT NOT NULL REFERENCES holders (person_no),
        spec_version TEXT NOT NULL,
        card_type TEXT NOT NULL,
        algorithm TEXT NOT NULL CHECK (algorithm IN ('3des', 'sm4')),
        issuing_region TEXT NOT NULL,
        init_org TEXT NOT NULL,
        issue_date TEXT NOT NULL,
        expiry_date TEXT NOT NULL,
        status TEXT NOT NULL,
        social_security_active INTEGER NOT NULL DEFAULT 0,
        financial_active INTEGER NOT NULL DEFAULT 0,
        temporary INTEGER NOT NULL DEFAULT 0,
        temporary_loss_until TEXT,
        replaces TEXT,
        replaced_by TEXT,
        status_changed_at TEXT NOT NULL,
        created_at TEXT NOT NULL
      )`,
      'CREATE INDEX cards_person_no ON cards (person_no)',
      `CREATE TABLE insurance_relations (
        relation_id TEXT PRIMARY KEY,
        person_no TEXT NOT NULL REFERENCES holders (person_no),
        scheme_code TEXT NOT NULL,
        insured_region TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('active', 'paused', 'terminated')),
        start_date TEXT NOT NULL,
        pause_date TEXT,
        card_number TEXT REFERENCES cards (card_number),
        UNIQUE (person_no, scheme_code, insured_region)
      )`,
      'CREATE INDEX insurance_relations_card ON insurance_relations (card_number)',
      `CREATE TABLE registry_history (
        id AUTO_ID,
        entity TEXT NOT NULL,
        entity_id TEXT NOT NULL,
        action TEXT NOT NULL,
        changes TEXT NOT NULL,
        actor TEXT NOT NULL,
        at TEXT NOT NULL
      )`,
      'CREATE INDEX registry_history_entity ON registry_history (entity, entity_id, id)',
    ],
  },
  {
    version: 2,
    name: 'terminals, enrolment codes, certificates, operator tokens',
    statements: [
      `CREATE TABLE terminals (
        terminal_id TEXT PRIMARY KEY,
        type TEXT NOT NULL CHECK (type IN ('kiosk', 'hospital', 'pharmacy', 'bank')),
        region TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'revoked')),
        created_at TEXT NOT NULL,
        enrolled_at TEXT,
        revoked_at TEXT
      )`,
      `CREATE TABLE enrolment_codes (
        code_hash TEXT PRIMARY KEY,
        terminal_id TEXT NOT NULL REFERENCES terminals (terminal_id),
        type TEXT NOT NULL,
        region TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL
      )`,
      `CREATE TABLE terminal_certificates (
        serial TEXT PRIMARY KEY,
        terminal_id TEXT NOT NULL REFERENCES terminals (terminal_id),
        not_after TEXT NOT NULL,
        issued_at TEXT NOT NULL,
        revoked_at TEXT
      )`,
      'CREATE INDEX terminal_certificates_terminal ON terminal_certificates (terminal_id)',
      `CREATE TABLE operator_tokens (
        token_id TEXT PRIMARY KEY,
        secret_hash TEXT NOT NULL,
        name TEXT NOT NULL,
        scopes TEXT NOT NULL,
        created_at TEXT NOT NULL,
        revoked_at TEXT
      )`,
    ],
  },
  {
    version: 3,
    name: 'card-present challenges, idempotency keys, audit chain, import checkpoints',
    statements: [
      `CREATE TABLE challenges (
        challenge_id TEXT PRIMARY KEY,
        terminal_id TEXT NOT NULL,
        card_id_code TEXT NOT NULL,
        algorithm TEXT NOT NULL,
        challenge TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT
      )`,
      'CREATE INDEX challenges_expires ON challenges (expires_at)',
      `CREATE TABLE idempotency_keys (
        terminal_id TEXT NOT NULL,
        idempotency_key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        status INTEGER NOT NULL,
        body TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (terminal_id, idempotency_key)
      )`,
      `CREATE TABLE audit_log (
        seq BIGINT PRIMARY KEY,
        at TEXT NOT NULL,
        terminal_id TEXT,
        operator_id TEXT,
        action TEXT NOT NULL,
        subject TEXT NOT NULL,
        result TEXT NOT NULL,
        details TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
      )`,
      `CREATE TABLE audit_head (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        seq BIGINT NOT NULL,
        hash TEXT NOT NULL
      )`,
      `INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '${GENESIS_HASH}')`,
      `CREATE TABLE import_checkpoints (
        import_id TEXT PRIMARY KEY,
        file_name TEXT NOT NULL,
        total_rows BIGINT NOT NULL,
        committed_rows BIGINT NOT NULL,
        started_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        completed_at TEXT
      )`,
    ],
  },
  {
    version: 4,
    name: 'sqlite3: the audit chain follows its head in the database',
    statements: {
      // Every entry must follow the head, which moves with it in the same statement: entries are
      // then appended in one statement without an explicit transaction (the group-commit
      // writer's batches: one thread-pool trip and one sync instead of five trips), and entries
      // chained after a stale head fail whole instead of forking the chain. PostgreSQL needs no
      // trigger for that: its one-statement append moves the head itself in a data-modifying
      // WITH (`appendAuditAfter`), which sqlite3 lacks.
      sqlite: [
        `CREATE TRIGGER audit_log_follows_head BEFORE INSERT ON audit_log
        WHEN NOT EXISTS (SELECT 1 FROM audit_head WHERE id = 1 AND seq = NEW.seq - 1 AND hash = NEW.prev_hash)
        BEGIN SELECT RAISE(ABORT, 'audit entry does not follow the chain head'); END`,
        `CREATE TRIGGER audit_log_moves_head AFTER INSERT ON audit_log
        BEGIN UPDATE audit_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1; END`,
      ],
      postgres: [],
    },
  },
];

export { GENESIS_HASH };

function render(sql: string, dialect: Dialect): string {
  return sql.replace(/\b(AUTO_ID)\b/g, (token) => TOKENS[dialect][token] ?? token);
}

/** Brings the schema up to date; safe to call from several processes at once. */
export async function migrate(store: Store): Promise<number[]> {
  await store.run(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
  );
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    const done = await store.transaction(async (tx) => {
      // Two service processes starting together: the second waits here, then sees the row.
      if (tx.dialect === 'postgres') await tx.run('SELECT pg_advisory_xact_lock(7301001)');
      const row = await tx.get('SELECT version FROM schema_migrations WHERE version = ?', [m.version]);
      if (row) return false;
      const statements = Array.isArray(m.statements) ? m.statements : m.statements[tx.dialect];
      for (const statement of statements) await tx.run(render(statement, tx.dialect));
      await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
        m.version,
        m.name,
        new Date().toISOString(),
      ]);
      return true;
    });
    if (done) applied.push(m.version);
  }
  return applied;
}

import { REPLAY_INPUT_COLUMNS, replayInputsBackfill } from './replay-inputs-backfill.js';
import type { Dialect, Queryable, Store } from './store.js';

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
  /**
   * sqlite3: run with foreign key enforcement off, then check every foreign key before commit.
   * SQLite changes a table's CHECK constraint only by rebuilding the table (create the new one, copy,
   * drop the old, rename), and dropping a table that other tables reference fails while enforcement
   * is on; the switch is a no-op inside a transaction, so `migrate` flips it around this one.
   */
  rebuildsTables?: true;
}

const TOKENS: Record<Dialect, Record<string, string>> = {
  sqlite: { AUTO_ID: 'INTEGER PRIMARY KEY AUTOINCREMENT' },
  postgres: { AUTO_ID: 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY' },
};

/**
 * The due list's pages in order of cycle end (then person), for the whole country and for one
 * paying region.
 */
const CERTIFICATION_DUE_INDEXES = [
  'CREATE INDEX pension_entitlements_due ON pension_entitlements (certified_until, person_no)',
  'CREATE INDEX pension_entitlements_region_due ON pension_entitlements (paying_region, certified_until, person_no)',
];

const GENESIS_HASH = '0'.repeat(64);

/**
 * PostgreSQL: the role the service runs as (through a login role that is a member of it, see the
 * README). It may read and write every table but may not change or remove audit history, settlements
 * or ledger entries.
 */
export const SERVICE_ROLE = 'sscard_service';

/**
 * Medical settlement (card-service docs/settlement.md). Settlements, their endings (cancel,
 * reversal) and ledger entries are append-only: triggers refuse UPDATE and DELETE, so an ending is
 * a row of its own and a reversal posts opposite entries. The accumulators and the personal
 * accounts' balances are the two running totals, each changed only in the transaction that posts
 * what it sums, and checked against the settlements and entries by `verifyLedger`.
 */
const SETTLEMENT_TABLES = [
  `ALTER TABLE insurance_relations ADD COLUMN person_group TEXT NOT NULL DEFAULT 'in_service'
    CHECK (person_group IN ('in_service', 'retired'))`,
  `CREATE TABLE settlement_policies (
    region TEXT NOT NULL,
    scheme TEXT NOT NULL,
    year INTEGER NOT NULL,
    version INTEGER NOT NULL,
    effective_from TEXT NOT NULL,
    parameters TEXT NOT NULL,
    published_at TEXT NOT NULL,
    published_by TEXT NOT NULL,
    PRIMARY KEY (region, scheme, year, version)
  )`,
  `CREATE TABLE catalogue_items (
    region TEXT NOT NULL,
    item_code TEXT NOT NULL,
    name TEXT NOT NULL,
    item_class TEXT NOT NULL CHECK (item_class IN ('A', 'B', 'C')),
    pre_self_pay_share INTEGER NOT NULL,
    price_ceiling BIGINT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (region, item_code)
  )`,
  `CREATE TABLE institutions (
    institution_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    region TEXT NOT NULL,
    level INTEGER NOT NULL CHECK (level IN (1, 2, 3)),
    created_at TEXT NOT NULL
  )`,
  `CREATE TABLE institution_terminals (
    terminal_id TEXT PRIMARY KEY REFERENCES terminals (terminal_id),
    institution_id TEXT NOT NULL REFERENCES institutions (institution_id),
    assigned_at TEXT NOT NULL
  )`,
  `CREATE TABLE settlement_visits (
    visit_id TEXT PRIMARY KEY,
    terminal_id TEXT NOT NULL,
    institution_id TEXT NOT NULL,
    treatment_region TEXT NOT NULL,
    card_number TEXT NOT NULL,
    person_no TEXT NOT NULL,
    scheme TEXT NOT NULL,
    insured_region TEXT NOT NULL,
    person_group TEXT NOT NULL,
    visit_type TEXT NOT NULL,
    hospital_level INTEGER NOT NULL,
    his_visit_no TEXT NOT NULL,
    registered_at TEXT NOT NULL
  )`,
  `CREATE TABLE settlement_bill_lines (
    visit_id TEXT NOT NULL REFERENCES settlement_visits (visit_id),
    line_no INTEGER NOT NULL,
    item_code TEXT NOT NULL,
    unit_price BIGINT NOT NULL,
    quantity INTEGER NOT NULL,
    item_class TEXT NOT NULL,
    pre_self_pay_share INTEGER NOT NULL,
    price_ceiling BIGINT,
    PRIMARY KEY (visit_id, line_no)
  )`,
  `CREATE TABLE settlement_quotes (
    quote_id TEXT PRIMARY KEY,
    visit_id TEXT NOT NULL REFERENCES settlement_visits (visit_id),
    bill_hash TEXT NOT NULL,
    use_account INTEGER NOT NULL,
    account_balance BIGINT NOT NULL,
    accumulators TEXT NOT NULL,
    policy_year INTEGER NOT NULL,
    policy_version INTEGER NOT NULL,
    breakdown TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
  )`,
  `CREATE TABLE settlements (
    settlement_id TEXT PRIMARY KEY,
    visit_id TEXT NOT NULL REFERENCES settlement_visits (visit_id),
    quote_id TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    attempt_key TEXT NOT NULL,
    institution_id TEXT NOT NULL,
    card_number TEXT NOT NULL,
    person_no TEXT NOT NULL,
    scheme TEXT NOT NULL,
    insured_region TEXT NOT NULL,
    treatment_region TEXT NOT NULL,
    policy_year INTEGER NOT NULL,
    policy_version INTEGER NOT NULL,
    settled_at TEXT NOT NULL,
    business_date TEXT NOT NULL,
    breakdown TEXT NOT NULL,
    accumulators_delta TEXT NOT NULL,
    medfee_sumamt BIGINT NOT NULL,
    hifp_pay BIGINT NOT NULL,
    hifmi_pay BIGINT NOT NULL,
    acct_pay BIGINT NOT NULL,
    psn_cash_pay BIGINT NOT NULL,
    UNIQUE (terminal_id, attempt_key)
  )`,
  'CREATE INDEX settlements_institution_day ON settlements (institution_id, business_date)',
  'CREATE INDEX settlements_visit ON settlements (visit_id)',
  `CREATE TABLE settlement_endings (
    settlement_id TEXT PRIMARY KEY REFERENCES settlements (settlement_id),
    kind TEXT NOT NULL CHECK (kind IN ('cancelled', 'reversed')),
    ended_at TEXT NOT NULL,
    terminal_id TEXT NOT NULL
  )`,
  `CREATE TABLE settlement_attempts (
    terminal_id TEXT NOT NULL,
    attempt_key TEXT NOT NULL,
    settlement_id TEXT,
    voided_at TEXT,
    PRIMARY KEY (terminal_id, attempt_key)
  )`,
  `CREATE TABLE settlement_accumulators (
    person_no TEXT NOT NULL,
    scheme TEXT NOT NULL,
    insured_region TEXT NOT NULL,
    year INTEGER NOT NULL,
    outpatient_deductible_paid BIGINT NOT NULL,
    pooled_fund_used BIGINT NOT NULL,
    large_expense_deductible_paid BIGINT NOT NULL,
    large_expense_fund_used BIGINT NOT NULL,
    PRIMARY KEY (person_no, scheme, insured_region, year)
  )`,
  `CREATE TABLE ledger_entries (
    entry_id AUTO_ID,
    txn_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    account TEXT NOT NULL,
    amount BIGINT NOT NULL,
    at TEXT NOT NULL
  )`,
  'CREATE INDEX ledger_entries_txn ON ledger_entries (txn_id)',
  'CREATE INDEX ledger_entries_account ON ledger_entries (account)',
  `CREATE TABLE personal_accounts (
    person_no TEXT PRIMARY KEY,
    balance BIGINT NOT NULL CHECK (balance >= 0)
  )`,
];

/**
 * Pensions (issue 14). An entitlement is one row per holder; `paid_through` is the run's cursor,
 * moved in the transaction that posts the payments, and the payments' primary key (holder, month)
 * makes a month paid at most once whatever the cursor says. The holder's card (debit) account has
 * its balance row in `card_accounts`, kept like `personal_accounts` beside its ledger entries, for
 * the bank withdrawal to lock and debit.
 */
const PENSION_TABLES = [
  `CREATE TABLE pension_entitlements (
    person_no TEXT PRIMARY KEY REFERENCES holders (person_no),
    monthly_amount BIGINT NOT NULL CHECK (monthly_amount > 0),
    first_month TEXT NOT NULL,
    paying_region TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'stopped')),
    last_month TEXT,
    paid_through TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  )`,
  'CREATE INDEX pension_entitlements_region ON pension_entitlements (paying_region, person_no)',
  `CREATE TABLE pension_entitlement_history (
    id AUTO_ID,
    person_no TEXT NOT NULL,
    action TEXT NOT NULL,
    status TEXT NOT NULL,
    monthly_amount BIGINT NOT NULL,
    reason TEXT,
    actor TEXT NOT NULL,
    at TEXT NOT NULL
  )`,
  'CREATE INDEX pension_entitlement_history_person ON pension_entitlement_history (person_no, id)',
  `CREATE TABLE pension_payments (
    person_no TEXT NOT NULL,
    month TEXT NOT NULL,
    amount BIGINT NOT NULL,
    paying_region TEXT NOT NULL,
    run_month TEXT NOT NULL,
    paid_at TEXT NOT NULL,
    txn_id TEXT NOT NULL,
    PRIMARY KEY (person_no, month)
  )`,
  `CREATE TABLE pension_runs (
    month TEXT NOT NULL,
    region TEXT NOT NULL,
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    completed_at TEXT,
    holders BIGINT NOT NULL DEFAULT 0,
    payments BIGINT NOT NULL DEFAULT 0,
    amount BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (month, region)
  )`,
  `CREATE TABLE card_accounts (
    person_no TEXT PRIMARY KEY,
    balance BIGINT NOT NULL CHECK (balance >= 0)
  )`,
];

/**
 * The daily roll-ups the console's statistics read (card-service statistics/). Each flow table
 * holds one China-time day's counts by six-digit region, recomputed whole for a day by the
 * roll-up job; the snapshot tables (holders, cards, certification) hold the state as the day's
 * last roll-up saw it. `stats_days` says which days are done and whether a day is final.
 */
const STATISTICS_TABLES = [
  `CREATE TABLE stats_days (
    day TEXT PRIMARY KEY,
    computed_at TEXT NOT NULL,
    final INTEGER NOT NULL,
    snapshot_at TEXT
  )`,
  `CREATE TABLE stats_holders (
    day TEXT NOT NULL,
    region TEXT NOT NULL,
    holders BIGINT NOT NULL,
    PRIMARY KEY (day, region)
  )`,
  `CREATE TABLE stats_cards (
    day TEXT NOT NULL,
    region TEXT NOT NULL,
    status TEXT NOT NULL,
    cards BIGINT NOT NULL,
    PRIMARY KEY (day, region, status)
  )`,
  `CREATE TABLE stats_card_events (
    day TEXT NOT NULL,
    region TEXT NOT NULL,
    event TEXT NOT NULL CHECK (event IN ('issued', 'replaced', 'lost')),
    events BIGINT NOT NULL,
    PRIMARY KEY (day, region, event)
  )`,
  `CREATE TABLE stats_identity_checks (
    day TEXT NOT NULL,
    region TEXT NOT NULL,
    terminal_type TEXT NOT NULL,
    result TEXT NOT NULL,
    checks BIGINT NOT NULL,
    PRIMARY KEY (day, region, terminal_type, result)
  )`,
  `CREATE TABLE stats_settlements (
    day TEXT NOT NULL,
    region TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('settled', 'ended')),
    settlements BIGINT NOT NULL,
    medfee_sumamt BIGINT NOT NULL,
    hifp_pay BIGINT NOT NULL,
    hifmi_pay BIGINT NOT NULL,
    acct_pay BIGINT NOT NULL,
    psn_cash_pay BIGINT NOT NULL,
    PRIMARY KEY (day, region, kind)
  )`,
  `CREATE TABLE stats_pensions (
    day TEXT NOT NULL,
    region TEXT NOT NULL,
    month TEXT NOT NULL,
    payments BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    PRIMARY KEY (day, region, month)
  )`,
  `CREATE TABLE stats_pension_certification (
    day TEXT NOT NULL,
    region TEXT NOT NULL,
    active BIGINT NOT NULL,
    certified BIGINT NOT NULL,
    PRIMARY KEY (day, region)
  )`,
  `CREATE TABLE stats_alerts (
    day TEXT NOT NULL,
    region TEXT NOT NULL,
    rule_code TEXT NOT NULL,
    raised BIGINT NOT NULL,
    PRIMARY KEY (day, region, rule_code)
  )`,
  'CREATE INDEX audit_log_action_at ON audit_log (action, at)',
  'CREATE INDEX registry_history_entity_at ON registry_history (entity, at)',
  'CREATE INDEX settlements_business_date ON settlements (business_date)',
  'CREATE INDEX settlement_endings_ended_at ON settlement_endings (ended_at)',
  'CREATE INDEX pension_payments_paid_at ON pension_payments (paid_at)',
];

/**
 * The roll-ups again, with a row for every level of the region tree (`level` 0 the country, 1 a
 * province, 2 a city, 3 a district) first in their keys: a page over a year read the rows of every
 * district before, now it reads those of the level it shows. They are derived data, so they are
 * dropped and made again; the job fills them from the events at its next run.
 */
/** One row per settlement with what a policy replay needs of it (settlement/replay-inputs.ts). */
const REPLAY_INPUTS_TABLE = `CREATE TABLE settlement_replay_inputs (
  insured_region TEXT NOT NULL,
  scheme TEXT NOT NULL,
  settled_at TEXT NOT NULL,
  settlement_id TEXT NOT NULL REFERENCES settlements (settlement_id),
  input TEXT NOT NULL,
  PRIMARY KEY (insured_region, scheme, settled_at, settlement_id)
)`;

/** Migration 29's: the person beside the inputs, so that a page splits by person in the store. */
const REPLAY_INPUTS_TABLE_BY_PERSON = `CREATE TABLE settlement_replay_inputs (
  insured_region TEXT NOT NULL,
  scheme TEXT NOT NULL,
  settled_at TEXT NOT NULL,
  settlement_id TEXT NOT NULL REFERENCES settlements (settlement_id),
  person_no TEXT NOT NULL,
  input TEXT NOT NULL,
  PRIMARY KEY (insured_region, scheme, settled_at, settlement_id)
)`;

const REBUILD_REPLAY_INPUTS = (dialect: 'sqlite' | 'postgres', table: string) => [
  'DROP TABLE settlement_replay_inputs',
  table,
  `INSERT INTO settlement_replay_inputs (${REPLAY_INPUT_COLUMNS.join(', ')}) ${replayInputsBackfill(dialect)}`,
];

const STATISTICS_TABLES_BY_LEVEL = [
  'DROP TABLE stats_days',
  'DROP TABLE stats_holders',
  'DROP TABLE stats_cards',
  'DROP TABLE stats_card_events',
  'DROP TABLE stats_identity_checks',
  'DROP TABLE stats_settlements',
  'DROP TABLE stats_pensions',
  'DROP TABLE stats_pension_certification',
  'DROP TABLE stats_alerts',
  `CREATE TABLE stats_days (
    day TEXT PRIMARY KEY,
    computed_at TEXT NOT NULL,
    final INTEGER NOT NULL,
    snapshot_at TEXT
  )`,
  `CREATE TABLE stats_holders (
    level INTEGER NOT NULL,
    day TEXT NOT NULL,
    region TEXT NOT NULL,
    holders BIGINT NOT NULL,
    PRIMARY KEY (level, region, day)
  )`,
  `CREATE TABLE stats_cards (
    level INTEGER NOT NULL,
    day TEXT NOT NULL,
    region TEXT NOT NULL,
    status TEXT NOT NULL,
    cards BIGINT NOT NULL,
    PRIMARY KEY (level, region, day, status)
  )`,
  `CREATE TABLE stats_card_events (
    level INTEGER NOT NULL,
    day TEXT NOT NULL,
    region TEXT NOT NULL,
    event TEXT NOT NULL CHECK (event IN ('issued', 'replaced', 'lost')),
    events BIGINT NOT NULL,
    PRIMARY KEY (level, region, day, event)
  )`,
  `CREATE TABLE stats_identity_checks (
    level INTEGER NOT NULL,
    day TEXT NOT NULL,
    region TEXT NOT NULL,
    terminal_type TEXT NOT NULL,
    result TEXT NOT NULL,
    checks BIGINT NOT NULL,
    PRIMARY KEY (level, region, day, terminal_type, result)
  )`,
  `CREATE TABLE stats_settlements (
    level INTEGER NOT NULL,
    day TEXT NOT NULL,
    region TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('settled', 'ended')),
    settlements BIGINT NOT NULL,
    medfee_sumamt BIGINT NOT NULL,
    hifp_pay BIGINT NOT NULL,
    hifmi_pay BIGINT NOT NULL,
    acct_pay BIGINT NOT NULL,
    psn_cash_pay BIGINT NOT NULL,
    PRIMARY KEY (level, region, day, kind)
  )`,
  `CREATE TABLE stats_pensions (
    level INTEGER NOT NULL,
    day TEXT NOT NULL,
    region TEXT NOT NULL,
    month TEXT NOT NULL,
    payments BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    PRIMARY KEY (level, region, day, month)
  )`,
  `CREATE TABLE stats_pension_certification (
    level INTEGER NOT NULL,
    day TEXT NOT NULL,
    region TEXT NOT NULL,
    active BIGINT NOT NULL,
    certified BIGINT NOT NULL,
    PRIMARY KEY (level, region, day)
  )`,
  `CREATE TABLE stats_alerts (
    level INTEGER NOT NULL,
    day TEXT NOT NULL,
    region TEXT NOT NULL,
    rule_code TEXT NOT NULL,
    raised BIGINT NOT NULL,
    PRIMARY KEY (level, region, day, rule_code)
  )`,
  'CREATE INDEX stats_holders_day ON stats_holders (day)',
  'CREATE INDEX stats_cards_day ON stats_cards (day)',
  'CREATE INDEX stats_card_events_day ON stats_card_events (day)',
  'CREATE INDEX stats_identity_checks_day ON stats_identity_checks (day)',
  'CREATE INDEX stats_settlements_day ON stats_settlements (day)',
  'CREATE INDEX stats_pensions_day ON stats_pensions (day)',
  'CREATE INDEX stats_pension_certification_day ON stats_pension_certification (day)',
  'CREATE INDEX stats_alerts_day ON stats_alerts (day)',
];

const appendOnlySqlite = (table: string): string[] =>
  ['UPDATE', 'DELETE'].map(
    (op) => `CREATE TRIGGER ${table}_no_${op.toLowerCase()} BEFORE ${op} ON ${table}
    BEGIN SELECT RAISE(ABORT, '${table} rows are never changed or removed'); END`,
  );

const appendOnlyPostgres = (table: string): string[] => [
  `CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table}
    FOR EACH ROW EXECUTE FUNCTION settlement_append_only()`,
  `CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table}
    FOR EACH STATEMENT EXECUTE FUNCTION settlement_append_only()`,
];

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
  {
    version: 5,
    name: 'medical settlement: policies, catalogue, institutions, visits, quotes, settlements, ledger',
    statements: {
      sqlite: [
        ...SETTLEMENT_TABLES,
        ...appendOnlySqlite('ledger_entries'),
        ...appendOnlySqlite('settlements'),
        ...appendOnlySqlite('settlement_endings'),
      ],
      postgres: [
        ...SETTLEMENT_TABLES,
        `CREATE FUNCTION settlement_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION '% rows are never changed or removed', TG_TABLE_NAME; END $$`,
        ...appendOnlyPostgres('ledger_entries'),
        ...appendOnlyPostgres('settlements'),
        ...appendOnlyPostgres('settlement_endings'),
      ],
    },
  },
  {
    version: 6,
    name: 'audit: append-only triggers, HSM-certified checkpoints, the service role',
    statements: {
      // The triggers stop the service, a bug or an operator's SQL console from changing history;
      // they do not stop someone who can write the database file or drop a trigger, which is why
      // checkpoints carry the HSM's MAC and go to a file outside the database as well.
      sqlite: [
        `CREATE TABLE audit_checkpoints (
          seq BIGINT PRIMARY KEY,
          hash TEXT NOT NULL,
          at TEXT NOT NULL,
          prev_mac TEXT NOT NULL,
          mac TEXT NOT NULL
        )`,
        ...['audit_log', 'audit_checkpoints'].flatMap((table) =>
          ['UPDATE', 'DELETE'].map(
            (op) => `CREATE TRIGGER ${table}_no_${op.toLowerCase()} BEFORE ${op} ON ${table}
            BEGIN SELECT RAISE(ABORT, '${table} is append-only'); END`,
          ),
        ),
      ],
      postgres: [
        `CREATE TABLE audit_checkpoints (
          seq BIGINT PRIMARY KEY,
          hash TEXT NOT NULL,
          at TEXT NOT NULL,
          prev_mac TEXT NOT NULL,
          mac TEXT NOT NULL
        )`,
        `CREATE FUNCTION sscard_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$`,
        ...['audit_log', 'audit_checkpoints'].flatMap((table) => [
          `CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table}
          FOR EACH ROW EXECUTE FUNCTION sscard_append_only()`,
          `CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table}
          FOR EACH STATEMENT EXECUTE FUNCTION sscard_append_only()`,
        ]),
        // The role the service's login is a member of (roles are per cluster: it may exist already).
        `DO $$ BEGIN CREATE ROLE ${SERVICE_ROLE} NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`,
      ],
    },
  },
  {
    version: 7,
    name: "terminal authority: each terminal's lifecycle requests and unknown card numbers per day",
    statements: [
      // One row per terminal and China calendar day; the event transaction locks it, so the caps
      // hold across service processes. The *_refused flags make the first refusal of a day audited
      // and the rest not: a terminal past its cap cannot fill the audit log.
      `CREATE TABLE terminal_daily_use (
        terminal_id TEXT NOT NULL,
        day TEXT NOT NULL,
        events INTEGER NOT NULL DEFAULT 0,
        unknown_cards INTEGER NOT NULL DEFAULT 0,
        events_refused INTEGER NOT NULL DEFAULT 0,
        probing_refused INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (terminal_id, day)
      )`,
    ],
  },
  {
    version: 8,
    name: 'operator tokens: expiry, rotation with an overlap for the replaced secret',
    statements: [
      // Null only for tokens made before this migration; the service gives them the default
      // lifetime at its next start (operator-tokens.ts, assignMissingExpiries).
      'ALTER TABLE operator_tokens ADD COLUMN expires_at TEXT',
      'ALTER TABLE operator_tokens ADD COLUMN rotated_at TEXT',
      'ALTER TABLE operator_tokens ADD COLUMN previous_secret_hash TEXT',
      'ALTER TABLE operator_tokens ADD COLUMN previous_valid_until TEXT',
    ],
  },
  {
    version: 9,
    name: 'pensions: entitlements and their history, monthly payments, runs, card accounts',
    statements: {
      sqlite: [...PENSION_TABLES, ...appendOnlySqlite('pension_payments')],
      postgres: [...PENSION_TABLES, ...appendOnlyPostgres('pension_payments')],
    },
  },
  {
    version: 10,
    name: 'pension certification: certification records, the cycle on the entitlement, card-present behaviour',
    statements: [
      // Null for entitlements granted before this migration: their cycle runs from the grant.
      'ALTER TABLE pension_entitlements ADD COLUMN certified_until TEXT',
      // Why a suspended entitlement is suspended: a lapsed certification (which certifying again
      // lifts) or an operator's decision (which only an operator lifts).
      'ALTER TABLE pension_entitlements ADD COLUMN suspended_for TEXT',
      `CREATE TABLE pension_certifications (
        id AUTO_ID,
        person_no TEXT NOT NULL,
        certified_at TEXT NOT NULL,
        method TEXT NOT NULL CHECK (method IN ('kiosk', 'bank', 'bureau', 'silent')),
        valid_until TEXT NOT NULL,
        terminal_id TEXT,
        operator_id TEXT,
        evidence TEXT NOT NULL,
        recorded_at TEXT NOT NULL
      )`,
      'CREATE INDEX pension_certifications_person ON pension_certifications (person_no, id)',
      `CREATE TABLE card_presence_events (
        id AUTO_ID,
        person_no TEXT NOT NULL,
        card_number TEXT NOT NULL,
        kind TEXT NOT NULL,
        terminal_id TEXT NOT NULL,
        region TEXT NOT NULL,
        at TEXT NOT NULL
      )`,
      'CREATE INDEX card_presence_events_person ON card_presence_events (person_no, at)',
    ],
  },
  {
    version: 11,
    name: 'death and imprisonment registrations, frozen pension use, risk alerts',
    statements: [
      'ALTER TABLE pension_entitlements ADD COLUMN frozen_at TEXT',
      `CREATE TABLE life_event_registrations (
        person_no TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('death', 'imprisonment')),
        event_date TEXT NOT NULL,
        reference TEXT,
        source TEXT NOT NULL CHECK (source IN ('operator', 'feed')),
        registered_at TEXT NOT NULL,
        registered_by TEXT NOT NULL,
        PRIMARY KEY (person_no, kind)
      )`,
      // One alert per finding: the daily job and the transactions meet on dedup_key, so a finding
      // seen again is not raised twice. Acknowledging is the one change a row sees.
      `CREATE TABLE risk_alerts (
        alert_id TEXT PRIMARY KEY,
        rule_code TEXT NOT NULL,
        severity TEXT NOT NULL,
        action TEXT NOT NULL,
        person_no TEXT,
        subject TEXT NOT NULL,
        words TEXT NOT NULL,
        details TEXT NOT NULL,
        amount_to_recover BIGINT,
        dedup_key TEXT NOT NULL UNIQUE,
        raised_at TEXT NOT NULL,
        acknowledged_at TEXT,
        acknowledged_by TEXT,
        acknowledgement_note TEXT
      )`,
      'CREATE INDEX risk_alerts_raised ON risk_alerts (raised_at)',
      'CREATE INDEX risk_alerts_person ON risk_alerts (person_no)',
    ],
  },
  {
    version: 12,
    name: 'bank withdrawals: the cards’ debit accounts with their highest counter, the withdrawals',
    statements: [
      // The bank's account of a card: the PAN and PSN the ARQC key is derived from, and the
      // highest application transaction counter the service has accepted from it (replay guard).
      `CREATE TABLE debit_accounts (
        pan TEXT PRIMARY KEY,
        psn TEXT NOT NULL,
        card_number TEXT NOT NULL UNIQUE REFERENCES cards (card_number),
        last_atc INTEGER,
        registered_at TEXT NOT NULL,
        registered_by TEXT NOT NULL
      )`,
      // One row per authorisation key of a terminal. A reversal of a key no authorisation came
      // with leaves a 'voided' row (the other columns null), so that a late one is refused.
      `CREATE TABLE bank_withdrawals (
        withdrawal_id TEXT PRIMARY KEY,
        terminal_id TEXT NOT NULL,
        idempotency_key TEXT NOT NULL,
        pan TEXT,
        card_number TEXT,
        person_no TEXT,
        amount BIGINT,
        atc INTEGER,
        arc TEXT,
        status TEXT NOT NULL CHECK (status IN ('approved', 'declined', 'completed', 'reversed', 'voided')),
        txn_id TEXT,
        authorised_at TEXT,
        completed_at TEXT,
        outcome TEXT,
        reason TEXT,
        cryptogram TEXT,
        reversal_txn_id TEXT,
        UNIQUE (terminal_id, idempotency_key)
      )`,
      'CREATE INDEX bank_withdrawals_person ON bank_withdrawals (person_no, authorised_at)',
    ],
  },
  {
    version: 13,
    name: 'bank withdrawals: the bank PIN verification value and its wrong tries, the data the second cryptogram covers',
    statements: [
      // The bank PIN is kept only as its PIN verification value (made by the HSM) with its key
      // index; the wrong tries in a row block it at the limit, until the issuer sets a new PIN.
      'ALTER TABLE debit_accounts ADD COLUMN pin_pvv TEXT',
      'ALTER TABLE debit_accounts ADD COLUMN pin_pvki INTEGER',
      'ALTER TABLE debit_accounts ADD COLUMN pin_failures INTEGER NOT NULL DEFAULT 0',
      'ALTER TABLE debit_accounts ADD COLUMN pin_set_at TEXT',
      // The authorisation's cryptogram data, so that the card's TC or AAC (over the same terminal
      // data, AIP and ATC) can be verified at completion.
      'ALTER TABLE bank_withdrawals ADD COLUMN psn TEXT',
      'ALTER TABLE bank_withdrawals ADD COLUMN algorithm TEXT',
      'ALTER TABLE bank_withdrawals ADD COLUMN cdol1 TEXT',
      'ALTER TABLE bank_withdrawals ADD COLUMN aip TEXT',
    ],
  },
  {
    version: 14,
    name: 'analyses: background what-if runs and projections with their parameters and results',
    statements: [
      // The policy what-if reads a region's settlements of a year in time order, a page at a time.
      'CREATE INDEX settlements_insured_time ON settlements (insured_region, scheme, settled_at, settlement_id)',
      `CREATE TABLE analysis_jobs (
        job_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
        done BIGINT NOT NULL DEFAULT 0,
        total BIGINT NOT NULL DEFAULT 0,
        parameters TEXT NOT NULL,
        result TEXT,
        error TEXT,
        started_by TEXT NOT NULL,
        started_at TEXT NOT NULL,
        heartbeat_at TEXT NOT NULL,
        finished_at TEXT
      )`,
      'CREATE INDEX analysis_jobs_started ON analysis_jobs (kind, started_at)',
    ],
  },
  {
    version: 15,
    name: 'a holder’s settlements by day, for the kiosk’s summary of the medical account',
    statements: ['CREATE INDEX settlements_person_day ON settlements (person_no, business_date)'],
  },
  {
    version: 16,
    name: 'statistics: daily roll-ups by region, and the indexes their day scans read through',
    statements: STATISTICS_TABLES,
  },
  {
    version: 17,
    name: 'data quality: cards read with data the registry disagrees with, findings and their resolutions',
    statements: [
      // Written by an identity check refused for a card number or holder data that disagree with
      // the registry: what the card said, masked, beside the registry's card and holder.
      `CREATE TABLE card_read_mismatches (
        id AUTO_ID,
        card_number TEXT NOT NULL,
        person_no TEXT NOT NULL,
        reason TEXT NOT NULL,
        terminal_id TEXT NOT NULL,
        read_card_number TEXT NOT NULL,
        read_ssn TEXT NOT NULL,
        read_name TEXT NOT NULL,
        at TEXT NOT NULL
      )`,
      'CREATE INDEX card_read_mismatches_card ON card_read_mismatches (card_number, id)',
      `CREATE TABLE data_quality_findings (
        finding_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        dedup_key TEXT NOT NULL UNIQUE,
        person_nos TEXT NOT NULL,
        subject TEXT NOT NULL,
        details TEXT NOT NULL,
        found_at TEXT NOT NULL,
        resolved_at TEXT,
        resolved_by TEXT,
        resolution TEXT,
        note TEXT
      )`,
      'CREATE INDEX data_quality_findings_found ON data_quality_findings (found_at)',
    ],
  },
  {
    version: 18,
    name: 'bank withdrawals by day, for the reconciliation of a bank’s day',
    statements: [
      'CREATE INDEX bank_withdrawals_authorised ON bank_withdrawals (authorised_at)',
      'CREATE INDEX bank_withdrawals_completed ON bank_withdrawals (completed_at)',
    ],
  },
  {
    version: 19,
    name: 'pensions: monthly amounts re-assessed from a month, releases from imprisonment and the months not payable',
    statements: [
      // The amount in force from each month on, once an entitlement's amount has been
      // re-assessed (its first row the amount granted); without rows, monthly_amount is in force.
      `CREATE TABLE pension_amounts (
        person_no TEXT NOT NULL REFERENCES pension_entitlements (person_no),
        from_month TEXT NOT NULL,
        monthly_amount BIGINT NOT NULL CHECK (monthly_amount > 0),
        reason TEXT,
        recorded_at TEXT NOT NULL,
        PRIMARY KEY (person_no, from_month)
      )`,
      // Months the run never pays (a term of imprisonment), whatever else is withheld.
      `CREATE TABLE pension_unpaid_periods (
        person_no TEXT NOT NULL REFERENCES pension_entitlements (person_no),
        from_month TEXT NOT NULL,
        to_month TEXT NOT NULL,
        reason TEXT NOT NULL,
        PRIMARY KEY (person_no, from_month)
      )`,
      'ALTER TABLE life_event_registrations ADD COLUMN released_on TEXT',
      'ALTER TABLE life_event_registrations ADD COLUMN release_reference TEXT',
    ],
  },
  {
    version: 20,
    name: 'audit entries a change committed for the audit writer to chain in its next batch',
    statements: ['CREATE TABLE audit_pending (id AUTO_ID, entries TEXT NOT NULL)'],
  },
  {
    version: 21,
    name: "operator console: a terminal's last contact, holders found by their full name",
    statements: [
      'ALTER TABLE terminals ADD COLUMN last_seen_at TEXT',
      'CREATE INDEX holders_name ON holders (name)',
    ],
  },
  {
    version: 22,
    name: 'statistics: the daily roll-ups at every level of the region tree',
    statements: STATISTICS_TABLES_BY_LEVEL,
  },
  {
    version: 23,
    name: 'terminals: the bureau counter type',
    rebuildsTables: true,
    statements: {
      sqlite: [
        `CREATE TABLE terminals_rebuilt (
          terminal_id TEXT PRIMARY KEY,
          type TEXT NOT NULL CHECK (type IN ('kiosk', 'hospital', 'pharmacy', 'bank', 'bureau')),
          region TEXT NOT NULL,
          status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'revoked')),
          created_at TEXT NOT NULL,
          enrolled_at TEXT,
          revoked_at TEXT,
          last_seen_at TEXT
        )`,
        `INSERT INTO terminals_rebuilt (terminal_id, type, region, status, created_at, enrolled_at, revoked_at, last_seen_at)
          SELECT terminal_id, type, region, status, created_at, enrolled_at, revoked_at, last_seen_at FROM terminals`,
        'DROP TABLE terminals',
        'ALTER TABLE terminals_rebuilt RENAME TO terminals',
      ],
      postgres: [
        'ALTER TABLE terminals DROP CONSTRAINT terminals_type_check',
        `ALTER TABLE terminals ADD CONSTRAINT terminals_type_check
          CHECK (type IN ('kiosk', 'hospital', 'pharmacy', 'bank', 'bureau'))`,
      ],
    },
  },
  {
    version: 24,
    name: "PIN reload and unblock: a clerk's single-use authorisation at a bureau counter",
    statements: [
      // One row per authorisation; `used_at` is set once, under the row's lock, by its first use.
      `CREATE TABLE pin_authorisations (
        authorisation_id TEXT PRIMARY KEY,
        terminal_id TEXT NOT NULL REFERENCES terminals (terminal_id),
        operator_id TEXT NOT NULL REFERENCES operator_tokens (token_id),
        card_number TEXT NOT NULL REFERENCES cards (card_number),
        operation TEXT NOT NULL CHECK (operation IN ('reload', 'unblock')),
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT,
        used_via TEXT CHECK (used_via IN ('psam', 'hsm'))
      )`,
      'CREATE INDEX pin_authorisations_card ON pin_authorisations (card_number)',
    ],
  },
  {
    version: 25,
    name: 'policy replay: each settlement’s replay inputs in one row, in replay order',
    // Its rows are built by migration 29, which rebuilt the table in the shape it has now.
    statements: {
      // Clustered on sqlite3 (WITHOUT ROWID): a year of a region is one range of the table itself.
      sqlite: [`${REPLAY_INPUTS_TABLE} WITHOUT ROWID`],
      postgres: [REPLAY_INPUTS_TABLE],
    },
  },
  {
    version: 26,
    name: 'fund warnings: the standing checks the daily job makes of a region’s funds',
    statements: [
      `CREATE TABLE fund_watches (
        region TEXT NOT NULL,
        scheme TEXT NOT NULL,
        settings TEXT NOT NULL,
        set_by TEXT NOT NULL,
        set_at TEXT NOT NULL,
        last_checked_day TEXT,
        last_checked_as_of TEXT,
        PRIMARY KEY (region, scheme)
      )`,
    ],
  },
  {
    version: 27,
    name: 'pension certification: every cycle end on its row, the due list read in pages by it',
    statements: {
      // Entitlements granted before migration 10 have no cycle end: theirs runs twelve months from
      // the grant's China date (29 February to 27 February, as the service's own cycleEnd), and
      // is written on the row so that the due list is one range of an index.
      sqlite: [
        `UPDATE pension_entitlements SET certified_until =
          CASE WHEN strftime('%m-%d', created_at, '+8 hours') = '02-29'
            THEN date(created_at, '+8 hours', '+1 year', '-2 days')
            ELSE date(created_at, '+8 hours', '+1 year', '-1 day') END
          WHERE certified_until IS NULL`,
        ...CERTIFICATION_DUE_INDEXES,
      ],
      postgres: [
        `UPDATE pension_entitlements SET certified_until =
          to_char((created_at::timestamptz AT TIME ZONE 'Asia/Shanghai')::date + interval '1 year' - interval '1 day', 'YYYY-MM-DD')
          WHERE certified_until IS NULL`,
        ...CERTIFICATION_DUE_INDEXES,
      ],
    },
  },
  {
    version: 28,
    name: 'settlement: the payment challenge issued with a quote names it',
    // Null for a challenge asked for on its own (`POST /v1/challenges`).
    statements: ['ALTER TABLE challenges ADD COLUMN quote_id TEXT'],
  },
  {
    version: 29,
    name: 'policy replay: a bill kept as its step-1 sums, the person beside the inputs',
    statements: {
      sqlite: REBUILD_REPLAY_INPUTS('sqlite', `${REPLAY_INPUTS_TABLE_BY_PERSON} WITHOUT ROWID`),
      postgres: REBUILD_REPLAY_INPUTS('postgres', REPLAY_INPUTS_TABLE_BY_PERSON),
    },
  },
];

/** Tables the service only ever appends to: its role has no UPDATE, DELETE or TRUNCATE on them. */
const APPEND_ONLY_TABLES = [
  'audit_log',
  'audit_checkpoints',
  'ledger_entries',
  'settlements',
  'settlement_endings',
  'pension_payments',
];

/**
 * The service role's privileges, granted again after every migration that ran, so that tables a
 * later migration adds are covered without each migration repeating the grants.
 */
async function grantServiceRole(tx: Queryable): Promise<void> {
  await tx.run(`GRANT USAGE ON SCHEMA public TO ${SERVICE_ROLE}`);
  await tx.run(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${SERVICE_ROLE}`);
  await tx.run(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${SERVICE_ROLE}`);
  await tx.run(`REVOKE UPDATE, DELETE, TRUNCATE ON ${APPEND_ONLY_TABLES.join(', ')} FROM ${SERVICE_ROLE}`);
}

export { GENESIS_HASH };

function render(sql: string, dialect: Dialect): string {
  return sql.replace(/\b(AUTO_ID)\b/g, (token) => TOKENS[dialect][token] ?? token);
}

/** True when every migration has been applied (checked without creating anything). */
export async function isMigrated(store: Queryable): Promise<boolean> {
  const exists =
    store.dialect === 'postgres'
      ? await store.get(
          "SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'schema_migrations'",
        )
      : await store.get("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'");
  if (!exists) return false;
  const rows = await store.all<{ version: number }>('SELECT version FROM schema_migrations');
  const done = new Set(rows.map((r) => Number(r.version)));
  return MIGRATIONS.every((m) => done.has(m.version));
}

/** A rebuild ran with enforcement off: a row it left pointing at nothing rolls it back. */
async function requireForeignKeysHold(tx: Queryable, m: Migration): Promise<void> {
  const broken = await tx.all<{ table: string; parent: string }>('PRAGMA foreign_key_check');
  if (broken.length > 0) {
    const tables = [...new Set(broken.map((b) => `${b.table} → ${b.parent}`))].join(', ');
    throw new Error(`migration ${m.version} (${m.name}) would leave foreign keys broken: ${tables}`);
  }
}

/**
 * Brings the schema up to date; safe to call from several processes at once. `through` stops after
 * that version: the schema a deployment of that release had, for proving a later migration on it.
 */
export async function migrate(store: Store, options: { through?: number } = {}): Promise<number[]> {
  // A service role may not create tables; when nothing is left to do it need not try.
  if (await isMigrated(store)) return [];
  await store.run(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
  );
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    if (options.through !== undefined && m.version > options.through) break;
    const withoutForeignKeys = m.rebuildsTables === true && store.dialect === 'sqlite';
    if (withoutForeignKeys) await store.run('PRAGMA foreign_keys = OFF');
    try {
      const done = await store.transaction(async (tx) => {
        // Two service processes starting together: the second waits here, then sees the row.
        if (tx.dialect === 'postgres') await tx.run('SELECT pg_advisory_xact_lock(7301001)');
        const row = await tx.get('SELECT version FROM schema_migrations WHERE version = ?', [m.version]);
        if (row) return false;
        const statements = Array.isArray(m.statements) ? m.statements : m.statements[tx.dialect];
        for (const statement of statements) await tx.run(render(statement, tx.dialect));
        if (withoutForeignKeys) await requireForeignKeysHold(tx, m);
        await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
          m.version,
          m.name,
          new Date().toISOString(),
        ]);
        return true;
      });
      if (done) applied.push(m.version);
    } finally {
      if (withoutForeignKeys) await store.run('PRAGMA foreign_keys = ON');
    }
  }
  if (applied.length > 0 && store.dialect === 'postgres') await store.transaction(grantServiceRole);
  return applied;
}

/**
 * A linear record file (ISO/IEC 7816-4 "linear variable"): records numbered from 1, each a
 * complete TLV object. Access conditions are named, and the application that owns the file says
 * whether its current security state satisfies them.
 */

export type AccessCondition = 'always' | 'never' | 'externalAuth';

export interface RecordFileOptions {
  fid?: number;
  sfi: number;
  records: readonly Buffer[];
  read?: AccessCondition;
  update?: AccessCondition;
}

export class RecordFile {
  readonly fid: number | undefined;
  readonly sfi: number;
  readonly read: AccessCondition;
  readonly update: AccessCondition;
  readonly #records: Buffer[];
  /** The size each record was personalised with: an update may not grow a record beyond it. */
  readonly #capacity: number[];

  constructor(options: RecordFileOptions) {
    if (!Number.isInteger(options.sfi) || options.sfi < 1 || options.sfi > 30) {
      throw new RangeError(`an SFI is 1 to 30, not ${options.sfi}`);
    }
    this.fid = options.fid;
    this.sfi = options.sfi;
    this.read = options.read ?? 'always';
    this.update = options.update ?? 'never';
    this.#records = options.records.map((r) => Buffer.from(r));
    this.#capacity = this.#records.map((r) => r.length);
  }

  get recordCount(): number {
    return this.#records.length;
  }

  /** Record `n` (1-based) or undefined. */
  record(n: number): Buffer | undefined {
    return n >= 1 ? this.#records[n - 1] : undefined;
  }

  /** The number of the first record whose first byte (its tag) is `tag`: READ RECORD by record identifier. */
  recordNumberByTag(tag: number): number | undefined {
    const i = this.#records.findIndex((r) => r[0] === tag);
    return i < 0 ? undefined : i + 1;
  }

  capacity(n: number): number {
    return this.#capacity[n - 1] ?? 0;
  }

  /** Copies of every record, in order: what the file holds in the card's memory. */
  records(): Buffer[] {
    return this.#records.map((r) => Buffer.from(r));
  }

  /**
   * Loads records the card wrote before it lost power. They must be the personalised file's
   * records in number, tag and size, as UPDATE RECORD keeps them; anything else is refused whole.
   */
  restore(records: readonly Buffer[]): void {
    this.checkRestorable(records);
    records.forEach((record, i) => {
      this.#records[i] = Buffer.from(record);
    });
  }

  /** Throws unless `restore(records)` would accept them. */
  checkRestorable(records: readonly Buffer[]): void {
    if (records.length !== this.#records.length) {
      throw new RangeError(`file SFI ${this.sfi} has ${this.#records.length} records, not ${records.length}`);
    }
    records.forEach((record, i) => {
      const wellFormed = record.length >= 2 && record[1] === record.length - 2;
      if (!wellFormed || record[0] !== this.#records[i]![0] || record.length > this.#capacity[i]!) {
        throw new RangeError(`file SFI ${this.sfi} record ${i + 1} does not fit the personalised record`);
      }
    });
  }

  replace(n: number, record: Buffer): void {
    if (this.record(n) === undefined) throw new RangeError(`no record ${n}`);
    this.#records[n - 1] = Buffer.from(record);
  }
}

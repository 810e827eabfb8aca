export {
  closeDatabase,
  execSql,
  inTransaction,
  openDatabase,
  type TransactionConnection,
} from './database.js';
export { Mutex } from './mutex.js';
export { GroupCommit } from './group-commit.js';

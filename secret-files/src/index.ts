export { readIfExists, syncDirectory, writeAtomically } from './secret-files.js';

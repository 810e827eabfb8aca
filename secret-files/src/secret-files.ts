import { open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

/** The file's text, or undefined when there is no such file; any other failure is thrown. */
export async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * Write to a temporary name, flush it to the disk, rename it over the old file and flush the
 * directory: after a power cut the name holds the old file or the new one, whole. Without the
 * flushes a journalling file system may commit the rename before the data, and a terminal or the
 * service comes back with an empty private key. The mode is set on the open file, before any
 * byte is written, so a private key is never readable by others, not even for a moment.
 */
export async function writeAtomically(path: string, text: string, mode: number): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  const file = await open(tmp, 'w', mode);
  try {
    // open's mode is filtered by the umask; chmod is not.
    await file.chmod(mode);
    await file.writeFile(text);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(tmp, path);
  await syncDirectory(dirname(path));
}

/** Flushes a directory's entries (a file created, renamed or removed in it) to the disk. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

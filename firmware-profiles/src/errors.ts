import { SscardError } from '@sscard/card-core';

/**
 * A profile file that cannot be used: unreadable, not JSON, or not the shape the schema asks for.
 * `details.file` names the file and `details.path` the field, so a broken deployment says exactly
 * which line of which profile to fix.
 */
export class ProfileError extends SscardError {}

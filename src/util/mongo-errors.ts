/**
 * Recognising MongoDB server errors by their stable numeric codes (the driver's error classes differ
 * between versions and between MongoDB and FerretDB; the codes do not).
 */

/** The server's code for a unique-index violation (E11000). */
export const DUPLICATE_KEY_CODE = 11000;

/** True for a unique-index violation: another writer inserted the same key first. */
export function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === DUPLICATE_KEY_CODE;
}

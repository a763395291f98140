/**
 * Hashes of secrets (tokens, session ids) as stored: SHA-256 in lower-case hex, by Bun's one-shot
 * hash. No `node:crypto`: its static import cost ~2 ms of every start-up, and on every authenticated
 * request createHash().update().digest() plus the hex encoding was four times this.
 */
export function sha256Hex(secret: string): string {
  return Bun.SHA256.hash(secret, "hex") as string;
}

/** Two hex digests equal, compared in a time that does not depend on where they differ. */
export function sameDigest(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

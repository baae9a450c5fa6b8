// Content hash of the text a document's vectors are computed from. `add`
// compares it with the stored one to skip unchanged documents on re-runs
// (e.g. re-indexing the same corpus on every page visit costs no encoding).

const encoder = new TextEncoder();

/** Hex SHA-256 of the UTF-8 text (WebCrypto: available in workers, pages and Node ≥ 20). */
export async function textHash(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', encoder.encode(text));
  const bytes = new Uint8Array(digest);
  let hex = '';
  for (let i = 0; i < bytes.length; i++) hex += bytes[i]!.toString(16).padStart(2, '0');
  return hex;
}

// A word cut from a longer text can be a slice that keeps the whole text in
// memory (V8 makes substrings of 13 or more characters views of their parent).
// Anything kept for long — a vocabulary, a cache — keeps a copy instead.

/** A copy of `s` that holds nothing else alive (short strings are copies already). */
export function detach(s: string): string {
  return s.length < 13 ? s : (JSON.parse(JSON.stringify(s)) as string);
}

// Hit links come from index or corpus data: only http(s) URLs become links or
// navigations, so a `javascript:` URL in the data can never run script.

/** The absolute URL when it is http(s), else undefined. */
export function safeHref(url: string, base: string): string | undefined {
  try {
    const u = new URL(url, base);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}

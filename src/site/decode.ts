// Bytes of an HTML file → text, in the encoding the page declares: a byte
// order mark first, then `<meta charset>` or `<meta http-equiv="Content-Type">`
// in the first 1,024 bytes (the HTML standard's prescan, simplified), then
// UTF-16 recognised by its zero bytes, else UTF-8. Node's TextDecoder (full
// ICU) knows every label the WHATWG Encoding standard lists.

export interface DecodedHtml {
  text: string;
  /** The encoding used, as TextDecoder names it (`utf-8`, `windows-1252`, `shift_jis`, `utf-16le`…). */
  encoding: string;
  /** Where the encoding came from. */
  source: 'bom' | 'meta' | 'sniffed' | 'default';
  /** A declared label this runtime does not know (decoded as UTF-8 instead). */
  unknownLabel?: string;
}

/** Bytes the encoding is decided on (the HTML standard prescans this many). */
export const PRESCAN_BYTES = 1024;

/** How a page's bytes are to be decoded: all of it is decided by its first 1,024 bytes. */
export interface HtmlEncoding {
  encoding: string;
  source: DecodedHtml['source'];
  unknownLabel?: string;
  /** Bytes of byte order mark to skip. */
  bomLength: number;
}

/** The encoding of a page from its first bytes (at least the first 1,024, or all of a shorter file). */
export function sniffHtmlEncoding(head: Uint8Array): HtmlEncoding {
  const bom = bomEncoding(head);
  if (bom) return { encoding: bom.encoding, source: 'bom', bomLength: bom.length };

  const sniffed = utf16ByZeros(head);
  if (sniffed) return { encoding: sniffed, source: 'sniffed', bomLength: 0 };

  const label = declaredCharset(head);
  if (label) {
    const encoding = resolveLabel(label);
    // A page that declares UTF-16 in ASCII-compatible bytes is not UTF-16 (the standard maps it to UTF-8).
    if (encoding && !encoding.startsWith('utf-16')) return { encoding, source: 'meta', bomLength: 0 };
    if (!encoding) return { encoding: 'utf-8', source: 'default', unknownLabel: label, bomLength: 0 };
  }
  return { encoding: 'utf-8', source: 'default', bomLength: 0 };
}

export function decodeHtml(bytes: Uint8Array): DecodedHtml {
  const { bomLength, ...how } = sniffHtmlEncoding(bytes);
  return { text: decode(bytes.subarray(bomLength), how.encoding), ...how };
}

function decode(bytes: Uint8Array, encoding: string): string {
  return htmlDecoder(encoding)(bytes, false);
}

/**
 * A streaming decoder: pieces of a file in order (`more` until the last), the text of each.
 * A character split between two pieces comes out whole with the later one, so the pieces'
 * texts join to exactly what decoding the whole file at once gives.
 */
export function htmlDecoder(encoding: string): (bytes: Uint8Array, more: boolean) => string {
  if (encoding === 'windows-1252') return (bytes) => decodeWindows1252(bytes);
  const decoder = new TextDecoder(encoding, { ignoreBOM: true });
  return (bytes, more) => decoder.decode(bytes, { stream: more });
}

// windows-1252 at 0x80–0x9F (0 = undefined there, kept as the C1 control, as the Encoding standard does).
const CP1252_HIGH = [
  0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0,
  0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
];

/**
 * Node's TextDecoder('windows-1252') decodes as ISO-8859-1 (its Latin-1 fast path), turning
 * curly quotes and € into C1 controls; every `iso-8859-1` page is windows-1252 by the standard.
 */
function decodeWindows1252(bytes: Uint8Array): string {
  const parts: string[] = [];
  const CHUNK = 8192;
  for (let at = 0; at < bytes.length; at += CHUNK) {
    const end = Math.min(bytes.length, at + CHUNK);
    const codes = new Array<number>(end - at);
    for (let i = at; i < end; i++) {
      const b = bytes[i]!;
      codes[i - at] = b >= 0x80 && b < 0xa0 ? CP1252_HIGH[b - 0x80] || b : b;
    }
    parts.push(String.fromCharCode(...codes));
  }
  return parts.join('');
}

/** The canonical name of an encoding label, or undefined when this runtime has no decoder for it. */
export function resolveLabel(label: string): string | undefined {
  try {
    return new TextDecoder(label.trim()).encoding;
  } catch {
    return undefined;
  }
}

function bomEncoding(b: Uint8Array): { encoding: string; length: number } | undefined {
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return { encoding: 'utf-8', length: 3 };
  if (b[0] === 0xff && b[1] === 0xfe) return { encoding: 'utf-16le', length: 2 };
  if (b[0] === 0xfe && b[1] === 0xff) return { encoding: 'utf-16be', length: 2 };
  return undefined;
}

/** BOM-less UTF-16 markup: `<` and other ASCII come with a zero byte beside them. */
function utf16ByZeros(b: Uint8Array): string | undefined {
  const n = Math.min(b.length, 512) & ~1;
  if (n < 4) return undefined;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < n; i += 2) {
    if (b[i] === 0) evenZeros++;
    if (b[i + 1] === 0) oddZeros++;
  }
  const pairs = n / 2;
  if (oddZeros > pairs * 0.4 && evenZeros < pairs * 0.05) return 'utf-16le';
  if (evenZeros > pairs * 0.4 && oddZeros < pairs * 0.05) return 'utf-16be';
  return undefined;
}

/** The charset a `<meta>` in the first 1,024 bytes declares, if any. */
export function declaredCharset(bytes: Uint8Array): string | undefined {
  const head = latin1(bytes.subarray(0, PRESCAN_BYTES)).replace(/<!--[\s\S]*?-->/g, '');
  for (const tag of head.matchAll(/<meta\b[^>]*>/gi)) {
    const attrs = tag[0];
    const charset = /\bcharset\s*=\s*["']?\s*([^\s"'/>;]+)/i.exec(attrs);
    if (!charset) continue;
    // `<meta charset=…>` directly, or http-equiv Content-Type whose content names a charset.
    if (/\bhttp-equiv\s*=/i.test(attrs) && !/\bhttp-equiv\s*=\s*["']?\s*content-type/i.test(attrs)) continue;
    return charset[1]!;
  }
  return undefined;
}

/** Bytes as one char per byte (U+0000–U+00FF): lossless both ways, for byte-level text edits. */
export function latin1(b: Uint8Array): string {
  let s = '';
  for (let at = 0; at < b.length; at += 8192) s += String.fromCharCode(...b.subarray(at, at + 8192));
  return s;
}

/** `le`/`be` when the bytes are UTF-16 (by BOM, or by the zero bytes beside ASCII markup), else undefined. */
export function utf16Order(b: Uint8Array): 'le' | 'be' | undefined {
  const encoding = bomEncoding(b)?.encoding ?? utf16ByZeros(b);
  return encoding === 'utf-16le' ? 'le' : encoding === 'utf-16be' ? 'be' : undefined;
}

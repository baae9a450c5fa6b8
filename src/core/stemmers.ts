// Stemmers for the keyword analyzer, from @orama/stemmers (Snowball-class
// stemmers, one ES module per language). Each language is a dynamic import,
// so a bundle (the page, the worker) only downloads the stemmers a site asks
// for. Pure: no DOM or Node API.

/** Maps a lower-cased word to its stem. */
export type Stemmer = (word: string) => string;

type StemmerModule = { stemmer: Stemmer };

/** ISO 639-1 code → the @orama/stemmers module (literal specifiers, so bundlers can split them). */
const LOADERS: Readonly<Record<string, () => Promise<StemmerModule>>> = {
  ar: () => import('@orama/stemmers/arabic'),
  bg: () => import('@orama/stemmers/bulgarian'),
  da: () => import('@orama/stemmers/danish'),
  de: () => import('@orama/stemmers/german'),
  el: () => import('@orama/stemmers/greek'),
  en: () => import('@orama/stemmers/english'),
  es: () => import('@orama/stemmers/spanish'),
  fi: () => import('@orama/stemmers/finnish'),
  fr: () => import('@orama/stemmers/french'),
  ga: () => import('@orama/stemmers/irish'),
  hi: () => import('@orama/stemmers/indian'),
  hu: () => import('@orama/stemmers/hungarian'),
  hy: () => import('@orama/stemmers/armenian'),
  id: () => import('@orama/stemmers/indonesian'),
  it: () => import('@orama/stemmers/italian'),
  lt: () => import('@orama/stemmers/lithuanian'),
  ne: () => import('@orama/stemmers/nepali'),
  nl: () => import('@orama/stemmers/dutch'),
  no: () => import('@orama/stemmers/norwegian'),
  pt: () => import('@orama/stemmers/portuguese'),
  ro: () => import('@orama/stemmers/romanian'),
  ru: () => import('@orama/stemmers/russian'),
  sr: () => import('@orama/stemmers/serbian'),
  sv: () => import('@orama/stemmers/swedish'),
  ta: () => import('@orama/stemmers/tamil'),
  tr: () => import('@orama/stemmers/turkish'),
  uk: () => import('@orama/stemmers/ukrainian'),
};

/** Languages with a stemmer (ISO 639-1 codes). */
export const STEM_LANGUAGES: readonly string[] = Object.freeze(Object.keys(LOADERS));

/**
 * Stemmers a text in `language` needs: its own (when there is one) and those of
 * the scripts the analyzer stems whatever the language (Cyrillic → ru,
 * Greek → el, Arabic → ar, Devanagari → hi), unless `scriptStemmers` is false.
 */
export async function loadStemmers(
  language: string | undefined,
  opts: { scriptStemmers?: boolean } = {},
): Promise<Record<string, Stemmer>> {
  const want = new Set<string>();
  const base = language?.trim().toLowerCase().split(/[-_]/)[0];
  if (base && LOADERS[base]) want.add(base);
  if (opts.scriptStemmers ?? true) for (const l of ['ru', 'el', 'ar', 'hi']) want.add(l);
  return loadStemmersOf([...want]);
}

/** Exactly the stemmers of `languages` (those without one are left out): what a static index recorded at build time. */
export async function loadStemmersOf(languages: readonly string[]): Promise<Record<string, Stemmer>> {
  const out: Record<string, Stemmer> = {};
  await Promise.all(
    languages
      .filter((l) => LOADERS[l])
      .map(async (lang) => {
        out[lang] = guard((await LOADERS[lang]!()).stemmer);
      }),
  );
  return out;
}

/** A stemmer never returns an empty stem (a word of only a suffix stays itself). */
function guard(stem: Stemmer): Stemmer {
  return (word) => {
    const s = stem(word);
    return typeof s === 'string' && s.length > 0 ? s : word;
  };
}

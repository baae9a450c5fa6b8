// A deterministic XLM-R-style SentencePiece Unigram tokenizer (HF tokenizers
// JSON format) for the tiny test model. The vocabulary covers the characters of
// the main scripts, a built-in English word list, and whatever words repeat in
// the sample corpus, with log-frequency scores so whole pieces win Viterbi.

export const SPECIALS = { bos: '<s>', pad: '<pad>', eos: '</s>', unk: '<unk>', mask: '<mask>' } as const;
export const SPECIAL_IDS = { bos: 0, pad: 1, eos: 2, unk: 3 } as const;
const META = '\u2581'; // ▁
const SPECIAL_SET: ReadonlySet<string> = new Set(Object.values(SPECIALS));

/** Common English words, most frequent first (rank drives the score). */
const ENGLISH = `the of and to a in is it you that he was for on are with as I his they be at one have this from or had by
hot word but what some we can out other were all there when up use your how said an each she which do their time if will way
about many then them write would like so these her long make thing see him two has look more day could go come did number
sound no most people my over know water than call first who may down side been now find any new work part take get place made
live where after back little only round man year came show every good me give our under name very through just form sentence
great think say help low line differ turn cause much mean before move right boy old too same tell does set three want air well
also play small end put home read hand port large spell add even land here must big high such follow act why ask men change
went light kind off need house picture try us again animal point mother world near build self earth father head stand own page
should country found answer school grow study still learn plant cover food sun four between state keep eye never last let
thought city tree cross farm hard start might story saw far sea draw left late run don't while press close night real life few
north open seem together next white children begin got walk example ease paper group always music those both mark often letter
until mile river car feet care second book carry took science eat room friend began idea fish mountain stop once base hear
horse cut sure watch color face wood main enough plain girl usual young ready above ever red list though feel talk bird soon
body dog family direct leave song measure door product black short class wind question happen complete ship area half rock
order fire south problem piece told knew pass since top whole king space heard best hour better true during hundred five
remember step early hold west ground interest reach fast sing listen six table travel less morning ten simple several toward
war lay against pattern slow center love person money serve appear road map rain rule govern pull cold notice voice unit power
town fine certain fly fall lead cry dark machine note wait plan figure star box field rest correct able done beauty drive stood
contain front teach week final gave green quick develop ocean warm free minute strong special mind behind clear produce fact
street nothing course stay wheel full force blue object decide surface deep moon island foot system busy test record boat
common gold possible plane dry wonder laugh thousand ago ran check game shape miss brought heat snow bring yes distant fill
east paint language among search engine query document documents index vector model data information computer network text
web browser learning neural embedding retrieval ranking result results user history health energy climate sport food capital
population government economy technology software research university student library article news weather planet solar
coffee tea recipe cooking restaurant movie film football market price company business science art culture museum century
war peace law court medicine disease doctor hospital education teacher language languages english french german spanish
japanese chinese korean arabic russian hindi europe asia africa america china japan india france germany london paris tokyo
beijing seoul cairo moscow berlin madrid rome york summer winter spring autumn today tomorrow yesterday fast slow quickly
train station airport hotel flight ticket phone internet email video image photo camera question answer fact facts`;

/** Frequent word endings and beginnings, so unseen words still split into pieces. */
const SUFFIXES = `s es ed ing er ers est ly tion tions sion ment ments ness al ic ical able ible ity ive ous ful less ism ist ists
ize ise ized ance ence ant ent ure age ship hood ward ies ied 's ation ations ally ility ings ology ian ians en ened`;
const PREFIXES = `re un pre dis in im co de over non inter trans sub super anti auto multi micro`;

/** Sample text per script: its characters are always in the vocabulary. */
const BUILTIN_TEXT = [
  '日本語のテキスト。東京は日本の首都です。検索エンジンは文書を探します。こんにちは、世界。',
  'カタカナ ひらがな 漢字 コンピュータ データ ネットワーク モデル',
  '한국어 텍스트. 서울은 한국의 수도입니다. 검색 엔진은 문서를 찾습니다. 안녕하세요 세계.',
  '中文文本。北京是中国的首都。搜索引擎查找文档。你好，世界。',
  'النص العربي. القاهرة عاصمة مصر. محرك البحث يجد المستندات. مرحبا بالعالم.',
  'हिंदी पाठ। दिल्ली भारत की राजधानी है। खोज इंजन दस्तावेज़ ढूंढता है।',
  'ข้อความภาษาไทย กรุงเทพเป็นเมืองหลวงของประเทศไทย',
  'Русский текст. Москва — столица России. Поисковая система находит документы.',
  'Ελληνικό κείμενο. Η Αθήνα είναι η πρωτεύουσα της Ελλάδας.',
  'Le texte français. Paris est la capitale de la France. Der deutsche Text: Berlin ist die Hauptstadt.',
  'El texto español. Madrid es la capital de España. O texto em português. Lisboa é a capital.',
].join('\n');

/** Multi-character pieces for scripts written without spaces (and a few whole words). */
const BUILTIN_PIECES = `日本語 日本 東京 首都 検索 文書 テキスト エンジン カタカナ ひらがな 漢字 コンピュータ データ ネットワーク モデル
です ます こんにちは 世界 中文 文本 北京 中国 搜索 引擎 查找 文档 你好 ▁한국어 ▁텍스트 ▁서울은 ▁한국의 ▁검색 ▁엔진은
▁문서를 ▁안녕하세요 ▁세계 ▁النص ▁العربي ▁القاهرة ▁البحث ▁मुख्य ▁हिंदी ▁भारत ▁है ภาษาไทย ประเทศไทย ▁Москва ▁текст ▁Αθήνα`;

/**
 * Frequent Han characters (Chinese and Japanese), beyond the fixed U+4E00 slice.
 * Typed as plain text: only their presence matters, not the order.
 */
const COMMON_HAN = `的一是不了人我在有他这为之大来以个中上们到说国和地也子时道出而要于就下得可你年生自会那后能对着事其里所去行过家
十用发天如然作方成者多日都三小军二无同么经法当起与好看学进种将还分此心前面又定见只主没公从知问老点开两长但因把现它高量先全几位外理内明文
什水化物气体力工走重新机已等民实制西业战路区间论部相情动关回应信电话书写读听吃喝买卖想言帰会社員校週月毎朝昼夜雨雪山川海空花鳥犬猫車気店
名左右下安古短少早速近遠暗白黒赤青英漢字章記検索報技術研究科経済政治歴史音楽映画料旅健康医療環境界韓辞典語様円駅県私僕話読書聞見食飲売思
們個來說這時會過還後對開問從點與學國當發現經實將種機長門間東車們醫樂電話語讀書寫買賣飯錢島島灣臺湾台`;

/** Frequent Hangul syllables, beyond those in the texts. */
const COMMON_HANGUL = `이다는의에가을를하고서기사지리자로한으도나인해수그대정전시어비게아주일우과와보국적들부성제경여장상원동구만요니있것없
되했습까세계학교생활문화람말텍스트검색엔진데터컴퓨네워크음식행역술치날씨울산물불강바늘땅집차길책글소노래영축야병님친족버머엄빠오늘내때년월목금토
입니다합니다습니다했다었다였다에서으로부터까지처럼보다`;

/** Inclusive code-point ranges whose letters, marks and digits are all pieces. */
const CHAR_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x21, 0x7e], // ASCII printable (space becomes ▁)
  [0xa1, 0xff], // Latin-1 supplement
  [0x100, 0x17f], // Latin Extended-A
  [0x180, 0x24f], // Latin Extended-B
  [0x370, 0x3ff], // Greek
  [0x400, 0x45f], // Cyrillic
  [0x600, 0x6ff], // Arabic
  [0x900, 0x97f], // Devanagari
  [0xe01, 0xe5b], // Thai
  [0x3001, 0x303f], // CJK punctuation
  [0x3041, 0x3096], // Hiragana
  [0x30a1, 0x30ff], // Katakana
  [0x4e00, 0x4fff], // a fixed slice of CJK ideographs
  [0xff01, 0xff5e], // full-width forms (NFKC folds most to ASCII)
];

const TEXT_CHAR = /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u;
/** Scripts written without spaces: their runs contribute character n-grams instead of words. */
const NO_SPACE = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}ー]/u;
const EDGE_PUNCT = /^[\p{P}\p{S}]+|[\p{P}\p{S}]+$/gu;
const MAX_PIECE = 16;

/** The normalization the tokenizer applies, mirrored for vocabulary building. */
export function normalizeText(text: string): string {
  return text.normalize('NFKC').replace(/\s+/gu, ' ').trim();
}

export type Vocab = Array<[string, number]>;

/**
 * Builds the Unigram vocabulary: specials first (`<s>`, `<pad>`, `</s>`, `<unk>`),
 * pieces sorted by score, `<mask>` last.
 */
export function buildVocab(corpusTexts: readonly string[]): Vocab {
  const counts = new Map<string, number>();
  const add = (piece: string, c: number) => {
    const p = piece.normalize('NFKC');
    if (p.length === 0 || [...p].length > MAX_PIECE || SPECIAL_SET.has(p)) return;
    counts.set(p, (counts.get(p) ?? 0) + c);
  };

  // Characters: every letter/mark/digit/punctuation of the fixed ranges, plus the texts' characters.
  for (const [lo, hi] of CHAR_RANGES) {
    for (let cp = lo; cp <= hi; cp++) {
      const ch = String.fromCodePoint(cp);
      if (TEXT_CHAR.test(ch)) for (const c of ch.normalize('NFKC')) add(c, 1);
    }
  }
  for (const ch of COMMON_HAN + COMMON_HANGUL) if (TEXT_CHAR.test(ch)) add(ch, 20);
  add(META, 1);

  const words = (list: string) => list.split(/\s+/).filter(Boolean);
  const english = [...new Set(words(ENGLISH))];
  english.forEach((w, rank) => {
    const c = 100_000 / (rank + 10);
    add(META + w, c);
    if (w !== 'I') add(META + w[0]!.toUpperCase() + w.slice(1), c / 4);
    // Bare stems (lower) so "searching" → "▁search" + "ing" style splits stay possible.
    if (w.length > 2) add(w, c / 8);
  });
  words(SUFFIXES).forEach((s, rank) => add(s, 3000 / (rank + 1) + 200));
  for (const p of words(PREFIXES)) add(META + p, 300);
  for (const p of words(BUILTIN_PIECES)) add(p, 200);

  // Texts: character counts, repeated words (space-separated scripts), repeated n-grams (others).
  const texts = [BUILTIN_TEXT, ...corpusTexts].map(normalizeText);
  const wordCounts = new Map<string, number>();
  const gramCounts = new Map<string, number>();
  for (const text of texts) {
    for (const ch of text) if (ch !== ' ') add(ch, 1);
    add(META, text.split(' ').length);
    for (const raw of text.split(' ')) {
      const word = raw.replace(EDGE_PUNCT, '');
      if (!word) continue;
      if (!NO_SPACE.test(word)) {
        wordCounts.set(word, (wordCounts.get(word) ?? 0) + 1);
        continue;
      }
      // Runs of no-space scripts: count 2- and 3-grams within each run.
      for (const run of word.match(/[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}ー]+|[\p{Script=Thai}]+/gu) ?? []) {
        const chars = [...run];
        for (let n = 2; n <= 3; n++) {
          for (let i = 0; i + n <= chars.length; i++) {
            const g = chars.slice(i, i + n).join('');
            gramCounts.set(g, (gramCounts.get(g) ?? 0) + 1);
          }
        }
      }
    }
  }
  // Subwords of the space-separated words (word-initial "▁ab…" and inner "ab…"), so words
  // seen once still split into shared pieces rather than single characters.
  const subCounts = new Map<string, number>();
  for (const [w, c] of wordCounts) {
    const chars = [...w];
    for (let n = 1; n <= 3 && n < chars.length; n++) {
      const start = META + chars.slice(0, n).join('');
      subCounts.set(start, (subCounts.get(start) ?? 0) + c);
    }
    for (let n = 2; n <= 4; n++) {
      for (let i = 1; i + n <= chars.length; i++) {
        const g = chars.slice(i, i + n).join('');
        subCounts.set(g, (subCounts.get(g) ?? 0) + c);
      }
    }
  }
  // Whole words and CJK/Thai n-grams weigh more than subwords, so they win where they exist.
  // Each group is capped (most frequent first) to keep the vocabulary near 15k at most.
  const top = (m: Map<string, number>, min: number, cap: number, weight: (p: string) => number) =>
    [...m]
      .filter(([, c]) => c >= min)
      .map(([p, c]): [string, number] => [p, c * weight(p)])
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, cap);
  for (const [w, c] of top(wordCounts, 2, 5000, () => 50)) add(META + w, c);
  for (const [g, c] of top(gramCounts, 2, 2500, () => 50)) add(g, c);
  for (const [g, c] of top(subCounts, 4, 3000, (p) => [...p].length)) add(g, c);

  // Scores: log relative frequency; single characters are pushed below half of the
  // lowest multi-character score, so any known multi-character piece beats its char split.
  let total = 0;
  for (const c of counts.values()) total += c;
  const scored: Vocab = [];
  let minMulti = 0;
  let maxChar = -Infinity;
  for (const [p, c] of counts) {
    const s = Math.log(c / total);
    if ([...p].length > 1) minMulti = Math.min(minMulti, s);
    else maxChar = Math.max(maxChar, s);
    scored.push([p, s]);
  }
  const charShift = Math.min(0, minMulti / 2 - 0.5 - maxChar);
  for (const entry of scored) if ([...entry[0]].length === 1) entry[1] += charShift;
  // Four decimals keep the JSON small and the order stable across platforms.
  for (const entry of scored) entry[1] = Math.round(entry[1] * 1e4) / 1e4;
  scored.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

  return [
    [SPECIALS.bos, 0],
    [SPECIALS.pad, 0],
    [SPECIALS.eos, 0],
    [SPECIALS.unk, 0],
    ...scored,
    [SPECIALS.mask, 0],
  ];
}

type Json = Record<string, unknown>;

/** tokenizer.json, tokenizer_config.json and special_tokens_map.json for a vocabulary. */
export function tokenizerFiles(vocab: Vocab, maxLength: number): { tokenizer: Json; config: Json; specialTokensMap: Json } {
  const maskId = vocab.length - 1;
  const added = (id: number, content: string) => ({
    id,
    content,
    single_word: false,
    // XLM-R's <mask> swallows the space before it.
    lstrip: content === SPECIALS.mask,
    rstrip: false,
    normalized: false,
    special: true,
  });
  const metaspace = { type: 'Metaspace', replacement: META, prepend_scheme: 'always', split: true };
  const seq = (id: 'A' | 'B') => ({ Sequence: { id, type_id: 0 } });
  const special = (id: string) => ({ SpecialToken: { id, type_id: 0 } });
  const tokenizer: Json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      added(SPECIAL_IDS.bos, SPECIALS.bos),
      added(SPECIAL_IDS.pad, SPECIALS.pad),
      added(SPECIAL_IDS.eos, SPECIALS.eos),
      added(SPECIAL_IDS.unk, SPECIALS.unk),
      added(maskId, SPECIALS.mask),
    ],
    // NFKC plus XLM-R's whitespace folding (its precompiled charsmap maps tabs/newlines to spaces).
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'NFKC' },
        { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' },
        { type: 'Strip', strip_left: true, strip_right: true },
      ],
    },
    pre_tokenizer: metaspace,
    post_processor: {
      type: 'TemplateProcessing',
      single: [special(SPECIALS.bos), seq('A'), special(SPECIALS.eos)],
      pair: [special(SPECIALS.bos), seq('A'), special(SPECIALS.eos), special(SPECIALS.eos), seq('B'), special(SPECIALS.eos)],
      special_tokens: {
        [SPECIALS.bos]: { id: SPECIALS.bos, ids: [SPECIAL_IDS.bos], tokens: [SPECIALS.bos] },
        [SPECIALS.eos]: { id: SPECIALS.eos, ids: [SPECIAL_IDS.eos], tokens: [SPECIALS.eos] },
      },
    },
    decoder: metaspace,
    model: { type: 'Unigram', unk_id: SPECIAL_IDS.unk, vocab, byte_fallback: false },
  };
  const specialTokensMap: Json = {
    bos_token: SPECIALS.bos,
    cls_token: SPECIALS.bos,
    eos_token: SPECIALS.eos,
    sep_token: SPECIALS.eos,
    pad_token: SPECIALS.pad,
    unk_token: SPECIALS.unk,
    mask_token: SPECIALS.mask,
  };
  const config: Json = {
    ...specialTokensMap,
    model_max_length: maxLength,
    tokenizer_class: 'XLMRobertaTokenizer',
    clean_up_tokenization_spaces: true,
    padding_side: 'right',
  };
  return { tokenizer, config, specialTokensMap };
}

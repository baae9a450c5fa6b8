// Query strings that stress a tokenizer's normalization, pre-tokenization and
// segmentation; shared by the tokenizer equality tests.

/** Strings that stress each step: accents, CJK (BMP and astral), punctuation, emoji, long words, case, digits, control characters, added tokens. */
export const HARD = [
  'Zürich naïve café', 'Ångström élève crème brûlée', 'İstanbul ǅemal ΣΊΣΥΦΟΣ Straße', 'ﬁnance ﬂow ﬀ', 'ÉCOLE École école',
  '東京 検索 データ', '北京是中国的首都。', '𠀀𠀁𪚥 extension B', '한국어 텍스트', 'カタカナとひらがな', '中文English混合123',
  'C++ & Rust: zero-cost?', '“smart quotes” — dash… ‘single’', '¿Qué? ¡Sí!', 'a.b,c;d:e/f\\g', 'e-mail@example.com #tag $5 %20 ^_^ ~`|',
  '🙂 emoji 👍🏽', '👨‍👩‍👧 family', '❤️ ☃ ★', 'x'.repeat(120) + ' search', 'a'.repeat(100), 'b'.repeat(101), 'pneumonoultramicroscopicsilicovolcanoconiosis',
  "McDonald's iPhone HTTPServer", 'unbelievably-unforgettable', 'hypothalamic-pituitary-adrenal',
  '3.14159 2024-01-01 1,000,000', '①②③ ４２ ⅫⅣ ½ ²', '0x1F 1e-9 v2.0.1',
  'tab\there\nnewline\rreturn', 'nul\u0000byte', 'zero\u200bwidth joiner\u200d', 'soft\u00adhyphen', '\ufffdreplacement', 'bidi\u202etext', 'private\ue000use', 'lone\ud800surrogate', 'bell\u0007char',
  '[MASK] [CLS]x[SEP]y', '[mask] [unk]', '[UNK][PAD]', '  ', '', 'a',
];

// Stand-in for `@huggingface/transformers` in the page bundle (vite alias in
// vite.script.config.ts, vite.lib.config.ts). src/model/tokenizer.ts only needs PreTrainedTokenizer,
// which in transformers.js is a thin layer over @huggingface/tokenizers; the
// full library would add ~0.5 MB and a second onnxruntime-web to the bundle.
// Mirrors transformers.js 4.x: encode() → Tokenizer.encode().ids, the special
// ids are the added tokens marked special, pad falls back to eos.
import { Tokenizer } from '@huggingface/tokenizers';

type Json = Record<string, unknown>;

function tokenFromConfig(config: Json, ...keys: string[]): string | null {
  for (const key of keys) {
    const item = config[key];
    if (!item) continue;
    if (typeof item === 'object') {
      const t = item as { __type?: string; content?: string };
      if (t.__type === 'AddedToken' && typeof t.content === 'string') return t.content;
      throw new Error(`Unknown token: ${JSON.stringify(item)}`);
    }
    if (typeof item === 'string') return item;
  }
  return null;
}

export class PreTrainedTokenizer {
  readonly _tokenizer: Tokenizer;
  readonly all_special_ids: number[];
  readonly pad_token_id: number | undefined;
  readonly unk_token_id: number | undefined;

  constructor(tokenizerJSON: Json, tokenizerConfig: Json) {
    // The library's typings ask for its own JSON types; the file is passed through as read.
    this._tokenizer = new Tokenizer(tokenizerJSON as never, tokenizerConfig as never);
    const id = (t: string | null): number | undefined => (t === null ? undefined : this._tokenizer.token_to_id(t));
    this.pad_token_id = id(tokenFromConfig(tokenizerConfig, 'pad_token', 'eos_token'));
    this.unk_token_id = id(tokenFromConfig(tokenizerConfig, 'unk_token'));
    this.all_special_ids = [...this._tokenizer.get_added_tokens_decoder().values()].filter((t) => t.special).map((t) => t.id);
  }

  encode(text: string, opts: { add_special_tokens?: boolean } = {}): number[] {
    return this._tokenizer.encode(text, { add_special_tokens: opts.add_special_tokens ?? true }).ids;
  }
}

// PyTorch .pt head files (issue #15): BGE-M3's upstream folder ships
// sparse_linear.pt and colbert_linear.pt. The fixtures are built byte by byte
// by test/helpers/torch-save.ts (torch is not installed); the reader must give
// the safetensors route's numbers exactly and refuse any pickle that would run code.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSafetensors } from '../../src/model/safetensors.js';
import { parseTorchStateDict } from '../../src/model/torch-pt.js';
import { loadModel } from '../../src/node/load-model.js';
import { testModel } from '../helpers/test-model.js';
import { PickleWriter, statePickle, torchSave, zip } from '../helpers/torch-save.js';

let tmp: string;
let hiddenDir: string;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'm3s-pt-'));
  hiddenDir = (await testModel()).layouts['hidden-state'];
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The test model's head as tensors, read through the safetensors route. */
function safetensorsHead(file: string): Map<string, { shape: number[]; data: Float32Array }> {
  return parseSafetensors(new Uint8Array(readFileSync(path.join(hiddenDir, file))), file);
}

/** The same head written as torch.save would write it. */
function ptOf(file: string, archive: string): Uint8Array {
  const t = safetensorsHead(file);
  return torchSave({ weight: t.get('weight')!, bias: t.get('bias')! }, { archive });
}

const refusal = (bytes: Uint8Array) => parseTorchStateDict(bytes, 'evil.pt').catch((e: unknown) => e);

describe('reading torch.save state dicts', () => {
  it('gives the safetensors numbers exactly (both heads, archive named after the file or "archive")', async () => {
    for (const [file, archive] of [['sparse_linear', 'sparse_linear'], ['colbert_linear', 'archive']] as const) {
      const want = safetensorsHead(`${file}.safetensors`);
      const got = await parseTorchStateDict(ptOf(`${file}.safetensors`, archive), `${file}.pt`);
      expect([...got.keys()].sort()).toEqual(['bias', 'weight']);
      for (const name of ['weight', 'bias']) {
        expect(got.get(name)!.shape).toEqual(want.get(name)!.shape);
        expect(got.get(name)!.data).toEqual(want.get(name)!.data);
      }
    }
  });

  it('reads float16 storages, storage offsets, deflated entries and long storages (BININT numel)', async () => {
    const big = Float32Array.from({ length: 70_000 }, (_, i) => ((i % 17) - 8) / 16);
    const bytes = torchSave(
      {
        weight: { shape: [2, 3], data: [0.5, -1, 2, 0.25, 0, -0.125], dtype: 'float16', offset: 4 },
        big: { shape: [700, 100], data: big },
      },
      { deflate: (b) => new Uint8Array(deflateRawSync(b)) },
    );
    const got = await parseTorchStateDict(bytes, 'mixed.pt');
    expect(got.get('weight')).toMatchObject({ shape: [2, 3], dtype: 'Half' });
    expect([...got.get('weight')!.data]).toEqual([0.5, -1, 2, 0.25, 0, -0.125]);
    expect(got.get('big')!.data).toEqual(big);
  });

  it('refuses a non-contiguous tensor (a transposed view)', async () => {
    const bytes = torchSave({ weight: { shape: [2, 3], data: [1, 2, 3, 4, 5, 6], stride: [1, 2] } });
    expect(await refusal(bytes)).toMatchObject({ code: 'MODEL_FILES', message: expect.stringMatching(/evil\.pt.*not contiguous/) });
  });

  it('refuses a tensor that reaches past its storage', async () => {
    const w = new PickleWriter().bytes(0x80, 2);
    w.global('collections', 'OrderedDict').bytes(0x29, 0x52).put();
    w.str('weight').global('torch._utils', '_rebuild_tensor_v2').bytes(0x28);
    w.bytes(0x28).str('storage').global('torch', 'FloatStorage').str('0').str('cpu').int(2).bytes(0x74).put().bytes(0x51);
    w.int(0).intTuple([4]).intTuple([1]).bytes(0x89).bytes(0x68, 0, 0x29, 0x52).put().bytes(0x74).put().bytes(0x52).put();
    w.bytes(0x73);
    const bytes = torchSave({ weight: { shape: [2], data: [1, 2] } }, { pickle: w.done() });
    expect(await refusal(bytes)).toMatchObject({ code: 'MODEL_FILES', message: expect.stringContaining('outside its storage') });
  });
});

describe('pickles that are not a state dict are refused without running anything', () => {
  const marker = () => path.join(tmp, 'pwned');
  /** A .pt whose data.pkl is `pkl` (the storages of a harmless tensor beside it). */
  const withPickle = (pkl: Uint8Array) => torchSave({ weight: { shape: [1], data: [1] } }, { pickle: pkl });
  const cmd = () => `touch ${marker()}`;

  it.each([
    ['GLOBAL os system', () => new PickleWriter().bytes(0x80, 2).global('os', 'system').str(cmd()).bytes(0x85, 0x52).done(), /"os system"/],
    ['GLOBAL builtins eval', () => new PickleWriter().bytes(0x80, 2).global('builtins', 'eval').str('1').bytes(0x85, 0x52).done(), /"builtins eval"/],
    ['GLOBAL posix system', () => new PickleWriter().bytes(0x80, 2).global('posix', 'system').str(cmd()).bytes(0x85, 0x52).done(), /"posix system"/],
    // An allowed global that is not a callable the interpreter knows how to call.
    ['REDUCE of a storage class', () => new PickleWriter().bytes(0x80, 2).global('torch', 'FloatStorage').str(cmd()).bytes(0x85, 0x52).done(), /calls "torch FloatStorage"/],
    ['REDUCE of a string', () => new PickleWriter().bytes(0x80, 2).str('os.system').str(cmd()).bytes(0x85, 0x52).done(), /not an allowed global/],
    ['BUILD on a tuple', () => new PickleWriter().bytes(0x80, 2).intTuple([1]).bytes(0x7d).put().bytes(0x62).done(), /BUILD/],
    ['BUILD with a non-dict state', () => new PickleWriter().bytes(0x80, 2).bytes(0x7d).put().str(cmd()).bytes(0x62).done(), /BUILD/],
    ['INST', () => Uint8Array.from([0x80, 2, 0x28, ...new TextEncoder().encode('i os\nsystem\n'), 0x2e]), /opcode 0x69/],
    ['OBJ', () => new PickleWriter().bytes(0x80, 2, 0x28).str(cmd()).bytes(0x6f).done(), /opcode 0x6f/],
    ['STACK_GLOBAL', () => new PickleWriter().bytes(0x80, 4).str('os').str('system').bytes(0x93).done(), /opcode 0x93/],
    ['NEWOBJ', () => new PickleWriter().bytes(0x80, 2).bytes(0x7d, 0x29, 0x81).done(), /opcode 0x81/],
    ['a list instead of a dict', () => new PickleWriter().bytes(0x80, 2).bytes(0x5d).done(), /opcode 0x5d/],
    ['a tuple at the top', () => new PickleWriter().bytes(0x80, 2).intTuple([1, 2]).done(), /not hold a dict/],
    ['a persistent id that is not a storage', () => new PickleWriter().bytes(0x80, 2).str(cmd()).bytes(0x51).done(), /persistent id/],
    ['a dict of strings', () => new PickleWriter().bytes(0x80, 2).bytes(0x7d).put().str('weight').str('x').bytes(0x73).done(), /other than named tensors/],
    ['a pickle that ends early', () => new PickleWriter().bytes(0x80, 2, 0x58, 0xff, 0xff, 0, 0).done(), /ends early/],
  ])('%s', async (_, pickle, why) => {
    const err = await refusal(withPickle(pickle()));
    expect(err).toMatchObject({ name: 'M3SearchError', code: 'MODEL_FILES' });
    expect((err as Error).message).toContain('evil.pt');
    expect((err as Error).message).toMatch(why);
    expect(existsSync(marker())).toBe(false);
  });

  it('the fixture pickle itself is accepted (the refusals above are not the writer going wrong)', async () => {
    const got = await parseTorchStateDict(withPickle(statePickle({ weight: { shape: [1], data: [1] } })), 'ok.pt');
    expect([...got.get('weight')!.data]).toEqual([1]);
  });
});

describe('damaged archives', () => {
  it('a truncated file is MODEL_FILES naming it, wherever it is cut', async () => {
    const whole = ptOf('sparse_linear.safetensors', 'sparse_linear');
    for (const keep of [0, 10, 64, 200, Math.floor(whole.length / 2), whole.length - 30, whole.length - 1]) {
      const err = await parseTorchStateDict(whole.subarray(0, keep), 'sparse_linear.pt').catch((e: unknown) => e);
      expect(err, `cut at ${keep}`).toMatchObject({ code: 'MODEL_FILES', message: expect.stringContaining('sparse_linear.pt') });
    }
  });

  it('refuses a legacy (non-zip) torch file, a missing storage, an archive without data.pkl, and big-endian storages', async () => {
    expect(await refusal(Uint8Array.from([0x80, 2, 0x8a, 0x0a]))).toMatchObject({ message: expect.stringContaining('legacy') });
    const pkl = statePickle({ weight: { shape: [1], data: [1] } });
    expect(await refusal(zip([{ name: 'a/data.pkl', data: pkl }]))).toMatchObject({ message: expect.stringContaining('storage 0 of weight is missing') });
    expect(await refusal(zip([{ name: 'a/other', data: pkl }]))).toMatchObject({ message: expect.stringContaining('no data.pkl') });
    const be = zip([{ name: 'a/data.pkl', data: pkl }, { name: 'a/byteorder', data: new TextEncoder().encode('big') }]);
    expect(await refusal(be)).toMatchObject({ message: expect.stringContaining('big-endian') });
  });
});

describe('an unmodified BGE-M3 folder (onnx + sparse_linear.pt + colbert_linear.pt)', () => {
  /** The hidden-state test model as upstream ships BGE-M3: no m3search.json, no safetensors, .pt heads. */
  function upstreamCopy(): string {
    const dir = mkdtempSync(path.join(tmp, 'bge-m3-'));
    cpSync(hiddenDir, dir, { recursive: true });
    writeFileSync(path.join(dir, 'sparse_linear.pt'), ptOf('sparse_linear.safetensors', 'sparse_linear'));
    writeFileSync(path.join(dir, 'colbert_linear.pt'), ptOf('colbert_linear.safetensors', 'colbert_linear'));
    for (const f of ['m3search.json', 'sparse_linear.safetensors', 'colbert_linear.safetensors']) unlinkSync(path.join(dir, f));
    return dir;
  }

  it('gives all three signals exactly as the safetensors route', async () => {
    const texts = ['How do I configure the HTTP cache for offline use?', 'Service workers intercept requests.'];
    const viaSafetensors = await loadModel(hiddenDir);
    const viaPt = await loadModel(upstreamCopy());
    try {
      expect(viaPt.info).toMatchObject({ layout: 'hidden-state', sparseStyle: 'lexical', hasMulti: true, denseDim: viaSafetensors.info.denseDim, multiDim: viaSafetensors.info.multiDim });
      for (const kind of ['query', 'passage'] as const) {
        const a = await viaSafetensors.encode(texts, { kind });
        const b = await viaPt.encode(texts, { kind });
        expect(b.map((e) => [e.dense, e.sparse, e.multi])).toEqual(a.map((e) => [e.dense, e.sparse, e.multi]));
        expect(b[0]!.sparse.ids.length).toBeGreaterThan(0);
        expect(b[0]!.multi.count).toBeGreaterThan(0);
      }
    } finally {
      await viaSafetensors.dispose();
      await viaPt.dispose();
    }
  });

  it('a truncated colbert_linear.pt fails the load with MODEL_FILES naming it', async () => {
    const dir = upstreamCopy();
    const file = path.join(dir, 'colbert_linear.pt');
    writeFileSync(file, readFileSync(file).subarray(0, 3000));
    await expect(loadModel(dir)).rejects.toMatchObject({ code: 'MODEL_FILES', message: expect.stringContaining('colbert_linear.pt') });
  });

  it('a manifest may name a .pt head file', async () => {
    const dir = upstreamCopy();
    writeFileSync(path.join(dir, 'heads.pt'), ptOf('sparse_linear.safetensors', 'heads'));
    writeFileSync(path.join(dir, 'm3search.json'), JSON.stringify({ modelId: 'x', layout: 'hidden-state', heads: { sparse: 'heads.pt' } }));
    const enc = await loadModel(dir);
    expect(enc.info.sparseStyle).toBe('lexical');
    await enc.dispose();
  });
});

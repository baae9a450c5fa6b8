// Batch validation before any encoding, and the content hash that lets re-adds
// skip unchanged documents (SHA-256 test vectors from FIPS 180-2).
import { describe, expect, it } from 'vitest';
import type { Doc } from '../../src/core/types.js';
import { textHash } from '../../src/engine/content-hash.js';
import { Serial } from '../../src/engine/serial.js';
import { MEMORY_ONLY } from '../../src/engine/store.js';
import { validateDocs } from '../../src/engine/validate.js';

function thrown(f: () => void): { code?: string; message: string; details?: Record<string, unknown> } {
  try {
    f();
  } catch (e) {
    return e as { code?: string; message: string; details?: Record<string, unknown> };
  }
  throw new Error('expected a throw');
}
const none = (): boolean => false;

describe('validateDocs', () => {
  it('accepts a good batch and an empty one', () => {
    expect(() => validateDocs([{ id: 'a', text: 'x' }, { id: 'b', text: 'y' }], none)).not.toThrow();
    expect(() => validateDocs([], none)).not.toThrow();
  });

  it('refuses a non-array', () => {
    const e = thrown(() => validateDocs({ id: 'a', text: 'x' } as unknown as Doc[], none));
    expect(e).toMatchObject({ code: 'INVALID_DOCUMENT', message: 'Expected an array of documents.' });
  });

  it('names the position and, when it has one, the id of a bad document', () => {
    const e = thrown(() => validateDocs([{ id: 'a', text: 'x' }, { id: 'b', text: '   ' }], none));
    expect(e.code).toBe('INVALID_DOCUMENT');
    expect(e.message).toBe('document #1: document "b": text is empty or whitespace only.');
    expect(e.details).toEqual({ id: 'b' });
    const noId = thrown(() => validateDocs([{ text: 'x' } as unknown as Doc], none));
    expect(noId.message).toBe('document #0: a document needs a non-empty string id.');
    expect(noId.details).toBeUndefined();
    const numId = thrown(() => validateDocs([{ id: 7, text: 'x' } as unknown as Doc], none));
    expect(numId.details).toBeUndefined();
    const notObject = thrown(() => validateDocs([null as unknown as Doc], none));
    expect(notObject).toMatchObject({ code: 'INVALID_DOCUMENT', message: 'document #0: a document must be an object.' });
    expect(notObject.details).toBeUndefined();
    const emptyText = thrown(() => validateDocs([{ id: '', text: 'x' }], none));
    expect(emptyText.details).toEqual({ id: '' });
  });

  it('refuses an id twice in the batch, naming it', () => {
    const e = thrown(() => validateDocs([{ id: 'a', text: 'x' }, { id: 'b', text: 'y' }, { id: 'a', text: 'z' }], none));
    expect(e).toMatchObject({ code: 'DUPLICATE_ID', message: 'Id "a" appears twice in this batch.', details: { id: 'a' } });
  });

  it('refuses an id that already exists, and asks exists() only about the batch ids', () => {
    const asked: string[] = [];
    const e = thrown(() =>
      validateDocs([{ id: 'new', text: 'x' }, { id: 'old', text: 'y' }], (id) => {
        asked.push(id);
        return id === 'old';
      }),
    );
    expect(e).toMatchObject({ code: 'DUPLICATE_ID', message: 'Id "old" is already indexed; use update() to replace it.', details: { id: 'old' } });
    expect(asked).toEqual(['new', 'old']);
  });
});

describe('textHash', () => {
  it('is the hex SHA-256 of the UTF-8 text', async () => {
    expect(await textHash('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(await textHash('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    // UTF-8, not UTF-16: "é" is the two bytes c3 a9.
    expect(await textHash('é')).toBe(await textHash(new TextDecoder().decode(new Uint8Array([0xc3, 0xa9]))));
    expect(await textHash('é')).not.toBe(await textHash('e'));
  });
});

describe('Serial and MEMORY_ONLY', () => {
  it('runs sections one at a time in call order, even after a failure', async () => {
    const s = new Serial();
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const a = s.run(async () => {
      log.push('a start');
      await gate;
      log.push('a end');
      throw new Error('a failed');
    });
    const b = s.run(async () => {
      log.push('b');
      return 2;
    });
    await Promise.resolve();
    expect(log).toEqual(['a start']);
    release();
    await expect(a).rejects.toThrow('a failed');
    expect(await b).toBe(2);
    expect(log).toEqual(['a start', 'a end', 'b']);
  });

  it('the memory-only store accepts anything and is frozen', async () => {
    expect(await MEMORY_ONLY.write([], ['x'])).toBeUndefined();
    expect(await MEMORY_ONLY.clear()).toBeUndefined();
    expect(Object.isFrozen(MEMORY_ONLY)).toBe(true);
  });
});

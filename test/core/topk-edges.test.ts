// TopK edges the fusion suite leaves open: size, accepts(), and an exact
// (score, order) duplicate never displacing the item already kept.
import { describe, expect, it } from 'vitest';
import { TopK } from '../../src/core/topk.js';

describe('TopK edges', () => {
  it('size counts kept items and accepts() mirrors push', () => {
    const top = new TopK(2);
    expect(top.size).toBe(0);
    expect(top.accepts(-Infinity, 99)).toBe(true);
    top.push(1, 3, 10);
    top.push(2, 5, 11);
    expect(top.size).toBe(2);
    // Root is (3, order 10): a higher score, or the same score with a smaller order, gets in.
    expect(top.accepts(4, 50)).toBe(true);
    expect(top.accepts(3, 9)).toBe(true);
    expect(top.accepts(3, 10)).toBe(false);
    expect(top.accepts(3, 11)).toBe(false);
    expect(top.accepts(2, 0)).toBe(false);
    top.push(3, 1, 0);
    expect(top.size).toBe(2);
    expect(new TopK(0).accepts(100, 0)).toBe(false);
  });

  it('an exact (score, order) tie keeps the item pushed first', () => {
    const top = new TopK(1);
    top.push(7, 2, 4);
    top.push(8, 2, 4);
    expect(top.results()).toEqual([{ id: 7, score: 2, order: 4 }]);
  });
});

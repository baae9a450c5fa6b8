import { describe, expect, it } from 'vitest';
import { evaluateRun, mrrAtK, ndcgAtK, recallAtK, type Judgments } from '../../src/eval/metrics.js';

const j = (o: Record<string, number>): Judgments => new Map(Object.entries(o));

describe('nDCG@k', () => {
  it('binary judgments', () => {
    // relevant a, b, c; ranking x a y b z (k = 5)
    // DCG  = 1/log2(3) + 1/log2(5)            = 0.630930 + 0.430677       = 1.061606
    // IDCG = 1/log2(2) + 1/log2(3) + 1/log2(4) = 1 + 0.630930 + 0.5        = 2.130930
    // nDCG = 1.061606 / 2.130930                                           = 0.498189
    expect(ndcgAtK(['x', 'a', 'y', 'b', 'z'], j({ a: 1, b: 1, c: 1 }), 5)).toBeCloseTo(0.498189, 6);
  });

  it('graded judgments use the qrels score as the gain', () => {
    // a=3, b=1, c=2, d=0 (judged non-relevant); ranking d b a e (k = 3)
    // DCG@3  = 0/log2(2) + 1/log2(3) + 3/log2(4) = 0 + 0.630930 + 1.5       = 2.130930
    // IDCG@3 = 3/log2(2) + 2/log2(3) + 1/log2(4) = 3 + 1.261860 + 0.5       = 4.761860
    // nDCG   = 2.130930 / 4.761860                                          = 0.447500
    expect(ndcgAtK(['d', 'b', 'a', 'e'], j({ a: 3, b: 1, c: 2, d: 0 }), 3)).toBeCloseTo(0.4474995, 6);
  });

  it('ideal DCG is cut at k too', () => {
    // a=2, b=1; ranking a (k = 1): DCG = 2/1, IDCG@1 = 2/1 → 1
    expect(ndcgAtK(['a'], j({ a: 2, b: 1 }), 1)).toBe(1);
    // ranking b a (k = 1): DCG = 1/1, IDCG@1 = 2/1 → 0.5
    expect(ndcgAtK(['b', 'a'], j({ a: 2, b: 1 }), 1)).toBe(0.5);
  });

  it('a duplicated id is credited once', () => {
    // ranking a a b (k = 2) reads as a b: DCG = 1 + 1/log2(3) = IDCG → 1
    expect(ndcgAtK(['a', 'a', 'b'], j({ a: 1, b: 1 }), 2)).toBeCloseTo(1, 12);
  });

  it('is NaN without relevant judgments and 0 for an empty ranking', () => {
    expect(ndcgAtK(['a'], j({ a: 0 }), 10)).toBeNaN();
    expect(ndcgAtK([], j({ a: 1 }), 10)).toBe(0);
  });
});

describe('Recall@k', () => {
  it('counts relevant documents (score > 0) in the top k', () => {
    const judged = j({ a: 3, b: 1, c: 2, d: 0 }); // 3 relevant: a, b, c
    // top 2 = d b → found b → 1/3
    expect(recallAtK(['d', 'b', 'a', 'e'], judged, 2)).toBeCloseTo(1 / 3, 12);
    // top 10 = d b a e → found b, a → 2/3
    expect(recallAtK(['d', 'b', 'a', 'e'], judged, 10)).toBeCloseTo(2 / 3, 12);
    expect(recallAtK(['d'], j({ d: 0 }), 10)).toBeNaN();
  });
});

describe('MRR@k', () => {
  it('is the reciprocal rank of the first relevant document within k', () => {
    const judged = j({ a: 3, b: 1, d: 0 });
    // d (judged 0) is not relevant; b at rank 2 → 1/2
    expect(mrrAtK(['d', 'b', 'a'], judged, 10)).toBe(0.5);
    // first relevant is at rank 2 > k = 1 → 0
    expect(mrrAtK(['d', 'b', 'a'], judged, 1)).toBe(0);
    expect(mrrAtK(['x', 'y', 'z', 'a'], judged, 10)).toBe(0.25);
  });
});

describe('evaluateRun', () => {
  it('averages over judged queries, skips unjudged ones, and scores missing runs as 0', () => {
    const qrels = new Map<string, Judgments>([
      ['q1', j({ a: 1 })],
      ['q2', j({ b: 0 })], // no relevant document: skipped
      ['q3', j({ c: 2, e: 1 })], // not in the run: counts as an empty ranking
      ['q4', j({ d: 1, e: 1 })],
    ]);
    const run = new Map<string, string[]>([
      ['q1', ['a']],
      ['q2', ['b']],
      ['q4', ['x', 'd']],
      ['q9', ['a']], // not judged: ignored
    ]);
    const m = evaluateRun(run, qrels, { ndcg: 10, recall: 1, mrr: 10 });
    expect(m.queries).toBe(3);
    // nDCG: q1 = 1; q3 = 0;
    //       q4: DCG = 1/log2(3) = 0.630930, IDCG = 1 + 1/log2(3) = 1.630930 → 0.386853
    // mean = (1 + 0 + 0.386853) / 3 = 0.462284
    expect(m.ndcg).toBeCloseTo(0.462284, 6);
    // Recall@1: q1 = 1, q3 = 0, q4 = 0 (top 1 is x) → 1/3
    expect(m.recall).toBeCloseTo(1 / 3, 12);
    // MRR@10: q1 = 1, q3 = 0, q4 = 1/2 → 0.5
    expect(m.mrr).toBeCloseTo(0.5, 12);
  });

  it('returns NaN metrics when no query is judged', () => {
    const m = evaluateRun(new Map(), new Map([['q', j({ a: 0 })]]));
    expect(m.queries).toBe(0);
    expect(m.ndcg).toBeNaN();
  });
});

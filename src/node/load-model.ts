// Node entry for loading an encoder: a local folder (or an http(s) URL) run
// with onnxruntime-node on all cores.
import os from 'node:os';
import * as ort from 'onnxruntime-node';
import type { M3Encoder, OrtRuntime } from '../model/encoder.js';
import { loadEncoder, type LoadOptions } from '../model/load.js';
import { urlSource } from '../model/source.js';
import { fsSource } from './fs-source.js';

export type NodeLoadOptions = Omit<LoadOptions, 'ort'>;

export async function loadModel(location: string, opts: NodeLoadOptions = {}): Promise<M3Encoder> {
  const source = /^https?:\/\//.test(location) ? urlSource(location, { cacheName: false }) : fsSource(location);
  return loadEncoder(source, {
    ...opts,
    ort: ort as unknown as OrtRuntime,
    sessionOptions: { executionProviders: ['cpu'], intraOpNumThreads: os.availableParallelism(), ...opts.sessionOptions },
  });
}

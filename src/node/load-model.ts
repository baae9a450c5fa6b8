// Node entry for loading an encoder: a local folder (or an http(s) URL) run
// with onnxruntime-node on all cores. A preset name (e.g. 'multilingual-e5-small')
// loads that model from its hub folder, or from `source` when given.
import os from 'node:os';
import * as ort from 'onnxruntime-node';
import { M3SearchError } from '../core/errors.js';
import type { M3Encoder, OrtRuntime } from '../model/encoder.js';
import { loadEncoder, type LoadOptions } from '../model/load.js';
import { isPresetName, MODEL_PRESETS } from '../model/presets.js';
import { urlSource } from '../model/source.js';
import { fsSource } from './fs-source.js';

export interface NodeLoadOptions extends Omit<LoadOptions, 'ort'> {
  /** With a preset name as `location`: the folder or URL holding that model's files (default: its hub folder). */
  source?: string;
}

/**
 * `location`: a folder, an http(s) URL, or a preset name. A bare preset name
 * wins over a folder of that name in the working directory (write `./bge-m3`
 * for the folder).
 */
export async function loadModel(location: string, opts: NodeLoadOptions = {}): Promise<M3Encoder> {
  const { source: override, ...rest } = opts;
  let where = location;
  let preset = rest.preset;
  if (isPresetName(location)) {
    where = override ?? MODEL_PRESETS[location].url;
    preset ??= location;
  } else if (override !== undefined) {
    throw new M3SearchError('INVALID_OPTION', `source is for preset names; ${JSON.stringify(location)} is not one (known: ${Object.keys(MODEL_PRESETS).join(', ')}).`, { source: override });
  }
  const source = /^https?:\/\//.test(where) ? urlSource(where, { cacheName: false }) : fsSource(where);
  return loadEncoder(source, {
    ...rest,
    ...(preset === undefined ? {} : { preset }),
    ort: ort as unknown as OrtRuntime,
    sessionOptions: { executionProviders: ['cpu'], intraOpNumThreads: os.availableParallelism(), ...rest.sessionOptions },
  });
}

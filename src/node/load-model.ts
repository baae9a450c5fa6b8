// Node entry for loading an encoder: a local folder (or an http(s) URL) run
// with onnxruntime-node on all cores. A preset (e.g. 'multilingual-e5-small')
// loads that model from its hub folder, or from `model` when given.
import os from 'node:os';
import * as ort from 'onnxruntime-node';
import { M3SearchError } from '../core/errors.js';
import type { M3Encoder, OrtRuntime } from '../model/encoder.js';
import { loadEncoder, type LoadOptions } from '../model/load.js';
import { getPreset, isPresetName, MODEL_PRESETS, type PresetOption } from '../model/presets.js';
import { urlSource } from '../model/source.js';
import { fsSource } from './fs-source.js';

export interface NodeLoadOptions extends Omit<LoadOptions, 'ort' | 'preset'>, PresetOption {
  /**
   * Model folder or http(s) URL. With `preset`, it overrides the preset's hub
   * folder (a self-hosted copy); the positional `location` says the same.
   */
  model?: string;
}

/**
 * `loadModel(location, opts)`: `location` is a folder, an http(s) URL, or a
 * preset name (a bare preset name wins over a folder of that name in the
 * working directory: write `./bge-m3` for the folder).
 * `loadModel({ preset, model })`: the same vocabulary as `createSearch`.
 *
 * @example
 * await loadModel({ preset: 'multilingual-e5-small' });                         // its hub folder
 * await loadModel({ preset: 'multilingual-e5-small', model: './models/e5' });   // self-hosted copy
 * await loadModel('./my-model', { preset: 'gte-small' });                       // a preset's conventions for any folder
 */
export async function loadModel(location: string | NodeLoadOptions, opts: NodeLoadOptions = {}): Promise<M3Encoder> {
  const given = typeof location === 'string' ? opts : location;
  const { model: override, preset: asked, ...rest } = given;
  let preset = asked;
  let where: string | undefined = override;
  if (typeof location === 'string') {
    if (isPresetName(location)) {
      preset ??= location;
      where = override ?? MODEL_PRESETS[location].url;
    } else if (override !== undefined) {
      throw new M3SearchError('INVALID_OPTION', `model (an override of a preset's hub folder) needs a preset; ${JSON.stringify(location)} is not one (known: ${Object.keys(MODEL_PRESETS).join(', ')}).`, { model: override });
    } else {
      where = location;
    }
  }
  // An unknown name fails here, listing the known ones, before anything is read.
  if (preset !== undefined) where ??= getPreset(preset).url;
  if (where === undefined) throw new M3SearchError('INVALID_OPTION', 'loadModel needs a model folder or URL (`model`) or a `preset`.', {});
  const source = /^https?:\/\//.test(where) ? urlSource(where, { cacheName: false }) : fsSource(where);
  return loadEncoder(source, {
    ...rest,
    ...(preset === undefined ? {} : { preset }),
    ort: ort as unknown as OrtRuntime,
    sessionOptions: { executionProviders: ['cpu'], intraOpNumThreads: os.availableParallelism(), ...rest.sessionOptions },
  });
}

// Where ../shared (real tokenizers and evaluation collections) lives; never copied into the repo.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export const SHARED_DIR = process.env.M3S_SHARED_DIR ?? path.resolve(repoRoot, '..', 'shared');

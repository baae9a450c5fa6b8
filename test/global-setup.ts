// Builds the generated test model once before any suite runs; later runs only
// check the stamp (generator sources + corpus hash), so they are instant.
import { ensureTestModel } from '../scripts/test-model/index.js';

export default async function setup(): Promise<void> {
  await ensureTestModel();
}

// Builds the generated test model once before any suite runs (filled in by the test-model generator).
export default async function setup(): Promise<void> {}

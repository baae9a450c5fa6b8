// A FIFO lock: runs async sections one at a time. The worker uses one for the
// encoder (ONNX sessions do not run concurrently) and one for writes (so a
// remove never interleaves with a half-applied add batch).

export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(section: () => Promise<T>): Promise<T> {
    const result = this.tail.then(section, section);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

// Little-endian byte writing/reading for the binary formats (static index
// shards, lexical snapshots). Sections can be padded to 4 bytes so a reader
// views them as typed arrays without copying.

export class ByteWriter {
  private buf = new Uint8Array(1024);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): this {
    this.reserve(1);
    this.buf[this.length++] = v;
    return this;
  }

  u16(v: number): this {
    this.reserve(2);
    this.view.setUint16(this.length, v, true);
    this.length += 2;
    return this;
  }

  u32(v: number): this {
    this.reserve(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
    return this;
  }

  f32(v: number): this {
    this.reserve(4);
    this.view.setFloat32(this.length, v, true);
    this.length += 4;
    return this;
  }

  f64(v: number): this {
    this.reserve(8);
    this.view.setFloat64(this.length, v, true);
    this.length += 8;
    return this;
  }

  /** Unsigned LEB128 (7 bits a byte): posting gaps are small, so most take one byte. */
  varint(v: number): this {
    while (v >= 0x80) {
      this.u8((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    return this.u8(v);
  }

  bytes(b: ArrayBufferView): this {
    const src = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    this.reserve(src.length);
    this.buf.set(src, this.length);
    this.length += src.length;
    return this;
  }

  align(n = 4): this {
    while (this.length % n !== 0) this.u8(0);
    return this;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

export class ByteReader {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  pos = 0;

  /** `truncated` builds the error thrown when a read runs past the end (default: a RangeError). */
  constructor(
    bytes: Uint8Array,
    private readonly truncated: (message: string) => Error = (m) => new RangeError(`shard truncated: ${m}`),
  ) {
    // A view at an odd offset cannot back Float32Array etc.; copy once if so.
    this.bytes = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
  }

  /** Throws unless `n` more bytes remain (check before allocating for a count read from the bytes). */
  need(n: number): void {
    if (this.pos + n > this.bytes.length) throw this.truncated(`need ${n} bytes at ${this.pos} of ${this.bytes.length}`);
  }

  /** Every byte has been read. */
  get done(): boolean {
    return this.pos === this.bytes.length;
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
  }

  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  f32(): number {
    this.need(4);
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** The next `n` bytes (a view, no copy). */
  take(n: number): Uint8Array {
    this.need(n);
    const a = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return a;
  }

  varint(): number {
    let v = 0;
    let mul = 1;
    for (;;) {
      const b = this.u8();
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
  }

  align(n = 4): void {
    while (this.pos % n !== 0) this.pos++;
  }

  /** Typed views (no copy) of the next `n` elements; the reader's bytes are 8-aligned. */
  int8(n: number): Int8Array {
    this.need(n);
    const a = new Int8Array(this.bytes.buffer, this.bytes.byteOffset + this.pos, n);
    this.pos += n;
    return a;
  }

  uint16(n: number): Uint16Array {
    this.need(2 * n);
    const a = new Uint16Array(this.bytes.buffer, this.bytes.byteOffset + this.pos, n);
    this.pos += 2 * n;
    return a;
  }

  uint32(n: number): Uint32Array {
    this.need(4 * n);
    const a = new Uint32Array(this.bytes.buffer, this.bytes.byteOffset + this.pos, n);
    this.pos += 4 * n;
    return a;
  }

  float32(n: number): Float32Array {
    this.need(4 * n);
    const a = new Float32Array(this.bytes.buffer, this.bytes.byteOffset + this.pos, n);
    this.pos += 4 * n;
    return a;
  }
}

/** The chunks of a stream read back to back in one array (`total`: the sum of their lengths). */
export function concatBytes<B extends ArrayBufferLike>(chunks: readonly Uint8Array<B>[], total: number): Uint8Array<B | ArrayBuffer> {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

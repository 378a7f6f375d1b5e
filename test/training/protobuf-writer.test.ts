import { ProtoWriter } from '../../training/onnx/protobuf-writer.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('ProtoWriter', () => {
  it('encodes varints, including negative int64 as ten bytes', () => {
    expect(hex(new ProtoWriter().int(1, 150).finish())).toBe('089601');
    expect(hex(new ProtoWriter().int(2, -1).finish())).toBe('10ffffffffffffffffff01');
  });

  it('encodes strings, nested messages, floats and packed arrays', () => {
    expect(hex(new ProtoWriter().string(2, 'testing').finish())).toBe('120774657374696e67');
    expect(hex(new ProtoWriter().message(3, (w) => w.int(1, 150)).finish())).toBe('1a03089601');
    expect(hex(new ProtoWriter().float(2, 1).finish())).toBe('150000803f');
    expect(hex(new ProtoWriter().packedInts(4, [3, 270, 86942]).finish())).toBe('2206038e029ea705');
    expect(hex(new ProtoWriter().packedFloats(7, [1, -2]).finish())).toBe('3a080000803f000000c0');
  });

  it('grows its buffer past the initial size', () => {
    const big = 'x'.repeat(10_000);
    expect(new ProtoWriter().string(1, big).finish()).toHaveLength(10_000 + 3);
  });
});

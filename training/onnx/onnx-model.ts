import { ProtoWriter } from './protobuf-writer.js';

// Field numbers and enums from onnx/onnx.proto (IR version 8).
export const IR_VERSION = 8;
export const OPSET_DEFAULT = 17;
export const OPSET_ML = 3;
export const PRODUCER_NAME = 'serverless-mlops';

export const TensorElemType = { FLOAT: 1, INT64: 7, STRING: 8 } as const;
const AttrType = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

export type AttributeValue =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'floats'; value: readonly number[] }
  | { kind: 'strings'; value: readonly string[] };

export interface OnnxNode {
  opType: string;
  domain: string;
  name: string;
  inputs: string[];
  outputs: string[];
  /** Written in the given order (kept stable so output bytes are deterministic). */
  attributes: [string, AttributeValue][];
}

export interface OnnxValueInfo {
  name: string;
  elemType: number;
  /** number = fixed size, string = symbolic dimension. */
  shape: (number | string)[];
}

/** Constant tensor stored in the graph (TensorProto). */
export interface OnnxInitializer {
  name: string;
  elemType: typeof TensorElemType.FLOAT | typeof TensorElemType.INT64;
  dims: number[];
  values: readonly number[];
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers?: OnnxInitializer[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  docString?: string;
}

export interface OnnxModelOptions {
  producerVersion?: string;
  docString?: string;
  /** Key/value metadata (e.g. feature names); written in insertion order. */
  metadata?: [string, string][];
}

function writeAttribute(w: ProtoWriter, name: string, a: AttributeValue): void {
  w.string(1, name);
  switch (a.kind) {
    case 'float':
      w.float(2, a.value).int(20, AttrType.FLOAT);
      break;
    case 'int':
      w.int(3, a.value).int(20, AttrType.INT);
      break;
    case 'string':
      w.string(4, a.value).int(20, AttrType.STRING);
      break;
    case 'floats':
      w.packedFloats(7, a.value).int(20, AttrType.FLOATS);
      break;
    case 'ints':
      w.packedInts(8, a.value).int(20, AttrType.INTS);
      break;
    case 'strings':
      for (const s of a.value) w.string(9, s);
      w.int(20, AttrType.STRINGS);
      break;
  }
}

function writeNode(w: ProtoWriter, n: OnnxNode): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name).string(4, n.opType);
  for (const [name, value] of n.attributes) w.message(5, (aw) => writeAttribute(aw, name, value));
  if (n.domain) w.string(7, n.domain);
}

function writeInitializer(w: ProtoWriter, t: OnnxInitializer): void {
  w.packedInts(1, t.dims).int(2, t.elemType);
  if (t.elemType === TensorElemType.FLOAT) w.packedFloats(4, t.values);
  else w.packedInts(7, t.values);
  w.string(8, t.name);
}

function writeValueInfo(w: ProtoWriter, v: OnnxValueInfo): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, v.elemType);
      tensor.message(2, (shape) => {
        for (const d of v.shape) {
          shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
        }
      });
    }),
  );
}

/** Serialises a ModelProto with opsets '' and 'ai.onnx.ml'. No timestamps: same input ⇒ same bytes. */
export function encodeModel(graph: OnnxGraph, opts: OnnxModelOptions = {}): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, IR_VERSION);
  w.string(2, PRODUCER_NAME);
  if (opts.producerVersion) w.string(3, opts.producerVersion);
  w.int(5, 1);
  if (opts.docString) w.string(6, opts.docString);
  w.message(7, (g) => {
    for (const n of graph.nodes) g.message(1, (nw) => writeNode(nw, n));
    g.string(2, graph.name);
    for (const t of graph.initializers ?? []) g.message(5, (tw) => writeInitializer(tw, t));
    if (graph.docString) g.string(10, graph.docString);
    for (const i of graph.inputs) g.message(11, (vw) => writeValueInfo(vw, i));
    for (const o of graph.outputs) g.message(12, (vw) => writeValueInfo(vw, o));
  });
  w.message(8, (o) => o.string(1, '').int(2, OPSET_DEFAULT));
  w.message(8, (o) => o.string(1, 'ai.onnx.ml').int(2, OPSET_ML));
  for (const [key, value] of opts.metadata ?? []) w.message(14, (m) => m.string(1, key).string(2, value));
  return w.finish();
}

export const attr = {
  int: (value: number): AttributeValue => ({ kind: 'int', value }),
  float: (value: number): AttributeValue => ({ kind: 'float', value }),
  string: (value: string): AttributeValue => ({ kind: 'string', value }),
  ints: (value: readonly number[]): AttributeValue => ({ kind: 'ints', value }),
  floats: (value: readonly number[]): AttributeValue => ({ kind: 'floats', value }),
  strings: (value: readonly string[]): AttributeValue => ({ kind: 'strings', value }),
};

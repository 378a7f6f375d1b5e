import { attr, encodeModel, type OnnxInitializer, type OnnxNode, TensorElemType } from './onnx-model.js';

/** Graph contract shared by every exported model. */
export const ONNX_INPUT = 'features';
export const ONNX_LABEL = 'label';
export const ONNX_PROBABILITIES = 'probabilities';

interface ClassifierGraphInfo {
  algorithm: string;
  featureNames: readonly string[];
  classes: readonly string[];
}

function encodeClassifier(
  info: ClassifierGraphInfo,
  nodes: OnnxNode[],
  initializers: OnnxInitializer[] = [],
): Uint8Array {
  return encodeModel(
    {
      name: `${info.algorithm}_classifier`,
      nodes,
      initializers,
      inputs: [{ name: ONNX_INPUT, elemType: TensorElemType.FLOAT, shape: ['N', info.featureNames.length] }],
      outputs: [
        { name: ONNX_LABEL, elemType: TensorElemType.STRING, shape: ['N'] },
        { name: ONNX_PROBABILITIES, elemType: TensorElemType.FLOAT, shape: ['N', info.classes.length] },
      ],
    },
    {
      metadata: [
        ['algorithm', info.algorithm],
        ['feature_names', JSON.stringify(info.featureNames)],
        ['classes', JSON.stringify(info.classes)],
      ],
    },
  );
}

export interface LinearClassifierSpec extends ClassifierGraphInfo {
  /** Scaler: y = (x - offset) * scale. */
  offset: readonly number[];
  scale: readonly number[];
  /** Row-major [classes × features]. */
  coefficients: readonly number[];
  intercepts: readonly number[];
}

/** features → Scaler → LinearClassifier(SOFTMAX) → label, probabilities. */
export function linearClassifierOnnx(spec: LinearClassifierSpec): Uint8Array {
  return encodeClassifier(spec, [
    {
      opType: 'Scaler',
      domain: 'ai.onnx.ml',
      name: 'standardise',
      inputs: [ONNX_INPUT],
      outputs: ['scaled'],
      attributes: [
        ['offset', attr.floats(spec.offset)],
        ['scale', attr.floats(spec.scale)],
      ],
    },
    {
      opType: 'LinearClassifier',
      domain: 'ai.onnx.ml',
      name: 'linear',
      inputs: ['scaled'],
      outputs: [ONNX_LABEL, ONNX_PROBABILITIES],
      attributes: [
        ['classlabels_strings', attr.strings(spec.classes)],
        ['coefficients', attr.floats(spec.coefficients)],
        ['intercepts', attr.floats(spec.intercepts)],
        ['multi_class', attr.int(1)],
        ['post_transform', attr.string('SOFTMAX')],
      ],
    },
  ]);
}

export interface TreeEnsembleSpec extends ClassifierGraphInfo {
  nodes: {
    treeIds: number[];
    nodeIds: number[];
    featureIds: number[];
    values: number[];
    modes: ('BRANCH_LEQ' | 'LEAF')[];
    trueNodeIds: number[];
    falseNodeIds: number[];
  };
  leaves: { treeIds: number[]; nodeIds: number[]; classIds: number[]; weights: number[] };
  baseValues?: number[];
  postTransform: 'NONE' | 'SOFTMAX' | 'LOGISTIC';
  /**
   * Two classes with votes on class 1 only: onnxruntime then reports [0, p]; add nodes that turn the score
   * column p into [1 - p, p].
   */
  binaryComplement?: boolean;
}

/** features → TreeEnsembleClassifier → label, probabilities (scores summed over trees, then post_transform). */
export function treeEnsembleOnnx(spec: TreeEnsembleSpec): Uint8Array {
  const { nodes, leaves } = spec;
  const attributes: OnnxNode['attributes'] = [];
  if (spec.baseValues) attributes.push(['base_values', attr.floats(spec.baseValues)]);
  attributes.push(
    ['class_ids', attr.ints(leaves.classIds)],
    ['class_nodeids', attr.ints(leaves.nodeIds)],
    ['class_treeids', attr.ints(leaves.treeIds)],
    ['class_weights', attr.floats(leaves.weights)],
    ['classlabels_strings', attr.strings(spec.classes)],
    ['nodes_falsenodeids', attr.ints(nodes.falseNodeIds)],
    ['nodes_featureids', attr.ints(nodes.featureIds)],
    ['nodes_modes', attr.strings(nodes.modes)],
    ['nodes_nodeids', attr.ints(nodes.nodeIds)],
    ['nodes_treeids', attr.ints(nodes.treeIds)],
    ['nodes_truenodeids', attr.ints(nodes.trueNodeIds)],
    ['nodes_values', attr.floats(nodes.values)],
    ['post_transform', attr.string(spec.postTransform)],
  );
  const ensemble: OnnxNode = {
    opType: 'TreeEnsembleClassifier',
    domain: 'ai.onnx.ml',
    name: 'trees',
    inputs: [ONNX_INPUT],
    outputs: [ONNX_LABEL, spec.binaryComplement ? 'scores' : ONNX_PROBABILITIES],
    attributes,
  };
  if (!spec.binaryComplement) return encodeClassifier(spec, [ensemble]);
  const node = (
    opType: string,
    inputs: string[],
    output: string,
    attributes: OnnxNode['attributes'] = [],
  ) => ({
    opType,
    domain: '',
    name: output,
    inputs,
    outputs: [output],
    attributes,
  });
  return encodeClassifier(
    spec,
    [
      ensemble,
      node('Slice', ['scores', 'col1_start', 'col1_end', 'col_axis'], 'p1'),
      node('Sub', ['one', 'p1'], 'p0'),
      node('Concat', ['p0', 'p1'], ONNX_PROBABILITIES, [['axis', attr.int(1)]]),
    ],
    [
      { name: 'col1_start', elemType: TensorElemType.INT64, dims: [1], values: [1] },
      { name: 'col1_end', elemType: TensorElemType.INT64, dims: [1], values: [2] },
      { name: 'col_axis', elemType: TensorElemType.INT64, dims: [1], values: [1] },
      { name: 'one', elemType: TensorElemType.FLOAT, dims: [1], values: [1] },
    ],
  );
}

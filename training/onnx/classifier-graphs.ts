import { attr, encodeModel, type OnnxNode, TensorElemType } from './onnx-model.js';

/** Graph contract shared by every exported model. */
export const ONNX_INPUT = 'features';
export const ONNX_LABEL = 'label';
export const ONNX_PROBABILITIES = 'probabilities';

interface ClassifierGraphInfo {
  algorithm: string;
  featureNames: readonly string[];
  classes: readonly string[];
}

function encodeClassifier(info: ClassifierGraphInfo, nodes: OnnxNode[]): Uint8Array {
  return encodeModel(
    {
      name: `${info.algorithm}_classifier`,
      nodes,
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
  /** Leaf votes: weights[i] goes to class (target) classIds[i]; every class gets its own. */
  leaves: { treeIds: number[]; nodeIds: number[]; classIds: number[]; weights: number[] };
  baseValues?: number[];
  /** Class probabilities from the summed votes: the votes themselves, or their softmax. */
  probabilities: 'votes' | 'softmax';
}

/**
 * features → TreeEnsembleRegressor (one target per class: votes summed over trees) → scores;
 * probabilities = scores or Softmax(scores); label = classes[ArgMax(scores)] (first maximum).
 *
 * Written as explicit ops rather than TreeEnsembleClassifier, whose two-class label rule differs
 * between runtimes (onnxruntime labels class 1 whenever its raw score is above 0 or 0.5, whatever the
 * other class scores; the ONNX reference takes the argmax), so the graph means the same everywhere.
 */
export function treeEnsembleOnnx(spec: TreeEnsembleSpec): Uint8Array {
  const { nodes, leaves } = spec;
  const C = spec.classes.length;
  const attributes: OnnxNode['attributes'] = [['aggregate_function', attr.string('SUM')]];
  if (spec.baseValues) attributes.push(['base_values', attr.floats(spec.baseValues)]);
  attributes.push(
    ['n_targets', attr.int(C)],
    ['nodes_falsenodeids', attr.ints(nodes.falseNodeIds)],
    ['nodes_featureids', attr.ints(nodes.featureIds)],
    ['nodes_modes', attr.strings(nodes.modes)],
    ['nodes_nodeids', attr.ints(nodes.nodeIds)],
    ['nodes_treeids', attr.ints(nodes.treeIds)],
    ['nodes_truenodeids', attr.ints(nodes.trueNodeIds)],
    ['nodes_values', attr.floats(nodes.values)],
    ['post_transform', attr.string('NONE')],
    ['target_ids', attr.ints(leaves.classIds)],
    ['target_nodeids', attr.ints(leaves.nodeIds)],
    ['target_treeids', attr.ints(leaves.treeIds)],
    ['target_weights', attr.floats(leaves.weights)],
  );
  const scores = spec.probabilities === 'votes' ? ONNX_PROBABILITIES : 'scores';
  const graph: OnnxNode[] = [
    {
      opType: 'TreeEnsembleRegressor',
      domain: 'ai.onnx.ml',
      name: 'trees',
      inputs: [ONNX_INPUT],
      outputs: [scores],
      attributes,
    },
  ];
  if (spec.probabilities === 'softmax') {
    graph.push({
      opType: 'Softmax',
      domain: '',
      name: 'softmax',
      inputs: [scores],
      outputs: [ONNX_PROBABILITIES],
      attributes: [['axis', attr.int(1)]],
    });
  }
  graph.push(
    {
      opType: 'ArgMax',
      domain: '',
      name: 'argmax',
      inputs: [scores],
      outputs: ['class_index'],
      attributes: [
        ['axis', attr.int(1)],
        ['keepdims', attr.int(0)],
        ['select_last_index', attr.int(0)],
      ],
    },
    {
      opType: 'LabelEncoder',
      domain: 'ai.onnx.ml',
      name: 'class_label',
      inputs: ['class_index'],
      outputs: [ONNX_LABEL],
      attributes: [
        ['default_string', attr.string('')],
        ['keys_int64s', attr.ints(Array.from({ length: C }, (_, k) => k))],
        ['values_strings', attr.strings(spec.classes)],
      ],
    },
  );
  return encodeClassifier(spec, graph);
}

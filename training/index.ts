export { type FlatTree, treeDepth } from './algorithms/cart.js';
export {
  FOREST_DEFAULTS,
  GBT_DEFAULTS,
  LOGREG_DEFAULTS,
  PARAM_DEFAULTS,
  PARAM_SPECS,
  type ParamIssue,
  type ParamSpec,
  paramIssues,
  TREE_DEFAULTS,
} from './algorithms/defaults.js';
export { RandomForest } from './algorithms/forest.js';
export { GradientBoostedTrees } from './algorithms/gbt.js';
export { LogisticRegression } from './algorithms/logreg.js';
export { ALGORITHM_SPECS, type AlgorithmSpec, algorithmSpec, loadModel } from './algorithms/registry.js';
export { DecisionTree } from './algorithms/tree.js';
export {
  type Baseline,
  baselineStats,
  binIndex,
  confusionMatrixSvg,
  type FeatureBaseline,
  type ModelCard,
  type ModelCardInput,
  modelCard,
  populationStabilityIndex,
} from './artifacts.js';
export {
  BUILTIN_DATASETS,
  type BuiltinDatasetName,
  type BuiltinDatasetSource,
  builtinDataDirs,
  builtinDataset,
  builtinDatasetPath,
  isBuiltinDatasetName,
  loadBuiltinDataset,
  readBuiltinDataset,
} from './builtin-datasets.js';
export { parseCsv } from './csv.js';
export {
  type Dataset,
  type FeatureSchema,
  type ParseDatasetOptions,
  parseDataset,
  selectRows,
} from './dataset.js';
export { DatasetError, type DatasetErrorCode, ModelFormatError, TrainingError } from './errors.js';
export { type ClassMetrics, confusionMatrix, evaluate, logLoss, type Metrics } from './evaluate.js';
export {
  ALGORITHMS,
  type Algorithm,
  type ModelJson,
  type Params,
  type ParamValue,
  type TrainedModel,
} from './model.js';
export { ONNX_INPUT, ONNX_LABEL, ONNX_PROBABILITIES } from './onnx/classifier-graphs.js';
export {
  encodeModel,
  type OnnxGraph,
  type OnnxModelOptions,
  type OnnxNode,
  type OnnxValueInfo,
  TensorElemType,
} from './onnx/onnx-model.js';
export { deriveSeed, mulberry32 } from './random.js';
export {
  type Candidate,
  type CandidateScore,
  type EvaluationSplits,
  evaluationSplits,
  PARAM_SPACES,
  ranksAbove,
  runSearch,
  type SearchMetric,
  type SearchOptions,
  type SearchResult,
  type SearchSpaceOptions,
  type SearchStrategy,
  scoreCandidate,
  scoreOf,
  searchSpace,
  type TrialReport,
} from './search.js';
export { type SplitIndices, stratifiedKFold, stratifiedSplit } from './split.js';
export { type TrainOptions, type TrainResult, trainModel } from './train.js';

"""Scores an exported model the way the ONNX specification defines it, independently of onnxruntime.

Usage: python3 onnx_reference.py <model.onnx> <rows.json>  ->  JSON {evaluator, labels, probabilities}

The model is first validated with onnx.checker (full check, including shape inference). Then it is run
with onnx's own ReferenceEvaluator when the installed onnx has one (onnx >= 1.13); Debian's python3-onnx
(1.12) has none, so otherwise the graph is interpreted here with numpy, op by op, from the operator
definitions in the ONNX and ONNX-ML specs (only the ops our exporter emits). Either way no onnxruntime
code is involved, so a graph that relies on one runtime's special cases shows up as a mismatch.
"""
import json
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper


def attributes(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def text(value):
    return value.decode() if isinstance(value, bytes) else value


def softmax(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def post_transform(scores, name):
    name = text(name or b"NONE")
    if name == "NONE":
        return scores
    if name == "SOFTMAX":
        return softmax(scores, 1)
    if name == "LOGISTIC":
        return 1 / (1 + np.exp(-scores))
    raise ValueError(f"post_transform {name} not interpreted")


def tree_ensemble_regressor(x, a):
    nodes = {}
    for i, (tree, node) in enumerate(zip(a["nodes_treeids"], a["nodes_nodeids"])):
        nodes[(tree, node)] = i
    leaf_votes = {}
    for tree, node, target, weight in zip(
        a["target_treeids"], a["target_nodeids"], a["target_ids"], a["target_weights"]
    ):
        leaf_votes.setdefault((tree, node), []).append((target, weight))
    trees = sorted(set(a["nodes_treeids"]))
    n_targets = a["n_targets"]
    out = np.zeros((x.shape[0], n_targets), dtype=np.float64)
    for r, row in enumerate(x):
        for tree in trees:
            node = min(n for t, n in nodes if t == tree)
            while True:
                i = nodes[(tree, node)]
                mode = text(a["nodes_modes"][i])
                if mode == "LEAF":
                    break
                value = np.float32(row[a["nodes_featureids"][i]])
                threshold = np.float32(a["nodes_values"][i])
                taken = {
                    "BRANCH_LEQ": value <= threshold,
                    "BRANCH_LT": value < threshold,
                    "BRANCH_GTE": value >= threshold,
                    "BRANCH_GT": value > threshold,
                    "BRANCH_EQ": value == threshold,
                    "BRANCH_NEQ": value != threshold,
                }[mode]
                node = a["nodes_truenodeids"][i] if taken else a["nodes_falsenodeids"][i]
            for target, weight in leaf_votes.get((tree, node), []):
                out[r, target] += weight
    if text(a.get("aggregate_function", b"SUM")) != "SUM":
        raise ValueError("only aggregate_function SUM is interpreted")
    out += np.asarray(a.get("base_values") or [0.0] * n_targets, dtype=np.float64)
    return post_transform(out, a.get("post_transform")).astype(np.float32)


def tree_ensemble_classifier(x, a):
    labels = [text(s) for s in a["classlabels_strings"]]
    as_regressor = dict(a, n_targets=len(labels), post_transform=b"NONE")
    for ours, theirs in [("target_treeids", "class_treeids"), ("target_nodeids", "class_nodeids"),
                         ("target_ids", "class_ids"), ("target_weights", "class_weights")]:
        as_regressor[ours] = a[theirs]
    scores = tree_ensemble_regressor(x, as_regressor).astype(np.float64)
    label = np.array([labels[i] for i in np.argmax(scores, axis=1)], dtype=object)
    return label, post_transform(scores, a.get("post_transform")).astype(np.float32)


def linear_classifier(x, a):
    labels = [text(s) for s in a["classlabels_strings"]]
    coef = np.asarray(a["coefficients"], dtype=np.float64).reshape(-1, x.shape[1])
    scores = x.astype(np.float64) @ coef.T + np.asarray(a["intercepts"], dtype=np.float64)
    if coef.shape[0] != len(labels):
        raise ValueError("only one coefficient row per class is interpreted")
    label = np.array([labels[i] for i in np.argmax(scores, axis=1)], dtype=object)
    return label, post_transform(scores, a.get("post_transform")).astype(np.float32)


def interpret(model, x):
    values = {model.graph.input[0].name: x}
    for init in model.graph.initializer:
        values[init.name] = numpy_helper.to_array(init)
    for node in model.graph.node:
        a = attributes(node)
        args = [values[name] for name in node.input]
        op = node.op_type
        if op == "Scaler":
            out = [((args[0] - np.asarray(a["offset"], np.float32)) * np.asarray(a["scale"], np.float32))]
        elif op == "LinearClassifier":
            out = list(linear_classifier(args[0], a))
        elif op == "TreeEnsembleClassifier":
            out = list(tree_ensemble_classifier(args[0], a))
        elif op == "TreeEnsembleRegressor":
            out = [tree_ensemble_regressor(args[0], a)]
        elif op == "Softmax":
            out = [softmax(args[0].astype(np.float64), a.get("axis", -1)).astype(np.float32)]
        elif op == "ArgMax":
            axis, keep = a.get("axis", 0), a.get("keepdims", 1)
            data = np.flip(args[0], axis) if a.get("select_last_index", 0) else args[0]
            index = np.argmax(data, axis=axis)
            if a.get("select_last_index", 0):
                index = data.shape[axis] - 1 - index
            out = [np.expand_dims(index, axis) if keep else index]
        elif op == "LabelEncoder":
            table = dict(zip(a["keys_int64s"], [text(s) for s in a["values_strings"]]))
            default = text(a.get("default_string", b"_Unused"))
            out = [np.array([table.get(int(k), default) for k in args[0].reshape(-1)], dtype=object)]
        else:
            raise ValueError(f"op {op} is not interpreted")
        for name, value in zip(node.output, out):
            values[name] = value
    return [values[o.name] for o in model.graph.output]


def main():
    model = onnx.load(sys.argv[1])
    onnx.checker.check_model(model, full_check=True)
    x = np.asarray(json.load(open(sys.argv[2])), dtype=np.float32)
    try:
        from onnx.reference import ReferenceEvaluator
    except ImportError:
        evaluator = "spec interpreter (numpy; onnx %s has no onnx.reference)" % onnx.__version__
        outputs = interpret(model, x)
    else:
        evaluator = "onnx.reference %s" % onnx.__version__
        outputs = ReferenceEvaluator(model).run(None, {model.graph.input[0].name: x})
    names = [o.name for o in model.graph.output]
    result = dict(zip(names, outputs))
    print(
        json.dumps(
            {
                "evaluator": evaluator,
                "labels": [text(l) for l in result["label"].tolist()],
                "probabilities": np.asarray(result["probabilities"], dtype=np.float64).tolist(),
            }
        )
    )


main()

"""The evaluation bench's reference: scikit-learn's split and models on the built-in datasets.

Reads {"datasets": [{"name", "path", "target"}]} on stdin; for each, a stratified 75/25 split with
train_test_split(test_size=0.25, random_state=0, stratify=y), then held-out accuracy of
LogisticRegression (behind a StandardScaler, as our logreg standardises), RandomForest(100),
HistGradientBoosting and DecisionTree fit on the 75 %. Prints JSON with the row indices of both parts.
"""
import csv
import json
import sys

import numpy as np
import sklearn
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

MODELS = {
    "LogisticRegression": lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
    "RandomForest(100)": lambda: RandomForestClassifier(n_estimators=100, random_state=0),
    "HistGradientBoosting": lambda: HistGradientBoostingClassifier(random_state=0),
    "DecisionTree": lambda: DecisionTreeClassifier(random_state=0),
}

out = {"sklearn": sklearn.__version__, "datasets": {}}
for spec in json.load(sys.stdin)["datasets"]:
    with open(spec["path"], newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], [r for r in rows[1:] if r]
    t = header.index(spec["target"])
    y = np.array([r[t] for r in body])
    X = np.array([[float(v) for j, v in enumerate(r) if j != t] for r in body])
    train, test = train_test_split(np.arange(len(y)), test_size=0.25, random_state=0, stratify=y)
    scores = {}
    for name, make in MODELS.items():
        model = make().fit(X[train], y[train])
        scores[name] = float((model.predict(X[test]) == y[test]).mean())
    out["datasets"][spec["name"]] = {
        "train": sorted(int(i) for i in train),
        "test": sorted(int(i) for i in test),
        "scores": scores,
    }
print(json.dumps(out))

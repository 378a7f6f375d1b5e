"""scikit-learn side of `npm run bench:training` (run with Debian's /usr/bin/python3 + python3-sklearn).

usage: sklearn_fit.py <train.csv> <test.csv> <model> '<params json>'
       sklearn_fit.py --iris
Prints one JSON line: fit wall and CPU seconds, test accuracy, library version. The CSVs have a
header, numeric feature columns and the label last (what bench/training.ts writes).
"""
import json
import sys
import time


def load(path):
    import numpy as np

    with open(path) as f:
        header = f.readline().strip().split(",")
    n = len(header) - 1
    X = np.loadtxt(path, delimiter=",", skiprows=1, usecols=range(n), dtype=np.float32)
    y = np.loadtxt(path, delimiter=",", skiprows=1, usecols=[n], dtype=str)
    return X, y


def iris():
    # The whole-script baseline of `mlops train` on iris: import, load, split, fit, evaluate.
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score
    from sklearn.model_selection import train_test_split

    X, y = load_iris(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, random_state=42, stratify=y)
    model = LogisticRegression(max_iter=200).fit(Xtr, ytr)
    import os

    t = os.times()
    print(json.dumps({"accuracy": accuracy_score(yte, model.predict(Xte)), "cpuS": t.user + t.system}))


def main():
    if sys.argv[1] == "--iris":
        return iris()
    import sklearn
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression

    train, test, name, params = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
    models = {
        "hgb": HistGradientBoostingClassifier,
        "forest": RandomForestClassifier,
        "logreg": LogisticRegression,
    }
    Xtr, ytr = load(train)
    Xte, yte = load(test)
    model = models[name](**params)
    wall, cpu = time.perf_counter(), time.process_time()
    model.fit(Xtr, ytr)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        json.dumps(
            {
                "fitWallS": wall,
                "fitCpuS": cpu,
                "accuracy": float(model.score(Xte, yte)),
                "version": sklearn.__version__,
            }
        )
    )


main()

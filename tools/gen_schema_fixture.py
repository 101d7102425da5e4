#!/usr/bin/env python3
"""Write the parameter names and shapes PyTorch gives recurrent modules (tests/FastRnn.Tests/Fixtures/schema/).

For each module below, state_dict.json records module.state_dict() as PyTorch orders it: a list of
[name, shape] pairs, with the constructor arguments. The schema tests compare RecurrentParameterSchema's
names, order and shapes for the same configuration with these. No weights are stored (the names and
shapes do not depend on them), so the file is the same on every run.

Usage: /usr/bin/python3 tools/gen_schema_fixture.py [--out DIR]
"""

import argparse
import json
import os

import torch
from torch import nn

CASES = [
    ("LSTM", dict(input_size=5, hidden_size=12, num_layers=2, bidirectional=True, proj_size=4)),
    ("LSTM", dict(input_size=3, hidden_size=7, num_layers=3, bias=False)),
    ("LSTM", dict(input_size=2, hidden_size=6, proj_size=2)),
    ("GRU", dict(input_size=4, hidden_size=9, num_layers=2, bidirectional=True)),
    ("GRU", dict(input_size=6, hidden_size=3, bias=False, bidirectional=True)),
    ("RNN", dict(input_size=8, hidden_size=5, num_layers=2, nonlinearity="relu")),
    ("RNN", dict(input_size=1, hidden_size=1, bidirectional=True)),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "tests", "FastRnn.Tests", "Fixtures", "schema"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    cases = []
    for kind, kwargs in CASES:
        module = getattr(nn, kind)(**kwargs)
        cases.append({
            "module": kind,
            "args": kwargs,
            "state_dict": [[name, list(t.shape)] for name, t in module.state_dict().items()],
        })
    document = {"generator": "tools/gen_schema_fixture.py", "torch": torch.__version__, "cases": cases}
    path = os.path.join(args.out, "state_dict.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(document, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {path}: {len(cases)} modules")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Generate the ONNX external-data fixtures (tests/FastRnn.Tests/Fixtures/onnx-external/).

Two torch.onnx.export models (opset 14), each written three ways by onnx.save:

* lstm: nn.LSTM(4, 8, num_layers=2), input (T, B, 4) with dynamic T and B, outputs Y, Y_h, Y_c — the
  recurrent importer's path (a recurrent stack and its wrappers).
* lstm_linear: nn.LSTM(4, 8, batch_first=True) then nn.Linear(8, 3) on every step, input (1, 6, 4) fixed —
  the graph importer's path (a MatMul/Add head around the LSTM).

For each model NAME:

* NAME.onnx: weights inside (the reference; ONNX Runtime runs it as the oracle);
* NAME_one/model.onnx + NAME_one/weights.bin: save_as_external_data=True, all_tensors_to_one_file=True;
* NAME_many/model.onnx + one file per tensor: all_tensors_to_one_file=False.

size_threshold=0 and convert_attribute=True, so every initializer and every Constant node's tensor (the
int64 shape constants included) is external. Tensor names are made file-name safe first (onnx names each
per-tensor file after its tensor, or a random uuid when the name is not a valid file name), and the tensors of
Constant (and ConstantOfShape) nodes get names, so the output is reproducible byte for byte.

Made with PyTorch 1.13 and onnx 1.12. Usage: /usr/bin/python3 tools/gen_onnx_external_fixtures.py [--out DIR]
"""

import argparse
import copy
import io
import os
import re
import shutil

import onnx
import torch
from torch import nn

SEED = 20261201
OPSET = 14


class LstmLinear(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(4, 8, batch_first=True)
        self.linear = nn.Linear(8, 3)

    def forward(self, x):                 # (1, 6, 4)
        y, _ = self.lstm(x)
        return self.linear(y)             # (1, 6, 3)


def export(module, args, inputs, outputs, dynamic_axes=None):
    buffer = io.BytesIO()
    torch.onnx.export(module, args, buffer, opset_version=OPSET, input_names=inputs, output_names=outputs,
                      dynamic_axes=dynamic_axes)
    return onnx.load_from_string(buffer.getvalue())


def safe_names(model):
    """Renames initializers to file-name-safe names and names every Constant node's tensor."""
    graph = model.graph
    renames = {}
    for i, t in enumerate(graph.initializer):
        new = "w%d_%s" % (i, re.sub(r"[^A-Za-z0-9._]", "_", t.name))
        renames[t.name] = new
        t.name = new
    for node in graph.node:
        for k, name in enumerate(node.input):
            if name in renames:
                node.input[k] = renames[name]
    tensors = [a.t for n in graph.node for a in n.attribute if a.type == onnx.AttributeProto.TENSOR]
    for i, t in enumerate(tensors):
        t.name = "const%d" % i
    return model


def save_all(model, out, name):
    inline = os.path.join(out, name + ".onnx")
    onnx.checker.check_model(model)
    onnx.save(model, inline)
    print(inline)
    for suffix, one in (("_one", True), ("_many", False)):
        folder = os.path.join(out, name + suffix)
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        path = os.path.join(folder, "model.onnx")
        onnx.save(copy.deepcopy(model), path, save_as_external_data=True, all_tensors_to_one_file=one,
                  location="weights.bin" if one else None, size_threshold=0, convert_attribute=True)
        onnx.checker.check_model(path)
        print(path, sorted(os.listdir(folder)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "tests", "FastRnn.Tests", "Fixtures", "onnx-external"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    torch.manual_seed(SEED)
    lstm = nn.LSTM(4, 8, num_layers=2).eval()
    model = export(lstm, (torch.zeros(5, 2, 4),), ["X"], ["Y", "Y_h", "Y_c"],
                   dynamic_axes={"X": {0: "T", 1: "B"}, "Y": {0: "T", 1: "B"}, "Y_h": {1: "B"}, "Y_c": {1: "B"}})
    save_all(safe_names(model), args.out, "lstm")

    torch.manual_seed(SEED + 1)
    head = LstmLinear().eval()
    save_all(safe_names(export(head, (torch.zeros(1, 6, 4),), ["x"], ["y"])), args.out, "lstm_linear")


if __name__ == "__main__":
    main()

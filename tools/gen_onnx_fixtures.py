#!/usr/bin/env python3
"""Generate the ONNX models of FastRnn.Import's ONNX tests (tests/FastRnn.Tests/Fixtures/onnx/).

Only models are written: the tests draw their own seeded inputs and run every model through ONNX Runtime
(the oracle) and through FastRnn, so no golden outputs are stored here.

Three families:

* Single LSTM / GRU / RNN nodes built with onnx.helper (opset 14, IR version 8), one per attribute the
  importer must honour: direction (forward, reverse, bidirectional), layout 0 and 1, clip, activations with
  and without activation_alpha / activation_beta, peepholes, input_forget, linear_before_reset 0 and 1,
  sequence_lens as a graph input and as a constant, initial_h / initial_c as graph inputs and as
  initializers, and no B. Weights are float32 uniform(-0.6, 0.6) from a seeded numpy generator.
* "<name>.reference.onnx" twins of the layout-1 models: ONNX Runtime's CPU LSTM, GRU and RNN refuse
  layout = 1, so each twin states what layout = 1 means in plain ONNX (Transpose the batch-major
  X, initial_h, initial_c to time-major, run the same node with layout = 0, Transpose Y, Y_h, Y_c back) with
  identical inputs and outputs. The tests run ONNX Runtime on the twin.
* Exports and exporter-shaped graphs: torch.onnx.export (opset 14) of nn.LSTM(2 layers, bidirectional)
  with and without h0/c0 inputs, nn.GRU(batch_first=True) and nn.RNN(relu, 2 layers); a graph shaped like
  tf2onnx's output for a Keras LSTM (opset 11: batch-major input, Transpose, a zero state built from
  Shape/Gather/Unsqueeze/Concat/ConstantOfShape, Squeeze with an axes attribute); and one model with an
  unsupported head (MatMul, Add) for the error test.

Usage: /usr/bin/python3 tools/gen_onnx_fixtures.py [--out DIR] [--seed N]
"""

import argparse
import io
import os
import zlib

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper
from torch import nn

BASE_SEED = 20240801
OPSET = 14
IR_VERSION = 8
FLOAT = TensorProto.FLOAT
GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}


def rng_for(name, seed):
    return np.random.default_rng((seed + zlib.crc32(name.encode())) % 2**31)


def uniform(rng, shape, scale=0.6):
    return rng.uniform(-scale, scale, size=shape).astype(np.float32)


def vi(name, shape, elem=FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


def save(model, out, name):
    onnx.checker.check_model(model)
    path = os.path.join(out, name + ".onnx")
    onnx.save(model, path)
    return path


def make_model(nodes, inputs, outputs, initializers, name, opset=OPSET):
    graph = helper.make_graph(nodes, name, inputs, outputs, initializer=initializers)
    model = helper.make_model(graph, producer_name="tools/gen_onnx_fixtures.py",
                              opset_imports=[helper.make_operatorsetid("", opset)])
    model.ir_version = IR_VERSION
    return model


class Rnn:
    """One recurrent node with its weights, and the graph around it."""

    def __init__(self, name, op, I=4, H=5, direction="forward", layout=0, bias=True, peepholes=False,
                 scale=0.6, attrs=None, T="T", B="B"):
        self.name, self.op, self.I, self.H = name, op, I, H
        self.direction, self.layout, self.bias, self.peepholes = direction, layout, bias, peepholes
        self.attrs = dict(attrs or {})
        self.D = 2 if direction == "bidirectional" else 1
        self.T, self.B = T, B
        g = GATES[op]
        rng = self.rng = rng_for(name, ARGS.seed)
        self.W = uniform(rng, (self.D, g * H, I), scale)
        self.R = uniform(rng, (self.D, g * H, H), scale)
        self.Bias = uniform(rng, (self.D, 2 * g * H), scale) if bias else None
        self.P = uniform(rng, (self.D, 3 * H), scale) if peepholes else None
        self.initializers = [numpy_helper.from_array(self.W, "W"), numpy_helper.from_array(self.R, "R")]
        if bias:
            self.initializers.append(numpy_helper.from_array(self.Bias, "B"))
        if peepholes:
            self.initializers.append(numpy_helper.from_array(self.P, "P"))
        self.inputs = []
        self.node_inputs = {"X": "X", "W": "W", "R": "R", "B": "B" if bias else "", "sequence_lens": "",
                            "initial_h": "", "initial_c": "", "P": "P" if peepholes else ""}

    def batch_major(self):
        return self.layout == 1

    def x_shape(self):
        return [self.B, self.T, self.I] if self.batch_major() else [self.T, self.B, self.I]

    def state_shape(self, B=None):
        B = self.B if B is None else B
        return [B, self.D, self.H] if self.batch_major() else [self.D, B, self.H]

    def y_shape(self):
        return [self.B, self.T, self.D, self.H] if self.batch_major() else [self.T, self.D, self.B, self.H]

    def state_input(self, which):
        self.node_inputs[which] = which
        self.inputs.append(vi(which, self.state_shape()))

    def state_initializer(self, which, batch):
        value = uniform(self.rng, self.state_shape(batch), 1.0)
        self.initializers.append(numpy_helper.from_array(value, which))
        self.node_inputs[which] = which

    def lengths_input(self):
        self.node_inputs["sequence_lens"] = "sequence_lens"
        self.inputs.append(vi("sequence_lens", [self.B], TensorProto.INT32))

    def lengths_initializer(self, lengths):
        self.initializers.append(numpy_helper.from_array(np.array(lengths, dtype=np.int32), "sequence_lens"))
        self.node_inputs["sequence_lens"] = "sequence_lens"

    def node(self, x="X", outputs=None, layout=None, inputs=None):
        order = ["X", "W", "R", "B", "sequence_lens", "initial_h"]
        if self.op == "LSTM":
            order += ["initial_c", "P"]
        names = dict(self.node_inputs, **(inputs or {}))
        names["X"] = x
        ins = [names[k] for k in order]
        while ins and ins[-1] == "":
            ins.pop()
        attrs = dict(self.attrs, hidden_size=self.H)
        if self.direction != "forward" or "direction" in attrs:
            attrs.setdefault("direction", self.direction)
        layout = self.layout if layout is None else layout
        if layout:
            attrs["layout"] = layout
        outs = outputs or (["Y", "Y_h", "Y_c"] if self.op == "LSTM" else ["Y", "Y_h"])
        return helper.make_node(self.op, ins, outs, name=self.op.lower(), **attrs)

    def outputs(self):
        outs = [vi("Y", self.y_shape()), vi("Y_h", self.state_shape())]
        if self.op == "LSTM":
            outs.append(vi("Y_c", self.state_shape()))
        return outs

    def model(self):
        inputs = [vi("X", self.x_shape())] + self.inputs
        return make_model([self.node()], inputs, self.outputs(), self.initializers, self.name)

    def reference_model(self):
        """The layout-1 node as plain ONNX: Transposes around the same node with layout 0."""
        assert self.batch_major()
        nodes = [helper.make_node("Transpose", ["X"], ["X_tm"], perm=[1, 0, 2])]
        renamed = {}
        for which in ("initial_h", "initial_c"):
            if self.node_inputs[which] and any(i.name == which for i in self.inputs):
                nodes.append(helper.make_node("Transpose", [which], [which + "_tm"], perm=[1, 0, 2]))
                renamed[which] = which + "_tm"
        inner = ["Y_tm", "Y_h_tm", "Y_c_tm"] if self.op == "LSTM" else ["Y_tm", "Y_h_tm"]
        nodes.append(self.node(x="X_tm", outputs=inner, layout=0, inputs=renamed))
        nodes.append(helper.make_node("Transpose", ["Y_tm"], ["Y"], perm=[2, 0, 1, 3]))
        for state in inner[1:]:
            nodes.append(helper.make_node("Transpose", [state], [state[:-3]], perm=[1, 0, 2]))
        inputs = [vi("X", self.x_shape())] + self.inputs
        return make_model(nodes, inputs, self.outputs(), self.initializers, self.name + "_reference")


def single_node_cases():
    """(Rnn, what it covers) for every single-node fixture."""
    cases = []

    def add(rnn, note, setup=None):
        if setup:
            setup(rnn)
        cases.append((rnn, note))

    add(Rnn("lstm_forward", "LSTM"), "forward; X only")
    add(Rnn("lstm_reverse", "LSTM", direction="reverse"), "direction=reverse")
    add(Rnn("lstm_bidirectional", "LSTM", direction="bidirectional"), "direction=bidirectional")
    add(Rnn("lstm_layout1", "LSTM", direction="bidirectional", layout=1),
        "layout=1 (batch-major X, Y, states), initial_h/initial_c graph inputs",
        lambda r: (r.state_input("initial_h"), r.state_input("initial_c")))
    add(Rnn("lstm_clip", "LSTM", direction="bidirectional", scale=1.5, attrs={"clip": 0.5}), "clip=0.5, weights ×2.5 so it bites")
    add(Rnn("lstm_activations", "LSTM", direction="bidirectional", attrs={
        "activations": ["HardSigmoid", "LeakyRelu", "ScaledTanh", "Sigmoid", "Softsign", "Elu"],
        "activation_alpha": [0.3, 0.2, 0.8, 0.5], "activation_beta": [0.4, 1.2]}),
        "f=HardSigmoid(0.3,0.4) g=LeakyRelu(0.2) h=ScaledTanh(0.8,1.2); backward f=Sigmoid g=Softsign h=Elu(0.5)")
    add(Rnn("lstm_activation_defaults", "LSTM", direction="bidirectional", T=6, B=2, attrs={
        "activations": ["HardSigmoid", "Elu", "LeakyRelu", "ThresholdedRelu", "Affine", "ScaledTanh"]}),
        "activations without alpha/beta: each function's default; initial_c initializer (B = 2)",
        lambda r: r.state_initializer("initial_c", 2))
    add(Rnn("lstm_peepholes", "LSTM", direction="bidirectional", peepholes=True), "P (peepholes)")
    add(Rnn("lstm_input_forget", "LSTM", attrs={"input_forget": 1}), "input_forget=1")
    add(Rnn("lstm_input_forget_peepholes", "LSTM", direction="reverse", peepholes=True, attrs={"input_forget": 1}),
        "input_forget=1 with peepholes, reverse")
    add(Rnn("lstm_seqlens_bidirectional", "LSTM", direction="bidirectional"),
        "sequence_lens graph input; initial_h/initial_c graph inputs",
        lambda r: (r.lengths_input(), r.state_input("initial_h"), r.state_input("initial_c")))
    add(Rnn("lstm_initial_const", "LSTM", direction="bidirectional", B=3),
        "initial_h/initial_c initializers (B = 3)",
        lambda r: (r.state_initializer("initial_h", 3), r.state_initializer("initial_c", 3)))
    add(Rnn("lstm_nobias", "LSTM", bias=False), "no B")
    add(Rnn("gru_forward", "GRU"), "linear_before_reset absent (0, the default)")
    add(Rnn("gru_bidirectional_lbr1", "GRU", direction="bidirectional", attrs={"linear_before_reset": 1}),
        "linear_before_reset=1, bidirectional")
    add(Rnn("gru_reverse_lbr0", "GRU", direction="reverse", attrs={"linear_before_reset": 0}),
        "linear_before_reset=0 written out, reverse")
    add(Rnn("gru_activations", "GRU", direction="bidirectional", attrs={
        "activations": ["Sigmoid", "Softsign", "HardSigmoid", "Elu"],
        "activation_alpha": [0.25, 0.7], "activation_beta": [0.45], "linear_before_reset": 1}),
        "f=Sigmoid g=Softsign; backward f=HardSigmoid(0.25,0.45) g=Elu(0.7)")
    add(Rnn("gru_activation_defaults", "GRU", attrs={"activations": ["ThresholdedRelu", "LeakyRelu"]}),
        "ThresholdedRelu and LeakyRelu without alpha")
    add(Rnn("gru_clip", "GRU", direction="bidirectional", scale=1.5, attrs={"clip": 0.6, "linear_before_reset": 1}), "clip=0.6")
    add(Rnn("gru_layout1", "GRU", direction="bidirectional", layout=1, attrs={"linear_before_reset": 1}),
        "layout=1, initial_h graph input", lambda r: r.state_input("initial_h"))
    add(Rnn("gru_seqlens_reverse", "GRU", direction="reverse", attrs={"linear_before_reset": 1}),
        "sequence_lens graph input, reverse", lambda r: r.lengths_input())
    add(Rnn("gru_initial_const", "GRU", B=3), "initial_h initializer (B = 3)", lambda r: r.state_initializer("initial_h", 3))
    add(Rnn("gru_nobias", "GRU", direction="bidirectional", bias=False, attrs={"linear_before_reset": 1}), "no B")
    add(Rnn("rnn_forward", "RNN"), "Tanh by default; initial_h graph input", lambda r: r.state_input("initial_h"))
    add(Rnn("rnn_relu_bidirectional", "RNN", direction="bidirectional", scale=0.4, attrs={"activations": ["Relu", "Relu"]}), "Relu")
    add(Rnn("rnn_activations", "RNN", direction="bidirectional", attrs={
        "activations": ["Elu", "LeakyRelu"], "activation_alpha": [0.5, 0.3]}), "Elu(0.5); backward LeakyRelu(0.3)")
    add(Rnn("rnn_elu", "RNN", attrs={"activations": ["Elu"], "activation_alpha": [0.5]}), "Elu(0.5)")
    add(Rnn("rnn_activation_defaults", "RNN", direction="bidirectional", attrs={"activations": ["Elu", "LeakyRelu"]}),
        "Elu and LeakyRelu without alpha")
    add(Rnn("rnn_alpha_consumed", "RNN", direction="bidirectional", attrs={"activations": ["Relu", "Elu"], "activation_alpha": [0.7]}),
        "Relu; backward Elu(0.7): the one alpha goes to the first function that takes one")
    add(Rnn("rnn_clip_reverse", "RNN", direction="reverse", scale=1.5, attrs={"clip": 0.4}), "clip=0.4, reverse")
    add(Rnn("rnn_layout1", "RNN", layout=1), "layout=1, initial_h graph input", lambda r: r.state_input("initial_h"))
    add(Rnn("rnn_seqlens_const", "RNN", direction="bidirectional", B=3), "sequence_lens initializer [5, 2, 3] (B = 3)",
        lambda r: r.lengths_initializer([5, 2, 3]))
    add(Rnn("rnn_nobias", "RNN", bias=False), "no B")
    return cases


def unsupported_head(out):
    """An LSTM followed by a linear head: MatMul and Add are not recurrent wrappers."""
    r = Rnn("lstm_matmul_head", "LSTM")
    head_w = numpy_helper.from_array(uniform(r.rng, (r.H, 2)), "head_W")
    head_b = numpy_helper.from_array(uniform(r.rng, (2,)), "head_b")
    axes = numpy_helper.from_array(np.array([1], dtype=np.int64), "squeeze_axes")
    nodes = [r.node(outputs=["Y", "", ""]),
             helper.make_node("Squeeze", ["Y", "squeeze_axes"], ["Y_3d"]),
             helper.make_node("MatMul", ["Y_3d", "head_W"], ["logits_raw"]),
             helper.make_node("Add", ["logits_raw", "head_b"], ["logits"])]
    model = make_model(nodes, [vi("X", r.x_shape())], [vi("logits", ["T", "B", 2])],
                       r.initializers + [head_w, head_b, axes], r.name)
    return save(model, out, r.name)


def keras_style_lstm(out):
    """A Keras LSTM(return_sequences=True, return_state=True) the way tf2onnx lays it out (opset 11)."""
    r = Rnn("keras_style_lstm", "LSTM", I=3, H=4)
    c = lambda name, values: numpy_helper.from_array(np.array(values, dtype=np.int64), name)
    inits = r.initializers + [c("one_idx", 1), c("one_h", [1]), c("units", [r.H])]
    zero_state = [
        helper.make_node("Shape", ["X_tm"], ["x_shape"]),
        helper.make_node("Gather", ["x_shape", "one_idx"], ["batch"], axis=0),
        helper.make_node("Unsqueeze", ["batch"], ["batch_1"], axes=[0]),
        helper.make_node("Concat", ["one_h", "batch_1", "units"], ["state_shape"], axis=0),
        helper.make_node("ConstantOfShape", ["state_shape"], ["zeros"],
                         value=numpy_helper.from_array(np.zeros(1, dtype=np.float32))),
    ]
    nodes = [helper.make_node("Transpose", ["X"], ["X_tm"], perm=[1, 0, 2])] + zero_state + [
        r.node(x="X_tm", outputs=["Y_raw", "Y_h_raw", "Y_c_raw"], inputs={"initial_h": "zeros", "initial_c": "zeros"}),
        helper.make_node("Squeeze", ["Y_raw"], ["Y_tbh"], axes=[1]),
        helper.make_node("Transpose", ["Y_tbh"], ["sequence"], perm=[1, 0, 2]),
        helper.make_node("Squeeze", ["Y_h_raw"], ["state_h"], axes=[0]),
        helper.make_node("Squeeze", ["Y_c_raw"], ["state_c"], axes=[0]),
    ]
    model = make_model(nodes, [vi("X", ["B", "T", r.I])],
                       [vi("sequence", ["B", "T", r.H]), vi("state_h", ["B", r.H]), vi("state_c", ["B", r.H])],
                       inits, r.name, opset=11)
    return save(model, out, r.name)


def torch_exports(out):
    torch.set_num_threads(1)
    made = []

    def export(name, module, args, input_names, output_names, dynamic_axes=None):
        gen = torch.Generator().manual_seed((ARGS.seed + zlib.crc32(name.encode())) % 2**31)
        with torch.no_grad():
            for p in module.parameters():
                p.copy_(torch.rand(p.shape, generator=gen) * 1.2 - 0.6)
        buffer = io.BytesIO()
        torch.onnx.export(module, args, buffer, opset_version=OPSET, input_names=input_names,
                          output_names=output_names, dynamic_axes=dynamic_axes)
        model = onnx.load_from_string(buffer.getvalue())
        made.append(save(model, out, name))

    x = torch.zeros(7, 3, 4)
    h0 = torch.zeros(4, 3, 6)
    export("torch_lstm_l2_bi", nn.LSTM(4, 6, num_layers=2, bidirectional=True), (x, (h0, h0)),
           ["input", "h0", "c0"], ["output", "hn", "cn"],
           {"input": {0: "T", 1: "B"}, "h0": {1: "B"}, "c0": {1: "B"}, "output": {0: "T", 1: "B"}})
    export("torch_lstm_l2_bi_zero", nn.LSTM(4, 6, num_layers=2, bidirectional=True), (x,),
           ["input"], ["output", "hn", "cn"], {"input": {0: "T", 1: "B"}, "output": {0: "T", 1: "B"}})
    export("torch_gru_batch_first", nn.GRU(4, 5, batch_first=True), (torch.zeros(3, 7, 4),),
           ["input"], ["output", "hn"])
    export("torch_rnn_relu_l2", nn.RNN(4, 5, num_layers=2, nonlinearity="relu"), (x,),
           ["input"], ["output", "hn"], {"input": {0: "T", 1: "B"}, "output": {0: "T", 1: "B"}})
    return made


def main():
    global ARGS
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(here, "..", "tests", "FastRnn.Tests", "Fixtures", "onnx"))
    parser.add_argument("--seed", type=int, default=BASE_SEED)
    ARGS = parser.parse_args()
    os.makedirs(ARGS.out, exist_ok=True)
    for rnn, note in single_node_cases():
        save(rnn.model(), ARGS.out, rnn.name)
        if rnn.batch_major():
            save(rnn.reference_model(), ARGS.out, rnn.name + ".reference")
        print(f"{rnn.name}: {note}")
    print(unsupported_head(ARGS.out))
    print(keras_style_lstm(ARGS.out))
    for path in torch_exports(ARGS.out):
        print(path)


ARGS = None

if __name__ == "__main__":
    main()

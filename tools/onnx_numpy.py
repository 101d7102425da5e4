#!/usr/bin/env python3
"""A small NumPy interpreter of ONNX graphs, for checking exported graphs where no ONNX Runtime is installed.

Written from the ONNX operator specification (https://onnx.ai/onnx/operators/), not from any runtime's source.
It covers only the operators and attributes that tools/export_date_normalizer_onnx.py's graphs use, and raises on
anything else (an unknown operator, or an attribute it does not implement), so a graph it runs is a graph it
understands. Tensors keep the element type the graph says (float32 stays float32), so its results are float32
results, not a float64 idealisation.

Usage as a library:
    graph = OnnxNumpy(onnx.load("model.onnx"))
    outputs = graph.run({"input": array, ...})      # dict: output name -> numpy array
"""

import numpy as np
import onnx
from onnx import numpy_helper

# TensorProto element types the graphs use.
DTYPES = {onnx.TensorProto.FLOAT: np.float32, onnx.TensorProto.INT32: np.int32,
          onnx.TensorProto.INT64: np.int64, onnx.TensorProto.BOOL: np.bool_}


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _log_softmax(x, axis):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _gru(x, w, r, b, sequence_lens, initial_h, attrs):
    """ONNX GRU, gates in z, r, h order; linear_before_reset as given; default activations only.

    x (S, B, I), w (D, 3H, I), r (D, 3H, H), b (D, 6H) = [Wb ; Rb], sequence_lens (B), initial_h (D, B, H) ->
    Y (S, D, B, H), zero at t >= sequence_lens[b]; Y_h (D, B, H), each row's state after its last valid step.
    The reverse direction of row b starts at its own last valid step, sequence_lens[b] - 1.
    """
    seq, batch, _ = x.shape
    hidden = attrs["hidden_size"]
    directions = {"forward": [False], "reverse": [True], "bidirectional": [False, True]}[attrs.get("direction", "forward")]
    before_reset = attrs.get("linear_before_reset", 0)
    lens = np.full(batch, seq) if sequence_lens is None else sequence_lens.astype(np.int64)
    y = np.zeros((seq, len(directions), batch, hidden), dtype=x.dtype)
    y_h = np.zeros((len(directions), batch, hidden), dtype=x.dtype)
    for d, reverse in enumerate(directions):
        wz, wr, wh = np.split(w[d], 3)
        rz, rr, rh = np.split(r[d], 3)
        wbz, wbr, wbh, rbz, rbr, rbh = np.split(b[d], 6) if b is not None else [0] * 6
        h = np.zeros((batch, hidden), dtype=x.dtype) if initial_h is None else initial_h[d].copy()
        for n in range(batch):
            state = h[n]
            steps = range(lens[n] - 1, -1, -1) if reverse else range(lens[n])
            for t in steps:
                xt = x[t, n]
                z = _sigmoid(xt @ wz.T + state @ rz.T + wbz + rbz)
                rt = _sigmoid(xt @ wr.T + state @ rr.T + wbr + rbr)
                if before_reset:
                    cand = np.tanh(xt @ wh.T + rt * (state @ rh.T + rbh) + wbh)
                else:
                    cand = np.tanh(xt @ wh.T + (rt * state) @ rh.T + rbh + wbh)
                state = (1 - z) * cand + z * state
                y[t, d, n] = state
            y_h[d, n] = state
    return y, y_h


def _reshape(data, shape):
    shape = [data.shape[i] if s == 0 else int(s) for i, s in enumerate(shape)]  # allowzero = 0: 0 copies
    return data.reshape(shape)


def _topk(x, k, attrs):
    assert attrs.get("axis", -1) in (-1, x.ndim - 1) and x.ndim == 1 and attrs.get("sorted", 1) == 1
    # Stable sort: equal values keep the lower index first, as the specification asks.
    order = np.argsort(-x if attrs.get("largest", 1) else x, kind="stable")[:int(k[0])]
    return x[order], order.astype(np.int64)


def _scatter_elements(data, indices, updates, attrs):
    assert attrs.get("axis", 0) == 0 and data.ndim == 1 and "reduction" not in attrs
    out = data.copy()
    out[indices] = updates
    return out


def _gemm(a, b, c, attrs):
    a = a.T if attrs.get("transA", 0) else a
    b = b.T if attrs.get("transB", 0) else b
    return attrs.get("alpha", 1.0) * (a @ b) + attrs.get("beta", 1.0) * c


OPS = {
    "Add": lambda a, b, _: a + b,
    "Mul": lambda a, b, _: a * b,
    "Equal": lambda a, b, _: a == b,
    "Less": lambda a, b, _: a < b,
    "Not": lambda a, _: ~a,
    "Tanh": lambda a, _: np.tanh(a),
    "MatMul": lambda a, b, _: a @ b,
    "Gemm": _gemm,
    "Where": lambda c, a, b, _: np.where(c, a, b),
    "Cast": lambda a, attrs: a.astype(DTYPES[attrs["to"]]),
    "Shape": lambda a, _: np.array(a.shape, dtype=np.int64),
    "Gather": lambda data, idx, attrs: np.take(data, idx, axis=attrs.get("axis", 0)),
    "Transpose": lambda a, attrs: a.transpose(attrs["perm"]),
    "Reshape": lambda a, shape, _: _reshape(a, shape),
    "Unsqueeze": lambda a, axes, _: np.expand_dims(a, tuple(int(x) for x in axes)),
    "Squeeze": lambda a, axes, _: np.squeeze(a, tuple(int(x) for x in axes)),
    "Concat": lambda *args: np.concatenate(args[:-1], axis=args[-1]["axis"]),
    "Expand": lambda a, shape, _: a * np.ones(shape, dtype=a.dtype),  # bidirectional broadcast
    "Range": lambda start, limit, delta, _: np.arange(start, limit, delta, dtype=start.dtype),
    "ReduceProd": lambda a, attrs: np.prod(a, keepdims=bool(attrs.get("keepdims", 1))),
    "ReduceMax": lambda a, attrs: a.max(axis=tuple(attrs["axes"]), keepdims=bool(attrs.get("keepdims", 1))),
    # Equal maxima: the first index, as select_last_index = 0 asks.
    "ArgMax": lambda a, attrs: np.argmax(a, axis=attrs["axis"]) if not attrs.get("keepdims", 1) else None,
    "Softmax": lambda a, attrs: _softmax(a, attrs.get("axis", -1)),
    "LogSoftmax": lambda a, attrs: _log_softmax(a, attrs.get("axis", -1)),
    "ConstantOfShape": lambda shape, attrs: np.full(shape, attrs["value"][0] if "value" in attrs else 0.0,
                                                    dtype=attrs["value"].dtype if "value" in attrs else np.float32),
    "TopK": _topk,
    "ScatterElements": _scatter_elements,
    "GRU": lambda x, w, r, b, lens, h0, attrs: _gru(x, w, r, b, lens, h0, attrs),
}

# Attributes each operator may carry; any other is refused rather than ignored.
KNOWN_ATTRIBUTES = {
    "Cast": {"to"}, "Gather": {"axis"}, "Transpose": {"perm"}, "Reshape": {"allowzero"}, "Concat": {"axis"},
    "ReduceProd": {"keepdims"}, "ReduceMax": {"axes", "keepdims"}, "ArgMax": {"axis", "keepdims"},
    "Softmax": {"axis"}, "LogSoftmax": {"axis"}, "ConstantOfShape": {"value"}, "TopK": {"axis", "largest", "sorted"},
    "ScatterElements": {"axis"}, "Gemm": {"alpha", "beta", "transA", "transB"},
    "GRU": {"hidden_size", "direction", "linear_before_reset"},
}
ARITY = {"GRU": 6}


class OnnxNumpy:
    """Runs one onnx.ModelProto's graph on NumPy arrays, node by node in the (topological) order stored."""

    def __init__(self, model):
        self.graph = model.graph
        self.initializers = {t.name: numpy_helper.to_array(t) for t in self.graph.initializer}

    def run(self, feeds):
        values = dict(self.initializers)
        for inp in self.graph.input:
            want = DTYPES[inp.type.tensor_type.elem_type]
            if feeds[inp.name].dtype != want:
                raise TypeError(f"input {inp.name}: {feeds[inp.name].dtype}, the graph wants {want.__name__}")
            values[inp.name] = feeds[inp.name]
        for node in self.graph.node:
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
            if node.op_type == "Constant":
                values[node.output[0]] = numpy_helper.to_array(attrs["value"])
                continue
            if node.op_type not in OPS:
                raise NotImplementedError(f"operator {node.op_type} ({node.name})")
            unknown = set(attrs) - KNOWN_ATTRIBUTES.get(node.op_type, set())
            if unknown:
                raise NotImplementedError(f"{node.op_type} ({node.name}): attributes {sorted(unknown)}")
            if "direction" in attrs:
                attrs["direction"] = attrs["direction"].decode()
            if "value" in attrs:
                attrs["value"] = numpy_helper.to_array(attrs["value"])
            args = [values[name] if name else None for name in node.input]
            args += [None] * (ARITY.get(node.op_type, len(args)) - len(args))
            result = OPS[node.op_type](*args, attrs)
            if result is None:
                raise NotImplementedError(f"{node.op_type} ({node.name}) with attributes {attrs}")
            results = result if isinstance(result, tuple) else (result,)
            for name, value in zip(node.output, results):
                if name:
                    values[name] = np.asarray(value)
        return {out.name: values[out.name] for out in self.graph.output}

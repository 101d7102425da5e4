#!/usr/bin/env python3
"""Generate the fixtures of FastRnn.Import's tests (tests/FastRnn.Tests/Fixtures/import/).

Two families, each weights file with a companion <name>.golden.safetensors:

PyTorch state dicts ("pt_*.safetensors"): the state_dict() of a plain nn.LSTM / nn.GRU / nn.RNN /
nn.LSTMCell / nn.GRUCell / nn.RNNCell, written byte for byte as safetensors.torch.save_file(state_dict,
path) would write it (tensors sorted by name within one dtype, compact JSON header without
__metadata__, padded with spaces to a multiple of 8). One case nests the module (names "model.rnn.*"),
one is saved as float16 and one as bfloat16.

Keras layout ("keras_*.npz" / "keras_*.safetensors"): the same kind of PyTorch weights converted in this
script to what Keras LSTM / GRU / SimpleRNN layers hold (kernel (I, G*U) and recurrent_kernel (U, G*U),
the transposes; GRU gates reordered r,z,n -> z,r,h; one LSTM/SimpleRNN bias = b_ih + b_hh; GRU bias
(2, 3U) for reset_after=True, (3U) for reset_after=False), named like TF2 Keras variables
(lstm/lstm_cell/kernel:0) or plain paths (gru/kernel, simple_rnn.cell.kernel). The .npz files are
written with numpy.savez, entries in file order. Every Keras case is also run through an independent
float64 implementation of Keras's own cell equations on the Keras-layout arrays, which must agree with
the PyTorch result to 1e-12: the conversion is checked against Keras's definitions, not only against
FastRnn's importer.

Golden files hold input (T, B, I), output (T, B, D*H_out), hn (L*D, B, H_out) and, for LSTM, cn (L*D, B,
H), all float32, computed in float64 by PyTorch from a zero initial state on exactly the weights stored
in the weights file (after rounding to float16 / bfloat16 where the file has them; for Keras, after
folding the LSTM/SimpleRNN biases). The reset-before GRU (Keras reset_after=False) uses the float64
reference loop of tools/gen_rnn_fixtures.py. Their __metadata__ records the configuration the importer
must infer and the options it needs.

Usage: /usr/bin/python3 tools/gen_import_fixtures.py [--out DIR] [--seed N]
"""

import argparse
import io
import json
import os
import struct
import sys
import zlib

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_rnn_fixtures import gru_reference, read_safetensors  # noqa: E402

GENERATOR = "tools/gen_import_fixtures.py"
BASE_SEED = 20240701
T, B = 9, 2


# --------------------------------------------------------------------------------------------
# safetensors, as safetensors.torch.save_file writes it
# --------------------------------------------------------------------------------------------

DTYPES = {torch.float32: ("F32", "<f4"), torch.float16: ("F16", "<f2"), torch.bfloat16: ("BF16", None)}
# save_file sorts by dtype, most aligned first (the order of the Dtype enum, reversed), then by name.
DTYPE_RANK = {"F32": 11, "BF16": 8, "F16": 7}


def tensor_bytes(t):
    t = t.detach().contiguous().cpu()
    name, np_dtype = DTYPES[t.dtype]
    if t.dtype == torch.bfloat16:
        return name, t.view(torch.int16).numpy().astype("<i2").tobytes()
    return name, t.numpy().astype(np_dtype).tobytes()


def save_file_bytes(tensors, metadata=None):
    """What safetensors.torch.save_file(tensors, path, metadata) writes."""
    items = [(k, *tensor_bytes(v), list(v.shape)) for k, v in tensors.items()]
    items.sort(key=lambda it: (-DTYPE_RANK[it[1]], it[0]))
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    offset, chunks = 0, []
    for name, dtype, data, shape in items:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        chunks.append(data)
    hjson = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    hjson += b" " * ((-len(hjson)) % 8)
    return struct.pack("<Q", len(hjson)) + hjson + b"".join(chunks)


# --------------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------------

def case_seed(base, name):
    return (base + zlib.crc32(name.encode("utf-8"))) % (2 ** 31)


def init_uniform(module, g, scale):
    with torch.no_grad():
        for _, p in module.named_parameters():
            p.copy_((torch.rand(p.shape, generator=g, dtype=torch.float32) * 2 - 1) * scale)


def run_torch(module, x64, cell_kind=None):
    """Float64 run from a zero state; returns output, hn, cn (cn None unless LSTM)."""
    with torch.no_grad():
        if cell_kind is None:
            res = module(x64)
            out, state = res
            if isinstance(state, tuple):
                return out, state[0], state[1]
            return out, state, None
        h = torch.zeros(x64.shape[1], module.hidden_size, dtype=torch.float64)
        c = torch.zeros_like(h)
        ys = []
        for t in range(x64.shape[0]):
            if cell_kind == "lstm":
                h, c = module(x64[t], (h, c))
            else:
                h = module(x64[t], h)
            ys.append(h)
        return torch.stack(ys), h.unsqueeze(0), (c.unsqueeze(0) if cell_kind == "lstm" else None)


def golden(name, x32, out, hn, cn, expect):
    tensors = {"input": x32, "output": out.float(), "hn": hn.float()}
    if cn is not None:
        tensors["cn"] = cn.float()
    meta = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in expect.items()}
    meta.update({"generator": GENERATOR, "torch_version": torch.__version__, "case": name})
    assert torch.isfinite(out).all() and torch.isfinite(hn).all(), name
    return tensors, meta


PT_CASES = [
    # name, factory, dtype, wrapper prefix, options
    ("pt_lstm_l2_bi_proj", lambda: nn.LSTM(5, 12, num_layers=2, bidirectional=True, proj_size=4), torch.float32, "", {}),
    ("pt_lstm_nobias", lambda: nn.LSTM(4, 6, bias=False), torch.float32, "", {}),
    ("pt_gru_l2_prefix", lambda: nn.GRU(6, 10, num_layers=2), torch.float32, "model.rnn.", {}),
    ("pt_gru_bi_f16", lambda: nn.GRU(3, 8, bidirectional=True), torch.float16, "", {}),
    ("pt_rnn_relu_l2_bf16", lambda: nn.RNN(4, 9, num_layers=2, nonlinearity="relu"), torch.bfloat16, "", {"option_nonlinearity": "relu"}),
    ("pt_lstmcell", lambda: nn.LSTMCell(7, 11), torch.float32, "", {}),
    ("pt_grucell", lambda: nn.GRUCell(5, 6), torch.float32, "", {}),
    ("pt_rnncell", lambda: nn.RNNCell(3, 5), torch.float32, "", {}),
]


def describe(module):
    """The configuration FastRnn must infer, as golden metadata."""
    if isinstance(module, (nn.LSTMCell, nn.GRUCell, nn.RNNCell)):
        kind = {nn.LSTMCell: "lstm", nn.GRUCell: "gru", nn.RNNCell: "rnn"}[type(module)]
        nonlin = getattr(module, "nonlinearity", "tanh")
        return dict(kind=kind, input_size=module.input_size, hidden_size=module.hidden_size, num_layers=1,
                    bidirectional=False, proj_size=0, bias=module.bias, nonlinearity=nonlin, cell=True)
    kind = {"LSTM": "lstm", "GRU": "gru", "RNN_TANH": "rnn", "RNN_RELU": "rnn"}[module.mode]
    return dict(kind=kind, input_size=module.input_size, hidden_size=module.hidden_size,
                num_layers=module.num_layers, bidirectional=module.bidirectional,
                proj_size=getattr(module, "proj_size", 0), bias=module.bias,
                nonlinearity="relu" if module.mode == "RNN_RELU" else "tanh", cell=False)


def make_pt_case(name, factory, dtype, prefix, options, seed):
    g = torch.Generator().manual_seed(case_seed(seed, name))
    module = factory()
    relu = getattr(module, "nonlinearity", "tanh") == "relu"
    init_uniform(module, g, (0.5 if relu else 1.0) / module.hidden_size ** 0.5)
    with torch.no_grad():  # the file's precision is the truth: round once, compute on the rounded values
        for p in module.parameters():
            p.copy_(p.to(dtype).float())
    state = {prefix + k: v.detach().to(dtype).clone() for k, v in module.state_dict().items()}
    x32 = torch.randn(T, B, module.input_size, generator=g, dtype=torch.float32)
    cell = {nn.LSTMCell: "lstm", nn.GRUCell: "gru", nn.RNNCell: "rnn"}.get(type(module))
    out, hn, cn = run_torch(module.double().eval(), x32.double(), cell)
    expect = describe(module)
    expect.update(options)
    expect["dtype"] = DTYPES[dtype][0]
    if prefix:
        expect["prefix"] = prefix.rstrip(".")
    return save_file_bytes(state), golden(name, x32, out, hn, cn, expect)


# --------------------------------------------------------------------------------------------
# Keras layout
# --------------------------------------------------------------------------------------------

def to_keras(W_ih, W_hh, b_ih, b_hh, kind, reset_after=True):
    """One PyTorch layer (float32 tensors) -> (kernel, recurrent_kernel, bias) in Keras layout (numpy float32)."""
    H = W_hh.shape[1]
    if kind == "gru":
        order = [1, 0, 2]  # Keras z, r, h  <-  PyTorch r, z, n

        def reorder(m):
            return torch.cat([m[i * H:(i + 1) * H] for i in order])
        W_ih, W_hh, b_ih, b_hh = reorder(W_ih), reorder(W_hh), reorder(b_ih), reorder(b_hh)
        bias = torch.stack([b_ih, b_hh]) if reset_after else b_ih
    else:  # LSTM i,f,g,o == Keras i,f,c,o; SimpleRNN: one gate. One bias: fold.
        bias = b_ih + b_hh
    return W_ih.T.contiguous().numpy(), W_hh.T.contiguous().numpy(), bias.contiguous().numpy()


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def keras_reference(x, layers, kind, reset_after=True):
    """Keras's cell equations (keras.layers.LSTMCell / GRUCell / SimpleRNNCell, sigmoid recurrent activation,
    tanh activation) in float64 on Keras-layout weights: layers = [(kernel, recurrent_kernel, bias)]."""
    seq = x.astype(np.float64)
    states = []
    for kernel, rk, bias in layers:
        k, r, b = kernel.astype(np.float64), rk.astype(np.float64), bias.astype(np.float64)
        U = r.shape[0]
        h = np.zeros((seq.shape[1], U))
        c = np.zeros_like(h)
        ys = []
        for t in range(seq.shape[0]):
            xt = seq[t]
            if kind == "lstm":
                z = xt @ k + h @ r + b
                i, f, cc, o = (z[:, n * U:(n + 1) * U] for n in range(4))
                c = sigmoid(f) * c + sigmoid(i) * np.tanh(cc)
                h = sigmoid(o) * np.tanh(c)
            elif kind == "gru":
                in_b, rec_b = (b[0], b[1]) if reset_after else (b, np.zeros_like(b))
                mx = xt @ k + in_b
                x_z, x_r, x_h = mx[:, :U], mx[:, U:2 * U], mx[:, 2 * U:]
                if reset_after:
                    mi = h @ r + rec_b
                    z = sigmoid(x_z + mi[:, :U])
                    rr = sigmoid(x_r + mi[:, U:2 * U])
                    hh = np.tanh(x_h + rr * mi[:, 2 * U:])
                else:
                    z = sigmoid(x_z + h @ r[:, :U])
                    rr = sigmoid(x_r + h @ r[:, U:2 * U])
                    hh = np.tanh(x_h + (rr * h) @ r[:, 2 * U:])
                h = z * h + (1 - z) * hh
            else:
                h = np.tanh(xt @ k + b + h @ r)
            ys.append(h)
        seq = np.stack(ys)
        states.append((h, c))
    return seq, np.stack([s[0] for s in states]), np.stack([s[1] for s in states])


KERAS_CASES = [
    # name, kind, I, U, layers, reset_after, container, naming
    ("keras_lstm_l2", "lstm", 5, 7, 2, True, "npz", "tf2"),
    ("keras_gru_reset_after", "gru", 4, 6, 1, True, "safetensors", "path"),
    ("keras_gru_reset_before", "gru", 6, 5, 1, False, "npz", "path+dense"),
    ("keras_simplernn", "rnn", 3, 8, 1, True, "safetensors", "dots"),
]


def keras_names(kind, layer, naming):
    base = {"lstm": "lstm", "gru": "gru", "rnn": "simple_rnn"}[kind]
    suffix = "" if layer == 0 else f"_{layer}"
    if naming == "tf2":
        return [f"{base}{suffix}/{base}_cell{suffix}/{r}:0" for r in ("kernel", "recurrent_kernel", "bias")]
    if naming == "dots":
        return [f"{base}{suffix}.cell.{r}" for r in ("kernel", "recurrent_kernel", "bias")]
    return [f"{base}{suffix}/{r}" for r in ("kernel", "recurrent_kernel", "bias")]


def make_keras_case(name, kind, I, U, L, reset_after, container, naming, seed):
    g = torch.Generator().manual_seed(case_seed(seed, name))
    module = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[kind](I, U, num_layers=L)
    init_uniform(module, g, 1.0 / U ** 0.5)
    sd = {k: v.detach().clone() for k, v in module.state_dict().items()}
    arrays, layers = [], []
    for l in range(L):
        W_ih, W_hh, b_ih, b_hh = (sd[f"{p}_l{l}"] for p in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
        if kind == "gru" and not reset_after:
            b_hh = torch.zeros_like(b_hh)  # Keras reset_after=False has no recurrent bias
        kernel, rk, bias = to_keras(W_ih, W_hh, b_ih, b_hh, kind, reset_after)
        layers.append((kernel, rk, bias))
        arrays += list(zip(keras_names(kind, l, naming), (kernel, rk, bias)))
        # The PyTorch model the golden comes from: exactly the Keras weights back in PyTorch form.
        with torch.no_grad():
            getattr(module, f"bias_ih_l{l}").copy_(b_ih + b_hh if kind != "gru" else b_ih)
            getattr(module, f"bias_hh_l{l}").copy_(torch.zeros_like(b_hh) if kind != "gru" else b_hh)
    if naming == "path+dense":  # an unrelated Dense layer after the GRU: the importer needs --prefix gru
        arrays += [("dense/kernel", torch.rand(U, 2, generator=g).numpy()), ("dense/bias", np.zeros(2, np.float32))]

    x32 = torch.randn(T, B, I, generator=g, dtype=torch.float32)
    m64, x64 = module.double().eval(), x32.double()
    if kind == "gru" and not reset_after:
        p64 = {k: v for k, v in m64.state_dict().items()}
        out, hn = gru_reference(p64, x64, torch.zeros(L, B, U, dtype=torch.float64), L, False, U, True, False)
        cn = None
    else:
        out, hn, cn = run_torch(m64, x64)

    ref_out, ref_h, ref_c = keras_reference(x32.numpy(), layers, kind, reset_after)
    err = max(np.abs(ref_out - out.numpy()).max(), np.abs(ref_h - hn.numpy()).max())
    if cn is not None:
        err = max(err, np.abs(ref_c - cn.numpy()).max())
    assert err < 1e-12, f"{name}: Keras equations disagree with PyTorch on the converted weights ({err})"

    if container == "npz":
        buf = io.BytesIO()
        np.savez(buf, **dict(arrays))
        blob = buf.getvalue()
    else:
        blob = save_file_bytes({n: torch.from_numpy(np.ascontiguousarray(a)) for n, a in arrays})
    expect = dict(kind=kind, input_size=I, hidden_size=U, num_layers=L, bidirectional=False, proj_size=0,
                  bias=True, nonlinearity="tanh", cell=False, keras=True, dtype="F32")
    if kind == "gru":
        expect["gru_reset_after"] = reset_after
    if naming == "path+dense":
        expect["prefix"] = "gru"
    return blob, golden(name, x32, out, hn, cn, expect)


def main():
    repo_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(repo_root, "tests", "FastRnn.Tests", "Fixtures", "import"))
    ap.add_argument("--seed", type=int, default=BASE_SEED)
    args = ap.parse_args()
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)

    outputs = []
    for name, factory, dtype, prefix, options in PT_CASES:
        outputs.append((name + ".safetensors", *make_pt_case(name, factory, dtype, prefix, options, args.seed)))
    for name, kind, I, U, L, ra, container, naming in KERAS_CASES:
        outputs.append((f"{name}.{container}", *make_keras_case(name, kind, I, U, L, ra, container, naming, args.seed)))

    total = 0
    for filename, blob, (gt, gm) in outputs:
        with open(os.path.join(args.out, filename), "wb") as f:
            f.write(blob)
        gname = filename.rsplit(".", 1)[0] + ".golden.safetensors"
        gblob = save_file_bytes({k: v.contiguous() for k, v in gt.items()}, dict(sorted(gm.items())))
        with open(os.path.join(args.out, gname), "wb") as f:
            f.write(gblob)
        back, meta = read_safetensors(os.path.join(args.out, gname))  # strict re-read
        assert meta == dict(sorted(gm.items())) and all(torch.equal(back[k], gt[k].float()) for k in gt), gname
        total += len(blob) + len(gblob)
        print(f"{filename}  {len(blob)} bytes, {gname}  {len(gblob)} bytes")
    print(f"{len(outputs)} cases, {total} bytes; torch {torch.__version__}, numpy {np.__version__}, "
          f"python {sys.version.split()[0]}, seed {args.seed}")


if __name__ == "__main__":
    main()

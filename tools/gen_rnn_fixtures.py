#!/usr/bin/env python3
"""Generate golden PyTorch-parity fixtures for FastRnn's recurrent layers.

One safetensors file per case is written to tests/FastRnn.Tests/Fixtures/rnn/ (relative to the
repository root), or to --out. Every file holds:

  * the module's parameters under PyTorch's state-dict names (weight_ih_l{k}, weight_hh_l{k},
    bias_ih_l{k}, bias_hh_l{k}, weight_hr_l{k}, plus *_reverse); cells are stored under the
    layer names with suffix _l0 so they read as a 1-layer unidirectional model;
  * input (T, B, I), time-major;
  * h0 (L*D, B, H_out) and, for LSTM, c0 (L*D, B, H) -- only when initial_state == "given";
  * output (T, B, D*H_out), hn (L*D, B, H_out) and, for LSTM, cn (L*D, B, H);
  * string metadata describing the case (see METADATA_KEYS).

Weights, inputs and initial states are drawn in float32 from a seeded generator. The golden values
are computed in float64 on exactly those float32 values (module.double()) and stored as float32.
The original Cho et al. GRU ("reset before", not available in PyTorch) is computed with a float64
reference loop that is checked against nn.GRU in its reset-after form.

safetensors is written by hand (the package is not required): u64 LE header length N, N bytes of
JSON padded with spaces to a multiple of 8, then the tensors back to back (sorted by name),
row-major little-endian float32.

Usage: python3 tools/gen_rnn_fixtures.py [--out DIR] [--seed N]
"""

import argparse
import json
import math
import os
import struct
import sys
import zlib

import numpy as np
import torch
from torch import nn

GENERATOR = "tools/gen_rnn_fixtures.py"
BASE_SEED = 20240611
RELU_INIT_SCALE = 0.5  # nn.RNN(relu) weights use half the default init range so values stay tame

METADATA_KEYS = [
    "mode", "input_size", "hidden_size", "num_layers", "proj_size", "bidirectional", "bias",
    "gru_reset_after", "batch", "seq_len", "initial_state", "cell", "generator", "torch_version",
    "seed",
]


# --------------------------------------------------------------------------------------------
# Case grid
# --------------------------------------------------------------------------------------------

class Case:
    def __init__(self, kind, I, H, L=1, bi=False, P=0, B=1, given=True, bias=True, T=100):
        # kind: lstm | gru | gru_rb (reset before) | rnn_tanh | rnn_relu | lstmcell | grucell
        self.kind = kind
        self.I, self.H, self.L, self.bi, self.P, self.B = I, H, L, bi, P, B
        self.given, self.bias, self.T = given, bias, T
        self.cell = kind in ("lstmcell", "grucell")
        if self.cell:
            assert L == 1 and not bi and P == 0
        if P:
            assert kind == "lstm" and 0 < P < H

    @property
    def D(self):
        return 2 if self.bi else 1

    @property
    def H_out(self):
        return self.P if self.P else self.H

    @property
    def mode(self):
        return {"lstm": "LSTM", "lstmcell": "LSTM", "gru": "GRU", "grucell": "GRU",
                "gru_rb": "GRU", "rnn_tanh": "RNN_TANH", "rnn_relu": "RNN_RELU"}[self.kind]

    @property
    def is_lstm(self):
        return self.mode == "LSTM"

    @property
    def reset_after(self):
        return self.kind != "gru_rb"

    @property
    def name(self):
        prefix = {"lstm": "lstm", "gru": "gru", "gru_rb": "gru_resetbefore",
                  "rnn_tanh": "rnn_tanh", "rnn_relu": "rnn_relu",
                  "lstmcell": "lstmcell", "grucell": "grucell"}[self.kind]
        parts = [prefix]
        if not self.cell:
            parts += [f"l{self.L}", "bi" if self.bi else "uni"]
        parts += [f"i{self.I}", f"h{self.H}"]
        if self.P:
            parts.append(f"p{self.P}")
        parts += [f"b{self.B}", f"t{self.T}", "given" if self.given else "zero"]
        if not self.bias:
            parts.append("nobias")
        return "_".join(parts)


def build_cases():
    C = Case
    cases = [
        # ---- LSTM
        C("lstm", I=13, H=17, L=1, B=1, given=False),
        C("lstm", I=13, H=17, L=1, B=3, given=True),
        C("lstm", I=1, H=1, L=1, B=1, given=True, T=128),
        C("lstm", I=37, H=100, L=1, B=1, given=False),
        C("lstm", I=37, H=63, L=1, B=3, given=True, T=101),
        C("lstm", I=16, H=64, L=1, B=3, given=False),
        C("lstm", I=3, H=5, L=1, bi=True, B=3, given=True),
        C("lstm", I=13, H=16, L=2, B=3, given=True),
        C("lstm", I=8, H=32, L=2, bi=True, B=3, given=False),
        C("lstm", I=3, H=8, L=3, B=1, given=True),
        C("lstm", I=13, H=17, L=3, bi=True, B=3, given=True),
        C("lstm", I=1, H=5, L=3, bi=True, B=1, given=False, T=150),
        C("lstm", I=13, H=17, P=5, L=1, B=3, given=True),
        C("lstm", I=13, H=17, P=5, L=2, bi=True, B=3, given=True),
        C("lstm", I=37, H=63, P=16, L=2, B=1, given=False),
        C("lstm", I=3, H=8, P=1, L=1, bi=True, B=1, given=False),
        C("lstm", I=13, H=17, L=1, B=3, given=True, bias=False),
        C("lstm", I=3, H=5, L=2, bi=True, B=1, given=False, bias=False),
        # ---- GRU (nn.GRU, reset after)
        C("gru", I=13, H=17, L=1, B=1, given=False),
        C("gru", I=13, H=17, L=1, B=3, given=True),
        C("gru", I=1, H=1, L=1, B=3, given=True),
        C("gru", I=3, H=5, L=1, bi=True, B=3, given=True),
        C("gru", I=37, H=63, L=2, B=1, given=True),
        C("gru", I=13, H=16, L=2, bi=True, B=3, given=False),
        C("gru", I=8, H=17, L=2, bi=True, B=3, given=True, bias=False),
        C("gru", I=37, H=100, L=1, B=3, given=False, T=101),
        # ---- GRU, original Cho et al. form (reset before)
        C("gru_rb", I=13, H=17, L=1, B=1, given=False),
        C("gru_rb", I=13, H=17, L=1, B=3, given=True),
        C("gru_rb", I=1, H=1, L=1, B=3, given=True),
        C("gru_rb", I=3, H=5, L=1, bi=True, B=3, given=True),
        C("gru_rb", I=37, H=63, L=2, B=1, given=True),
        C("gru_rb", I=13, H=16, L=2, bi=True, B=3, given=False),
        C("gru_rb", I=8, H=17, L=2, bi=True, B=3, given=True, bias=False),
        C("gru_rb", I=16, H=32, L=1, B=1, given=True, bias=False, T=128),
        # ---- vanilla RNN
        C("rnn_tanh", I=13, H=17, L=1, B=1, given=False),
        C("rnn_tanh", I=1, H=1, L=1, B=3, given=True),
        C("rnn_tanh", I=37, H=63, L=2, B=3, given=True),
        C("rnn_tanh", I=13, H=16, L=2, bi=True, B=3, given=True),
        C("rnn_tanh", I=3, H=100, L=1, B=1, given=False, bias=False),
        C("rnn_relu", I=13, H=17, L=1, B=3, given=True),
        C("rnn_relu", I=3, H=32, L=2, B=1, given=False),
        C("rnn_relu", I=13, H=17, L=2, bi=True, B=3, given=True),
        C("rnn_relu", I=37, H=5, L=1, B=1, given=True, bias=False),
        # ---- cells (treated as 1-layer unidirectional models)
        C("lstmcell", I=13, H=17, B=1, given=True),
        C("lstmcell", I=3, H=32, B=3, given=False),
        C("lstmcell", I=37, H=5, B=3, given=True, bias=False),
        C("grucell", I=13, H=17, B=1, given=True),
        C("grucell", I=3, H=32, B=3, given=False),
        C("grucell", I=1, H=8, B=3, given=True, bias=False),
    ]
    names = [c.name for c in cases]
    assert len(names) == len(set(names)), "duplicate case names"
    return cases


# --------------------------------------------------------------------------------------------
# safetensors writer / reader
# --------------------------------------------------------------------------------------------

def safetensors_bytes(tensors, metadata):
    """tensors: dict name -> float32 torch tensor; metadata: dict str -> str."""
    header = {}
    chunks = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name]
        assert t.dtype == torch.float32, name
        data = np.ascontiguousarray(t.detach().cpu().numpy(), dtype="<f4").tobytes()
        assert len(data) == t.numel() * 4
        header[name] = {"dtype": "F32", "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    assert "__metadata__" not in tensors
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())
    header["__metadata__"] = dict(sorted(metadata.items()))
    hjson = json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("utf-8")
    hjson += b" " * ((-len(hjson)) % 8)
    return struct.pack("<Q", len(hjson)) + hjson + b"".join(chunks)


def read_safetensors(path):
    """Minimal strict reader (mirrors the reference reader's checks). Returns (tensors, metadata)."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    assert n <= 100_000_000 and n % 8 == 0 and 8 + n <= len(blob)
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    buf = blob[8 + n:]
    entries = sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0])
    pos = 0
    out = {}
    for name, info in entries:
        assert info["dtype"] == "F32"
        b, e = info["data_offsets"]
        assert b == pos, f"gap/overlap at {name}"
        numel = math.prod(info["shape"])
        assert e - b == numel * 4, f"size mismatch at {name}"
        arr = np.frombuffer(buf[b:e], dtype="<f4").reshape(info["shape"])
        out[name] = torch.from_numpy(arr.copy())
        pos = e
    assert pos == len(buf), "buffer does not end at end of file"
    return out, metadata


# --------------------------------------------------------------------------------------------
# Reference GRU loop (float64), both reset-after (nn.GRU) and reset-before (Cho et al.)
# --------------------------------------------------------------------------------------------

def gru_reference(params, x, h0, num_layers, bidirectional, hidden, bias, reset_after):
    """params: PyTorch nn.GRU state-dict names (r, z, n gate order); x (T, B, I); h0 (L*D, B, H)."""
    T = x.shape[0]
    D = 2 if bidirectional else 1
    H = hidden
    layer_in = x
    hn = []
    for l in range(num_layers):
        dir_outs = []
        for d in range(D):
            sfx = f"_l{l}" + ("_reverse" if d == 1 else "")
            W_ih = params["weight_ih" + sfx]
            W_hh = params["weight_hh" + sfx]
            if bias:
                b_ih = params["bias_ih" + sfx]
                b_hh = params["bias_hh" + sfx]
            else:
                b_ih = torch.zeros(3 * H, dtype=x.dtype)
                b_hh = torch.zeros(3 * H, dtype=x.dtype)
            W_hrz, W_hn = W_hh[:2 * H], W_hh[2 * H:]
            b_hrz, b_hn = b_hh[:2 * H], b_hh[2 * H:]
            h = h0[l * D + d]
            ys = [None] * T
            steps = range(T) if d == 0 else range(T - 1, -1, -1)
            for t in steps:
                gi = layer_in[t] @ W_ih.T + b_ih
                gh = h @ W_hrz.T + b_hrz
                r = torch.sigmoid(gi[:, :H] + gh[:, :H])
                z = torch.sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
                if reset_after:
                    n = torch.tanh(gi[:, 2 * H:] + r * (h @ W_hn.T + b_hn))
                else:
                    n = torch.tanh(gi[:, 2 * H:] + (r * h) @ W_hn.T + b_hn)
                h = (1 - z) * n + z * h
                ys[t] = h
            dir_outs.append(torch.stack(ys))
            hn.append(h)
        layer_in = torch.cat(dir_outs, dim=2)
    return layer_in, torch.stack(hn)


# --------------------------------------------------------------------------------------------
# Case generation
# --------------------------------------------------------------------------------------------

def make_module(c):
    if c.kind == "lstm":
        return nn.LSTM(c.I, c.H, num_layers=c.L, bias=c.bias, bidirectional=c.bi, proj_size=c.P)
    if c.kind in ("gru", "gru_rb"):
        return nn.GRU(c.I, c.H, num_layers=c.L, bias=c.bias, bidirectional=c.bi)
    if c.kind in ("rnn_tanh", "rnn_relu"):
        return nn.RNN(c.I, c.H, num_layers=c.L, bias=c.bias, bidirectional=c.bi,
                      nonlinearity="tanh" if c.kind == "rnn_tanh" else "relu")
    if c.kind == "lstmcell":
        return nn.LSTMCell(c.I, c.H, bias=c.bias)
    if c.kind == "grucell":
        return nn.GRUCell(c.I, c.H, bias=c.bias)
    raise ValueError(c.kind)


def case_seed(base_seed, name):
    return (base_seed + zlib.crc32(name.encode("utf-8"))) % (2 ** 31)


def generate(c, base_seed):
    seed = case_seed(base_seed, c.name)
    g = torch.Generator().manual_seed(seed)
    module = make_module(c)
    scale = 1.0 / math.sqrt(c.H)  # PyTorch's default init range for all recurrent parameters
    if c.kind == "rnn_relu":
        scale *= RELU_INIT_SCALE
    with torch.no_grad():
        for _, p in module.named_parameters():  # registration order -> deterministic
            p.copy_((torch.rand(p.shape, generator=g, dtype=torch.float32) * 2 - 1) * scale)
    x32 = torch.randn(c.T, c.B, c.I, generator=g, dtype=torch.float32)
    LD = c.L * c.D
    h0_32 = c0_32 = None
    if c.given:
        h0_32 = torch.rand(LD, c.B, c.H_out, generator=g, dtype=torch.float32) * 2 - 1
        if c.is_lstm:
            c0_32 = torch.rand(LD, c.B, c.H, generator=g, dtype=torch.float32) * 2 - 1
    h0_64 = h0_32.double() if c.given else torch.zeros(LD, c.B, c.H_out, dtype=torch.float64)
    c0_64 = None
    if c.is_lstm:
        c0_64 = c0_32.double() if c.given else torch.zeros(LD, c.B, c.H, dtype=torch.float64)

    params32 = {k: v.detach().clone() for k, v in module.state_dict().items()}
    m64 = module.double().eval()  # float64 copies of the exact float32 values
    x64 = x32.double()

    with torch.no_grad():
        if c.kind == "lstm":
            out, (hn, cn) = m64(x64, (h0_64, c0_64))
        elif c.kind in ("gru", "rnn_tanh", "rnn_relu"):
            out, hn = m64(x64, h0_64)
            cn = None
        elif c.kind == "gru_rb":
            p64 = {k: v for k, v in m64.state_dict().items()}
            # Validate the loop: its reset-after form must reproduce nn.GRU.
            ref_out, ref_hn = gru_reference(p64, x64, h0_64, c.L, c.bi, c.H, c.bias, True)
            nn_out, nn_hn = m64(x64, h0_64)
            err = max((ref_out - nn_out).abs().max().item(), (ref_hn - nn_hn).abs().max().item())
            assert err < 1e-12, f"{c.name}: reference loop (reset after) != nn.GRU, err {err}"
            out, hn = gru_reference(p64, x64, h0_64, c.L, c.bi, c.H, c.bias, False)
            diff = (out - nn_out).abs().max().item()
            assert diff > 1e-3, f"{c.name}: reset-before barely differs from reset-after ({diff})"
            cn = None
        elif c.kind == "lstmcell":
            h, cc = h0_64[0], c0_64[0]
            ys = []
            for t in range(c.T):
                h, cc = m64(x64[t], (h, cc))
                ys.append(h)
            out, hn, cn = torch.stack(ys), h.unsqueeze(0), cc.unsqueeze(0)
        elif c.kind == "grucell":
            h = h0_64[0]
            ys = []
            for t in range(c.T):
                h = m64(x64[t], h)
                ys.append(h)
            out, hn, cn = torch.stack(ys), h.unsqueeze(0), None
        else:
            raise ValueError(c.kind)

    assert out.shape == (c.T, c.B, c.D * c.H_out), (c.name, out.shape)
    assert hn.shape == (LD, c.B, c.H_out), (c.name, hn.shape)
    assert torch.isfinite(out).all() and torch.isfinite(hn).all(), c.name
    if c.is_lstm:
        assert cn.shape == (LD, c.B, c.H), (c.name, cn.shape)
    if c.kind == "rnn_relu":
        mx = out.abs().max().item()
        assert mx < 100, f"{c.name}: relu output too large ({mx})"
        assert (out > 0).double().mean().item() > 0.1, f"{c.name}: relu output mostly dead"

    tensors = {}
    for k, v in params32.items():
        key = k + "_l0" if c.cell else k
        tensors[key] = v.float().contiguous()
    tensors["input"] = x32.contiguous()
    if c.given:
        tensors["h0"] = h0_32.contiguous()
        if c.is_lstm:
            tensors["c0"] = c0_32.contiguous()
    tensors["output"] = out.float().contiguous()
    tensors["hn"] = hn.float().contiguous()
    if c.is_lstm:
        tensors["cn"] = cn.float().contiguous()

    b = lambda v: "true" if v else "false"
    metadata = {
        "mode": c.mode,
        "input_size": str(c.I),
        "hidden_size": str(c.H),
        "num_layers": str(c.L),
        "proj_size": str(c.P),
        "bidirectional": b(c.bi),
        "bias": b(c.bias),
        "gru_reset_after": b(c.reset_after),
        "batch": str(c.B),
        "seq_len": str(c.T),
        "initial_state": "given" if c.given else "zero",
        "cell": b(c.cell),
        "generator": GENERATOR,
        "torch_version": torch.__version__,
        "seed": str(seed),
    }
    assert sorted(metadata) == sorted(METADATA_KEYS)
    return tensors, metadata


def self_check(path, tensors, metadata):
    back, meta_back = read_safetensors(path)
    assert meta_back == metadata, f"{path}: metadata mismatch"
    assert sorted(back) == sorted(tensors), f"{path}: tensor names mismatch"
    for k, v in tensors.items():
        assert back[k].shape == v.shape, f"{path}: shape mismatch for {k}"
        assert torch.equal(back[k], v), f"{path}: data mismatch for {k}"


def main():
    repo_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(repo_root, "tests", "FastRnn.Tests", "Fixtures", "rnn"))
    ap.add_argument("--seed", type=int, default=BASE_SEED)
    args = ap.parse_args()

    torch.set_num_threads(1)  # fixed reduction order for reproducible float64 results
    os.makedirs(args.out, exist_ok=True)
    cases = build_cases()
    total = 0
    for i, c in enumerate(cases):
        tensors, metadata = generate(c, args.seed)
        blob = safetensors_bytes(tensors, metadata)
        path = os.path.join(args.out, c.name + ".safetensors")
        with open(path, "wb") as f:
            f.write(blob)
        self_check(path, tensors, metadata)  # re-read every file and compare bit for bit
        total += len(blob)
        print(f"{c.name}.safetensors  {len(blob)} bytes")
    expected = {c.name + ".safetensors" for c in cases}
    stale = sorted(f for f in os.listdir(args.out) if f.endswith(".safetensors") and f not in expected)
    if stale:
        print("warning: files not produced by this grid: " + ", ".join(stale), file=sys.stderr)
    print(f"{len(cases)} cases, {total} bytes; torch {torch.__version__}, numpy {np.__version__}, "
          f"python {sys.version.split()[0]}, seed {args.seed}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Generate the fixtures of FastRnn.Import's .pt reader tests (tests/FastRnn.Tests/Fixtures/import-torch/).

Every weights file here is torch.save of the same tensors as a committed safetensors fixture (its "twin", in
Fixtures/import or Fixtures/import-seq2seq), so a test can require the .pt path to give bit-identical tensors and the
twin's PyTorch goldens. The tensors are read from the twin with a small reader in this script, put in an OrderedDict
with the _metadata attribute nn.Module.state_dict() attaches, and saved with torch.save in different ways:

  <twin>.pt              the default zip format (protocol 2), dtype as in the twin (F32, F16 or BF16)
  <twin>.legacy.pt       _use_new_zipfile_serialization=False (the format before PyTorch 1.6)
  <twin>.protocol4.pt    pickle_protocol=4 (STACK_GLOBAL and MEMOIZE instead of GLOBAL and BINPUT)
  <twin>.f64.pt          every tensor as float64 (float32 values, so rounding back is exact)
  <twin>.strided.pt      every matrix a transposed view (strides (1, rows)) of its transpose's storage
  <twin>.shared.pt       every tensor a view at an offset into one shared float32 storage
  <twin>.bigger.pt       the module inside a bigger model: a Linear head and a BatchNorm (int64 num_batches_tracked)
  checkpoint.pt          {"enc": ..., "dec": ..., "epoch": 3, "optimizer": {...}}: dicts of state dicts

cases.json lists each file with its twin and the prefix that selects the module.

hostile/ holds files a reader must refuse with a clear message: pickles whose __reduce__ names os.system (protocol 2)
or builtins.eval (protocol 4), a pickled nn.Module, a truncated archive, a truncated and a corrupt data.pkl, a storage
shorter than its pickle says, a view reaching past its storage, a storage claiming 10**15 elements, a compressed
archive, and a truncated legacy file. hostile/cases.json gives the text each error message must contain.

Usage: /usr/bin/python3 tools/gen_torch_fixtures.py [--out DIR]
Written with PyTorch 1.13 (Debian python3-torch) and Python's own pickle and zipfile modules.
"""

import argparse
import collections
import io
import json
import os
import pickle
import struct
import sys
import zipfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "tests", "FastRnn.Tests", "Fixtures")

# One twin per container feature keeps the fixture set small; every dtype of the twins is covered by <twin>.pt.
TWINS = ["pt_lstm_l2_bi_proj", "pt_lstm_nobias", "pt_gru_l2_prefix", "pt_gru_bi_f16", "pt_rnn_relu_l2_bf16",
         "pt_lstmcell", "pt_grucell", "pt_rnncell"]
VARIANT_TWIN = "pt_lstm_l2_bi_proj"


def read_safetensors(path):
    """The tensors of a safetensors file (F32, F16, BF16), by name, in file order."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    header.pop("__metadata__", None)
    data = blob[8 + n:]
    out = collections.OrderedDict()
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        b, e = info["data_offsets"]
        raw = bytearray(data[b:e])
        if info["dtype"] == "F32":
            t = torch.frombuffer(raw, dtype=torch.float32)
        elif info["dtype"] == "F16":
            t = torch.frombuffer(raw, dtype=torch.float16)
        elif info["dtype"] == "BF16":
            t = torch.frombuffer(raw, dtype=torch.bfloat16)
        else:
            raise ValueError(info["dtype"])
        out[name] = t.reshape(info["shape"]).clone()
    return out


def state_dict(tensors):
    """An OrderedDict carrying _metadata, as nn.Module.state_dict() returns it."""
    sd = collections.OrderedDict(tensors)
    modules = sorted({k.rpartition(".")[0] for k in tensors})
    sd._metadata = collections.OrderedDict((m, {"version": 1}) for m in modules)
    return sd


def save(obj, path, **kwargs):
    torch.save(obj, path, **kwargs)


def strided(tensors):
    # w.t().contiguous() owns a storage in the transposed order; .t() of it is w again with strides (1, rows).
    return {k: (v.t().contiguous().t() if v.dim() == 2 else v.clone()) for k, v in tensors.items()}


def shared(tensors):
    flat = torch.cat([torch.zeros(3)] + [v.reshape(-1).float() for v in tensors.values()])
    out, at = collections.OrderedDict(), 3
    for k, v in tensors.items():
        out[k] = flat[at:at + v.numel()].view(v.shape)
        at += v.numel()
    return out


def bigger(tensors, prefix):
    torch.manual_seed(7)
    head, norm = torch.nn.Linear(10, 4), torch.nn.BatchNorm1d(10)
    out = collections.OrderedDict(tensors)
    for k, v in head.state_dict().items():
        out[f"{prefix}.head.{k}"] = v
    for k, v in norm.state_dict().items():
        out[f"{prefix}.norm.{k}"] = v
    return out


# ------------------------------------------------------------------------------------------------
# Hostile files
# ------------------------------------------------------------------------------------------------

class System:
    def __reduce__(self):
        return (os.system, ("echo this must never run",))


class Eval:
    def __reduce__(self):
        return (eval, ("1 + 1",))


class FakeStorage:
    """A persistent id naming storage key '0' as a float32 storage of `count` elements."""

    def __init__(self, count):
        self.count = count


class FakeTensor:
    def __init__(self, storage, offset, size, stride):
        self.args = (storage, offset, size, stride, False, collections.OrderedDict())

    def __reduce__(self):
        return (torch._utils._rebuild_tensor_v2, self.args)


class FakePickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, FakeStorage):
            return ("storage", torch.FloatStorage, "0", "cpu", obj.count)
        return None


def entry(name, compress=zipfile.ZIP_STORED):
    """A zip entry with a fixed date, so the files regenerate byte for byte."""
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    info.compress_type = compress
    return info


def archive(path, pickled, storages, compress=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(entry("archive/data.pkl", compress), pickled)
        for key, data in storages.items():
            z.writestr(entry(f"archive/data/{key}", compress), data)
        z.writestr(entry("archive/version", compress), "3\n")


def fake_pickle(obj):
    buf = io.BytesIO()
    FakePickler(buf, protocol=2).dump(obj)
    return buf.getvalue()


def rewrite(src, dst, name, change):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            zout.writestr(entry(info.filename), change(data) if info.filename == name else data)


def hostile(out, good_pt, good_legacy):
    os.makedirs(out, exist_ok=True)
    cases = []

    def case(file, *expected):
        cases.append({"file": file, "message": list(expected)})

    save({"weight_ih": torch.zeros(2), "payload": System()}, os.path.join(out, "os_system.pt"))
    case("os_system.pt", "posix.system", "refused")
    save({"payload": Eval()}, os.path.join(out, "builtins_eval.pt"), pickle_protocol=4)
    case("builtins_eval.pt", "builtins.eval", "refused")
    save(torch.nn.LSTM(2, 3), os.path.join(out, "module.pt"))
    case("module.pt", "torch.nn.modules.rnn.LSTM", "model.state_dict()")

    with open(good_pt, "rb") as f:
        blob = f.read()
    with open(os.path.join(out, "truncated_archive.pt"), "wb") as f:
        f.write(blob[:len(blob) // 2])
    case("truncated_archive.pt", "zip archive")

    rewrite(good_pt, os.path.join(out, "truncated_pickle.pt"), "pt_lstm_l2_bi_proj/data.pkl", lambda d: d[:len(d) // 2])
    case("truncated_pickle.pt", "data.pkl", "truncated")
    rewrite(good_pt, os.path.join(out, "corrupt_pickle.pt"), "pt_lstm_l2_bi_proj/data.pkl", lambda d: d[:2] + b"\xff" + d[3:])
    case("corrupt_pickle.pt", "data.pkl at byte 2", "unknown opcode 0xff")
    rewrite(good_pt, os.path.join(out, "short_storage.pt"), "pt_lstm_l2_bi_proj/data/0", lambda d: d[:-4])
    case("short_storage.pt", "pt_lstm_l2_bi_proj/data/0", "bytes but its storage holds")

    storage = FakeStorage(6)
    archive(os.path.join(out, "view_past_storage.pt"),
            fake_pickle({"weight_hh": FakeTensor(storage, 2, (2, 3), (3, 1))}), {"0": bytes(24)})
    case("view_past_storage.pt", "tensor 'weight_hh'", "reaches element 7 of storage '0'", "which holds 6")
    archive(os.path.join(out, "huge_storage.pt"),
            fake_pickle({"weight_hh": FakeTensor(FakeStorage(10 ** 15), 0, (10 ** 15,), (1,))}), {"0": bytes(16)})
    case("huge_storage.pt", "tensor 'weight_hh'", "1000000000000000 elements")
    archive(os.path.join(out, "compressed.pt"),
            fake_pickle({"weight_hh": FakeTensor(storage, 0, (2, 3), (3, 1))}), {"0": bytes(24)}, zipfile.ZIP_DEFLATED)
    case("compressed.pt", "is compressed")

    with open(good_legacy, "rb") as f:
        blob = f.read()
    with open(os.path.join(out, "truncated_legacy.pt"), "wb") as f:
        f.write(blob[:len(blob) - 10])
    case("truncated_legacy.pt", "storage", "bytes present")

    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump(cases, f, indent=1)
        f.write("\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=os.path.join(FIXTURES, "import-torch"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    cases = []

    def write(file, obj, twin, prefix=None, **kwargs):
        save(obj, os.path.join(args.out, file), **kwargs)
        cases.append({"file": file, "twin": twin, "prefix": prefix})

    twins = {t: read_safetensors(os.path.join(FIXTURES, "import", t + ".safetensors")) for t in TWINS}
    for twin, tensors in twins.items():
        prefix = "model.rnn" if twin == "pt_gru_l2_prefix" else None
        write(f"{twin}.pt", state_dict(tensors), f"import/{twin}.safetensors", prefix)

    t = twins[VARIANT_TWIN]
    tw = f"import/{VARIANT_TWIN}.safetensors"
    write(f"{VARIANT_TWIN}.legacy.pt", state_dict(t), tw, _use_new_zipfile_serialization=False)
    write(f"{VARIANT_TWIN}.protocol4.pt", state_dict(t), tw, pickle_protocol=4)
    write(f"{VARIANT_TWIN}.f64.pt", state_dict({k: v.double() for k, v in t.items()}), tw)
    write(f"{VARIANT_TWIN}.strided.pt", state_dict(strided(t)), tw)
    write(f"{VARIANT_TWIN}.shared.pt", state_dict(shared(t)), tw)
    write("pt_gru_l2_prefix.bigger.pt", state_dict(bigger(twins["pt_gru_l2_prefix"], "model")), "import/pt_gru_l2_prefix.safetensors", "model.rnn")
    checkpoint = {
        "enc": state_dict(twins["pt_lstm_nobias"]),
        "dec": state_dict(twins["pt_grucell"]),
        "epoch": 3,
        "optimizer": {"state": {0: {"step": torch.tensor(5.0)}}, "param_groups": [{"lr": 0.001, "params": [0]}]},
    }
    write("checkpoint.pt", checkpoint, "import/pt_lstm_nobias.safetensors", "enc")
    cases.append({"file": "checkpoint.pt", "twin": "import/pt_grucell.safetensors", "prefix": "dec"})

    seq2seq = read_safetensors(os.path.join(FIXTURES, "import-seq2seq", "tutorial.safetensors"))
    write("tutorial.pt", state_dict(seq2seq), "import-seq2seq/tutorial.safetensors")

    with open(os.path.join(args.out, "cases.json"), "w") as f:
        json.dump(cases, f, indent=1)
        f.write("\n")
    hostile(os.path.join(args.out, "hostile"), os.path.join(args.out, f"{VARIANT_TWIN}.pt"),
            os.path.join(args.out, f"{VARIANT_TWIN}.legacy.pt"))
    print(f"wrote {len(cases)} cases to {args.out} (torch {torch.__version__}, numpy {np.__version__}, python {sys.version.split()[0]})")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Fixtures for converting a PyTorch seq2seq state dict with a JSON config (`fastrnn convert --config`).

Two cases of tools/seq2seq_reference.py (same seeds, so the same weights as Fixtures/seq2seq/<case>.frnn) are saved
as a user's own module would name them, with a config that maps them back to the .frnn names of docs/seq2seq.md:

  tutorial       the PyTorch translation tutorial's names (enc.embedding, enc.gru, dec.attn.Wa / Ua / Va, dec.out);
                 the config gives every size and the vocabularies inline, and maps by module prefix.
  luong_general  a 2-layer bidirectional GRU encoder and a decoder built from GRUCells (model.decoder.cells.{k}.
                 weight_ih ...), plus a float `version` buffer and an int64 `num_updates` counter that are not part of
                 the model; the config leaves every size out (inferred), reads the vocabularies from text files, maps
                 the decoder tensor by tensor and ignores the extra tensors.

Written to tests/FastRnn.Tests/Fixtures/import-seq2seq/ (or --out):

  <case>.safetensors          the renamed state dict (float32; the I64 counter for luong_general)
  <case>.config.json          the conversion config
  <case>.src.txt, .tgt.txt    vocabulary files (luong_general)
  <case>.golden.safetensors   float32 goldens from the reference (float64 on the stored float32 weights):
      src (N, S_max), src_lengths (N), tf_target (N, T), tf_logprobs (N, T, V_tgt),
      greedy_tokens (N, L) padded with -1, greedy_score (N); metadata: case, seed, generator, torch_version,
      greedy_max_length, tf_steps.

Self-checks: the config, applied with the mapping rules of docs/seq2seq.md ("Converting a PyTorch seq2seq model"),
gives back exactly the reference's state dict, every tensor used, the ignored ones excepted; every file written is
read back.

Usage: python3 tools/gen_seq2seq_import_fixtures.py [--out DIR]   (a Python with PyTorch and NumPy)
"""

import argparse
import json
import os
import struct
import sys
import zlib

import numpy as np
import torch

TOOLS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, TOOLS)
import seq2seq_reference as ref  # noqa: E402

GENERATOR = "tools/gen_seq2seq_import_fixtures.py"
CASES = ["tutorial", "luong_general"]


# --------------------------------------------------------------------------------------------
# The user's names
# --------------------------------------------------------------------------------------------

def tutorial_name(name):
    """EncoderRNN(embedding, gru) + AttnDecoderRNN(embedding, attention = BahdanauAttention(Wa, Ua, Va), gru, out)."""
    exact = {"src_embedding.weight": "enc.embedding.weight", "tgt_embedding.weight": "dec.embedding.weight"}
    if name in exact:
        return exact[name]
    module, rest = name.split(".", 1)
    if module in ("encoder", "decoder"):
        return {"encoder": "enc.gru.", "decoder": "dec.gru."}[module] + rest
    if module == "attention":
        sub, param = rest.split(".")
        return {"query": "dec.attn.Wa.", "key": "dec.attn.Ua.", "v": "dec.attn.Va."}[sub] + param
    assert module == "output", name
    return "dec.out." + rest


def luong_name(name):
    """An encoder nn.GRU, a decoder of stacked nn.GRUCell, general attention, attn_out (combine), a generator."""
    exact = {"src_embedding.weight": "model.encoder.embed.weight", "tgt_embedding.weight": "model.decoder.embed.weight",
             "attention.key.weight": "model.decoder.attn.W.weight"}
    if name in exact:
        return exact[name]
    module, rest = name.split(".", 1)
    if module == "encoder":
        return "model.encoder.rnn." + rest
    if module == "decoder":  # weight_ih_l1 -> cells.1.weight_ih
        param, layer = rest.rsplit("_l", 1)
        return f"model.decoder.cells.{int(layer)}.{param}"
    return {"combine": "model.decoder.attn_out.", "output": "model.generator."}[module] + rest


def tutorial_config(c):
    return {
        "architecture": {
            "encoder": {"kind": c.enc_kind, "hidden_size": c.H_enc, "num_layers": c.L_enc, "bidirectional": c.bi},
            "decoder": {"kind": c.dec_kind, "hidden_size": c.H, "num_layers": c.L_dec},
            "src_embedding_size": c.E_src,
            "tgt_embedding_size": c.E_tgt,
            "bridge": c.bridge,
            "attention": c.attention,
            "attention_size": c.A,
            "input_feeding": c.input_feeding,
            "output_inputs": c.output_inputs,
        },
        "vocabulary": dict(source=source_vocab(c), target=target_vocab(c), **special_ids()),
        "tensors": {
            "src_embedding.weight": "enc.embedding.weight",
            "tgt_embedding.weight": "dec.embedding.weight",
            "encoder": "enc.gru",
            "decoder": "dec.gru",
            "attention.query": "dec.attn.Wa",
            "attention.key": "dec.attn.Ua",
            "attention.v": "dec.attn.Va",
            "output": "dec.out",
        },
    }


def luong_config(c):
    tensors = {
        "src_embedding.weight": "model.encoder.embed.weight",
        "tgt_embedding.weight": "model.decoder.embed.weight",
        "encoder": "model.encoder.rnn.",
    }
    for layer in range(c.L_dec):
        for param in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            tensors[f"decoder.{param}_l{layer}"] = f"model.decoder.cells.{layer}.{param}"
    tensors.update({"attention.key.weight": "model.decoder.attn.W.weight", "combine": "model.decoder.attn_out",
                    "output": "model.generator"})
    return {
        "architecture": {
            "encoder": {"kind": c.enc_kind},
            "decoder": {"kind": c.dec_kind},
            "bridge": c.bridge,
            "attention": c.attention,
            "input_feeding": c.input_feeding,
        },
        "vocabulary": dict(source="luong_general.src.txt", target="luong_general.tgt.txt", **special_ids()),
        "tensors": tensors,
        "ignore": ["model.decoder.version", "model.num_updates"],
    }


def source_vocab(c):
    return ref.SPECIALS + list(ref.SRC_CHARS[:c.V_src - 4])


def target_vocab(c):
    return ref.SPECIALS + list(ref.TGT_CHARS[:c.V_tgt - 4])


def special_ids():
    return {"bos_id": ref.BOS, "eos_id": ref.EOS, "pad_id": ref.PAD, "unk_id": ref.UNK, "tokenizer": "char",
            "max_source_length": ref.MAX_SOURCE_LENGTH}


EXTRA = {
    "tutorial": {},
    # Not part of the model: a fairseq-style version buffer and a training-step counter.
    "luong_general": {"model.decoder.version": np.array([2.0], dtype="<f4"),
                      "model.num_updates": np.array(1234, dtype="<i8")},
}
RENAME = {"tutorial": tutorial_name, "luong_general": luong_name}
CONFIG = {"tutorial": tutorial_config, "luong_general": luong_config}


# --------------------------------------------------------------------------------------------
# The mapping rules of docs/seq2seq.md, as a self-check of the configs
# --------------------------------------------------------------------------------------------

def resolve(tensors, name):
    keys = {k.rstrip("."): v.rstrip(".") for k, v in tensors.items()}
    if name in keys:
        return keys[name]
    parts = name.split(".")
    for cut in range(len(parts) - 1, -1, -1):
        prefix = ".".join(parts[:cut])
        if prefix in keys:
            rest = ".".join(parts[cut:])
            return rest if keys[prefix] == "" else keys[prefix] + "." + rest
    raise KeyError(name)


def ignored(config, name):
    return any(name == p or name.startswith(p.rstrip(".") + ".") for p in config.get("ignore", []))


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------

DTYPES = {np.dtype("<f4"): "F32", np.dtype("<i8"): "I64"}


def safetensors_bytes(tensors, metadata):
    """tensors: name -> little-endian numpy array (float32 or int64), sorted by name; metadata: str -> str."""
    header, chunks, offset = {}, [], 0
    for name in sorted(tensors):
        a = np.asarray(tensors[name])
        a = a if a.flags.c_contiguous else a.copy(order="C")  # np.ascontiguousarray would make a 0-d array 1-d
        data = a.tobytes()
        header[name] = {"dtype": DTYPES[a.dtype], "shape": list(a.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = dict(sorted(metadata.items()))
    hjson = json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("utf-8")
    hjson += b" " * ((-len(hjson)) % 8)
    return struct.pack("<Q", len(hjson)) + hjson + b"".join(chunks)


def read_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    out = {}
    for name, info in header.items():
        dtype = {"F32": "<f4", "I64": "<i8"}[info["dtype"]]
        b, e = info["data_offsets"]
        out[name] = np.frombuffer(blob[8 + n + b:8 + n + e], dtype=dtype).reshape(info["shape"])
    return out, metadata


def find_seed(c):
    """The seed tools/seq2seq_reference.py uses for this case, and that attempt's results."""
    seed0 = (ref.BASE_SEED + zlib.crc32(c.name.encode("utf-8"))) % (2 ** 31)
    for i in range(ref.MAX_ATTEMPTS):
        seed = (seed0 + i) % (2 ** 31)
        result = ref.attempt(c, seed)
        if not result[3]:
            return seed, result
    raise RuntimeError(f"{c.name}: no seed meets the quality bar")


def write_case(c, out_dir):
    seed, (sd32, golden_all, _, _, _, _) = find_seed(c)
    rename = RENAME[c.name]
    state = {rename(k): v.numpy().astype("<f4") for k, v in sd32.items()}
    assert len(state) == len(sd32), c.name
    for k, v in EXTRA[c.name].items():
        assert k not in state
        state[k] = v
    config = CONFIG[c.name](c)

    # The config maps every .frnn tensor back to exactly the reference's weights, and uses every tensor not ignored.
    used = set()
    for name, t in sd32.items():
        mapped = resolve(config["tensors"], name)
        assert not ignored(config, mapped), (c.name, name)
        assert np.array_equal(state[mapped], t.numpy()), (c.name, name, mapped)
        used.add(mapped)
    assert used == {k for k in state if not ignored(config, k)}, (c.name, sorted(set(state) - used))

    files = {}
    files[f"{c.name}.safetensors"] = safetensors_bytes(state, {"format": "pt"})
    files[f"{c.name}.config.json"] = (json.dumps(config, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    if isinstance(config["vocabulary"]["source"], str):
        files[config["vocabulary"]["source"]] = ("\n".join(source_vocab(c)) + "\n").encode("utf-8")
        files[config["vocabulary"]["target"]] = ("\n".join(target_vocab(c)) + "\n").encode("utf-8")
    golden = {k: golden_all[k].numpy().astype("<f4")
              for k in ("src", "src_lengths", "tf_target", "tf_logprobs", "greedy_tokens", "greedy_score")}
    metadata = {"case": c.name, "seed": str(seed), "generator": GENERATOR, "reference": ref.GENERATOR,
                "torch_version": torch.__version__, "greedy_max_length": str(ref.GREEDY_MAX),
                "tf_steps": str(ref.TF_STEPS), "token_padding": "-1"}
    files[f"{c.name}.golden.safetensors"] = safetensors_bytes(golden, metadata)

    for name, blob in files.items():
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(blob)

    back, meta = read_safetensors(os.path.join(out_dir, f"{c.name}.safetensors"))
    assert meta == {"format": "pt"} and sorted(back) == sorted(state), c.name
    assert all(np.array_equal(back[k], v) and back[k].dtype == v.dtype for k, v in state.items()), c.name
    back, meta = read_safetensors(os.path.join(out_dir, f"{c.name}.golden.safetensors"))
    assert meta == metadata and all(np.array_equal(back[k], v) for k, v in golden.items()), c.name
    with open(os.path.join(out_dir, f"{c.name}.config.json"), encoding="utf-8") as f:
        assert json.load(f) == config, c.name
    return seed, {name: len(blob) for name, blob in files.items()}


def main():
    repo_root = os.path.dirname(TOOLS)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(repo_root, "tests", "FastRnn.Tests", "Fixtures", "import-seq2seq"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    cases = {c.name: c for c in ref.CASES}
    for name in CASES:
        seed, sizes = write_case(cases[name], args.out)
        print(f"{name} (seed {seed}): " + ", ".join(f"{f} {n} bytes" for f, n in sizes.items()))
    print(f"torch {torch.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Export the shipped date normaliser (weights/date-normalizer.frnn) to ONNX, for ONNX Runtime's batched decoding.

ONNX Runtime has no seq2seq decoder, so the model becomes two graphs that a caller drives, as ONNX seq2seq exports
usually are (an encoder, and a decoder step run once per output token), each with a dynamic batch dimension B and
source length S:

  date-normalizer.encoder.onnx
      source_ids (B, S) int64, padded with <pad>; source_lengths (B) int64
      -> memory (B, S, K) the encoder outputs, zero at padding; keys (B, S, A) = memory W_key^T + b_key, the
         attention's precomputed keys; mask (B, S) bool, true on real positions; hidden (1, B, H) the bridge's
         initial decoder state tanh(W_bridge h<-_1 + b_bridge).
      Ragged batches: the bidirectional GRU reads pack_padded_sequence's lengths, which torch.onnx.export turns into
      the ONNX GRU's `sequence_lens` (with the sort by length that pack_padded_sequence(enforce_sorted=False) does,
      and its inverse). The ONNX GRU stops each row's forward direction at its length and starts its backward
      direction at its own last token, so every row is that source encoded alone.
  date-normalizer.decoder-step.onnx
      token (B) int64, the previous output token (<s> at the first step); hidden (1, B, H); memory, keys, mask as
      the encoder gave them
      -> next_hidden (1, B, H); next_token (B) int64, the greedy choice (ArgMax: the lowest id on ties);
         logprob (B) float, its log-probability (the score's term).
      The model is a Bahdanau decoder (no input feeding), so the hidden state is the whole recurrent state.

Both come from torch.onnx.export (opset 14) of thin wrappers around tools/seq2seq_reference.py's `Seq2Seq`, the
module FastRnn's seq2seq engine is tested against, loaded with the .frnn's float32 tensors (read by tools/frnn.py):
the encoder wrapper calls its `src_embedding`, `encoder`, `bridge_state` and `attention.keys`; the step wrapper its
`step`, then the max over log p. One rewrite follows the export: the attention's context einsum("bs,bsk->bk") is
replaced by the equivalent Unsqueeze -> MatMul (B, 1, S) x (B, S, K) -> Squeeze, since ONNX Runtime runs MatMul
as a batched GEMM, where its Einsum re-plans the contraction and allocates on every run; a competent user would
give it the MatMul.

Checks (the script fails if any does not hold): onnx.checker on both files; then greedy decoding of every held-out
date of tests/FastRnn.Tests/Fixtures/models/date-test.tsv (length limit 16, as the benchmark's) three ways:
  1. the reference's own `greedy`, each date alone (float32);
  2. the two wrappers in PyTorch, in ragged batches of BATCH dates (the last batch smaller);
  3. the two .onnx files run by tools/onnx_numpy.py, a NumPy interpreter written from the ONNX operator
     specification (there is no ONNX Runtime for this Python), on the same ragged batches, plus every
     BATCH_ALONE-th date in a batch of one;
and all three must give the same tokens for every date, with scores within SCORE_TOLERANCE.

Usage: /usr/bin/python3 tools/export_date_normalizer_onnx.py [--out DIR]
  (PyTorch and onnx; single-threaded, so a rerun with the same versions writes the same files)
"""

import argparse
import os
import sys

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tools"))
sys.path.insert(0, os.path.join(REPO, "tools", "train"))
import dates  # noqa: E402  (tools/dates.py)
import frnn  # noqa: E402  (tools/frnn.py)
import seq2seq_reference as ref  # noqa: E402  (tools/seq2seq_reference.py)
import train_date_normalizer as trained  # noqa: E402  (tools/train/train_date_normalizer.py: config, vocabularies)
from onnx_numpy import OnnxNumpy  # noqa: E402  (tools/onnx_numpy.py)

WEIGHTS = os.path.join(REPO, "weights", "date-normalizer.frnn")
OUT = os.path.join(REPO, "bench", "FastRnn.Benchmarks", "models")
ENCODER_FILE = "date-normalizer.encoder.onnx"
STEP_FILE = "date-normalizer.decoder-step.onnx"
OPSET = 14
LIMIT = 16          # the benchmark's maximum output length
BATCH = 256         # the benchmark's largest R
BATCH_ALONE = 50    # every 50th date is also run through the graphs alone
SCORE_TOLERANCE = 1e-3


class Encoder(nn.Module):
    """Ragged batch of sources -> memory, keys, mask, the bridge's initial decoder state."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, source_ids, source_lengths):
        m = self.model
        batch, length = source_ids.shape
        emb = m.src_embedding(source_ids).transpose(0, 1)  # (S, B, E): the reference's encoder is not batch_first
        packed = pack_padded_sequence(emb, source_lengths, enforce_sorted=False)
        # PyTorch's zero initial state, given explicitly: left out, the export bakes in a zero state of the example's
        # batch size as a constant, and any other batch size fails.
        zeros = torch.zeros(m.encoder.num_layers * 2, batch, m.encoder.hidden_size)
        out, h_n = m.encoder(packed, zeros)
        memory = pad_packed_sequence(out, total_length=length)[0].transpose(0, 1)  # (B, S, K), zero at padding
        hidden, _ = m.bridge_state(h_n, None, batch)  # GRU decoder: no cell state
        mask = torch.arange(length)[None, :] < source_lengths[:, None]
        return memory, m.attention.keys(memory), mask, hidden


class DecoderStep(nn.Module):
    """One greedy step for B rows: the reference's `step`, then the best token and its log-probability."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, token, hidden, memory, keys, mask):
        logp, _, (next_hidden, _, _) = self.model.step(token, (hidden, None, None), memory, keys, mask)
        logprob, next_token = logp.max(dim=-1)  # exported as ReduceMax and ArgMax (first index on ties)
        return next_hidden, next_token, logprob


def load_model():
    c = trained.DateConfig()
    f = frnn.FrnnFile.open(WEIGHTS)
    expected = dict(ref.frnn_metadata(c))
    for key in ("seq2seq.encoder.kind", "seq2seq.encoder.hidden_size", "seq2seq.encoder.bidirectional",
                "seq2seq.decoder.kind", "seq2seq.decoder.hidden_size", "seq2seq.decoder.num_layers",
                "seq2seq.bridge", "seq2seq.attention", "seq2seq.attention_size", "seq2seq.input_feeding",
                "seq2seq.output_inputs"):
        assert f.metadata[key] == expected[key], (key, f.metadata[key], expected[key])
    assert f.metadata["seq2seq.src_vocab"] == trained.SRC_VOCAB and f.metadata["seq2seq.tgt_vocab"] == trained.TGT_VOCAB
    assert (f.metadata["seq2seq.bos_id"], f.metadata["seq2seq.eos_id"]) == (ref.BOS, ref.EOS)
    assert "seq2seq.src_bos_id" not in f.metadata and "seq2seq.src_eos_id" not in f.metadata  # sources unframed
    model = ref.Seq2Seq(c)
    model.load_state_dict({name: torch.from_numpy(f.tensor(name).copy()) for name in f.tensors}, strict=True)
    return model.eval()


def export(model, out_dir):
    batch, source = "batch", "source_length"
    src, lengths = trained.source_batch(["30/Oct/1915", "11.8.2020", "Wednesday September 5th, 2012"])
    lengths = torch.tensor(lengths)
    encoder_path = os.path.join(out_dir, ENCODER_FILE)
    torch.onnx.export(
        Encoder(model), (src, lengths), encoder_path, opset_version=OPSET,
        input_names=["source_ids", "source_lengths"], output_names=["memory", "keys", "mask", "hidden"],
        dynamic_axes={"source_ids": {0: batch, 1: source}, "source_lengths": {0: batch},
                      "memory": {0: batch, 1: source}, "keys": {0: batch, 1: source}, "mask": {0: batch, 1: source},
                      "hidden": {1: batch}})
    with torch.no_grad():
        memory, keys, mask, hidden = Encoder(model)(src, lengths)
    step_path = os.path.join(out_dir, STEP_FILE)
    torch.onnx.export(
        DecoderStep(model), (torch.full((len(src),), ref.BOS), hidden, memory, keys, mask), step_path,
        opset_version=OPSET, input_names=["token", "hidden", "memory", "keys", "mask"],
        output_names=["next_hidden", "next_token", "logprob"],
        dynamic_axes={"token": {0: batch}, "hidden": {1: batch}, "memory": {0: batch, 1: source},
                      "keys": {0: batch, 1: source}, "mask": {0: batch, 1: source}, "next_hidden": {1: batch},
                      "next_token": {0: batch}, "logprob": {0: batch}})
    finish(encoder_path, fix_hidden_dims)
    finish(step_path, context_as_matmul)
    return encoder_path, step_path


def finish(path, rewrite):
    m = onnx.load(path)
    rewrite(m.graph)
    m.producer_name, m.doc_string = "tools/export_date_normalizer_onnx.py", "FastRnn date normaliser, " + os.path.basename(path)
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, path)


def fix_hidden_dims(graph):
    """Names the encoder's hidden output (1, batch, H), which the export left as symbols of an Expand."""
    hidden = next(o for o in graph.output if o.name == "hidden")
    dims = hidden.type.tensor_type.shape.dim
    dims[0].dim_value, dims[2].dim_value = 1, trained.DateConfig().H
    dims[1].dim_param = "batch"


def context_as_matmul(graph):
    """einsum("bs,bsk->bk", alpha, M) -> Squeeze(MatMul(Unsqueeze(alpha, 1), M), 1): the same sum, as a GEMM."""
    nodes = list(graph.node)
    [einsum] = [n for n in nodes if n.op_type == "Einsum"]
    assert onnx.helper.get_attribute_value(einsum.attribute[0]) == b"bs,bsk->bk"
    alpha, memory = einsum.input
    axis = onnx.helper.make_tensor("context_axis", onnx.TensorProto.INT64, [1], [1])
    graph.initializer.append(axis)
    replacement = [
        onnx.helper.make_node("Unsqueeze", [alpha, "context_axis"], ["context_alpha_row"], name="/attention/context/Unsqueeze"),
        onnx.helper.make_node("MatMul", ["context_alpha_row", memory], ["context_row"], name="/attention/context/MatMul"),
        onnx.helper.make_node("Squeeze", ["context_row", "context_axis"], [einsum.output[0]], name="/attention/context/Squeeze"),
    ]
    at = nodes.index(einsum)
    del graph.node[:]
    graph.node.extend(nodes[:at] + replacement + nodes[at + 1:])


# ---- greedy decoding, three ways

def reference_greedy(model, texts):
    out = []
    with torch.no_grad():
        for text in texts:
            src, lengths = trained.source_batch([text])
            enc = model.encode(src, lengths)
            out.append(ref.greedy(model, enc, 0, LIMIT, []))
    return out


def batched_greedy(encode, step, texts):
    """Greedy over one ragged batch with encode(src, lengths) and step(token, hidden, memory, keys, mask) as numpy
    functions; every row is stepped until all have finished, its tokens counted up to its EOS."""
    src, lengths = trained.source_batch(texts)
    memory, keys, mask, hidden = encode(src.numpy(), np.array(lengths, dtype=np.int64))
    token = np.full(len(texts), ref.BOS, dtype=np.int64)
    tokens, scores, done = [[] for _ in texts], [0.0] * len(texts), [False] * len(texts)
    for _ in range(LIMIT):
        hidden, token, logprob = step(token, hidden, memory, keys, mask)
        for n in range(len(texts)):
            if not done[n]:
                tokens[n].append(int(token[n]))
                scores[n] += float(logprob[n])
                done[n] = token[n] == ref.EOS
        if all(done):
            break
    return list(zip(tokens, scores))


def torch_functions(model):
    encoder, step = Encoder(model), DecoderStep(model)

    def encode(src, lengths):
        with torch.no_grad():
            return [t.numpy() for t in encoder(torch.from_numpy(src), torch.from_numpy(lengths))]

    def run_step(token, hidden, memory, keys, mask):
        with torch.no_grad():
            args = [torch.from_numpy(a) for a in (token, hidden, memory, keys, mask)]
            return [t.numpy() for t in step(*args)]
    return encode, run_step


def onnx_functions(encoder_path, step_path):
    encoder, step = OnnxNumpy(onnx.load(encoder_path)), OnnxNumpy(onnx.load(step_path))

    def encode(src, lengths):
        out = encoder.run({"source_ids": src, "source_lengths": lengths})
        return out["memory"], out["keys"], out["mask"], out["hidden"]

    def run_step(token, hidden, memory, keys, mask):
        out = step.run({"token": token, "hidden": hidden, "memory": memory, "keys": keys, "mask": mask})
        return out["next_hidden"], out["next_token"], out["logprob"]
    return encode, run_step


def compare(name, got, want, texts):
    for n, ((tokens, score), (ref_tokens, ref_score)) in enumerate(zip(got, want)):
        if tokens != ref_tokens or abs(score - ref_score) > SCORE_TOLERANCE:
            raise AssertionError(f"{name}, date {n} {texts[n]!r}: {tokens} {score:.6f}, "
                                 f"the reference {ref_tokens} {ref_score:.6f}")
    return max(abs(s - r) for (_, s), (_, r) in zip(got, want))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=OUT)
    args = ap.parse_args()
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)

    model = load_model()
    encoder_path, step_path = export(model, args.out)
    for path in (encoder_path, step_path):
        ops = sorted({n.op_type for n in onnx.load(path).graph.node})
        print(f"wrote {path} ({os.path.getsize(path)} bytes, opset {OPSET}): {', '.join(ops)}")

    test = dates.read_tsv(os.path.join(REPO, "tests", "FastRnn.Tests", "Fixtures", "models", "date-test.tsv"))
    texts = [t for t, _ in test]
    want = reference_greedy(model, texts)
    batches = [texts[i:i + BATCH] for i in range(0, len(texts), BATCH)]
    ways = {"PyTorch wrappers": torch_functions(model), "ONNX graphs": onnx_functions(encoder_path, step_path)}
    for name, (encode, step) in ways.items():
        got = [r for part in batches for r in batched_greedy(encode, step, part)]
        worst = compare(name, got, want, texts)
        print(f"{name}, ragged batches of {BATCH}: {len(texts)} of {len(texts)} dates give the reference's tokens "
              f"(largest score difference {worst:.2e})")
    encode, step = ways["ONNX graphs"]
    alone = texts[::BATCH_ALONE]
    worst = compare("ONNX graphs, batch of one", [batched_greedy(encode, step, [t])[0] for t in alone],
                    want[::BATCH_ALONE], alone)
    print(f"ONNX graphs, batch of one: {len(alone)} of {len(alone)} dates agree (largest score difference {worst:.2e})")
    correct = sum("".join(trained.TGT_VOCAB[t] for t in tokens if t != ref.EOS) == iso
                  for (tokens, _), (_, iso) in zip(want, test))
    print(f"exact match with the test set's ISO dates: {correct} of {len(test)}; torch {torch.__version__}, "
          f"onnx {onnx.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()

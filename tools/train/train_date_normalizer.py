#!/usr/bin/env python3
"""Train date-normalizer, FastRnn's shipped seq2seq model: dates as people write them -> ISO YYYY-MM-DD.

Data: tools/dates.py, generated on the fly (nothing is downloaded). Training draws from random.Random(seed); the
validation set (2,000 pairs from random.Random(seed + 1)) and the committed test set
tests/FastRnn.Tests/Fixtures/models/date-test.tsv (random.Random(dates.TEST_SEED)) are never trained on: any
training input equal to one of their inputs is skipped.

Model: tools/seq2seq_reference.py's `Seq2Seq`, the PyTorch implementation of docs/seq2seq.md that FastRnn's
engine is tested against, in the configuration of Bahdanau et al. 2015: a character-level bidirectional GRU
encoder, the decoder's initial state tanh(W h<-_1 + b) from the encoder's final backward state, additive
(`bahdanau`) attention queried with the previous decoder state, a GRU decoder, output layer on [s; c; E y].
Vocabularies: source = <pad> <unk> <s> </s> and every character tools/dates.py can emit; target = the specials,
the digits and '-'. Every target is 10 characters + </s>, so batches need no target padding.

Training: teacher forcing (the reference's `teacher_forcing`), cross-entropy summed over the 11 target tokens and
averaged over the batch, Adam, learning rate cosine-decayed from LR_MAX to LR_MIN over STEPS, gradient norm
clipped at CLIP. Every EVAL_EVERY steps the exact-match accuracy of greedy decoding (the reference's `greedy`, in
float32 like the engine) is measured on the validation set. It passes 99.5 % within the first few hundred steps;
training still runs the whole schedule, because the decayed learning rate leaves wider margins between the best
and the second-best character (what keeps a float32 engine making the same choices), and the script fails if the
final model is below MIN_ACCURACY. Single-threaded and seeded, so a rerun with the same PyTorch writes the same
file.

Writes weights/date-normalizer.frnn through tools/frnn.py with the reference's metadata (`frnn_metadata`: every
seq2seq key), its vocabularies, tokenizer "char", max_source_length MAX_SOURCE_LENGTH, and model.name /
model.description / model.task; the file is re-read and every tensor compared bit for bit.

Usage: python3 tools/train/train_date_normalizer.py [--seed N] [--steps N] [--out PATH]
"""

import argparse
import math
import os
import random
import sys
import time

# One thread everywhere, set before NumPy and PyTorch load their BLAS: results repeat bit for bit, and no idle
# BLAS worker spins on a second core.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tools"))
import dates  # noqa: E402  (tools/dates.py)
import frnn  # noqa: E402  (tools/frnn.py)
import seq2seq_reference as ref  # noqa: E402  (tools/seq2seq_reference.py)

WEIGHTS = os.path.join(REPO, "weights", "date-normalizer.frnn")
TEST_SET = os.path.join(REPO, "tests", "FastRnn.Tests", "Fixtures", "models", "date-test.tsv")

SEED = 20261130
VALIDATION = 2000
BATCH = 128
STEPS = 2500
EVAL_EVERY = 500
MIN_ACCURACY = 0.995
LR_MAX, LR_MIN = 3e-3, 1e-4
CLIP = 1.0
GREEDY_LIMIT = 16  # an ISO date is 10 tokens + </s>
MAX_SOURCE_LENGTH = 64

SRC_VOCAB = ref.SPECIALS + list(dates.ALPHABET)
TGT_VOCAB = ref.SPECIALS + list("0123456789-")
TARGET_LENGTH = len("YYYY-MM-DD") + 1

DESCRIPTION = ("Rewrites a date as people type it, in many formats (\"Mon, 30 Nov 2026\", \"30/11/26\", "
               "\"november 30th, 2026\", \"2026.11.30\"), as ISO 8601 YYYY-MM-DD, character by character. "
               "Years 1900-2099; numeric dates are day first (month first only when the second number is "
               "13-31); two-digit years 00-49 are 20xx and 50-99 are 19xx.")
TASK = "date normalisation"


class DateConfig(ref.Config):
    """The reference's Config without its fixture-size assertions (vocabulary of 30 at most, 3 sources)."""

    def __init__(self):
        self.name = "date-normalizer"
        self.description = DESCRIPTION
        self.enc_kind, self.dec_kind = "gru", "gru"
        self.H_enc, self.L_enc, self.bi = 64, 1, True
        self.H, self.L_dec = 128, 1
        self.E_src, self.E_tgt = 32, 16
        self.bridge, self.attention, self.A = "linear_tanh", "bahdanau", 64
        self.input_feeding, self.output_inputs = False, "h_ctx_emb"
        self.V_src, self.V_tgt = len(SRC_VOCAB), len(TGT_VOCAB)
        self.D = 2
        self.K = self.D * self.H_enc


SRC_ID = {ch: i for i, ch in enumerate(SRC_VOCAB) if i >= len(ref.SPECIALS)}
TGT_ID = {ch: i for i, ch in enumerate(TGT_VOCAB) if i >= len(ref.SPECIALS)}


def source_batch(texts):
    """(N, S) ids padded with <pad>, and the lengths."""
    ids = [[SRC_ID.get(ch, ref.UNK) for ch in t] for t in texts]
    lengths = [len(x) for x in ids]
    assert max(lengths) <= MAX_SOURCE_LENGTH
    src = torch.full((len(ids), max(lengths)), ref.PAD, dtype=torch.long)
    for n, x in enumerate(ids):
        src[n, :len(x)] = torch.tensor(x)
    return src, lengths


def target_batch(isos):
    """(N, 11): the characters of YYYY-MM-DD, then </s>."""
    return torch.tensor([[TGT_ID[ch] for ch in t] + [ref.EOS] for t in isos], dtype=torch.long)


def training_batches(seed, exclude):
    rng = random.Random(seed)
    while True:
        batch = []
        while len(batch) < BATCH:
            text, target = dates.sample(rng)
            if text not in exclude:
                batch.append((text, target))
        yield [t for t, _ in batch], [o for _, o in batch]


def evaluate(model, rows, chunk=500):
    """Greedy exact match (the reference's `greedy`, float32), the outputs, and the smallest argmax margin."""
    outputs, margins = [], []
    model.eval()
    with torch.no_grad():
        for start in range(0, len(rows), chunk):
            part = rows[start:start + chunk]
            src, lengths = source_batch([t for t, _ in part])
            enc = model.encode(src, lengths)
            for n in range(len(part)):
                tokens, _ = ref.greedy(model, enc, n, GREEDY_LIMIT, margins)
                outputs.append("".join(TGT_VOCAB[t] for t in tokens if t not in (ref.BOS, ref.EOS, ref.PAD)))
    model.train()
    correct = sum(out == target for out, (_, target) in zip(outputs, rows))
    return correct / len(rows), outputs, min(margins)


def train(model, batches, validation, steps):
    opt = torch.optim.Adam(model.parameters(), lr=LR_MAX)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (LR_MIN + 0.5 * (LR_MAX - LR_MIN) * (1 + math.cos(math.pi * min(s, steps) / steps))) / LR_MAX)
    start = time.perf_counter()
    reached = None  # the first evaluated step with validation exact match >= MIN_ACCURACY
    for step in range(1, steps + 1):
        texts, isos = next(batches)
        src, lengths = source_batch(texts)
        target = target_batch(isos)
        enc = model.encode(src, lengths)
        logp, _ = ref.teacher_forcing(model, enc, target)  # (N, 11, V_tgt), fed <s> then target[:, :-1]
        loss = -logp.gather(2, target[:, :, None]).sum() / len(texts)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), CLIP)
        opt.step()
        sched.step()
        if step % 100 == 0 or step == 1:
            print(f"step {step:5d}  loss {loss.item():.4f}  lr {sched.get_last_lr()[0]:.2e}  "
                  f"{time.perf_counter() - start:.0f} s", flush=True)
        if step % EVAL_EVERY == 0 or step == steps:
            accuracy, _, _ = evaluate(model, validation)
            print(f"step {step:5d}  validation exact match {accuracy:.4f}", flush=True)
            if reached is None and accuracy >= MIN_ACCURACY:
                reached = step
    return reached


def write_frnn(model, c, path):
    """The reference's metadata and tensor order (as its write_case), with this model's vocabularies."""
    replace = {"seq2seq.src_vocab": SRC_VOCAB, "seq2seq.tgt_vocab": TGT_VOCAB,
               "seq2seq.max_source_length": MAX_SOURCE_LENGTH}
    meta = [(key, replace.get(key, value)) for key, value in ref.frnn_metadata(c)]
    meta += [("model.description", DESCRIPTION), ("model.task", TASK)]
    assert dict(meta)["model.name"] == "date-normalizer"

    sd = {k: v.detach().clone() for k, v in model.state_dict().items()}
    shapes = ref.expected_shapes(c)
    assert sorted(sd) == sorted(shapes), sorted(set(sd) ^ set(shapes))
    w = frnn.FrnnWriter()
    for key, value in meta:
        w.add_metadata(key, value)
    for name, t in sd.items():
        assert tuple(t.shape) == shapes[name], (name, tuple(t.shape), shapes[name])
        w.add_tensor(name, t.numpy())
    size = w.save(path)

    f = frnn.FrnnFile.open(path)  # validates everything, checksum included
    assert list(f.metadata.items()) == meta
    assert list(f.tensors) == list(sd)
    for name, t in sd.items():
        assert f.tensor(name, tuple(t.shape)).tobytes() == t.numpy().astype("<f4").tobytes(), name
    return size


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--steps", type=int, default=STEPS)
    ap.add_argument("--out", default=WEIGHTS, help="where to write the model (default weights/date-normalizer.frnn)")
    args = ap.parse_args()

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(args.seed)
    wall, cpu = time.perf_counter(), time.process_time()

    test = dates.read_tsv(TEST_SET)
    assert test == dates.pairs(dates.TEST_SEED, dates.TEST_COUNT), \
        "the committed test set is not what tools/dates.py generates: rerun python3 tools/dates.py"
    test_inputs = frozenset(t for t, _ in test)
    validation = dates.pairs(args.seed + 1, VALIDATION, exclude=test_inputs)
    held_out = test_inputs | {t for t, _ in validation}

    c = DateConfig()
    model = ref.Seq2Seq(c)  # PyTorch's default initialisation, from torch.manual_seed(seed)
    params = sum(p.numel() for p in model.parameters())
    print(f"{c.summary()}; V_src {c.V_src}, V_tgt {c.V_tgt}; {params} parameters", flush=True)

    reached = train(model, training_batches(args.seed, held_out), validation, args.steps)
    train_wall = time.perf_counter() - wall

    val_accuracy, _, val_margin = evaluate(model, validation)
    test_accuracy, outputs, test_margin = evaluate(model, test)
    print(f"validation exact match >= {MIN_ACCURACY} first at step {reached}")
    print(f"after {args.steps} steps: validation exact match {val_accuracy:.4f} ({VALIDATION} pairs, "
          f"min argmax margin {val_margin:.2e}); test exact match {test_accuracy:.4f} ({len(test)} pairs, "
          f"min argmax margin {test_margin:.2e})")
    for (text, target), out in zip(test, outputs):
        if out != target:
            print(f"  test miss: {text!r} -> {out} (expected {target})")
    assert val_accuracy >= MIN_ACCURACY, f"validation exact match {val_accuracy:.4f} < {MIN_ACCURACY}"

    size = write_frnn(model, c, args.out)
    assert size <= 5 * 1024 * 1024
    print(f"wrote {args.out} ({size} bytes, {params} parameters)")
    print(f"time: training {train_wall:.0f} s wall; total {time.perf_counter() - wall:.0f} s wall, "
          f"{time.process_time() - cpu:.0f} s CPU; torch {torch.__version__}, numpy {np.__version__}, "
          f"python {sys.version.split()[0]}, seed {args.seed}")


if __name__ == "__main__":
    main()

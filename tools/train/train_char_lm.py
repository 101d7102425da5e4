#!/usr/bin/env python3
"""Train char-lm, FastRnn's character language model, on the King James Bible.

Data: the King James Version (1611, public domain) from Debian's bible-kjv-text package, which installs it
compressed as /usr/lib/bible.data; the package's own reader, /usr/bin/bible (package bible-kjv), decompresses it.
`bible -f` prints one verse per line with its reference ("Ge1:1 In the beginning God created ..."); that output,
31,102 lines, is the corpus, used as printed. The last 5% of its characters are the validation split, the rest
the training split.

Vocabulary: "<unk>" (id 0), then every character of the text in code-point order.

Model: nn.Embedding(V, 64) -> nn.LSTM(64, 256, num_layers=2) -> nn.Linear(256, V), softmax over the next character.

Training: truncated backpropagation through time. The training split is cut into BATCH contiguous streams read
SEQ_LEN characters at a time, the state carried (detached) from one window to the next and reset at every epoch,
which starts at a random offset so window boundaries move. Cross-entropy on every position, Adam, learning rate
cosine-decayed over the run, gradient norm clipped. The run is budgeted by wall-clock time: after a few timed steps
the script fixes the number of steps that fits the budget and prints it; `--steps N` runs exactly N steps instead,
and with the same N, seed and PyTorch the weights are the same (single thread, deterministic algorithms).

Validation bits per character is printed during training on a fixed subset (16 windows of 2,048 characters spread
over the validation split, each from a zero state) and at the end on the whole split (32 contiguous streams, each
from a zero state).

Writes (paths relative to the repository root):
  weights/char-lm.frnn                                          the model, float32, via tools/frnn.py
  tests/FastRnn.Tests/Fixtures/models/char-lm-validation.txt    a slice of the validation text, ~4,000 characters
  tests/FastRnn.Tests/Fixtures/models/char-lm-validation.json   PyTorch's bits per character on it (float64)

Usage: python3 tools/train/train_char_lm.py [--budget SECONDS | --steps N] [--seed N]
       python3 tools/train/train_char_lm.py --fixtures-only    rewrite the fixtures from weights/char-lm.frnn
"""

import argparse
import hashlib
import json
import math
import os
import subprocess
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
import frnn  # noqa: E402  (tools/frnn.py)

GENERATOR = "tools/train/train_char_lm.py"
WEIGHTS = os.path.join(REPO, "weights", "char-lm.frnn")
FIXTURES = os.path.join(REPO, "tests", "FastRnn.Tests", "Fixtures", "models")
GOLDEN_TEXT = os.path.join(FIXTURES, "char-lm-validation.txt")
GOLDEN_JSON = os.path.join(FIXTURES, "char-lm-validation.json")

# The Debian packages: bible-kjv-text installs the compressed text, bible-kjv the program that reads it.
BIBLE_DATA_DIR = "/usr/lib"
BIBLE_DATA = os.path.join(BIBLE_DATA_DIR, "bible.data")
BIBLE_PROGRAM = "/usr/bin/bible"
WHOLE_BIBLE = "Gen1:1-Rev22:21"
VERSES = 31102

UNK = "<unk>"
SEED = 20240613
EMBEDDING, HIDDEN, LAYERS = 64, 256, 2
SEQ_LEN, BATCH = 128, 32
LR_MAX, LR_MIN = 4e-3, 1e-4
CLIP = 1.0
BUDGET = 780.0                 # seconds of training, evaluation included; export and fixtures come after
TIMING_STEPS = 20              # steps run before the step count is fixed; the first TIMING_SKIP are not timed
TIMING_SKIP = 5
EVAL_EVERY = 100
VALID_FRACTION = 0.05
MONITOR_WINDOWS, MONITOR_LEN = 16, 2048
FINAL_STREAMS = 32
GOLDEN_CHARS = 4000            # the slice is whole lines, at least this many characters


class CharLm(nn.Module):
    """Attribute names match the .frnn tensor names: embedding.*, rnn.*, output.*."""

    def __init__(self, vocab_size):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, EMBEDDING)
        self.rnn = nn.LSTM(EMBEDDING, HIDDEN, num_layers=LAYERS)
        self.output = nn.Linear(HIDDEN, vocab_size)

    def forward(self, ids, state=None):
        """ids (T, B) -> logits (T, B, V), final state."""
        h, state = self.rnn(self.embedding(ids), state)
        return self.output(h), state


def load_text():
    """The whole KJV as the package's reader prints it with pretty-printing off: one verse per line."""
    missing = [(path, package) for path, package in ((BIBLE_DATA, "bible-kjv-text"), (BIBLE_PROGRAM, "bible-kjv"))
               if not os.path.exists(path)]
    if missing:
        sys.exit("the training text is missing: " + ", ".join(f"{p} (Debian package {k})" for p, k in missing)
                 + ". Install it with: apt-get install bible-kjv-text bible-kjv")
    # -p: read the data from the package's directory only (the program would try the current directory first).
    run = subprocess.run([BIBLE_PROGRAM, "-f", "-p", BIBLE_DATA_DIR, WHOLE_BIBLE], stdin=subprocess.DEVNULL,
                         capture_output=True, check=True)
    text = run.stdout.decode("utf-8")
    lines = text.count("\n")
    if lines != VERSES or "\r" in text:
        sys.exit(f"{BIBLE_PROGRAM} printed {lines} lines, expected {VERSES} verses with \\n line ends")
    return text


def bits_per_char(model, ids):
    """Mean -log2 p(ids[t] | ids[<t]) over t >= 1 of every column of ids (T, B), each column from a zero state."""
    with torch.no_grad():
        logits, _ = model(ids[:-1])
        nats = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids[1:].reshape(-1))
    return nats.item() / math.log(2)


def columns(ids, count, length=None):
    """(length, count): `count` windows of `length` (default: all of it) spread evenly over ids, as columns."""
    length = length or len(ids) // count
    starts = np.linspace(0, len(ids) - length, count).round().astype(np.int64)
    return torch.stack([ids[s:s + length] for s in starts], dim=1)


def learning_rate(step, total):
    """LR_MAX for the timed steps (the total is not known yet), then cosine-decayed to LR_MIN at `total`."""
    if step < TIMING_STEPS:
        return LR_MAX
    progress = (step - TIMING_STEPS) / max(1, total - TIMING_STEPS)
    return LR_MIN + 0.5 * (LR_MAX - LR_MIN) * (1 + math.cos(math.pi * progress))


def train(model, ids, valid_monitor, args, rng):
    streams = ids[:len(ids) // BATCH * BATCH].view(BATCH, -1).t().contiguous()  # (chars per stream, BATCH)
    opt = torch.optim.Adam(model.parameters(), lr=LR_MAX)
    start = time.perf_counter()
    total = args.steps                 # None until the timed steps have fixed it
    step, epoch = 0, 0
    print(f"step     0  valid bpc {bits_per_char(model, valid_monitor):.4f}", flush=True)
    eval_seconds = time.perf_counter() - start
    while total is None or step < total:
        epoch += 1
        offset = int(rng.integers(0, SEQ_LEN))
        state = None
        for pos in range(offset, streams.shape[0] - SEQ_LEN - 1, SEQ_LEN):
            if total is not None and step >= total:
                break
            lr = learning_rate(step, total)
            for group in opt.param_groups:
                group["lr"] = lr
            x, y = streams[pos:pos + SEQ_LEN], streams[pos + 1:pos + SEQ_LEN + 1]
            logits, state = model(x, state)
            state = tuple(s.detach() for s in state)
            loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), CLIP)
            opt.step()
            step += 1

            if step == TIMING_SKIP:
                timed_from = time.perf_counter()  # the first steps are slower (allocator and cache warm-up)
            if total is None and step == TIMING_STEPS:
                # Fix the step count now, so the schedule is a function of the step and `--steps` can replay it.
                per_step = (time.perf_counter() - timed_from) / (TIMING_STEPS - TIMING_SKIP)
                per_step_with_eval = per_step + eval_seconds / EVAL_EVERY
                total = max(TIMING_STEPS, int((args.budget - (time.perf_counter() - start)) / per_step_with_eval)
                            + TIMING_STEPS)
                print(f"{per_step:.3f} s per step, {eval_seconds:.1f} s per evaluation: {total} steps fit "
                      f"{args.budget:.0f} s (rerun with --steps {total} to repeat this run)", flush=True)
            if step % EVAL_EVERY == 0 or step == total:
                print(f"step {step:5d}  epoch {epoch}  lr {lr:.2e}  train bpc {loss.item() / math.log(2):.4f}  "
                      f"valid bpc {bits_per_char(model, valid_monitor):.4f}  "
                      f"{time.perf_counter() - start:.0f} s", flush=True)
    return step, epoch, time.perf_counter() - start


def write_frnn(model, vocab, path):
    sd = model.state_dict()
    w = frnn.FrnnWriter()
    w.add_metadata("fastrnn.architecture", "lm")
    w.add_metadata("rnn.kind", "lstm")
    w.add_metadata("rnn.input_size", EMBEDDING)
    w.add_metadata("rnn.hidden_size", HIDDEN)
    w.add_metadata("rnn.num_layers", LAYERS)
    w.add_metadata("rnn.proj_size", 0)
    w.add_metadata("rnn.bidirectional", False)
    w.add_metadata("rnn.bias", True)
    w.add_metadata("rnn.gru_reset_after", True)  # not used by an LSTM; FastRnn's schema requires the key
    w.add_metadata("rnn.nonlinearity", "tanh")
    w.add_metadata("lm.vocab", vocab)
    w.add_metadata("lm.unk_id", vocab.index(UNK))
    w.add_metadata("lm.tokenizer", "char")
    w.add_metadata("model.name", "char-lm")
    w.add_metadata("model.description", f"A character language model: {EMBEDDING}-d embedding, a {LAYERS}-layer "
                   f"LSTM of {HIDDEN} cells, and a softmax over {len(vocab)} characters (\"<unk>\" and the "
                   f"characters of the King James Bible).")
    w.add_metadata("model.task", "character language modelling")
    w.add_metadata("model.data", "King James Version of the Bible (1611, public domain), Debian package "
                   "bible-kjv-text, one verse per line as printed by `bible -f`; last 5% held out for validation")
    for name, tensor in sd.items():
        w.add_tensor(name, tensor.detach().numpy())
    size = w.save(path)

    f = frnn.FrnnFile.open(path)  # re-read with checksum verification; tensors must be bit-identical
    for name, tensor in sd.items():
        assert np.array_equal(f.tensor(name, tuple(tensor.shape)).view(np.uint32),
                              tensor.numpy().view(np.uint32)), name
    return size


def read_frnn(path):
    """The model and vocabulary stored in a char-lm .frnn file."""
    f = frnn.FrnnFile.open(path)
    vocab = list(f.metadata["lm.vocab"])
    model = CharLm(len(vocab))
    state = {name: torch.from_numpy(np.array(f.tensor(name, tuple(t.shape))))
             for name, t in model.state_dict().items()}
    model.load_state_dict(state)
    return model, vocab


def golden_slice(valid_text):
    """Whole lines from the start of the first complete line of the validation split, at least GOLDEN_CHARS long."""
    start = valid_text.index("\n") + 1
    end = start
    while end - start < GOLDEN_CHARS:
        end = valid_text.index("\n", end) + 1
    return valid_text[start:end]


def write_golden(model, vocab, text):
    index = {c: i for i, c in enumerate(vocab)}
    ids = torch.tensor([index.get(c, vocab.index(UNK)) for c in text], dtype=torch.long)
    model64 = CharLm(len(vocab)).double()
    model64.load_state_dict({k: v.double() for k, v in model.state_dict().items()})  # exactly the float32 weights
    with torch.no_grad():
        logits, _ = model64(ids[:-1, None])  # zero state; c_0 is fed first
        log_p = torch.log_softmax(logits[:, 0], dim=-1).gather(1, ids[1:, None])
    bpc = (-log_p.mean() / math.log(2)).item()
    golden = {"bits_per_char": bpc, "characters": len(text), "torch_version": torch.__version__,
              "generator": GENERATOR}
    os.makedirs(FIXTURES, exist_ok=True)
    with open(GOLDEN_TEXT, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    with open(GOLDEN_JSON, "w", encoding="utf-8", newline="\n") as f:
        json.dump(golden, f, indent=2)
        f.write("\n")
    return bpc


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--budget", type=float, default=BUDGET, help="seconds of training (default %(default)s)")
    ap.add_argument("--steps", type=int, help="train exactly this many steps instead of filling the budget")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--fixtures-only", action="store_true",
                    help="do not train: rewrite the test fixtures from the existing weights/char-lm.frnn")
    args = ap.parse_args()

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(args.seed)
    wall, cpu = time.perf_counter(), time.process_time()

    text = load_text()
    n_valid = int(len(text) * VALID_FRACTION)
    train_text, valid_text = text[:-n_valid], text[-n_valid:]
    print(f"text: {len(text):,} characters, {text.count(chr(10)):,} lines, sha256 "
          f"{hashlib.sha256(text.encode('utf-8')).hexdigest()}; train {len(train_text):,}, "
          f"validation {len(valid_text):,}")

    if args.fixtures_only:
        model, vocab = read_frnn(WEIGHTS)
    else:
        vocab = [UNK] + sorted(set(text))
        index = {c: i for i, c in enumerate(vocab)}
        train_ids = torch.tensor([index[c] for c in train_text], dtype=torch.long)
        valid_ids = torch.tensor([index[c] for c in valid_text], dtype=torch.long)
        model = CharLm(len(vocab))
        params = sum(p.numel() for p in model.parameters())
        print(f"vocabulary {len(vocab)}, {params:,} parameters")

        steps, epochs, seconds = train(model, train_ids, columns(valid_ids, MONITOR_WINDOWS, MONITOR_LEN), args,
                                       np.random.default_rng([args.seed, 0]))
        full = columns(valid_ids, FINAL_STREAMS)
        print(f"trained {steps} steps ({epochs} epochs begun, {steps * SEQ_LEN * BATCH / len(train_ids):.2f} passes "
              f"over the training text) in {seconds:.0f} s")
        print(f"validation bpc, whole split ({FINAL_STREAMS} streams x {full.shape[0]:,} characters, each from a "
              f"zero state): {bits_per_char(model, full):.4f}")
        size = write_frnn(model, vocab, WEIGHTS)
        print(f"wrote {os.path.relpath(WEIGHTS, REPO)} ({size:,} bytes, {params:,} parameters)")

    golden_text = golden_slice(valid_text)
    bpc = write_golden(model, vocab, golden_text)
    print(f"wrote {os.path.relpath(GOLDEN_TEXT, REPO)} ({len(golden_text):,} characters, "
          f"{golden_text.count(chr(10))} lines) and {os.path.relpath(GOLDEN_JSON, REPO)} (bits/char {bpc:.6f})")
    print(f"time: {time.perf_counter() - wall:.1f} s wall, {time.process_time() - cpu:.1f} s CPU")


if __name__ == "__main__":
    main()

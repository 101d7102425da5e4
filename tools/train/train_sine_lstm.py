#!/usr/bin/env python3
"""Train sine-lstm, FastRnn's example streaming model: next-sample prediction on noisy sinusoid mixtures.

Model: nn.LSTM(input_size=1, hidden_size=64, num_layers=1, proj_size=1). It reads one sample x_t per step;
its 1-d output h_t is the prediction of x_{t+1}.

Data, generated here (no download): each sequence is a sum of 2 or 3 sinusoids
    x_t = sum_k a_k sin(2 pi f_k t + phi_k) / sum_k a_k + noise_t
with f_k ~ U(0.01, 0.1) cycles/sample, phi_k ~ U(0, 2 pi), a_k ~ U(0.2, 1.0), noise_t ~ N(0, 0.02^2).
Dividing by the sum of the amplitudes keeps the clean signal in [-1, 1]. The target is the next noisy
sample, so no predictor can get below an RMSE of about 0.02.

Training: sequences of 200 samples, batch 32, MSE over every step, Adam, cosine-decayed learning rate,
seeded and single-threaded, so a rerun with the same PyTorch gives the same weights.

Writes (paths relative to the repository root):
  weights/sine-lstm.frnn                                             the model, via tools/frnn.py
  tests/FastRnn.Tests/Fixtures/models/sine-lstm-golden.safetensors   a validation slice with PyTorch's
      predictions (float64 forward pass on the float32 weights) for FastRnn's tests

Usage: python3 tools/train/train_sine_lstm.py [--steps N] [--seed N]
"""

import argparse
import math
import os
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
from gen_rnn_fixtures import read_safetensors, safetensors_bytes  # noqa: E402

GENERATOR = "tools/train/train_sine_lstm.py"
WEIGHTS = os.path.join(REPO, "weights", "sine-lstm.frnn")
GOLDEN = os.path.join(REPO, "tests", "FastRnn.Tests", "Fixtures", "models", "sine-lstm-golden.safetensors")

SEED = 20240612
HIDDEN = 64
SEQ_LEN = 200
BATCH = 32
STEPS = 3000
LR_MAX, LR_MIN = 3e-2, 1e-4
CLIP = 1.0
NOISE = 0.02
FREQ_RANGE = (0.01, 0.1)
AMP_RANGE = (0.2, 1.0)
HELD_OUT = 256         # held-out sequences of SEQ_LEN samples
GOLDEN_T, GOLDEN_B = 400, 4  # the golden slice is twice as long as a training sequence


def signals(rng, batch, length):
    """(length, batch, 1) float32: normalised sums of 2-3 random sinusoids plus Gaussian noise."""
    t = np.arange(length, dtype=np.float64)
    out = np.empty((length, batch), dtype=np.float64)
    for b in range(batch):
        k = rng.integers(2, 4)
        f = rng.uniform(*FREQ_RANGE, size=k)
        phi = rng.uniform(0.0, 2 * math.pi, size=k)
        a = rng.uniform(*AMP_RANGE, size=k)
        clean = (a[:, None] * np.sin(2 * math.pi * f[:, None] * t[None, :] + phi[:, None])).sum(0) / a.sum()
        out[:, b] = clean + rng.normal(0.0, NOISE, size=length)
    return torch.from_numpy(out.astype(np.float32)).unsqueeze(-1)


def rmse_model_and_naive(x, y):
    """Float64 RMSEs of predicting x[t+1] by y[t] and by x[t], over t = 0..T-2."""
    x, y = x.double(), y.double()
    model = torch.sqrt(((y[:-1] - x[1:]) ** 2).mean()).item()
    naive = torch.sqrt(((x[:-1] - x[1:]) ** 2).mean()).item()
    return model, naive


def train(model, steps, rng):
    opt = torch.optim.Adam(model.parameters(), lr=LR_MAX)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (LR_MIN + 0.5 * (LR_MAX - LR_MIN) * (1 + math.cos(math.pi * s / steps))) / LR_MAX)
    for step in range(1, steps + 1):
        x = signals(rng, BATCH, SEQ_LEN)
        y, _ = model(x)
        loss = ((y[:-1] - x[1:]) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), CLIP)
        opt.step()
        sched.step()
        if step % 250 == 0 or step == 1:
            print(f"step {step:5d}  train rmse {math.sqrt(loss.item()):.4f}", flush=True)


def write_frnn(model, path):
    sd = model.state_dict()
    w = frnn.FrnnWriter()
    w.add_metadata("fastrnn.architecture", "rnn")
    w.add_metadata("rnn.kind", "lstm")
    w.add_metadata("rnn.input_size", model.input_size)
    w.add_metadata("rnn.hidden_size", model.hidden_size)
    w.add_metadata("rnn.num_layers", model.num_layers)
    w.add_metadata("rnn.proj_size", model.proj_size)
    w.add_metadata("rnn.bidirectional", model.bidirectional)
    w.add_metadata("rnn.bias", model.bias)
    w.add_metadata("rnn.gru_reset_after", True)  # not used by an LSTM; FastRnn's schema requires the key
    w.add_metadata("rnn.nonlinearity", "tanh")
    w.add_metadata("model.name", "sine-lstm")
    w.add_metadata("model.description", "A 64-cell LSTM with a 1-d projection that reads a noisy mixture of "
                   "sinusoids one sample at a time and predicts the next sample.")
    w.add_metadata("model.task", "next-sample prediction")
    names = ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_hr_l0"]
    assert list(sd) == names, list(sd)
    for name in names:
        w.add_tensor(name, sd[name].detach().numpy())
    size = w.save(path)

    f = frnn.FrnnFile.open(path)  # re-read with checksum verification; tensors must be bit-identical
    for name in names:
        assert np.array_equal(f.tensor(name, tuple(sd[name].shape)).view(np.uint32),
                              sd[name].numpy().view(np.uint32)), name
    return size


def write_golden(model, path, seed):
    x = signals(np.random.default_rng([seed, 2]), GOLDEN_B, GOLDEN_T)
    with torch.no_grad():
        y64, _ = model.double()(x.double())  # float64 on exactly the float32 weights, zero initial state
    model.float()
    rmse_model, rmse_naive = rmse_model_and_naive(x, y64)
    tensors = {"input": x, "output": y64.float()}
    metadata = {
        "generator": GENERATOR,
        "torch_version": torch.__version__,
        "seed": str(seed),
        "rmse_model": f"{rmse_model:.17g}",
        "rmse_naive": f"{rmse_naive:.17g}",
    }
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(safetensors_bytes(tensors, metadata))
    back, meta = read_safetensors(path)
    assert meta == metadata and all(torch.equal(back[k], v) for k, v in tensors.items())
    return rmse_model, rmse_naive


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=STEPS)
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args()

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(args.seed)
    wall, cpu = time.perf_counter(), time.process_time()

    model = nn.LSTM(input_size=1, hidden_size=HIDDEN, num_layers=1, proj_size=1)
    # Separate streams for training batches, the held-out set and the golden slice, so none overlaps.
    train(model, args.steps, np.random.default_rng([args.seed, 0]))

    held_out = signals(np.random.default_rng([args.seed, 1]), HELD_OUT, SEQ_LEN)
    with torch.no_grad():
        y, _ = model(held_out)
    rmse_model, rmse_naive = rmse_model_and_naive(held_out, y)
    print(f"held-out ({HELD_OUT} x {SEQ_LEN} samples): rmse model {rmse_model:.5f}, "
          f"naive (repeat last sample) {rmse_naive:.5f}, ratio {rmse_naive / rmse_model:.2f}")
    assert rmse_model < rmse_naive / 2, "the model does not clearly beat the naive baseline"

    size = write_frnn(model, WEIGHTS)
    g_model, g_naive = write_golden(model, GOLDEN, args.seed)
    print(f"wrote {os.path.relpath(WEIGHTS, REPO)} ({size} bytes, "
          f"{sum(p.numel() for p in model.parameters())} parameters)")
    print(f"wrote {os.path.relpath(GOLDEN, REPO)} (golden slice rmse model {g_model:.5f}, naive {g_naive:.5f})")
    print(f"time: {time.perf_counter() - wall:.1f} s wall, {time.process_time() - cpu:.1f} s CPU")


if __name__ == "__main__":
    main()

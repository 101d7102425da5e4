#!/usr/bin/env python3
"""Generate the whole-graph ONNX models of FastRnn's graph tests (tests/FastRnn.Tests/Fixtures/graph/).

Only models are written: the tests draw their own seeded inputs and run each model through ONNX Runtime (the
oracle) and through FastRnn after `fastrnn convert`, call after call, carrying the recurrent state where the model
has one. Weights are random (seeded); the models have the structure of real ones, not their accuracy.

* text_classifier: Embedding(50, 16) -> 2-layer bidirectional LSTM(24) -> [last step ; mean over time] ->
  Linear(96, 5) -> LogSoftmax. Input "tokens" int64 (B = 2, T = 12), output "log_probs" (2, 5).
* kws_crnn: a CRNN keyword spotter over 40-dimensional frames: Conv1d(40, 32, 3, pad 1) + BatchNorm + ReLU,
  depthwise Conv1d(32, 32, 3, dilation 2, pad 2, groups 32) + BatchNorm + ReLU, Conv1d(32, 48, 3, stride 2) +
  BatchNorm + ReLU -> GRU(48, 64) -> last step -> Linear(64, 10). Input "frames" (1, 40, 50), output "logits".
  Exported with training=PRESERVE on an eval-mode model so the BatchNormalization nodes stay in the graph.
* vad: Silero VAD v5's published structure, scripted so that the export has the same control flow: an int64 "sr"
  input chooses a 16 kHz or an 8 kHz branch through If. 16 kHz: a 576-sample input (64 of context + 512), reflect
  padding of 64, an STFT as Conv1d (258 filters, kernel 256, stride 128), magnitude sqrt(re^2 + im^2), four
  Conv1d(kernel 3) + ReLU blocks (129->128, 128->64 stride 2, 64->64 stride 2, 64->128), an LSTM cell of 128 whose
  state (2, B, 128) is the "state" input and the "stateN" output, ReLU, a 1x1 Conv1d, Sigmoid and a mean.
  The 8 kHz branch is the same at half the sizes (filter 128, hop 64, pad 32). Dynamic axes: input (batch,
  samples), state (2, batch, 128); convert with --fix sr=16000 --shape input=1x576 --shape state=2x1x128.
* op_zoo: the operators the others do not use, once each: LayerNormalization, MatMul + Add, GELU (Erf), LeakyRelu,
  Softplus, Tanh, Split, Abs, Neg, Exp, Log, Concat, Softmax, LogSoftmax, Div, Pad (constant), Flatten, ReduceSum,
  ReduceMax. Input "x" (2, 8, 16), outputs "pooled" (2, 1) and "gates" (2, 8, 16).
* layer_norm_opset17: LayerNorm(24) -> GELU -> Linear(24, 6) -> Softmax, exported at opset 17, where LayerNorm is
  one LayerNormalization node. Input "x" (3, 5, 24), output "probs" (3, 5, 6).

Usage: /usr/bin/python3 tools/gen_graph_fixtures.py [--out DIR] [--seed N]
Made with PyTorch 1.13 and onnx 1.12 (opset 14); the operators of each model are printed and checked.
"""

import argparse
import io
import os

import onnx
import torch
import torch.nn.functional as F
from torch import nn

OPSET = 14
BASE_SEED = 20261201

# The operators the real Silero VAD v5 graph uses; the vad fixture must use each one.
SILERO_OPERATORS = {
    "Constant", "Equal", "If", "ConstantOfShape", "Concat", "Reshape", "Slice", "Transpose", "Cast", "Pad",
    "Unsqueeze", "Conv", "Pow", "Add", "Sqrt", "Relu", "Shape", "Gather", "Squeeze", "Identity", "Size", "Not",
    "LSTM", "Sigmoid", "ReduceMean",
}


class TextClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(50, 16)
        self.lstm = nn.LSTM(16, 24, num_layers=2, bidirectional=True)
        self.head = nn.Linear(4 * 24, 5)

    def forward(self, tokens):            # (B, T) int64
        x = self.embedding(tokens.t())    # (T, B, 16)
        y, _ = self.lstm(x)               # (T, B, 48)
        pooled = torch.cat([y[-1], y.mean(dim=0)], dim=1)
        return F.log_softmax(self.head(pooled), dim=1)


class KeywordSpotter(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv1d(40, 32, 3, padding=1)
        self.bn1 = nn.BatchNorm1d(32)
        self.conv2 = nn.Conv1d(32, 32, 3, dilation=2, padding=2, groups=32)
        self.bn2 = nn.BatchNorm1d(32)
        self.conv3 = nn.Conv1d(32, 48, 3, stride=2)
        self.bn3 = nn.BatchNorm1d(48)
        self.gru = nn.GRU(48, 64)
        self.head = nn.Linear(64, 10)

    def forward(self, frames):            # (B, 40, T)
        x = F.relu(self.bn1(self.conv1(frames)))
        x = F.relu(self.bn2(self.conv2(x)))
        x = F.relu(self.bn3(self.conv3(x)))
        y, _ = self.gru(x.permute(2, 0, 1))
        return self.head(y[-1])


class Stft(nn.Module):
    def __init__(self, filter_length, hop):
        super().__init__()
        self.filter_length = filter_length
        self.hop = hop
        self.register_buffer("forward_basis_buffer", torch.randn(filter_length + 2, 1, filter_length) * 0.05)

    def forward(self, x):                 # (B, samples)
        x = F.pad(x.unsqueeze(1), (0, self.filter_length // 4), mode="reflect")
        ft = F.conv1d(x, self.forward_basis_buffer, stride=self.hop)
        cutoff = self.filter_length // 2 + 1
        real = ft[:, :cutoff, :]
        imag = ft[:, cutoff:, :]
        return torch.sqrt(real.pow(2) + imag.pow(2))


class VadBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv = nn.Conv1d(cin, cout, 3, stride=stride, padding=1)

    def forward(self, x):
        return F.relu(self.conv(x))


class VadDecoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTMCell(128, 128)
        self.conv = nn.Conv1d(128, 1, 1)

    def forward(self, x, state):          # x (B, 128, 1), state (2, B, 128)
        x = x.transpose(1, 2).squeeze(1)
        h, c = self.rnn(x, (state[0], state[1]))
        new_state = torch.stack([h, c])
        x = torch.sigmoid(self.conv(F.relu(h.unsqueeze(-1))))
        return x, new_state


class VadModel(nn.Module):
    def __init__(self, filter_length, hop):
        super().__init__()
        bins = filter_length // 2 + 1
        self.stft = Stft(filter_length, hop)
        self.encoder = nn.Sequential(VadBlock(bins, 128, 1), VadBlock(128, 64, 2), VadBlock(64, 64, 2), VadBlock(64, 128, 1))
        self.decoder = VadDecoder()

    def forward(self, x, state):
        x = self.stft(x)
        x = self.encoder(x)
        out, state = self.decoder(x, state)
        return out.squeeze(1).mean(dim=1, keepdim=True), state


class Vad(nn.Module):
    def __init__(self):
        super().__init__()
        self.model_16k = VadModel(256, 128)
        self.model_8k = VadModel(128, 64)

    def forward(self, x, state, sr):
        if x.dim() == 1:
            x = x.unsqueeze(0)
        batch = x.size(0)
        state = state.reshape(2, batch, 128)
        if not bool(sr == 16000):
            out, state_n = self.model_8k(x, state)
        else:
            out, state_n = self.model_16k(x, state)
        bias = torch.zeros(batch, 1, dtype=torch.float32)
        return out + bias, state_n.reshape(2, batch, 128)


class OpZoo(nn.Module):
    """The operators the three acceptance models do not use, each once, on a (2, 8, 16) input."""

    def __init__(self):
        super().__init__()
        self.norm = nn.LayerNorm(16)
        self.linear = nn.Linear(16, 16)
        self.conv = nn.Conv1d(4, 4, 3, padding=1)

    def forward(self, x):
        b = F.gelu(self.linear(self.norm(x)))
        c = F.leaky_relu(b, 0.2) + F.softplus(x) - torch.tanh(x) * 0.5
        d, e = torch.split(c, [6, 10], dim=2)
        f = torch.cat([torch.exp(-d.abs()), torch.log(e.abs() + 1)], dim=2)
        g = F.softmax(f, dim=1) + F.log_softmax(f, dim=2) / 4
        h = F.pad(g, (1, 2), mode="constant", value=0.25)
        j = torch.flatten(self.conv(h.reshape(2, 4, 38)), 1)
        # Scaled before the sum so the output stays near 1, where float32's rounding is far below the tolerance.
        return (j * 0.02).sum(dim=1, keepdim=True) + torch.amax(j, dim=1, keepdim=True), torch.sigmoid(g)


class LayerNormHead(nn.Module):
    """LayerNorm and a GELU head, exported at opset 17, where they are the LayerNormalization operator."""

    def __init__(self):
        super().__init__()
        self.norm = nn.LayerNorm(24)
        self.linear = nn.Linear(24, 6)

    def forward(self, x):
        return F.softmax(self.linear(F.gelu(self.norm(x))), dim=-1)


def onnx_bytes(module, args, input_names, output_names, dynamic_axes=None, opset=OPSET, **kwargs):
    buffer = io.BytesIO()
    torch.onnx.export(module, args, buffer, opset_version=opset, input_names=input_names,
                      output_names=output_names, dynamic_axes=dynamic_axes, **kwargs)
    return onnx.load_from_string(buffer.getvalue())


def operators(graph):
    found = set()
    for node in graph.node:
        found.add(node.op_type)
        for a in node.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                found |= operators(a.g)
    return found


def save(model, out, name):
    onnx.checker.check_model(model)
    path = os.path.join(out, name + ".onnx")
    onnx.save(model, path)
    print(f"{path}: {', '.join(sorted(operators(model.graph)))}")
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "tests", "FastRnn.Tests", "Fixtures", "graph"))
    parser.add_argument("--seed", type=int, default=BASE_SEED)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    torch.manual_seed(args.seed)
    text = TextClassifier().eval()
    save(onnx_bytes(text, (torch.zeros(2, 12, dtype=torch.long),), ["tokens"], ["log_probs"]), args.out, "text_classifier")

    torch.manual_seed(args.seed + 1)
    kws = KeywordSpotter().eval()
    for bn in (kws.bn1, kws.bn2, kws.bn3):
        # Running statistics away from (0, 1) so a wrong fold shows.
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)
        bn.weight.data.uniform_(0.5, 1.5)
        bn.bias.data.uniform_(-0.2, 0.2)
    save(onnx_bytes(kws, (torch.zeros(1, 40, 50),), ["frames"], ["logits"], training=torch.onnx.TrainingMode.PRESERVE,
                    do_constant_folding=False), args.out, "kws_crnn")

    torch.manual_seed(args.seed + 3)
    save(onnx_bytes(OpZoo().eval(), (torch.zeros(2, 8, 16),), ["x"], ["pooled", "gates"]), args.out, "op_zoo")

    torch.manual_seed(args.seed + 4)
    head = LayerNormHead().eval()
    head.norm.weight.data.uniform_(0.5, 1.5)
    head.norm.bias.data.uniform_(-0.3, 0.3)
    save(onnx_bytes(head, (torch.zeros(3, 5, 24),), ["x"], ["probs"], opset=17), args.out, "layer_norm_opset17")

    torch.manual_seed(args.seed + 2)
    vad = torch.jit.script(Vad().eval())
    example = (torch.zeros(1, 576), torch.zeros(2, 1, 128), torch.tensor(16000, dtype=torch.long))
    model = save(onnx_bytes(vad, example, ["input", "state", "sr"], ["output", "stateN"],
                            dynamic_axes={"input": {0: "batch", 1: "samples"}, "state": {1: "batch"}}), args.out, "vad")
    missing = SILERO_OPERATORS - operators(model.graph)
    if missing:
        raise SystemExit(f"vad lacks operators of Silero VAD v5: {', '.join(sorted(missing))}")


if __name__ == "__main__":
    main()

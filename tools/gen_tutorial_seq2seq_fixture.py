#!/usr/bin/env python3
"""A seq2seq model built, trained and evaluated the way PyTorch's translation tutorial does it, for
`fastrnn convert --config` and `fastrnn translate` (docs/seq2seq.md, "The PyTorch tutorial's model").

The classes below have the modules and the computation of the tutorial "NLP From Scratch: Translation with a
Sequence to Sequence Network and Attention": `EncoderRNN` (embedding, a batch-first GRU, dropout),
`BahdanauAttention` (`Wa`, `Ua`, `Va`) and `AttnDecoderRNN` (embedding, `attention`, a GRU over
[embedding ; context], `out`), with its vocabulary (SOS = 0, EOS = 1, no PAD or UNK), its framing of a source (EOS
appended), its zero-padded training batches and its evaluation (greedy, MAX_LENGTH steps, cut at EOS). The data is a small made-up French -> English
phrase list written for this fixture (not the tutorial's data), and the model is small (hidden 32) so the fixture
stays a few kilobytes; it is trained to fit that list.

Written to tests/FastRnn.Tests/Fixtures/seq2seq-tutorial/ (or --out):

  tutorial.safetensors         the two state dicts merged as docs/seq2seq.md shows: "enc." + encoder keys,
                               "dec." + decoder keys (float32)
  tutorial.config.json         the conversion config of docs/seq2seq.md for this model (vocabularies inline)
  tutorial.pairs.tsv           per evaluated sentence: source sentence, TAB, the tutorial's `evaluate` output
                               (its words without <EOS>, joined by single spaces)
  tutorial.golden.safetensors  float32 goldens computed in float64 (the modules `.double()`) on the stored float32
                               weights, in the order of tutorial.pairs.tsv:
      src (N, MAX_LENGTH)        source ids as tensorFromSentence makes them (EOS appended), padded with -1
      out (N, MAX_LENGTH)        evaluate's ids (EOS included if produced), padded with -1
      tf_logprobs (N, MAX_LENGTH, V_tgt)  log_softmax of each step with teacher forcing: fed SOS, then out[:, :-1]
                                 (rows past an output's length are 0)
      tf_attention (N, MAX_LENGTH, MAX_LENGTH)  each step's attention weights, 0 past the source or output length
    metadata: generator, torch_version, numpy_version, seed, epochs, final_loss, min_margin (the smallest gap
    between the best and second-best log-probability over every greedy step: the float32 engine cannot pick another
    token where it is large).

Self-checks: every file is read back; the float64 evaluation gives the same words as the float32 one.
Reruns give identical files (seeded, one thread).

Usage: python3 tools/gen_tutorial_seq2seq_fixture.py [--out DIR]   (Debian's python3-torch; NumPy)
"""

import argparse
import copy
import json
import os
import sys

import numpy as np
import torch
from torch import nn, optim
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_rnn_fixtures import read_safetensors, safetensors_bytes  # noqa: E402

SEED = 20261201
EPOCHS = 800
HIDDEN = 32
MAX_LENGTH = 10
SOS_token = 0
EOS_token = 1
device = torch.device("cpu")

# Made-up phrase pairs in the tutorial's normalised form (lower case, punctuation split off), each under MAX_LENGTH words.
PAIRS = [
    ("je suis content .", "i am happy ."),
    ("je suis fatigue .", "i am tired ."),
    ("je suis pret .", "i am ready ."),
    ("je suis ici .", "i am here ."),
    ("tu es content .", "you are happy ."),
    ("tu es fatigue .", "you are tired ."),
    ("tu es pret .", "you are ready ."),
    ("tu es ici .", "you are here ."),
    ("il est content .", "he is happy ."),
    ("il est fatigue .", "he is tired ."),
    ("il est pret .", "he is ready ."),
    ("il est ici .", "he is here ."),
    ("elle est contente .", "she is happy ."),
    ("elle est fatiguee .", "she is tired ."),
    ("elle est prete .", "she is ready ."),
    ("elle est ici .", "she is here ."),
    ("nous sommes contents .", "we are happy ."),
    ("nous sommes fatigues .", "we are tired ."),
    ("nous sommes prets .", "we are ready ."),
    ("nous sommes ici .", "we are here ."),
    ("je ne suis pas content .", "i am not happy ."),
    ("tu n es pas pret .", "you are not ready ."),
    ("il n est pas ici .", "he is not here ."),
    ("elle n est pas fatiguee .", "she is not tired ."),
    ("nous ne sommes pas prets .", "we are not ready ."),
    ("je suis tres content .", "i am very happy ."),
    ("il est tres fatigue .", "he is very tired ."),
    ("elle est tres prete .", "she is very ready ."),
    ("es tu pret ?", "are you ready ?"),
    ("est il ici ?", "is he here ?"),
    ("est elle contente ?", "is she happy ?"),
    ("sommes nous prets ?", "are we ready ?"),
]


class Lang:
    """Word <-> id, ids in order of first appearance after the tutorial's two fixed ones (SOS = 0, EOS = 1)."""

    def __init__(self, sentences):
        self.index2word = {SOS_token: "SOS", EOS_token: "EOS"}
        self.word2index = {}
        for sentence in sentences:
            for word in sentence.split(" "):
                if word not in self.word2index:
                    self.word2index[word] = len(self.index2word)
                    self.index2word[len(self.index2word)] = word
        self.n_words = len(self.index2word)

    def ids(self, sentence):
        """The tutorial's framing of a sentence: its word ids, then EOS."""
        return [self.word2index[w] for w in sentence.split(" ")] + [EOS_token]


# The tutorial's three modules: the same submodules (so the same state-dict names) and the same computation.

class EncoderRNN(nn.Module):
    def __init__(self, input_size, hidden_size, dropout_p=0.1):
        super().__init__()
        self.hidden_size = hidden_size
        self.embedding = nn.Embedding(input_size, hidden_size)
        self.gru = nn.GRU(hidden_size, hidden_size, batch_first=True)
        self.dropout = nn.Dropout(dropout_p)

    def forward(self, source):                       # (B, S) ids
        return self.gru(self.dropout(self.embedding(source)))   # outputs (B, S, H), final state (1, B, H)


class BahdanauAttention(nn.Module):
    def __init__(self, hidden_size):
        super().__init__()
        self.Wa = nn.Linear(hidden_size, hidden_size)
        self.Ua = nn.Linear(hidden_size, hidden_size)
        self.Va = nn.Linear(hidden_size, 1)

    def forward(self, query, keys):                  # query (B, 1, H), keys = encoder outputs (B, S, H)
        scores = self.Va(torch.tanh(self.Wa(query) + self.Ua(keys))).squeeze(2).unsqueeze(1)   # (B, 1, S)
        weights = F.softmax(scores, dim=-1)
        return torch.bmm(weights, keys), weights     # context (B, 1, H), weights (B, 1, S)


class AttnDecoderRNN(nn.Module):
    def __init__(self, hidden_size, output_size, dropout_p=0.1):
        super().__init__()
        self.embedding = nn.Embedding(output_size, hidden_size)
        self.attention = BahdanauAttention(hidden_size)
        self.gru = nn.GRU(2 * hidden_size, hidden_size, batch_first=True)
        self.out = nn.Linear(hidden_size, output_size)
        self.dropout = nn.Dropout(dropout_p)

    def forward(self, encoder_outputs, encoder_hidden, target_tensor=None):
        """MAX_LENGTH steps from SOS and the encoder's final state: fed the target (teacher forcing) if given, else
        each step's argmax. Returns log-probabilities (B, MAX_LENGTH, V), the last state, attention (B, MAX_LENGTH, S)."""
        previous = torch.full((encoder_outputs.size(0), 1), SOS_token, dtype=torch.long, device=device)
        hidden = encoder_hidden
        logits, attentions = [], []
        for i in range(MAX_LENGTH):
            step_logits, hidden, weights = self.forward_step(previous, hidden, encoder_outputs)
            logits.append(step_logits)
            attentions.append(weights)
            previous = target_tensor[:, i].unsqueeze(1) if target_tensor is not None else step_logits.topk(1)[1].squeeze(-1).detach()
        return F.log_softmax(torch.cat(logits, dim=1), dim=-1), hidden, torch.cat(attentions, dim=1)

    def forward_step(self, previous, hidden, encoder_outputs):
        embedded = self.dropout(self.embedding(previous))
        # The query is the state before this step; the GRU reads [embedding ; context].
        context, weights = self.attention(hidden.permute(1, 0, 2), encoder_outputs)
        output, hidden = self.gru(torch.cat((embedded, context), dim=2), hidden)
        return self.out(output), hidden, weights


def training_batch(input_lang, output_lang, pairs):
    """As the tutorial batches its data: every sentence framed with EOS, then zero-padded to MAX_LENGTH."""
    def padded(ids):
        return ids + [0] * (MAX_LENGTH - len(ids))
    return (torch.tensor([padded(input_lang.ids(src)) for src, _ in pairs], dtype=torch.long),
            torch.tensor([padded(output_lang.ids(tgt)) for _, tgt in pairs], dtype=torch.long))


def train(encoder, decoder, input_tensor, target_tensor):
    """The tutorial's loss (NLL over every padded position, teacher forcing) and optimiser (Adam), full batch."""
    encoder_optimizer = optim.Adam(encoder.parameters(), lr=0.01)
    decoder_optimizer = optim.Adam(decoder.parameters(), lr=0.01)
    criterion = nn.NLLLoss()
    loss = None
    for _ in range(EPOCHS):
        encoder_optimizer.zero_grad()
        decoder_optimizer.zero_grad()
        encoder_outputs, encoder_hidden = encoder(input_tensor)
        logprobs, _, _ = decoder(encoder_outputs, encoder_hidden, target_tensor)
        loss = criterion(logprobs.view(-1, logprobs.size(-1)), target_tensor.view(-1))
        loss.backward()
        encoder_optimizer.step()
        decoder_optimizer.step()
    return loss.item()


def evaluate(encoder, decoder, sentence, input_lang):
    """The tutorial's evaluation: the framed sentence, MAX_LENGTH greedy steps, cut after the first EOS.
    Returns the ids (EOS included if produced) and the decoder's log-probabilities (1, MAX_LENGTH, V)."""
    with torch.no_grad():
        source = torch.tensor([input_lang.ids(sentence)], dtype=torch.long, device=device)
        logprobs, _, _ = decoder(*encoder(source))
    ids = []
    for idx in logprobs[0].argmax(-1).tolist():
        ids.append(idx)
        if idx == EOS_token:
            break
    return ids, logprobs


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--out", default=os.path.join(root, "tests", "FastRnn.Tests", "Fixtures", "seq2seq-tutorial"))
    out_dir = parser.parse_args().out
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(1)
    torch.manual_seed(SEED)

    input_lang, output_lang = Lang(src for src, _ in PAIRS), Lang(tgt for _, tgt in PAIRS)

    encoder = EncoderRNN(input_lang.n_words, HIDDEN).to(device)
    decoder = AttnDecoderRNN(HIDDEN, output_lang.n_words).to(device)
    encoder.train()
    decoder.train()
    final_loss = train(encoder, decoder, *training_batch(input_lang, output_lang, PAIRS))
    encoder.eval()
    decoder.eval()

    # The two state dicts merged under "enc." and "dec.", as docs/seq2seq.md shows (safetensors.torch.save_file
    # writes the same layout; this writer avoids needing the safetensors package).
    state = {f"enc.{k}": v.detach().clone() for k, v in encoder.state_dict().items()}
    state |= {f"dec.{k}": v.detach().clone() for k, v in decoder.state_dict().items()}
    with open(os.path.join(out_dir, "tutorial.safetensors"), "wb") as f:
        f.write(safetensors_bytes(state, {"format": "pt"}))

    # Evaluate in float64 on the stored float32 weights; the float32 tutorial evaluate must say the same.
    enc64, dec64 = copy.deepcopy(encoder).double(), copy.deepcopy(decoder).double()
    sentences = [src for src, _ in PAIRS] + ["tu es tres fatigue .", "nous sommes tres contents .", "est il pret ?"]
    v = output_lang.n_words
    src = np.full((len(sentences), MAX_LENGTH), -1, dtype=np.float32)
    out = np.full((len(sentences), MAX_LENGTH), -1, dtype=np.float32)
    tf_logprobs = np.zeros((len(sentences), MAX_LENGTH, v), dtype=np.float32)
    tf_attention = np.zeros((len(sentences), MAX_LENGTH, MAX_LENGTH), dtype=np.float32)
    lines = []
    min_margin = float("inf")
    with torch.no_grad():
        for i, sentence in enumerate(sentences):
            ids32, _ = evaluate(encoder, decoder, sentence, input_lang)
            ids, greedy_out = evaluate(enc64, dec64, sentence, input_lang)
            assert ids32 == ids, (sentence, ids32, ids)
            assert SOS_token not in ids, f"{sentence}: SOS in the output would print as 'SOS' in the tutorial"
            words = [output_lang.index2word[t] for t in ids if t != EOS_token]
            input_tensor = torch.tensor([input_lang.ids(sentence)], dtype=torch.long)
            enc_out, enc_hidden = enc64(input_tensor)
            for step in range(len(ids)):
                top2 = torch.topk(greedy_out[0, step], 2).values
                min_margin = min(min_margin, float(top2[0] - top2[1]))

            target = torch.tensor([ids + [0] * (MAX_LENGTH - len(ids))], dtype=torch.long)
            logprobs, _, attention = dec64(enc_out, enc_hidden, target)
            n, s = len(ids), input_tensor.size(1)
            src[i, :s] = input_tensor[0].numpy()
            out[i, :n] = ids
            tf_logprobs[i, :n] = logprobs[0, :n].numpy()
            tf_attention[i, :n, :s] = attention[0, :n].numpy()
            lines.append(f"{sentence}\t{' '.join(words)}\n")
    assert min_margin > 1e-3, f"a greedy step is nearly a tie ({min_margin}); change the seed"

    golden = {k: torch.from_numpy(a) for k, a in
              {"src": src, "out": out, "tf_logprobs": tf_logprobs, "tf_attention": tf_attention}.items()}
    metadata = {
        "generator": "tools/gen_tutorial_seq2seq_fixture.py",
        "torch_version": torch.__version__,
        "numpy_version": np.__version__,
        "seed": str(SEED),
        "epochs": str(EPOCHS),
        "final_loss": f"{final_loss:.6f}",
        "min_margin": f"{min_margin:.6f}",
    }
    with open(os.path.join(out_dir, "tutorial.golden.safetensors"), "wb") as f:
        f.write(safetensors_bytes(golden, metadata))
    with open(os.path.join(out_dir, "tutorial.pairs.tsv"), "w", encoding="utf-8", newline="\n") as f:
        f.writelines(lines)

    config = {
        "architecture": {
            "encoder": {"kind": "gru"},
            "decoder": {"kind": "gru"},
            "bridge": "final",
            "attention": "bahdanau",
            "input_feeding": False,
            "output_inputs": "h",
        },
        "vocabulary": {
            "source": [input_lang.index2word[i] for i in range(input_lang.n_words)],
            "target": [output_lang.index2word[i] for i in range(output_lang.n_words)],
            "bos_id": SOS_token,
            "eos_id": EOS_token,
            "src_eos_id": EOS_token,
            "tokenizer": "whitespace",
            "max_source_length": MAX_LENGTH,
        },
        "tensors": {
            "src_embedding.weight": "enc.embedding.weight",
            "tgt_embedding.weight": "dec.embedding.weight",
            "encoder": "enc.gru",
            "decoder": "dec.gru",
            "attention.query": "dec.attention.Wa",
            "attention.key": "dec.attention.Ua",
            "attention.v": "dec.attention.Va",
            "output": "dec.out",
        },
    }
    with open(os.path.join(out_dir, "tutorial.config.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(config, f, indent=2, ensure_ascii=False)
        f.write("\n")

    # Read everything back.
    stored, _ = read_safetensors(os.path.join(out_dir, "tutorial.safetensors"))
    assert sorted(stored) == sorted(state) and all(torch.equal(stored[k], state[k]) for k in state)
    back, back_meta = read_safetensors(os.path.join(out_dir, "tutorial.golden.safetensors"))
    assert back_meta == metadata and all(torch.equal(back[k], golden[k]) for k in golden)
    with open(os.path.join(out_dir, "tutorial.config.json"), encoding="utf-8") as f:
        assert json.load(f) == config
    print(f"wrote {out_dir}: {len(sentences)} sentences, loss {final_loss:.4f}, min margin {min_margin:.4f}")


if __name__ == "__main__":
    main()

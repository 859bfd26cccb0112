#!/usr/bin/env python3
"""PyTorch reference cases for forecast's seq2seq encoder-decoder with attention.

Run with the peers' venv:  /work/peers-env/bin/python Fixtures/seq2seq/make_seq2seq_reference.py Fixtures/seq2seq

As Fixtures/golden (see ../../shared/peers/make_golden.py): weights and inputs are float32 values;
everything expected was computed in float64 from those same numbers and stored as float32.
Teacher forcing is on at every step, so a case is deterministic.

The module below has exactly the parameter names of forecast's `Seq2Seq` (docs/seq2seq.md):
  encoder.*            nn.LSTM / nn.GRU (batch_first, stacked, optionally bidirectional)
  bridge.h.*, bridge.c.*   nn.Linear (bridge "linear": h0 = tanh(W_h [h_fwd; h_rev] + b_h), c0 = W_c [c_fwd; c_rev] + b_c)
  attention.W_q.weight, attention.W_k.weight, attention.W_k.bias, attention.v.weight   (additive)
  attention.W.weight                                                                   (luong, general)
  decoder.*            nn.LSTM / nn.GRU with one layer, stepped one step at a time
  head.weight, head.bias   nn.Linear on [s_k; context_k]
Per case: x [B, T, F], future [B, S, Fk], target [B, S*P] (step-major), expect.pred [B, K*S*P]
(laid out [B, K, S, P]), expect.attention [B, S, T], expect.loss [1], grad.<parameter>, grad.x.
The JSON config is in __metadata__["config"].
"""
import json, os, sys
import torch, torch.nn as nn
from safetensors.torch import save_file


class Additive(nn.Module):
    def __init__(self, Hd, C, A):
        super().__init__()
        self.W_q = nn.Linear(Hd, A, bias=False)
        self.W_k = nn.Linear(C, A)
        self.v = nn.Linear(A, 1, bias=False)

    def forward(self, s, Y):                      # s [B, Hd], Y [B, T, C] -> scores [B, T]
        return self.v(torch.tanh(self.W_q(s)[:, None, :] + self.W_k(Y))).squeeze(-1)


class Luong(nn.Module):
    def __init__(self, Hd, C):
        super().__init__()
        self.W = nn.Linear(C, Hd, bias=False)

    def forward(self, s, Y):
        return torch.einsum("bd,btd->bt", s, self.W(Y))


class Seq2Seq(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        c = cfg
        self.cfg = c
        D = 2 if c["bidirectional"] else 1
        C = D * c["enc_hidden"]
        Hd = c["dec_hidden"]
        rnn = {"lstm": nn.LSTM, "gru": nn.GRU}
        self.encoder = rnn[c["enc_cell"]](c["inputs"], c["enc_hidden"], c["enc_layers"], batch_first=True,
                                          bidirectional=c["bidirectional"])
        if c["bridge"] == "linear":
            self.bridge = nn.Module()
            self.bridge.h = nn.Linear(C, Hd)
            if c["dec_cell"] == "lstm":
                self.bridge.c = nn.Linear(C, Hd)
        Cx = 0 if c["attention"] == "none" else C
        if c["attention"] == "additive":
            self.attention = Additive(Hd, C, c["attention_size"])
        elif c["attention"] == "luong":
            self.attention = Luong(Hd, C)
        self.decoder = rnn[c["dec_cell"]](c["targets"] + c["future_inputs"] + Cx, Hd, 1, batch_first=True)
        self.head = nn.Linear(Hd + Cx, c["targets"] * c["outputs_per_target"])

    def forward(self, x, fut, tgt):
        c = self.cfg
        B, T, _ = x.shape
        S, P, K = c["horizon"], c["targets"], c["outputs_per_target"]
        D = 2 if c["bidirectional"] else 1
        He, L = c["enc_hidden"], c["enc_layers"]
        Y, st = self.encoder(x)
        hN, cN = st if c["enc_cell"] == "lstm" else (st, None)
        top_h = hN.view(L, D, B, He)[-1]           # [D, B, He]
        top_c = cN.view(L, D, B, He)[-1] if cN is not None else None
        if c["bridge"] in ("identity", "sum"):
            s = top_h.sum(0)
            cc = top_c.sum(0) if top_c is not None else torch.zeros_like(s)
        else:
            src_h = torch.cat(list(top_h), -1)      # [B, D*He]: forward then reverse
            src_c = torch.cat(list(top_c), -1) if top_c is not None else src_h
            s = torch.tanh(self.bridge.h(src_h))
            cc = self.bridge.c(src_c) if c["dec_cell"] == "lstm" else None
        y_prev = x[:, -1, :P]
        outs, attns = [], []
        for k in range(S):
            if k > 0:
                y_prev = tgt[:, k - 1]              # teacher forcing
            parts = [y_prev, fut[:, k]]
            if c["attention"] != "none":
                a = torch.softmax(self.attention(s, Y), -1)    # [B, T]
                ctx = torch.bmm(a[:, None, :], Y)[:, 0]         # [B, C]
                attns.append(a)
                parts.append(ctx)
            inp = torch.cat(parts, -1)[:, None, :]
            if c["dec_cell"] == "lstm":
                _, (h, cc1) = self.decoder(inp, (s[None], cc[None]))
                cc = cc1[0]
            else:
                _, h = self.decoder(inp, s[None])
            s = h[0]
            hin = torch.cat([s, ctx], -1) if c["attention"] != "none" else s
            outs.append(self.head(hin))             # [B, K*P] as [K, P]
        out = torch.stack(outs, 1).view(B, S, K, P).permute(0, 2, 1, 3).reshape(B, K * S * P)
        att = torch.stack(attns, 1) if attns else torch.zeros(B, 0, T, dtype=x.dtype)
        return out, att


def loss_fn(pred, y, cfg):
    B = pred.shape[0]
    M = cfg["horizon"] * cfg["targets"]
    if cfg["loss"] == "mse":
        return ((pred - y) ** 2).mean()
    if cfg["loss"] == "gaussian":                   # forecast's Gaussian NLL: 0.5 (s + (y - mu)^2 e^-s)
        mu, s = pred[:, :M], pred[:, M:2 * M]
        return (0.5 * (s + (y - mu) ** 2 * torch.exp(-s))).mean()
    raise ValueError(cfg["loss"])


def make_case(name, cfg, B, T, seed):
    torch.manual_seed(seed)
    m = Seq2Seq(cfg)
    with torch.no_grad():
        for p in m.parameters():
            p.uniform_(-0.5, 0.5)
    S, P, Fk = cfg["horizon"], cfg["targets"], cfg["future_inputs"]
    x32 = torch.randn(B, T, cfg["inputs"])
    fut32 = torch.randn(B, S, Fk)
    tgt32 = torch.randn(B, S * P)
    m64 = m.double()
    x = x32.double().requires_grad_()
    pred, att = m64(x, fut32.double(), tgt32.double().view(B, S, P))
    loss = loss_fn(pred, tgt32.double(), cfg)
    loss.backward()
    out = {}
    for n, p in m64.named_parameters():
        out[n] = p.detach().float()
        out["grad." + n] = p.grad.float()
    out.update({"x": x32, "future": fut32, "target": tgt32, "grad.x": x.grad.float(),
                "expect.pred": pred.detach().float(), "expect.attention": att.detach().float(),
                "expect.loss": loss.detach().float().reshape(1)})
    cfg = dict(cfg, batch=B, lookback=T, seed=seed)
    return name, out, cfg


CASES = [
    lambda: make_case("seq2seq_lstm_bidir_additive", dict(
        enc_cell="lstm", inputs=3, enc_hidden=4, enc_layers=2, bidirectional=True, dec_cell="lstm", dec_hidden=5,
        attention="additive", attention_size=6, bridge="linear", targets=2, future_inputs=2, horizon=4,
        outputs_per_target=1, loss="mse"), B=3, T=5, seed=11),
    lambda: make_case("seq2seq_gru_luong_gaussian", dict(
        enc_cell="gru", inputs=2, enc_hidden=5, enc_layers=1, bidirectional=False, dec_cell="gru", dec_hidden=5,
        attention="luong", attention_size=5, bridge="identity", targets=1, future_inputs=1, horizon=3,
        outputs_per_target=2, loss="gaussian"), B=2, T=6, seed=12),
]

if __name__ == "__main__":
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    os.makedirs(outdir, exist_ok=True)
    for make in CASES:
        name, tensors, cfg = make()
        tensors = {k: v.contiguous() for k, v in tensors.items()}
        save_file(tensors, os.path.join(outdir, name + ".safetensors"), metadata={"config": json.dumps(cfg)})
        print(name, json.dumps(cfg))

"""bert-mini: a small pre-LN BERT encoder (final LayerNorm after the last layer) written with nn.Linear/softmax (no fused attention), so
that attention probabilities can be returned and the ONNX export is plain MatMul/Softmax."""
import math

import torch
from torch import nn
import torch.nn.functional as F

CONFIG = dict(vocab_size=8192, hidden=256, layers=4, heads=4, intermediate=1024, max_length=128,
              type_vocab=2, dropout=0.0)  # no dropout: the short MLM run is far from overfitting


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden"]
        self.heads, self.head_dim = c["heads"], h // c["heads"]
        self.q, self.k, self.v, self.o = (nn.Linear(h, h) for _ in range(4))
        self.ln1, self.ln2 = nn.LayerNorm(h, eps=1e-12), nn.LayerNorm(h, eps=1e-12)
        self.ff1, self.ff2 = nn.Linear(h, c["intermediate"]), nn.Linear(c["intermediate"], h)
        self.drop = nn.Dropout(c["dropout"])

    def forward(self, x, bias):
        n, t, h = x.shape
        y = self.ln1(x)
        split = lambda y: y.view(n, t, self.heads, self.head_dim).transpose(1, 2)
        q, k, v = split(self.q(y)), split(self.k(y)), split(self.v(y))
        probs = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(self.head_dim) + bias, dim=-1)
        ctx = (self.drop(probs) @ v).transpose(1, 2).reshape(n, t, h)
        x = x + self.drop(self.o(ctx))
        return x + self.drop(self.ff2(F.gelu(self.ff1(self.ln2(x))))), probs


class BertMini(nn.Module):
    def __init__(self, c=CONFIG):
        super().__init__()
        self.config = dict(c)
        h = c["hidden"]
        self.word = nn.Embedding(c["vocab_size"], h)
        self.position = nn.Embedding(c["max_length"], h)
        self.token_type = nn.Embedding(c["type_vocab"], h)
        self.emb_ln = nn.LayerNorm(h, eps=1e-12)
        self.drop = nn.Dropout(c["dropout"])
        self.layers = nn.ModuleList(Layer(c) for _ in range(c["layers"]))
        self.final_ln = nn.LayerNorm(h, eps=1e-12)
        # MLM head: transform + decoder tied to the input embeddings
        self.mlm_dense = nn.Linear(h, h)
        self.mlm_ln = nn.LayerNorm(h, eps=1e-12)
        self.mlm_bias = nn.Parameter(torch.zeros(c["vocab_size"]))
        self.apply(self._init)

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    def encode(self, input_ids, attention_mask, token_type_ids, with_attentions=False):
        t = input_ids.shape[1]
        positions = torch.arange(t, device=input_ids.device).unsqueeze(0)
        x = self.word(input_ids) + self.position(positions) + self.token_type(token_type_ids)
        x = self.drop(self.emb_ln(x))
        bias = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * -1e4
        attentions = []
        for layer in self.layers:
            x, probs = layer(x, bias)
            attentions.append(probs)
        x = self.final_ln(x)
        return (x, torch.stack(attentions, dim=1)) if with_attentions else x

    def mlm_logits(self, hidden):
        y = self.mlm_ln(F.gelu(self.mlm_dense(hidden)))
        return y @ self.word.weight.t() + self.mlm_bias

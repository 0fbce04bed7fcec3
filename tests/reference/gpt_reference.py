"""
PyTorch reference for the course's GPT (lib/model/gpt.ts) — used two ways:

  python3 gpt_reference.py logits <checkpoint.safetensors> <ids.json> <out.json>
      Build the same architecture in PyTorch, load the weights the TypeScript
      model saved, run it on the token ids and write the logits as JSON
      (tests/model-parity.test.ts compares them, tolerance 1e-4).

  python3 gpt_reference.py bench [steps]
      Time training steps of the bench-small config (1 CPU thread, Adam,
      batch 16 × 64 tokens) and print one JSON line {"torch_ms_per_step": …}.
      `npm run bench -- train` runs this to report the speed ratio.

Weight layout: the TypeScript model stores linear weights (in, out), like
GPT-2's Conv1D; nn.Linear stores (out, in), so they are transposed on loading.
The safetensors file is parsed here by hand (8-byte little-endian header length,
JSON header, raw little-endian data), without the safetensors package.

Needs only python3-torch (Debian: apt-get install python3-torch libopenblas0-pthread).
"""
import json
import math
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n].decode("utf-8"))
    base = 8 + n
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, info in header.items():
        assert info["dtype"] == "F32", f"{name}: only F32 supported here, got {info['dtype']}"
        b, e = info["data_offsets"]
        t = torch.frombuffer(bytearray(data[base + b : base + e]), dtype=torch.float32)
        tensors[name] = t.reshape(info["shape"]) if info["shape"] else t.reshape(())
    return tensors, meta


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, bias = c["dModel"], c["bias"]
        self.c = c
        self.ln_1 = nn.LayerNorm(d, eps=c["layerNormEps"], elementwise_affine=True)
        self.c_attn = nn.Linear(d, 3 * d, bias=bias)
        self.attn_proj = nn.Linear(d, d, bias=bias)
        self.ln_2 = nn.LayerNorm(d, eps=c["layerNormEps"])
        self.c_fc = nn.Linear(d, c["dFF"], bias=bias)
        self.mlp_proj = nn.Linear(c["dFF"], d, bias=bias)
        if not bias:
            self.ln_1.bias = None
            self.ln_2.bias = None

    def attn(self, x):
        B, T, C = x.shape
        H = self.c["nHeads"]
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (t.view(B, T, H, C // H).transpose(1, 2) for t in (q, k, v))  # (B, H, T, d)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(C // H)
        mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
        att = att.masked_fill(~mask, float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.attn_proj(y)

    def mlp(self, x):
        h = self.c_fc(x)
        h = F.gelu(h, approximate="tanh") if self.c["activation"] == "gelu" else F.relu(h)
        return self.mlp_proj(h)

    def forward(self, x):
        if self.c["norm"] == "pre":
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp(self.ln_2(x))
        x = self.ln_1(x + self.attn(x))
        return self.ln_2(x + self.mlp(x))


class GPT(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.wte = nn.Embedding(c["vocabSize"], c["dModel"])
        if c["positional"] == "learned":
            self.wpe = nn.Embedding(c["contextLength"], c["dModel"])
        self.h = nn.ModuleList([Block(c) for _ in range(c["nLayers"])])
        if c["norm"] == "pre":
            self.ln_f = nn.LayerNorm(c["dModel"], eps=c["layerNormEps"])
            if not c["bias"]:
                self.ln_f.bias = None
        if not c["tieEmbeddings"]:
            self.lm_head = nn.Linear(c["dModel"], c["vocabSize"], bias=False)

    def sinusoidal(self, T):
        d = self.c["dModel"]
        pos = torch.arange(T, dtype=torch.float64)[:, None]
        i = torch.arange(d // 2, dtype=torch.float64)[None, :]
        angle = pos / torch.pow(10000.0, 2 * i / d)
        pe = torch.zeros(T, d, dtype=torch.float64)
        pe[:, 0::2] = torch.sin(angle)
        pe[:, 1::2] = torch.cos(angle)
        return pe.float()

    def forward(self, idx):
        B, T = idx.shape
        x = self.wte(idx)
        if self.c.get("scaleEmbeddings"):
            x = x * math.sqrt(self.c["dModel"])  # the 2017 paper's √d scaling
        if self.c["positional"] == "learned":
            x = x + self.wpe(torch.arange(T))
        else:
            x = x + self.sinusoidal(T)
        for block in self.h:
            x = block(x)
        if self.c["norm"] == "pre":
            x = self.ln_f(x)
        if self.c["tieEmbeddings"]:
            return x @ self.wte.weight.T
        return self.lm_head(x)

    def load_course_weights(self, w):
        """Copy the TypeScript model's weights (linear weights stored (in, out))."""
        used = set()

        def take(name):
            used.add(name)
            return w[name]

        with torch.no_grad():
            self.wte.weight.copy_(take("wte.weight"))
            if self.c["positional"] == "learned":
                self.wpe.weight.copy_(take("wpe.weight"))
            for i, b in enumerate(self.h):
                p = f"h.{i}."
                for mod, name in ((b.ln_1, "ln_1"), (b.ln_2, "ln_2")):
                    mod.weight.copy_(take(p + name + ".weight"))
                    if mod.bias is not None:
                        mod.bias.copy_(take(p + name + ".bias"))
                for mod, name in ((b.c_attn, "attn.c_attn"), (b.attn_proj, "attn.c_proj"), (b.c_fc, "mlp.c_fc"), (b.mlp_proj, "mlp.c_proj")):
                    mod.weight.copy_(take(p + name + ".weight").T)  # (in, out) → nn.Linear's (out, in)
                    if mod.bias is not None:
                        mod.bias.copy_(take(p + name + ".bias"))
            if self.c["norm"] == "pre":
                self.ln_f.weight.copy_(take("ln_f.weight"))
                if self.ln_f.bias is not None:
                    self.ln_f.bias.copy_(take("ln_f.bias"))
            if not self.c["tieEmbeddings"]:
                self.lm_head.weight.copy_(take("lm_head.weight").T)
        unused = set(w) - used
        assert not unused, f"weights not used by the reference model: {sorted(unused)}"


def cmd_logits(ckpt, ids_path, out_path):
    torch.set_num_threads(1)
    w, meta = read_safetensors(ckpt)
    config = json.loads(meta["config"])
    model = GPT(config)
    model.load_course_weights(w)
    model.eval()
    with open(ids_path) as f:
        ids = torch.tensor(json.load(f), dtype=torch.long)
    with torch.no_grad():
        logits = model(ids)
    with open(out_path, "w") as f:
        json.dump({"shape": list(logits.shape), "logits": logits.reshape(-1).tolist()}, f)


def cmd_bench(steps):
    torch.set_num_threads(1)
    torch.manual_seed(0)
    c = {"vocabSize": 65, "contextLength": 64, "dModel": 128, "nHeads": 4, "nLayers": 2, "dFF": 512,
         "bias": True, "tieEmbeddings": True, "positional": "learned", "activation": "gelu", "norm": "pre",
         "layerNormEps": 1e-5}
    model = GPT(c)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    B, T = 16, 64
    x = torch.randint(0, 65, (B, T))
    y = torch.randint(0, 65, (B, T))

    def step():
        logits = model(x)
        loss = F.cross_entropy(logits.view(-1, 65), y.view(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()

    for _ in range(3):
        step()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    print(json.dumps({"torch_ms_per_step": times[len(times) // 2], "torch_min_ms": times[0], "steps": steps,
                      "torch": torch.__version__, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    if sys.argv[1] == "logits":
        cmd_logits(sys.argv[2], sys.argv[3], sys.argv[4])
    elif sys.argv[1] == "bench":
        cmd_bench(int(sys.argv[2]) if len(sys.argv) > 2 else 20)
    else:
        raise SystemExit(__doc__)

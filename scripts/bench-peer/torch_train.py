"""PyTorch CPU peer for `anchorage bench train`: the same LoRA training step (Llama forward, token
log-probs, clipped-ratio policy loss with token-mean aggregation, backward, global-norm clipping,
AdamW) on the same weights and batch, timed the same way (one warm-up step, then timed steps).

Usage: python torch_train.py JOB.json WEIGHTS.safetensors BATCH.safetensors
JOB.json: {"model": LlamaConfig (camelCase), "lora": {"rank", "alpha", "targets"}, "steps": n,
"threads": n, "lr": x, "maxGradNorm": x, "hyper": {"clip_low", "clip_high"}}.
WEIGHTS: canonical names ([out, in] matrices), float32. BATCH: input_ids, loss_mask, old_logprobs,
advantages (float32; ids are exact integers), lora.* initial adapters.
Prints one JSON object: stepMs, tokensPerSecond, peakRssMb, threads, losses.
"""

import json
import resource
import struct
import sys
import time

import torch
import torch.nn.functional as F

TARGET_WEIGHTS = {"q": "attn_q", "k": "attn_k", "v": "attn_v", "o": "attn_output",
                  "gate": "ffn_gate", "up": "ffn_up", "down": "ffn_down"}


def load_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (size,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + size])
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if entry["dtype"] != "F32":
            raise SystemExit(f"{path}: {name} is {entry['dtype']}, expected F32")
        begin, end = entry["data_offsets"]
        buf = bytearray(raw[8 + size + begin:8 + size + end])
        tensors[name] = torch.frombuffer(buf, dtype=torch.float32).reshape(entry["shape"])
    return tensors


class LoraLinear:
    """y = x W^T + (alpha / r) (x A^T) B^T with W frozen and A, B trainable."""

    def __init__(self, weight, a=None, b=None, factor=0.0):
        self.weight, self.a, self.b, self.factor = weight, a, b, factor

    def __call__(self, x):
        y = F.linear(x, self.weight)
        if self.a is not None:
            y = y + self.factor * F.linear(F.linear(x, self.a), self.b)
        return y


def rope_tables(cfg, positions):
    half = cfg["ropeDim"] // 2
    inv = cfg["ropeBase"] ** (-torch.arange(half, dtype=torch.float32) * 2 / cfg["ropeDim"])
    angles = positions[:, None].float() * inv[None]  # [T, half]
    return angles.cos(), angles.sin()


def rotate_pairs(x, cos, sin):
    # GGUF q/k rows: pair (2i, 2i+1) rotates by angle i.
    even, odd = x[..., 0::2], x[..., 1::2]
    out = torch.stack((even * cos - odd * sin, even * sin + odd * cos), dim=-1)
    return out.flatten(-2)


def build(cfg, weights, lora_tensors, lora):
    factor = lora["alpha"] / lora["rank"]
    adapted = {TARGET_WEIGHTS[t] for t in lora["targets"]}
    layers = []
    for i in range(cfg["numLayers"]):
        def proj(kind):
            stem = f"blk.{i}.{kind}"
            if kind in adapted:
                return LoraLinear(weights[f"{stem}.weight"], lora_tensors[f"{stem}.lora_a"],
                                  lora_tensors[f"{stem}.lora_b"], factor)
            return LoraLinear(weights[f"{stem}.weight"])
        layers.append({k: proj(k) for k in TARGET_WEIGHTS.values()} | {
            "attn_norm": weights[f"blk.{i}.attn_norm.weight"], "ffn_norm": weights[f"blk.{i}.ffn_norm.weight"]})
    return layers


def forward(cfg, weights, layers, ids):
    B, T = ids.shape
    H, KV, D, eps = cfg["numHeads"], cfg["numKvHeads"], cfg["headDim"], cfg["rmsEps"]
    cos, sin = rope_tables(cfg, torch.arange(T))
    x = F.embedding(ids, weights["token_embd.weight"])
    for layer in layers:
        h = F.rms_norm(x, (x.shape[-1],), layer["attn_norm"], eps)
        q = layer["attn_q"](h).view(B, T, H, D).transpose(1, 2)
        k = layer["attn_k"](h).view(B, T, KV, D).transpose(1, 2)
        v = layer["attn_v"](h).view(B, T, KV, D).transpose(1, 2)
        q, k = rotate_pairs(q, cos, sin), rotate_pairs(k, cos, sin)
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
        x = x + layer["attn_output"](a.transpose(1, 2).reshape(B, T, H * D))
        h = F.rms_norm(x, (x.shape[-1],), layer["ffn_norm"], eps)
        x = x + layer["ffn_down"](F.silu(layer["ffn_gate"](h)) * layer["ffn_up"](h))
    x = F.rms_norm(x, (x.shape[-1],), weights["output_norm.weight"], eps)
    head = weights["token_embd.weight"] if cfg["tiedEmbeddings"] else weights["output.weight"]
    return F.linear(x, head)  # [B, T, V]


def loss_fn(cfg, weights, layers, batch, hyper):
    ids = batch["input_ids"]
    logits = forward(cfg, weights, layers, ids)[:, :-1]
    logp = F.log_softmax(logits, dim=-1).gather(-1, ids[:, 1:, None]).squeeze(-1)
    mask = batch["loss_mask"][:, 1:]
    old = batch["old_logprobs"][:, 1:]
    adv = batch["advantages"][:, None]
    ratio = (logp - old).clamp(-20, 20).exp()
    surrogate = torch.maximum(-adv * ratio, -adv * ratio.clamp(1 - hyper["clip_low"], 1 + hyper["clip_high"]))
    return (surrogate * mask).sum() / mask.sum().clamp(min=1)


def main(job_path, weights_path, batch_path):
    with open(job_path) as f:
        job = json.load(f)
    torch.set_num_threads(job["threads"])
    cfg, lora = job["model"], job["lora"]
    weights = load_safetensors(weights_path)
    batch = load_safetensors(batch_path)
    batch["input_ids"] = batch["input_ids"].long()
    lora_tensors = {k[len("lora."):]: v.clone().requires_grad_(True) for k, v in batch.items() if k.startswith("lora.")}
    layers = build(cfg, weights, lora_tensors, lora)
    params = list(lora_tensors.values())
    opt = torch.optim.AdamW(params, lr=job["lr"], weight_decay=0.0)
    losses, step_ms = [], []
    for step in range(job["steps"] + 1):
        started = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(cfg, weights, layers, batch, job["hyper"])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, job["maxGradNorm"])
        opt.step()
        elapsed = (time.perf_counter() - started) * 1000
        losses.append(loss.item())
        if step > 0:  # step 0 is the warm-up
            step_ms.append(elapsed)
    tokens = batch["input_ids"].numel()
    mean_ms = sum(step_ms) / len(step_ms)
    print(json.dumps({
        "engine": f"PyTorch {torch.__version__} CPU",
        "threads": torch.get_num_threads(),
        "stepMs": step_ms,
        "tokensPerSecond": tokens / mean_ms * 1000,
        "peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "losses": losses,
    }))


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: torch_train.py JOB.json WEIGHTS.safetensors BATCH.safetensors")
    main(*sys.argv[1:])

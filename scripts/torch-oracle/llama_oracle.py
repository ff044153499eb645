"""Independent PyTorch implementation of the Llama-family policy model, its LoRA adapters and the
policy objective, used as a gradient oracle for the ONNX training graph.

Usage: python llama_oracle.py JOB.json TENSORS.safetensors OUT.safetensors

JOB.json: {"model": LlamaConfig (camelCase, as src/models/config.ts), "lora": {"rank", "alpha",
"targets"} or null, "trainable": "lora" | "full", "objective": {"loss", "aggregation",
"klEstimator", "entropyBonus"}, "hyper": {"clip_low": ..., "kl_coef": ...}}.
TENSORS: base weights under canonical names (blk.N.attn_q.weight, [out, in]), LoRA tensors
(blk.N.attn_q.lora_a [r, in], .lora_b [out, r]) and the training inputs (input_ids, attention_mask,
loss_mask, old_logprobs, ref_logprobs, advantages, temperature, lora_scale).
OUT: loss, logprobs, entropies, the metrics, and grad.<name> for every trainable tensor, float64.

Written in plain torch idioms on purpose (complex-number RoPE for adjacent pairs, rotate_half for
half-split, repeat_interleave + scaled_dot_product_attention, log_softmax + gather) so that it
shares no code or structure with the graph builder it checks.
"""

import json
import math
import sys

import torch
import torch.nn.functional as F

from tensor_file import read_tensors, write_tensors

TARGETS = {"q": "attn_q", "k": "attn_k", "v": "attn_v", "o": "attn_output", "gate": "ffn_gate", "up": "ffn_up", "down": "ffn_down"}
LOG_RATIO_CLAMP = 20.0


class Params:
    """Base weights (frozen or trainable) and LoRA adapters, looked up by canonical name."""

    def __init__(self, tensors, cfg, lora, trainable):
        self.w = {}
        self.lora = {}
        self.trainable = []
        for name, t in tensors.items():
            if name.endswith(".lora_a") or name.endswith(".lora_b"):
                if trainable == "lora":
                    t.requires_grad_(True)
                    self.trainable.append(name)
                self.lora[name] = t
            elif name.startswith("blk.") or name in ("token_embd.weight", "output_norm.weight", "output.weight"):
                if trainable == "full":
                    t.requires_grad_(True)
                    self.trainable.append(name)
                self.w[name] = t
        self.factor = lora["alpha"] / lora["rank"] if lora else 0.0
        self.scale = tensors["lora_scale"] if "lora_scale" in tensors else torch.tensor(0.0, dtype=torch.float64)

    def linear(self, x, name, bias=None):
        y = x @ self.w[name].T
        if bias is not None and bias in self.w:
            y = y + self.w[bias]
        stem = name[: -len(".weight")]
        a = self.lora.get(stem + ".lora_a")
        if a is not None:
            b = self.lora[stem + ".lora_b"]
            y = y + (self.scale * self.factor) * ((x @ a.T) @ b.T)
        return y


def rms_norm(x, weight, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def rope_adjacent(x, pos, base, rot):
    # Meta's original Llama: consecutive pairs as complex numbers times e^(i·pos·θ_k).
    head = x[..., :rot]
    freqs = base ** (-torch.arange(0, rot, 2, dtype=torch.float64) / rot)
    angles = pos[..., None].to(torch.float64) * freqs  # [B, T, rot/2]
    turn = torch.polar(torch.ones_like(angles), angles)[:, None]  # [B, 1, T, rot/2]
    z = torch.view_as_complex(head.reshape(*head.shape[:-1], rot // 2, 2).contiguous())
    out = torch.view_as_real(z * turn).flatten(-2)
    return torch.cat([out, x[..., rot:]], -1)


def rope_half(x, pos, base, rot):
    # Hugging Face rotate_half: dims i and i + rot/2 form a pair.
    head = x[..., :rot]
    freqs = base ** (-torch.arange(0, rot, 2, dtype=torch.float64) / rot)
    angles = pos[..., None].to(torch.float64) * freqs
    emb = torch.cat([angles, angles], -1)[:, None]  # [B, 1, T, rot]
    cos, sin = emb.cos(), emb.sin()
    x1, x2 = head[..., : rot // 2], head[..., rot // 2 :]
    rotated = torch.cat([-x2, x1], -1)
    return torch.cat([head * cos + rotated * sin, x[..., rot:]], -1)


def forward(p, cfg, ids, attn):
    B, T = ids.shape
    H, KV, D = cfg["numHeads"], cfg["numKvHeads"], cfg["headDim"]
    rope = rope_adjacent if cfg["ropeStyle"] == "adjacent-pair" else rope_half
    # Positions count real tokens (left padding shifts nothing); padding positions are arbitrary.
    pos = (attn.cumsum(-1) - 1).masked_fill(attn == 0, 1)
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
    allowed = causal[None] & (attn[:, None, :] == 1)
    # A padding query with no visible key may see itself, so that no row is empty (no NaN).
    allowed = allowed | torch.eye(T, dtype=torch.bool)[None]
    x = F.embedding(ids, p.w["token_embd.weight"])
    for i in range(cfg["numLayers"]):
        n = lambda s: f"blk.{i}.{s}"  # noqa: E731
        h = rms_norm(x, p.w[n("attn_norm.weight")], cfg["rmsEps"])
        q = p.linear(h, n("attn_q.weight"), n("attn_q.bias")).view(B, T, H, D).transpose(1, 2)
        k = p.linear(h, n("attn_k.weight"), n("attn_k.bias")).view(B, T, KV, D).transpose(1, 2)
        v = p.linear(h, n("attn_v.weight"), n("attn_v.bias")).view(B, T, KV, D).transpose(1, 2)
        if cfg["qkNorm"]:  # Qwen3: RMSNorm over each head's q and k before RoPE
            q = rms_norm(q, p.w[n("attn_q_norm.weight")], cfg["rmsEps"])
            k = rms_norm(k, p.w[n("attn_k_norm.weight")], cfg["rmsEps"])
        q = rope(q, pos, cfg["ropeBase"], cfg["ropeDim"])
        k = rope(k, pos, cfg["ropeBase"], cfg["ropeDim"])
        k = k.repeat_interleave(H // KV, dim=1)
        v = v.repeat_interleave(H // KV, dim=1)
        a = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed[:, None])
        x = x + p.linear(a.transpose(1, 2).reshape(B, T, H * D), n("attn_output.weight"))
        h = rms_norm(x, p.w[n("ffn_norm.weight")], cfg["rmsEps"])
        mlp = F.silu(p.linear(h, n("ffn_gate.weight"))) * p.linear(h, n("ffn_up.weight"))
        x = x + p.linear(mlp, n("ffn_down.weight"))
    x = rms_norm(x, p.w["output_norm.weight"], cfg["rmsEps"])
    head = p.w["token_embd.weight"] if cfg["tiedEmbeddings"] else p.w["output.weight"]
    return x @ head.T  # [B, T, V]


def token_logprobs(logits, ids, temperature):
    logp = F.log_softmax(logits[:, :-1] / temperature, -1)
    picked = logp.gather(-1, ids[:, 1:, None]).squeeze(-1)
    entropy = -(logp.exp() * logp).sum(-1)
    pad = lambda t: F.pad(t, (1, 0))  # noqa: E731
    return pad(picked), pad(entropy)


def kl_estimate(name, lp, ref):
    log_r = ref - lp
    if name == "k1":
        return -log_r
    if name == "k2":
        return 0.5 * log_r**2
    if name == "k3":
        log_r = log_r.clamp(-LOG_RATIO_CLAMP, LOG_RATIO_CLAMP)
        return log_r.exp() - 1 - log_r
    raise ValueError(f"unknown KL estimator {name}")


def aggregate(name, values, mask):
    if name == "token-mean":
        return (values * mask).sum() / mask.sum().clamp(min=1)
    if name == "sequence-mean":
        tokens = mask.sum(-1)
        per_seq = (values * mask).sum(-1) / tokens.clamp(min=1)
        present = (tokens > 0).to(values.dtype)
        return (per_seq * present).sum() / present.sum().clamp(min=1)
    raise ValueError(f"unknown aggregation {name}")


def objective(job, lp, ent, t):
    obj, hyper = job["objective"], job["hyper"]
    mask, old, ref = t["loss_mask"], t["old_logprobs"], t["ref_logprobs"]
    adv = t["advantages"]
    if adv.dim() == 1:
        adv = adv[:, None]
    ratio = (lp - old).clamp(-LOG_RATIO_CLAMP, LOG_RATIO_CLAMP).exp()
    if obj["loss"] == "clipped-ratio":
        surr1 = -adv * ratio
        surr2 = -adv * ratio.clamp(1 - hyper["clip_low"], 1 + hyper["clip_high"])
        pg = torch.maximum(surr1, surr2)
        clipped = (surr2 > surr1).to(lp.dtype)
    elif obj["loss"] == "gspo":
        # Sequence ratio: exp of the mean log-ratio over response tokens; token form: each token
        # carries its value and the gradient of its own log-prob (detach, as in the method's paper).
        log_r = (lp - old).clamp(-LOG_RATIO_CLAMP, LOG_RATIO_CLAMP)
        seq = (log_r * mask).sum(-1, keepdim=True) / mask.sum(-1, keepdim=True).clamp(min=1)
        s = torch.exp(seq.detach() + lp - lp.detach())
        surr1 = -adv * s
        surr2 = -adv * s.clamp(1 - hyper["gspo_clip_low"], 1 + hyper["gspo_clip_high"])
        pg = torch.maximum(surr1, surr2)
        clipped = (surr2 > surr1).to(lp.dtype)
    elif obj["loss"] == "policy-gradient":
        pg = -adv * ratio
        clipped = torch.zeros_like(pg)
    else:
        raise ValueError(f"unknown policy loss {obj['loss']}")
    kl = kl_estimate(obj["klEstimator"], lp, ref)
    per_token = pg + hyper["kl_coef"] * kl
    if obj.get("entropyBonus"):
        per_token = per_token - hyper["entropy_coef"] * ent
    agg = lambda v: aggregate(obj["aggregation"], v, mask)  # noqa: E731
    mean = lambda v: aggregate("token-mean", v, mask)  # noqa: E731
    loss = agg(per_token)
    metrics = {
        "loss/total": loss,
        "loss/policy": agg(pg),
        "loss/kl": agg(kl),
        "policy/clip_fraction": mean(clipped),
        "policy/ratio_mean": mean((lp - old).exp()),
        "policy/entropy": mean(ent),
        "kl/ref": mean(kl),
        "kl/old": mean(kl_estimate("k3", lp, old)),
    }
    return loss, metrics


def main(job_path, tensors_path, out_path):
    torch.set_default_dtype(torch.float64)
    with open(job_path) as f:
        job = json.load(f)
    cfg = job["model"]
    tensors = read_tensors(tensors_path)
    p = Params(tensors, cfg, job.get("lora"), job["trainable"])
    temperature = tensors["temperature"]
    logits = forward(p, cfg, tensors["input_ids"], tensors["attention_mask"])
    lp, ent = token_logprobs(logits, tensors["input_ids"], temperature)
    loss, metrics = objective(job, lp, ent, tensors)
    names = p.trainable
    params = [p.lora[n] if n in p.lora else p.w[n] for n in names]
    grads = torch.autograd.grad(loss, params, allow_unused=True)
    out = {"loss": loss.detach(), "logprobs": lp.detach(), "entropies": ent.detach()}
    out.update({k: v.detach() for k, v in metrics.items()})
    for n, prm, g in zip(names, params, grads):
        out[f"grad.{n}"] = torch.zeros_like(prm) if g is None else g
    write_tensors(out_path, out)
    print(json.dumps({"loss": loss.item(), "trainable": len(names), "dtype": str(logits.dtype)}))


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: llama_oracle.py JOB.json TENSORS.safetensors OUT.safetensors")
    main(*sys.argv[1:])

"""Logits of a Hugging Face model folder, optionally with a PEFT LoRA adapter applied, in plain
PyTorch: an oracle for `anchorage export` (the PEFT adapter and the merged Hugging Face folder).

Usage: python hf_peft_oracle.py JOB.json OUT.safetensors

JOB.json: {"model": folder with config.json and model.safetensors (float32), "adapter": a PEFT
folder (adapter_config.json, adapter_model.safetensors) or null, "sequences": [[token ids], ...]}.
OUT: logits.<i> [T, V] float64 per sequence.

The adapter is applied by PEFT's documented LoRA rule, weight += (lora_alpha / r) * B @ A, for the
parameter each lora_A/lora_B pair names (base_model.model.<parameter stem>.lora_A.weight). The
forward pass is llama_oracle.forward (half-split RoPE, as Hugging Face stores q and k).
"""

import json
import os
import sys

import torch

from llama_oracle import Params, forward
from tensor_file import read_tensors, write_tensors

PEFT_PREFIX = "base_model.model."
GLOBAL = {"model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight", "lm_head.weight": "output.weight"}
LAYER = {
    "input_layernorm.weight": "attn_norm.weight",
    "self_attn.q_proj.weight": "attn_q.weight",
    "self_attn.k_proj.weight": "attn_k.weight",
    "self_attn.v_proj.weight": "attn_v.weight",
    "self_attn.o_proj.weight": "attn_output.weight",
    "self_attn.q_proj.bias": "attn_q.bias",
    "self_attn.k_proj.bias": "attn_k.bias",
    "self_attn.v_proj.bias": "attn_v.bias",
    "self_attn.q_norm.weight": "attn_q_norm.weight",
    "self_attn.k_norm.weight": "attn_k_norm.weight",
    "post_attention_layernorm.weight": "ffn_norm.weight",
    "mlp.gate_proj.weight": "ffn_gate.weight",
    "mlp.up_proj.weight": "ffn_up.weight",
    "mlp.down_proj.weight": "ffn_down.weight",
}


def apply_peft(weights, adapter_dir):
    with open(os.path.join(adapter_dir, "adapter_config.json")) as f:
        conf = json.load(f)
    assert conf["peft_type"] == "LORA" and not conf.get("use_rslora") and not conf.get("use_dora")
    scale = conf["lora_alpha"] / conf["r"]
    adapter = read_tensors(os.path.join(adapter_dir, "adapter_model.safetensors"))
    applied = 0
    for key, a in adapter.items():
        if not key.endswith(".lora_A.weight"):
            continue
        stem = key[len(PEFT_PREFIX) : -len(".lora_A.weight")]
        assert key.startswith(PEFT_PREFIX), key
        assert stem.split(".")[-1] in conf["target_modules"], stem
        b = adapter[f"{PEFT_PREFIX}{stem}.lora_B.weight"]
        w = weights[f"{stem}.weight"]
        assert b.shape[0] == w.shape[0] and a.shape[1] == w.shape[1] and a.shape[0] == b.shape[1] == conf["r"]
        weights[f"{stem}.weight"] = w + scale * (b.double() @ a.double())
        applied += 1
    assert applied * 2 == len(adapter), "every lora_B has its lora_A"
    return applied


def canonical(hf_name):
    if hf_name in GLOBAL:
        return GLOBAL[hf_name]
    parts = hf_name.split(".", 3)  # model, layers, N, rest
    return f"blk.{parts[2]}.{LAYER[parts[3]]}"


def main(job_path, out_path):
    torch.set_default_dtype(torch.float64)
    with open(job_path) as f:
        job = json.load(f)
    with open(os.path.join(job["model"], "config.json")) as f:
        hf = json.load(f)
    weights = {k: v.double() for k, v in read_tensors(os.path.join(job["model"], "model.safetensors")).items()}
    applied = apply_peft(weights, job["adapter"]) if job.get("adapter") else 0
    head_dim = hf.get("head_dim") or hf["hidden_size"] // hf["num_attention_heads"]
    cfg = {
        "numLayers": hf["num_hidden_layers"],
        "numHeads": hf["num_attention_heads"],
        "numKvHeads": hf.get("num_key_value_heads") or hf["num_attention_heads"],
        "headDim": head_dim,
        "ropeStyle": "half-split",
        "ropeBase": hf.get("rope_theta", 10000.0),
        "ropeDim": head_dim,
        "rmsEps": hf["rms_norm_eps"],
        "qkNorm": "model.layers.0.self_attn.q_norm.weight" in weights,
        "tiedEmbeddings": hf.get("tie_word_embeddings", False),
    }
    p = Params({canonical(k): v for k, v in weights.items()}, cfg, None, "none")
    out = {}
    for i, seq in enumerate(job["sequences"]):
        ids = torch.tensor([seq], dtype=torch.int64)
        logits = forward(p, cfg, ids, torch.ones_like(ids))
        out[f"logits.{i}"] = logits[0].detach()
    write_tensors(out_path, out)
    print(json.dumps({"adapted": applied, "sequences": len(job["sequences"])}))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: hf_peft_oracle.py JOB.json OUT.safetensors")
    main(*sys.argv[1:])

#!/usr/bin/python3
"""PyTorch reference values for Spamp's attention and transformer parity tests
(tests/Spamp.Tests/Layers/AttentionParityTests.cs, TransformerParityTests.cs).

Run with Debian's interpreter and its python3-torch (1.13):
    /usr/bin/python3 tests/reference/generate_attention.py
It writes tests/reference/data/attention.json with three lists of cases:

  "sdpa":  fused scaled-dot-product attention. torch 1.13 has no F.scaled_dot_product_attention, so the
           reference is plain ops (q @ k^T * scale, masked_fill(-inf), softmax, @ v), evaluated in float32
           ("output", "grads") and again in float64 from the same float32 inputs ("output64", "grads64").
           Masks: "causal" (top-left), "key_padding_mask" ([B, Tk], 1 = ignore), "attn_mask" ([Tq, Tk],
           1 = may attend, SDPA's convention). A query row with no visible key gives 0 and no gradient
           (PyTorch's plain ops give NaN there; the reference masks such rows explicitly).
  "mha":   nn.MultiheadAttention(batch_first=True, dropout=0) with its state dict, forward(query, key, value,
           key_padding_mask, attn_mask (bool, 1 = masked, nn.MHA's convention), need_weights=False).
  "encoder": nn.TransformerEncoderLayer(batch_first=True, dropout=0) with its state dict, norm_first both
           ways, relu and gelu, optional causal src_mask and src_key_padding_mask.

Every case stores a fixed random upstream gradient; "grads" are d sum(output * upstream) / d input, and for
modules "param_grads" the same for every parameter by state-dict name. Every number is a float32 written as
the repr of the Python float holding it (float64 results as full doubles). CI never runs this.
"""

import json
import math
import os

import torch
import torch.nn.functional as F

GEN = torch.Generator().manual_seed(20261123)


def randn(*shape):
    return torch.randn(tuple(shape), generator=GEN, dtype=torch.float32)


def tj(t):
    t = t.detach().contiguous()
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def mask_json(m):
    return None if m is None else {"shape": list(m.shape), "data": [int(v) for v in m.reshape(-1).tolist()]}


def plain_attention(q, k, v, causal, padding, allowed):
    """softmax(q k^T / sqrt(D) + mask) v with plain ops; rows with no visible key give 0."""
    tq, tk = q.shape[-2], k.shape[-2]
    s = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(q.shape[-1]))
    hidden = torch.zeros(q.shape[0], q.shape[1], tq, tk, dtype=torch.bool)
    if causal:
        hidden = hidden | torch.ones(tq, tk, dtype=torch.bool).triu(1)
    if padding is not None:
        hidden = hidden | padding[:, None, None, :]
    if allowed is not None:
        hidden = hidden | ~allowed
    empty = hidden.all(dim=-1, keepdim=True)
    s = s.masked_fill(hidden & ~empty, float("-inf")).masked_fill(empty, 0.0)
    p = F.softmax(s, dim=-1).masked_fill(empty, 0.0)
    return p @ v


def sdpa_case(name, b, h, tq, tk, d, dv, causal=False, padding=None, allowed=None):
    q, k, v = randn(b, h, tq, d), randn(b, h, tk, d), randn(b, h, tk, dv)
    up = randn(b, h, tq, dv)
    case = {"name": name, "causal": causal, "key_padding_mask": mask_json(padding), "attn_mask": mask_json(allowed),
            "inputs": [tj(q), tj(k), tj(v)], "upstream": tj(up)}
    for dtype, suffix in ((torch.float32, ""), (torch.float64, "64")):
        xs = [t.detach().to(dtype).clone().requires_grad_(True) for t in (q, k, v)]
        out = plain_attention(*xs, causal, padding, allowed)
        (out * up.to(dtype)).sum().backward()
        case["output" + suffix] = tj(out)
        case["grads" + suffix] = [tj(x.grad) for x in xs]
    return case


def module_case(name, module, inputs, call, extra):
    """Forward and gradients of sum(module(...) * upstream) for inputs and every parameter."""
    xs = [x.clone().requires_grad_(True) for x in inputs]
    out = call(module, xs)
    up = randn(*out.shape)
    (out * up).sum().backward()
    state = {k: tj(v) for k, v in module.state_dict().items()}
    params = {n: tj(p.grad) for n, p in module.named_parameters()}
    return dict(name=name, inputs=[tj(x) for x in inputs], upstream=tj(up), output=tj(out),
                grads=[tj(x.grad) for x in xs], state=state, param_grads=params, **extra)


def main():
    torch.manual_seed(7)
    sdpa = [
        sdpa_case("causal", 2, 2, 5, 5, 4, 4, causal=True),
        sdpa_case("key_padding", 2, 2, 4, 6, 4, 3,
                  padding=torch.tensor([[0, 0, 0, 0, 1, 1], [0, 1, 0, 0, 0, 1]], dtype=torch.bool)),
        sdpa_case("causal_and_padding", 2, 3, 6, 6, 8, 8, causal=True,
                  padding=torch.tensor([[0, 0, 0, 0, 0, 1], [0, 0, 0, 1, 1, 1]], dtype=torch.bool)),
        sdpa_case("cross_tq3_tk7_attn_mask", 1, 2, 3, 7, 4, 5,
                  allowed=torch.tensor([[1, 1, 0, 1, 1, 1, 0], [1, 0, 1, 1, 0, 1, 1], [0, 1, 1, 1, 1, 1, 1]], dtype=torch.bool)),
        sdpa_case("fully_masked_row", 2, 1, 4, 5, 4, 4,
                  padding=torch.tensor([[0, 0, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=torch.bool),
                  allowed=torch.tensor([[1, 1, 1, 1, 1], [0, 0, 0, 0, 0], [1, 0, 1, 0, 1], [1, 1, 1, 1, 0]], dtype=torch.bool)),
    ]

    e, heads = 8, 2
    mha = []
    causal = torch.ones(5, 5, dtype=torch.bool).triu(1)
    pad = torch.tensor([[0, 0, 0, 0, 0], [0, 0, 0, 1, 1]], dtype=torch.bool)
    for name, tq, tk, attn_mask, kpm, self_attn in [
        ("self_causal_padding", 5, 5, causal, pad, True),
        ("self_plain", 5, 5, None, None, True),
        ("cross_padding", 3, 5, None, pad, False),
    ]:
        m = torch.nn.MultiheadAttention(e, heads, dropout=0.0, batch_first=True)
        with torch.no_grad():   # non-zero biases so their gradients and the bias path are exercised
            m.in_proj_bias.normal_(generator=GEN)
            m.out_proj.bias.normal_(generator=GEN)
        x = randn(2, tq, e)
        mem = randn(2, tk, e)

        def call(mod, xs, attn_mask=attn_mask, kpm=kpm, self_attn=self_attn):
            kv = xs[0] if self_attn else xs[1]
            return mod(xs[0], kv, kv, key_padding_mask=kpm, attn_mask=attn_mask, need_weights=False)[0]

        inputs = [x] if self_attn else [x, mem]
        mha.append(module_case(name, m, inputs, call, dict(
            embed_dim=e, num_heads=heads, self_attention=self_attn,
            key_padding_mask=mask_json(kpm), attn_mask=mask_json(attn_mask))))

    enc = []
    for name, norm_first, act, use_mask, use_pad in [
        ("post_norm_relu", False, "relu", False, False),
        ("pre_norm_relu_causal", True, "relu", True, False),
        ("post_norm_gelu_padding", False, "gelu", False, True),
        ("pre_norm_gelu_causal_padding", True, "gelu", True, True),
    ]:
        layer = torch.nn.TransformerEncoderLayer(e, heads, dim_feedforward=16, dropout=0.0, activation=act,
                                                 batch_first=True, norm_first=norm_first)
        with torch.no_grad():
            for n, p in layer.named_parameters():
                if n.endswith("bias") or n.startswith("norm"):
                    p.add_(0.1 * randn(*p.shape))
        x = randn(2, 5, e)
        src_mask = causal if use_mask else None
        kpm = pad if use_pad else None

        def call(mod, xs, src_mask=src_mask, kpm=kpm):
            return mod(xs[0], src_mask=src_mask, src_key_padding_mask=kpm)

        enc.append(module_case(name, layer, [x], call, dict(
            d_model=e, nhead=heads, dim_feedforward=16, norm_first=norm_first, activation=act,
            src_mask=mask_json(src_mask), src_key_padding_mask=mask_json(kpm))))

    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "attention.json")
    with open(out, "w") as f:
        json.dump({"torch_version": torch.__version__, "sdpa": sdpa, "mha": mha, "encoder": enc}, f,
                  separators=(",", ":"), allow_nan=False)
    print(f"wrote {out}: {len(sdpa)} sdpa, {len(mha)} mha, {len(enc)} encoder cases")


if __name__ == "__main__":
    main()

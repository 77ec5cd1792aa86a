#!/usr/bin/python3
"""PyTorch reference values for Spamp's layer parity tests (tests/Spamp.Tests/Layers/LayerParityTests.cs).

Run with Debian's interpreter and its python3-torch (1.13):  /usr/bin/python3 tests/reference/generate_layers.py
It writes tests/reference/data/layers.json, a list of cases:

  { "name", "layer", "config": {...},                         how to build the layer (mirrors Build() in the test)
    "inputs":  [{"shape", "data"}],                            float inputs (gradients are taken for each)
    "indices": {"shape", "data"} | null,                       int64 targets or embedding indices
    "state":   {"weight": {"shape", "data"}, ...},             the state dict loaded into the layer
    "output":  {"shape", "data"},                              torch's forward
    "upstream": {"shape", "data"},                             fixed random gradient of the output
    "grads": {"input0": ..., "weight": ...} }                  d sum(output * upstream) / d (inputs, parameters)

All values are float32, written with 9 significant digits (which parse back to the same float32).
It also writes two safetensors files BY HAND, following the format specification (Debian has no
`safetensors` package): reference.safetensors (one tensor of every dtype, with metadata; the expected
values are in layers.json under "safetensors") and sequential.safetensors (a torch state dict of
Sequential(Linear(4, 3), ReLU(), Linear(3, 2)) with the input and output under "sequential").
The writer follows the reference implementation: tensors ordered by dtype size (largest first), then
name; compact JSON header with "__metadata__" first, padded with spaces to a multiple of 8 bytes.
CI never runs this.
"""

import json
import os
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
GEN = torch.Generator().manual_seed(20261123)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def randn(*shape):
    return torch.randn(tuple(shape), generator=GEN, dtype=torch.float32)


def tj(t):
    t = t.detach().to(torch.float32).contiguous()
    # 9 significant digits identify a float32 exactly and keep the file small.
    return {"shape": list(t.shape), "data": [float("%.9g" % v) for v in t.reshape(-1).tolist()]}


def ij(t):
    return {"shape": list(t.shape), "data": [int(v) for v in t.reshape(-1).tolist()]}


class RMSNormRef(nn.Module):
    """torch.nn.RMSNorm (2.4+) written out for 1.13: x * rsqrt(mean(x^2) + eps) * weight."""

    def __init__(self, shape, eps=None, affine=True):
        super().__init__()
        self.shape = tuple(shape)
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(self.shape)) if affine else None

    def forward(self, x):
        eps = torch.finfo(x.dtype).eps if self.eps is None else self.eps
        dims = tuple(range(-len(self.shape), 0))
        y = x * torch.rsqrt(x.pow(2).mean(dims, keepdim=True) + eps)
        return y * self.weight if self.weight is not None else y


def build(layer, c):
    if layer == "linear":
        return nn.Linear(c["in"], c["out"], bias=c["bias"])
    if layer == "layer_norm":
        return nn.LayerNorm(c["shape"], eps=c["eps"], elementwise_affine=c["affine"])
    if layer == "rms_norm":
        return RMSNormRef(c["shape"], c.get("eps"), c["affine"])
    if layer == "group_norm":
        return nn.GroupNorm(c["groups"], c["channels"], eps=c["eps"], affine=c["affine"])
    if layer == "embedding":
        return nn.Embedding(c["num"], c["dim"], padding_idx=c.get("padding_idx"))
    if layer == "sequential":
        return nn.Sequential(nn.Linear(c["in"], c["hidden"]), nn.GELU(approximate=c["approximate"]),
                             nn.Dropout(0.5), nn.Linear(c["hidden"], c["out"]), nn.Tanh()).eval()
    if layer == "activation":
        return {"relu": nn.ReLU(), "gelu": nn.GELU(), "gelu_tanh": nn.GELU(approximate="tanh"), "silu": nn.SiLU(),
                "tanh": nn.Tanh(), "sigmoid": nn.Sigmoid(), "flatten": nn.Flatten(), "identity": nn.Identity()}[c["kind"]]
    if layer == "cross_entropy":
        w = torch.tensor(c["weight"]) if "weight" in c else None
        return nn.CrossEntropyLoss(weight=w, ignore_index=c.get("ignore_index", -100), reduction=c["reduction"],
                                   label_smoothing=c.get("label_smoothing", 0.0))
    if layer == "nll":
        w = torch.tensor(c["weight"]) if "weight" in c else None
        return nn.NLLLoss(weight=w, ignore_index=c.get("ignore_index", -100), reduction=c["reduction"])
    if layer == "mse":
        return nn.MSELoss(reduction=c["reduction"])
    if layer == "bce":
        w = torch.tensor(c["weight"]) if "weight" in c else None
        pw = torch.tensor(c["pos_weight"]) if "pos_weight" in c else None
        return nn.BCEWithLogitsLoss(weight=w, reduction=c["reduction"], pos_weight=pw)
    raise ValueError(layer)


CASES = []


def case(name, layer, config, input_shapes, indices=None, randomize=False, target_probs=False):
    module = build(layer, config)
    with torch.no_grad():
        if randomize:   # affine parameters away from their ones/zeros start, so they are really tested
            for p in module.parameters():
                p.copy_(randn(*p.shape))
    inputs = [randn(*s).requires_grad_(True) for s in input_shapes]
    if target_probs:     # BCE targets are probabilities
        inputs[1] = torch.sigmoid(inputs[1].detach()).requires_grad_(True)
    if layer == "embedding":
        out = module(indices)
    elif layer in ("cross_entropy", "nll"):
        x = inputs[0]
        out = module(F.log_softmax(x, 1) if layer == "nll" else x, indices)
    elif layer in ("mse", "bce"):
        out = module(inputs[0], inputs[1])
    else:
        out = module(inputs[0])
    upstream = randn(*out.shape)
    (out * upstream).sum().backward()
    grads = {f"input{i}": tj(x.grad) for i, x in enumerate(inputs)}
    for pname, p in module.named_parameters():
        grads[pname] = tj(p.grad)
    state = {k: tj(v) for k, v in module.state_dict().items() if v.dtype.is_floating_point}
    CASES.append({"name": name, "layer": layer, "config": config, "inputs": [tj(x) for x in inputs],
                  "indices": ij(indices) if indices is not None else None, "state": state,
                  "output": tj(out), "upstream": tj(upstream), "grads": grads})


# ---- linear, activations, containers ----
case("linear_bias_3d", "linear", {"in": 5, "out": 3, "bias": True}, [(2, 4, 5)])
case("linear_no_bias", "linear", {"in": 6, "out": 4, "bias": False}, [(3, 6)])
case("linear_1d_input", "linear", {"in": 4, "out": 2, "bias": True}, [(4,)])
for kind in ("relu", "gelu", "gelu_tanh", "silu", "tanh", "sigmoid", "flatten", "identity"):
    case(f"activation_{kind}", "activation", {"kind": kind}, [(2, 3, 4)])
case("sequential_eval", "sequential", {"in": 5, "hidden": 7, "out": 3, "approximate": "tanh"}, [(4, 5)])

# ---- normalisation ----
case("layer_norm_affine", "layer_norm", {"shape": [6], "eps": 1e-5, "affine": True}, [(4, 6)], randomize=True)
case("layer_norm_2d_shape", "layer_norm", {"shape": [3, 4], "eps": 1e-5, "affine": True}, [(2, 3, 4)], randomize=True)
case("layer_norm_no_affine_eps", "layer_norm", {"shape": [8], "eps": 1e-3, "affine": False}, [(3, 2, 8)])
case("layer_norm_wide", "layer_norm", {"shape": [1040], "eps": 1e-5, "affine": True}, [(2, 1040)], randomize=True)
case("rms_norm_default_eps", "rms_norm", {"shape": [6], "affine": True}, [(4, 6)], randomize=True)
case("rms_norm_eps_no_affine", "rms_norm", {"shape": [2, 5], "eps": 1e-6, "affine": False}, [(3, 2, 5)])
case("group_norm_affine", "group_norm", {"groups": 2, "channels": 4, "eps": 1e-5, "affine": True}, [(2, 4, 3, 3)], randomize=True)
case("group_norm_no_affine", "group_norm", {"groups": 3, "channels": 6, "eps": 1e-5, "affine": False}, [(3, 6, 5)])
case("group_norm_instance", "group_norm", {"groups": 4, "channels": 4, "eps": 1e-5, "affine": True}, [(2, 4, 7)], randomize=True)

# ---- embedding ----
case("embedding", "embedding", {"num": 10, "dim": 4}, [], indices=torch.tensor([[1, 5, 3], [9, 0, 5]]))
case("embedding_padding", "embedding", {"num": 7, "dim": 3, "padding_idx": 2}, [], indices=torch.tensor([2, 4, 2, 6, 0]))

# ---- losses ----
t8 = torch.randint(0, 10, (8,), generator=GEN)
t_ign = t8.clone(); t_ign[[1, 5]] = -100
case("cross_entropy_mean", "cross_entropy", {"reduction": "mean"}, [(8, 10)], indices=t8)
case("cross_entropy_smoothing_ignore", "cross_entropy", {"reduction": "mean", "label_smoothing": 0.1}, [(8, 10)], indices=t_ign)
case("cross_entropy_weight_smoothing_sum", "cross_entropy",
     {"reduction": "sum", "label_smoothing": 0.2, "weight": [float(v) for v in torch.rand(10, generator=GEN) + 0.5]}, [(8, 10)], indices=t_ign)
case("cross_entropy_weight_mean_ignore", "cross_entropy",
     {"reduction": "mean", "weight": [float(v) for v in torch.rand(10, generator=GEN) + 0.5], "ignore_index": 3}, [(8, 10)], indices=t8)
case("cross_entropy_weight_smoothing_mean", "cross_entropy",
     {"reduction": "mean", "label_smoothing": 0.15, "weight": [float(v) for v in torch.rand(10, generator=GEN) + 0.5]}, [(8, 10)], indices=t_ign)
t_sp = torch.randint(0, 5, (2, 3, 4), generator=GEN); t_sp[0, 1, 2] = -100
case("cross_entropy_spatial_none", "cross_entropy", {"reduction": "none", "label_smoothing": 0.05}, [(2, 5, 3, 4)], indices=t_sp)
case("cross_entropy_spatial_mean", "cross_entropy", {"reduction": "mean"}, [(2, 5, 3, 4)], indices=t_sp)
case("cross_entropy_wide", "cross_entropy", {"reduction": "mean", "label_smoothing": 0.1}, [(2, 300)],
     indices=torch.randint(0, 300, (2,), generator=GEN))
t6 = torch.randint(0, 5, (6,), generator=GEN); t6[2] = -100
case("nll_weight_ignore", "nll", {"reduction": "mean", "weight": [0.5, 1.0, 2.0, 1.5, 0.25]}, [(6, 5)], indices=t6)
case("nll_sum", "nll", {"reduction": "sum"}, [(6, 5)], indices=torch.randint(0, 5, (6,), generator=GEN))
case("mse_mean", "mse", {"reduction": "mean"}, [(3, 4), (3, 4)])
case("mse_sum", "mse", {"reduction": "sum"}, [(5,), (5,)])
case("mse_none", "mse", {"reduction": "none"}, [(2, 3), (2, 3)])
case("bce_mean", "bce", {"reduction": "mean"}, [(4, 3), (4, 3)], target_probs=True)
case("bce_pos_weight_sum", "bce", {"reduction": "sum", "pos_weight": [0.5, 2.0, 3.0]}, [(4, 3), (4, 3)], target_probs=True)
case("bce_weight_none", "bce", {"reduction": "none", "weight": [1.0, 0.25, 2.0], "pos_weight": [1.5, 1.0, 0.5]}, [(2, 3), (2, 3)],
     target_probs=True)

# ---- safetensors, written by hand following the format ----
CODES = {torch.float32: "F32", torch.float64: "F64", torch.float16: "F16", torch.bfloat16: "BF16",
         torch.int64: "I64", torch.int32: "I32", torch.bool: "BOOL"}


def raw_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def write_safetensors(path, tensors, metadata=None):
    order = sorted(tensors, key=lambda k: (-tensors[k].element_size(), k))
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    offset, blobs = 0, []
    for k in order:
        b = raw_bytes(tensors[k])
        header[k] = {"dtype": CODES[tensors[k].dtype], "shape": list(tensors[k].shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


st = {
    "f32": randn(2, 3),
    "f64": randn(4).double(),
    "f16": randn(3, 2).half(),
    "bf16": randn(5).bfloat16(),
    "i64": torch.tensor([[-3, 0, 7], [1 << 40, 5, -1]], dtype=torch.int64),
    "i32": torch.tensor([1, -2, 2147483647], dtype=torch.int32),
    "bool": torch.tensor([True, False, True, True]),
    "scalar": torch.tensor(2.5),
    "empty": torch.zeros(0, 3),
}
write_safetensors(os.path.join(OUT, "reference.safetensors"), st, {"format": "pt", "source": "generate_layers.py"})
st_json = {k: {"dtype": CODES[v.dtype], "shape": list(v.shape),
               "data": [float(x) if v.dtype.is_floating_point else int(x) for x in v.reshape(-1).float().tolist()]
               if v.dtype not in (torch.int64, torch.int32, torch.bool) else [int(x) for x in v.reshape(-1).tolist()]}
           for k, v in st.items()}

seq = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
write_safetensors(os.path.join(OUT, "sequential.safetensors"), seq.state_dict(), {"format": "pt"})
x = randn(5, 4)
with torch.no_grad():
    seq_out = seq(x)

# A small CNN and a small transformer block, saved as safetensors (the interoperability
# check): the C# test loads each file into the same Spamp model and must reproduce these outputs.
gen = torch.Generator().manual_seed(1234)
cnn = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                    nn.Flatten(), nn.Linear(4 * 4 * 4, 5))
with torch.no_grad():
    cnn[1].running_mean.copy_(torch.randn(4, generator=gen) * 0.1)
    cnn[1].running_var.copy_(torch.rand(4, generator=gen) + 0.5)
    cnn[1].weight.copy_(torch.rand(4, generator=gen) + 0.5)
    cnn[1].bias.copy_(torch.randn(4, generator=gen) * 0.1)
cnn.eval()
cnn_x = torch.randn(2, 1, 8, 8, generator=gen)
block = nn.TransformerEncoderLayer(d_model=16, nhead=2, dim_feedforward=32, dropout=0.0, batch_first=True, norm_first=True)
block.eval()
block_x = torch.randn(2, 5, 16, generator=gen)
with torch.no_grad():
    cnn_out = cnn(cnn_x)
    block_out = block(block_x)
write_safetensors(os.path.join(OUT, "small_cnn.safetensors"), cnn.state_dict(), {"format": "pt"})
write_safetensors(os.path.join(OUT, "transformer_block.safetensors"), block.state_dict(), {"format": "pt"})
with open(os.path.join(OUT, "models.json"), "w") as f:
    json.dump({"torch": torch.__version__,
               "small_cnn": {"input": tj(cnn_x), "output": tj(cnn_out)},
               "transformer_block": {"input": tj(block_x), "output": tj(block_out)}}, f)

with open(os.path.join(OUT, "layers.json"), "w") as f:
    json.dump({"torch": torch.__version__, "cases": CASES, "safetensors": st_json,
               "sequential": {"input": tj(x), "output": tj(seq_out)}}, f)
print(f"wrote {len(CASES)} cases")

#!/usr/bin/python3
"""PyTorch reference values for Spamp's autograd parity tests (tests/Spamp.Tests/Autograd/TorchParityTests.cs).

Run with Debian's interpreter and its python3-torch (1.13):  /usr/bin/python3 tests/reference/generate.py
It writes tests/reference/data/ops.json, a list of cases:

  { "name", "op", "args": {...},
    "inputs":   [{"shape": [...], "data": [...]}],       float32 values from a seeded generator
    "upstream": {"shape": [...], "data": [...]},           a fixed random gradient of the output
    "output":   {"shape": [...], "data": [...]},           torch's forward, in float32
    "grads":    [{"shape": [...], "data": [...]} | null] } d sum(output * upstream) / d input, in float32

Every number is a float32 written as the repr of the Python float holding it, which parses back to the
same float32 exactly. Integer arguments (indices, conditions) live in "args". When args.transpose_inputs
is true, each input of rank >= 2 is stored untransposed and the op is applied to input.transpose(-1, -2),
so the op sees non-contiguous tensors; gradients are with respect to the stored inputs. CI never runs this.
"""

import json
import math
import os

import torch
import torch.nn.functional as F

torch.manual_seed(0)
GEN = torch.Generator().manual_seed(20261122)


def randn(*shape):
    return torch.randn(tuple(shape), generator=GEN, dtype=torch.float32)


def away_from_zero(*shape, margin=0.1):
    """Normal values pushed at least `margin` away from 0 (for kinks at 0: relu, abs, sign, leaky_relu)."""
    x = randn(*shape)
    return torch.where(x >= 0, x + margin, x - margin)


def positive(*shape, low=0.5, high=2.0):
    return low + (high - low) * torch.rand(*shape, generator=GEN, dtype=torch.float32)


def index_tensor(high, *shape):
    return torch.randint(0, high, shape, generator=GEN, dtype=torch.int64)


def tensor_json(t):
    t = t.detach().to(torch.float32).contiguous()
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def apply(op, args, xs):
    """The op in torch; mirrors TorchParityTests.Apply."""
    a = args
    x = xs[0] if xs else None
    unary = {
        "neg": torch.neg, "abs": torch.abs, "sign": torch.sign, "exp": torch.exp, "log": torch.log,
        "sqrt": torch.sqrt, "rsqrt": torch.rsqrt, "square": torch.square, "reciprocal": torch.reciprocal,
        "relu": torch.relu, "silu": F.silu, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "sin": torch.sin,
        "cos": torch.cos, "contiguous": lambda t: t.contiguous(), "clone": torch.clone,
    }
    if op in unary:
        return unary[op](x)
    if op == "gelu":
        return F.gelu(x, approximate=a["approximate"])
    if op == "pow_scalar":
        return torch.pow(x, a["exponent"])
    if op == "leaky_relu":
        return F.leaky_relu(x, a["slope"])
    if op == "clamp":
        return torch.clamp(x, a.get("min"), a.get("max"))
    binary = {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div, "pow": torch.pow,
              "maximum": torch.maximum, "minimum": torch.minimum, "matmul": torch.matmul}
    if op in binary:
        return binary[op](xs[0], xs[1])
    if op == "scalar":
        s, first, kind = a["scalar"], a["scalar_first"], a["kind"]
        fn = {"add": lambda p, q: p + q, "sub": lambda p, q: p - q, "mul": lambda p, q: p * q,
              "div": lambda p, q: p / q, "pow": lambda p, q: p ** q}[kind]
        return fn(s, x) if first else fn(x, s)
    if op == "where":
        cond = torch.tensor(a["condition"], dtype=torch.bool).reshape(a["condition_shape"])
        return torch.where(cond, xs[0], xs[1])
    if op in ("sum", "mean"):
        fn = torch.sum if op == "sum" else torch.mean
        return fn(x) if a["dims"] is None else fn(x, dim=a["dims"], keepdim=a["keepdim"])
    if op in ("amax", "amin"):
        fn = torch.amax if op == "amax" else torch.amin
        return fn(x, dim=a["dims"] if a["dims"] is not None else list(range(x.dim())), keepdim=a["keepdim"])
    if op in ("max_dim", "min_dim"):
        fn = torch.max if op == "max_dim" else torch.min
        return fn(x, a["dim"], keepdim=a["keepdim"]).values
    if op in ("var", "std"):
        fn = torch.var if op == "var" else torch.std
        dims = a["dims"] if a["dims"] is not None else list(range(x.dim()))
        return fn(x, dim=dims, unbiased=a["correction"] == 1, keepdim=a["keepdim"])
    if op == "norm":
        p = math.inf if a["p"] == "inf" else a["p"]
        return torch.linalg.vector_norm(x, ord=p, dim=a["dims"], keepdim=a["keepdim"])
    if op == "logsumexp":
        return torch.logsumexp(x, dim=a["dims"], keepdim=a["keepdim"])
    if op == "softmax":
        return torch.softmax(x, a["dim"])
    if op == "log_softmax":
        return torch.log_softmax(x, a["dim"])
    if op == "reshape":
        return x.reshape(a["shape"])
    if op == "view":
        return x.view(a["shape"])
    if op == "flatten":
        return torch.flatten(x, a["start"], a["end"])
    if op == "squeeze":
        return x.squeeze() if a.get("dim") is None else x.squeeze(a["dim"])
    if op == "unsqueeze":
        return x.unsqueeze(a["dim"])
    if op == "permute":
        return x.permute(a["dims"])
    if op == "transpose":
        return x.transpose(a["dim0"], a["dim1"])
    if op == "slice":
        index = [slice(None)] * x.dim()
        index[a["dim"]] = slice(a.get("start"), a.get("end"), a["step"])
        return x[tuple(index)]
    if op == "narrow":
        return x.narrow(a["dim"], a["start"], a["length"])
    if op == "select":
        return x.select(a["dim"], a["index"])
    if op == "expand":
        return x.expand(a["shape"])
    if op in ("split", "chunk"):
        parts = torch.split(x, a["size"], a["dim"]) if op == "split" else torch.chunk(x, a["chunks"], a["dim"])
        # Weight each piece differently so a gradient routed to the wrong piece shows.
        return torch.cat([p * (i + 1) for i, p in enumerate(parts)], a["dim"])
    if op == "gather":
        index = torch.tensor(a["index"], dtype=torch.int64).reshape(a["index_shape"])
        return torch.gather(x, a["dim"], index)
    if op == "index_select":
        index = torch.tensor(a["index"], dtype=torch.int64)
        return torch.index_select(x, a["dim"], index)
    if op == "scatter_add":
        index = torch.tensor(a["index"], dtype=torch.int64).reshape(a["index_shape"])
        return torch.scatter_add(xs[0], a["dim"], index, xs[1])
    if op == "cat":
        return torch.cat(xs, a["dim"])
    if op == "stack":
        return torch.stack(xs, a["dim"])
    if op == "cast_roundtrip":
        return x.to(torch.float64).square().to(torch.float32)
    raise ValueError(op)


CASES = []


def case(name, op, inputs, **args):
    CASES.append((name, op, args, inputs))


# ---- element-wise, one input ----
case("neg", "neg", [randn(2, 3)])
case("abs", "abs", [away_from_zero(2, 3)])
case("sign", "sign", [away_from_zero(2, 3)])
case("exp", "exp", [randn(2, 3)])
case("log", "log", [positive(2, 3)])
case("sqrt", "sqrt", [positive(2, 3)])
case("rsqrt", "rsqrt", [positive(2, 3)])
case("square", "square", [randn(2, 3)])
case("reciprocal", "reciprocal", [away_from_zero(2, 3, margin=0.5)])
case("relu", "relu", [away_from_zero(3, 4)])
case("gelu_none", "gelu", [randn(3, 4) * 2], approximate="none")
case("gelu_tanh", "gelu", [randn(3, 4) * 2], approximate="tanh")
case("silu", "silu", [randn(3, 4) * 2])
case("sigmoid", "sigmoid", [randn(3, 4) * 2])
case("tanh", "tanh", [randn(3, 4)])
case("tanh_transposed", "tanh", [randn(4, 3)], transpose_inputs=True)
case("sin", "sin", [randn(2, 3)])
case("cos", "cos", [randn(2, 3)])
case("pow_scalar", "pow_scalar", [positive(2, 3)], exponent=2.5)
case("leaky_relu", "leaky_relu", [away_from_zero(3, 4)], slope=0.2)
case("clamp", "clamp", [torch.tensor([[-2.0, -0.8, -0.3, 0.2], [0.4, 0.7, 1.3, 2.5]])], min=-0.5, max=1.0)

# ---- element-wise, two inputs (broadcasting, non-contiguous) ----
case("add_broadcast", "add", [randn(3, 1, 4), randn(2, 1)])
case("sub_broadcast", "sub", [randn(3, 1, 4), randn(2, 1)])
case("mul_broadcast", "mul", [randn(3, 1, 4), randn(2, 1)])
case("div_broadcast", "div", [randn(3, 1, 4), away_from_zero(2, 1, margin=0.5)])
case("pow_broadcast", "pow", [positive(3, 1, 4), randn(2, 1)])
case("mul_transposed", "mul", [randn(4, 3), randn(4, 3)], transpose_inputs=True)
case("div_transposed", "div", [randn(4, 3), positive(4, 3)], transpose_inputs=True)
case("maximum", "maximum", [randn(2, 3), randn(2, 3)])
case("maximum_ties", "maximum", [torch.tensor([[1.0, 2.0, -1.0]]), torch.tensor([[1.0, 0.5, -1.0]])])
case("minimum_broadcast", "minimum", [randn(2, 3), randn(3)])
for kind in ("add", "sub", "mul", "div", "pow"):
    base = positive(2, 3)
    case(f"{kind}_scalar_right", "scalar", [base], kind=kind, scalar=1.5, scalar_first=False)
    case(f"{kind}_scalar_left", "scalar", [positive(2, 3)], kind=kind, scalar=1.5, scalar_first=True)
case("where", "where", [randn(2, 3), randn(2, 3)], condition=[True, False, True, False, False, True], condition_shape=[2, 3])
case("where_broadcast", "where", [randn(2, 1), randn(3)], condition=[True, False, True], condition_shape=[3])

# ---- reductions ----
case("sum_all", "sum", [randn(2, 3, 4)], dims=None, keepdim=False)
case("sum_dims_0_2", "sum", [randn(2, 3, 4)], dims=[0, 2], keepdim=False)
case("sum_dim_1_keepdim", "sum", [randn(2, 3, 4)], dims=[1], keepdim=True)
case("mean_all", "mean", [randn(2, 3, 4)], dims=None, keepdim=False)
case("mean_dim_neg1_keepdim", "mean", [randn(2, 3, 4)], dims=[-1], keepdim=True)
case("mean_transposed", "mean", [randn(4, 3)], dims=[1], keepdim=False, transpose_inputs=True)
case("amax_dim1", "amax", [randn(3, 4)], dims=[1], keepdim=False)
case("amax_ties", "amax", [torch.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])], dims=[1], keepdim=True)
case("amin_all", "amin", [randn(3, 4)], dims=None, keepdim=False)
case("max_dim0", "max_dim", [randn(3, 4)], dim=0, keepdim=False)
case("max_dim1_keepdim", "max_dim", [randn(3, 4)], dim=1, keepdim=True)
case("min_dim1", "min_dim", [randn(3, 4)], dim=-1, keepdim=False)
case("var_dim1", "var", [randn(3, 5)], dims=[1], correction=1, keepdim=False)
case("var_all_biased", "var", [randn(3, 5)], dims=None, correction=0, keepdim=False)
case("std_dim0_keepdim", "std", [randn(4, 3)], dims=[0], correction=1, keepdim=True)
case("norm_p2_all", "norm", [randn(3, 4)], p=2.0, dims=None, keepdim=False)
case("norm_p2_dim1", "norm", [randn(3, 4)], p=2.0, dims=[1], keepdim=True)
case("norm_p1", "norm", [away_from_zero(3, 4)], p=1.0, dims=[1], keepdim=False)
case("norm_p3", "norm", [randn(3, 4)], p=3.0, dims=[0], keepdim=False)
case("norm_inf", "norm", [randn(3, 4)], p="inf", dims=[1], keepdim=False)
case("logsumexp_dim1", "logsumexp", [randn(3, 4) * 3], dims=[1], keepdim=False)
case("logsumexp_dims_0_1_keepdim", "logsumexp", [randn(2, 3, 4)], dims=[0, 2], keepdim=True)

# ---- linear algebra, softmax ----
case("matmul_1d_1d", "matmul", [randn(3), randn(3)])
case("matmul_1d_2d", "matmul", [randn(3), randn(3, 2)])
case("matmul_2d_1d", "matmul", [randn(2, 3), randn(3)])
case("matmul_2d_2d", "matmul", [randn(2, 3), randn(3, 4)])
case("matmul_batched_broadcast", "matmul", [randn(2, 1, 3, 4), randn(5, 4, 2)])
case("matmul_transposed", "matmul", [randn(4, 3), randn(2, 4)], transpose_inputs=True)
case("softmax_dim0", "softmax", [randn(3, 4) * 2], dim=0)
case("softmax_dim_neg1", "softmax", [randn(3, 4) * 2], dim=-1)
case("log_softmax_dim0", "log_softmax", [randn(3, 4) * 2], dim=0)
case("log_softmax_dim_neg1", "log_softmax", [randn(2, 3, 4) * 2], dim=-1)
case("softmax_transposed", "softmax", [randn(4, 3)], dim=-1, transpose_inputs=True)

# ---- views and shape ops ----
case("reshape", "reshape", [randn(2, 3, 4)], shape=[4, -1])
case("reshape_transposed", "reshape", [randn(4, 3)], shape=[-1], transpose_inputs=True)
case("view", "view", [randn(2, 6)], shape=[3, 4])
case("flatten", "flatten", [randn(2, 3, 4)], start=1, end=-1)
case("squeeze_dim", "squeeze", [randn(3, 1, 2)], dim=1)
case("squeeze_all", "squeeze", [randn(1, 3, 1)])
case("unsqueeze", "unsqueeze", [randn(3, 2)], dim=1)
case("permute", "permute", [randn(2, 3, 4)], dims=[2, 0, 1])
case("transpose", "transpose", [randn(2, 3, 4)], dim0=0, dim1=2)
case("slice_step2", "slice", [randn(5, 4)], dim=0, start=1, end=5, step=2)
case("slice_negative", "slice", [randn(3, 6)], dim=1, start=-4, end=None, step=3)
case("narrow", "narrow", [randn(3, 5)], dim=1, start=1, length=3)
case("select", "select", [randn(3, 4)], dim=1, index=-1)
case("expand", "expand", [randn(3, 1)], shape=[2, 3, 4])
case("contiguous_transposed", "contiguous", [randn(4, 3)], transpose_inputs=True)
case("clone", "clone", [randn(2, 3)])
case("split", "split", [randn(5, 2)], size=2, dim=0)
case("chunk", "chunk", [randn(2, 7)], chunks=3, dim=1)

# ---- indexing ----
case("gather_dim1", "gather", [randn(3, 4)], dim=1, index=[0, 3, 3, 1, 2, 2], index_shape=[3, 2])
case("gather_dim0", "gather", [randn(3, 4)], dim=0, index=[2, 0, 1, 1, 0, 0, 2, 2], index_shape=[2, 4])
case("index_select_dim0", "index_select", [randn(4, 3)], dim=0, index=[3, 0, 3])
case("index_select_dim1", "index_select", [randn(2, 5)], dim=1, index=[4, 1])
case("scatter_add_duplicates", "scatter_add", [randn(3, 4), randn(2, 4)], dim=0,
     index=[0, 1, 2, 0, 0, 1, 2, 0], index_shape=[2, 4])
case("scatter_add_dim1", "scatter_add", [randn(2, 5), randn(2, 3)], dim=1, index=[4, 4, 0, 1, 2, 1], index_shape=[2, 3])
case("cat_dim0", "cat", [randn(2, 3), randn(1, 3), randn(3, 3)], dim=0)
case("cat_dim1", "cat", [randn(2, 1), randn(2, 3)], dim=-1)
case("stack_dim0", "stack", [randn(2, 3), randn(2, 3)], dim=0)
case("stack_dim_neg1", "stack", [randn(2, 3), randn(2, 3), randn(2, 3)], dim=-1)
case("cast_roundtrip", "cast_roundtrip", [randn(2, 3)])


def build(name, op, args, inputs):
    leaves = [t.clone().to(torch.float32).requires_grad_(True) for t in inputs]
    seen = [leaf.transpose(-1, -2) if args.get("transpose_inputs") and leaf.dim() >= 2 else leaf for leaf in leaves]
    out = apply(op, args, seen)
    upstream = randn(*out.shape)
    grads = torch.autograd.grad((out * upstream).sum(), leaves, allow_unused=True)
    return {
        "name": name,
        "op": op,
        "args": args,
        "inputs": [tensor_json(t) for t in inputs],
        "upstream": tensor_json(upstream),
        "output": tensor_json(out),
        "grads": [tensor_json(g) if g is not None else None for g in grads],
    }


def main():
    cases = [build(*c) for c in CASES]
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "ops.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"torch_version": torch.__version__, "cases": cases}, f, separators=(",", ":"), allow_nan=False)
        f.write("\n")
    print(f"{len(cases)} cases -> {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()

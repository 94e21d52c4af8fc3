#!/usr/bin/python3
"""Generates the torch.optim parity fixtures for package optim.

Run from the repository root with Debian's Python (torch 1.13):

    /usr/bin/python3 optim/testdata/gen_optim.py

It writes optim/testdata/optim_cases.json (optimizer trajectories),
schedule_cases.json (learning-rate sequences) and clip_cases.json (gradient
clipping). Every number is a float32 value written as a Python float, so the
Go side parses it back to the same float32 bit pattern.
"""
import json
import math
import os

import torch

OUT = os.path.dirname(os.path.abspath(__file__))
STEPS = 5


def tensor_list(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def make_params(seed):
    g = torch.Generator().manual_seed(seed)
    shapes = {"dense/kernel": [3, 4], "dense/bias": [5], "conv/kernel": [2, 2, 3]}
    params = {}
    grads = {}
    for name, shape in shapes.items():
        params[name] = torch.randn(*shape, generator=g, dtype=torch.float32)
        steps = []
        for s in range(STEPS):
            gr = torch.randn(*shape, generator=g, dtype=torch.float32)
            if s == 2:
                # Tiny gradients exercise eps placement.
                gr = gr * 1e-4
            steps.append(gr)
        grads[name] = steps
    return shapes, params, grads


def run_case(name, kind, config, groups, lr_changes=None):
    """groups: list of (param names, lr_scale, weight_decay or None)."""
    shapes, init, grads = make_params(len(name) * 7919 + 17)
    base_lr = config["lr"]
    tparams = {n: torch.nn.Parameter(init[n].clone()) for n in shapes}
    pgroups = []
    for names, scale, wd in groups:
        g = {"params": [tparams[n] for n in names], "lr": base_lr * scale}
        if wd is not None:
            g["weight_decay"] = wd
        pgroups.append(g)
    kw = {k: v for k, v in config.items() if k != "lr"}
    if kind == "sgd":
        opt = torch.optim.SGD(pgroups, lr=base_lr, foreach=False, **kw)
    elif kind == "adam":
        opt = torch.optim.Adam(pgroups, lr=base_lr, foreach=False, **kw)
    elif kind == "adamw":
        opt = torch.optim.AdamW(pgroups, lr=base_lr, foreach=False, **kw)
    elif kind == "rmsprop":
        opt = torch.optim.RMSprop(pgroups, lr=base_lr, foreach=False, **kw)
    else:
        raise ValueError(kind)
    lr_changes = lr_changes or {}
    lrs = []
    trajectory = []
    for s in range(STEPS):
        if s in lr_changes:
            new_base = lr_changes[s]
            for g, (_, scale, _) in zip(opt.param_groups, groups):
                g["lr"] = new_base * scale
        lrs.append(lr_changes.get(s, lrs[-1] if lrs else base_lr))
        for n in shapes:
            tparams[n].grad = grads[n][s].clone()
        opt.step()
        trajectory.append({n: tensor_list(tparams[n]) for n in shapes})
    return {
        "name": name,
        "kind": kind,
        "config": config,
        "groups": [{"params": names, "lr_scale": scale, "weight_decay": wd} for names, scale, wd in groups],
        "base_lrs": lrs,
        "params": [{"name": n, "shape": shapes[n], "init": tensor_list(init[n]),
                    "grads": [tensor_list(gr) for gr in grads[n]]} for n in shapes],
        "trajectory": trajectory,
    }


ALL = [["dense/kernel", "dense/bias", "conv/kernel"], 1.0, None]


def one_group():
    return [tuple(ALL)]


def two_groups(head_wd=None, base_wd=None):
    return [(["dense/kernel", "dense/bias"], 1.0, head_wd), (["conv/kernel"], 0.1, base_wd)]


def optimizer_cases():
    c = []
    c.append(run_case("sgd_plain", "sgd", {"lr": 0.1}, one_group()))
    c.append(run_case("sgd_momentum", "sgd", {"lr": 0.1, "momentum": 0.9}, one_group()))
    c.append(run_case("sgd_dampening", "sgd", {"lr": 0.05, "momentum": 0.9, "dampening": 0.5}, one_group()))
    c.append(run_case("sgd_nesterov_wd", "sgd", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}, one_group()))
    c.append(run_case("sgd_wd", "sgd", {"lr": 0.1, "momentum": 0.5, "weight_decay": 0.05}, one_group()))
    c.append(run_case("sgd_groups", "sgd", {"lr": 0.1, "momentum": 0.9, "weight_decay": 1e-3},
                      two_groups(base_wd=0.0), lr_changes={3: 0.05}))
    c.append(run_case("adam_default", "adam", {"lr": 1e-3}, one_group()))
    c.append(run_case("adam_wd_betas", "adam", {"lr": 1e-2, "betas": [0.8, 0.99], "eps": 1e-6, "weight_decay": 0.1}, one_group()))
    c.append(run_case("adam_amsgrad", "adam", {"lr": 1e-2, "amsgrad": True}, one_group()))
    c.append(run_case("adam_groups", "adam", {"lr": 1e-2, "weight_decay": 0.01},
                      two_groups(head_wd=0.0), lr_changes={2: 5e-3, 4: 1e-3}))
    c.append(run_case("adamw_default", "adamw", {"lr": 1e-3}, one_group()))
    c.append(run_case("adamw_amsgrad", "adamw", {"lr": 1e-2, "weight_decay": 0.1, "amsgrad": True, "betas": [0.85, 0.95]}, one_group()))
    c.append(run_case("adamw_groups", "adamw", {"lr": 1e-2, "weight_decay": 0.05}, two_groups(base_wd=0.2)))
    c.append(run_case("rmsprop_default", "rmsprop", {"lr": 1e-2}, one_group()))
    c.append(run_case("rmsprop_momentum", "rmsprop", {"lr": 1e-2, "momentum": 0.9, "alpha": 0.9}, one_group()))
    c.append(run_case("rmsprop_centered", "rmsprop", {"lr": 1e-2, "centered": True, "weight_decay": 0.01}, one_group()))
    c.append(run_case("rmsprop_centered_momentum", "rmsprop",
                      {"lr": 5e-3, "centered": True, "momentum": 0.5, "alpha": 0.9, "eps": 1e-6}, one_group()))
    c.append(run_case("rmsprop_groups", "rmsprop", {"lr": 1e-2, "momentum": 0.9}, two_groups(), lr_changes={3: 2e-3}))
    return c


def lr_sequence(make_sched, n, base_lr=0.1):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=base_lr)
    sched = make_sched(opt)
    lrs = []
    for _ in range(n):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return lrs


def plateau_sequence(kw, metrics, base_lr=0.1):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=base_lr)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **kw)
    lrs = []
    for m in metrics:
        sched.step(m)
        lrs.append(opt.param_groups[0]["lr"])
    return lrs


def schedule_cases():
    S = torch.optim.lr_scheduler
    out = []
    out.append({"name": "step", "kind": "step", "base_lr": 0.1, "step_size": 3, "gamma": 0.5,
                "lrs": lr_sequence(lambda o: S.StepLR(o, step_size=3, gamma=0.5), 12)})
    out.append({"name": "exponential", "kind": "exponential", "base_lr": 0.1, "gamma": 0.9,
                "lrs": lr_sequence(lambda o: S.ExponentialLR(o, gamma=0.9), 12)})
    out.append({"name": "cosine_no_warmup", "kind": "cosine", "base_lr": 0.1, "min_lr": 1e-3,
                "warmup_steps": 0, "warmup_start": 0.0, "total_steps": 10,
                "lrs": lr_sequence(lambda o: S.CosineAnnealingLR(o, T_max=10, eta_min=1e-3), 11)})
    out.append({"name": "cosine_warmup", "kind": "cosine", "base_lr": 0.1, "min_lr": 1e-4,
                "warmup_steps": 3, "warmup_start": 0.1, "total_steps": 10,
                "lrs": lr_sequence(lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=3),
                                                                 S.CosineAnnealingLR(o, T_max=7, eta_min=1e-4)],
                                                            milestones=[3]), 11)})
    out.append({"name": "onecycle_default", "kind": "onecycle", "max_lr": 0.1, "total_steps": 20,
                "pct_start": 0.3, "div_factor": 25.0, "final_div_factor": 1e4,
                "lrs": lr_sequence(lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=20, cycle_momentum=False), 20)})
    out.append({"name": "onecycle_custom", "kind": "onecycle", "max_lr": 0.5, "total_steps": 13,
                "pct_start": 0.25, "div_factor": 10.0, "final_div_factor": 100.0,
                "lrs": lr_sequence(lambda o: S.OneCycleLR(o, max_lr=0.5, total_steps=13, pct_start=0.25,
                                                          div_factor=10.0, final_div_factor=100.0,
                                                          cycle_momentum=False), 13)})
    metrics_min = [1.0, 0.9, 0.9, 0.9, 0.8999, 0.95, 0.95, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7,
                   0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]
    cases = [
        ("plateau_min_rel", {"mode": "min", "factor": 0.5, "patience": 2, "threshold": 1e-3}, metrics_min),
        ("plateau_min_cooldown", {"mode": "min", "factor": 0.1, "patience": 1, "cooldown": 2, "min_lr": 1e-4}, metrics_min),
        ("plateau_max_abs", {"mode": "max", "factor": 0.3, "patience": 0, "threshold": 0.05, "threshold_mode": "abs"},
         [0.1, 0.2, 0.22, 0.3, 0.31, 0.32, 0.5, 0.5, 0.6, 0.61, 0.7, 0.7]),
        ("plateau_max_rel_minlr", {"mode": "max", "factor": 0.5, "patience": 1, "min_lr": 0.02},
         [0.5, 0.5, 0.5, 0.5, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]),
    ]
    for name, kw, metrics in cases:
        full = {"mode": "min", "factor": 0.1, "patience": 10, "threshold": 1e-4, "threshold_mode": "rel",
                "cooldown": 0, "min_lr": 0.0, "eps": 1e-8}
        full.update(kw)
        out.append({"name": name, "kind": "plateau", "base_lr": 0.1, "plateau": full, "metrics": metrics,
                    "lrs": plateau_sequence(kw, metrics)})
    return out


def clip_cases():
    out = []
    for name, max_norm, scale in [("norm_clips", 1.0, 1.0), ("norm_no_clip", 100.0, 1.0), ("norm_small", 0.5, 1e-3)]:
        g = torch.Generator().manual_seed(len(name))
        grads = [torch.randn(3, 4, generator=g) * scale, torch.randn(7, generator=g) * scale]
        params = [torch.nn.Parameter(torch.zeros_like(x)) for x in grads]
        for p, x in zip(params, grads):
            p.grad = x.clone()
        total = torch.nn.utils.clip_grad_norm_(params, max_norm)
        out.append({"name": name, "kind": "norm", "max": max_norm, "total_norm": float(total),
                    "grads": [tensor_list(x) for x in grads], "shapes": [list(x.shape) for x in grads],
                    "clipped": [tensor_list(p.grad) for p in params]})
    g = torch.Generator().manual_seed(99)
    grads = [torch.randn(4, 5, generator=g), torch.randn(6, generator=g)]
    params = [torch.nn.Parameter(torch.zeros_like(x)) for x in grads]
    for p, x in zip(params, grads):
        p.grad = x.clone()
    torch.nn.utils.clip_grad_value_(params, 0.5)
    out.append({"name": "value", "kind": "value", "max": 0.5, "total_norm": 0.0,
                "grads": [tensor_list(x) for x in grads], "shapes": [list(x.shape) for x in grads],
                "clipped": [tensor_list(p.grad) for p in params]})
    return out


def write(name, obj):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    torch.manual_seed(0)
    write("optim_cases.json", {"torch": torch.__version__, "cases": optimizer_cases()})
    write("schedule_cases.json", {"torch": torch.__version__, "cases": schedule_cases()})
    write("clip_cases.json", {"torch": torch.__version__, "cases": clip_cases()})

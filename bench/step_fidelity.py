"""How far the per-block training-step profile can be trusted, and whether building from YAML
costs training speed.

Three measurements, printed as Markdown (and written under --out with the raw numbers):

1. Fidelity: the sum of every median (blocks forward and backward, loss, optimizer) against
   the whole step's median, timed apart with no hooks (floor: within 5% on a CPU, 10% on a
   GPU), at row and branch depth.
2. Repeatability: the same profile run several times; each block's forward and backward
   median across the runs (floor: within 3% for the blocks holding at least 2% of the step).
3. Speed: a training step of the network built from the table against one of a hand-written
   PyTorch GoogLeNet with the same aux heads (bench/handwritten_googlenet.py, given the same
   weights and checked to compute the same loss), each with its own SGD-with-momentum
   optimizer, timed in interleaved steps, alternating which runs first (floor: the built
   network at 0.98× the hand-written one's speed or better).

Usage: python bench/step_fidelity.py [--device cuda] [--batch-size 32] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_setup import arguments, environment, machine_line
from contention import QUIET, uncontended
from handwritten_googlenet import HandwrittenGoogLeNet, copy_weights

from gnet_inspect.measure.devices import resolve_device, resolve_dtype
from gnet_inspect.model import build_model
from gnet_inspect.render.step_view import step_markdown
from gnet_inspect.reports.profile.step import profile_training
from gnet_inspect.reports.profile.step_result import StepProfile
from gnet_inspect.spec.loader import load_spec

_DEPTHS = ("modules", "branches")
_REPEAT_FLOOR, _SPEED_FLOOR = 0.03, 0.98


def main() -> int:
    args = arguments(__doc__.split("\n")[0], 5, 30, 60)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    floor = 0.05 if device.type == "cpu" else 0.10
    model = build_model(load_spec(variant="paper"))
    options = {
        "batch_size": args.batch_size,
        "device": str(device),
        "dtype": args.dtype,
        "warmup": args.warmup,
        "repeats": args.repeats,
    }
    env = environment(device, args)
    results: dict[str, Any] = {"environment": env}
    log: list[str] = []

    def profile(depth: str, label: str) -> StepProfile:
        run = partial(profile_training, model, args.input_size, depth=depth, **options)
        return uncontended(label, run, log)

    profiles = {d: profile(d, f"step profile at {d} depth") for d in _DEPTHS}
    runs = [profiles["modules"]]
    runs += [profile("modules", f"repeat {i + 2} at modules depth") for i in range(args.runs - 1)]
    lines = [
        _heading(env, args),
        _fidelity(profiles, floor, results),
        _repeatability(runs, results),
        uncontended("speed", lambda: _speed(model, device, args, results), log),
        "#### The step profile (first run, modules depth)\n\n" + _demote(runs[0]),
        "#### The step profile (branches depth)\n\n" + _demote(profiles["branches"]),
        "#### Contention guard\n\nEach measurement waits for a quiet machine and is run again "
        f"if other processes took more than {QUIET:.0%} of the CPU meanwhile:\n\n"
        + "\n".join(f"- {line}" for line in log)
        + "\n",
    ]
    results["contention_log"] = log
    text = "\n".join(lines)
    print(text)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        threads = f"-t{torch.get_num_threads()}" if device.type == "cpu" else ""
        stem = f"step-fidelity-{device.type}{threads}-{args.dtype}-b{args.batch_size}"
        (args.out / f"{stem}.md").write_text(text, encoding="utf-8")
        (args.out / f"{stem}.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    ok = results["fidelity_ok"] and results["repeatability_ok"] and results["speed_ok"]
    return 0 if ok else 1


def _heading(env: dict[str, Any], args: argparse.Namespace) -> str:
    return (
        f"### Training-step profile fidelity: {env['device']} ({env['device_name']}), "
        f"{args.dtype}, batch {args.batch_size}, input {args.input_size}\n\n"
        + machine_line(env)
        + f"- Network: the `paper` variant (Table 1) with its aux heads, SGD with momentum; "
        f"{args.warmup} warm-up and {args.repeats} timed steps of each kind per profile.\n"
    )


def _fidelity(profiles: dict[str, StepProfile], floor: float, results: dict[str, Any]) -> str:
    rows, ok = [], True
    for depth, p in profiles.items():
        within = abs(p.gap_share) <= floor
        ok &= within
        rows.append(
            f"| {depth} | {len(p.blocks)} | {p.end_to_end.median_ms:.2f} | {p.forward_ms:.2f} | "
            f"{p.backward_ms:.2f} | {p.parts_ms:.2f} | {p.sum_ms:.2f} | "
            f"{p.stamped_steps.median_ms:.2f} | {p.gap_ms:+.2f} | {100 * p.gap_share:+.2f}% | "
            f"{'yes' if within else 'NO'} |"
        )
        results[f"fidelity_{depth}"] = p.summary()
    results["fidelity_ok"] = ok
    return (
        f"#### 1. Sum of the medians against the whole step's median (floor ±{floor:.0%})\n\n"
        "| depth | blocks | whole step ms | forward ms | backward ms | loss and optimizer ms | "
        "sum ms | stamped step ms | gap ms | gap | within |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n" + "\n".join(rows) + "\n"
    )


def _repeatability(runs: list[StepProfile], results: dict[str, Any]) -> str:
    medians: dict[str, list[float]] = {}
    share: dict[str, float] = {}
    for i, block in enumerate(runs[0].blocks):
        sides = [("forward", lambda r, i=i: r.blocks[i].forward.median_ms)]
        if block.backward is not None:
            sides.append(("backward", lambda r, i=i: r.blocks[i].backward.median_ms))
        for side, read in sides:
            key = f"{block.id} {side}"
            medians[key] = [read(r) for r in runs]
            share[key] = medians[key][0] / runs[0].sum_ms
    for part in runs[0].parts:
        medians[part.name] = [r.part(part.name).latency.median_ms for r in runs]
        share[part.name] = medians[part.name][0] / runs[0].sum_ms
    spread = {k: (max(m) - min(m)) / statistics.mean(m) for k, m in medians.items()}
    # The same, each median as a share of its run's whole step: what the machine's drift
    # between runs (every block slower alike) does not move.
    wholes = [r.end_to_end.median_ms for r in runs]
    shares = {k: [v / w for v, w in zip(m, wholes, strict=True)] for k, m in medians.items()}
    share_spread = {k: (max(m) - min(m)) / statistics.mean(m) for k, m in shares.items()}
    big = {k: s for k, s in spread.items() if share[k] >= 0.02}
    whole = [r.end_to_end.median_ms for r in runs]
    whole_spread = (max(whole) - min(whole)) / statistics.mean(whole)
    worst_big = max(big, key=lambda k: big[k])
    worst_share = max(big, key=lambda k: share_spread[k])
    ok = big[worst_big] <= _REPEAT_FLOOR
    results["repeatability"] = {
        "runs": len(runs),
        "medians_ms": medians,
        "spread": spread,
        "whole_step_medians_ms": whole,
        "largest_spread_of_blocks_over_2_percent": big[worst_big],
        "share_spread": share_spread,
    }
    results["repeatability_ok"] = ok
    table = "\n".join(
        f"| {k} | {100 * share[k]:.1f}% | "
        + " | ".join(f"{m:.3f}" for m in medians[k])
        + f" | {100 * spread[k]:.1f}% | {100 * share_spread[k]:.1f}% |"
        for k in medians
    )
    heads = " | ".join(f"run {i + 1} ms" for i in range(len(runs)))
    return (
        f"#### 2. Repeatability: the same step profile {len(runs)} times "
        f"(floor {_REPEAT_FLOOR:.0%} for the parts holding 2% of the step or more)\n\n"
        f"- Spread of a median across runs, (max − min) / mean: median over every forward, "
        f"backward and part {100 * statistics.median(spread.values()):.1f}%; largest over the "
        f"{len(big)} holding at least 2% of the step {100 * big[worst_big]:.1f}% ({worst_big}): "
        f"{'within' if ok else 'NOT within'} the floor.\n"
        f"- As shares of their run's whole step (what a drift of the whole machine between "
        f"runs does not move): largest spread over the same parts "
        f"{100 * share_spread[worst_share]:.1f}% ({worst_share}).\n"
        f"- Whole-step medians: {', '.join(f'{w:.2f}' for w in whole)} ms "
        f"(spread {100 * whole_spread:.1f}%).\n\n"
        f"| part | share of the step | {heads} | spread | spread of shares |\n"
        f"|---|---:|{'---:|' * len(runs)}---:|---:|\n{table}\n"
    )


def _speed(
    model: nn.Module, device: torch.device, args: argparse.Namespace, results: dict[str, Any]
) -> str:
    dtype = resolve_dtype(args.dtype)
    built = build_model(model.spec).to(device, dtype)  # type: ignore[arg-type]
    built.load_state_dict(model.state_dict())
    hand = HandwrittenGoogLeNet(aux_logits=True)
    copy_weights(built, hand)
    hand = hand.to(device, dtype)
    shape = (args.batch_size, 3, args.input_size, args.input_size)
    x = torch.randn(shape, generator=torch.Generator().manual_seed(0)).to(device, dtype)
    target = torch.randint(0, 1000, (args.batch_size,), generator=torch.Generator().manual_seed(1))
    target = target.to(device)
    torch.manual_seed(0)
    built_loss = built.training_loss(built(x), target).item()
    torch.manual_seed(0)
    hand_loss = _hand_loss(hand(x), target).item()
    steps = {
        "built": _stepper(built, lambda: built.training_loss(built(x), target), device),
        "hand": _stepper(hand, lambda: _hand_loss(hand(x), target), device),
    }
    for _ in range(args.warmup):
        steps["built"]()
        steps["hand"]()
    pairs = []
    for i in range(args.speed_pairs):
        if i % 2 == 0:
            b, h = steps["built"](), steps["hand"]()
        else:
            h, b = steps["hand"](), steps["built"]()
        pairs.append((b, h))
    built_ms = statistics.median(b for b, _ in pairs)
    hand_ms = statistics.median(h for _, h in pairs)
    speed = hand_ms / built_ms
    ratios = sorted(h / b for b, h in pairs)
    deciles = statistics.quantiles(ratios, n=10, method="inclusive")
    results["speed"] = {
        "built_loss": built_loss,
        "handwritten_loss": hand_loss,
        "pairs": len(pairs),
        "built_median_ms": built_ms,
        "handwritten_median_ms": hand_ms,
        "speed_ratio_of_medians": speed,
        "pair_speed_ratio_median": statistics.median(ratios),
        "pair_speed_ratio_p10": deciles[0],
        "pair_speed_ratio_p90": deciles[-1],
    }
    results["speed_ok"] = speed >= _SPEED_FLOOR
    return (
        f"#### 3. A training step built from the table against the hand-written GoogLeNet "
        f"(floor {_SPEED_FLOOR}× its speed)\n\n"
        f"- Same weights and aux heads; first losses (same dropout seed): built {built_loss:.6g}, "
        f"hand-written {hand_loss:.6g}{' (the same)' if built_loss == hand_loss else ''}.\n"
        f"- {len(pairs)} interleaved pairs of training steps (forward with aux heads, loss, "
        f"backward, SGD-with-momentum step, zero_grad; order alternating) after {args.warmup} "
        f"warm-up pairs: built {built_ms:.2f} ms median, hand-written {hand_ms:.2f} ms median; "
        f"the built network runs at {speed:.3f}× the hand-written one's speed "
        f"({'within' if results['speed_ok'] else 'NOT within'} the floor); per pair: median "
        f"{statistics.median(ratios):.3f}×, p10 {deciles[0]:.3f}×, p90 {deciles[-1]:.3f}×.\n"
    )


def _hand_loss(output: Any, target: Tensor) -> Tensor:
    """The paper's loss on the hand-written network's three outputs, summed in the built
    network's order."""
    logits, aux1, aux2 = output
    loss = nn.functional.cross_entropy(logits, target)
    loss = loss + 0.3 * nn.functional.cross_entropy(aux1, target)
    return loss + 0.3 * nn.functional.cross_entropy(aux2, target)


def _stepper(
    model: nn.Module, loss: Callable[[], Tensor], device: torch.device
) -> Callable[[], float]:
    """One training step of ``model`` timed in ms (CUDA events on a GPU, the host clock on a
    CPU), with its own SGD-with-momentum optimizer; each step starts, untimed, from the same
    weights, as the profile's do (else the network learns its one batch and its gradients
    become zeros)."""
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    model.train()
    params = list(model.parameters())
    with torch.no_grad():
        start_weights = [p.detach().clone() for p in params]

    def step() -> None:
        loss().backward()  # type: ignore[no-untyped-call]
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    def reset() -> None:
        with torch.no_grad():
            torch._foreach_copy_(params, start_weights)

    if device.type == "cuda":
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)

        def cuda() -> float:
            reset()
            start.record()
            step()
            end.record()
            end.synchronize()
            return float(start.elapsed_time(end))

        return cuda

    def cpu() -> float:
        reset()
        begin = time.perf_counter_ns()
        step()
        return (time.perf_counter_ns() - begin) / 1e6

    return cpu


def _demote(profile: StepProfile) -> str:
    """The profile's Markdown with its heading as a bold line."""
    heading, rest = step_markdown(profile).removeprefix("### ").split("\n", 1)
    return f"**{heading}**\n{rest}"


if __name__ == "__main__":
    raise SystemExit(main())

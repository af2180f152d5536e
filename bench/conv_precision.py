"""Where the DCGAN training step's time goes: each convolution of the 64x64 DCGAN, fp32 against
bf16 autocast, forward and backward, channels_last, batch 64, in one process.

    python -m bench.conv_precision --repeats 10

Explains `bench/train_speed.py`'s ratio on a CPU: the step is almost all convolutions, and bf16
speeds their backward passes up less than their forward passes. Prints one JSON line per layer
and, last, the totals with the convolutions' share of a profiled training step (train.py's own
DCGAN objective, bf16).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch

from gan_demo.models.nets import ArchConfig, Discriminator, Generator
from gan_demo.runtime import autocast, resolve_device
from gan_demo.training.config import Hyper
from gan_demo.training.objectives import make_objective


def median_ms(fn, repeats: int, device: torch.device) -> float:
    fn()  # warm-up: allocator, kernel selection
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def layer_inputs(net: torch.nn.Module, x: torch.Tensor) -> list[tuple[torch.nn.Module, torch.Tensor]]:
    """Every convolution of `net` with the input it sees on `x`."""
    seen = []
    hooks = [
        m.register_forward_pre_hook(lambda m, args: seen.append((m, args[0].detach())))
        for m in net.modules()
        if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))
    ]
    with torch.no_grad():
        net(x)
    for h in hooks:
        h.remove()
    return seen


def time_layer(conv, x, precision: str, device: torch.device, repeats: int) -> dict:
    """Forward alone, and forward plus backward (input and weight gradients), in milliseconds."""
    x = x.float().contiguous(memory_format=torch.channels_last).requires_grad_(True)

    def forward():
        with autocast(device, precision):
            return conv(x)

    grad = torch.ones_like(forward())

    def both():
        torch.autograd.grad(forward(), (x, conv.weight), grad)

    fwd = median_ms(forward, repeats, device)
    return {"forward_ms": round(fwd, 2), "backward_ms": round(median_ms(both, repeats, device) - fwd, 2)}


def convolution_share(arch: ArchConfig, device: torch.device, batch: int, steps: int = 5) -> float:
    """Share of a DCGAN training step's operator time spent in convolutions (torch.profiler)."""
    objective = make_objective("dcgan", arch, Hyper(), device, precision="bf16")  # train.py's defaults
    x = (torch.rand(batch, 3, arch.size, arch.size, device=device) * 2 - 1).contiguous(
        memory_format=torch.channels_last
    )
    gen = torch.Generator(device).manual_seed(0)
    for _ in range(3):  # warm-up
        objective.step(x, None, gen)
    with torch.profiler.profile() as prof:
        for _ in range(steps):
            objective.step(x, None, gen)
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events)
    return sum(e.self_cpu_time_total for e in events if "convolution" in e.key) / total


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--device", default="auto")
    args = p.parse_args()
    device = resolve_device(args.device)
    torch.manual_seed(0)
    arch = ArchConfig(channels=3, size=64, width=64, z_dim=100)
    G = Generator(arch).to(device, memory_format=torch.channels_last)
    D = Discriminator(arch).to(device, memory_format=torch.channels_last)
    z = torch.randn(args.batch_size, arch.z_dim, device=device)
    x = torch.rand(args.batch_size, 3, 64, 64, device=device) * 2 - 1
    layers = [("G", m, i) for m, i in layer_inputs(G, z)] + [("D", m, i) for m, i in layer_inputs(D, x)]
    totals = {key: 0.0 for key in ("fp32_forward", "fp32_backward", "bf16_forward", "bf16_backward")}
    for net, conv, inp in layers:
        row = {"net": net, "layer": f"{type(conv).__name__} {conv.in_channels}->{conv.out_channels} at {inp.shape[-1]}"}
        for precision in ("fp32", "bf16"):
            timing = time_layer(conv, inp, precision, device, args.repeats)
            row[precision] = timing
            totals[f"{precision}_forward"] += timing["forward_ms"]
            totals[f"{precision}_backward"] += timing["backward_ms"]
        print(json.dumps(row))
    print(
        json.dumps(
            {
                "device": str(device),
                "threads": torch.get_num_threads(),
                **{k: round(v, 1) for k, v in totals.items()},
                "bf16_speedup_forward": round(totals["fp32_forward"] / totals["bf16_forward"], 2),
                "bf16_speedup_backward": round(totals["fp32_backward"] / totals["bf16_backward"], 2),
                "bf16_step_convolution_share": round(convolution_share(arch, device, args.batch_size), 3),
            }
        )
    )


if __name__ == "__main__":
    main()

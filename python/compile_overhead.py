#!/usr/bin/env python3
"""Where a gnnrt.compile module's call spends its time beyond `gnnrt bench`, layer by layer.

On a Cora-size graph (the real Cora from --cora-npz, else 2,708 random nodes and 10,556 edges)
and Cora's 2-layer GCN (1433 -> 16 -> 7), this script compiles the PyG model with
gnnrt.compile, then times, in one process and on one card:
  * `gnnrt bench` on the exported ONNX file and the same graph: compute_cached (node by node,
    structure cache compared each call: what compare_pyg.py's overhead is measured against),
    compute_bound and its CUDA-graph replay;
  * the compiled module called like the model, with cuda_graphs off and on;
  * the layers under it: EngineRunner.run (inputs already bound to names and classified),
    ExecutionContext.run_classified, the extension's run on prepared DLPack capsules, and the
    capsule hand-over alone.
Each figure is the median of --iterations calls after --warmup, timed with CUDA events on
torch's current stream (as compare_pyg.py's rows are); the host's wall clock is given beside it.

  python3 python/compile_overhead.py --gnnrt build/gnnrt [--cora-npz cora.npz] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch


def cora_graph(path: str | None, seed: int):
    if path:
        data = np.load(path)
        x = torch.from_numpy(data["x"].astype(np.float32))
        edge_index = torch.from_numpy(data["edge_index"].astype(np.int64))
        return x, edge_index
    generator = torch.Generator().manual_seed(seed)
    x = torch.rand(2708, 1433, generator=generator)
    edge_index = torch.randint(0, 2708, (2, 10556), generator=generator)
    return x, edge_index


class Gcn(torch.nn.Module):
    def __init__(self, sizes=(1433, 16, 7)):
        super().__init__()
        from torch_geometric.nn import GCNConv
        self.conv1 = GCNConv(sizes[0], sizes[1])
        self.conv2 = GCNConv(sizes[1], sizes[2])

    def forward(self, x, edge_index):
        return self.conv2(self.conv1(x, edge_index).relu(), edge_index)


def median_ms(fn, warmup: int, iterations: int) -> tuple[float, float]:
    """(median CUDA-event ms, median host wall-clock ms) of fn() on torch's current stream."""
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    events, walls = [], []
    for _ in range(iterations):
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        began = time.perf_counter()
        start.record()
        fn()
        stop.record()
        walls.append((time.perf_counter() - began) * 1e3)
        stop.synchronize()
        events.append(start.elapsed_time(stop))
    return statistics.median(events), statistics.median(walls)


def bench(gnnrt_cli: str, onnx_path: str, x, edge_index, folder: str) -> dict:
    graph = os.path.join(folder, "graph.npz")
    np.savez(graph, x=x.numpy(), edge_index=edge_index.numpy())
    out = os.path.join(folder, "bench.json")
    subprocess.run([gnnrt_cli, "bench", "--device", "cuda", "--onnx", onnx_path, "--graph", graph, "--cuda-graph",
                    "--iterations", "200", "--warmup", "20", "--json", out], check=True, capture_output=True)
    with open(out) as f:
        phases = json.load(f)["phases"]
    return {key: phases[key]["ms"]["median"] for key in ("compute_cached", "compute_bound", "compute_bound_graph")
            if key in phases}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gnnrt", required=True, help="the gnnrt command-line tool (for gnnrt bench)")
    parser.add_argument("--cora-npz", help="Cora as compare_pyg.py reads it (x, edge_index); default: random")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--iterations", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("compile_overhead.py times CUDA calls; no CUDA device here", file=sys.stderr)
        return 2
    from compare_pyg import import_gnnrt_package  # this script's folder: the installed package, not its sources
    gnnrt, why_not = import_gnnrt_package()
    if gnnrt is None:
        print(why_not, file=sys.stderr)
        return 2
    from gnnrt.arrays import as_dlpack, classify

    torch.manual_seed(args.seed)
    x_host, edge_index_host = cora_graph(args.cora_npz, args.seed)
    x, edge_index = x_host.cuda(), edge_index_host.cuda()
    model = Gcn((x.shape[1], 16, 7)).cuda().eval()
    rows: dict[str, dict] = {}
    with torch.no_grad(), tempfile.TemporaryDirectory() as folder:
        modules = {graphs: gnnrt.compile(model, (x, edge_index), max_nodes=x.shape[0], max_edges=edge_index.shape[1],
                                         cuda_graphs=graphs) for graphs in (False, True)}
        expected = model(x, edge_index)
        for graphs, module in modules.items():
            difference = float((module(x, edge_index) - expected).abs().max())
            assert difference < 1e-3, f"the compiled module differs from PyG by {difference}"
        bench_ms = bench(args.gnnrt, modules[False]._runner.onnx_path, x_host, edge_index_host, folder)

        module = modules[False]
        runner = module._runner
        inputs = {"x": x, "edge_index": edge_index}
        kind = classify(inputs)
        context = runner.context(kind.cuda_device)
        native = context._native
        capsules = lambda: as_dlpack(inputs)  # noqa: E731
        layers = {
            "module, cuda_graphs=True": lambda: modules[True](x, edge_index),
            "module, cuda_graphs=False": lambda: module(x, edge_index),
            "EngineRunner.run": lambda: runner.run(inputs, kind),
            "ExecutionContext.run_classified": lambda: context.run_classified(inputs, kind),
            "_gnnrt run on fresh capsules": lambda: native.run(capsules(), 1, 0),
            "capsules alone (as_dlpack)": capsules,
        }
        for name, fn in layers.items():
            event, wall = median_ms(fn, args.warmup, args.iterations)
            rows[name] = {"event_ms": event, "wall_ms": wall}

    card = torch.cuda.get_device_name()
    print(f"{card}; Cora-size GCN ({x.shape[0]} nodes, {edge_index.shape[1]} edges), medians of "
          f"{args.iterations} calls")
    for key, value in bench_ms.items():
        print(f"  gnnrt bench {key:<28} {value:8.4f} ms")
    cached = bench_ms["compute_cached"]
    for name, row in rows.items():
        print(f"  {name:<40} {row['event_ms']:8.4f} ms (wall {row['wall_ms']:.4f}), "
              f"{row['event_ms'] - cached:+.4f} over bench compute_cached")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"card": card, "bench": bench_ms, "python": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())

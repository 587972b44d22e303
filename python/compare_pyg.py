#!/usr/bin/env python3
"""Time gnnrt against every PyTorch path in one run, on identical graphs and weights.

For every workload this script
  * makes the PyG model once (GCN layer widths of issue 4; random weights from --seed,
    except Cora, whose 2-layer GCN is trained first so that accuracy means something;
    molecules: GCN 32->64->64, mean pool, Linear(64->1)),
  * exports it ONCE to ONNX on a small graph with dynamic axes (the dynamo exporter,
    torch.onnx.export(..., dynamo=True); the TorchScript exporter if that fails), so the
    export never needs the big graph,
  * makes the graph ONCE: the real Cora graph from --cora-npz (x uint8 -> float32), or
    `gnnrt bench --graph NAME --save-inputs graph.npz --iterations 0` (seeded Chung-Lu
    graphs with heavy-tailed in- and out-degrees at the public graphs' sizes, or molecule
    batches); the SAME file goes to gnnrt and to torch,
  * times gnnrt fp32 and fp16 through the exported file:
    `gnnrt bench --onnx model.onnx --graph graph.npz [--fp16] --json ... --save-outputs ...`.
    The figure compared is its GPU compute, warm (inputs on the device, graph bound,
    outputs left on the device), median; its cold call (structure part included) and
    end-to-end call (host inputs checked and copied, outputs copied back) stand beside it,
  * times, with the inputs already on the device (CUDA events, TF32 off): PyG eager,
    torch.compile of the PyG model (where eager fits in memory), and the hand-written
    torch path: the GCN normalisation precomputed into one CSR matrix (cuSPARSE SpMM),
    aggregating at the narrower width of each layer, in fp32 and in fp16,
  * times gnnrt from Python where the gnnrt package imports (scripts/setup.sh installs it):
    gnnrt.compile of the PyG model, called like the model on the device's tensors (zero-copy,
    structure cache); the row says how much it adds over gnnrt bench's warm structure-cache call,
  * records each method's device memory beyond its input tensors: torch,
    torch.cuda.max_memory_allocated() minus the inputs after reset_peak_memory_stats(),
    weights, any precomputation and intermediates included; gnnrt, its bench's peak
    (weights, structure cache and intermediates of a cold call),
  * checks gnnrt's output against PyG's (or the fp32 CSR path's where PyG runs out of
    memory), and fp16 against fp32: max abs/rel error, argmax agreement, and on Cora the
    test accuracy of each.

A path that runs out of memory is a row with error "out of memory" and the run goes on.
Writes --out (a JSON list of rows {workload, method, precision, median_ms, p90_ms,
cold_ms, peak_mem_mib, card, error, ...}), --docs (the generated section of
docs/PERFORMANCE.md: tables, issue 4's targets and whether each is met, the command) and
--plot (a PNG bar chart; matplotlib when present, else a small built-in PNG writer).

  python3 python/compare_pyg.py --gnnrt build/gnnrt          # the H100 run: docs/PERFORMANCE.md, bench/results/h100.json
  python3 python/compare_pyg.py --gnnrt build/gnnrt --device cpu --workloads tiny,molecules-4 \\
      --out /tmp/r.json --docs /tmp/PERF.md                  # CPU smoke test
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import datetime
import gc
import io
import json
import logging
import math
import os
import platform
import shlex
import struct
import subprocess
import sys
import tempfile
import time
import warnings
import zlib

import numpy as np

warnings.filterwarnings("ignore")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch_geometric.nn import GCNConv, global_mean_pool  # noqa: E402
from torch_geometric.nn.conv.gcn_conv import gcn_norm  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# name -> how the graph is made, the GCN's layer widths, and (warm-up, iterations, cold
# iterations): fewer calls at the big sizes keep the whole run within minutes.
WORKLOADS = {
    "tiny": dict(graph="chung-lu:nodes=200,edges=1000,width=16", dims=[16, 32, 8], plan=(2, 5, 2)),
    "cora": dict(graph=None, dims=[1433, 16, 7], plan=(20, 100, 10)),
    "arxiv-size": dict(graph="arxiv-size", dims=[128, 256, 256, 40], plan=(10, 50, 5)),
    "reddit-size": dict(graph="reddit-size", dims=[602, 256, 41], plan=(3, 10, 3)),
    "products-size": dict(graph="products-size", dims=[100, 256, 256, 47], plan=(3, 10, 3)),
}
ALIASES = {"arxiv": "arxiv-size", "reddit": "reddit-size", "products": "products-size"}
MOLECULE_DIMS = [32, 64, 64, 1]
MOLECULE_PLAN = (10, 50, 5)
DEFAULT_WORKLOADS = "cora,arxiv-size,reddit-size,products-size"

METHOD_TITLES = {
    ("pyg", "fp32"): "PyG eager",
    ("compile", "fp32"): "torch.compile (PyG)",
    ("torch-csr", "fp32"): "torch CSR fp32",
    ("torch-csr", "fp16"): "torch CSR fp16",
    ("gnnrt", "fp32"): "gnnrt fp32",
    ("gnnrt", "fp16"): "gnnrt fp16",
    ("gnnrt", "int8"): "gnnrt int8",
    ("gnnrt-compile", "fp32"): "gnnrt.compile (Python)",
    ("pyg-cpu", "fp32"): "PyG eager (CPU)",
    ("gnnrt-cpu", "fp32"): "gnnrt (CPU)",
}
TORCH_METHODS = ("pyg", "compile", "torch-csr")
# fp32 outputs of different summation orders: GCN outputs are O(1), sums over up to ~1e5 terms.
CHECK_ATOL, CHECK_RTOL = 1e-3, 1e-3
OOM = "out of memory"

# Issue 4's targets: workload -> (fp32 target, fp16 target); ("ms", x) is an absolute bound,
# ("x", r) a speed-up over the fastest fp32 torch path (fp32) or over the fastest torch path of
# any precision (fp16).
TARGETS = {
    "cora": (("ms", 0.03), ("ms", 0.03)),
    "arxiv-size": (("x", 2.0), ("x", 3.0)),
    "reddit-size": (("x", 1.4), ("x", 2.5)),
    "products-size": (("x", 1.5), ("x", 2.5)),
}
CPU_TARGET_SPEEDUP = 10.0  # gnnrt's CPU backend vs PyG eager on the CPU, arxiv-size
COMPILE_OVERHEAD_MS = 0.05  # issue 7: gnnrt.compile's module over gnnrt bench's warm cached call, cora
FP16_ACCURACY_POINTS = 0.5  # fp16 Cora test accuracy within this many points of fp32


def log(*parts):
    print(*parts, flush=True)


# --------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------
class NodeGCN(torch.nn.Module):
    """A stack of GCNConv layers with ReLU (and dropout, for training) between them."""

    def __init__(self, dims):
        super().__init__()
        self.convs = torch.nn.ModuleList(GCNConv(a, b) for a, b in zip(dims[:-1], dims[1:]))

    def forward(self, x, edge_index):
        for i, conv in enumerate(self.convs):
            x = conv(x, edge_index)
            if i < len(self.convs) - 1:
                x = F.dropout(x.relu(), p=0.5, training=self.training)
        return x


class MoleculeGCN(torch.nn.Module):
    """Graph regression for molecule batches: 2 GCN layers, mean pool, Linear."""

    def __init__(self, dims):
        super().__init__()
        self.convs = torch.nn.ModuleList([GCNConv(dims[0], dims[1]), GCNConv(dims[1], dims[2])])
        self.lin = torch.nn.Linear(dims[2], dims[3])

    def forward(self, x, edge_index, batch):
        for conv in self.convs:
            x = conv(x, edge_index).relu()
        return self.lin(global_mean_pool(x, batch))  # as users write it: no size=


def make_model(workload, seed):
    torch.manual_seed(seed)
    model = MoleculeGCN(workload["dims"]) if workload["kind"] == "graph" else NodeGCN(workload["dims"])
    # PyG initialises biases to zero; random ones make the bias path count in every check.
    with torch.no_grad():
        for conv in model.convs:
            conv.bias.normal_(0.0, 0.1)
    return model.eval()


def train_cora(model, cora, device, seed, epochs=200):
    """PyG's examples/gcn.py recipe: Adam lr 0.01, weight decay 5e-4, dropout 0.5, raw features."""
    torch.manual_seed(seed)
    model = model.to(device).train()
    x = torch.from_numpy(cora["x"]).to(device)
    edge_index = torch.from_numpy(cora["edge_index"]).to(device)
    y = torch.from_numpy(cora["y"]).to(device)
    mask = torch.from_numpy(cora["train_mask"]).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x, edge_index)[mask], y[mask])
        loss.backward()
        optimizer.step()
    return model.eval().cpu()


# --------------------------------------------------------------------------
# The hand-written torch path: normalisation precomputed into one CSR matrix
# --------------------------------------------------------------------------
def normalized_adjacency(edge_index, num_nodes, dtype):
    """D^-1/2 (A + I) D^-1/2 as GCNConv computes it, as a CSR matrix [target, source]."""
    ei, weight = gcn_norm(edge_index, None, num_nodes, add_self_loops=True, dtype=torch.float32)
    source, target = ei[0], ei[1]
    order = torch.argsort(target)
    counts = torch.bincount(target, minlength=num_nodes)
    crow = torch.zeros(num_nodes + 1, dtype=torch.int64, device=edge_index.device)
    crow[1:] = torch.cumsum(counts, 0)
    # Repeated edges stay as separate entries: SpMM sums them, as message passing does.
    return torch.sparse_csr_tensor(crow, source[order], weight[order].to(dtype), (num_nodes, num_nodes))


def mean_pool_matrix(batch, num_graphs, dtype):
    """The [G, N] matrix with 1/|graph| per member node: mean pooling as one SpMM."""
    n = batch.numel()
    sizes = torch.bincount(batch, minlength=num_graphs)
    crow = torch.zeros(num_graphs + 1, dtype=torch.int64, device=batch.device)
    crow[1:] = torch.cumsum(sizes, 0)
    columns = torch.arange(n, device=batch.device)  # batch is sorted: nodes are already in row order
    values = (1.0 / sizes.clamp(min=1).to(torch.float32))[batch]
    return torch.sparse_csr_tensor(crow, columns, values.to(dtype), (num_graphs, n))


class CsrGCN:
    """A GCN forward over a precomputed normalised adjacency, at the narrower width per layer."""

    def __init__(self, model, features, adjacency, dtype, pool=None):
        self.features = features.to(dtype)
        self.adjacency, self.pool = adjacency, pool
        self.layers = [(conv.lin.weight.detach().t().contiguous().to(dtype), conv.bias.detach().to(dtype))
                       for conv in model.convs]
        self.lin = copy.deepcopy(model.lin).to(dtype) if isinstance(model, MoleculeGCN) else None
        self.relu_last = isinstance(model, MoleculeGCN)

    def __call__(self):
        h = self.features
        for i, (weight, bias) in enumerate(self.layers):
            if weight.shape[0] > weight.shape[1]:   # narrowing: transform first, aggregate narrow
                h = self.adjacency @ (h @ weight)
            else:                                   # widening: aggregate first, at the input width
                h = (self.adjacency @ h) @ weight
            h = h + bias
            if i < len(self.layers) - 1 or self.relu_last:
                h = h.relu()
        if self.pool is not None:
            h = self.lin(self.pool @ h)
        return h


# --------------------------------------------------------------------------
# Timing and memory
# --------------------------------------------------------------------------
def summarize(samples):
    """min / median / p90 / p95 / p99 (nearest rank), as gnnrt bench computes them."""
    s = sorted(samples)
    n = len(s)

    def rank(p):
        return s[min(max(int(math.ceil(p / 100.0 * n)), 1), n) - 1]

    median = s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])
    return dict(min_ms=s[0], median_ms=median, p90_ms=rank(90), p95_ms=rank(95), p99_ms=rank(99), max_ms=s[-1],
                mean_ms=sum(s) / n)


class Timer:
    def __init__(self, device):
        self.cuda = device == "cuda"

    def __call__(self, fn):
        """Milliseconds of one call: CUDA events around it on the GPU, perf_counter on the CPU."""
        if self.cuda:
            start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            stop.record()
            stop.synchronize()
            return start.elapsed_time(stop)
        t0 = time.perf_counter()
        fn()
        return (time.perf_counter() - t0) * 1e3


def time_calls(fn, timer, warmup, iterations):
    with torch.no_grad():
        for _ in range(warmup):
            fn()
        if timer.cuda:
            torch.cuda.synchronize()
        return summarize([timer(fn) for _ in range(iterations)])


def is_oom(error):
    if isinstance(error, (getattr(torch, "OutOfMemoryError", MemoryError), MemoryError)):
        return True
    text = str(error).lower()
    return "out of memory" in text or "can't allocate memory" in text or "cannot allocate memory" in text


def describe_error(error):
    if is_oom(error):
        return OOM
    first = (str(error).strip().splitlines() or [""])[0]
    return f"{type(error).__name__}: {first[:300]}"


def free_memory(device):
    gc.collect()
    if device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.empty_cache()


class MemoryMeter:
    """Peak device memory above what was allocated at start() (the input tensors), in MiB."""

    def __init__(self, device):
        self.cuda = device == "cuda"
        self.base = 0

    def start(self):
        if self.cuda:
            free_memory("cuda")
            self.base = torch.cuda.memory_allocated()
            torch.cuda.reset_peak_memory_stats()

    def restart_peak(self):
        """Forget one-off peaks (building a CSR matrix) but keep what is still allocated."""
        if self.cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()

    def peak_mib(self):
        if not self.cuda:
            return None
        return round((torch.cuda.max_memory_allocated() - self.base) / 2**20, 1)


def mib(nbytes):
    return None if nbytes is None else round(nbytes / 2**20, 1)


# --------------------------------------------------------------------------
# gnnrt
# --------------------------------------------------------------------------
def run_gnnrt(args, arguments, timeout=None):
    """Runs gnnrt; returns (stdout, None) or (None, error) with error "out of memory" for OOM."""
    command = [args.gnnrt] + [str(a) for a in arguments]
    if args.verbose:
        log("  $", shlex.join(command))
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout or args.timeout)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout or args.timeout} s"
    if done.returncode != 0:
        lines = [line for line in (done.stderr + done.stdout).splitlines() if line.strip()]
        message = lines[-1] if lines else f"exit code {done.returncode}"
        lowered = message.lower()
        if "out of" in lowered and "memory" in lowered:
            return None, OOM
        return None, message.replace("gnnrt: error: ", "")
    return done.stdout, None


def bench_gnnrt(args, folder, model_path, graph_path, device, precision, plan):
    """`gnnrt bench` on the saved graph; returns (row fields, outputs or None)."""
    tag = f"{device}-{precision}"
    json_path, outputs_path = os.path.join(folder, f"gnnrt-{tag}.json"), os.path.join(folder, f"gnnrt-{tag}-out.npz")
    warmup, iterations, cold = plan
    model = ["--onnx", model_path]
    if precision == "int8":
        # As trtexec --int8 with a calibrator: `gnnrt build --int8` calibrates (here on the benchmark
        # graph itself, entropy calibrator) and saves the engine that bench then times.
        engine_path = os.path.join(folder, f"gnnrt-{tag}.engine")
        _, error = run_gnnrt(args, ["build", "--device", device, "--onnx", model_path, "--save", engine_path, "--int8",
                                    "--calib-data", graph_path, "--calib-cache", os.path.join(folder, "int8.cache"),
                                    *args.int8_flags.split()])
        if error:
            return dict(error=error), None
        model = ["--engine", engine_path]
    arguments = ["bench", "--device", device, *model, "--graph", graph_path, "--warmup", warmup,
                 "--iterations", iterations, "--cold-iterations", cold, "--json", json_path,
                 "--save-outputs", outputs_path]
    if precision in ("fp16", "bf16"):
        arguments.append("--" + precision)
    if device == "cuda":
        arguments.append("--cuda-graph")  # as trtexec --useCudaGraph; the node-by-node time is kept too
    if args.profile:
        arguments.append("--dump-profile")
    stdout, error = run_gnnrt(args, arguments)
    if error:
        return dict(error=error), None
    if args.profile:
        profile_start = stdout.find("profile:")
        if profile_start >= 0:
            with open(os.path.join(folder, f"gnnrt-{tag}-profile.txt"), "w") as f:
                f.write(stdout[profile_start:])
    with open(json_path) as f:
        result = json.load(f)
    phases = result["phases"]
    eager, cold_phase, end_to_end = phases["compute_bound"]["ms"], phases["cold"]["ms"], phases["end_to_end"]["ms"]
    # The bound call as one CUDA graph launch where it was replayed, else node by node.
    graph = phases.get("compute_bound_graph", {}).get("ms")
    bound = graph or eager
    memory = result.get("memory") or {}
    fields = dict(median_ms=bound["median"], eager_ms=eager["median"], graph_ms=graph["median"] if graph else None,
                  cuda_graph=(result.get("cuda_graph") or {}).get("note") if not graph else "replayed", p90_ms=bound["p90"], min_ms=bound["min"], p99_ms=bound["p99"],
                  cold_ms=cold_phase["median"], end_to_end_ms=end_to_end["median"],
                  new_graph_ms=phases.get("end_to_end_new_graph", {}).get("ms", {}).get("median"),
                  cached_ms=phases["compute_cached"]["ms"]["median"],
                  h2d_ms=phases["h2d"]["ms"]["median"] if "h2d" in phases else None,
                  d2h_ms=phases["d2h"]["ms"]["median"] if "d2h" in phases else None,
                  peak_mem_mib=memory.get("peak_mib"), peak_mem_warm_mib=memory.get("warm_peak_mib"),
                  gnnrt_device_name=result["device_name"], structure_nodes=result["structure"]["nodes"],
                  engine_nodes=result["engine_nodes"], iterations=bound["count"], warmup=warmup)
    profile = result.get("profile") or {}
    if profile.get("warm"):
        slowest = sorted(profile["warm"], key=lambda node: -node["ms"])[:5]
        fields["profile_top"] = [dict(node=n["node"], op=n["op"], device=n["device"], ms=n["ms"],
                                      percent=round(n["percent"], 1)) for n in slowest]
    outputs = None
    with contextlib.suppress(Exception):
        with np.load(outputs_path) as npz:
            outputs = npz[npz.files[0]].astype(np.float32)
    return fields, outputs


def import_gnnrt_package():
    """The gnnrt Python package, or None with the reason (the gnnrt.compile row is then not run).
    The installed one: this script's folder, first on sys.path, holds the package's unbuilt sources."""
    here = os.path.dirname(os.path.abspath(__file__))
    saved = sys.path[:]
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    try:
        import gnnrt
        return gnnrt, None
    except ImportError as e:
        return None, f"not run: the gnnrt Python package does not import ({e}); scripts/setup.sh installs it"
    finally:
        sys.path[:] = saved


# --------------------------------------------------------------------------
# Export and graphs
# --------------------------------------------------------------------------
def small_export_graph(workload, seed):
    """A small random graph of the model's width: enough for the exporter to trace.

    For molecule models it is a batch of as many graphs as the workload (pairs of bonded
    nodes): exporters freeze batch.max() + 1 into the file, so the count must be the
    workload's; node and edge counts stay symbolic."""
    generator = torch.Generator().manual_seed(seed)
    if workload["kind"] == "graph":
        graphs = workload["graphs"]
        x = torch.randn(2 * graphs, workload["dims"][0], generator=generator)
        first = torch.arange(0, 2 * graphs, 2)
        edge_index = torch.stack([torch.cat([first, first + 1]), torch.cat([first + 1, first])])
        return (x, edge_index, torch.arange(graphs).repeat_interleave(2))
    x = torch.randn(100, workload["dims"][0], generator=generator)
    edge_index = torch.randint(0, 100, (2, 400), generator=generator)
    return (x, edge_index)


def export_onnx(model, workload, path, example):
    """The dynamo exporter with dynamic node and edge counts; TorchScript's if that fails.
    Returns the exporter used."""
    names = ["x", "edge_index"] + (["batch"] if workload["kind"] == "graph" else [])
    quiet = io.StringIO()
    dynamo_error = None
    try:
        Dim = torch.export.Dim
        nodes, edges = Dim("num_nodes", min=2), Dim("num_edges", min=2)
        shapes = {"x": {0: nodes}, "edge_index": {1: edges}, "batch": {0: nodes}}
        with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
            torch.onnx.export(model, example, path, dynamo=True, opset_version=18, input_names=names,
                              output_names=["out"], dynamic_shapes={n: shapes[n] for n in names})
        return "dynamo"
    except Exception as e:  # noqa: BLE001: any exporter failure falls back to TorchScript
        dynamo_error = describe_error(e)
        for leftover in (path, path + ".data"):
            if os.path.exists(leftover):
                os.remove(leftover)
    axes = {"x": {0: "num_nodes"}, "edge_index": {1: "num_edges"}, "batch": {0: "num_nodes"}}
    dynamic_axes = {name: axes[name] for name in names}
    if workload["kind"] == "node":
        dynamic_axes["out"] = {0: "num_nodes"}
    with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
        torch.onnx.export(model, example, path, dynamo=False, opset_version=17, input_names=names,
                          output_names=["out"], dynamic_axes=dynamic_axes)
    return f"torchscript (dynamo failed: {dynamo_error})"


def load_cora(path):
    with np.load(path) as npz:
        return dict(x=npz["x"].astype(np.float32), edge_index=npz["edge_index"].astype(np.int64),
                    y=npz["y"].astype(np.int64), train_mask=npz["train_mask"].astype(bool),
                    test_mask=npz["test_mask"].astype(bool))


def degree_stats(edge_index, num_nodes):
    if edge_index.shape[1] == 0 or num_nodes == 0:
        return dict(max_in_degree=0, max_out_degree=0, mean_degree=0.0)
    return dict(max_in_degree=int(np.bincount(edge_index[1], minlength=num_nodes).max()),
                max_out_degree=int(np.bincount(edge_index[0], minlength=num_nodes).max()),
                mean_degree=round(edge_index.shape[1] / num_nodes, 3))


def make_graph(args, workload, folder, cora):
    """Writes graph.npz once; returns (path, info) or (None, error)."""
    path = os.path.join(folder, "graph.npz")
    started = time.perf_counter()
    if workload["name"] == "cora":
        np.savez(path, x=cora["x"], edge_index=cora["edge_index"])
        info = dict(num_nodes=int(cora["x"].shape[0]), num_edges=int(cora["edge_index"].shape[1]), num_graphs=1,
                    graph_source=f"the real Cora graph ({os.path.basename(args.cora_npz)})")
        info.update(degree_stats(cora["edge_index"], info["num_nodes"]))
    else:
        json_path = os.path.join(folder, "graph.json")
        _, error = run_gnnrt(args, ["bench", "--graph", workload["graph"], "--seed", args.seed, "--save-inputs", path,
                                    "--iterations", "0", "--json", json_path])
        if error:
            return None, f"graph generation failed: {error}"
        with open(json_path) as f:
            described = json.load(f)["workload"]
        info = dict(num_nodes=described["num_nodes"], num_edges=described["num_edges"],
                    num_graphs=described["num_graphs"], graph_source=described["description"],
                    max_in_degree=described["in_degree"]["max"], max_out_degree=described["out_degree"]["max"],
                    mean_degree=round(described["in_degree"]["mean"], 3), generation_s=described["generation_s"])
    info["graph_s"] = round(time.perf_counter() - started, 2)
    return path, info


# --------------------------------------------------------------------------
# Accuracy
# --------------------------------------------------------------------------
def compare_outputs(actual, reference):
    """max abs error, max rel error (against |reference| floored at 1e-3 of its largest value),
    argmax agreement (rows with the same largest class), allclose at CHECK_ATOL / CHECK_RTOL."""
    if actual is None or reference is None or actual.shape != reference.shape:
        return dict(error="shapes differ" if actual is not None and reference is not None else "no output")
    if actual.size == 0:
        return dict(max_abs_err=0.0, max_rel_err=0.0, argmax_agreement=None, allclose=True)
    difference = np.abs(actual.astype(np.float64) - reference.astype(np.float64))
    floor = max(float(np.abs(reference).max()) * 1e-3, 1e-12)
    result = dict(max_abs_err=float(difference.max()),
                  max_rel_err=float((difference / np.maximum(np.abs(reference), floor)).max()),
                  allclose=bool(np.all(difference <= CHECK_ATOL + CHECK_RTOL * np.abs(reference))))
    if actual.ndim == 2 and actual.shape[1] > 1:
        result["argmax_agreement"] = float((actual.argmax(1) == reference.argmax(1)).mean())
    return result


def test_accuracy(outputs, cora):
    if outputs is None or cora is None:
        return None
    mask = cora["test_mask"]
    return round(100.0 * float((outputs.argmax(1)[mask] == cora["y"][mask]).mean()), 2)


# --------------------------------------------------------------------------
# One workload
# --------------------------------------------------------------------------
def parse_workloads(text):
    workloads = []
    for name in [w.strip() for w in text.split(",") if w.strip()]:
        name = ALIASES.get(name, name)
        if name in WORKLOADS:
            workloads.append(dict(WORKLOADS[name], name=name, kind="node"))
        elif name.startswith("molecules-") and name[10:].isdigit() and int(name[10:]) >= 1:
            workloads.append(dict(name=name, kind="graph", graph=name, graphs=int(name[10:]), dims=MOLECULE_DIMS,
                                  plan=MOLECULE_PLAN))
        else:
            known = ", ".join(list(WORKLOADS) + list(ALIASES) + ["molecules-N"])
            sys.exit(f"compare_pyg.py: unknown workload '{name}'; known: {known}")
    return workloads


def plan_for(args, workload):
    warmup, iterations, cold = workload["plan"]
    return (args.warmup if args.warmup is not None else warmup,
            args.iterations if args.iterations is not None else iterations,
            args.cold_iterations if args.cold_iterations is not None else cold)


def bench_workload(args, workload, card, workdir, cora):
    name = workload["name"]
    folder = os.path.join(workdir, name)
    os.makedirs(folder, exist_ok=True)
    model_path = os.path.join(folder, "model.onnx")
    plan = plan_for(args, workload)
    rows, outputs = [], {}
    info = {}

    def row(method, precision, **fields):
        entry = dict(workload=name, method=method, precision=precision, median_ms=None, p90_ms=None, cold_ms=None,
                     peak_mem_mib=None, card=card, error=None)
        entry.update(info)
        entry.update(fields)
        rows.append(entry)
        shown = f"{entry['median_ms']:.4f} ms" if entry["median_ms"] is not None else entry["error"]
        extra = f", +{entry['peak_mem_mib']:,.0f} MiB" if entry.get("peak_mem_mib") is not None else ""
        log(f"  {METHOD_TITLES[(method, precision)]:<22} {shown}{extra}")
        return entry

    log(f"{name}:")
    if name == "cora" and cora is None:
        for method, precision in selected_methods(args):
            row(method, precision, error=f"no Cora file at {args.cora_npz} (--cora-npz)")
        return rows

    # 1. The model (trained on Cora), exported once on a small graph; the graph, made once.
    model = make_model(workload, args.seed)
    if name == "cora" and not args.no_train:
        model = train_cora(model, cora, args.device, args.seed)
    graph_path, graph = make_graph(args, workload, folder, cora)
    if graph_path is None:
        for method, precision in selected_methods(args):
            row(method, precision, error=graph)
        return rows
    info.update(graph)
    try:
        info["exporter"] = export_onnx(model, workload, model_path, small_export_graph(workload, args.seed))
    except Exception as e:  # noqa: BLE001
        info["exporter"] = None
        info["export_error"] = describe_error(e)
    log(f"  graph: {info['num_nodes']:,} nodes, {info['num_edges']:,} edges, max in-degree "
        f"{info.get('max_in_degree')}, out-degree {info.get('max_out_degree')} ({info['graph_s']} s); "
        f"ONNX: {info['exporter'] or info['export_error']}")

    # 2. gnnrt, before torch takes device memory.
    for precision in args.precisions:
        if "gnnrt" not in args.methods:
            break
        if info["exporter"] is None:
            row("gnnrt", precision, error=f"ONNX export failed: {info['export_error']}")
            continue
        fields, out = bench_gnnrt(args, folder, model_path, graph_path, args.device, precision, plan)
        outputs[("gnnrt", precision)] = out
        row("gnnrt", precision, **fields)

    # 3. The torch paths, inputs on the device.
    device = torch.device(args.device)
    with np.load(graph_path) as npz:
        host = {key: npz[key] for key in npz.files}
    inputs = [torch.from_numpy(host[k]).to(device) for k in ("x", "edge_index", "batch") if k in host]
    del host
    meter, timer = MemoryMeter(args.device), Timer(args.device)
    num_graphs = info["num_graphs"]

    def measure(setup):
        """setup() -> (the call to time, its cold time in ms or None: then the first call's).
        Peak memory counts from before setup (after the inputs): weights, precomputation,
        intermediates."""
        meter.start()
        try:
            with torch.no_grad():
                fn, cold_ms = setup()
                if cold_ms is None:
                    cold_ms = timer(fn)
            setup_peak = meter.peak_mib()
            meter.restart_peak()
            result = time_calls(fn, timer, plan[0], plan[1])
            result.update(cold_ms=cold_ms, warmup=plan[0], iterations=plan[1])
            if setup_peak is not None:
                warm_peak = meter.peak_mib()
                result.update(peak_mem_mib=max(setup_peak, warm_peak), peak_mem_warm_mib=warm_peak)
            with torch.no_grad():
                out = fn()
            return result, out.float().cpu().numpy()
        except Exception as e:  # noqa: BLE001: one path failing is a row; the run goes on
            return dict(error=describe_error(e)), None
        finally:
            free_memory(args.device)

    def eager_setup():
        gcn = copy.deepcopy(model).to(device)
        return (lambda: gcn(*inputs)), None

    def compiled_setup():
        compiled = torch.compile(copy.deepcopy(model).to(device))
        return (lambda: compiled(*inputs)), timer(lambda: compiled(*inputs))  # cold: compiling included

    def csr_setup(dtype):
        built = {}

        def build_and_call():  # cold: the normalisation and the CSR matrix built, then one call
            gcn = copy.deepcopy(model).to(device)
            adjacency = normalized_adjacency(inputs[1], info["num_nodes"], dtype)
            pool = mean_pool_matrix(inputs[2], num_graphs, dtype) if workload["kind"] == "graph" else None
            built["fn"] = CsrGCN(gcn, inputs[0], adjacency, dtype, pool)
            built["fn"]()

        cold_ms = timer(build_and_call)
        return built["fn"], cold_ms

    eager_oom = False
    if "pyg" in args.methods:
        result, out = measure(eager_setup)
        eager_oom = result.get("error") == OOM
        outputs[("pyg", "fp32")] = out
        row("pyg", "fp32", **result)

    if "compile" in args.methods:
        if eager_oom and not args.try_compile_after_oom:
            row("compile", "fp32", error="not run: PyG eager ran out of memory (--try-compile-after-oom to try)")
        else:
            result, _ = measure(compiled_setup)
            row("compile", "fp32", **result)
            torch._dynamo.reset()
            free_memory(args.device)

    if "torch-csr" in args.methods:
        for precision in args.precisions:
            if ("torch-csr", precision) not in METHOD_TITLES:
                continue  # int8 is gnnrt's alone
            dtype = torch.float16 if precision == "fp16" else torch.float32
            result, out = measure(lambda: csr_setup(dtype))
            outputs[("torch-csr", precision)] = out
            row("torch-csr", precision, **result)

    if "gnnrt-compile" in args.methods:
        gnnrt_package, why_not = import_gnnrt_package()

        def gnnrt_compile_setup():  # cold: the export and the engine build included, then one call
            started = time.perf_counter()
            example = [t.to(device) for t in small_export_graph(workload, args.seed)]
            compiled = gnnrt_package.compile(copy.deepcopy(model).to(device), tuple(example),
                                             max_nodes=info["num_nodes"], max_edges=info["num_edges"],
                                             cuda_graphs=args.compile_cuda_graphs)
            compiled(*inputs)
            return (lambda: compiled(*inputs)), (time.perf_counter() - started) * 1e3

        if gnnrt_package is None:
            row("gnnrt-compile", "fp32", error=why_not)
        else:
            result, out = measure(gnnrt_compile_setup)
            outputs[("gnnrt-compile", "fp32")] = out
            bench = find_row(rows, name, "gnnrt", "fp32")
            if ok(bench) and result.get("median_ms") is not None:
                result["overhead_vs_bench_cached_ms"] = result["median_ms"] - bench["cached_ms"]
                result["overhead_vs_bench_bound_ms"] = result["median_ms"] - bench["median_ms"]
            result["cuda_graphs"] = args.compile_cuda_graphs
            row("gnnrt-compile", "fp32", **result)

    inputs = None  # the device copies go before the checks
    free_memory(args.device)

    # 4. Checks: gnnrt against PyG (or the fp32 CSR path where PyG did not run), fp16 against fp32.
    reference_method = "pyg" if outputs.get(("pyg", "fp32")) is not None else "torch-csr"
    reference = outputs.get((reference_method, "fp32"))
    for entry in rows:
        key = (entry["method"], entry["precision"])
        out = outputs.get(key)
        if entry["error"] is not None or out is None:
            continue
        if entry["precision"] == "fp32" and entry["method"] != reference_method and reference is not None:
            check = compare_outputs(out, reference)
            entry["check_against"] = reference_method
            entry.update({f"check_{k}": v for k, v in check.items()})
            entry["matches_reference"] = check.get("allclose")
            if entry["method"] == "gnnrt" and not check.get("allclose"):
                log(f"  gnnrt fp32 output differs from {reference_method}'s: {check}")
        if entry["precision"] != "fp32":
            fp32 = outputs.get((entry["method"], "fp32"))
            if fp32 is not None:
                entry.update({f"vs_fp32_{k}": v for k, v in compare_outputs(out, fp32).items()})
        if name == "cora":
            entry["test_accuracy"] = test_accuracy(out, cora)

    # 5. gnnrt's CPU backend against PyG on the CPU (issue 4's CPU target), arxiv-size.
    if name == "arxiv-size" and args.cpu_target and args.device == "cuda" and info["exporter"]:
        for method, fields in cpu_comparison(args, folder, model, model_path, graph_path):
            row(method, "fp32", **fields)
    return rows


def cpu_comparison(args, folder, model, model_path, graph_path):
    """gnnrt's CPU backend and PyG eager on the CPU, same graph and weights: [(method, fields)]."""
    card = cpu_name()
    fields, _ = bench_gnnrt(args, folder, model_path, graph_path, "cpu", "fp32", (1, args.cpu_iterations, 1))
    results = [("gnnrt-cpu", dict(fields, card=card))]
    with np.load(graph_path) as npz:
        inputs = [torch.from_numpy(npz[k]) for k in ("x", "edge_index")]
    try:
        result = time_calls(lambda: model(*inputs), Timer("cpu"), 1, args.cpu_iterations)
    except Exception as e:  # noqa: BLE001
        result = dict(error=describe_error(e))
    results.append(("pyg-cpu", dict(result, card=card)))
    return results


def selected_methods(args):
    methods = []
    for method in ("pyg", "compile"):
        if method in args.methods:
            methods.append((method, "fp32"))
    for method in ("torch-csr", "gnnrt"):
        if method in args.methods:
            methods += [(method, p) for p in args.precisions if (method, p) in METHOD_TITLES]
    if "gnnrt-compile" in args.methods:
        methods.append(("gnnrt-compile", "fp32"))
    return methods


# --------------------------------------------------------------------------
# Report: table, targets, PERFORMANCE.md, plot
# --------------------------------------------------------------------------
def cpu_name():
    with contextlib.suppress(OSError):
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip() + f" ({torch.get_num_threads()} torch threads)"
    return platform.processor() or "CPU"


def ok(row):
    return row is not None and row["error"] is None and row["median_ms"] is not None


def fastest(rows, workload, precisions):
    times = [r["median_ms"] for r in rows if r["workload"] == workload and r["method"] in TORCH_METHODS
             and r["precision"] in precisions and ok(r)]
    return min(times) if times else None


def find_row(rows, workload, method, precision):
    return next((r for r in rows if r["workload"] == workload and r["method"] == method
                 and r["precision"] == precision), None)


def speedups(rows, workload):
    """(gnnrt fp32 vs fastest fp32 torch, gnnrt fp16 vs fastest torch of any precision)."""
    fp32_torch, any_torch = fastest(rows, workload, ("fp32",)), fastest(rows, workload, ("fp32", "fp16"))
    g32, g16 = find_row(rows, workload, "gnnrt", "fp32"), find_row(rows, workload, "gnnrt", "fp16")
    s32 = fp32_torch / g32["median_ms"] if ok(g32) and fp32_torch and g32["median_ms"] > 0 else None
    s16 = any_torch / g16["median_ms"] if ok(g16) and any_torch and g16["median_ms"] > 0 else None
    return s32, s16


def cell(row):
    if row is None:
        return "not run"
    if row["error"] is not None:
        if row["error"] == OOM:
            return "out of memory"
        return "not run" if row["error"].startswith("not run") else "error"
    text = f"{row['median_ms']:.3f} ms"
    if row.get("num_graphs", 1) > 1:
        text += f" ({row['num_graphs'] * 1e3 / row['median_ms']:,.0f} graphs/s)"
    if row.get("peak_mem_mib") is not None:
        text += f", +{row['peak_mem_mib']:,.0f} MiB"
    if row.get("matches_reference") is False:
        text += " (output MISMATCH)"
    return text


def ratio(value):
    return f"{value:.2f}x" if value is not None else "-"


def target_checks(rows, workloads):
    """(description, measured, met) per issue 4 target present in this run."""
    checks = []
    for name in workloads:
        if name not in TARGETS:
            continue
        s32, s16 = speedups(rows, name)
        for precision, (kind, bound), speedup in zip(("fp32", "fp16"), TARGETS[name], (s32, s16)):
            g = find_row(rows, name, "gnnrt", precision)
            versus = "the fastest fp32 torch path" if precision == "fp32" else "the fastest torch path"
            if kind == "ms":
                measured = g["median_ms"] if ok(g) else None
                checks.append((f"{name}, gnnrt {precision} <= {bound} ms",
                               f"{measured:.4f} ms ({measured / bound:.2f}x the bound)" if measured is not None
                               else (g or {}).get("error") or "not run",
                               measured is not None and measured <= bound))
            else:
                checks.append((f"{name}, gnnrt {precision} >= {bound}x {versus}",
                               f"{speedup:.2f}x ({100 * speedup / bound:.0f} % of the target)" if speedup is not None
                               else (g or {}).get("error") or "not run",
                               speedup is not None and speedup >= bound))
        g32, csr32 = find_row(rows, name, "gnnrt", "fp32"), find_row(rows, name, "torch-csr", "fp32")
        if ok(g32) and ok(csr32) and g32.get("peak_mem_mib") is not None and csr32.get("peak_mem_mib") is not None:
            checks.append((f"{name}, gnnrt fp32 device memory beyond the inputs <= torch CSR fp32's",
                           f"{g32['peak_mem_mib']:,.0f} MiB vs {csr32['peak_mem_mib']:,.0f} MiB",
                           g32["peak_mem_mib"] <= csr32["peak_mem_mib"]))
    g32, g16 = find_row(rows, "cora", "gnnrt", "fp32"), find_row(rows, "cora", "gnnrt", "fp16")
    if g32 and g16 and g32.get("test_accuracy") is not None and g16.get("test_accuracy") is not None:
        gap = abs(g32["test_accuracy"] - g16["test_accuracy"])
        checks.append((f"cora, gnnrt fp16 test accuracy within {FP16_ACCURACY_POINTS} points of fp32",
                       f"{g16['test_accuracy']:.1f} % vs {g32['test_accuracy']:.1f} %", gap <= FP16_ACCURACY_POINTS))
    compiled = find_row(rows, "cora", "gnnrt-compile", "fp32")
    if compiled is not None and compiled.get("error") is None:
        overhead = compiled.get("overhead_vs_bench_cached_ms")
        checks.append((f"cora, gnnrt.compile adds <= {COMPILE_OVERHEAD_MS} ms over gnnrt bench's warm structure-cache "
                       "call (fp32)",
                       f"+{overhead:.4f} ms ({compiled['median_ms']:.4f} ms)" if overhead is not None else "not measured",
                       overhead is not None and overhead <= COMPILE_OVERHEAD_MS))
    gc_row, pc_row = find_row(rows, "arxiv-size", "gnnrt-cpu", "fp32"), find_row(rows, "arxiv-size", "pyg-cpu", "fp32")
    if gc_row or pc_row:
        speedup = pc_row["median_ms"] / gc_row["median_ms"] if ok(gc_row) and ok(pc_row) else None
        checks.append((f"arxiv-size on the CPU, gnnrt >= {CPU_TARGET_SPEEDUP:g}x PyG eager",
                       ratio(speedup) if speedup else "not measured", speedup is not None and
                       speedup >= CPU_TARGET_SPEEDUP))
    return checks


def table(rows, card):
    workloads = list(dict.fromkeys(r["workload"] for r in rows))
    columns = [key for key in METHOD_TITLES if key[0] not in ("pyg-cpu", "gnnrt-cpu")
               and any(r["method"] == key[0] and r["precision"] == key[1] for r in rows)]
    lines = ["| workload | nodes / edges (max in-degree) | " + " | ".join(METHOD_TITLES[c] for c in columns) +
             " | gnnrt fp32 vs fastest fp32 torch | gnnrt fp16 vs fastest torch |",
             "|" + " --- |" * (len(columns) + 4)]
    for name in workloads:
        first = next(r for r in rows if r["workload"] == name)
        size = f"{first.get('num_nodes', 0):,} / {first.get('num_edges', 0):,}"
        if first.get("max_in_degree") is not None:
            size += f" ({first['max_in_degree']:,})"
        if first.get("num_graphs", 1) > 1:
            size += f", {first['num_graphs']:,} graphs"
        s32, s16 = speedups(rows, name)
        cells = [cell(find_row(rows, name, *c)) for c in columns]
        lines.append(f"| {name} | {size} | " + " | ".join(cells) + f" | {ratio(s32)} | {ratio(s16)} |")
    return "\n".join(lines)


def gnnrt_detail_table(rows):
    lines = ["| workload | precision | GPU compute, bound (median / p90) | node by node / CUDA graph | "
             "warm, structure cache | cold | end-to-end | end-to-end, new graph, context held | H2D | D2H | "
             "peak memory cold / warm | output check | fp16 vs fp32 |",
             "|" + " --- |" * 13]
    for r in rows:
        if r["method"] != "gnnrt":
            continue
        if not ok(r):
            lines.append(f"| {r['workload']} | {r['precision']} | {r['error']} |" + " |" * 10)
            continue

        def ms(key):
            return f"{r[key]:.3f} ms" if r.get(key) is not None else "-"

        memory = (f"{r['peak_mem_mib']:,.0f} / {r['peak_mem_warm_mib']:,.0f} MiB"
                  if r.get("peak_mem_mib") is not None and r.get("peak_mem_warm_mib") is not None else "-")
        check = "-"
        if r.get("check_against"):
            check = (f"{'OK' if r.get('matches_reference') else 'MISMATCH'} vs {r['check_against']} "
                     f"(max abs {r.get('check_max_abs_err', float('nan')):.2e})")
        fp16 = "-"
        if r.get("vs_fp32_max_abs_err") is not None:
            fp16 = f"max abs {r['vs_fp32_max_abs_err']:.2e}, rel {r['vs_fp32_max_rel_err']:.2e}"
            if r.get("vs_fp32_argmax_agreement") is not None:
                fp16 += f", argmax {100 * r['vs_fp32_argmax_agreement']:.2f} %"
        modes = f"{ms('eager_ms')} / {ms('graph_ms') if r.get('graph_ms') is not None else 'not replayed'}"
        lines.append(f"| {r['workload']} | {r['precision']} | {ms('median_ms')} / {ms('p90_ms')} | {modes} | "
                     f"{ms('cached_ms')} | "
                     f"{ms('cold_ms')} | {ms('end_to_end_ms')} | {ms('new_graph_ms')} | {ms('h2d_ms')} | "
                     f"{ms('d2h_ms')} | {memory} | "
                     f"{check} | {fp16} |")
    return "\n".join(lines)


def accuracy_lines(rows):
    lines = []
    for method in ("torch-csr", "gnnrt"):
        for precision in ("fp32", "fp16"):
            r = find_row(rows, "cora", method, precision)
            if r and r.get("test_accuracy") is not None:
                lines.append(f"- Cora test accuracy, {METHOD_TITLES[(method, precision)]}: {r['test_accuracy']:.1f} %")
    pyg = find_row(rows, "cora", "pyg", "fp32")
    if pyg and pyg.get("test_accuracy") is not None:
        lines.append(f"- Cora test accuracy, PyG eager: {pyg['test_accuracy']:.1f} %")
    for r in rows:
        if r["method"] == "torch-csr" and r["precision"] == "fp16" and r.get("vs_fp32_max_abs_err") is not None:
            agreement = r.get("vs_fp32_argmax_agreement")
            lines.append(f"- {r['workload']}, torch CSR fp16 vs fp32: max abs {r['vs_fp32_max_abs_err']:.2e}, "
                         f"rel {r['vs_fp32_max_rel_err']:.2e}"
                         + (f", argmax agreement {100 * agreement:.2f} %" if agreement is not None else ""))
    return lines


def profile_lines(rows):
    lines = []
    for r in rows:
        if r["method"] not in ("gnnrt", "gnnrt-cpu") or not r.get("profile_top"):
            continue
        nodes = ", ".join(f"{n['op']} `{n['node']}` {n['ms']:.3f} ms ({n['percent']:.0f} %)" for n in r["profile_top"])
        lines.append(f"- {r['workload']}, {METHOD_TITLES[(r['method'], r['precision'])]}: {nodes}")
    return lines


def generated_section(rows, args, card, plot_name):
    date = datetime.date.today().isoformat()
    workloads = list(dict.fromkeys(r["workload"] for r in rows))
    checks = target_checks(rows, workloads)
    command = "python3 " + " ".join(shlex.quote(a) for a in [os.path.relpath(sys.argv[0], REPO)] + sys.argv[1:])
    lines = [
        f"## gnnrt vs PyTorch on {card} ({date})", "",
        f"Generated by one run of `python/compare_pyg.py` (torch {torch.__version__}, PyG "
        f"{__import__('torch_geometric').__version__}, seed {args.seed}):", "",
        f"    {command}", "",
        "Every method runs on the same graph file and the same weights. Times are medians of "
        + ("CUDA-event timings" if args.device == "cuda" else "host-clock timings (a CPU smoke run)")
        + " with the inputs already on the device, fp32 is IEEE fp32 (TF32 off). `+N MiB` is device memory beyond "
        "the method's input tensors: torch, `max_memory_allocated()` minus the inputs (weights, the CSR matrix and "
        "its construction, intermediates); gnnrt, its bench's peak in a cold call (weights, structure cache and its "
        "construction, intermediates).", "",
        "- gnnrt: `gnnrt bench --onnx model.onnx --graph graph.npz [--fp16] --cuda-graph` on the ONNX file exported "
        "once from the PyG model (small graph, dynamic axes); the time compared is GPU compute with the graph bound "
        "(the structure part - degrees, normalisation, CSR - computed once, as the torch CSR path precomputes its "
        "matrix), replayed as one CUDA graph launch (as trtexec --useCudaGraph; outputs copied out of the "
        "recording's buffers, left on the device). The node-by-node time, cold, end-to-end and copy times are in "
        "the second table.",
        "- torch CSR: the GCN normalisation precomputed into one CSR matrix (cuSPARSE SpMM), aggregating at the "
        "narrower width of each layer; fp16 stores features, weights and matrix values in half precision.",
        "- Graphs: Cora is the real graph; the `-size` workloads are seeded Chung-Lu graphs with the public graphs' "
        "node and edge counts, both endpoints drawn in proportion to Pareto(2) weights, so in- and out-degrees are "
        "heavy-tailed (max in-degree in brackets).",
        "", table(rows, card), "",
    ]
    gnnrt_cpu, pyg_cpu = (find_row(rows, "arxiv-size", m, "fp32") for m in ("gnnrt-cpu", "pyg-cpu"))
    if gnnrt_cpu or pyg_cpu:
        def shown(r, key="median_ms"):
            return f"{r[key]:.1f} ms" if ok(r) and r.get(key) is not None else ((r or {}).get("error") or "not run")

        lines += [f"On the CPU ({(gnnrt_cpu or pyg_cpu)['card']}), arxiv-size: gnnrt's CPU backend "
                  f"{shown(gnnrt_cpu)} per call with the graph bound ({shown(gnnrt_cpu, 'end_to_end_ms')} end to "
                  f"end), PyG eager {shown(pyg_cpu)}.", ""]
    lines += ["### gnnrt in detail", "", gnnrt_detail_table(rows), ""]
    accuracy = accuracy_lines(rows)
    if accuracy:
        lines += ["### Accuracy", ""] + accuracy + [""]
    profiles = profile_lines(rows)
    if profiles:
        lines += ["### Where gnnrt's time goes", "",
                  "The five slowest nodes of a warm bound call (median of 5 profiled calls; each node timed alone, "
                  "so the shares are of the profiled total):", ""] + profiles + [""]
    if checks:
        lines += ["### Issue 4's targets", "", "| target | measured | met |", "| --- | --- | --- |"]
        lines += [f"| {what} | {measured} | {'yes' if met else '**no**'} |" for what, measured, met in checks]
        lines.append("")
    if plot_name:
        lines += [f"![speed-up over the fastest fp32 torch path]({plot_name})", ""]
    errors = [r for r in rows if r["error"] and r["error"] != OOM and not r["error"].startswith("not run")]
    if errors:
        lines += ["Errors:", ""] + [f"- {r['workload']}, {METHOD_TITLES[(r['method'], r['precision'])]}: {r['error']}"
                                    for r in errors] + [""]
    return "\n".join(lines)


BEGIN_MARK = "<!-- generated by python/compare_pyg.py: begin -->"
END_MARK = "<!-- generated by python/compare_pyg.py: end -->"
DOCS_PREAMBLE = """# Performance

Every figure names its card and was measured side by side with its baselines in the same run.
The section between the markers below is written by `python/compare_pyg.py` (the command it ran
is in it); `bench/README.md` says how to reproduce it. Earlier measurements follow it.

"""


def write_docs(path, section):
    """Replaces the generated section of `path` (or puts it first), keeping everything else."""
    existing = ""
    if os.path.exists(path):
        with open(path) as f:
            existing = f.read()
    block = f"{BEGIN_MARK}\n{section}\n{END_MARK}\n"
    if BEGIN_MARK in existing and END_MARK in existing:
        start, end = existing.index(BEGIN_MARK), existing.index(END_MARK) + len(END_MARK)
        text = existing[:start] + block.rstrip("\n") + existing[end:]
    else:
        # Keep what was there (without its title) after the new section.
        rest = existing
        if rest.startswith("# Performance"):
            rest = rest.split("\n", 1)[1] if "\n" in rest else ""
            # Drop the old introduction up to the first section: the preamble replaces it.
            rest = rest[rest.find("\n## ") + 1:] if "\n## " in rest else ""
        text = DOCS_PREAMBLE + block + ("\n" + rest if rest else "")
    write_atomically(path, text)


def write_atomically(path, data, mode="w"):
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    with tempfile.NamedTemporaryFile(mode, dir=folder, delete=False, suffix=".tmp") as f:
        f.write(data)
        temporary = f.name
    os.replace(temporary, path)


# --------------------------------------------------------------------------
# The plot: matplotlib where installed, else a small PNG writer (zlib + struct)
# --------------------------------------------------------------------------
PALETTE = [(120, 120, 120), (170, 140, 60), (70, 120, 190), (140, 180, 230), (200, 60, 50), (240, 140, 120)]


def plot_data(rows):
    """Speed-up of every method over the fastest fp32 torch path, per workload."""
    workloads = [w for w in dict.fromkeys(r["workload"] for r in rows) if fastest(rows, w, ("fp32",))]
    series = [key for key in METHOD_TITLES if key[0] not in ("pyg-cpu", "gnnrt-cpu")
              and any(r["method"] == key[0] and r["precision"] == key[1] for r in rows)]
    values = {}
    for w in workloads:
        base = fastest(rows, w, ("fp32",))
        for key in series:
            r = find_row(rows, w, *key)
            values[(w, key)] = base / r["median_ms"] if ok(r) and r["median_ms"] > 0 else None
    return workloads, series, values


def write_plot(path, rows, card):
    """Returns a note saying how the plot was drawn, or why not."""
    workloads, series, values = plot_data(rows)
    if not workloads:
        return "no plot: no workload has an fp32 torch time"
    title = f"speed-up over the fastest fp32 torch path, {card}"
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        figure, axes = plt.subplots(figsize=(2.2 + 1.6 * len(workloads), 4.5))
        width = 0.8 / len(series)
        for i, key in enumerate(series):
            heights = [values[(w, key)] or 0.0 for w in workloads]
            positions = [j + (i - (len(series) - 1) / 2) * width for j in range(len(workloads))]
            color = tuple(c / 255 for c in PALETTE[i % len(PALETTE)])
            bars = axes.bar(positions, heights, width, label=METHOD_TITLES[key], color=color)
            for bar, value in zip(bars, heights):
                axes.text(bar.get_x() + bar.get_width() / 2, value, f"{value:.2f}" if value else "n/a",
                          ha="center", va="bottom", fontsize=7)
        axes.axhline(1.0, color="black", linewidth=0.8, linestyle="--")
        axes.set_xticks(range(len(workloads)))
        axes.set_xticklabels(workloads)
        axes.set_ylabel("speed-up (x)")
        axes.set_title(title, fontsize=9)
        axes.legend(fontsize=7, ncol=2)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=120)
        plt.close(figure)
        write_atomically(path, buffer.getvalue(), mode="wb")
        return "matplotlib"
    except Exception as e:  # noqa: BLE001: no matplotlib (or a broken one): draw it ourselves
        reason = describe_error(e)
    try:
        write_atomically(path, draw_bar_chart(title, workloads, [METHOD_TITLES[k] for k in series],
                                              [[values[(w, k)] for k in series] for w in workloads]), mode="wb")
        return f"built-in PNG writer ({reason})"
    except Exception as e:  # noqa: BLE001: a plot must never stop the run
        return f"no plot: {describe_error(e)}"


# A 5x7 bitmap font: each glyph is 7 rows of 5 bits.
FONT = {
    "A": "01110 10001 10001 11111 10001 10001 10001", "B": "11110 10001 10001 11110 10001 10001 11110",
    "C": "01110 10001 10000 10000 10000 10001 01110", "D": "11110 10001 10001 10001 10001 10001 11110",
    "E": "11111 10000 10000 11110 10000 10000 11111", "F": "11111 10000 10000 11110 10000 10000 10000",
    "G": "01110 10001 10000 10111 10001 10001 01111", "H": "10001 10001 10001 11111 10001 10001 10001",
    "I": "01110 00100 00100 00100 00100 00100 01110", "J": "00111 00010 00010 00010 00010 10010 01100",
    "K": "10001 10010 10100 11000 10100 10010 10001", "L": "10000 10000 10000 10000 10000 10000 11111",
    "M": "10001 11011 10101 10101 10001 10001 10001", "N": "10001 10001 11001 10101 10011 10001 10001",
    "O": "01110 10001 10001 10001 10001 10001 01110", "P": "11110 10001 10001 11110 10000 10000 10000",
    "Q": "01110 10001 10001 10001 10101 10010 01101", "R": "11110 10001 10001 11110 10100 10010 10001",
    "S": "01111 10000 10000 01110 00001 00001 11110", "T": "11111 00100 00100 00100 00100 00100 00100",
    "U": "10001 10001 10001 10001 10001 10001 01110", "V": "10001 10001 10001 10001 10001 01010 00100",
    "W": "10001 10001 10001 10101 10101 10101 01010", "X": "10001 10001 01010 00100 01010 10001 10001",
    "Y": "10001 10001 01010 00100 00100 00100 00100", "Z": "11111 00001 00010 00100 01000 10000 11111",
    "0": "01110 10001 10011 10101 11001 10001 01110", "1": "00100 01100 00100 00100 00100 00100 01110",
    "2": "01110 10001 00001 00010 00100 01000 11111", "3": "11111 00010 00100 00010 00001 10001 01110",
    "4": "00010 00110 01010 10010 11111 00010 00010", "5": "11111 10000 11110 00001 00001 10001 01110",
    "6": "00110 01000 10000 11110 10001 10001 01110", "7": "11111 00001 00010 00100 01000 01000 01000",
    "8": "01110 10001 10001 01110 10001 10001 01110", "9": "01110 10001 10001 01111 00001 00010 01100",
    ".": "00000 00000 00000 00000 00000 01100 01100", ",": "00000 00000 00000 00000 01100 00100 01000",
    "-": "00000 00000 00000 11111 00000 00000 00000", "+": "00000 00100 00100 11111 00100 00100 00000",
    "/": "00001 00010 00010 00100 01000 01000 10000", "(": "00010 00100 01000 01000 01000 00100 00010",
    ")": "01000 00100 00010 00010 00010 00100 01000", ":": "00000 01100 01100 00000 01100 01100 00000",
    "%": "11001 11010 00010 00100 01000 01011 10011", " ": "00000 00000 00000 00000 00000 00000 00000",
}


class Canvas:
    def __init__(self, width, height):
        self.width, self.height = width, height
        self.pixels = bytearray([255]) * (width * height * 3)

    def rect(self, x0, y0, x1, y1, color):
        x0, x1 = max(0, min(x0, x1)), min(self.width, max(x0, x1))
        y0, y1 = max(0, min(y0, y1)), min(self.height, max(y0, y1))
        row = bytes(color) * (x1 - x0)
        for y in range(y0, y1):
            start = (y * self.width + x0) * 3
            self.pixels[start:start + len(row)] = row

    def text(self, x, y, text, color=(0, 0, 0), scale=1):
        for char in text.upper():
            glyph = FONT.get(char, FONT[" "]).split()
            for row, bits in enumerate(glyph):
                for column, bit in enumerate(bits):
                    if bit == "1":
                        self.rect(x + column * scale, y + row * scale, x + (column + 1) * scale,
                                  y + (row + 1) * scale, color)
            x += 6 * scale

    def png(self):
        raw = b"".join(b"\x00" + bytes(self.pixels[y * self.width * 3:(y + 1) * self.width * 3])
                       for y in range(self.height))

        def chunk(kind, data):
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)  # 8-bit RGB
        return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) +
                chunk(b"IEND", b""))


def draw_bar_chart(title, groups, series, values):
    """Grouped bars, a dashed line at 1, value labels, a legend. values[group][series] or None."""
    bar, gap, left, top, plot_height = 22, 28, 60, 40, 260
    group_width = bar * len(series) + gap
    width = max(left + group_width * len(groups) + 20, 6 * len(title) + 40, 560)
    legend_rows = (len(series) + 2) // 3
    height = top + plot_height + 30 + 14 * legend_rows + 20
    canvas = Canvas(width, height)
    canvas.text(10, 12, title)
    highest = max([v for group in values for v in group if v] + [1.0])
    step = 0.5 if highest <= 3 else 1.0 if highest <= 8 else math.ceil(highest / 8)
    top_value = step * math.ceil(highest * 1.1 / step)
    base_y = top + plot_height

    def y_of(value):
        return base_y - int(round(plot_height * value / top_value))

    tick = 0.0
    while tick <= top_value + 1e-9:
        y = y_of(tick)
        canvas.rect(left - 4, y, width - 10, y + 1, (225, 225, 225))
        canvas.text(8, y - 3, f"{tick:g}X")
        tick += step
    canvas.rect(left, top, left + 1, base_y, (0, 0, 0))
    canvas.rect(left, base_y, width - 10, base_y + 1, (0, 0, 0))
    one = y_of(1.0)
    for x in range(left, width - 10, 8):
        canvas.rect(x, one, x + 4, one + 1, (0, 0, 0))
    for g, group in enumerate(groups):
        x = left + gap // 2 + g * group_width
        for s, value in enumerate(values[g]):
            bx = x + s * bar
            if value:
                canvas.rect(bx + 1, y_of(value), bx + bar - 1, base_y, PALETTE[s % len(PALETTE)])
                label = f"{value:.1f}" if value < 9.95 else f"{value:.0f}"
                canvas.text(bx + max(0, (bar - 6 * len(label)) // 2), y_of(value) - 9, label)
            else:
                canvas.text(bx + 2, base_y - 9, "-")
        canvas.text(x, base_y + 8, group[:max(1, (group_width - 4) // 6)])
    for s, name in enumerate(series):
        lx, ly = 10 + (s % 3) * ((width - 20) // 3), base_y + 30 + 14 * (s // 3)
        canvas.rect(lx, ly, lx + 10, ly + 8, PALETTE[s % len(PALETTE)])
        canvas.text(lx + 14, ly, name)
    return canvas.png()


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------
def print_table(rows, card):
    log(f"\nResults on {card} (median ms; ratios: gnnrt fp32 vs the fastest fp32 torch path, gnnrt fp16 vs the "
        "fastest torch path of any precision)")
    names = list(dict.fromkeys(r["workload"] for r in rows))
    keys = [k for k in METHOD_TITLES if any(r["method"] == k[0] and r["precision"] == k[1] for r in rows)]
    header = f"{'workload':<15}" + "".join(f"{METHOD_TITLES[k]:>22}" for k in keys) + f"{'fp32 ratio':>12}{'fp16 ratio':>12}"
    log(header)
    for name in names:
        cells = []
        for key in keys:
            r = find_row(rows, name, *key)
            cells.append("-" if r is None else (f"{r['median_ms']:.4f}" if ok(r) else
                                                 ("OOM" if r["error"] == OOM else "error")))
        s32, s16 = speedups(rows, name)
        log(f"{name:<15}" + "".join(f"{c:>22}" for c in cells) + f"{ratio(s32):>12}{ratio(s16):>12}")
    for what, measured, met in target_checks(rows, names):
        log(f"target: {what}: {measured}: {'met' if met else 'NOT met'}")


def default_results_path(card):
    for known in ("H100", "H200", "A100", "L4"):
        if known in card:
            return os.path.join(REPO, "bench", "results", known.lower() + ".json")
    return os.path.join(REPO, "bench", "results", "results.json")


def write_report(rows, args, card):
    """The console table, and with --docs the generated section of the docs and the plot."""
    print_table(rows, card)
    if args.docs:
        plot_note = write_plot(args.plot, rows, card) if args.plot else "no plot"
        log(f"plot: {args.plot}: {plot_note}")
        plot_name = os.path.relpath(args.plot, os.path.dirname(os.path.abspath(args.docs))) \
            if args.plot and os.path.exists(args.plot) else None
        write_docs(args.docs, generated_section(rows, args, card, plot_name))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gnnrt", default=os.path.join(REPO, "build", "gnnrt"), help="the gnnrt binary")
    parser.add_argument("--workloads", default=DEFAULT_WORKLOADS,
                        help="comma-separated: " + ", ".join(WORKLOADS) + ", molecules-N (default: %(default)s)")
    parser.add_argument("--device", default="cuda", choices=["cuda", "cpu"],
                        help="cpu: a smoke test of the whole script (writes no docs unless --docs is given)")
    parser.add_argument("--methods", default="pyg,compile,torch-csr,gnnrt,gnnrt-compile",
                        help="comma-separated subset of pyg, compile, torch-csr, gnnrt, gnnrt-compile (gnnrt.compile "
                             "from Python; a row saying why where the gnnrt package does not import)")
    parser.add_argument("--compile-cuda-graphs", action="store_true",
                        help="gnnrt.compile(..., cuda_graphs=True): replay repeated calls as CUDA graphs")
    parser.add_argument("--precisions", default="fp32,fp16",
                        help="fp32, plus fp16 (torch CSR and gnnrt) and/or int8 (gnnrt: build --int8, then bench)")
    parser.add_argument("--int8-flags", default="",
                        help="more gnnrt build flags for the int8 rows, e.g. '--int8-layer-tolerance -1' (every "
                             "layer int8, no per-layer measurement: quicker builds of the largest graphs)")
    parser.add_argument("--warmup", type=int, help="warm-up calls per method (default: per workload)")
    parser.add_argument("--iterations", type=int, help="timed calls per method (default: per workload)")
    parser.add_argument("--cold-iterations", type=int, help="gnnrt's cold, copy and end-to-end calls")
    parser.add_argument("--seed", type=int, default=0, help="weights, training and graphs")
    parser.add_argument("--cora-npz", default=os.path.join(REPO, "..", "shared", "data", "cora.npz"),
                        help="the real Cora graph: x uint8 [2708, 1433], edge_index, y, train/test masks")
    parser.add_argument("--no-train", action="store_true", help="random Cora weights instead of training them")
    parser.add_argument("--out", help="results JSON, a list of rows (default on the GPU: bench/results/<card>.json)")
    parser.add_argument("--docs", help="the Markdown file whose generated section is replaced "
                                       "(default on the GPU: docs/PERFORMANCE.md)")
    parser.add_argument("--plot", help="the PNG chart (default: performance.png beside --docs)")
    parser.add_argument("--workdir", help="where models, graphs and gnnrt's JSON go (default: a temporary folder)")
    parser.add_argument("--timeout", type=int, default=1200, help="seconds per gnnrt call")
    parser.add_argument("--no-cpu-target", dest="cpu_target", action="store_false",
                        help="skip timing arxiv-size on the CPU (gnnrt vs PyG eager) in a GPU run")
    parser.add_argument("--cpu-iterations", type=int, default=3, help="timed calls of the CPU comparison")
    parser.add_argument("--try-compile-after-oom", action="store_true",
                        help="try torch.compile even where PyG eager ran out of memory")
    parser.add_argument("--no-profile", dest="profile", action="store_false",
                        help="skip gnnrt's per-node profile (its slowest nodes go into the docs; the full "
                             "table into the workdir)")
    parser.add_argument("--report-from", metavar="ROWS_JSON",
                        help="measure nothing: write the table, --docs and --plot from the rows an earlier run saved "
                             "with --out (e.g. a run stopped by a time limit after some workloads)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print the gnnrt commands")
    args = parser.parse_args()

    args.methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in args.methods if m not in TORCH_METHODS + ("gnnrt", "gnnrt-compile")]
    if unknown or not args.methods:
        sys.exit(f"compare_pyg.py: unknown method(s) {unknown}; choose from pyg, compile, torch-csr, gnnrt, "
                 "gnnrt-compile")
    args.precisions = [p.strip() for p in args.precisions.split(",") if p.strip()]
    if (not args.precisions or any(p not in ("fp32", "fp16", "int8") for p in args.precisions)
            or "fp32" not in args.precisions):
        sys.exit("compare_pyg.py: --precisions takes fp32 plus fp16 and/or int8 (each is compared with fp32; int8 is "
                 "gnnrt's alone, calibrated on the benchmark graph)")
    for name in ("warmup", "iterations", "cold_iterations"):
        value = getattr(args, name)
        if value is not None and value < (0 if name == "warmup" else 1):
            sys.exit(f"compare_pyg.py: --{name.replace('_', '-')} must be >= {0 if name == 'warmup' else 1}")
    if not os.access(args.gnnrt, os.X_OK):
        sys.exit(f"compare_pyg.py: no gnnrt binary at {args.gnnrt} (pass --gnnrt path/to/gnnrt)")
    if args.device == "cuda" and not torch.cuda.is_available() and not args.report_from:
        sys.exit("compare_pyg.py: --device cuda but torch sees no GPU; use --device cpu for a smoke test")
    workloads = parse_workloads(args.workloads)

    # torch.compile's graph-break notes and the exporter's would drown the report.
    logging.getLogger("torch").setLevel(logging.ERROR)
    os.environ.setdefault("TORCHDYNAMO_VERBOSE", "0")

    # IEEE fp32 everywhere: no TF32 in matmuls or convolutions.
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    card = torch.cuda.get_device_name(0) if args.device == "cuda" and not args.report_from else cpu_name()
    if args.device == "cuda":
        args.out = args.out or default_results_path(card)
        args.docs = args.docs or os.path.join(REPO, "docs", "PERFORMANCE.md")
    if args.docs and not args.plot:
        args.plot = os.path.join(os.path.dirname(os.path.abspath(args.docs)), "performance.png")
    log(f"device: {card}; torch {torch.__version__}; gnnrt {args.gnnrt}")

    cora = None
    if any(w["name"] == "cora" for w in workloads) and os.path.exists(args.cora_npz):
        cora = load_cora(args.cora_npz)

    started = time.perf_counter()
    if args.report_from:
        with open(args.report_from) as file:
            rows = json.load(file)
        write_report(rows, args, rows[0]["card"] if rows else card)
        return 0
    rows = []
    with contextlib.ExitStack() as stack:
        workdir = args.workdir or stack.enter_context(tempfile.TemporaryDirectory(prefix="gnnrt-compare-"))
        out = args.out or os.path.join(workdir, "results.json")
        for workload in workloads:
            workload_start = time.perf_counter()
            rows += bench_workload(args, workload, card, workdir, cora)
            log(f"  ({time.perf_counter() - workload_start:.0f} s)")
            # Written after every workload, so a crash late in a long run keeps what was measured.
            write_atomically(out, json.dumps(rows, indent=1) + "\n")
        write_report(rows, args, card)
        log(f"wrote {out}" + (f" and {args.docs}" if args.docs else "") +
            f" in {time.perf_counter() - started:.0f} s")
    mismatches = [r for r in rows if r["method"] == "gnnrt" and r.get("matches_reference") is False]
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())

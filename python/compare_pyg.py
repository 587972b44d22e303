#!/usr/bin/env python3
"""Time gnnrt against the PyTorch paths on the same graphs, weights and device.

For every workload this script
  * builds the PyG model with random weights from --seed (GCN: the layer widths of
    issue 4's table; molecules: 2 x GCNConv 32->64->64 + ReLU, global_mean_pool,
    Linear(64->1), as issue 5),
  * exports it once with the TorchScript exporter (dynamo=False, opset 17, dynamic
    axes num_nodes / num_edges) on a small graph, so the export never needs the big
    graph (molecule models are exported on their own batch: that exporter freezes
    the number of graphs into the file),
  * has gnnrt generate the graph (`gnnrt bench --synthetic ... --save-inputs
    graph.npz --iterations 0`, on the CPU): power-law sources and uniform targets, or
    a molecule batch; the SAME file then goes to gnnrt and to torch,
  * times `gnnrt bench --device D --inputs graph.npz --json` (what gnnrt times per
    call is in its --help: today that includes the host-side input checks and the
    host<->device copies),
  * times, with the inputs already on the device: PyG eager, torch.compile(PyG
    model), and a hand-written torch path: the GCN normalisation precomputed into
    one CSR matrix (torch.sparse_csr_tensor, cuSPARSE on the GPU) times dense
    features, aggregating at the narrower width of each layer,
  * checks the hand-written path and gnnrt against PyG's output (`gnnrt run
    --compare`), so every figure belongs to a correct computation.

GPU timings: torch.cuda.Event around each call after warm-up; the median of
--iterations calls. CPU timings: time.perf_counter. fp32 throughout, TF32 off.
A path that runs out of memory is reported as OOM and the run goes on.

Writes --out (a JSON list of rows: workload, method, precision, median_ms, p90_ms,
min_ms, cold_ms, peak_mem_mib, card, error, ...) and --markdown (a table with the
card's name in its header).

  python3 python/compare_pyg.py --gnnrt build/gnnrt --workloads cora,arxiv,reddit,products,molecules-1,molecules-64,molecules-4096 --out bench/results/h100.json --markdown bench/results/h100.md
  python3 python/compare_pyg.py --gnnrt build/gnnrt --device cpu --workloads tiny,molecules-4 --out /tmp/r.json --markdown /tmp/r.md   # smoke test
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import gc
import io
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

warnings.filterwarnings("ignore")

import torch  # noqa: E402
from torch_geometric.nn import GCNConv, global_mean_pool  # noqa: E402
from torch_geometric.nn.conv.gcn_conv import gcn_norm  # noqa: E402

# name -> sizes of the public graph (nodes, edges) and the GCN's layer widths (issue 4's table).
NODE_WORKLOADS = {
    "tiny": dict(nodes=64, edges=256, dims=[16, 8, 4]),
    "cora": dict(nodes=2_708, edges=10_556, dims=[1433, 16, 7]),
    "arxiv-size": dict(nodes=169_343, edges=2_315_598, dims=[128, 256, 256, 40]),
    "reddit-size": dict(nodes=232_965, edges=114_615_892, dims=[602, 256, 41]),
    "products-size": dict(nodes=2_449_029, edges=123_718_280, dims=[100, 256, 256, 47]),
}
ALIASES = {"arxiv": "arxiv-size", "reddit": "reddit-size", "products": "products-size"}
MOLECULE_DIMS = [32, 64, 64, 1]  # GCN 32->64->64, mean pool, Linear(64->1) (issue 5)
METHODS = {
    "pyg": "PyG eager",
    "compile": "torch.compile (PyG)",
    "csr": "torch CSR SpMM, norm precomputed",
    "gnnrt": "gnnrt",
}
# fp32 outputs of different summation orders: GCN outputs are O(1), sums over up to ~1e5 terms.
CHECK_ATOL, CHECK_RTOL = 1e-3, 1e-3


# --------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------
class NodeGCN(torch.nn.Module):
    """A stack of GCNConv layers with ReLU between them (PyG's examples/gcn.py)."""

    def __init__(self, dims):
        super().__init__()
        self.convs = torch.nn.ModuleList(GCNConv(a, b) for a, b in zip(dims[:-1], dims[1:]))

    def forward(self, x, edge_index):
        for i, conv in enumerate(self.convs):
            x = conv(x, edge_index)
            if i < len(self.convs) - 1:
                x = x.relu()
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
    model = MoleculeGCN(MOLECULE_DIMS) if workload["kind"] == "graph" else NodeGCN(workload["dims"])
    # PyG initialises biases to zero; random ones make the bias path count in every check.
    with torch.no_grad():
        for conv in model.convs:
            conv.bias.normal_(0.0, 0.1)
    return model.eval()


# --------------------------------------------------------------------------
# The hand-written torch path: normalisation precomputed into one CSR matrix
# --------------------------------------------------------------------------
def normalized_adjacency(edge_index, num_nodes):
    """D^-1/2 (A + I) D^-1/2 as GCNConv computes it, as a CSR matrix [target, source]."""
    ei, weight = gcn_norm(edge_index, None, num_nodes, add_self_loops=True, dtype=torch.float32)
    source, target = ei[0], ei[1]
    order = torch.argsort(target)
    counts = torch.bincount(target, minlength=num_nodes)
    crow = torch.zeros(num_nodes + 1, dtype=torch.int64, device=edge_index.device)
    crow[1:] = torch.cumsum(counts, 0)
    # Repeated edges stay as separate entries: SpMM sums them, as message passing does.
    return torch.sparse_csr_tensor(crow, source[order], weight[order], (num_nodes, num_nodes))


def mean_pool_matrix(batch, num_graphs):
    """The [G, N] matrix with 1/|graph| per member node: mean pooling as one SpMM."""
    n = batch.numel()
    counts = torch.bincount(batch, minlength=num_graphs).clamp(min=1).to(torch.float32)
    crow = torch.zeros(num_graphs + 1, dtype=torch.int64, device=batch.device)
    crow[1:] = torch.cumsum(torch.bincount(batch, minlength=num_graphs), 0)
    columns = torch.arange(n, device=batch.device)  # batch is sorted: nodes are already in row order
    return torch.sparse_csr_tensor(crow, columns, 1.0 / counts[batch], (num_graphs, n))


class CsrGCN:
    """A GCN forward over a precomputed normalised adjacency, at the narrower width per layer."""

    def __init__(self, model, features, adjacency, pool=None):
        self.features, self.adjacency, self.pool = features, adjacency, pool
        self.layers = [(conv.lin.weight.detach().t().contiguous(), conv.bias.detach()) for conv in model.convs]
        self.lin = model.lin if isinstance(model, MoleculeGCN) else None
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
# Timing
# --------------------------------------------------------------------------
def summarize(samples):
    """min / median / p90 (nearest rank) / max, as gnnrt bench computes them."""
    s = sorted(samples)
    n = len(s)
    median = s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])
    p90 = s[min(max(int(np.ceil(0.9 * n)), 1), n) - 1]
    return dict(min_ms=s[0], median_ms=median, p90_ms=p90, max_ms=s[-1], mean_ms=sum(s) / n)


def time_calls(fn, device, warmup, iterations):
    """Times fn() per call; the first (cold) call is timed separately and not in the median."""
    cuda = device == "cuda"

    def one_call():
        if cuda:
            start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            stop.record()
            stop.synchronize()
            return start.elapsed_time(stop)
        t0 = time.perf_counter()
        fn()
        return (time.perf_counter() - t0) * 1e3

    with torch.no_grad():
        cold = one_call()
        for _ in range(max(warmup - 1, 0)):
            fn()
        if cuda:
            torch.cuda.synchronize()
        samples = [one_call() for _ in range(iterations)]
    return dict(summarize(samples), cold_ms=cold)


def is_oom(error):
    if isinstance(error, getattr(torch, "OutOfMemoryError", ())) or isinstance(error, MemoryError):
        return True
    text = str(error).lower()
    return "out of memory" in text or "can't allocate memory" in text or "cannot allocate memory" in text


def free_memory(device):
    gc.collect()
    if device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.empty_cache()


class MemoryMeter:
    """Peak device memory above what was allocated when it started (the inputs), in MiB."""

    def __init__(self, device):
        self.device = device
        self.base = 0

    def start(self):
        if self.device == "cuda":
            free_memory(self.device)
            self.base = torch.cuda.memory_allocated()
            torch.cuda.reset_peak_memory_stats()

    def restart_peak(self):
        """Forget one-off peaks (building a CSR matrix) but keep what is still allocated."""
        if self.device == "cuda":
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()

    def peak_mib(self):
        if self.device != "cuda":
            return None
        return round((torch.cuda.max_memory_allocated() - self.base) / 2**20, 1)


# --------------------------------------------------------------------------
# gnnrt
# --------------------------------------------------------------------------
def run_gnnrt(args, arguments, timeout):
    command = [args.gnnrt] + arguments
    if args.verbose:
        print("  $", " ".join(command), flush=True)
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout} s"
    if done.returncode != 0:
        lines = [line for line in (done.stderr + done.stdout).splitlines() if line.strip()]
        message = lines[-1] if lines else f"exit code {done.returncode}"
        return None, ("OOM: " if "out of" in message and "memory" in message else "") + message
    return done.stdout, None


def export_onnx(model, workload, path, example):
    names = ["x", "edge_index"] + (["batch"] if workload["kind"] == "graph" else [])
    axes = {"x": {0: "num_nodes"}, "edge_index": {1: "num_edges"}, "batch": {0: "num_nodes"}}
    dynamic_axes = {name: axes[name] for name in names}
    if workload["kind"] == "node":
        dynamic_axes["out"] = {0: "num_nodes"}
    quiet = io.StringIO()
    with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
        torch.onnx.export(model, example, path, dynamo=False, opset_version=17, input_names=names,
                          output_names=["out"], dynamic_axes=dynamic_axes)


def small_export_graph(workload, seed):
    """A small random graph of the model's width: enough for the exporter to trace.

    For molecule models it is a batch of as many graphs as the workload (pairs of bonded
    nodes): the TorchScript exporter freezes batch.max() + 1 into the file, so the count
    must be the workload's; node and edge counts stay symbolic."""
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


# --------------------------------------------------------------------------
# One workload
# --------------------------------------------------------------------------
def parse_workloads(text):
    workloads = []
    for name in [w.strip() for w in text.split(",") if w.strip()]:
        name = ALIASES.get(name, name)
        if name in NODE_WORKLOADS:
            workloads.append(dict(NODE_WORKLOADS[name], name=name, kind="node"))
        elif name.startswith("molecules-") and name[len("molecules-"):].isdigit() and int(name[10:]) >= 1:
            workloads.append(dict(name=name, kind="graph", graphs=int(name[10:]), dims=MOLECULE_DIMS))
        else:
            known = ", ".join(list(NODE_WORKLOADS) + list(ALIASES) + ["molecules-N"])
            sys.exit(f"compare_pyg.py: unknown workload '{name}'; known: {known}")
    return workloads


def bench_workload(args, workload, card, workdir):
    name = workload["name"]
    folder = os.path.join(workdir, name)
    os.makedirs(folder, exist_ok=True)
    model_path, graph_path = os.path.join(folder, "model.onnx"), os.path.join(folder, "graph.npz")
    rows = []
    methods = args.methods

    def row(method, **fields):
        entry = dict(workload=name, method=method, precision="fp32", median_ms=None, p90_ms=None, min_ms=None,
                     cold_ms=None, peak_mem_mib=None, card=card, device=args.device, error=None,
                     warmup=args.warmup, iterations=args.iterations)
        entry.update(graph_info)
        entry.update(fields)
        rows.append(entry)
        shown = f"{entry['median_ms']:.4f} ms" if entry["median_ms"] is not None else entry["error"]
        print(f"  {METHODS[method]:<36} {shown}", flush=True)
        return entry

    print(f"{name}:", flush=True)
    model = make_model(workload, args.seed)
    graph_info = {}

    # 1. The model, exported once on a small graph; then the graph, made once by gnnrt's
    #    generator for every method.
    export_onnx(model, workload, model_path, small_export_graph(workload, args.seed))
    if workload["kind"] == "graph":
        synthetic = f"molecules={workload['graphs']},seed={args.seed}"
    else:
        synthetic = f"nodes={workload['nodes']},edges={workload['edges']},seed={args.seed}"
    _, error = run_gnnrt(args, ["bench", "--device", "cpu", "--onnx", model_path, "--synthetic", synthetic,
                                "--save-inputs", graph_path, "--iterations", "0"], args.timeout)
    if error:
        for method in methods:
            row(method, error=f"graph generation failed: {error}")
        return rows
    with np.load(graph_path) as npz:
        host_inputs = {key: npz[key] for key in npz.files}
    graph_info = dict(num_nodes=int(host_inputs["x"].shape[0]), num_edges=int(host_inputs["edge_index"].shape[1]),
                      num_graphs=int(host_inputs["batch"].max()) + 1 if "batch" in host_inputs else 1)

    # 2. gnnrt, before torch takes device memory for this workload.
    gnnrt_json = os.path.join(folder, "gnnrt.json")
    gnnrt_row = None
    if "gnnrt" in methods:
        _, error = run_gnnrt(args, ["bench", "--device", args.device, "--onnx", model_path, "--inputs", graph_path,
                                    "--warmup", str(args.warmup), "--iterations", str(args.iterations),
                                    "--json", gnnrt_json], args.timeout)
        if error:
            gnnrt_row = row("gnnrt", error=error)
        else:
            with open(gnnrt_json) as f:
                result = json.load(f)
            latency = result["latency_ms"]
            gnnrt_row = row("gnnrt", median_ms=latency["median"], p90_ms=latency["p90"], min_ms=latency["min"],
                            gnnrt_device_name=result["device_name"], gnnrt_timed=result["timed"],
                            graphs_per_s=result["throughput"]["graphs_per_s"])

    # 3. The torch paths, inputs on the device.
    device = torch.device(args.device)
    inputs = [torch.from_numpy(host_inputs[k]).to(device) for k in ("x", "edge_index", "batch") if k in host_inputs]
    del host_inputs
    model = model.to(device)
    reference = None  # PyG's output, else the CSR path's, on the host
    meter = MemoryMeter(args.device)
    num_graphs = graph_info["num_graphs"]

    def timed(fn):
        try:
            result = time_calls(fn, args.device, args.warmup, args.iterations)
            result["peak_mem_mib"] = meter.peak_mib()
            result["graphs_per_s"] = num_graphs * 1e3 / result["median_ms"] if result["median_ms"] > 0 else None
            return result
        except Exception as e:  # noqa: BLE001: any failure of one path is reported, the run goes on
            return dict(error="OOM" if is_oom(e) else f"{type(e).__name__}: {str(e).splitlines()[0][:300]}")

    eager_oom = False
    if "pyg" in methods:
        meter.start()
        result = timed(lambda: model(*inputs))
        eager_oom = result.get("error") == "OOM"
        row("pyg", **result)
        if "error" not in result:
            with torch.no_grad():
                reference = model(*inputs).float().cpu()
        free_memory(args.device)

    if "compile" in methods:
        if eager_oom and not args.try_compile_after_oom:
            row("compile", error="not run: PyG eager ran out of memory (--try-compile-after-oom to try)")
        else:
            meter.start()
            try:
                compiled = torch.compile(model)
                result = timed(lambda: compiled(*inputs))
            except Exception as e:  # noqa: BLE001
                result = dict(error="OOM" if is_oom(e) else f"{type(e).__name__}: {str(e).splitlines()[0][:300]}")
            row("compile", **result)
            compiled = None
            torch._dynamo.reset()
            free_memory(args.device)

    if "csr" in methods:
        meter.start()
        try:
            with torch.no_grad():
                path = CsrGCN(model, inputs[0], normalized_adjacency(inputs[1], graph_info["num_nodes"]),
                              mean_pool_matrix(inputs[2], num_graphs) if workload["kind"] == "graph" else None)
            meter.restart_peak()  # the matrix stays and is counted; the temporaries of building it are not
            result = timed(path)
            if "error" not in result:
                with torch.no_grad():
                    out = path().float().cpu()
                if reference is not None:
                    result["max_abs_diff_vs_pyg"] = float((out - reference).abs().max()) if out.numel() else 0.0
                    result["matches_pyg"] = bool(torch.allclose(out, reference, atol=CHECK_ATOL, rtol=CHECK_RTOL))
                else:
                    reference = out
        except Exception as e:  # noqa: BLE001
            result = dict(error="OOM" if is_oom(e) else f"{type(e).__name__}: {str(e).splitlines()[0][:300]}")
        path = None
        row("csr", **result)
        free_memory(args.device)

    # 4. gnnrt's output against the reference, with torch's device memory given back.
    del inputs
    model = None
    free_memory(args.device)
    if gnnrt_row is not None and gnnrt_row["error"] is None and reference is not None and not args.no_check:
        expected = os.path.join(folder, "expected.npz")
        np.savez(expected, out=reference.numpy())
        reference = None
        stdout, error = run_gnnrt(args, ["run", "--device", args.device, "--onnx", model_path, "--inputs", graph_path,
                                         "--compare", expected, "--atol", str(CHECK_ATOL), "--rtol", str(CHECK_RTOL)],
                                  args.timeout)
        gnnrt_row["matches_pyg"] = error is None
        gnnrt_row["check"] = (error or next((l for l in stdout.splitlines() if l.startswith("compare out")), "")).strip()
        if error:
            print(f"  gnnrt output check FAILED: {error}", flush=True)
    return rows


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------
def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip() + f" ({torch.get_num_threads()} torch threads)"
    except OSError:
        pass
    return platform.processor() or "CPU"


def cell(row):
    if row is None:
        return "not run"
    if row["error"] is not None:
        return "OOM" if row["error"].startswith("OOM") else "error"
    text = f"{row['median_ms']:.3f} ms"
    if row.get("num_graphs", 1) > 1 and row.get("graphs_per_s"):
        text += f" ({row['graphs_per_s']:,.0f} graphs/s)"
    if row.get("peak_mem_mib"):
        text += f", +{row['peak_mem_mib']:,.0f} MiB"
    if row.get("matches_pyg") is False:
        text += " (output MISMATCH)"
    return text


def markdown(rows, args, card):
    workloads = list(dict.fromkeys(r["workload"] for r in rows))
    lines = [f"# gnnrt vs PyTorch on {card}", "",
             f"One run of `python/compare_pyg.py`, {datetime.date.today().isoformat()}, torch {torch.__version__}. "
             f"Median of {args.iterations} timed calls after {args.warmup} warm-up calls "
             f"({'CUDA events' if args.device == 'cuda' else 'time.perf_counter'}), fp32, TF32 off, seed {args.seed}. "
             "Every method runs on the same graph file and the same weights.", "",
             "- torch paths: inputs already on the device; `+N MiB` is peak device memory above the inputs.",
             "- gnnrt: `gnnrt bench --inputs graph.npz`; each timed call includes the host-side input checks and, "
             "on the GPU, copying the inputs to the device and the outputs back.",
             "- torch CSR: the GCN normalisation precomputed into one CSR matrix, SpMM at the narrower width of "
             "each layer.", "",
             "| workload | nodes / edges | " + " | ".join(METHODS[m] for m in args.methods) +
             (" | fastest torch / gnnrt |" if "gnnrt" in args.methods else " |"),
             "|" + " --- |" * (2 + len(args.methods) + ("gnnrt" in args.methods))]
    for name in workloads:
        by_method = {r["method"]: r for r in rows if r["workload"] == name}
        any_row = next(iter(by_method.values()))
        size = f"{any_row.get('num_nodes', 0):,} / {any_row.get('num_edges', 0):,}"
        if any_row.get("num_graphs", 1) > 1:
            size += f" ({any_row['num_graphs']:,} graphs)"
        cells = [cell(by_method.get(m)) for m in args.methods]
        if "gnnrt" in args.methods:
            torch_times = [r["median_ms"] for m, r in by_method.items() if m != "gnnrt" and r["error"] is None]
            gnnrt = by_method.get("gnnrt")
            if torch_times and gnnrt and gnnrt["error"] is None and gnnrt["median_ms"] > 0:
                cells.append(f"{min(torch_times) / gnnrt['median_ms']:.2f}x")
            else:
                cells.append("-")
        lines.append(f"| {name} | {size} | " + " | ".join(cells) + " |")
    errors = [r for r in rows if r["error"] and not r["error"].startswith("OOM")]
    if errors:
        lines += ["", "Errors:", ""] + [f"- {r['workload']}, {METHODS[r['method']]}: {r['error']}" for r in errors]
    return "\n".join(lines) + "\n"


def write_atomically(path, text):
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=folder, delete=False, suffix=".tmp") as f:
        f.write(text)
        temporary = f.name
    os.replace(temporary, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gnnrt", default="build/gnnrt", help="the gnnrt binary")
    parser.add_argument("--workloads", default="cora,arxiv,reddit,products,molecules-1,molecules-64,molecules-4096",
                        help="comma-separated: tiny, cora, arxiv, reddit, products, molecules-N")
    parser.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    parser.add_argument("--methods", default="pyg,compile,csr,gnnrt",
                        help="comma-separated subset of " + ",".join(METHODS))
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--iterations", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0, help="weights and graphs")
    parser.add_argument("--out", required=True, help="results JSON (a list of rows)")
    parser.add_argument("--markdown", help="results table")
    parser.add_argument("--workdir", help="where models and graphs go (default: a temporary folder, removed)")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per gnnrt call")
    parser.add_argument("--try-compile-after-oom", action="store_true",
                        help="try torch.compile even where PyG eager ran out of memory")
    parser.add_argument("--no-check", action="store_true", help="skip checking gnnrt's output against PyG's")
    parser.add_argument("-v", "--verbose", action="store_true", help="print the gnnrt commands")
    args = parser.parse_args()

    args.methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in args.methods if m not in METHODS]
    if unknown or not args.methods:
        sys.exit(f"compare_pyg.py: unknown method(s) {unknown}; choose from {', '.join(METHODS)}")
    if args.warmup < 1 or args.iterations < 1:
        sys.exit("compare_pyg.py: --warmup and --iterations must be >= 1")
    if not os.access(args.gnnrt, os.X_OK):
        sys.exit(f"compare_pyg.py: no gnnrt binary at {args.gnnrt} (pass --gnnrt path/to/gnnrt)")
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("compare_pyg.py: --device cuda but torch sees no GPU; use --device cpu for a smoke test")
    workloads = parse_workloads(args.workloads)

    # IEEE fp32 everywhere: no TF32 in matmuls or convolutions.
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    card = torch.cuda.get_device_name(0) if args.device == "cuda" else cpu_name()
    print(f"device: {card}; torch {torch.__version__}", flush=True)

    rows = []
    with contextlib.ExitStack() as stack:
        workdir = args.workdir or stack.enter_context(tempfile.TemporaryDirectory(prefix="gnnrt-compare-"))
        for workload in workloads:
            rows += bench_workload(args, workload, card, workdir)
            # Written after every workload, so a crash late in a long run keeps what was measured.
            write_atomically(args.out, json.dumps(rows, indent=1) + "\n")
            if args.markdown:
                write_atomically(args.markdown, markdown(rows, args, card))
    print(f"wrote {args.out}" + (f" and {args.markdown}" if args.markdown else ""))
    mismatches = [r for r in rows if r.get("matches_pyg") is False]
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())

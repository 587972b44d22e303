#!/usr/bin/env python3
"""Generate gnnrt's ONNX test fixtures from PyTorch Geometric models.

For every case (a small PyG model) this script
  * builds the model with a fixed seed (the two real-data cases are trained on
    Cora / CiteSeer, the variants are trained briefly on a small random graph),
  * exports it with BOTH torch.onnx exporters:
      torchscript  dynamo=False, opset 17, dims named via dynamic_axes
      dynamo       dynamo=True,  opset 18, weights in model.onnx.data
  * saves graph inputs (keys = ONNX input names) and PyG's eager output
    (model.eval(), torch.no_grad(), key "out") for several graphs,
  * checks every (case, exporter, graph) with onnxruntime (CPU),
  * writes tests/fixtures/manifest.tsv and tests/fixtures/README.md.

Layout (paths relative to --out):
  <case>/torchscript/model.onnx
  <case>/dynamo/model.onnx + model.onnx.data
  <case>/<graph>.inputs.npz, <case>/<graph>.expected.npz
  <case>/info.json            (what this script measured; README is built from it)
  gcn_cora/, gcn3_citeseer/:   meta.json, labels.npz
  manifest.tsv, README.md

Run from the repository root:
  python3 python/export_pyg.py --data ../shared/data --out tests/fixtures
  python3 python/export_pyg.py --data ../shared/data --out tests/fixtures --only gat sage
A model trained on a graph of your own (docs/INT8.md: the arxiv-size agreement):
  python3 python/export_pyg.py --synthetic g.npz --dims 128 256 256 40 --epochs 60 --out DIR

Works with torch 2.11+ / PyG 2.8 (CPU is enough; everything runs on the CPU
so that the numbers are reproducible).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import io
import json
import os
import shutil
import sys
import time
import warnings
import zlib

import numpy as np

warnings.filterwarnings("ignore")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import torch_geometric  # noqa: E402
from torch_geometric.nn import (  # noqa: E402
    GATConv,
    GCNConv,
    GINConv,
    GraphConv,
    SAGEConv,
    global_add_pool,
    global_mean_pool,
)

import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402

EXPORTERS = ("torchscript", "dynamo")
ATOL, RTOL = 1e-4, 1e-3
EDGE_CASE_GRAPHS = ("empty_edges", "single_node", "isolated", "nan_x")
DIM_NAMES = {"x": {0: "num_nodes"}, "edge_index": {1: "num_edges"},
             "edge_weight": {0: "num_edges"}, "batch": {0: "num_nodes"}}


# --------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------
class GCN(torch.nn.Module):
    """Plain stack of GCNConv layers (PyG's examples/gcn.py shape)."""

    def __init__(self, dims, dropout=0.0, **conv_kw):
        super().__init__()
        self.convs = torch.nn.ModuleList(
            GCNConv(a, b, **conv_kw) for a, b in zip(dims[:-1], dims[1:]))
        self.dropout = dropout

    def forward(self, x, edge_index):
        n = len(self.convs)
        for i, conv in enumerate(self.convs):
            x = F.dropout(x, p=self.dropout, training=self.training)
            x = conv(x, edge_index)
            if i < n - 1:
                x = x.relu()
        return x


class GCNEdgeWeight(torch.nn.Module):
    def __init__(self, dims):
        super().__init__()
        self.conv1 = GCNConv(dims[0], dims[1])
        self.conv2 = GCNConv(dims[1], dims[2])

    def forward(self, x, edge_index, edge_weight):
        x = self.conv1(x, edge_index, edge_weight).relu()
        return self.conv2(x, edge_index, edge_weight)


class GCNPool(torch.nn.Module):
    """2 GCN layers + global pooling + Linear: one output row per graph."""

    def __init__(self, dims, pool):
        super().__init__()
        self.conv1 = GCNConv(dims[0], dims[1])
        self.conv2 = GCNConv(dims[1], dims[1])
        self.lin = torch.nn.Linear(dims[1], dims[2])
        self.pool = pool

    def forward(self, x, edge_index, batch):
        x = self.conv1(x, edge_index).relu()
        x = self.conv2(x, edge_index).relu()
        if self.pool == "mean":
            x = global_mean_pool(x, batch)  # written the way users write it: no size=
        else:
            x = global_add_pool(x, batch)
        return self.lin(x)


class GraphConvNet(torch.nn.Module):
    def __init__(self, dims):
        super().__init__()
        self.conv1 = GraphConv(dims[0], dims[1])
        self.conv2 = GraphConv(dims[1], dims[2])

    def forward(self, x, edge_index):
        return self.conv2(self.conv1(x, edge_index).relu(), edge_index)


class SAGE(torch.nn.Module):
    def __init__(self, dims):
        super().__init__()
        self.conv1 = SAGEConv(dims[0], dims[1], aggr="mean")
        self.conv2 = SAGEConv(dims[1], dims[2], aggr="mean")

    def forward(self, x, edge_index):
        return self.conv2(self.conv1(x, edge_index).relu(), edge_index)


def _mlp(a, h, b):
    return torch.nn.Sequential(torch.nn.Linear(a, h), torch.nn.ReLU(),
                               torch.nn.Linear(h, b))


class GIN(torch.nn.Module):
    def __init__(self, dims):
        super().__init__()
        # eps=0.1 (a buffer, not trained) so that (1 + eps) * x is visible in the
        # file. train_eps=True exports with torch 2.15, but torch 2.11's dynamo
        # exporter fails on it ("AssertionError: Expected same OpOverload packet,
        # got prim.device != aten.add" while translating `1 + self.eps`).
        self.conv1 = GINConv(_mlp(dims[0], dims[1], dims[1]), eps=0.1)
        self.conv2 = GINConv(_mlp(dims[1], dims[1], dims[2]), eps=0.1)

    def forward(self, x, edge_index):
        return self.conv2(self.conv1(x, edge_index).relu(), edge_index)


class GAT(torch.nn.Module):
    """PyG examples/gat.py shape: heads=2 (concat) -> ELU -> heads=1."""

    def __init__(self, dims, heads=2):
        super().__init__()
        self.conv1 = GATConv(dims[0], dims[1] // heads, heads=heads)
        self.conv2 = GATConv(dims[1], dims[2], heads=1, concat=False)

    def forward(self, x, edge_index):
        x = F.elu(self.conv1(x, edge_index))
        return self.conv2(x, edge_index)


# --------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------
# kind: "real" (trained on a real dataset), "node" (node-level variant),
#       "graph" (graph-level variant with a batch vector)
CASES = collections.OrderedDict()


def _case(name, kind, inputs, dims, build, what, **kw):
    CASES[name] = dict(name=name, kind=kind, inputs=list(inputs), dims=list(dims),
                       build=build, what=what, **kw)


_case("gcn_cora", "real", ["x", "edge_index"], [1433, 16, 7],
      lambda d: GCN(d, dropout=0.5),
      "2-layer GCNConv trained on Cora (real graph, 2708 nodes, 1433 sparse binary features)",
      dataset="cora", epochs=200, x_density=0.0127, edge_cases=True)
_case("gcn3_citeseer", "real", ["x", "edge_index"], [3703, 64, 64, 6],
      lambda d: GCN(d, dropout=0.5),
      "3-layer GCNConv trained on CiteSeer (3327 nodes, 3703 features)",
      dataset="citeseer", epochs=200, x_density=0.0086)
_case("gcn_edge_weight", "node", ["x", "edge_index", "edge_weight"], [12, 16, 5],
      GCNEdgeWeight, "GCNConv with a float32 [E] edge_weight input (weighted degree)")
_case("gcn_improved", "node", ["x", "edge_index"], [10, 16, 4],
      lambda d: GCN(d, improved=True), "GCNConv(improved=True): self-loop weight 2")
_case("gcn_no_self_loops", "node", ["x", "edge_index"], [9, 16, 6],
      lambda d: GCN(d, add_self_loops=False),
      "GCNConv(add_self_loops=False): isolated nodes have degree 0 (inf -> 0 masking)")
_case("gcn_no_normalize", "node", ["x", "edge_index"], [11, 16, 5],
      lambda d: GCN(d, normalize=False), "GCNConv(normalize=False): plain sum aggregation, no gcn_norm")
_case("gcn_no_bias", "node", ["x", "edge_index"], [13, 16, 7],
      lambda d: GCN(d, bias=False), "GCNConv(bias=False)")
_case("gcn_graph_mean_pool", "graph", ["x", "edge_index", "batch"], [8, 16, 4],
      lambda d: GCNPool(d, "mean"),
      "2 GCN + global_mean_pool(x, batch) (no size=) + Linear; one row per graph")
_case("gcn_graph_add_pool", "graph", ["x", "edge_index", "batch"], [14, 16, 3],
      lambda d: GCNPool(d, "add"),
      "2 GCN + global_add_pool(x, batch) (no size=) + Linear; one row per graph")
_case("graphconv", "node", ["x", "edge_index"], [16, 16, 5], GraphConvNet,
      "2-layer GraphConv (sum aggregation, lin_rel + lin_root)")
_case("sage", "node", ["x", "edge_index"], [20, 16, 6], SAGE,
      "2-layer SAGEConv(aggr='mean') (mean aggregation, lin_l + lin_r)")
_case("gin", "node", ["x", "edge_index"], [24, 16, 4], GIN,
      "2-layer GINConv(eps=0.1), MLP Linear-ReLU-Linear: (1 + eps) * x + sum of neighbours")
_case("gat", "node", ["x", "edge_index"], [32, 16, 7], GAT,
      "GATConv heads=2 (concat) -> ELU -> GATConv heads=1; LeakyReLU + edge softmax",
      edge_cases=True)
_case("gcn_default_names", "node", ["x", "edge_index"], [8, 16, 4], GCN,
      "small 2-layer GCN exported with UNNAMED dynamic dims (exporter default dim names)",
      default_names=True)


def case_seed(name: str) -> int:
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


# --------------------------------------------------------------------------
# Graph generation
# --------------------------------------------------------------------------
def random_edges(rng, n, m_undirected, n_isolated, self_loops=0, alpha=1.1):
    """Undirected simple graph stored with both directions, power-law-ish degrees.

    `n_isolated` nodes get no edge at all; `self_loops` extra (i, i) edges are
    appended (GCN removes and re-adds them); columns are shuffled (unsorted)."""
    if n <= 1 or m_undirected == 0:
        ei = np.zeros((2, 0), np.int64)
    else:
        perm = rng.permutation(n)
        active = perm[n_isolated:]
        w = 1.0 / (np.arange(len(active)) + 1.0) ** alpha
        w /= w.sum()
        max_pairs = len(active) * (len(active) - 1) // 2
        m_undirected = min(m_undirected, max_pairs)
        pairs = set()
        while len(pairs) < m_undirected:
            a = rng.choice(active, p=w)
            b = rng.choice(active)  # one end preferential, the other uniform
            if a == b:
                continue
            pairs.add((min(a, b), max(a, b)))
        p = np.array(sorted(pairs), np.int64).T
        ei = np.concatenate([p, p[::-1]], axis=1)
        if self_loops:
            loops = rng.choice(active, size=self_loops, replace=False)
            ei = np.concatenate([ei, np.stack([loops, loops])], axis=1)
        ei = ei[:, rng.permutation(ei.shape[1])]
    return np.ascontiguousarray(ei.astype(np.int64))


def node_features(rng, n, f, density=None):
    if density is not None:  # bag-of-words-like binary features (Cora / CiteSeer)
        x = (rng.random((n, f)) < density).astype(np.float32)
    else:
        x = rng.standard_normal((n, f)).astype(np.float32)
    return x


def make_node_graph(rng, spec, n, m, n_iso, self_loops=0):
    d = spec["dims"][0]
    g = {"x": node_features(rng, n, d, spec.get("x_density")),
         "edge_index": random_edges(rng, n, m, n_iso, self_loops)}
    if "edge_weight" in spec["inputs"]:
        g["edge_weight"] = rng.uniform(0.2, 2.0, g["edge_index"].shape[1]).astype(np.float32)
    return g


def make_batch(rng, spec, sizes):
    """A mini-batch of len(sizes) small graphs, PyG style: concatenated nodes,
    offset edge indices, sorted batch vector."""
    xs, eis, bs = [], [], []
    off = 0
    for gi, n in enumerate(sizes):
        n_iso = 1 if gi % 3 == 1 else 0
        m = max(1, int(n * 1.3))
        ei = random_edges(rng, n, m, n_iso)
        xs.append(node_features(rng, n, spec["dims"][0]))
        eis.append(ei + off)
        bs.append(np.full(n, gi, np.int64))
        off += n
    ei = np.concatenate(eis, axis=1)
    ei = ei[:, rng.permutation(ei.shape[1])]
    return {"x": np.concatenate(xs), "edge_index": np.ascontiguousarray(ei),
            "batch": np.concatenate(bs)}


def graph_plan(spec):
    """(graph id, node count, undirected edges, isolated nodes, self loops)."""
    if spec["kind"] == "real":
        if spec["dataset"] == "cora":
            return [("g1", 120, 260, 9, 0), ("g2", 257, 640, 17, 3)]
        return [("g1", 90, 150, 7, 0), ("g2", 211, 420, 15, 3)]
    return [("g0", 40, 70, 4, 0), ("g1", 23, 31, 3, 0), ("g2", 61, 130, 6, 2)]


# graph-level cases: number of graphs per batch. g0 (export/training batch) and
# g1 share the graph count (see the frozen-graph-count trap), g2 has more.
BATCH_PLAN = {"g0": [7, 9, 5, 11], "g1": [6, 4, 12, 8], "g2": [5, 8, 3, 10, 6, 9, 4]}
FROZEN_MISMATCH_SIZES = [9, 6]


def edge_case_graphs(rng, spec):
    d, dens = spec["dims"][0], spec.get("x_density")
    gs = collections.OrderedDict()
    gs["empty_edges"] = {"x": node_features(rng, 5, d, dens),
                         "edge_index": np.zeros((2, 0), np.int64)}
    gs["single_node"] = {"x": node_features(rng, 1, d, dens),
                         "edge_index": np.zeros((2, 0), np.int64)}
    iso = {"x": node_features(rng, 20, d, dens),
           "edge_index": np.array([[2, 3, 3, 11, 11, 17], [3, 2, 11, 3, 17, 11]], np.int64)}
    gs["isolated"] = iso
    nan = {"x": node_features(rng, 15, d, dens), "edge_index": random_edges(rng, 15, 20, 2)}
    nan["x"][4, 0] = np.nan  # one NaN entry poisons node 4 and what it reaches
    gs["nan_x"] = nan
    for g in gs.values():
        g["x"] = np.ascontiguousarray(g["x"].astype(np.float32))
    return gs


# --------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------
def to_torch(g):
    return {k: torch.from_numpy(np.asarray(v)) for k, v in g.items()}


def call(model, spec, g):
    t = to_torch(g)
    return model(*[t[k] for k in spec["inputs"]])


def train_real(model, spec, data):
    g = {"x": data["x"], "edge_index": data["edge_index"]}
    y = torch.from_numpy(data["y"])
    tr = torch.from_numpy(data["train_mask"])
    te = torch.from_numpy(data["test_mask"])
    opt = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
    for _ in range(spec["epochs"]):
        model.train()
        opt.zero_grad()
        out = call(model, spec, g)
        loss = F.cross_entropy(out[tr], y[tr])
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        pred = call(model, spec, g).argmax(1)
    return float((pred[te] == y[te]).float().mean())


def train_variant(model, spec, g, rng, epochs=60, y=None):
    """Brief training on the export graph with a learnable synthetic target (y,
    or by default the argmax of x @ a random projection), so that biases / eps /
    attention vectors are no longer at their init values. Returns the target."""
    if y is None:
        out_dim = spec["dims"][-1]
        proj = torch.from_numpy(rng.standard_normal((spec["dims"][0], out_dim)).astype(np.float32))
        x = torch.from_numpy(g["x"])
        if spec["kind"] == "graph":
            b = torch.from_numpy(g["batch"])
            y = global_mean_pool(x, b) @ proj
        else:
            y = x @ proj
        y = y.argmax(1)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    model.train()
    for _ in range(epochs):
        opt.zero_grad()
        loss = F.cross_entropy(call(model, spec, g), y)
        loss.backward()
        opt.step()
    model.eval()
    return y


def export_synthetic(graph_path, dims, epochs, out_dir):
    """--synthetic: a GCN of `dims` trained on one given graph (x, edge_index:
    e.g. `gnnrt bench --graph arxiv-size --save-inputs g.npz --iterations 0`)
    with train_variant's learnable synthetic labels, exported with the
    TorchScript exporter to out_dir/model.onnx, with out_dir/labels.npz (y and
    a test_mask of every node: the labels were fit on all of them, so accuracy
    there says how well they were learnt, not how well they generalise)."""
    d = np.load(graph_path)
    g = {"x": np.ascontiguousarray(d["x"], np.float32),
         "edge_index": np.ascontiguousarray(d["edge_index"], np.int64)}
    if g["x"].ndim != 2 or g["x"].shape[1] != dims[0]:
        raise SystemExit(f"{graph_path}: x is {list(g['x'].shape)}, expected [N, {dims[0]}] for --dims {dims}")
    spec = dict(name="synthetic", kind="node", inputs=["x", "edge_index"], dims=list(dims))
    seed = case_seed("synthetic")
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = GCN(dims)
    t0 = time.time()
    # The target: argmax of A^L x P, A the GCN-normalised adjacency, L the number of layers, P a
    # random projection: what the GCN can represent exactly (W1 = [P, -P] through the ReLUs, then
    # identities), so the labels are learnable on any graph. x @ P alone (the fixtures' target) is
    # not, on a graph of mean degree 14: each layer mixes a node's own features with its neighbours'.
    with torch.no_grad():
        h = torch.from_numpy(g["x"]) @ torch.from_numpy(
            rng.standard_normal((dims[0], dims[-1])).astype(np.float32))
        propagate = GCNConv(dims[-1], dims[-1], bias=False)
        propagate.lin.weight.copy_(torch.eye(dims[-1]))
        edge_index = torch.from_numpy(g["edge_index"])
        for _ in range(len(dims) - 1):
            h = propagate(h, edge_index)
        target = h.argmax(1)
    y = train_variant(model, spec, g, rng, epochs, y=target)
    with torch.no_grad():
        accuracy = float((call(model, spec, g).argmax(1) == y).float().mean())
    os.makedirs(out_dir, exist_ok=True)
    args = tuple(to_torch(g)[k] for k in spec["inputs"])
    export_torchscript(model, spec, args, os.path.join(out_dir, "model.onnx"), False)
    save_npz(os.path.join(out_dir, "labels.npz"),
             {"y": y.numpy().astype(np.int64), "test_mask": np.ones(len(y), bool)})
    print(f"{graph_path}: GCN {dims}, {epochs} epochs in {time.time() - t0:.0f} s, "
          f"accuracy on the synthetic labels {100 * accuracy:.2f} %; wrote {out_dir}/model.onnx, labels.npz")


# --------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------
@contextlib.contextmanager
def quiet():
    """Swallow the exporters' progress chatter (stdout/stderr) unless -v."""
    if VERBOSE:
        yield
        return
    so, se = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(so), contextlib.redirect_stderr(se):
        yield


def export_torchscript(model, spec, args, path, default_names):
    names = spec["inputs"]
    if default_names:
        dyn = {k: list(DIM_NAMES[k].keys()) for k in names}  # lists -> default names
    else:
        dyn = {k: DIM_NAMES[k] for k in names}
    with quiet():
        torch.onnx.export(model, args, path, dynamo=False, opset_version=17,
                          input_names=names, output_names=["out"], dynamic_axes=dyn)


def export_dynamo(model, spec, args, path, default_names):
    """Returns a note (str) when the plain export failed and a retry was needed."""
    names = spec["inputs"]
    Dim = torch.export.Dim

    def attempt(dims):
        shapes = {k: {ax: dims[nm] for ax, nm in DIM_NAMES[k].items()} for k in names}
        with quiet():
            torch.onnx.export(model, args, path, dynamo=True, opset_version=18,
                              external_data=True, input_names=names,
                              output_names=["out"], dynamic_shapes=shapes)

    note = None
    if default_names:
        auto = getattr(Dim, "DYNAMIC", None) or getattr(Dim, "AUTO")
        attempt({"num_nodes": auto, "num_edges": auto})
    else:
        try:
            attempt({"num_nodes": Dim("num_nodes"), "num_edges": Dim("num_edges")})
        except Exception as e:  # noqa: BLE001
            # e.g. GATConv: `if index.numel() == 0` on (num_nodes + #non-loop edges)
            # cannot be decided unless num_nodes >= 1 is known.
            note = (f"plain Dim('num_nodes') failed ({_first_line(e, 'Exception summary')}); "
                    f"exported with Dim('num_nodes', min=1)")
            for f in (path, path + ".data"):
                if os.path.exists(f):
                    os.remove(f)
            attempt({"num_nodes": Dim("num_nodes", min=1), "num_edges": Dim("num_edges")})
    data = path + ".data"
    if not os.path.exists(data):
        # Make sure the weights live in model.onnx.data even when the exporter
        # decided to inline them (tiny models).
        m = onnx.load(path)
        onnx.save_model(m, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=os.path.basename(data), size_threshold=0)
    strip_stack_traces(path)
    return note


def strip_stack_traces(path):
    """Drop the per-node 'pkg.torch.onnx.stack_trace' metadata of dynamo files:
    it holds absolute paths of this machine and PyG's randomly named generated
    modules, so the files would differ from run to run. The other metadata
    (namespace, class_hierarchy, name_scopes, fx_node) is kept."""
    m = onnx.load(path, load_external_data=False)

    def walk(g):
        for n in g.node:
            keep = [p for p in n.metadata_props if p.key != "pkg.torch.onnx.stack_trace"]
            if len(keep) != len(n.metadata_props):
                del n.metadata_props[:]
                n.metadata_props.extend(keep)
            for a in n.attribute:
                if a.type == onnx.AttributeProto.GRAPH:
                    walk(a.g)
                elif a.type == onnx.AttributeProto.GRAPHS:
                    for sg in a.graphs:
                        walk(sg)
    walk(m.graph)
    onnx.save_model(m, path)  # external_data entries untouched; model.onnx.data stays


def _first_line(e, after=None):
    """A short, useful line of an exception message (the exporters' are long)."""
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
    if after:
        for i, ln in enumerate(lines):
            if after in ln and i + 1 < len(lines):
                return f"{type(e).__name__}: {lines[i + 1]}"[:400]
    return f"{type(e).__name__}: {lines[0] if lines else ''}"[:400]


NOTED_ATTRS = {"ScatterElements": "reduction", "ScatterND": "reduction", "Gather": "axis",
               "LeakyRelu": "alpha", "Clip": None}


def collect_ops(graph, counter, attrs=None):
    """Count op types in graph and (recursively) in If/Loop/Scan subgraphs.
    attrs (optional Counter) gets 'Op[attr=value]' for a few attributes that
    matter to a runtime (ScatterElements reduction, ...)."""
    n = 0
    for node in graph.node:
        op = node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}::{node.op_type}"
        counter[op] += 1
        n += 1
        if attrs is not None and node.op_type in NOTED_ATTRS and NOTED_ATTRS[node.op_type]:
            key = NOTED_ATTRS[node.op_type]
            val = "default"
            for a in node.attribute:
                if a.name == key:
                    v = onnx.helper.get_attribute_value(a)
                    val = v.decode() if isinstance(v, bytes) else (round(v, 4) if isinstance(v, float) else v)
            attrs[f"{node.op_type}[{key}={val}]"] += 1
        for a in node.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                n += collect_ops(a.g, counter, attrs)
            elif a.type == onnx.AttributeProto.GRAPHS:
                for sg in a.graphs:
                    n += collect_ops(sg, counter, attrs)
    return n


def dims_of(vi):
    return [d.dim_param if d.HasField("dim_param") else int(d.dim_value)
            for d in vi.type.tensor_type.shape.dim]


def inspect_onnx(path):
    m = onnx.load(path, load_external_data=False)
    ops, attrs = collections.Counter(), collections.Counter()
    total = collect_ops(m.graph, ops, attrs)
    for fn in m.functions:  # local functions (normally inlined by the exporters)
        total += collect_ops(fn, ops, attrs)
    n_sub = total - len(m.graph.node)
    ext = sorted({e.value for t in m.graph.initializer for e in t.external_data
                  if e.key == "location"})
    n_ext = sum(1 for t in m.graph.initializer if t.data_location == onnx.TensorProto.EXTERNAL)
    return {
        "inputs": [i.name for i in m.graph.input],
        "input_dims": {i.name: dims_of(i) for i in m.graph.input},
        "outputs": [o.name for o in m.graph.output],
        "output_dims": {o.name: dims_of(o) for o in m.graph.output},
        "nodes": len(m.graph.node),
        "nodes_in_subgraphs": n_sub,
        "ops": dict(sorted(ops.items())),
        "attrs": dict(sorted(attrs.items())),
        "opset": {o.domain or "ai.onnx": o.version for o in m.opset_import},
        "ir_version": m.ir_version,
        "initializers": len(m.graph.initializer),
        "external_data_files": ext,
        "initializers_external": n_ext,
        "functions": len(m.functions),
    }


# --------------------------------------------------------------------------
# Frozen-graph-count analysis
# --------------------------------------------------------------------------
def frozen_count_analysis(path, num_graphs):
    """Find where the export-time graph count ends up in a pooling model."""
    m = onnx.load(path)  # with external data: small initializers may live in model.onnx.data
    producers = {o: n for n in m.graph.node for o in n.output}
    inits = {t.name: t for t in m.graph.initializer}
    consts = {}
    for n in m.graph.node:
        if n.op_type == "Constant":
            for a in n.attribute:
                if a.name == "value":
                    consts[n.output[0]] = onnx.numpy_helper.to_array(a.t)
    for name, t in inits.items():
        if len(t.dims) <= 2 and int(np.prod(t.dims)) <= 64:
            consts[name] = onnx.numpy_helper.to_array(t)
    users = collections.defaultdict(list)
    for n in m.graph.node:
        for i in n.input:
            users[i].append(n)
    findings = []
    for name, arr in consts.items():
        flat = arr.reshape(-1).tolist()
        holds_value = arr.dtype.kind in "iu" and arr.size <= 8 and num_graphs in flat
        # a folded constant whose SHAPE is the graph count and which a
        # ScatterElements scatters into (e.g. the per-graph node counts of a mean)
        feeds_scatter = any(u.op_type == "ScatterElements" and u.input[0] == name
                            for u in users.get(name, []))
        holds_shape = arr.ndim >= 1 and arr.shape[0] == num_graphs and feeds_scatter
        if not (holds_value or holds_shape):
            continue
        src = producers.get(name)
        uses = []
        for u in users.get(name, []):
            downstream = [f"{v.op_type}({v.name})" for o in u.output for v in users.get(o, [])]
            uses.append(f"{u.op_type}({u.name}) -> {', '.join(downstream) or 'graph output'}")
        findings.append({
            "tensor": name,
            "defined_by": f"{src.op_type}({src.name})" if src is not None else "initializer",
            "how": ("value" if holds_value else f"shape {list(arr.shape)}"),
            "value": flat if arr.size <= 8 else f"{arr.dtype} {list(arr.shape)}",
            "dtype": str(arr.dtype),
            "used_by": uses,
        })
    # also: is there any data-dependent path (ReduceMax over batch)?
    ops = collections.Counter(n.op_type for n in m.graph.node)
    return {"num_graphs_at_export": num_graphs, "constants_holding_it": findings,
            "has_ReduceMax": ops.get("ReduceMax", 0) > 0,
            "output_dims": [dims_of(o) for o in m.graph.output]}


# --------------------------------------------------------------------------
# ORT check
# --------------------------------------------------------------------------
_SESSIONS = {}


def ort_run(onnx_path, inputs_npz):
    if onnx_path not in _SESSIONS:
        so = ort.SessionOptions()
        so.log_severity_level = 4
        _SESSIONS[onnx_path] = ort.InferenceSession(onnx_path, so,
                                                    providers=["CPUExecutionProvider"])
    with np.load(inputs_npz) as z:
        feed = {k: z[k] for k in z.files}
    return _SESSIONS[onnx_path].run(["out"], feed)[0]


def ort_check(onnx_path, inputs_npz, expected_npz):
    try:
        got = ort_run(onnx_path, inputs_npz)
        with np.load(expected_npz) as z:
            exp = z["out"]
    except Exception as e:  # noqa: BLE001
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        return {"status": "ort_error", "detail": msg[:300]}
    if got.shape != exp.shape:
        return {"status": "shape_mismatch", "detail": f"got {list(got.shape)} expected {list(exp.shape)}"}
    nan_exp, nan_got = np.isnan(exp), np.isnan(got)
    if not np.array_equal(nan_exp, nan_got):
        return {"status": "nan_mismatch",
                "detail": f"NaN count got {int(nan_got.sum())} expected {int(nan_exp.sum())}"}
    ok = np.allclose(got, exp, atol=ATOL, rtol=RTOL, equal_nan=True)
    fin = ~nan_exp
    err = float(np.max(np.abs(got[fin] - exp[fin]))) if fin.any() else 0.0
    return {"status": "ok" if ok else "mismatch", "max_abs_err": err}


# --------------------------------------------------------------------------
# Per-case driver
# --------------------------------------------------------------------------
def save_npz(path, arrays):
    np.savez_compressed(path, **{k: np.ascontiguousarray(v) for k, v in arrays.items()})


def graph_stats(g):
    s = {"num_nodes": int(g["x"].shape[0]), "num_edges": int(g["edge_index"].shape[1])}
    if "batch" in g:
        s["num_graphs"] = int(g["batch"].max()) + 1 if g["batch"].size else 0
    if np.isnan(g["x"]).any():
        s["nan_rows"] = int(np.isnan(g["x"]).any(1).sum())
    return s


def load_dataset(data_dir, name):
    with np.load(os.path.join(data_dir, f"{name}.npz")) as z:
        d = {k: z[k] for k in z.files}
    d["x"] = d["x"].astype(np.float32)
    d["edge_index"] = d["edge_index"].astype(np.int64)
    d["y"] = d["y"].astype(np.int64)
    for k in ("train_mask", "val_mask", "test_mask"):
        d[k] = d[k].astype(bool)
    return d


def run_case(spec, data_dir, out_dir):
    name = spec["name"]
    cdir = os.path.join(out_dir, name)
    if os.path.isdir(cdir):
        shutil.rmtree(cdir)
    os.makedirs(cdir)
    seed = case_seed(name)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    t0 = time.time()
    info = {"case": name, "kind": spec["kind"], "what": spec["what"], "inputs": spec["inputs"],
            "dims": spec["dims"], "seed": seed, "graphs": {}, "exports": {}, "ort": {},
            "manifest": [], "excluded": []}

    model = spec["build"](spec["dims"])
    graphs = collections.OrderedDict()
    if spec["kind"] == "real":
        data = load_dataset(data_dir, spec["dataset"])
        graphs["g0"] = {"x": data["x"], "edge_index": data["edge_index"]}
        acc = train_real(model, spec, data)
        meta = {"pyg_test_accuracy": acc, "dataset": spec["dataset"], "dims": spec["dims"],
                "epochs": spec["epochs"], "optimizer": "Adam lr=0.01 weight_decay=5e-4",
                "dropout": 0.5, "seed": seed, "torch": torch.__version__,
                "torch_geometric": torch_geometric.__version__}
        with open(os.path.join(cdir, "meta.json"), "w") as f:
            json.dump(meta, f, indent=2)
        save_npz(os.path.join(cdir, "labels.npz"), {"y": data["y"], "test_mask": data["test_mask"]})
        info["pyg_test_accuracy"] = acc
        for gid, n, m, iso, loops in graph_plan(spec):
            graphs[gid] = make_node_graph(rng, spec, n, m, iso, loops)
    elif spec["kind"] == "graph":
        for gid, sizes in BATCH_PLAN.items():
            graphs[gid] = make_batch(rng, spec, sizes)
        train_variant(model, spec, graphs["g0"], rng)
    else:
        for gid, n, m, iso, loops in graph_plan(spec):
            graphs[gid] = make_node_graph(rng, spec, n, m, iso, loops)
        train_variant(model, spec, graphs["g0"], rng)
    if spec.get("edge_cases"):
        graphs.update(edge_case_graphs(rng, spec))
    frozen = None
    if name == "gcn_graph_mean_pool":
        frozen = make_batch(rng, spec, FROZEN_MISMATCH_SIZES)
    model.eval()

    # inputs + PyG eager outputs
    def save_graph(gid, g):
        with torch.no_grad():
            out = call(model, spec, g).numpy().astype(np.float32)
        save_npz(os.path.join(cdir, f"{gid}.inputs.npz"), {k: g[k] for k in spec["inputs"]})
        save_npz(os.path.join(cdir, f"{gid}.expected.npz"), {"out": out})
        st = graph_stats(g)
        st["out_shape"] = list(out.shape)
        st["out_nan_rows"] = int(np.isnan(out).any(1).sum()) if out.ndim == 2 else 0
        return st

    for gid, g in graphs.items():
        info["graphs"][gid] = save_graph(gid, g)
    if frozen is not None:
        info["frozen_mismatch"] = {"graph": save_graph("frozen_mismatch", frozen)}
        with torch.no_grad():
            frozen_exp = call(model, spec, frozen).numpy()

    # exports (example input = graph 0)
    args = tuple(torch.from_numpy(graphs["g0"][k]) for k in spec["inputs"])
    for exp in EXPORTERS:
        edir = os.path.join(cdir, exp)
        os.makedirs(edir)
        path = os.path.join(edir, "model.onnx")
        fn = export_torchscript if exp == "torchscript" else export_dynamo
        try:
            note = fn(model, spec, args, path, spec.get("default_names", False))
            ins = inspect_onnx(path)
            if note:
                ins["note"] = note
                print(f"  .. {name}/{exp}: {note}")
            assert ins["inputs"] == spec["inputs"], f"input names {ins['inputs']} != {spec['inputs']}"
            assert ins["outputs"] == ["out"], f"output names {ins['outputs']} != ['out']"
            if exp == "dynamo":
                assert os.path.exists(path + ".data"), "model.onnx.data missing"
            ins["ok"] = True
            info["exports"][exp] = ins
        except Exception as e:  # noqa: BLE001
            msg = _first_line(e, "Exception summary")
            info["exports"][exp] = {"ok": False, "error": msg[:500]}
            shutil.rmtree(edir, ignore_errors=True)
            print(f"  !! {name}/{exp}: export failed: {msg[:200]}")

    # manifest rows + ORT check
    n_export = info["graphs"]["g0"].get("num_graphs")
    for exp in EXPORTERS:
        if not info["exports"][exp]["ok"]:
            continue
        onnx_rel = f"{name}/{exp}/model.onnx"
        for gid in graphs:
            row = [name, exp, gid, onnx_rel, f"{name}/{gid}.inputs.npz", f"{name}/{gid}.expected.npz"]
            r = ort_check(os.path.join(out_dir, row[3]), os.path.join(out_dir, row[4]),
                          os.path.join(out_dir, row[5]))
            info["ort"][f"{exp}/{gid}"] = r
            ng = info["graphs"][gid].get("num_graphs")
            if exp == "torchscript" and ng is not None and ng != n_export:
                # The torchscript file froze the graph count: this row is not
                # something the ONNX file itself computes. Keep it out.
                info["excluded"].append({"row": row, "why": f"torchscript froze num_graphs={n_export}, "
                                                           f"this batch has {ng}"})
                continue
            info["manifest"].append(row)
        if frozen is not None:
            r = ort_check(os.path.join(out_dir, onnx_rel),
                          os.path.join(cdir, "frozen_mismatch.inputs.npz"),
                          os.path.join(cdir, "frozen_mismatch.expected.npz"))
            info["ort"][f"{exp}/frozen_mismatch"] = r
            if exp == "torchscript":
                # What exactly does the frozen file compute for this batch?
                try:
                    got = ort_run(os.path.join(out_dir, onnx_rel),
                                  os.path.join(cdir, "frozen_mismatch.inputs.npz"))
                    k = frozen_exp.shape[0]
                    bias = model.lin.bias.detach().numpy()
                    info["frozen_mismatch"]["torchscript_ort"] = {
                        "out_shape": list(got.shape),
                        "first_rows_match_pyg": bool(np.allclose(got[:k], frozen_exp, atol=ATOL, rtol=RTOL)),
                        "extra_rows": int(got.shape[0] - k),
                        "extra_rows_equal_lin_bias": bool(np.allclose(got[k:], bias[None, :], atol=1e-6)),
                    }
                except Exception as e:  # noqa: BLE001
                    info["frozen_mismatch"]["torchscript_ort"] = {"error": _first_line(e)}
    if spec["kind"] == "real":
        # accuracy of the ONNX files themselves (argmax of onnxruntime's logits)
        info["ort_test_accuracy"] = {}
        y, te = data["y"], data["test_mask"]
        for exp in EXPORTERS:
            if info["exports"][exp]["ok"]:
                try:
                    got = ort_run(os.path.join(cdir, exp, "model.onnx"),
                                  os.path.join(cdir, "g0.inputs.npz"))
                    info["ort_test_accuracy"][exp] = float((got.argmax(1)[te] == y[te]).mean())
                except Exception as e:  # noqa: BLE001
                    info["ort_test_accuracy"][exp] = _first_line(e)
    if spec["kind"] == "graph" and info["exports"]["torchscript"]["ok"]:
        info["frozen_analysis"] = frozen_count_analysis(
            os.path.join(cdir, "torchscript", "model.onnx"), n_export)
        if info["exports"]["dynamo"]["ok"]:
            info["frozen_analysis_dynamo"] = frozen_count_analysis(
                os.path.join(cdir, "dynamo", "model.onnx"), n_export)
    info["seconds"] = round(time.time() - t0, 1)
    with open(os.path.join(cdir, "info.json"), "w") as f:
        json.dump(info, f, indent=1)
    return info


# --------------------------------------------------------------------------
# Manifest, tables, README
# --------------------------------------------------------------------------
def load_infos(out_dir):
    infos = collections.OrderedDict()
    for name in CASES:
        p = os.path.join(out_dir, name, "info.json")
        if os.path.exists(p):
            with open(p) as f:
                infos[name] = json.load(f)
    return infos


def write_manifest(out_dir, infos):
    rows = [r for info in infos.values() for r in info["manifest"]]
    with open(os.path.join(out_dir, "manifest.tsv"), "w") as f:
        f.write("case\texporter\tgraph\tonnx\tinputs\texpected\n")
        for r in rows:
            f.write("\t".join(r) + "\n")
    return rows


def fmt_ort(r):
    if r["status"] == "ok":
        return f"ok ({r['max_abs_err']:.1e})"
    if r["status"] == "mismatch":
        return f"MISMATCH max_abs_err={r['max_abs_err']:.3g}"
    return f"{r['status'].upper()}: {r.get('detail', '')}"


def ort_table(infos):
    lines = ["| case | exporter | graph | nodes | edges | out shape | onnxruntime vs PyG |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for name, info in infos.items():
        for key, r in info["ort"].items():
            exp, gid = key.split("/")
            g = info["graphs"].get(gid) or info.get("frozen_mismatch", {}).get("graph", {})
            in_manifest = any(row[1] == exp and row[2] == gid for row in info["manifest"])
            note = "" if in_manifest else " (not in manifest)"
            lines.append(f"| {name} | {exp} | {gid}{note} | {g.get('num_nodes')} | "
                         f"{g.get('num_edges')} | {g.get('out_shape')} | {fmt_ort(r)} |")
    return "\n".join(lines)


def op_tables(infos):
    union = collections.Counter()
    per = {}
    for name, info in infos.items():
        for exp in EXPORTERS:
            e = info["exports"].get(exp, {})
            if e.get("ok"):
                per[(name, exp)] = e
                union.update({k: 1 for k in e["ops"]})
    return union, per


def write_readme(out_dir, infos, total_size):
    union, per = op_tables(infos)
    ops_by_exp = {exp: sorted({op for (n, e), v in per.items() if e == exp for op in v["ops"]})
                  for exp in EXPORTERS}
    L = []
    A = L.append
    A("# gnnrt ONNX test fixtures (generated; do not edit by hand)\n")
    A("Made by `python/export_pyg.py` from PyTorch Geometric models. Regenerate everything from the "
      "repository root with\n")
    A("```\npython3 python/export_pyg.py --data ../shared/data --out tests/fixtures\n```\n")
    A("(`--only CASE ...` regenerates some cases; manifest.tsv and this README are rebuilt from every "
      "`<case>/info.json` present). Everything runs on the CPU with fixed seeds "
      "(per-case seed = crc32(case name)).\n")
    vers = sorted({(i.get('versions', {}).get('torch'), i.get('versions', {}).get('torch_geometric'),
                    i.get('versions', {}).get('onnx'), i.get('versions', {}).get('onnxruntime'),
                    i.get('versions', {}).get('onnxscript')) for i in infos.values()})
    A("Versions used: " + "; ".join(
        f"torch {v[0]}, torch_geometric {v[1]}, onnx {v[2]}, onnxruntime {v[3]}, onnxscript {v[4]}"
        for v in vers) + f"; Python {sys.version.split()[0]}, numpy {np.__version__}.\n")
    A(f"Total size of tests/fixtures: {total_size}.\n")

    A("## Layout\n")
    A("```\nmanifest.tsv                      case, exporter, graph, onnx, inputs, expected "
      "(paths relative to tests/fixtures)\n"
      "<case>/torchscript/model.onnx     torch.onnx.export(dynamo=False, opset_version=17), dims named "
      "by dynamic_axes\n"
      "<case>/dynamo/model.onnx          torch.onnx.export(dynamo=True, opset_version=18, "
      "external_data=True), dims from torch.export.Dim\n"
      "<case>/dynamo/model.onnx.data     its weights (external data)\n"
      "<case>/<graph>.inputs.npz         inputs, keys = ONNX input names "
      "(x float32 [N,F], edge_index int64 [2,E], edge_weight float32 [E], batch int64 [N])\n"
      "<case>/<graph>.expected.npz       PyG eager output (model.eval(), torch.no_grad()), key `out` "
      "(float32)\n"
      "<case>/info.json                  what the generator measured (shapes, op counts, ORT results)\n"
      "gcn_cora/, gcn3_citeseer/         + meta.json (test accuracy, versions) and labels.npz "
      "(y int64, test_mask bool)\n"
      "gcn_graph_mean_pool/frozen_mismatch.{inputs,expected}.npz   see 'frozen graph count' "
      "(NOT in manifest)\n```\n")
    A("All .npz files are `np.savez_compressed` (zip, deflate, no pickles). Inputs and output names "
      "are identical between the two exporters (asserted by the generator): `x, edge_index"
      "[, edge_weight][, batch] -> out`. Dynamic dims are named `num_nodes` and `num_edges` "
      "(except `gcn_default_names`, see below); graph-level outputs have a data-dependent first dim.\n")
    A("Graphs: `g0` is the graph the model was trained on and exported with (for gcn_cora / "
      "gcn3_citeseer the real full graph, x cast to float32; for the variants a random graph used for "
      "~60 epochs of training on a synthetic target, so biases/eps/attention weights are not at init). "
      "`g1`, `g2` are random graphs of other sizes: undirected simple graphs stored in both "
      "directions, edge columns shuffled (unsorted), power-law-ish degrees (one endpoint drawn with "
      "weight 1/rank^1.1), some isolated nodes; `g2` also has a few explicit self-loops (i,i), which "
      "GCN/GAT remove and re-add. Features are N(0,1) for the variants and Bernoulli(0.0127 / 0.0086) "
      "0/1 for the Cora/CiteSeer-width models. Graph-level cases: each graph is a mini-batch of small "
      "graphs (sorted `batch`): g0 and g1 have 4 graphs, g2 has 7.\n")
    A("Edge-case graphs (for gcn_cora and gat): `empty_edges` (5 nodes, edge_index [2,0]), "
      "`single_node` (1 node, 0 edges), `isolated` (20 nodes, only nodes 2, 3, 11, 17 "
      "have edges: a path 2-3-11-17, 6 directed edges), `nan_x` (15-node random graph, x[4, 0] = NaN: "
      "the expected output has NaN in every row that node 4 reaches within the model's hops, "
      + ", ".join(f"{n}: {i['graphs']['nan_x']['out_nan_rows']} of 15 rows"
                  for n, i in infos.items() if "nan_x" in i["graphs"])
      + "; that is PyG's behaviour, compare NaN == NaN).\n")

    A("## Cases\n")
    A("| case | inputs | dims | what it exercises | graphs |")
    A("| --- | --- | --- | --- | --- |")
    for name, info in infos.items():
        A(f"| {name} | {', '.join(info['inputs'])} | {'->'.join(map(str, info['dims']))} | "
          f"{info['what']} | {', '.join(info['graphs'])} |")
    A("")
    dn = infos.get("gcn_default_names")
    if dn:
        A("`gcn_default_names`: torchscript exported with `dynamic_axes={'x': [0], 'edge_index': [1]}` "
          "(lists), dynamo with `torch.export.Dim.DYNAMIC` (unnamed). Resulting input dims:\n")
        for exp in EXPORTERS:
            e = dn["exports"].get(exp, {})
            if e.get("ok"):
                A(f"- {exp}: " + ", ".join(f"`{k}` {v}" for k, v in e["input_dims"].items())
                  + f" -> `out` {e['output_dims']['out']}")
        A("")

    A("## PyG test accuracies (trained here, CPU, 200 epochs, Adam lr 0.01 wd 5e-4, dropout 0.5)\n")
    for name in ("gcn_cora", "gcn3_citeseer"):
        if name in infos and "pyg_test_accuracy" in infos[name]:
            oa = infos[name].get("ort_test_accuracy", {})
            A(f"- {name}: {100 * infos[name]['pyg_test_accuracy']:.1f} % on the 1000 test_mask nodes "
              f"(onnxruntime on the exported files: "
              + ", ".join(f"{e} {100 * v:.1f} %" if isinstance(v, float) else f"{e} {v}"
                          for e, v in oa.items()) + ")")
    A("\nA correct runtime reproduces these accuracies from g0 of the case and labels.npz "
      "(argmax of `out` over the rows where test_mask is true, compared with y). The seed is "
      "crc32(case name), not picked for accuracy; PyG 2.8 on an H100 gave 80.4 % / 65.9 % in "
      "shared/data/README.md.\n")

    A("## Export results\n")
    A("Node counts are top-level nodes, (+ nodes inside If subgraphs). `out` dims as written in the "
      "file; dynamo writes symbolic expressions such as `u2 + 1` as dim_param strings. Initializers: "
      "inline / in model.onnx.data (the dynamo exporter puts the larger tensors, about >1 KiB, in "
      "the .data file and keeps small ones inline). The dynamo files' per-node "
      "`pkg.torch.onnx.stack_trace` metadata is stripped by the generator (absolute paths, "
      "randomly named generated modules: it made the files differ run to run); the other node "
      "metadata (`namespace`, `pkg.torch.onnx.class_hierarchy`, `name_scopes`, `fx_node`) is kept.\n")
    A("| case | torchscript nodes | dynamo nodes | torchscript `out` dims | dynamo `out` dims | "
      "dynamo initializers inline/external | notes |")
    A("| --- | --- | --- | --- | --- | --- | --- |")
    failures = []
    for name, info in infos.items():
        cells, notes, odims = [], [], []
        for exp in EXPORTERS:
            e = info["exports"].get(exp, {})
            odims.append(str(e.get("output_dims", {}).get("out", "-")))
            if e.get("ok"):
                cells.append(f"{e['nodes']} (+{e['nodes_in_subgraphs']})")
                if e.get("note"):
                    notes.append(f"{exp}: {e['note']}")
            else:
                cells.append("FAILED")
                failures.append((name, exp, e.get("error", "?")))
        d = info["exports"].get("dynamo", {})
        init = (f"{d['initializers'] - d.get('initializers_external', 0)}/"
                f"{d.get('initializers_external', '?')}" if d.get("ok") else "-")
        A(f"| {name} | {cells[0]} | {cells[1]} | {odims[0]} | {odims[1]} | {init} | "
          f"{'; '.join(notes).replace('|', '/')} |")
    A("")
    if failures:
        A("Export failures (those (case, exporter) pairs are skipped; the case stays):\n")
        for name, exp, err in failures:
            A(f"- {name} / {exp}: `{err}`")
        A("")
    else:
        A("Every case exported with both exporters.\n")

    A("## Op types\n")
    A("Union over all cases and both exporters (including nodes inside If/Loop subgraphs), with the "
      "number of (case, exporter) files that use each op:\n")
    A(", ".join(f"{op} ({c})" for op, c in sorted(union.items())) + "\n")
    for exp in EXPORTERS:
        A(f"- {exp} files use: " + ", ".join(ops_by_exp[exp]))
    only = {exp: sorted(set(ops_by_exp[exp]) - set(ops_by_exp[o]))
            for exp, o in (("torchscript", "dynamo"), ("dynamo", "torchscript"))}
    A(f"- only in torchscript files: {', '.join(only['torchscript']) or '-'}; "
      f"only in dynamo files: {', '.join(only['dynamo']) or '-'}\n")
    attrs = collections.Counter()
    for e in per.values():
        attrs.update({k: 1 for k in e.get("attrs", {})})
    A("Attributes that matter to a runtime (number of files using each): "
      + ", ".join(f"{k} ({c})" for k, c in sorted(attrs.items())) + "\n")
    A("Per-file histograms (op: count):\n")
    for (name, exp), e in per.items():
        A(f"- {name} / {exp} ({e['nodes']} nodes, opset {e['opset']}, IR {e['ir_version']}): "
          + ", ".join(f"{k}:{v}" for k, v in e["ops"].items()))
    A("")

    A("## Known exporter problems on other versions\n")
    A("Checked by running this script (all cases except the two real-data ones, whose data is not "
      "on that machine) on the GPU machine's torch 2.11.0 / PyG 2.8.0 / onnx 1.23.1 / onnxruntime 1.30.0 / onnxscript 0.7.2: same "
      "node counts and onnxruntime results, except that GINConv(train_eps=True) failed there with the dynamo "
      "exporter (`ConversionError: AssertionError: Expected same OpOverload packet, got prim.device != "
      "aten.add`, on `1 + self.eps` with eps a Parameter); it exports with torch 2.15. The gin case "
      "therefore uses a fixed eps=0.1 (a buffer), which exports on both. GATConv needs "
      "Dim('num_nodes', min=1) with the dynamo exporter on both versions (the script retries with it, "
      "see the export table).\n")
    A("## Notes for an importer (measured on these files)\n")
    for note in importer_notes(infos, per):
        A(f"- {note}")
    A("")
    A("## onnxruntime check (CPU, atol 1e-4, rtol 1e-3, NaN positions must match)\n")
    n_rows = sum(len(i["manifest"]) for i in infos.values())
    bad = [(n, k, r) for n, i in infos.items() for k, r in i["ort"].items()
           if r["status"] != "ok"
           and any(row[1] + "/" + row[2] == k for row in i["manifest"])]
    A(f"{n_rows} manifest rows; {n_rows - len(bad)} reproduce PyG with onnxruntime "
      f"{ort.__version__}; {len(bad)} do not" + (":" if bad else ".") + "\n")
    for n, k, r in bad:
        A(f"- {n} {k}: {fmt_ort(r)}")
    A("")
    A("Full table (max abs error in parentheses; rows marked 'not in manifest' are excluded on "
      "purpose, see below):\n")
    A(ort_table(infos) + "\n")

    A("## The frozen graph count (torchscript + global_*_pool without size=)\n")
    for name in ("gcn_graph_mean_pool", "gcn_graph_add_pool"):
        info = infos.get(name)
        if not info or "frozen_analysis" not in info:
            continue
        fa = info["frozen_analysis"]
        A(f"### {name}\n")
        A(f"Exported with a batch of {fa['num_graphs_at_export']} graphs. torchscript output dims: "
          f"{fa['output_dims']}; ReduceMax over batch present: {fa['has_ReduceMax']}. Constants "
          f"in the torchscript file that hold the count {fa['num_graphs_at_export']} (as a value, or as "
          f"the leading dim of a folded tensor that a ScatterElements scatters into):\n")
        for c in fa["constants_holding_it"]:
            A(f"- `{c['tensor']}` (holds it as its {c['how']}; = {c['value']}, {c['dtype']}), "
              f"defined by {c['defined_by']}, used by: " + "; ".join(c["used_by"]))
        fd = info.get("frozen_analysis_dynamo")
        if fd:
            A(f"\ndynamo file: output dims {fd['output_dims']}, ReduceMax present: {fd['has_ReduceMax']}, "
              f"{len(fd['constants_holding_it'])} such constant(s)" + (": " + "; ".join(
                  f"`{c['tensor']}`={c['value']} by {c['defined_by']} used by {c['used_by']}"
                  for c in fd["constants_holding_it"]) if fd["constants_holding_it"] else "") + ".")
        A("")
        ex = info.get("excluded", [])
        if ex:
            A("Rows excluded from the manifest for this reason: " + ", ".join(
                f"{e['row'][1]}/{e['row'][2]} ({e['why']})" for e in ex) + ".\n")
        if "frozen_mismatch" in info:
            g = info["frozen_mismatch"]["graph"]
            A(f"`frozen_mismatch.inputs.npz` is a batch of {g.get('num_graphs')} graphs "
              f"({g['num_nodes']} nodes, {g['num_edges']} edges); `frozen_mismatch.expected.npz` is the "
              f"true PyG output, shape {g['out_shape']}. onnxruntime on it: "
              + "; ".join(f"{k.split('/')[0]}: {fmt_ort(r)}" for k, r in info["ort"].items()
                          if k.endswith("/frozen_mismatch")) + ".")
            t = info["frozen_mismatch"].get("torchscript_ort")
            if t and "error" not in t:
                A(f"With the torchscript file, onnxruntime returns {t['out_shape'][0]} rows: the first "
                  f"{g['out_shape'][0]} {'match' if t['first_rows_match_pyg'] else 'do NOT match'} PyG, "
                  f"the {t['extra_rows']} extra rows "
                  f"{'equal lin.bias (mean over no nodes = 0, then the Linear)' if t['extra_rows_equal_lin_bias'] else 'are not lin.bias'}.")
            A("")
    A(FROZEN_PROSE)
    with open(os.path.join(out_dir, "README.md"), "w") as f:
        f.write("\n".join(L).rstrip() + "\n")
    return union, per


def importer_notes(infos, per):
    notes = []
    irs = collections.defaultdict(set)
    for (name, exp), e in per.items():
        irs[exp].add((e["ir_version"], tuple(sorted(e["opset"].items()))))
    for exp in EXPORTERS:
        notes.append(f"{exp}: IR version / opset imports " + ", ".join(
            f"IR {ir} {dict(op)}" for ir, op in sorted(irs[exp])))
    for (name, exp), e in per.items():
        if e["opset"].get("ai.onnx", 99) < 18:
            odd = [k for k in e.get("attrs", {}) if k.startswith("ScatterElements[reduction=m")]
            if odd:
                notes.append(f"{name}/{exp} is opset {e['opset']['ai.onnx']} but uses "
                             f"{', '.join(odd)} (reduction max/min is formally opset 18); "
                             "onnx.checker and onnxruntime accept it, so an importer should too")
    subs = [f"{n}/{x}" for (n, x), e in per.items() if e["nodes_in_subgraphs"]]
    if subs:
        notes.append("If subgraphs (then/else branches) appear in: " + ", ".join(subs)
                     + "; the dynamo files have none")
    exprs = sorted({f"{n}/{x}: {d}" for (n, x), e in per.items()
                    for d in e["output_dims"]["out"] if isinstance(d, str) and not d.isidentifier()})
    if exprs:
        notes.append("dim_param strings can be expressions, not just names: " + "; ".join(exprs))
    ts_names = sorted({d for (n, x), e in per.items() if x == "torchscript"
                       for d in e["output_dims"]["out"] if isinstance(d, str)})
    notes.append("torchscript output dims get generated names (not num_nodes): " + ", ".join(ts_names))
    notes.append("dynamo files keep small initializers inline (raw_data) and larger ones in "
                 "model.onnx.data (offset/length entries); torchscript files are self-contained and "
                 "also use Constant nodes")
    return notes


FROZEN_PROSE = """\
What this means: PyG's `scatter()` computes `dim_size = int(batch.max()) + 1` in Python. The
TorchScript tracer records the Python int, so the number of graphs seen at export becomes a
literal in the file (the shape of the zero tensors that `ScatterElements(add)` scatters into, and of
the per-graph count for the mean). A batch with a different number of graphs then gives an output
with the export-time number of rows (fewer graphs: extra all-zero / bias-only rows; more graphs:
out-of-range scatter indices, which onnxruntime rejects). The file is faithful to the trace, so a
runtime that executes it exactly reproduces the wrong rows; only a runtime that recognises the
pattern (or the user passing `size=`) gets it right. The dynamo exporter keeps the count symbolic
(`ReduceMax` over `batch` + 1, an unbacked symbol in the output shape): its g2 rows (7 graphs) are
in the manifest, and it reproduces frozen_mismatch. torchscript rows whose graph count differs from
the export batch are NOT in the manifest (they are not what the file computes).
"""


def dir_size(path):
    tot = 0
    for root, _, files in os.walk(path):
        for f in files:
            tot += os.path.getsize(os.path.join(root, f))
    return tot


def main(argv=None):
    global VERBOSE
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Cases: " + ", ".join(CASES))
    ap.add_argument("--data",
                    help="folder with cora.npz and citeseer.npz (e.g. ../shared/data); needed but with "
                         "--synthetic")
    ap.add_argument("--out", required=True, help="output folder (e.g. tests/fixtures)")
    ap.add_argument("--only", nargs="+", metavar="CASE", choices=list(CASES),
                    help="regenerate only these cases (others' files are kept)")
    ap.add_argument("-v", "--verbose", action="store_true", help="show exporter output")
    ap.add_argument("--synthetic", metavar="GRAPH.npz",
                    help="instead of the fixtures: train a GCN of --dims on this graph (x, edge_index) with "
                         "learnable synthetic labels and write --out/model.onnx and --out/labels.npz")
    ap.add_argument("--dims", type=int, nargs="+", default=[128, 256, 256, 40],
                    help="--synthetic: the GCN's widths, input first (default: the arxiv-size model)")
    ap.add_argument("--epochs", type=int, default=60, help="--synthetic: training epochs (full graph, Adam)")
    a = ap.parse_args(argv)
    VERBOSE = a.verbose
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    if a.synthetic:
        export_synthetic(a.synthetic, a.dims, a.epochs, a.out)
        return 0
    if not a.data:
        ap.error("--data is required (but with --synthetic)")
    try:
        torch.use_deterministic_algorithms(True, warn_only=True)
    except Exception:  # noqa: BLE001
        pass
    os.makedirs(a.out, exist_ok=True)
    ort.set_default_logger_severity(4)  # errors are caught and reported in the table
    versions = {"torch": torch.__version__, "torch_geometric": torch_geometric.__version__,
                "onnx": onnx.__version__, "onnxruntime": ort.__version__,
                "onnxscript": _version("onnxscript"), "numpy": np.__version__}
    print("versions:", json.dumps(versions))
    todo = a.only or list(CASES)
    for name in todo:
        print(f"== {name}", flush=True)
        info = run_case(CASES[name], a.data, a.out)
        info["versions"] = versions
        seconds = info.pop("seconds")  # kept out of info.json so reruns give identical files
        with open(os.path.join(a.out, name, "info.json"), "w") as f:
            json.dump(info, f, indent=1)
        ex = ", ".join(f"{e}: {'%d nodes' % v['nodes'] if v['ok'] else 'FAILED'}"
                       for e, v in info["exports"].items())
        acc = f", test acc {info['pyg_test_accuracy']:.3f}" if "pyg_test_accuracy" in info else ""
        print(f"   {ex}{acc} ({seconds} s)", flush=True)

    infos = load_infos(a.out)
    rows = write_manifest(a.out, infos)
    # README needs the final size; write once, measure, write again.
    write_readme(a.out, infos, "?")
    size = dir_size(a.out)
    union, per = write_readme(a.out, infos, f"{size / 2**20:.2f} MiB ({size} bytes)")

    print("\n== onnxruntime check (atol %g, rtol %g)" % (ATOL, RTOL))
    print(f"{'case':22s} {'exporter':12s} {'graph':16s} {'manifest':8s} result")
    for name, info in infos.items():
        for key, r in info["ort"].items():
            exp, gid = key.split("/")
            inm = any(row[1] == exp and row[2] == gid for row in info["manifest"])
            print(f"{name:22s} {exp:12s} {gid:16s} {'yes' if inm else 'no':8s} {fmt_ort(r)}")
    print("\n== op histograms (incl. subgraphs)")
    for (name, exp), e in per.items():
        print(f"{name}/{exp}: {e['nodes']} nodes (+{e['nodes_in_subgraphs']} in subgraphs): "
              + ", ".join(f"{k}:{v}" for k, v in e["ops"].items()))
    print("\n== op union (%d): %s" % (len(union), ", ".join(sorted(union))))
    print(f"\nmanifest rows: {len(rows)}; fixtures size: {size / 2**20:.2f} MiB")
    return 0


def _version(mod):
    try:
        return __import__(mod).__version__
    except Exception:  # noqa: BLE001
        return "n/a"


VERBOSE = False

if __name__ == "__main__":
    sys.exit(main())

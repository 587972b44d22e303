#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora from the fixtures (tests/fixtures) and the .npy samples
(tests/data/npy), one folder per target:

    tests/fuzz/make_seed_corpus.py --gnnrt BUILD/gnnrt --out CORPUS_DIR

  onnx_import/   every fixture model.onnx, framed as fuzz_onnx_import.cpp reads it (a 4-byte
                 length, the model, then model.onnx.data for the dynamo exports)
  engine_load/   a CPU engine built by `gnnrt build` from every fixture model
  npy_npz/       the .npy/.npz samples, the fixtures' .npz files and every .npy member in them
  graph_inputs/  the fixtures' inputs for the models fuzz_graph_inputs.cpp loads, in its framing
  calibration_cache/  INT8 calibration caches as gnnrt build --int8 writes them, and variants

Python's standard library only. Seeds are deterministic: the same fixtures give the same bytes.
"""
import argparse
import ast
import pathlib
import struct
import subprocess
import sys
import tempfile
import zipfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
NPY_SAMPLES = ROOT / "tests" / "data" / "npy"

# Keep in step with kModels in fuzz_graph_inputs.cpp: (case, exporter).
MODELS = [
    ("gcn_edge_weight", "torchscript"),
    ("gcn_graph_mean_pool", "torchscript"),
    ("gcn_graph_add_pool", "dynamo"),
    ("gat", "dynamo"),
    ("sage", "torchscript"),
    ("gcn_default_names", "dynamo"),
]
# gnnrt::DType's numbering (include/gnnrt/dtype.h).
DTYPES = {"<f4": 1, "<f2": 2, "<f8": 4, "|i1": 5, "|u1": 6, "<i2": 7, "<i4": 8, "<i8": 9, "|b1": 10}


# The Cora and CiteSeer models repeat the GCN variants' structure with 0.1 to 1 MB of weights,
# which only slows every mutation down.
LARGE_CASES = {"gcn_cora", "gcn3_citeseer"}


def fixture_models():
    for model in sorted(FIXTURES.glob("*/*/model.onnx")):
        if model.parent.parent.name not in LARGE_CASES:
            yield model


def onnx_seeds(out):
    for model in fixture_models():
        data = model.with_name("model.onnx.data")
        body = model.read_bytes()
        extra = data.read_bytes() if data.exists() else b""
        name = f"{model.parent.parent.name}_{model.parent.name}"
        (out / name).write_bytes(struct.pack("<I", len(body)) + body + extra)


def engine_seeds(out, gnnrt):
    for model in fixture_models():
        name = f"{model.parent.parent.name}_{model.parent.name}.engine"
        subprocess.run([gnnrt, "build", "--device", "cpu", "--onnx", str(model), "--save", str(out / name)],
                       check=True, stdout=subprocess.DEVNULL)


def npz_members(path):
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            yield info.filename[: -len(".npy")], archive.read(info)


def npy_seeds(out):
    for sample in sorted(NPY_SAMPLES.glob("*.np[yz]")):
        (out / sample.name).write_bytes(sample.read_bytes())
    for archive in sorted(FIXTURES.glob("*/g1.*.npz")) + sorted(FIXTURES.glob("gcn_cora/[!g]*.npz")):
        stem = f"{archive.parent.name}_{archive.stem.replace('.', '_')}"
        (out / f"{stem}.npz").write_bytes(archive.read_bytes())
        for member, data in npz_members(archive):
            (out / f"{stem}_{member}.npy").write_bytes(data)


def parse_npy(data):
    """(descr, shape, raw bytes) of a .npy image."""
    major = data[6]
    if major == 1:
        (length,) = struct.unpack_from("<H", data, 8)
        start = 10
    else:
        (length,) = struct.unpack_from("<I", data, 8)
        start = 12
    header = ast.literal_eval(data[start:start + length].decode("latin1"))
    return header["descr"], tuple(header["shape"]), data[start + length:]


def encode_tensor(input_index, descr, shape, raw):
    """One tensor in fuzz_graph_inputs.cpp's framing; the fill is the raw data when it fits."""
    fill = raw if len(raw) <= 0xFFFF else raw[:0xFFFF]
    out = struct.pack("<BBB", input_index, DTYPES[descr], len(shape))
    out += b"".join(struct.pack("<H", d) for d in shape)
    return out + struct.pack("<H", len(fill)) + fill


def input_names(case):
    # The fixtures' inputs are named as the models' inputs, in this order (tests/fixtures/README.md).
    return ["x", "edge_index", "edge_weight", "batch"]


def graph_input_seeds(out):
    for index, (case, exporter) in enumerate(MODELS):
        for inputs in sorted((FIXTURES / case).glob("*.inputs.npz")):
            members = dict(npz_members(inputs))
            order = [n for n in input_names(case) if n in members]
            body = struct.pack("<BB", index, 0)
            for position, name in enumerate(order):
                descr, shape, raw = parse_npy(members[name])
                if any(d > 0xFFFF for d in shape):
                    break
                body += encode_tensor(position, descr, shape, raw)
            else:
                (out / f"{index}_{case}_{inputs.name.split('.')[0]}").write_bytes(body)


def calibration_cache_seeds(out):
    """INT8 calibration caches as gnnrt build --int8 writes them (docs/INT8.md), and variants."""
    header = "# gnnrt INT8 calibration cache: tensor: scale (amax / 127), one quantised tensor per line\n"
    seeds = {
        "entropy": "gnnrt-int8-calibration 1 entropy\n" + header +
                   "/convs.0/lin/MatMul_output_0: 0.0325926058\n/convs.1/lin/MatMul_output_0: 0.109158292\n",
        "minmax_crlf": "gnnrt-int8-calibration 1 minmax\r\na: 1\r\n\r\nb: c: 3.5e-07\r\n",
        "percentile": "gnnrt-int8-calibration 1 percentile:99.99\nx: 1e+30\n# comment\ny: 0.5\n",
    }
    for name, text in seeds.items():
        (out / name).write_text(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gnnrt", required=True, help="the gnnrt binary (builds the engine seeds)")
    parser.add_argument("--out", required=True, type=pathlib.Path)
    args = parser.parse_args()
    makers = {
        "onnx_import": onnx_seeds,
        "engine_load": lambda out: engine_seeds(out, args.gnnrt),
        "npy_npz": npy_seeds,
        "graph_inputs": graph_input_seeds,
        "calibration_cache": calibration_cache_seeds,
    }
    for name, make in makers.items():
        folder = args.out / name
        folder.mkdir(parents=True, exist_ok=True)
        make(folder)
        print(f"{name}: {sum(1 for _ in folder.iterdir())} seeds")
    return 0


if __name__ == "__main__":
    sys.exit(main())

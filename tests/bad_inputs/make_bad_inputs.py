#!/usr/bin/python3
"""Writes the bad-input corpus: malformed files and tensors that `gnnrt` must refuse with exit
code 2 and a message (tests/unit/test_bad_input_corpus.cpp runs every one).

    /usr/bin/python3 tests/bad_inputs/make_bad_inputs.py --gnnrt build/gnnrt

Run from the repository root, with Debian's python3 and python3-protobuf (the ONNX cases are
edited as protobuf messages, through Python code protoc generates from Debian's onnx.proto) and
a built gnnrt (it builds the engine the engine cases corrupt). It rewrites files/ and
manifest.tsv; the files are committed, so the tests need neither Python nor protoc.

manifest.tsv: one case per line, `file<TAB>command<TAB>expected`: `command` is gnnrt's
arguments with {file} (the case's path), {fixtures} (tests/fixtures) and {tmp} (a scratch
folder) filled in by the test; `expected` is a text the message must contain (the file's name
unless a tensor or node is at fault).
"""
import argparse
import pathlib
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
FILES = HERE / "files"

# The models the cases run against (small fixtures; see tests/fixtures/README.md).
GCN = "{fixtures}/gcn_improved/torchscript/model.onnx"          # x [N, 10] float32, edge_index
GCN_DYNAMO = FIXTURES / "gcn_improved" / "dynamo"
EDGE_WEIGHT = "{fixtures}/gcn_edge_weight/torchscript/model.onnx"  # + edge_weight [E]
ADD_POOL = "{fixtures}/gcn_graph_add_pool/dynamo/model.onnx"     # + batch [N], x [N, 14]
MEAN_POOL_FROZEN = "{fixtures}/gcn_graph_mean_pool/torchscript/model.onnx"  # 4 graphs frozen in
GOOD_INPUTS = "{fixtures}/gcn_improved/g1.inputs.npz"

cases = []  # (relative file, command, expected text)


def add(name, data, command, expected=None):
    path = FILES / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    cases.append((name, command, expected or pathlib.Path(name).name))


# ------------------------------------------------------------------ .npy

def npy(header, data=b"", version=1, magic=b"\x93NUMPY"):
    text = header.encode("latin1")
    if version == 1:
        return magic + bytes([1, 0]) + struct.pack("<H", len(text)) + text + data
    return magic + bytes([version, 0]) + struct.pack("<I", len(text)) + text + data


def npy_dict(descr, shape, fortran=False):
    shape_text = "(" + "".join(f"{d}, " for d in shape) + ")"
    return "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, shape_text)


GOOD_X = npy(npy_dict("<f4", (2, 10)), bytes(80))
GOOD_EDGE_INDEX = npy(npy_dict("<i8", (2, 2)), struct.pack("<4q", 0, 1, 1, 0))


def npy_cases():
    add("good/edge_index.npy", GOOD_EDGE_INDEX, None)  # the valid partner of the bad x files
    cases.pop()
    as_x = "run --device cpu --onnx " + GCN + " --input x={file} --input edge_index=" + str(
        "{corpus}/good/edge_index.npy")
    add("npy/empty.npy", b"", as_x)
    add("npy/bad_magic.npy", b"\x89PNG\r\n\x1a\n" + bytes(100), as_x)
    add("npy/truncated_preamble.npy", GOOD_X[:8], as_x)
    add("npy/version_4.npy", npy(npy_dict("<f4", (2, 10)), bytes(80), version=4), as_x)
    add("npy/header_length_huge.npy", b"\x93NUMPY\x02\x00" + struct.pack("<I", 0xFFFFFFF0) + b"{", as_x)
    add("npy/header_truncated.npy", GOOD_X[:40], as_x)
    add("npy/header_not_a_dict.npy", npy("[1, 2, 3]" + " " * 20 + "\n"), as_x)
    add("npy/header_descr_missing.npy", npy("{'fortran_order': False, 'shape': (2, 10), }"), as_x)
    add("npy/header_key_twice.npy",
        npy("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 10), }", bytes(80)), as_x)
    add("npy/header_unknown_key.npy",
        npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 10), 'extra': 1}", bytes(80)), as_x)
    add("npy/header_unterminated_string.npy", npy("{'descr': '<f4"), as_x)
    add("npy/negative_dim.npy", npy(npy_dict("<f4", (-2, 10))), as_x)
    add("npy/dim_overflows_int64.npy", npy(npy_dict("<f4", (99999999999999999999, 10))), as_x)
    add("npy/byte_count_overflows.npy", npy(npy_dict("<f8", (1 << 40, 1 << 40))), as_x)
    add("npy/huge_shape_no_data.npy", npy(npy_dict("<f4", (1 << 40, 10))), as_x)
    add("npy/object_dtype.npy", npy(npy_dict("|O", (2, 10)), bytes(160)), as_x)
    add("npy/unicode_dtype.npy", npy(npy_dict("<U4", (2, 10)), bytes(320)), as_x)
    add("npy/complex_dtype.npy", npy(npy_dict("<c8", (2, 10)), bytes(160)), as_x)
    add("npy/uint32_dtype.npy", npy(npy_dict("<u4", (2, 10)), bytes(80)), as_x)
    add("npy/big_endian.npy", npy(npy_dict(">f4", (2, 10)), bytes(80)), as_x)
    add("npy/structured_dtype.npy",
        npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2, 10), }", bytes(80)), as_x)
    add("npy/fortran_order.npy", npy(npy_dict("<f4", (2, 10), fortran=True), bytes(80)), as_x)
    add("npy/data_truncated.npy", GOOD_X[:-4], as_x)
    add("npy/trailing_bytes.npy", GOOD_X + b"\0\0\0\0", as_x)
    add("npy/rank_65.npy", npy(npy_dict("<f4", (1,) * 65), bytes(4)), as_x)


# ------------------------------------------------------------------ .npz

def npz(members, compress=True):
    """A zip of (name, bytes) members, as np.savez(_compressed) writes them."""
    path = pathlib.Path(tempfile.mkstemp(suffix=".npz")[1])
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = method
            archive.writestr(info, data)
    data = path.read_bytes()
    path.unlink()
    return data


def tensor(descr, shape, values, pack):
    return npy(npy_dict(descr, shape), struct.pack("<%d%s" % (len(values), pack), *values))


def f32(shape, values=None):
    count = 1
    for d in shape:
        count *= d
    return tensor("<f4", shape, values if values is not None else [0.5] * count, "f")


def i64(shape, values):
    return tensor("<i8", shape, values, "q")


# A valid 4-node graph for gcn_improved (x [4, 10]).
X4 = f32((4, 10))
EI4 = i64((2, 4), [0, 1, 2, 3, 1, 2, 3, 0])


def npz_cases():
    as_inputs = "run --device cpu --onnx " + GCN + " --inputs {file}"
    good = (FIXTURES / "gcn_improved" / "g1.inputs.npz").read_bytes()
    add("npz/empty.npz", b"", as_inputs)
    add("npz/not_a_zip.npz", b"PK\x03\x04 not really a zip archive" + bytes(64), as_inputs)
    add("npz/truncated.npz", good[: len(good) // 2], as_inputs)
    add("npz/end_record_only_half.npz", good[-10:], as_inputs)
    add("npz/member_not_npy.npz", npz([("x.txt", b"hello")]), as_inputs)
    add("npz/member_named_dot_npy.npz", npz([(".npy", X4)]), as_inputs)
    dup = npz([("x.npy", X4), ("edge_index.npy", EI4), ("x.npy", X4)])
    add("npz/member_twice.npz", dup, as_inputs)
    add("npz/member_bad_npy_header.npz", npz([("x.npy", npy("not a dict")), ("edge_index.npy", EI4)]), as_inputs, "x")
    add("npz/member_truncated_npy.npz", npz([("x.npy", X4[:-8]), ("edge_index.npy", EI4)]), as_inputs, "x")
    stored = bytearray(npz([("x.npy", X4), ("edge_index.npy", EI4)], compress=False))
    at = stored.find(b"\x93NUMPY") + 100  # a byte of x's data: the member's CRC-32 no longer matches
    stored[at] ^= 0xFF
    add("npz/member_crc_mismatch.npz", bytes(stored), as_inputs, "x")
    deflated = bytearray(npz([("x.npy", X4 * 1), ("edge_index.npy", EI4)]))
    start = 30 + len("x.npy")  # the first member's compressed bytes
    for i in range(start + 2, start + 12):
        deflated[i] ^= 0x5A
    add("npz/member_corrupt_deflate.npz", bytes(deflated), as_inputs, "x")


# ------------------------------------------------------------------ tensors (valid files, wrong values)

def tensor_cases():
    def run(model):
        return "run --device cpu --onnx " + model + " --inputs {file}"
    gcn = run(GCN)
    add("tensors/edge_index_out_of_range.npz", npz([("x.npy", X4), ("edge_index.npy", i64((2, 4), [0, 1, 2, 3, 1, 2, 4, 0]))]), gcn, "edge_index")
    add("tensors/edge_index_negative.npz", npz([("x.npy", X4), ("edge_index.npy", i64((2, 4), [0, -1, 2, 3, 1, 2, 3, 0]))]), gcn, "edge_index")
    add("tensors/edge_index_huge.npz", npz([("x.npy", X4), ("edge_index.npy", i64((2, 1), [1 << 40, 0]))]), gcn, "edge_index")
    add("tensors/edge_index_three_rows.npz", npz([("x.npy", X4), ("edge_index.npy", i64((3, 2), [0, 1, 1, 2, 2, 3]))]), gcn, "edge_index")
    add("tensors/edge_index_rank_1.npz", npz([("x.npy", X4), ("edge_index.npy", i64((4,), [0, 1, 1, 2]))]), gcn, "edge_index")
    add("tensors/edge_index_float.npz", npz([("x.npy", X4), ("edge_index.npy", f32((2, 2), [0, 1, 1, 0]))]), gcn, "edge_index")
    add("tensors/edge_index_int32.npz", npz([("x.npy", X4), ("edge_index.npy", tensor("<i4", (2, 2), [0, 1, 1, 0], "i"))]), gcn, "edge_index")
    add("tensors/x_float64.npz", npz([("x.npy", tensor("<f8", (4, 10), [0.0] * 40, "d")), ("edge_index.npy", EI4)]), gcn, "'x'")
    add("tensors/x_wrong_width.npz", npz([("x.npy", f32((4, 11))), ("edge_index.npy", EI4)]), gcn, "'x'")
    add("tensors/x_rank_3.npz", npz([("x.npy", f32((4, 10, 1))), ("edge_index.npy", EI4)]), gcn, "'x'")
    add("tensors/x_scalar.npz", npz([("x.npy", f32(())), ("edge_index.npy", EI4)]), gcn, "'x'")
    add("tensors/x_uint8.npz", npz([("x.npy", tensor("|u1", (4, 10), [1] * 40, "B")), ("edge_index.npy", EI4)]), gcn, "'x'")
    add("tensors/x_missing.npz", npz([("edge_index.npy", EI4)]), gcn, "'x'")
    add("tensors/edge_index_missing.npz", npz([("x.npy", X4)]), gcn, "edge_index")
    add("tensors/unknown_extra_input.npz", npz([("x.npy", X4), ("edge_index.npy", EI4), ("y.npy", X4)]), gcn, "'y'")
    add("tensors/edge_weight_wrong_length.npz",
        npz([("x.npy", f32((4, 12))), ("edge_index.npy", EI4), ("edge_weight.npy", f32((3,)))]), run(EDGE_WEIGHT), "edge_weight")
    pool_x = f32((4, 14))
    add("tensors/batch_negative.npz",
        npz([("x.npy", pool_x), ("edge_index.npy", EI4), ("batch.npy", i64((4,), [0, 0, -1, 1]))]), run(ADD_POOL), "batch")
    add("tensors/batch_wrong_length.npz",
        npz([("x.npy", pool_x), ("edge_index.npy", EI4), ("batch.npy", i64((3,), [0, 0, 1]))]), run(ADD_POOL), "batch")
    add("tensors/batch_frozen_count_mismatch.npz",
        npz([("x.npy", f32((4, 8))), ("edge_index.npy", EI4), ("batch.npy", i64((4,), [0, 0, 1, 1]))]),
        run(MEAN_POOL_FROZEN), "frozen")


# ------------------------------------------------------------------ engines

HEADER = 64


def fix_checksums(data, fix_size=True):
    data = bytearray(data)
    if fix_size:
        struct.pack_into("<Q", data, 16, len(data))
    struct.pack_into("<I", data, 56, zlib.crc32(bytes(data[HEADER:])))
    struct.pack_into("<I", data, 60, zlib.crc32(bytes(data[:60])))
    return bytes(data)


def engine_cases(gnnrt, scratch):
    path = scratch / "gcn.engine"
    subprocess.run([gnnrt, "build", "--device", "cpu", "--onnx", "tests/fixtures/gcn_improved/torchscript/model.onnx",
                    "--save", str(path)], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    good = path.read_bytes()
    run = "run --engine {file} --inputs " + GOOD_INPUTS
    meta_offset, meta_size, weights_offset, weights_size = struct.unpack_from("<4Q", good, 24)
    add("engine/empty.engine", b"", run)
    add("engine/onnx_not_engine.engine", (FIXTURES / "gcn_improved" / "torchscript" / "model.onnx").read_bytes(), run)
    add("engine/header_only_half.engine", good[:40], run)
    add("engine/truncated.engine", good[: len(good) // 2], run)
    add("engine/trailing_bytes.engine", good + bytes(8), run)
    future = bytearray(good)  # a version this gnnrt does not read yet (it reads 1 and 2)
    struct.pack_into("<I", future, 8, 3)
    add("engine/format_version_3.engine", bytes(future), run)
    flipped = bytearray(good)
    flipped[30] ^= 1
    add("engine/header_checksum.engine", bytes(flipped), run)
    flipped = bytearray(good)
    flipped[meta_offset + meta_size // 2] ^= 0x40
    add("engine/payload_checksum.engine", bytes(flipped), run)
    wrong = bytearray(good)
    struct.pack_into("<I", wrong, 12, 128)
    add("engine/header_size_wrong.engine", fix_checksums(wrong), run)
    wrong = bytearray(good)
    struct.pack_into("<Q", wrong, 24, len(good) + 64)
    add("engine/metadata_outside_file.engine", fix_checksums(wrong), run)
    wrong = bytearray(good)
    struct.pack_into("<Q", wrong, 40, meta_offset)
    add("engine/sections_overlap.engine", fix_checksums(wrong), run)
    wrong = bytearray(good)
    struct.pack_into("<Q", wrong, 24, meta_offset + 4)
    add("engine/metadata_misaligned.engine", fix_checksums(wrong), run)
    wrong = bytearray(good)
    struct.pack_into("<Q", wrong, 32, 0)
    add("engine/metadata_empty.engine", fix_checksums(wrong), run)
    garbage = bytearray(good)
    for i in range(meta_offset, meta_offset + meta_size, 7):
        garbage[i] = (garbage[i] * 31 + 17) & 0xFF
    add("engine/metadata_garbage.engine", fix_checksums(garbage), run)
    short = bytearray(good[: weights_offset + weights_size // 2])
    struct.pack_into("<Q", short, 48, weights_size)  # weights claimed whole, file cut in them
    add("engine/weights_cut.engine", fix_checksums(short), run)
    wrong = bytearray(good)
    struct.pack_into("<Q", wrong, 48, weights_size - 64)  # a tensor now ends past the section
    add("engine/weights_section_short.engine", fix_checksums(wrong), run)


# ------------------------------------------------------------------ ONNX

def onnx_module(scratch):
    proto = pathlib.Path("/usr/include/onnx/onnx.proto")
    subprocess.run(["protoc", f"-I{proto.parent}", f"--python_out={scratch}", str(proto)], check=True)
    sys.path.insert(0, str(scratch))
    import onnx_pb2
    return onnx_pb2


def onnx_cases(pb):
    build = "build --device cpu --onnx {file} --save {tmp}/out.engine"
    source = (FIXTURES / "gcn_improved" / "torchscript" / "model.onnx").read_bytes()

    def model():
        m = pb.ModelProto()
        m.ParseFromString(source)
        return m

    def save(name, m, expected=None):
        add("onnx/" + name, m.SerializeToString(), build, expected)

    add("onnx/empty.onnx", b"", build)
    add("onnx/garbage.onnx", b"\x89PNG this is not a model \xff\xfe\x01" * 3, build)
    add("onnx/truncated.onnx", source[: len(source) // 3], build)
    m = pb.ModelProto()
    m.ir_version = 8
    save("no_graph.onnx", m)
    m = model()
    m.opset_import[0].version = 6
    save("opset_6.onnx", m)
    m = model()
    m.opset_import[0].version = 99
    save("opset_99.onnx", m)
    m = model()
    del m.opset_import[:]
    save("no_opset.onnx", m)
    m = model()
    m.graph.node[0].op_type = "FancyOp"
    save("unsupported_op.onnx", m, "FancyOp")
    weight = next(i for i in model().graph.initializer if len(i.dims) == 2)
    m = model()
    init = next(i for i in m.graph.initializer if i.name == weight.name)
    init.raw_data = init.raw_data[:-4]
    save("raw_data_short.onnx", m, weight.name)
    m = model()
    init = next(i for i in m.graph.initializer if i.name == weight.name)
    init.dims[0] = -init.dims[0]
    save("initializer_negative_dim.onnx", m, weight.name)
    m = model()
    init = next(i for i in m.graph.initializer if i.name == weight.name)
    init.data_type = 8  # string
    save("initializer_string_type.onnx", m, weight.name)
    m = model()
    init = next(i for i in m.graph.initializer if i.name == weight.name)
    init.ClearField("raw_data")
    init.float_data.extend([1.0, 2.0, 3.0])
    save("initializer_float_data_count.onnx", m, weight.name)
    m = model()
    init = next(i for i in m.graph.initializer if i.name == weight.name)
    init.segment.begin = 0
    init.segment.end = 1
    save("initializer_segment.onnx", m, weight.name)
    m = model()
    m.graph.initializer.add().CopyFrom(m.graph.initializer[0])
    save("initializer_twice.onnx", m, m.graph.initializer[0].name)
    m = model()
    m.graph.initializer.add().CopyFrom(m.graph.initializer[0])
    m.graph.initializer[-1].name = ""
    save("initializer_without_name.onnx", m, "without a name")
    m = model()
    m.graph.sparse_initializer.add().values.name = "sparse_w"
    save("sparse_initializer.onnx", m, "sparse")
    m = model()
    m.graph.node[4].input[0] = "nobody_defines_this"
    save("undefined_value.onnx", m, "nobody_defines_this")
    m = model()
    # Shape(x) -> Slice -> Squeeze in the fixture; Shape now reads Squeeze's output.
    m.graph.node[0].input[0] = m.graph.node[6].output[0]
    save("cycle.onnx", m)
    m = model()
    m.graph.node[10].output[0] = m.graph.node[8].output[0]  # two Gathers of edge_index
    save("value_defined_twice.onnx", m, m.graph.node[8].output[0])
    m = model()
    m.graph.input[0].type.tensor_type.elem_type = 0
    save("input_without_type.onnx", m, "'x'")
    m = model()
    m.graph.input[0].type.tensor_type.shape.dim[1].dim_value = -3
    save("input_negative_dim.onnx", m, "'x'")
    m = model()
    init = next(i for i in m.graph.initializer if i.name == weight.name)
    init.dims[0] += 1
    init.raw_data = init.raw_data + bytes(4 * init.dims[1])
    save("weight_shape_mismatch.onnx", m, weight.name)
    m = model()
    m.graph.node[8].attribute.add().CopyFrom(m.graph.node[8].attribute[0])  # Gather's axis
    save("attribute_twice.onnx", m, "'axis'")


def external_cases(pb):
    build = "build --device cpu --onnx {file} --save {tmp}/out.engine"
    source = (GCN_DYNAMO / "model.onnx").read_bytes()
    data = (GCN_DYNAMO / "model.onnx.data").read_bytes()

    def case(name, edit=None, data_bytes=data, expected=None):
        m = pb.ModelProto()
        m.ParseFromString(source)
        if edit:
            edit(m)
        add(f"external/{name}/model.onnx", m.SerializeToString(), build, expected or "model.onnx")
        if data_bytes is not None:
            add(f"external/{name}/model.onnx.data", data_bytes, None)
            cases.pop()

    def entries(m, key):
        for init in m.graph.initializer:
            for entry in init.external_data:
                if entry.key == key:
                    yield init, entry

    def set_all(key, value):
        def edit(m):
            for _, entry in entries(m, key):
                entry.value = value
        return edit

    def first_external(m):
        return next(init for init in m.graph.initializer if init.data_location == 1)

    case("data_missing", data_bytes=None, expected="model.onnx.data")
    case("data_short", data_bytes=data[: len(data) // 2], expected="model.onnx.data")
    case("location_escapes", set_all("location", "../model.onnx.data"), expected="../model.onnx.data")
    case("location_absolute", set_all("location", "/etc/passwd"), expected="/etc/passwd")
    case("location_is_folder", set_all("location", "."), expected="outside")
    case("offset_not_a_number", set_all("offset", "12abc"), expected="12abc")
    case("offset_past_end", set_all("offset", str(len(data) + 64)), expected="model.onnx.data")

    def wrong_length(m):
        init = first_external(m)
        for entry in init.external_data:
            if entry.key == "length":
                entry.value = str(int(entry.value) + 4)
                return
        entry = init.external_data.add()
        entry.key, entry.value = "length", "3"
    case("length_mismatch", wrong_length, expected="length")

    def no_location(m):
        init = first_external(m)
        keep = [e for e in init.external_data if e.key != "location"]
        del init.external_data[:]
        for e in keep:
            init.external_data.add().CopyFrom(e)
    case("location_missing", no_location, expected="location")


# ------------------------------------------------------------------ INT8 calibration caches

def calibration_cases():
    build = "build --device cpu --onnx " + GCN + " --save {tmp}/out.engine --int8 --calib-cache {file}"
    header = b"gnnrt-int8-calibration 1 entropy\n"
    add("calibration/empty.cache", b"", build, "the file is empty")
    add("calibration/tensorrt.cache", b"TRT-8600-EntropyCalibration2\nx: 3c010a14\n", build,
        "not a gnnrt calibration cache")
    add("calibration/version_9.cache", b"gnnrt-int8-calibration 9 entropy\n", build, "format version '9'")
    add("calibration/unknown_calibrator.cache", b"gnnrt-int8-calibration 1 kl\n", build, "calibrator 'kl'")
    add("calibration/no_colon.cache", header + b"x 0.5\n", build, "line 2: expected")
    add("calibration/negative_scale.cache", header + b"x: -0.5\n", build, "positive finite number")
    add("calibration/repeated_tensor.cache", header + b"x: 0.5\nx: 0.25\n", build, "named twice")
    add("calibration/other_model.cache", header + b"some/other/tensor: 0.5\n", build, "has no INT8 scale for")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gnnrt", required=True, help="a built gnnrt binary")
    args = parser.parse_args()
    if FILES.exists():
        shutil.rmtree(FILES)
    with tempfile.TemporaryDirectory() as scratch:
        scratch = pathlib.Path(scratch)
        pb = onnx_module(scratch)
        npy_cases()
        npz_cases()
        tensor_cases()
        engine_cases(str(pathlib.Path(args.gnnrt).resolve()), scratch)
        onnx_cases(pb)
        external_cases(pb)
        calibration_cases()
    with open(HERE / "manifest.tsv", "w") as out:
        out.write("file\tcommand\texpected\n")
        for name, command, expected in cases:
            out.write(f"{name}\t{command}\t{expected}\n")
    print(f"{len(cases)} cases in {FILES.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

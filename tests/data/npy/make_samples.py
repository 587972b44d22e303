"""Writes the NumPy-made samples that tests/unit/test_io_np{y,z}.cpp read.

Run from this folder with any NumPy (these were made with NumPy 2.4.6): python3 make_samples.py
The tests check the values written here, so keep the two in step.
"""
import warnings
import zipfile

import numpy as np

x = (np.arange(6, dtype=np.float32).reshape(2, 3) * 0.5 - 1.0)  # [[-1, -0.5, 0], [0.5, 1, 1.5]]
np.save("float32_2x3.npy", x)
with open("int64_v2.npy", "wb") as f:
    np.lib.format.write_array(f, np.array([-5, 0, 1 << 40], dtype=np.int64), version=(2, 0))
np.save("fortran_2x3.npy", np.asfortranarray(x))
np.save("big_endian.npy", np.array([1.0, 2.0], dtype=">f4"))

arrays = dict(
    x=x,
    edge_index=np.array([[0, 1, 2], [1, 2, 0]], dtype=np.int64),
    mask=np.array([True, False, True]),
    scalar=np.float64(3.25),
    empty=np.zeros((0, 4), dtype=np.float32),
    half=np.array([1.5, -2.0], dtype=np.float16),
    u8=np.array([0, 255], dtype=np.uint8),
    i8=np.array([-128, 127], dtype=np.int8),
    i16=np.array([-300, 300], dtype=np.int16),
    i32=np.array([-70000, 70000], dtype=np.int32),
)
np.savez("savez.npz", **arrays)
np.savez_compressed("savez_compressed.npz", **arrays)

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # zipfile warns about the duplicate name, which is the point
    with zipfile.ZipFile("duplicate.npz", "w") as z:
        for value in (1, 2):
            with z.open("a.npy", "w") as f:
                np.lib.format.write_array(f, np.array([value], dtype=np.int32))
with zipfile.ZipFile("not_npy_member.npz", "w") as z:
    with z.open("a.npy", "w") as f:
        np.lib.format.write_array(f, np.array([1], dtype=np.int32))
    z.writestr("readme.txt", "not an array")

"""Tests of autodiff.save / autodiff.load: nested checkpoints in .npz and .safetensors files,
refusal of pickles and of lying or damaged files before any data is read, and atomic saves.
"""

import json
import math
import os
import pickle
import signal
import struct
import subprocess
import sys
import threading
import time
import tracemalloc
import zipfile

import numpy as np
import pytest

import autodiff
from autodiff import Tensor

SUFFIXES = ["model.npz", "model.pt", "checkpoint", "model.safetensors"]


def checkpoint() -> dict:
    """What a PyTorch user saves: weights, optimiser state, numbers, strings, None."""
    return {
        "model": {"0.weight": np.arange(6.0).reshape(2, 3), "0.bias": np.ones(2, np.float32)},
        "optimizer": {
            "state": {0: {"step": 3, "exp_avg": np.full(3, 0.5)}},
            "param_groups": [{"lr": 0.01, "betas": (0.9, 0.999), "params": [0]}],
        },
        "epoch": 3,
        "loss": 0.25,
        "best": float("inf"),
        "note": "after warm-up",
        "scheduler": None,
        "flags": [True, False],
        "tensor": Tensor([1.0, -2.0], requires_grad=True),
        "count": np.int64(7),
        "empty": np.zeros((0, 4), np.float16),
        "scalar": np.array(2.5),
        "nested": (np.arange(3), (np.float32(2.5), [(), {}]), {1.5: (np.ones(1, np.int8),)}),
    }


def assert_same(a, b) -> None:
    assert type(a) is type(b), (a, b)
    if isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            assert_same(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, Tensor):
        assert a.requires_grad == b.requires_grad
        assert_same(a.numpy(), b.numpy())
    elif isinstance(a, (np.ndarray, np.generic)):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    else:
        assert a == b


# ----- round trips ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", SUFFIXES)
def test_a_nested_checkpoint_round_trips_under_exactly_the_given_name(tmp_path, name):
    autodiff.save(checkpoint(), tmp_path / name)
    assert os.listdir(tmp_path) == [name]
    assert_same(autodiff.load(tmp_path / name), checkpoint())


@pytest.mark.parametrize("name", SUFFIXES)
@pytest.mark.parametrize(
    "obj",
    [None, {1: np.ones(2)}, {"": np.ones(2)}, {"a": np.ones(2), "b": Tensor([1.0])}],
    ids=["None", "int-key", "empty-key", "a-tensor"],
)
def test_what_looks_like_a_state_dict_but_is_not_round_trips(tmp_path, name, obj):
    autodiff.save(obj, tmp_path / name)
    assert_same(autodiff.load(tmp_path / name), obj)


def test_the_suffix_chooses_the_format_and_load_reads_the_first_bytes(tmp_path):
    state = {"w": np.arange(4.0)}
    autodiff.save(state, tmp_path / "a.safetensors")
    autodiff.save(state, tmp_path / "b.SafeTensors")
    autodiff.save(state, tmp_path / "a.pt")
    assert (tmp_path / "a.pt").read_bytes()[:2] == b"PK"
    assert (tmp_path / "a.safetensors").read_bytes()[8:9] == b"{"
    assert (tmp_path / "b.SafeTensors").read_bytes()[8:9] == b"{"  # a suffix in any case
    os.replace(tmp_path / "a.safetensors", tmp_path / "renamed.npz")  # a misleading name
    assert_same(autodiff.load(tmp_path / "renamed.npz"), state)
    with np.load(tmp_path / "a.pt") as archive:  # numpy reads our .npz, whatever its name
        np.testing.assert_array_equal(archive["w"], state["w"])


def test_a_plain_state_dict_is_a_plain_file_that_other_readers_understand(tmp_path):
    import safetensors.numpy

    state = {"layer.weight": np.ones((2, 3), np.float32), "layer.bias": np.zeros(2, np.float32)}
    autodiff.save(state, tmp_path / "w.safetensors")
    assert_same(
        dict(sorted(safetensors.numpy.load_file(tmp_path / "w.safetensors").items())),
        dict(sorted(state.items())),
    )
    assert list(autodiff.load(tmp_path / "w.safetensors")) == list(state)  # in order
    autodiff.save(state, tmp_path / "w.npz")
    with np.load(tmp_path / "w.npz", allow_pickle=False) as archive:
        assert sorted(archive.files) == sorted(state)


def test_files_from_numpy_and_safetensors_load_as_dicts_of_arrays(tmp_path):
    import safetensors.numpy

    state = {"a": np.arange(3, dtype=np.int32), "b": np.ones((2, 2)).T}
    np.savez(tmp_path / "plain.npz", **state)
    np.savez_compressed(tmp_path / "packed.npz", **state)
    safetensors.numpy.save_file(state, tmp_path / "st.safetensors")
    for name in ("plain.npz", "packed.npz", "st.safetensors"):
        loaded = autodiff.load(tmp_path / name)
        assert_same(dict(sorted(loaded.items())), state)
        assert all(array.flags.writeable for array in loaded.values())


@pytest.mark.parametrize("writer", ["savez", "savez_compressed", "save"])
def test_a_file_of_many_empty_arrays_with_one_letter_names_loads(tmp_path, writer):
    arrays = {chr(ord("a") + i): np.zeros(0, np.uint8) for i in range(26)}  # the least members
    if writer == "save":
        autodiff.save(arrays, tmp_path / "tiny.npz")
    else:
        getattr(np, writer)(tmp_path / "tiny.npz", **arrays)
    assert_same(autodiff.load(tmp_path / "tiny.npz"), arrays)


@pytest.mark.parametrize("first_byte", [b"(", b"\x80"])
def test_a_safetensors_header_length_that_begins_as_a_pickle_does_loads(tmp_path, first_byte):
    import safetensors.numpy

    state = {"w": np.arange(3, dtype=np.float32)}
    for pad in range(300):  # lengthen the header until its length's low byte is first_byte
        data = safetensors.numpy.save(state, metadata={"pad": "x" * pad})
        if data[:1] == first_byte:
            break
    assert data[:1] == first_byte
    (tmp_path / "model.safetensors").write_bytes(data)
    assert_same(autodiff.load(tmp_path / "model.safetensors"), state)


def test_big_endian_and_fortran_order_arrays_load_as_native_values(tmp_path):
    fortran = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    np.savez(tmp_path / "odd.npz", big=np.arange(4, dtype=">f4"), fortran=fortran)
    loaded = autodiff.load(tmp_path / "odd.npz")
    assert loaded["big"].dtype == np.float32 and loaded["big"].dtype.isnative
    np.testing.assert_array_equal(loaded["big"], [0, 1, 2, 3])
    np.testing.assert_array_equal(loaded["fortran"], fortran)


def test_load_accepts_pytorch_arguments(tmp_path):
    autodiff.save({"w": np.ones(2)}, tmp_path / "w.pt")
    autodiff.load(tmp_path / "w.pt", map_location="cpu", weights_only=True)
    with pytest.raises(ValueError, match=r"map_location='cuda'; expected None or 'cpu'"):
        autodiff.load(tmp_path / "w.pt", map_location="cuda")


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ({"a": {1, 2}}, "cannot store a set at 'a'"),
        ({"a": np.array([object()])}, "array at 'a' has dtype object"),
        ({"a": [np.ones(2, complex)]}, "array at 'a.0' has dtype complex128"),
        ({(1, 2): 3}, "a key of type tuple"),
    ],
)
def test_save_refuses_what_the_files_cannot_hold_and_writes_nothing(tmp_path, obj, message):
    with pytest.raises(TypeError, match=message):
        autodiff.save(obj, tmp_path / "x.npz")
    assert os.listdir(tmp_path) == []


def nested(depth: int) -> list:
    tree: list = [np.ones(2)]
    for _ in range(depth):
        tree = [tree]
    return tree


@pytest.mark.parametrize("name", ["x.npz", "x.safetensors"])
def test_save_refuses_what_load_would_refuse_and_writes_nothing(tmp_path, monkeypatch, name):
    for obj, message in [
        (nested(5000), "nests lists, tuples and dicts too deeply to store"),
        ({"n": 10**5000}, "save: Exceeds the limit .* for integer string conversion"),
    ]:
        with pytest.raises(ValueError, match=message):
            autodiff.save(obj, tmp_path / name)
    monkeypatch.setattr("autodiff.serialization._MAX_SAFETENSORS_HEADER", 10_000)
    with pytest.raises(ValueError, match=r"takes \d+ bytes of JSON, more than the 10000 that load"):
        autodiff.save({"losses": [0.5] * 5000}, tmp_path / name)  # as np.asarray: one array
    autodiff.save({"losses": np.full(5000, 0.5)}, tmp_path / name)
    assert os.listdir(tmp_path) == [name]
    if name.endswith(".safetensors"):
        with pytest.raises(ValueError, match="safetensors header would take"):
            autodiff.save({f"w{i}": np.ones(1) for i in range(200)}, tmp_path / name)
        np.testing.assert_array_equal(autodiff.load(tmp_path / name)["losses"], np.full(5000, 0.5))


def test_what_save_writes_as_deep_as_it_can_loads_back(tmp_path):
    depth = 0
    for depth in range(50, 5000, 50):  # the deepest tree that save stores
        try:
            autodiff.save(nested(depth), tmp_path / "deep.npz")
        except ValueError:
            break
    assert depth > 50
    tree = autodiff.load(tmp_path / "deep.npz")
    for _ in range(depth - 50):
        (tree,) = tree
    assert isinstance(tree, list)


def test_save_refuses_a_structure_that_contains_itself(tmp_path):
    loop: list = [1]
    loop.append(loop)
    with pytest.raises(ValueError, match="contains itself"):
        autodiff.save({"loop": loop}, tmp_path / "x.npz")


# ----- hostile and damaged files --------------------------------------------------------------


def test_load_refuses_pickles_and_torch_save_archives(tmp_path):
    (tmp_path / "model.pt").write_bytes(pickle.dumps({"w": np.ones(2)}))
    message = r"it is a pickle, as torch.save writes\); expected .* \(pickled objects"
    with pytest.raises(ValueError, match=message):
        autodiff.load(tmp_path / "model.pt")
    with zipfile.ZipFile(tmp_path / "zipped.pt", "w") as archive:  # torch.save's zip layout
        archive.writestr("archive/data.pkl", pickle.dumps({"w": 1}))
        archive.writestr("archive/data/0", b"\0" * 8)
    with pytest.raises(ValueError, match="pickle archive, as torch.save writes"):
        autodiff.load(tmp_path / "zipped.pt")


def test_load_refuses_object_arrays_without_unpickling(tmp_path, monkeypatch):
    np.savez(tmp_path / "evil.npz", w=np.array([{"code": "runs"}], dtype=object))
    monkeypatch.setattr(pickle, "loads", lambda *a, **k: pytest.fail("unpickled"))
    with pytest.raises(ValueError, match="'w' holds Python objects; pickled objects are refused"):
        autodiff.load(tmp_path / "evil.npz")


@pytest.mark.parametrize(
    ("array", "dtype"),
    [
        (np.ones(2, complex), "complex128"),
        (np.array(["ab", "c"]), "<U2"),
        (np.zeros(2, [("x", "f4"), ("y", "i4")]), "[('x', '<f4'), ('y', '<i4')]"),
        (np.array(["2024-01-01"], "datetime64[D]"), "datetime64[D]"),
    ],
)
def test_load_refuses_members_that_are_not_real_numbers(tmp_path, array, dtype):
    np.savez(tmp_path / "odd.npz", ok=np.ones(2), odd=array)
    with pytest.raises(ValueError) as error:
        autodiff.load(tmp_path / "odd.npz")
    assert f"key 'odd' has dtype {dtype}; expected bool, integer or float values" in str(
        error.value
    )


def test_load_refuses_duplicate_members(tmp_path):
    path = tmp_path / "twice.npz"
    with zipfile.ZipFile(path, "w") as archive, pytest.warns(UserWarning, match="Duplicate"):
        for value in (1.0, 2.0):
            with archive.open("w.npy", "w") as member:
                np.lib.format.write_array(member, np.full(2, value))
    with pytest.raises(ValueError, match=r"holds members \['w.npy'\] more than once"):
        autodiff.load(path)


def npy_member(shape_in_header: tuple, data: bytes, dtype: str = "<f8") -> bytes:
    header = {"descr": dtype, "fortran_order": False, "shape": shape_in_header}
    text = repr(header).encode("latin1")
    text += b" " * (63 - (10 + len(text)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + data


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_a_lying_npy_header_is_a_clear_error_without_allocating(tmp_path, compression):
    path = tmp_path / "liar.npz"
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        archive.writestr("w.npy", npy_member((2**20, 2**20, 2**20), b"\0" * 80))  # 8 EiB claimed
    tracemalloc.start()
    try:
        with pytest.raises(ValueError) as error:
            autodiff.load(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000
    assert "header claims shape (1048576, 1048576, 1048576)" in str(error.value)
    assert "the member holds 80 bytes of data" in str(error.value)


def test_a_negative_shape_in_an_npy_header_is_refused(tmp_path):
    path = tmp_path / "negative.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("w.npy", npy_member((-2, -4), b"\0" * 64))
    with pytest.raises(ValueError, match=r"header claims shape \(-2, -4\)"):
        autodiff.load(path)


def test_a_zip_directory_claiming_more_than_deflate_can_hold_is_refused(tmp_path):
    path = tmp_path / "bomb.npz"
    np.savez(path, w=np.zeros(100))
    raw = bytearray(path.read_bytes())
    directory = raw.rindex(b"PK\x01\x02")  # central directory entry: uncompressed size at +24
    raw[directory + 24 : directory + 28] = struct.pack("<I", 2**31)
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=r"member 'w.npy' claims 2147483648 bytes from 928"):
        autodiff.load(path)


def test_a_corrupt_member_is_caught_by_its_checksum(tmp_path):
    path = tmp_path / "flip.npz"
    np.savez(path, w=np.arange(100.0))
    raw = bytearray(path.read_bytes())
    raw[400] ^= 0xFF  # inside w's data
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=r"cannot read .*BadZipFile: Bad CRC-32"):
        autodiff.load(path)


def safetensors_file(header: dict, data: bytes) -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


def entry(dtype: str, shape: list, offsets: list) -> dict:
    return {"w": {"dtype": dtype, "shape": shape, "data_offsets": offsets}}


@pytest.mark.parametrize(
    ("header", "data", "message"),
    [
        (entry("F64", [4], [0, 32]), b"\0" * 16, "at bytes 0..32 of 16"),
        (entry("F32", [10**9, 10**9], [0, 8]), b"\0" * 8, "header claims shape"),
        (entry("BF16", [2], [0, 4]), b"\0" * 4, "BF16, which numpy lacks (convert it to float32"),
        (entry("C64", [1], [0, 8]), b"\0" * 8, "dtype C64, which numpy lacks"),
        (entry("F32", [-1], [0, 4]), b"\0" * 4, "damaged header entry"),
        ({"w": "nonsense"}, b"", "damaged header entry"),
    ],
)
def test_a_lying_or_damaged_safetensors_header_is_a_clear_error(tmp_path, header, data, message):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(safetensors_file(header, data))
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        autodiff.load(path)


def test_safetensors_headers_longer_than_the_file_or_with_duplicate_names_are_refused(tmp_path):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(struct.pack("<Q", 2**40) + b"{}")
    with pytest.raises(ValueError, match="header claims 1099511627776 bytes of a 10-byte file"):
        autodiff.load(path)
    entry = '{"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}'
    text = f'{{"w": {entry}, "w": {entry}}}'.encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"\1")
    with pytest.raises(ValueError, match=r"names \['w'\] more than once"):
        autodiff.load(path)


@pytest.mark.parametrize("content", [b"", b"hello world, not a model", b"\x93NUMPY"])
def test_files_of_no_known_format_are_refused(tmp_path, content):
    path = tmp_path / "what.npz"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="load: cannot read"):
        autodiff.load(path)


# ----- saves that leave nothing behind --------------------------------------------------------


@pytest.mark.parametrize("name", ["model.npz", "model.safetensors"])
def test_a_failed_save_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch, name):
    path = tmp_path / name
    autodiff.save({"w": np.ones(3)}, path)
    old = path.read_bytes()
    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError, match="disk full"):
        autodiff.save({"w": np.zeros(3)}, path)
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == [name]


def test_a_temporary_left_by_a_killed_save_is_reused_not_multiplied(tmp_path):
    stale = tmp_path / ".model.npz.tmp"
    stale.write_bytes(b"half of an old save" * 1000)
    autodiff.save({"w": np.ones(3)}, tmp_path / "model.npz")
    assert os.listdir(tmp_path) == ["model.npz"]
    np.testing.assert_array_equal(autodiff.load(tmp_path / "model.npz")["w"], np.ones(3))


KILLED_SAVER = """
import sys, numpy as np, autodiff
weights = {"w": np.full(500_000, float(sys.argv[2]))}  # 4 MB
autodiff.save(weights, sys.argv[1])
print("saved", flush=True)
while True:
    autodiff.save(weights, sys.argv[1])
"""


def test_saves_killed_at_random_moments_leave_the_file_whole_and_one_temporary(tmp_path):
    path = tmp_path / "model.npz"
    rng = np.random.default_rng(0)
    for attempt in range(3):
        child = subprocess.Popen(
            [sys.executable, "-c", KILLED_SAVER, str(path), str(attempt)],
            stdout=subprocess.PIPE,
        )
        assert child.stdout.readline() == b"saved\n"
        time.sleep(rng.uniform(0.0, 0.1))
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        assert set(os.listdir(tmp_path)) <= {"model.npz", ".model.npz.tmp"}
        np.testing.assert_array_equal(autodiff.load(path)["w"], np.full(500_000, attempt))
    autodiff.save({"w": np.ones(1)}, path)
    assert os.listdir(tmp_path) == ["model.npz"]


def test_saving_through_a_symbolic_link_writes_its_target(tmp_path):
    (tmp_path / "runs").mkdir()
    target = tmp_path / "runs" / "model-7.npz"
    autodiff.save({"w": np.zeros(2)}, target)
    link = tmp_path / "latest.npz"
    link.symlink_to(target)
    autodiff.save({"w": np.ones(2)}, link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    np.testing.assert_array_equal(autodiff.load(target)["w"], np.ones(2))
    assert sorted(os.listdir(tmp_path)) == ["latest.npz", "runs"]
    assert os.listdir(tmp_path / "runs") == ["model-7.npz"]


def test_concurrent_saves_of_one_file_never_mix(tmp_path):
    path = tmp_path / "model.npz"

    def saver(value: float) -> None:
        for _ in range(5):
            autodiff.save({"w": np.full(100_000, value)}, path)

    threads = [threading.Thread(target=saver, args=(float(i),)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    w = autodiff.load(path)["w"]
    assert w[0] in range(4) and np.all(w == w[0])
    assert os.listdir(tmp_path) == ["model.npz"]


def test_save_into_a_missing_directory_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="no directory .*missing"):
        autodiff.save({"w": np.ones(1)}, tmp_path / "missing" / "w.npz")


def test_save_onto_a_directory_says_so_before_writing(tmp_path):
    (tmp_path / "model").mkdir()
    with pytest.raises(IsADirectoryError, match="save: cannot write .*model: it is a directory"):
        autodiff.save({"w": np.ones(1)}, tmp_path / "model")
    assert os.listdir(tmp_path) == ["model"]  # no temporary was made


def test_special_floats_round_trip_as_json_cannot_hold_them(tmp_path):
    autodiff.save({"values": [math.inf, -math.inf, math.nan]}, tmp_path / "f.npz")
    values = autodiff.load(tmp_path / "f.npz")["values"]
    assert values[:2] == [math.inf, -math.inf] and math.isnan(values[2])

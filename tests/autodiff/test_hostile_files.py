"""Hostile files: archives and headers built to make a load allocate, recurse or take far more
than the file's size, temporary names planted as links, and checkpoints that lie about their
contents. Each load is refused before it allocates more than 4 times the file's size plus 50 MB.
"""

import io
import json
import os
import struct
import time
import tracemalloc
import zipfile
import zlib

import numpy as np
import pytest

import autodiff

MB = 1 << 20


def refused_within_bound(path, match: str) -> str:
    """Load `path`, which must be refused with a message matching `match`, while tracemalloc
    measures the peak; the peak must stay under 4 times the file's size plus 50 MB."""
    size = os.path.getsize(path)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=match) as info:
            autodiff.load(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * size + 50 * MB, f"peak {peak / MB:.1f} MB for a {size / MB:.2f} MB file"
    assert len(str(info.value)) < 2000  # quotes the file, never in full
    return str(info.value)


def npy_bytes(payload: bytes) -> bytes:
    """An .npy header for `payload` as a uint8 vector, followed by it."""
    import io

    buffer = io.BytesIO()
    header = {"descr": "|u1", "fortran_order": False, "shape": (len(payload),)}
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue() + payload


def local_header(name: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(data)
    return (
        struct.pack(
            "<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 0, 0, 0, crc, len(data), len(data), len(name), 0
        )
        + name
    )


def central_entry(name: bytes, data: bytes, offset: int) -> bytes:
    crc = zlib.crc32(data)
    return (
        struct.pack(
            "<4sHHHHHHIIIHHHHHII",
            b"PK\x01\x02", 20, 20, 0, 0, 0, 0, crc, len(data), len(data), len(name),
            0, 0, 0, 0, 0, offset,
        )
        + name
    )  # fmt: skip


def end_of_directory(count: int, directory_size: int, directory_offset: int) -> bytes:
    return struct.pack(
        "<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count, directory_size, directory_offset, 0
    )


def nested_zip(count: int) -> bytes:
    """A zip of `count` stored .npy members, each of which holds all the later ones inside its
    own data: every member is valid and sized right, but together they claim about count / 2
    times the file."""
    inner = b""
    members = []  # (name, data, where the next member starts in it) from the innermost out
    for index in reversed(range(count)):
        name = f"m{index}.npy".encode()
        data = npy_bytes(inner)
        members.append((name, data, len(local_header(name, data)) + len(data) - len(inner)))
        inner = local_header(name, data) + data
    members.reverse()
    directory, offset = b"", 0
    for name, data, next_offset in members:
        directory += central_entry(name, data, offset)
        offset += next_offset
    return inner + directory + end_of_directory(count, len(directory), len(inner))


# ----- 1. archive bombs -----------------------------------------------------------------------


def test_npz_members_nested_inside_each_other_are_refused_before_inflating(tmp_path):
    path = tmp_path / "nested.npz"
    path.write_bytes(nested_zip(700))  # 150 kB claiming 40 MB of arrays
    with zipfile.ZipFile(path) as archive:  # every member is a valid array of the right size
        assert archive.testzip() is None
        assert sum(info.file_size for info in archive.infolist()) > 200 * path.stat().st_size
    refused_within_bound(path, "member 'm1.npy' overlaps the member before it or is out of order")


def test_a_structure_member_deflated_past_the_files_size_is_refused_before_inflating(tmp_path):
    path = tmp_path / "structure.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("__structure__.json", "[" + "0," * 30_000_000 + "0]")  # 60 MB of text
    assert path.stat().st_size < 200_000
    refused_within_bound(path, "its structure claims 60000003 bytes, more than the file's")


def test_a_safetensors_entry_stuffed_with_objects_is_refused_with_a_short_message(tmp_path):
    shape = "[" + ",".join(["{}"] * 1_500_000) + "]"
    text = f'{{"w": {{"dtype": "F32", "shape": {shape}, "data_offsets": [0, 4]}}}}'.encode()
    path = tmp_path / "objects.safetensors"
    path.write_bytes(struct.pack("<Q", len(text)) + text + bytes(4))
    refused_within_bound(path, "nests 1500002 JSON objects and 2 lists; expected one object")


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"dtype": "F32", "shape": [1] * 100_000, "data_offsets": [0, 4]}, "at most 64"),
        ({"dtype": "F" * 300_000, "shape": [1], "data_offsets": [0, 4]}, "which numpy lacks"),
        ({"dtype": "F32", "shape": [1], "data_offsets": [0, 4], "x": "y" * 300_000}, "damaged"),
        ({"dtype": "F32", "shape": [1], "data_offsets": [0] * 100_000}, "damaged header entry"),
    ],
)
def test_a_huge_safetensors_entry_is_quoted_in_a_short_excerpt(tmp_path, entry, message):
    text = json.dumps({"w" * 300_000: entry}).encode()  # a huge name too
    path = tmp_path / "huge-entry.safetensors"
    path.write_bytes(struct.pack("<Q", len(text)) + text + bytes(4))
    assert "characters)" in refused_within_bound(path, message)


def test_a_safetensors_header_of_empty_entries_is_refused_before_parsing(tmp_path):
    text = ("{" + ",".join(f'"t{i}": {{}}' for i in range(600_000)) + "}").encode()
    path = tmp_path / "empty-entries.safetensors"
    path.write_bytes(struct.pack("<Q", len(text)) + text)
    refused_within_bound(path, "nests 600001 JSON objects and 0 lists")


def test_tensors_sharing_their_data_in_a_safetensors_file_are_refused(tmp_path):
    header = {
        f"t{i}": {"dtype": "F32", "shape": [1000], "data_offsets": [0, 4000]} for i in range(50)
    }
    text = json.dumps(header).encode()
    path = tmp_path / "shared.safetensors"
    path.write_bytes(struct.pack("<Q", len(text)) + text + bytes(4000))
    refused_within_bound(path, "begins at byte 0 of the data, where the one before it ends")


@pytest.mark.parametrize("kind", ["nested-lists", "nested-objects"])
def test_a_deeply_nested_safetensors_header_is_the_librarys_error(tmp_path, kind):
    depth = 100_000
    if kind == "nested-lists":
        body = '{"w": {"dtype": "U8", "shape": ' + "[" * depth + "]" * depth + "}}"
    else:
        body = '{"w": ' + '{"a": [[' * depth + "]]}" * depth + "}"
    text = body.encode()
    path = tmp_path / "deep.safetensors"
    path.write_bytes(struct.pack("<Q", len(text)) + text)
    refused_within_bound(path, "load: cannot read")


def test_a_deeply_nested_structure_is_the_librarys_error(tmp_path):
    path = tmp_path / "deep.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("__structure__.json", '{"list": ' * 50_000 + "[]" + "}" * 50_000)
    refused_within_bound(path, "load: cannot read .* its structure is damaged")


def structure_file(tmp_path, text: str, kind: str):
    """A file whose only content is the JSON structure `text`, as either format holds it."""
    if kind == "npz":
        path = tmp_path / "structure.npz"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("__structure__.json", text)
    else:
        path = tmp_path / "structure.safetensors"
        header = json.dumps({"__metadata__": {"autodiff.structure": text}}).encode()
        path.write_bytes(struct.pack("<Q", len(header)) + header)
    return path


@pytest.mark.parametrize("kind", ["npz", "safetensors"])
@pytest.mark.parametrize(
    ("node", "message"),
    [
        ("{}", r"a node with keys \[\]"),
        ('{"what": 1}', "unknown tag 'what'"),
        ('{"list": [], "list": []}', r"a node with keys \['list', 'list'\]"),
        ('{"float": "1e999"}', "float '1e999'; expected 'nan', 'inf' or '-inf'"),
        ('{"array": "w"}', "array 'w' names no array of the file"),
    ],
)
def test_a_structure_stuffed_with_bad_nodes_is_refused_at_the_first(tmp_path, kind, node, message):
    path = structure_file(tmp_path, '{"list": [' + ",".join([node] * 1_000_000) + "]}", kind)
    refused_within_bound(path, f"its structure is damaged .*{message}")


def test_a_valid_structure_costs_what_its_values_do_not_the_json_spelling_them(tmp_path):
    nodes = ",".join(['{"list": []}'] * 100_000)
    path = structure_file(tmp_path, '{"list": [' + nodes + ', {"what": 1}]}', "npz")
    size = os.path.getsize(path)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="unknown tag 'what'"):
            autodiff.load(path)  # refused only at its last node, after 100,000 valid ones
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * size, f"peak {peak / MB:.1f} MB for a {size / MB:.1f} MB structure"


def test_arrays_left_out_of_the_structure_are_refused_before_they_are_read(tmp_path):
    path = tmp_path / "extra.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("w.npy", "w") as member:
            np.lib.format.write_array(member, np.ones(2))
        with archive.open("unused.npy", "w", force_zip64=True) as member:
            np.lib.format.write_array(member, np.zeros(100 * MB, np.uint8))  # 100 kB deflated
        archive.writestr("__structure__.json", json.dumps({"array": "w"}))
    refused_within_bound(path, r"arrays \['unused'\] are not in its structure")


def cpu_seconds_to_refuse(path) -> float:
    """The processor time (not the wall time, which other processes stretch) that refusing
    `path` takes, without tracemalloc's overhead."""
    start = time.process_time()
    with pytest.raises(ValueError):
        autodiff.load(path)
    return time.process_time() - start


def central_directory_of(count: int, name: bytes, payload: int = 1) -> bytes:
    """One stored member of `payload` bytes, listed `count` times in the central directory
    under `name` (distinct names, `name` with a number, if it holds a %d)."""
    data = npy_bytes(bytes(payload))
    head = local_header(name, data) + data
    if b"%d" in name:
        directory = b"".join(central_entry(name % i, data, 0) for i in range(count))
    else:
        directory = central_entry(name, data, 0) * count
    return head + directory + end_of_directory(count % 65536, len(directory), len(head))


def test_refusing_forty_thousand_duplicate_npz_members_takes_linear_time(tmp_path):
    path = tmp_path / "duplicates.npz"
    payload = 160 * 40_000  # a file big enough for so many members: their names are judged
    path.write_bytes(central_directory_of(40_000, b"w.npy", payload=payload))
    refused_within_bound(path, r"it holds members \['w.npy'\] more than once")
    assert cpu_seconds_to_refuse(path) < 4  # a quadratic check takes about 20 s


@pytest.mark.parametrize("end", ["plain", "offset-spelling-the-end-signature"])
def test_a_directory_stuffed_with_entries_is_refused_before_zipfile_reads_it(tmp_path, end):
    path = tmp_path / "stuffed.npz"
    data = central_directory_of(300_000, b"%d")  # 15 MB of 50-byte entries
    if end != "plain":  # zipfile ignores the offset, and must not be read otherwise than here
        data = data[:-6] + b"PK\x05\x06" + data[-2:]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert len(archive.infolist()) == 300_000
    path.write_bytes(data)
    refused_within_bound(path, "its directory lists up to 300000 members, more than one per 160")


def test_refusing_forty_thousand_duplicate_safetensors_names_takes_linear_time(tmp_path):
    spec = '{"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}'
    text = ("{" + ",".join([f'"w": {spec}'] * 40_000) + "}").encode()
    path = tmp_path / "duplicates.safetensors"
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"\1")
    refused_within_bound(path, r"names \['w'\] more than once")
    assert cpu_seconds_to_refuse(path) < 4  # a quadratic check takes about 25 s


def test_many_problems_are_listed_in_a_bounded_message(tmp_path):
    path = tmp_path / "complex.npz"
    np.savez(path, **{f"c{i}": np.ones(1, np.complex64) for i in range(500)})
    message = refused_within_bound(path, r"(?s)has dtype complex64;.*\n  \.\.\. and 480 more")
    assert message.count("complex64") == 20


# ----- 2. temporary files never written through a planted name -----------------------------


@pytest.mark.parametrize("name", ["model.npz", "model.safetensors"])
@pytest.mark.parametrize("plant", ["symlink", "hardlink", "dangling-symlink"])
def test_a_link_planted_at_the_temporary_name_is_not_written_through(tmp_path, name, plant):
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious")
    temporary = tmp_path / f".{name}.tmp"
    if plant == "symlink":
        temporary.symlink_to(victim)
    elif plant == "hardlink":
        os.link(victim, temporary)
    else:
        temporary.symlink_to(tmp_path / "nowhere" / "file")
    autodiff.save({"w": np.ones(3)}, tmp_path / name)
    assert victim.read_bytes() == b"precious"
    assert not (tmp_path / name).is_symlink()
    np.testing.assert_array_equal(autodiff.load(tmp_path / name)["w"], np.ones(3))
    assert sorted(os.listdir(tmp_path)) == sorted([name, "victim.txt"])


def test_saving_to_a_symbolic_link_still_writes_the_file_it_points_to(tmp_path):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "model.npz"
    (tmp_path / "link.npz").symlink_to(target)
    autodiff.save({"w": np.ones(2)}, tmp_path / "link.npz")
    assert (tmp_path / "link.npz").is_symlink()
    np.testing.assert_array_equal(autodiff.load(target)["w"], np.ones(2))


# ----- 10, 11. strict checkpoint parsing -------------------------------------------------------


def with_structure(tmp_path, structure: object, arrays: dict) -> str:
    path = tmp_path / "checkpoint.npz"
    with zipfile.ZipFile(path, "w") as archive:
        for key, value in arrays.items():
            with archive.open(f"{key}.npy", "w") as member:
                np.lib.format.write_array(member, value)
        archive.writestr("__structure__.json", json.dumps(structure))
    return path


@pytest.mark.parametrize(
    ("structure", "arrays", "message"),
    [
        ({"tensor": "w", "requires_grad": "no"}, {"w": np.ones(2)}, "requires_grad='no'"),
        ({"tensor": "w", "requires_grad": 1}, {"w": np.ones(2)}, "requires_grad=1"),
        ({"scalar": "w"}, {"w": np.ones(2)}, r"scalar 'w' has shape \(2,\)"),
        ({"array": "w", "requires_grad": True}, {"w": np.ones(2)}, "a node with keys"),
        ({"array": ["w"]}, {"w": np.ones(2)}, "names no array of the file"),
        ({"float": "1e999"}, {}, "expected 'nan', 'inf' or '-inf'"),
        ({"dict": [["a"]]}, {}, r"not a list of \[key, value\] pairs"),
        ({"dict": [[{"list": []}, 1]]}, {}, "a dict key of type list"),
        ({"list": "abc"}, {}, "a list that is not a JSON list"),
        ({"array": "w", "list": []}, {"w": np.ones(2)}, "a node with keys"),
        ({"dict": [["a", 1], ["a", 2]]}, {}, "a dict with the key 'a' twice"),
        ({"list": [[1, 2]]}, {}, "unexpected list"),
        ({"list": {"list": []}}, {}, "a list that is not a JSON list"),
        ({"tuple": [{"scalar": "w"}, {"scalar": "w"}]}, {"w": np.float64(2)}, "used twice"),
    ],
)
def test_a_checkpoint_whose_structure_lies_is_refused(tmp_path, structure, arrays, message):
    path = with_structure(tmp_path, structure, arrays)
    with pytest.raises(ValueError, match=f"load: cannot read .*{message}"):
        autodiff.load(path)


def test_json_constants_in_a_structure_are_refused(tmp_path):
    path = tmp_path / "constant.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("__structure__.json", '{"list": [NaN]}')
    with pytest.raises(ValueError, match="non-JSON constant NaN"):
        autodiff.load(path)


@pytest.mark.parametrize("path", [None, 3.5, ["model.npz"]])
def test_a_path_that_is_not_a_file_name_is_the_librarys_error(path):
    with pytest.raises(TypeError, match="load: path of type"):
        autodiff.load(path)
    with pytest.raises(TypeError, match="save: path (is a|of type)"):
        autodiff.save({}, path)

"""Reading training data from files: a `.npz` archive or a folder of `.npy` files, never
unpickling anything (``allow_pickle`` stays False), memory-mapping what can be mapped.

A `.npy` file and each member a `.npz` archive stores uncompressed (`numpy.savez`) are
memory-mapped read-only: the arrays may be larger than memory, and nothing is read until a
check or a training step touches it. A compressed member (`numpy.savez_compressed`) can only be
inflated into memory, once. What cannot be read becomes a `ReadProblem` (GS801, GS802) that
`graphspec.train.data.check_data` reports beside every other problem of the data.
"""

from __future__ import annotations

import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from graphspec.diagnostics import Code, codes

_LOCAL_HEADER = 30
"""Bytes of a zip member's local header before its name and extra field."""


@dataclass(frozen=True)
class ReadProblem:
    """Something that kept an array (``key``) or the whole source (``key`` None) from being
    read; positioned against the spec when the check runs."""

    code: Code
    message: str
    key: str | None = None
    hint: str | None = None


@dataclass(frozen=True)
class ReadArrays:
    """What reading a file or folder gave: arrays by key, where each came from, problems."""

    arrays: dict[str, Any]
    sources: dict[str, str]
    problems: tuple[ReadProblem, ...]


class _Refused(Exception):
    """One array cannot be read: its problem."""

    def __init__(self, problem: ReadProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def read_path(path: Path) -> ReadArrays:
    """A `.npz` file or a folder of `.npy` files; never raises for bad data."""
    if path.is_dir():
        return _read_folder(path)
    if not path.exists():
        return _failed(
            f"no such file or folder: {path}",
            "give a .npz file or a folder of .npy files; a data function is named by --data "
            "once allowed (--data-function MODULE.FUNCTION, or [tool.graphspec] data-functions)",
        )
    if path.suffix == ".npy":
        return _failed(
            f"{path} is one array without a name",
            "put the arrays in a .npz archive (numpy.savez) or name each file after its input "
            "or head inside a folder, and give the folder",
        )
    return _read_archive(path)


def _failed(message: str, hint: str | None = None) -> ReadArrays:
    return ReadArrays({}, {}, (ReadProblem(codes.DATA_UNREADABLE, message, None, hint),))


def _collect(
    named: list[tuple[str, str]], read: Any
) -> tuple[dict[str, Any], dict[str, str], list[ReadProblem]]:
    """Read each (key, where) with ``read(key)``, keeping going past refusals."""
    arrays: dict[str, Any] = {}
    sources: dict[str, str] = {}
    problems: list[ReadProblem] = []
    for key, where in named:
        try:
            arrays[key] = read(key)
            sources[key] = where
        except _Refused as refused:
            problems.append(refused.problem)
    return arrays, sources, problems


def _read_folder(folder: Path) -> ReadArrays:
    files = {p.stem: p for p in sorted(folder.glob("*.npy")) if p.is_file()}
    if not files:
        return _failed(
            f"{folder} holds no .npy files",
            "save one file per input and head: numpy.save(folder / 'image.npy', x)",
        )
    arrays, sources, problems = _collect(
        [(key, str(path)) for key, path in files.items()],
        lambda key: _map_npy(files[key], str(files[key]), key),
    )
    return ReadArrays(arrays, sources, tuple(problems))


def _read_archive(path: Path) -> ReadArrays:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        return _failed(
            f"{path} is not a .npz archive: {error}",
            "write it with numpy.savez(path, image=x, label=y), or give a folder of .npy files",
        )
    with archive:
        members = {
            info.filename.removesuffix(".npy"): info
            for info in archive.infolist()
            if info.filename.endswith(".npy")
        }
        if not members:
            return _failed(f"{path} holds no arrays", "numpy.savez(path, image=x, label=y)")
        arrays, sources, problems = _collect(
            [(key, f"{path}['{key}']") for key in members],
            lambda key: _read_member(path, archive, members[key], key),
        )
    return ReadArrays(arrays, sources, tuple(problems))


def _read_member(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo, key: str) -> Any:
    where = f"{path}['{key}']"
    if info.compress_type == zipfile.ZIP_STORED:
        with open(path, "rb") as handle:
            handle.seek(info.header_offset)
            header = handle.read(_LOCAL_HEADER)
            if len(header) < _LOCAL_HEADER or header[:4] != b"PK\x03\x04":
                raise _Refused(_unreadable(where, "a damaged zip entry", key))
            name_length, extra_length = struct.unpack("<HH", header[26:30])
            start = info.header_offset + _LOCAL_HEADER + name_length + extra_length
            return _map_at(path, handle, start, where, key, info.file_size)
    try:
        with archive.open(info) as member:
            _header(member, where, key)  # refuses object arrays before inflating anything
        with archive.open(info) as member:
            return np.lib.format.read_array(member, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise _Refused(_unreadable(where, str(error), key)) from None


def _map_npy(path: Path, where: str, key: str) -> Any:
    try:
        with open(path, "rb") as handle:
            return _map_at(path, handle, 0, where, key, path.stat().st_size)
    except OSError as error:
        raise _Refused(_unreadable(where, str(error), key)) from None


def _map_at(path: Path, handle: BinaryIO, start: int, where: str, key: str, size: int) -> Any:
    """The `.npy` array that starts at byte ``start`` of ``path``, memory-mapped read-only."""
    handle.seek(start)
    shape, fortran, dtype = _header(handle, where, key)
    offset = handle.tell()
    needed = dtype.itemsize * int(np.prod(shape, dtype=np.int64))
    if offset - start + needed > size:
        raise _Refused(
            _unreadable(where, f"cut short: {size} bytes where the array needs more", key)
        )
    if needed == 0:
        return np.empty(shape, dtype, order="F" if fortran else "C")
    return np.memmap(path, dtype, "r", offset, shape, "F" if fortran else "C")


def _header(handle: Any, where: str, key: str) -> tuple[tuple[int, ...], bool, np.dtype[Any]]:
    """A `.npy` header: (shape, fortran order, dtype); object dtypes are refused (GS802)."""
    try:
        version = np.lib.format.read_magic(handle)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(handle)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(handle)
    except (ValueError, OSError, EOFError, SyntaxError) as error:
        raise _Refused(_unreadable(where, f"not a .npy array ({error})", key)) from None
    if dtype.hasobject:
        raise _Refused(
            ReadProblem(
                codes.DATA_PICKLED,
                f"{where} holds Python objects (dtype {dtype}), which only unpickling reads; "
                "graphspec never unpickles data",
                key,
                "store numbers, booleans or fixed-width strings (x.astype(str))",
            )
        )
    return shape, fortran, dtype


def _unreadable(where: str, why: str, key: str) -> ReadProblem:
    hint = "write it again (numpy.save / numpy.savez); a copy may have been cut short"
    return ReadProblem(codes.DATA_UNREADABLE, f"{where} cannot be read: {why}", key, hint)

"""Read the files out of a Qt binary resource bundle (.rcc), as GCompris ships its images.

    python -m benchmarks.handdrawn.rcc BUNDLE.rcc OUTDIR [PREFIX]

The format (Qt's rcc, versions 1-3): a 'qres' header with the version and the offsets of the
tree, the data and the names; tree entries of 14 bytes (version 1) or 22 (later: a modification
time added); a directory entry holds its child count and first child, a file entry its data
offset; data blocks are a 4-byte length and the bytes, zlib-compressed behind a 4-byte size
when flag 1 is set. Zstandard blocks (flag 4) are skipped with a message: reading them would
need a package the project does not depend on.
"""

from __future__ import annotations

import struct
import sys
import zlib
from pathlib import Path

DIRECTORY, COMPRESSED, ZSTD = 2, 1, 4


def read_rcc(blob: bytes) -> dict[str, bytes]:
    """path -> content of every file in an .rcc bundle."""
    if blob[:4] != b"qres":
        raise ValueError("not a Qt resource bundle (no 'qres' header)")
    version, tree, data, names = struct.unpack(">IIII", blob[4:20])
    entry = 14 if version < 2 else 22

    def name(offset: int) -> str:
        at = names + offset
        (length,) = struct.unpack(">H", blob[at : at + 2])
        return blob[at + 6 : at + 6 + 2 * length].decode("utf-16-be")

    files: dict[str, bytes] = {}
    stack = [(0, "")]
    while stack:
        index, parent = stack.pop()
        at = tree + index * entry
        name_offset, flags = struct.unpack(">IH", blob[at : at + 6])
        path = f"{parent}/{name(name_offset)}".lstrip("/") if index else ""
        if flags & DIRECTORY:
            count, first = struct.unpack(">II", blob[at + 6 : at + 14])
            stack.extend((first + k, path) for k in range(count))
            continue
        (offset,) = struct.unpack(">I", blob[at + 10 : at + 14])
        (length,) = struct.unpack(">I", blob[data + offset : data + offset + 4])
        content = blob[data + offset + 4 : data + offset + 4 + length]
        if flags & ZSTD:
            print(f"skipped {path}: zstandard-compressed", file=sys.stderr)
            continue
        files[path] = zlib.decompress(content[4:]) if flags & COMPRESSED else content
    return files


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    prefix = args[2] if len(args) == 3 else ""
    out = Path(args[1])
    for path, content in read_rcc(Path(args[0]).read_bytes()).items():
        if path.startswith(prefix):
            target = out / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
    return 0


if __name__ == "__main__":
    sys.exit(main())

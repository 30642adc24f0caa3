from __future__ import annotations

import struct
import zlib

import cv2
import numpy as np
import pytest

from benchmarks.handdrawn import build
from benchmarks.handdrawn.build import ink_only
from benchmarks.handdrawn.rcc import read_rcc


def test_ink_only_keeps_the_ink_and_drops_the_colour_wash() -> None:
    page = np.full((60, 60, 3), 255, np.uint8)
    page[10:50, 10:50] = (120, 130, 125)  # a dark grey-green wash (brightness 130)
    page[20:40, 20:40] = (200, 170, 230)  # a pink one
    cv2.line(page, (5, 30), (55, 30), (20, 25, 30), 2)  # the ink, near black
    grey = ink_only(page)
    assert grey.dtype == np.uint8 and grey.shape == (60, 60)
    assert (grey[29:31, 5:55] <= 80).all()  # the ink stays dark
    assert (grey[12:18, 12:48] == 255).all() and (grey[22:28, 22:38] == 255).all()


def bundle(version: int, files: dict[str, tuple[bytes, bool]]) -> bytes:
    """A Qt .rcc with one folder 'pics' holding `files` (name -> content, zlib-compressed)."""
    names, name_at = b"", {}
    for name in ["pics", *files]:
        name_at[name] = len(names)
        encoded = name.encode("utf-16-be")
        names += struct.pack(">HI", len(name), 0) + encoded
    data, data_at = b"", {}
    for name, (content, packed) in files.items():
        body = struct.pack(">I", len(content)) + zlib.compress(content) if packed else content
        data_at[name] = len(data)
        data += struct.pack(">I", len(body)) + body
    size = 14 if version < 2 else 22
    pad = b"\0" * (size - 14)
    tree = struct.pack(">IHII", 0, 2, 1, 1) + pad  # the root: one child, entry 1
    tree += struct.pack(">IHII", name_at["pics"], 2, len(files), 2) + pad
    for name, (_, packed) in files.items():
        tree += struct.pack(">IHHHI", name_at[name], int(packed), 0, 0, data_at[name]) + pad
    header = 20
    return (b"qres" + struct.pack(">IIII", version, header, header + len(tree),
                                  header + len(tree) + len(data)) + tree + data + names)


@pytest.mark.parametrize("version", [1, 2])
def test_read_rcc_unpacks_plain_and_compressed_files(version: int) -> None:
    files = {"a.webp": (b"RIFF plain bytes", False), "b.svg": (b"<svg/>" * 50, True)}
    out = read_rcc(bundle(version, files))
    assert out == {"pics/a.webp": b"RIFF plain bytes", "pics/b.svg": b"<svg/>" * 50}
    with pytest.raises(ValueError, match="qres"):
        read_rcc(b"RIFF" + bundle(version, files)[4:])


def test_the_lorelei_set_is_its_first_heads_rendered_or_a_message_where_too_few(
        tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    src, out = tmp_path / "src", tmp_path / "set_lorelei"
    (src / "lorelei").mkdir(parents=True)
    for i in (2, 0, 1):
        (src / "lorelei" / f"lorelei-{i:04d}.svg").write_text("<svg/>")
    rendered: list[tuple[str, int]] = []

    def render(path, longest: int) -> np.ndarray:
        rendered.append((path.name, longest))
        return np.full((longest, longest, 3), 255, np.uint8)

    monkeypatch.setattr(build, "render_svg", render)
    monkeypatch.setattr(build, "LORELEI_COUNT", 4)
    with pytest.raises(SystemExit, match="make_set.sh"):
        build.build_lorelei(src, out)
    assert not rendered and not out.exists()
    monkeypatch.setattr(build, "LORELEI_COUNT", 2)
    made = build.build_lorelei(src, out)
    assert [p.name for p in made] == ["lorelei-0000.png", "lorelei-0001.png"]
    assert all(p.is_file() for p in made)
    assert rendered == [("lorelei-0000.svg", build.PEEPS_LONGEST),
                        ("lorelei-0001.svg", build.PEEPS_LONGEST)]

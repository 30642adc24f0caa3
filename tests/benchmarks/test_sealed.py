from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from benchmarks.sealed import POINTS, read_points, sealed_points


def _two_boxes() -> np.ndarray:
    """Two square outlines side by side, the left one broken by a 4 px gap in its top."""
    lines = np.zeros((40, 80), bool)
    for x0 in (5, 45):
        lines[5, x0 : x0 + 30] = lines[34, x0 : x0 + 30] = True
        lines[5:35, x0] = lines[5:35, x0 + 29] = True
    lines[5, 18:22] = False
    return lines


def test_a_point_is_sealed_only_in_a_region_of_its_own_off_the_edges() -> None:
    lines = _two_boxes()
    nothing = np.zeros(lines.shape, np.float32)
    inside_left, inside_right, outside = (20, 20), (20, 60), (2, 40)
    assert sealed_points(lines, nothing, [inside_left, inside_right, outside]) == [
        False, True, False]
    closed = nothing.copy()
    closed[5, 18:22] = 1.0  # the break closed
    assert sealed_points(lines, closed, [inside_left, inside_right]) == [True, True]
    # Two points a person sees in two regions, one region on the map: neither is sealed.
    assert sealed_points(lines, closed, [(15, 15), (25, 25), inside_right]) == [
        False, False, True]
    # Faint additions (under half ink) draw nothing; a point on a line is not sealed.
    assert sealed_points(lines, closed * 0.4, [inside_left]) == [False]
    assert sealed_points(lines, closed, [(5, 10)]) == [False]


def test_the_points_file_names_points_inside_the_drawings(tmp_path: Path) -> None:
    points = read_points(POINTS)
    assert points and all(regions for regions in points.values())
    for regions in points.values():
        for y, x in regions.values():
            assert 0 <= y < 640 and 0 <= x < 640  # load_drawings: 640 px at most
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"a": {"body": [3, 4]}}))
    assert read_points(path) == {"a": {"body": (3, 4)}}


def test_the_benchmark_seals_a_drawn_box_its_break_left_open(tmp_path: Path, capsys) -> None:
    import cv2

    from benchmarks.sealed import main

    image = np.full((64, 64, 3), 255, np.uint8)
    cv2.rectangle(image, (10, 10), (53, 53), (0, 0, 0), 2)
    image[9:13, 30:33] = 255  # a 3 px break in the top
    folder = tmp_path / "set"
    folder.mkdir()
    cv2.imwrite(str(folder / "box.png"), image)
    points = tmp_path / "points.json"
    points.write_text(json.dumps({"box": {"inside": [32, 32]}, "gone": {"x": [1, 1]}}))
    assert main(["--folder", str(folder), "--points", str(points), "--sensitivities", "0.5",
                 "--only", "input,ours"]) == 0
    out = capsys.readouterr()
    assert "not in" in out.err and "gone" in out.err
    rows = {line.split("|")[1].strip(): line for line in out.out.splitlines()
            if line.startswith("| ")}
    assert "| 0 of 1 |" in rows["input (nothing added)"]
    assert "| 1 of 1 |" in rows["ours @0.5"]


def test_escape_passages_are_the_breaks_a_fill_leaks_through_widest_first() -> None:
    from benchmarks.sealed import escape_passages

    lines = np.zeros((60, 60), bool)
    lines[10, 10:50] = lines[49, 10:50] = True
    lines[10:50, 10] = lines[10:50, 49] = True
    inside = (30, 30)
    assert escape_passages(lines, inside, []) == []  # sealed: no way out
    assert escape_passages(lines, (10, 20), []) == []  # on a line
    lines[10, 20:26] = False  # a 6 px break in the top
    lines[30:33, 49] = False  # a 3 px break in the right side
    passages = escape_passages(lines, inside, [])
    assert len(passages) == 2  # both breaks walled off, the third search finds none
    (y0, x0, w0), (y1, x1, w1) = passages
    assert abs(y0 - 10) <= 1 and 20 <= x0 <= 25 and 5 <= w0 <= 8
    assert 30 <= y1 <= 32 and abs(x1 - 49) <= 1 and 2 <= w1 <= 4
    # Another named point in the same region is a way out too, not only the edge.
    lines[10, 20:26] = lines[30:33, 49] = True
    lines[10:50, 30] = True
    lines[20:22, 30] = False  # the wall between two named points, broken by 2 px
    passages = escape_passages(lines, (30, 20), [(30, 40)])
    assert len(passages) == 1 and abs(passages[0][1] - 30) <= 1 and passages[0][2] <= 3


def test_a_point_near_a_wall_is_not_its_own_passage() -> None:
    # A named point 2 px from a wall of a box with a 12 px break: the passage found is the
    # break, not the point (every way out starts there, 4 px wide, before stop 54's fix).
    from benchmarks.sealed import escape_passages

    lines = np.zeros((80, 80), bool)
    lines[10, 10:70] = lines[69, 10:70] = True
    lines[10:70, 10] = lines[10:70, 69] = True
    lines[10, 40:52] = False
    passages = escape_passages(lines, (66, 40), [], count=1)
    assert len(passages) == 1
    y, x, w = passages[0]
    assert abs(y - 10) <= 1 and 40 <= x <= 51 and 11 <= w <= 14


def test_the_benchmark_shows_where_an_open_region_leaks(tmp_path: Path, capsys) -> None:
    import cv2

    from benchmarks.sealed import main

    image = np.full((64, 64, 3), 255, np.uint8)
    cv2.rectangle(image, (10, 10), (53, 53), (0, 0, 0), 2)
    image[9:13, 26:40] = 255  # a 14 px opening in the top: left open
    folder = tmp_path / "set"
    folder.mkdir()
    cv2.imwrite(str(folder / "box.png"), image)
    points = tmp_path / "points.json"
    points.write_text(json.dumps({"box": {"inside": [32, 32]}}))
    leaks = tmp_path / "leaks"
    assert main(["--folder", str(folder), "--points", str(points), "--only", "input",
                 "--leaks", str(leaks)]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("| box | inside |"))
    width = float(row.split("|")[4].split(",")[0])
    assert 12 <= width <= 16
    pictures = list(leaks.iterdir())
    assert len(pictures) == 1
    picture = cv2.imread(str(pictures[0]))
    assert picture is not None and picture.shape[:2] == (128, 128)  # twice the drawing

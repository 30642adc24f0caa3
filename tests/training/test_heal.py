from __future__ import annotations

from pathlib import Path

import numpy as np

from krita_linerefiner.core.gaps import GapParams
from training.gaps import heal
from training.gaps.dataset import load_split, pooled_train
from training.gaps.make_data import write_npz


def drawing_with_a_break() -> tuple[np.ndarray, np.ndarray]:
    """A square outline whose top edge has a 3 px break, and a model's proposals on it: the
    break, and a blob in the bottom-left corner that fills a pocket but joins nothing."""
    ink = np.zeros((48, 48), np.float32)
    ink[8:10, 8:40] = 1.0
    ink[38:40, 8:40] = 1.0
    ink[8:40, 8:10] = 1.0
    ink[8:40, 38:40] = 1.0
    ink[8:10, 22:25] = 0.0
    prob = np.zeros_like(ink)
    prob[8:10, 22:25] = 0.95
    prob[36:38, 10:12] = 0.95
    return ink, prob


def test_bridges_keep_only_strokes_that_join_separate_pieces() -> None:
    ink, prob = drawing_with_a_break()
    got = heal.bridges(ink, prob, GapParams(max_gap=8))
    assert got[8:10, 22:25].all()
    assert not got[36:38, 10:12].any()
    assert got.sum() == 6


def test_bridges_respect_the_max_gap() -> None:
    ink, prob = drawing_with_a_break()
    ink[8:10, 18:30] = 0.0  # a 12 px break
    prob[8:10, 18:30] = 0.95
    assert not heal.bridges(ink, prob, GapParams(max_gap=8)).any()
    assert heal.bridges(ink, prob, GapParams(max_gap=16))[8:10, 18:30].all()


def test_healed_shards_label_the_breaks_and_keep_the_drawing_as_drawn(tmp_path: Path) -> None:
    ink, prob = drawing_with_a_break()
    target = np.round(ink * 255).astype(np.uint8)
    arrays = {"ink": target[None].copy(), "target": target[None].copy(),
              "gap_labels": np.zeros((1, 48, 48), np.uint8),
              "gap_lengths": np.zeros((1, 4), np.float32)}

    def propose(batch: np.ndarray) -> list[np.ndarray]:
        np.testing.assert_allclose(batch[0], ink, atol=1 / 255)
        return [heal.bridges(batch[0], prob, GapParams(max_gap=8))]

    healed = heal.heal_shard(arrays, propose)
    assert (healed["target"][0][8:10, 22:25] == 255).all()
    np.testing.assert_array_equal(healed["intact"][0], target)
    np.testing.assert_array_equal(healed["ink"][0], target)
    assert int(healed["healed_px"][0]) == 6

    (tmp_path / "h" / "train").mkdir(parents=True)
    write_npz(tmp_path / "h" / "train" / "shard_0000.npz", healed)
    (tmp_path / "plain" / "train").mkdir(parents=True)
    write_npz(tmp_path / "plain" / "train" / "shard_0000.npz", arrays)
    pooled = pooled_train([tmp_path / "plain", tmp_path / "h"])
    # Uncut samples show the drawing as drawn: the plain folder's target, the healed one's intact.
    np.testing.assert_array_equal(pooled["intact"][0], target)
    np.testing.assert_array_equal(pooled["intact"][1], target)
    assert (pooled["target"][1][8:10, 22:25] == 255).all()
    assert len(load_split(tmp_path / "h", "train")["healed_px"]) == 1


def test_end_links_join_a_stroke_that_stops_short_and_nothing_else() -> None:
    ink = np.zeros((48, 48), np.float32)
    ink[30:32, 4:44] = 1.0  # a bar
    ink[6:28, 20:22] = 1.0  # a stem that stops 2 px above it
    ink[6:20, 36:38] = 1.0  # a stem far from everything
    got = heal.end_links(ink, 3)
    assert got[28:30, 20:22].any(axis=1).all()  # every row of the 2 px gap is bridged
    assert not got[:, 30:].any()
    assert not (got & (ink >= 0.5)).any()
    assert not heal.end_links(ink, 1).any()


def test_healing_twice_keeps_the_drawing_as_drawn_and_adds_up_the_counts() -> None:
    ink, prob = drawing_with_a_break()
    target = np.round(ink * 255).astype(np.uint8)
    arrays = {"ink": target[None].copy(), "target": target[None].copy()}
    once = heal.heal_shard(arrays, lambda t: [heal.bridges(t[0], prob, GapParams(max_gap=8))])
    extra = np.zeros((48, 48), bool)
    extra[20, 20] = True
    twice = heal.heal_shard(once, lambda t: [extra])
    np.testing.assert_array_equal(twice["intact"][0], target)
    assert int(twice["healed_px"][0]) == 7
    assert twice["target"][0][20, 20] == 255 and (twice["target"][0][8:10, 22:25] == 255).all()

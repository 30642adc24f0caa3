"""Score the exported gap model on a held-out split and record the numbers in the manifest.

    python -m training.gaps.evaluate [--split test] [--models models] [--record]

The metrics are the benchmark's (benchmarks/metrics.py), computed on our model only; the full
comparison with the baselines is `python -m benchmarks.gaps`. `--record` writes the summary into
the "gaps" entry of models/manifest.json.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from benchmarks.gaps import format_table, load_data, run
from krita_linerefiner.core.gaps import GapParams, close_gaps
from krita_linerefiner.core.models import clear_session_cache, create_session

RECORDED = (
    "closure_1_8",
    "closure_9_16",
    "closure_all",
    "false_addition_rate",
    "added_px_per_mp_gap_free",
    "regions_recovered_rate",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("data/gaps"))
    parser.add_argument("--split", default="test")
    parser.add_argument("--models", type=Path, default=Path("models"))
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--sensitivities", default="0.5", help="comma-separated")
    parser.add_argument("--record", action="store_true", help="write the metrics into the manifest")
    args = parser.parse_args()

    os.environ["LINEREFINER_MODELS"] = str(args.models.resolve())
    clear_session_cache()
    session = create_session("gaps", threads=args.threads)
    data = load_data(args.data, args.split, args.limit)
    methods = {}
    for value in (float(s) for s in args.sensitivities.split(",")):
        params = GapParams(sensitivity=value)
        methods[f"ours sensitivity {value}"] = lambda ink, p=params: (
            close_gaps(ink, p, session=session).gaps
        )
    results = run(methods, data)
    print(format_table(results))

    if args.record:
        default = results.get("ours sensitivity 0.5")
        if default is None:
            raise SystemExit("--record needs the default sensitivity 0.5 in --sensitivities")
        manifest_path = args.models / "manifest.json"
        manifest = json.loads(manifest_path.read_text())
        manifest["models"]["gaps"]["metrics"] = {
            "split": f"{args.split} ({len(data['ink'])} held-out crops)",
            "params": "GapParams() defaults",
            **{key: round(float(default[key]), 4) for key in RECORDED},
            "command": "python -m training.gaps.evaluate --split test --record",
        }
        manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        print(f"recorded in {manifest_path}")


if __name__ == "__main__":
    main()

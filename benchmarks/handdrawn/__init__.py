"""A second set of real drawings for benchmarks.real: hand-drawn line art from the package
registries (`bash benchmarks/handdrawn/make_set.sh OUT`, then `--folder OUT/set`)."""

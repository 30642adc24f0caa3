#!/usr/bin/env bash
# Run the whole test suite: bash tests/run.sh [pytest args]. Works from any directory and on a
# fresh machine: creates .venv, installs what the tests need (again only when the requirements
# change), installs Krita + Xvfb for the real-Krita tests when it can, then runs pytest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
VENV=$ROOT/.venv
# The package with its runtime deps and the [test] extra from pyproject.toml (onnx for the tests
# that build tiny models, scipy for the benchmark code they share). Torch is for training only
# and is not installed here.
REQUIREMENTS=(-e ".[test]")

as_root() { [ "$(id -u)" = 0 ]; }

apt_install() {
    DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

make_venv() {
    rm -rf "$VENV"
    python3 -m venv "$VENV" && return 0
    # Debian ships venv's pip bootstrap separately.
    if as_root; then
        rm -rf "$VENV"
        apt_install python3-venv
        python3 -m venv "$VENV"
    else
        echo "tests/run.sh: python3 -m venv failed; install python3-venv" >&2
        return 1
    fi
}

if ! "$VENV/bin/python" -c "import sys" >/dev/null 2>&1; then
    echo "tests/run.sh: creating $VENV" >&2
    make_venv
fi

stamp_file=$VENV/.linerefiner-requirements
stamp=$({ cat pyproject.toml; echo "${REQUIREMENTS[*]}"; "$VENV/bin/python" -VV; } | sha256sum)
if [ "$(cat "$stamp_file" 2>/dev/null)" != "$stamp" ]; then
    echo "tests/run.sh: installing test requirements into $VENV" >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${REQUIREMENTS[@]}"
    echo "$stamp" >"$stamp_file"
fi

if ! command -v krita >/dev/null || ! command -v xvfb-run >/dev/null; then
    if as_root; then
        echo "tests/run.sh: installing krita and xvfb for the real-Krita tests" >&2
        apt_install krita xvfb ||
            echo "tests/run.sh: WARNING: could not install krita/xvfb; tests/e2e will fail" >&2
    else
        echo "tests/run.sh: WARNING: krita or xvfb-run is missing and this is not root;" \
            "the real-Krita tests in tests/e2e cannot run (they report it)" >&2
    fi
fi

export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
status=0
"$VENV/bin/python" -m pytest "$@" || status=$?
if [ "$status" = 5 ]; then
    echo "tests/run.sh: pytest collected no tests; that is a failure" >&2
fi
exit "$status"

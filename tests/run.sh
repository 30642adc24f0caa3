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
main_status=$status

# -- The other Pythons Krita ships -----------------------------------------------------------
# Krita 5.2 runs Python 3.10, Ubuntu's 5.2 3.12, Krita 5.3 and 6 3.13 (the main run above uses
# python3, 3.11 like Debian's Krita). The core and plugin tests (not the real-Krita or training
# ones) run again under each, in its own .venv-pyX.Y, with the Qt binding those Kritas use.
# They run with the whole suite (no test paths given), or when LINEREFINER_PYTHONS names them
# ("3.10 3.13"; "none" skips them). A Python that is not installed is a warning, not a failure.
OTHER_TESTS=(tests/core tests/plugin tests/e2e/test_plugin_without_krita.py tests/test_cli.py
             tests/test_install.py tests/test_vendoring.py tests/test_installer.py)
declare -A BINDINGS=([3.10]="PyQt5" [3.12]="PyQt5" [3.13]="PyQt5 PyQt6")

targeted=false
for arg in "$@"; do
    if [[ "$arg" != -* && ( -e "${arg%%::*}" ) ]]; then targeted=true; fi
done
pythons=${LINEREFINER_PYTHONS:-}
if [ -z "$pythons" ] && ! $targeted; then pythons="3.10 3.12 3.13"; fi
[ "$pythons" = none ] && pythons=""

find_python() {  # prints a working interpreter for version $1; pyenv shims of unselected
    local version=$1 candidate  # versions exist on PATH but fail, so each one is tried
    for candidate in "$(command -v "python$version" || true)" \
        "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$version".*/bin/"python$version"; do
        if [ -x "$candidate" ] && "$candidate" -c "import sys, venv; sys.exit(sys.version_info[:2] != tuple(map(int, '$version'.split('.'))))" >/dev/null 2>&1; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

summary=()
for version in $pythons; do
    python=$(find_python "$version") || {
        echo "tests/run.sh: WARNING: python$version is not installed here; the core and" \
            "plugin tests did NOT run under Python $version (pyenv install $version adds it)" >&2
        summary+=("$version: NOT RUN (no python$version)")
        continue
    }
    venv=$ROOT/.venv-py$version
    # The [test] extra, with only the Qt bindings of the Kritas that run this Python.
    mapfile -t reqs < <("$VENV/bin/python" - "${BINDINGS[$version]:-}" <<'PY'
import re, sys
text = open("pyproject.toml", encoding="utf-8").read()
try:
    import tomllib
    extra = tomllib.loads(text)["project"]["optional-dependencies"]["test"]
except ImportError:  # a .venv of Python 3.10
    extra = re.findall(r'"([^"]+)"', re.search(r"^test = \[(.*)\]", text, re.M).group(1))
for requirement in extra:
    name = re.split(r"[<>=!~ ;\[]", requirement)[0]
    if not name.startswith("PyQt") or name in sys.argv[1].split():
        print(requirement)
PY
)
    reqs=(-e . "${reqs[@]}")
    if ! "$venv/bin/python" -c "import sys" >/dev/null 2>&1; then
        echo "tests/run.sh: creating $venv with $python" >&2
        rm -rf "$venv"
        "$python" -m venv "$venv" || {
            echo "tests/run.sh: could not create $venv" >&2
            status=1; summary+=("$version: FAILED (no venv)"); continue
        }
    fi
    venv_stamp=$({ cat pyproject.toml; echo "${reqs[*]}"; "$venv/bin/python" -VV; } | sha256sum)
    if [ "$(cat "$venv/.linerefiner-requirements" 2>/dev/null)" != "$venv_stamp" ]; then
        echo "tests/run.sh: installing the core/plugin test requirements into $venv" >&2
        if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${reqs[@]}"; then
            echo "tests/run.sh: pip could not install the requirements for Python $version" >&2
            status=1; summary+=("$version: FAILED (pip install)"); continue
        fi
        echo "$venv_stamp" >"$venv/.linerefiner-requirements"
    fi
    echo "tests/run.sh: core and plugin tests under $("$venv/bin/python" -V)" \
        "(${BINDINGS[$version]:-no Qt})" >&2
    other=0
    "$venv/bin/python" -m pytest -q -p no:cacheprovider "${OTHER_TESTS[@]}" || other=$?
    if [ "$other" = 0 ]; then
        summary+=("$version: passed")
    else
        summary+=("$version: FAILED (pytest exit $other)")
        status=1
    fi
done
if [ ${#summary[@]} -gt 0 ]; then
    echo "tests/run.sh: main run ($("$VENV/bin/python" -V)):" \
        "$([ "$main_status" = 0 ] && echo passed || echo "FAILED (pytest exit $main_status)");" \
        "other Pythons: $(printf '%s; ' "${summary[@]}")" >&2
fi
exit "$status"

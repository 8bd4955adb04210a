#!/usr/bin/env bash
# Install the Autobahn|Testsuite client (wstest, Python 2.7 code) from PyPI into a virtualenv
# outside the repo. Idempotent: a second run with unchanged pins only checks the venv.
#
#   AUTOBAHN_VENV  where the venv lives   (default: $HOME/.cache/relayd-autobahn/venv)
#   AUTOBAHN_PY27  the Python 2.7 to use  (default: pyenv's /root/.pyenv/versions/2.7.18)
#
# Needs: PyPI, a Python 2.7 with headers (pyenv builds install them), gcc + libc6-dev for
# wsaccel (installed with apt-get below when missing), and python3 (only to fetch virtualenv;
# without a working `python3 -m venv` the Python 2.7's own pip is used instead).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
req="$here/requirements-py27.txt"
venv=${AUTOBAHN_VENV:-$HOME/.cache/relayd-autobahn/venv}
py27=${AUTOBAHN_PY27:-/root/.pyenv/versions/2.7.18/bin/python}
# virtualenv 20.22 dropped creating Python < 3.7 environments; 20.21.1 is the last before
# that and seeds pip 20.3.4 / setuptools 44.1.1 / wheel 0.37.1 (the last for Python 2.7).
# Fallback when python3 can't make a venv: 20.15.1 is the last virtualenv that itself runs
# on Python 2.7 (same seed versions).
virtualenv_pin='virtualenv==20.21.1' virtualenv_py27_pin='virtualenv==20.15.1'
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_PYTHON_VERSION_WARNING=1

[[ -x $py27 ]] || { echo "setup.sh: no Python 2.7 at $py27 (set AUTOBAHN_PY27)" >&2; exit 1; }
"$py27" -c 'import sys; assert sys.version_info[:2] == (2, 7), sys.version' \
    || { echo "setup.sh: $py27 is not Python 2.7" >&2; exit 1; }
"$py27" -c 'import os, sysconfig; p = sysconfig.get_paths()["include"]
assert os.path.exists(os.path.join(p, "Python.h")), p' \
    || { echo "setup.sh: Python.h missing for $py27 (wsaccel needs it)" >&2; exit 1; }

# wsaccel (autobahn[accelerate]) has no cp27 wheel on PyPI, so it is compiled: gcc, libc6-dev.
missing=()
for package in gcc libc6-dev; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]})); then
    echo "installing: ${missing[*]}"
    sudo=; ((EUID == 0)) || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Create the Python 2.7 venv if missing (or broken). virtualenv itself lives in a throwaway
# directory: it is only needed for this one step.
if ! "$venv/bin/python" -c 'import sys; assert sys.version_info[:2] == (2, 7)' 2>/dev/null; then
    tool=$(mktemp -d)
    trap 'rm -rf "$tool"' EXIT
    if python3 -m venv "$tool/venv" >/dev/null 2>&1; then
        "$tool/venv/bin/pip" install -q "$virtualenv_pin"
        make_venv=("$tool/venv/bin/virtualenv")
    else
        echo "python3 -m venv unavailable; installing virtualenv with $py27's pip"
        "$py27" -m pip install -q --target "$tool/lib" "$virtualenv_py27_pin"
        make_venv=(env PYTHONPATH="$tool/lib" "$py27" -m virtualenv)
    fi
    rm -rf "$venv"
    "${make_venv[@]}" --no-periodic-update -p "$py27" "$venv"
fi

# Install the pins. --no-deps + `pip check`: every transitive dependency must be in the file,
# so nothing unpinned sneaks in. --no-build-isolation: the sdists (autobahn, txaio, wsaccel;
# wsaccel ships its generated C) build with the venv's seeded setuptools/wheel instead of
# downloading unpinned build requirements (wsaccel's pyproject asks for Cython it never uses).
stamp="$venv/.relayd-requirements.sha256"
want=$(sha256sum "$req" | cut -d' ' -f1)
if [[ -f $stamp && $(<"$stamp") == "$want" ]] && "$venv/bin/wstest" --help >/dev/null 2>&1; then
    echo "autobahn venv up to date: $venv"
else
    "$venv/bin/pip" install -q --no-deps --no-build-isolation -r "$req"
    "$venv/bin/pip" check
    echo "$want" >"$stamp"
fi

# Proof. (cryptography 3.3 warns on stderr that Python 2 is deprecated; hide that noise.)
"$venv/bin/wstest" --autobahnversion 2>/dev/null
help=$("$venv/bin/wstest" --help 2>/dev/null)
head -3 <<<"$help"
echo "wstest: $venv/bin/wstest"

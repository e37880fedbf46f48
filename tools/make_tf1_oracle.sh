#!/usr/bin/env bash
# Build the TF 1.15 oracle: a Python 3.7 virtualenv holding tensorflow==1.15.5
# (CPU, with tf.contrib) in a cache directory, then print its interpreter path.
#
#   tools/make_tf1_oracle.sh            # build (about 2 minutes) or reuse; print the path
#   TFSHARE_TF1_ORACLE_DIR=DIR tools/make_tf1_oracle.sh
#
# The tests find the interpreter through $TFSHARE_TF1_PYTHON, else at
# $TFSHARE_TF1_ORACLE_DIR/bin/python (default ~/.cache/tfshare/tf115). Exits 1,
# with the reason on stderr, when no Python 3.7 is available.
set -euo pipefail

dir="${TFSHARE_TF1_ORACLE_DIR:-$HOME/.cache/tfshare/tf115}"
want="1.15.5"

ready() {
    [ -x "$dir/bin/python" ] && "$dir/bin/python" - <<PY >/dev/null 2>&1
import tensorflow as tf
assert tf.__version__ == "$want", tf.__version__
import tensorflow.contrib.seq2seq, tensorflow.contrib.rnn, tensorflow.contrib.crf
PY
}

if ready; then
    echo "$dir/bin/python"
    exit 0
fi

# Python 3.7: pyenv's 3.7.x if present, else a python3.7 on PATH.
py37=""
if command -v pyenv >/dev/null 2>&1; then
    version="$(pyenv versions --bare 2>/dev/null | grep -E '^3\.7\.[0-9]+$' | tail -n 1 || true)"
    if [ -n "$version" ]; then
        py37="$(PYENV_VERSION="$version" pyenv which python3.7 2>/dev/null || true)"
    fi
fi
if [ -z "$py37" ] && command -v python3.7 >/dev/null 2>&1 && python3.7 -c "" >/dev/null 2>&1; then
    py37="$(command -v python3.7)"
fi
if [ -z "$py37" ]; then
    echo "make_tf1_oracle: no Python 3.7 found (TF 1.15 needs Python <= 3.7); oracle not built" >&2
    exit 1
fi

rm -rf "$dir"
mkdir -p "$(dirname "$dir")"
"$py37" -m venv "$dir"
"$dir/bin/python" -m pip install -q --disable-pip-version-check "tensorflow==$want" "protobuf<3.21" >&2
if ! ready; then
    echo "make_tf1_oracle: TF $want did not import in $dir" >&2
    exit 1
fi
echo "$dir/bin/python"

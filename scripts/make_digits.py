"""Build ``src/gradiente/datasets/digits.npz`` from scikit-learn's copy of the UCI digits.

Run once (gradiente itself never needs scikit-learn)::

    pip download scikit-learn --no-deps -d /tmp/skl
    python scripts/make_digits.py /tmp/skl/scikit_learn-*.whl

The wheel holds ``sklearn/datasets/data/digits.csv.gz``: 1,797 rows of 64 pixel values
(0..16, an 8×8 image read row by row) followed by the label. They are stored unchanged as uint8:
``images`` (1797, 8, 8) and ``targets`` (1797,), plus the SHA-256 of the source CSV.
"""

import argparse
import gzip
import hashlib
import io
import zipfile
from pathlib import Path

import numpy as np

SOURCE = "sklearn/datasets/data/digits.csv.gz"
TARGET = Path(__file__).resolve().parents[1] / "src" / "gradiente" / "datasets" / "digits.npz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", help="a scikit-learn wheel (.whl)")
    args = parser.parse_args()
    with zipfile.ZipFile(args.wheel) as wheel:
        compressed = wheel.read(SOURCE)
    csv = gzip.decompress(compressed)
    table = np.loadtxt(io.BytesIO(csv), delimiter=",", dtype=np.int64)
    if table.shape != (1797, 65) or table.min() < 0 or table[:, :64].max() > 16:
        raise SystemExit(f"unexpected digits table: shape {table.shape}")
    images = table[:, :64].reshape(-1, 8, 8).astype(np.uint8)
    targets = table[:, 64].astype(np.uint8)
    sha256 = hashlib.sha256(csv).hexdigest()
    np.savez_compressed(TARGET, images=images, targets=targets, source_sha256=np.array(sha256))
    print(f"wrote {TARGET} ({TARGET.stat().st_size} bytes); source CSV sha256 {sha256}")


if __name__ == "__main__":
    main()

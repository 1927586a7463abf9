"""``History``: the per-epoch metrics that ``fit`` returns (and writes to ``history.csv``)."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable

# The columns of history.csv, in order; ``val_*`` are empty when there is no validation set and
# the accuracies are empty when the task is not classification.
COLUMNS = (
    "epoch",
    "train_loss",
    "train_accuracy",
    "val_loss",
    "val_accuracy",
    "lr",
    "seconds",
)


class History:
    """One row of metrics per completed epoch.

    ``history.rows`` is a list of dicts with the keys of ``COLUMNS``; ``history["val_loss"]``
    is one column as a list (``None`` where a metric was not measured). ``interrupted`` is True
    when training stopped on Ctrl-C, ``stopped_early`` when a callback stopped it;
    ``terminated`` is the reason when a callback terminated it (e.g. ``TerminateOnNaN``: the
    loss diverged), else None.
    """

    def __init__(self, rows: Iterable[dict] = ()) -> None:
        self.rows: list[dict] = [dict(r) for r in rows]
        self.interrupted = False
        self.stopped_early = False
        self.terminated: str | None = None

    def append(self, row: dict) -> None:
        """Add the metrics of one epoch."""
        self.rows.append({key: row.get(key) for key in COLUMNS})

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, key: str) -> list:
        """One column: ``history["train_loss"]`` is the training loss of each epoch."""
        if key not in COLUMNS:
            raise KeyError(f"no metric {key!r}; the columns are {', '.join(COLUMNS)}")
        return [row.get(key) for row in self.rows]

    @property
    def history(self) -> dict[str, list]:
        """All the columns, as a dict of lists (Keras's ``History.history``)."""
        return {key: self[key] for key in COLUMNS}

    def has(self, key: str) -> bool:
        """True when ``key`` was measured in at least one epoch."""
        return any(value is not None for value in self[key]) if self.rows else False

    def to_csv(self) -> str:
        """The rows as CSV text (floats written with ``repr``, so reading them back is exact)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in self.rows:
            writer.writerow(["" if row.get(k) is None else repr(row[k]) for k in COLUMNS])
        return out.getvalue()

    @classmethod
    def from_csv(cls, text: str) -> History:
        """Read back what ``to_csv`` wrote."""
        rows = []
        for record in csv.DictReader(io.StringIO(text)):
            row = {}
            for key in COLUMNS:
                value = record.get(key, "")
                if value in ("", None):
                    row[key] = None
                elif key == "epoch":
                    row[key] = int(value)
                else:
                    row[key] = float(value)
            rows.append(row)
        return cls(rows)

    def state_dict(self) -> dict:
        """The rows and flags, JSON-serialisable (for resuming)."""
        return {"rows": [dict(r) for r in self.rows]}

    def load_state_dict(self, state: dict) -> None:
        """Restore what ``state_dict`` returned."""
        self.rows = [dict(r) for r in state["rows"]]

    def __repr__(self) -> str:
        if not self.rows:
            return "History(0 epochs)"
        last = ", ".join(
            f"{k}={v:.4g}"
            for k, v in self.rows[-1].items()
            if k not in ("epoch", "seconds") and isinstance(v, float) and math.isfinite(v)
        )
        return f"History({len(self.rows)} epochs; last: {last})"

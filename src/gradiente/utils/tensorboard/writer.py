"""``SummaryWriter``: PyTorch's ``torch.utils.tensorboard`` writer, on TensorBoard's own event
file writer.

Each ``add_*`` call wraps one ``Summary`` (built in ``summary.py``) in an ``Event`` with the
global step and the wall time, and hands it to ``tensorboard``'s ``EventFileWriter``, which
appends it to ``<log_dir>/events.out.tfevents.<time>.<host>.<pid>.<n>`` from a background thread
(flushed every ``flush_secs`` seconds, when ``max_queue`` events wait, and on ``flush``/
``close``). ``tensorboard --logdir runs`` then shows every run folder below ``runs``.

The ``tensorboard`` package is optional: this module imports it only when a ``SummaryWriter``
is constructed, and says how to install it if it is missing.
"""

from __future__ import annotations

import os
import socket
import time
from datetime import datetime

INSTALL_HINT = (
    "SummaryWriter needs the tensorboard package: pip install 'gradiente[tensorboard]' "
    "(or pip install tensorboard)"
)


def require_tensorboard():
    """The modules the writer needs, (event_pb2, EventFileWriter, summary); ImportError with
    the install hint when the tensorboard package is missing."""
    try:
        from tensorboard.compat.proto import event_pb2
        from tensorboard.summary.writer.event_file_writer import EventFileWriter

        from gradiente.utils.tensorboard import summary
    except ImportError as error:
        raise ImportError(f"{INSTALL_HINT} ({error})") from error
    return event_pb2, EventFileWriter, summary


def default_log_dir(comment: str = "") -> str:
    """``runs/<Mon><DD>_<HH>-<MM>-<SS>_<host><comment>``, as PyTorch names a new run."""
    now = datetime.now().strftime("%b%d_%H-%M-%S")
    return os.path.join("runs", f"{now}_{socket.gethostname()}{comment}")


class FileWriter:
    """One event file in one folder: ``add_summary`` wraps a Summary in an Event."""

    def __init__(self, log_dir: str, max_queue: int, flush_secs: float, filename_suffix: str):
        self._event_pb2, event_file_writer, _ = require_tensorboard()
        self.log_dir = str(log_dir)
        self.event_writer = event_file_writer(self.log_dir, max_queue, flush_secs, filename_suffix)

    def get_logdir(self) -> str:
        """The folder of the event file."""
        return self.log_dir

    def add_event(self, event, step: int | None = None, walltime: float | None = None) -> None:
        """Write ``event`` stamped with ``walltime`` (default: now) and ``step``."""
        event.wall_time = time.time() if walltime is None else walltime
        if step is not None:
            event.step = int(step)
        self.event_writer.add_event(event)

    def add_summary(self, summary, step: int | None = None, walltime: float | None = None):
        """Write one Summary as an Event."""
        self.add_event(self._event_pb2.Event(summary=summary), step, walltime)

    def add_graph(self, graph_def, walltime: float | None = None) -> None:
        """Write a ``GraphDef`` (the Graphs dashboard)."""
        self.add_event(
            self._event_pb2.Event(graph_def=graph_def.SerializeToString()), None, walltime
        )

    def flush(self) -> None:
        self.event_writer.flush()

    def close(self) -> None:
        self.event_writer.close()


class SummaryWriter:
    """Write scalars, histograms, images, text, hyperparameters and graphs for TensorBoard.

    As ``torch.utils.tensorboard.SummaryWriter``: ``log_dir`` defaults to
    ``runs/<date-time>_<host><comment>``; ``purge_step`` hides events at or after that step
    left by a crashed run in the same folder; ``max_queue`` and ``flush_secs`` control how
    often the file is written. Use it as a context manager, or call ``close()``::

        with SummaryWriter("runs/exp1") as writer:
            for step in range(100):
                writer.add_scalar("loss/train", loss, step)
    """

    def __init__(
        self,
        log_dir: str | os.PathLike | None = None,
        comment: str = "",
        purge_step: int | None = None,
        max_queue: int = 10,
        flush_secs: float = 120,
        filename_suffix: str = "",
    ) -> None:
        _, _, self._summary = require_tensorboard()  # ImportError with the hint if missing
        self.log_dir = str(log_dir) if log_dir else default_log_dir(comment)
        self.purge_step = purge_step
        self.max_queue = max_queue
        self.flush_secs = flush_secs
        self.filename_suffix = filename_suffix
        self.file_writer: FileWriter | None = None
        self.all_writers: dict[str, FileWriter] | None = None
        self._get_file_writer()

    def _get_file_writer(self) -> FileWriter:
        """The writer of ``log_dir`` (opened again after ``close``)."""
        if self.file_writer is None:
            self.file_writer = FileWriter(
                self.log_dir, self.max_queue, self.flush_secs, self.filename_suffix
            )
            self.all_writers = {self.log_dir: self.file_writer}
            if self.purge_step is not None:
                # A SessionLog START at step T tells TensorBoard to drop older events >= T.
                event_pb2 = self.file_writer._event_pb2
                self.file_writer.add_event(
                    event_pb2.Event(file_version="brain.Event:2"), self.purge_step
                )
                start = event_pb2.SessionLog(status=event_pb2.SessionLog.START)
                self.file_writer.add_event(event_pb2.Event(session_log=start), self.purge_step)
                self.purge_step = None
        return self.file_writer

    def get_logdir(self) -> str:
        """The folder the events go to."""
        return self.log_dir

    # -------------------------------------------------------------------------- scalars
    def add_scalar(
        self,
        tag: str,
        scalar_value,
        global_step: int | None = None,
        walltime: float | None = None,
        new_style: bool = False,
        double_precision: bool = False,
    ) -> None:
        """One number (a Python number or a one-element tensor) at ``global_step``."""
        summary = self._summary.scalar(tag, scalar_value)
        self._get_file_writer().add_summary(summary, global_step, walltime)

    def add_scalars(
        self,
        main_tag: str,
        tag_scalar_dict: dict,
        global_step: int | None = None,
        walltime: float | None = None,
    ) -> None:
        """Several curves in one chart: each ``{tag: value}`` goes to its own run folder
        ``<log_dir>/<main_tag>_<tag>``, under the tag ``main_tag`` (PyTorch's layout)."""
        walltime = time.time() if walltime is None else walltime
        self._get_file_writer()
        for tag, value in tag_scalar_dict.items():
            folder = os.path.join(self.log_dir, main_tag.replace("/", "_") + "_" + tag)
            writer = self.all_writers.get(folder)
            if writer is None:
                writer = FileWriter(folder, self.max_queue, self.flush_secs, self.filename_suffix)
                self.all_writers[folder] = writer
            writer.add_summary(self._summary.scalar(main_tag, value), global_step, walltime)

    # -------------------------------------------------------------------------- histograms
    def add_histogram(
        self,
        tag: str,
        values,
        global_step: int | None = None,
        bins="tensorflow",
        walltime: float | None = None,
        max_bins: int | None = None,
    ) -> None:
        """A histogram of ``values`` (a tensor or array of any shape); ``bins`` as
        ``numpy.histogram``, or ``"tensorflow"`` for TensorFlow's geometric buckets."""
        summary = self._summary.histogram(tag, values, bins, max_bins)
        self._get_file_writer().add_summary(summary, global_step, walltime)

    # -------------------------------------------------------------------------- images
    def add_image(
        self,
        tag: str,
        img_tensor,
        global_step: int | None = None,
        walltime: float | None = None,
        dataformats: str = "CHW",
    ) -> None:
        """One image: (3, H, W) by default; ``dataformats`` ``"HWC"``, ``"HW"``, ... for other
        layouts. Floating values in [0, 1], ``uint8`` values in [0, 255]."""
        summary = self._summary.image(tag, img_tensor, dataformats)
        self._get_file_writer().add_summary(summary, global_step, walltime)

    def add_images(
        self,
        tag: str,
        img_tensor,
        global_step: int | None = None,
        walltime: float | None = None,
        dataformats: str = "NCHW",
    ) -> None:
        """A batch of images, (N, 3, H, W) by default, shown as one grid of 8 columns."""
        summary = self._summary.image(tag, img_tensor, dataformats)
        self._get_file_writer().add_summary(summary, global_step, walltime)

    # -------------------------------------------------------------------------- text
    def add_text(
        self,
        tag: str,
        text_string: str,
        global_step: int | None = None,
        walltime: float | None = None,
    ) -> None:
        """A string (rendered as Markdown) at ``global_step``."""
        summary = self._summary.text(tag, text_string)
        self._get_file_writer().add_summary(summary, global_step, walltime)

    # -------------------------------------------------------------------------- hparams
    def add_hparams(
        self,
        hparam_dict: dict,
        metric_dict: dict,
        hparam_domain_discrete: dict | None = None,
        run_name: str | None = None,
        global_step: int | None = None,
    ) -> None:
        """One row of the HParams dashboard: this run's hyperparameters and final metrics.

        As in PyTorch, they go to a sub-run ``<log_dir>/<run_name>`` (default: the current
        time), with each metric also written there as a scalar.
        """
        if type(hparam_dict) is not dict or type(metric_dict) is not dict:
            raise TypeError("hparam_dict and metric_dict should be dictionary.")
        summaries = self._summary.hparams(hparam_dict, metric_dict, hparam_domain_discrete)
        folder = os.path.join(self._get_file_writer().get_logdir(), run_name or str(time.time()))
        with SummaryWriter(log_dir=folder) as sub:
            for summary in summaries:
                sub.file_writer.add_summary(summary, global_step)
            for tag, value in metric_dict.items():
                sub.add_scalar(tag, value, global_step)

    # -------------------------------------------------------------------------- graphs
    def add_graph(
        self, model, input_to_model=None, verbose: bool = False, use_strict_trace: bool = True
    ) -> None:
        """Not available: gradiente has no graph tracer for TensorBoard's Graphs dashboard."""
        raise NotImplementedError(
            "SummaryWriter.add_graph is not supported by gradiente; export the model with "
            "gradiente.onnx.export and open the .onnx file in a viewer such as Netron instead"
        )

    # -------------------------------------------------------------------------- files
    def flush(self) -> None:
        """Write every pending event to disk."""
        for writer in (self.all_writers or {}).values():
            writer.flush()

    def close(self) -> None:
        """Flush and close every event file (a second ``close`` does nothing)."""
        if self.all_writers is None:
            return
        for writer in self.all_writers.values():
            writer.flush()
            writer.close()
        self.file_writer = self.all_writers = None

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, exc_type, exc_value, traceback) -> None:
        self.close()

"""SummaryWriter writes real TensorBoard event files: read them back with tensorboard's reader."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

import gradiente
from gradiente.cli import main
from gradiente.utils.tensorboard import SummaryWriter

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import (  # noqa: E402
    EventAccumulator,
)
from tensorboard.backend.event_processing.event_file_loader import (  # noqa: E402
    EventFileLoader,
)
from tensorboard.plugins.hparams.plugin_data_pb2 import HParamsPluginData  # noqa: E402


def _events(folder):
    """Every event of the one event file in ``folder``, in order."""
    files = [f for f in os.listdir(folder) if f.startswith("events.out.tfevents")]
    assert len(files) == 1, files
    return list(EventFileLoader(os.path.join(folder, files[0])).Load())


def _accumulator(folder):
    acc = EventAccumulator(str(folder), size_guidance={"images": 0, "histograms": 0})
    acc.Reload()
    return acc


def test_scalars_read_back_with_their_steps(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        for step in range(5):
            writer.add_scalar("loss/train", 1.0 / (step + 1), step)
        writer.add_scalar("loss/val", gradiente.tensor(0.25), 7)
        writer.add_scalar("count", np.int64(3), 1, walltime=1234.5)
    acc = _accumulator(tmp_path)
    assert sorted(acc.Tags()["scalars"]) == ["count", "loss/train", "loss/val"]
    train = acc.Scalars("loss/train")
    assert [e.step for e in train] == [0, 1, 2, 3, 4]
    np.testing.assert_allclose([e.value for e in train], [1, 1 / 2, 1 / 3, 1 / 4, 1 / 5], 1e-7)
    assert [(e.step, e.value) for e in acc.Scalars("loss/val")] == [(7, 0.25)]
    (count,) = acc.Scalars("count")
    assert (count.step, count.value, count.wall_time) == (1, 3.0, 1234.5)


def test_add_scalars_writes_one_run_folder_per_curve(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        for step in range(3):
            writer.add_scalars("run/loss", {"train": step, "val": 2 * step}, step)
    assert sorted(os.listdir(tmp_path))[-2:] == ["run_loss_train", "run_loss_val"]
    val = _accumulator(tmp_path / "run_loss_val").Scalars("run/loss")
    assert [(e.step, e.value) for e in val] == [(0, 0.0), (1, 2.0), (2, 4.0)]


def test_histogram_summarises_the_values(tmp_path):
    values = gradiente.randn(1000, generator=gradiente.Generator().manual_seed(0))
    with SummaryWriter(tmp_path) as writer:
        writer.add_histogram("weights", values, 3)
        writer.add_histogram("ten_bins", values, 4, bins=10)
    acc = _accumulator(tmp_path)
    assert sorted(acc.Tags()["histograms"]) == ["ten_bins", "weights"]
    x = values.numpy().astype(np.float64)
    (event,) = acc.Histograms("weights")
    h = event.histogram_value
    assert event.step == 3 and h.num == 1000
    np.testing.assert_allclose(
        [h.min, h.max, h.sum, h.sum_squares], [x.min(), x.max(), x.sum(), x @ x]
    )
    assert sum(h.bucket) == 1000
    (ten,) = acc.Histograms("ten_bins")
    counts, edges = np.histogram(x, bins=10)
    # One empty bucket before the first, so that the first bucket's left edge is kept.
    assert list(ten.histogram_value.bucket) == [0, *counts.tolist()]
    np.testing.assert_allclose(ten.histogram_value.bucket_limit, edges)


def test_histogram_matches_torchs(tmp_path):
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    torch_summary = pytest.importorskip("torch.utils.tensorboard.summary")
    from gradiente.utils.tensorboard import summary

    x = np.random.default_rng(0).normal(size=500)
    for bins, max_bins in (("tensorflow", None), (30, 7), ("auto", None)):
        torch_bins = summary.default_bins() if bins == "tensorflow" else bins
        ours = summary.histogram("h", x, bins, max_bins)
        assert ours == torch_summary.histogram("h", x, torch_bins, max_bins)


@pytest.mark.parametrize(
    "image, dataformats, add",
    [
        (np.random.default_rng(1).random((3, 6, 5)), "CHW", "add_image"),
        (np.random.default_rng(2).random((6, 5, 3)), "HWC", "add_image"),
        (np.random.default_rng(3).random((6, 5)), "HW", "add_image"),
        (np.random.default_rng(4).random((1, 6, 5)), "CHW", "add_image"),
        (np.random.default_rng(5).random((10, 3, 6, 5)), "NCHW", "add_images"),
        (np.random.default_rng(6).random((2, 6, 5, 1)), "NHWC", "add_images"),
    ],
)
def test_images_decode_to_the_pixels_written(tmp_path, image, dataformats, add):
    import io

    from PIL import Image

    with SummaryWriter(tmp_path) as writer:
        getattr(writer, add)(
            "img", gradiente.tensor(image, dtype=gradiente.float32), 2, dataformats=dataformats
        )
    (event,) = _accumulator(tmp_path).Images("img")
    pixels = np.asarray(Image.open(io.BytesIO(event.encoded_image_string)))
    # The expected (H, W, 3) picture: the layout moved to HWC, grey repeated, a batch tiled.
    order = {
        "CHW": (1, 2, 0),
        "HWC": (0, 1, 2),
        "HW": (0, 1),
        "NCHW": (0, 2, 3, 1),
        "NHWC": (0, 1, 2, 3),
    }
    hwc = image.astype(np.float32).transpose(order[dataformats])
    if hwc.ndim == 2:
        hwc = hwc[..., None]
    if hwc.ndim == 4:  # a grid of min(N, 8) columns
        n, h, w, c = hwc.shape
        cols = min(n, 8)
        rows = -(-n // cols)
        grid = np.zeros((rows * h, cols * w, c), np.float32)
        for i in range(n):
            r, q = divmod(i, cols)
            grid[r * h : (r + 1) * h, q * w : (q + 1) * w] = hwc[i]
        hwc = grid
    if hwc.shape[2] == 1:
        hwc = np.repeat(hwc, 3, axis=2)
    expected = (hwc * 255).clip(0, 255).astype(np.uint8)
    assert (event.height, event.width) == expected.shape[:2] and event.step == 2
    np.testing.assert_array_equal(pixels, expected)


def test_uint8_images_are_not_rescaled(tmp_path):
    import io

    from PIL import Image

    image = np.arange(48, dtype=np.uint8).reshape(4, 4, 3) * 5
    with SummaryWriter(tmp_path) as writer:
        writer.add_image("u8", image, 0, dataformats="HWC")
    (event,) = _accumulator(tmp_path).Images("u8")
    np.testing.assert_array_equal(
        np.asarray(Image.open(io.BytesIO(event.encoded_image_string))), image
    )


def test_text(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        writer.add_text("notes", "**lr** = 0.1, ação", 5)
    acc = _accumulator(tmp_path)
    (event,) = acc.Tensors("notes/text_summary")
    assert event.step == 5
    assert event.tensor_proto.string_val == ["**lr** = 0.1, ação".encode()]
    assert acc.SummaryMetadata("notes/text_summary").plugin_data.plugin_name == "text"


def test_hparams_go_to_a_sub_run_with_their_metrics(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        writer.add_hparams(
            {"lr": 0.01, "optimizer": "adam", "layers": 3, "skip": None},
            {"hparam/accuracy": 0.93},
            hparam_domain_discrete={"optimizer": ["adam", "sgd"]},
            run_name="trial1",
        )
    events = _events(tmp_path / "trial1")
    tags = [v.tag for e in events if e.HasField("summary") for v in e.summary.value]
    assert tags == [
        "_hparams_/experiment",
        "_hparams_/session_start_info",
        "_hparams_/session_end_info",
        "hparam/accuracy",
    ]
    data = {}
    for e in events:
        for v in e.summary.value:
            if v.tag.startswith("_hparams_"):
                data[v.tag] = HParamsPluginData.FromString(v.metadata.plugin_data.content)
    start = data["_hparams_/session_start_info"].session_start_info.hparams
    assert start["lr"].number_value == 0.01 and start["layers"].number_value == 3
    assert start["optimizer"].string_value == "adam" and "skip" not in start
    experiment = data["_hparams_/experiment"].experiment
    assert [h.name for h in experiment.hparam_infos] == ["lr", "optimizer", "layers"]
    domain = experiment.hparam_infos[1].domain_discrete.values
    assert [v.string_value for v in domain] == ["adam", "sgd"]
    assert [m.name.tag for m in experiment.metric_infos] == ["hparam/accuracy"]
    (metric,) = _accumulator(tmp_path / "trial1").Scalars("hparam/accuracy")
    assert metric.value == pytest.approx(0.93)


def test_default_log_dir_flush_close_and_reopen(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    writer = SummaryWriter(comment="_exp")
    assert writer.log_dir.startswith("runs" + os.sep) and writer.log_dir.endswith("_exp")
    writer.add_scalar("a", 1.0, 0)
    writer.flush()
    assert [e.step for e in _events(writer.log_dir) if e.HasField("summary")] == [0]
    writer.close()
    writer.close()  # a second close does nothing


def test_purge_step_marks_a_restart(tmp_path):
    with SummaryWriter(tmp_path, purge_step=4) as writer:
        writer.add_scalar("a", 1.0, 4)
    restart = [e for e in _events(tmp_path) if e.HasField("session_log")]
    assert [(e.step, e.session_log.status) for e in restart] == [(4, 1)]  # START


def test_add_graph_says_it_is_not_supported(tmp_path):
    with SummaryWriter(tmp_path) as writer, pytest.raises(NotImplementedError, match="add_graph"):
        writer.add_graph(gradiente.nn.Linear(2, 2), gradiente.zeros(1, 2))


def test_bad_input_is_a_clear_error(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        with pytest.raises(ValueError, match="one element"):
            writer.add_scalar("v", gradiente.zeros(3))
        with pytest.raises(ValueError, match="dataformats"):
            writer.add_image("i", np.zeros((3, 4, 4)), dataformats="HW")
        with pytest.raises(TypeError, match="dictionary"):
            writer.add_hparams([("lr", 1)], {})


def test_missing_tensorboard_is_a_clear_import_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboard.summary.writer.event_file_writer", None)
    with pytest.raises(ImportError, match=r"pip install 'gradiente\[tensorboard\]'"):
        SummaryWriter(tmp_path)


def test_train_tensorboard_flag_logs_each_epoch(tmp_path, capsys):
    run = tmp_path / "run"
    args = ["train", "--dataset", "moons", "--epochs", "2", "--out", str(run), "--no-progress"]
    assert main([*args, "--tensorboard"]) == 0
    acc = _accumulator(run / "tensorboard")
    assert sorted(acc.Tags()["scalars"]) == [
        "accuracy/train",
        "accuracy/val",
        "loss/train",
        "loss/val",
        "lr",
    ]
    history = (run / "history.csv").read_text().splitlines()
    header = history[0].split(",")
    rows = [dict(zip(header, line.split(","))) for line in history[1:]]
    for tag, column in (("loss/train", "train_loss"), ("accuracy/val", "val_accuracy")):
        events = acc.Scalars(tag)
        assert [e.step for e in events] == [1, 2]
        np.testing.assert_allclose(
            [e.value for e in events], [float(r[column]) for r in rows], 1e-6
        )

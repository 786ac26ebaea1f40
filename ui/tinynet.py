"""The "Tiny MobileNet" page's data: shipped networks, digits, uploads, live training runs.

Everything heavy is shared by all sessions: the digits and the six shipped networks are loaded
once per server (``st.cache_resource``), their test accuracies measured once, a digit's
activations cached by (network, digit). Training runs in ``ui.pool``'s worker processes, so a
student's training never slows another student's page; the same settings share one run.
"""

from __future__ import annotations

import hashlib

import numpy as np
import streamlit as st

from sepconv_core import tinynet
from sepconv_core.cost import separable_ratio_formula
from sepconv_core.handwriting import NoDigitError, mnist_like
from sepconv_core.image import ImageLoadError, load_image
from ui import pool
from ui.figures import chart, mosaic_figure
from ui.text import fmt_int
from ui.tinynet_figures import curves_figure, probabilities_figure
from ui.turns import fragment

TRAIN_SIZE = 3000  # digits in a live training run
TIME_BUDGET = 60.0  # seconds of training at most, per run
EPOCH_CHOICES = (1, 2, 3, 5)
NUMBERS = ("mult-adds", "weights")  # the tables' columns of whole numbers

# MobileNet v1 on ImageNet (Howard et al. 2017): Table 4 (separable vs normal convolutions)
# and Table 6 (width multiplier), as (name, top-1 accuracy %, million mult-adds, million weights)
PAPER = (
    ("Conv MobileNet (normal convolutions)", 71.7, 4866, 29.3),
    ("1.0 MobileNet-224", 70.6, 569, 4.2),
    ("0.75 MobileNet-224", 68.4, 325, 2.6),
    ("0.5 MobileNet-224", 63.7, 149, 1.3),
    ("0.25 MobileNet-224", 50.6, 41, 0.5),
)


@st.cache_resource(show_spinner=False)
def digits():
    return tinynet.load_digits()


@st.cache_resource(show_spinner=False)
def shipped(kind: str, width: float) -> tinynet.TinyNet:
    return tinynet.load_trained(kind, width)


@st.cache_resource(show_spinner="Measuring the shipped networks on the 1,500 test digits…")
def shipped_results() -> list[dict]:
    """Accuracy, mult-adds and weights of every shipped network.

    The accuracies were measured by scripts/make_tinynet.py and stored with the weights; they
    are measured again here (once per server) only if the file does not hold them."""
    measured = tinynet.shipped_metadata().get("nets", {})
    rows = []
    for width in tinynet.WIDTHS:
        for kind in tinynet.KINDS:
            net = shipped(kind, width)
            acc = measured.get(tinynet.weights_key(kind, width), {}).get("test_accuracy")
            if acc is None:
                d = digits()
                acc = tinynet.accuracy(net, d.test_images, d.test_labels)
            rows.append(
                {
                    "network": kind,
                    "width": width,
                    "test accuracy %": round(100 * acc, 1),
                    "mult-adds": net.mult_adds,
                    "weights": net.weight_count,
                }
            )
    return rows


@st.cache_resource(show_spinner=False)
def shipped_training() -> dict:
    """How the shipped networks were trained (epochs, digits, ...), from their file."""
    return tinynet.shipped_metadata().get("training", {})


def shipped_training_text() -> str:
    t = shipped_training()
    if not t:
        return "trained longer on all 8,500 training digits"
    return f"{t['epochs']} epochs over {t['train_digits']:,} digits"


@st.cache_data(max_entries=256, show_spinner=False)
def activations(kind: str, width: float, digit_key: str, _image: np.ndarray):
    """Every layer's output for one digit (keyed by ``digit_key``, not the pixels)."""
    return shipped(kind, width).activations(_image)


def test_digit(index: int) -> tuple[np.ndarray, int]:
    d = digits()
    return d.test_images[index], int(d.test_labels[index])


@st.cache_data(max_entries=16, show_spinner=False)
def _prepared(digest: str, _data: bytes) -> tuple[np.ndarray, np.ndarray, bool]:
    photo = load_image(_data, max_side=1024)
    digit, inverted = mnist_like(photo)
    return photo, digit, inverted


def prepare_upload(uploaded) -> tuple[np.ndarray, np.ndarray, bool, str] | str:
    """(photo, 28 x 28 digit, inverted, key) for an uploaded photo, or a sentence saying why not."""
    data = uploaded.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    try:
        photo, digit, inverted = _prepared(digest, data)
    except (ImageLoadError, NoDigitError) as exc:
        return str(exc)
    return photo, digit, inverted, f"upload:{digest}"


# --------------------------------------------------------------------------- live training


def start_training(kind: str, width: float, epochs: int) -> pool.Run | str:
    """Start (or join) a run in the worker pool; a sentence if the server is too busy."""
    key = ("tinynet", kind, width, epochs, TRAIN_SIZE)
    try:
        return pool.run(
            key,
            tinynet.retrain,
            kind,
            width,
            epochs,
            train_size=TRAIN_SIZE,
            time_budget=TIME_BUDGET,
        )
    except pool.PoolBusy as exc:
        return str(exc)


def training_run(kind: str, width: float, epochs: int) -> pool.Run | None:
    return pool.get(("tinynet", kind, width, epochs, TRAIN_SIZE))


def progress(run: pool.Run) -> dict:
    """What a run has reported so far: curves, progress in [0, 1], the test accuracy after each
    epoch (``test_epoch``, ``test_curve``), and the final test accuracy when done."""
    messages = [m for m in run.messages() if isinstance(m, dict)]
    steps = [m for m in messages if "step" in m]
    final = [m for m in messages if "test_accuracy" in m]
    last = steps[-1] if steps else None
    tests = [(m["epoch"], m["epoch_test_accuracy"]) for m in messages if "epoch_test_accuracy" in m]
    if final and last:
        tests.append((last["epoch"], final[0]["test_accuracy"]))
    return {
        "test_epoch": [e for e, _ in tests],
        "test_curve": [a for _, a in tests],
        "step": [m["step"] for m in steps],
        "epoch": [m["epoch"] for m in steps],
        "loss": [m["loss"] for m in steps],
        "accuracy": [m["accuracy"] for m in steps],
        "fraction": (last["step"] / last["steps"]) if last else 0.0,
        "seconds": last["seconds"] if last else 0.0,
        "steps": last["steps"] if last else 0,
        "test_accuracy": final[0]["test_accuracy"] if final else None,
    }


def draw_run(run: pool.Run, kind: str, width: float, results: list[dict]) -> None:
    """A run's progress bar and curves; once finished, its test accuracy beside the shipped
    network's of the same kind and width (a row of ``results``)."""
    p = progress(run)
    st.progress(
        min(1.0, p["fraction"]),
        text=f"Step {p['step'][-1] if p['step'] else 0} of {p['steps'] or '…'}, "
        f"{p['seconds']:.0f} s",
    )
    if p["step"]:
        chart(
            st,
            curves_figure(p),
            key="tn_curves",
            alt="Training curves: loss (cross-entropy), batch accuracy, and test accuracy after "
            "each epoch",
        )
    if run.failed():
        st.error("The training run failed; press Train to try again.")
    elif p["test_accuracy"] is not None:
        ref = next(r for r in results if r["network"] == kind and r["width"] == width)
        st.success(
            f"Test accuracy: **{100 * p['test_accuracy']:.1f} %** on the 1,500 test digits "
            f"after {p['epoch'][-1]:.1f} epochs over {fmt_int(TRAIN_SIZE)} digits "
            f"(the shipped {kind} net at width {width:g}, {shipped_training_text()}: "
            f"{ref['test accuracy %']:.1f} %)."
        )
        if p["step"] and p["step"][-1] < p["steps"]:
            st.caption(
                f"Stopped at the {TIME_BUDGET:.0f} s limit after {p['step'][-1]} of "
                f"{p['steps']} steps: the server is busy (training runs at low priority)."
            )


@fragment(run_every=1.0)
def _live(kind: str, width: float, epochs: int, results: list[dict]) -> None:
    """Redraw a running run's progress every second; rerun the page once it has finished."""
    run = training_run(kind, width, epochs)
    if run is None or run.done():
        st.rerun(scope="app")
    draw_run(run, kind, width, results)


def show_run(
    run: pool.Run,
    kind: str,
    width: float,
    epochs: int,
    results: list[dict],
    digit: tuple[str, np.ndarray],
) -> None:
    """The run drawn once if it is finished, else every second until it is. A finished run's
    network then reads ``digit`` (key and 28 x 28 pixels: the digit of section 2) beside the
    shipped network of the same kind and width, and shows the test digits it gets wrong."""
    if not run.done():
        _live(kind, width, epochs, results)
        return
    draw_run(run, kind, width, results)
    if run.failed():
        return
    st.markdown(f"**Your {kind} net at work**, on the digit of section 2 and on the test digits.")
    yours, theirs = st.columns(2)
    probs = trained_probabilities(run, digit[1])
    chart(
        yours,
        probabilities_figure(probs, title=f"yours: it reads a {probs.argmax()}"),
        key="tn_yours",
    )
    probs = probabilities(kind, width, *digit)
    chart(
        theirs,
        probabilities_figure(probs, title=f"the shipped one: it reads a {probs.argmax()}"),
        key="tn_yours_shipped",
    )
    stack, labels, wrong, numbers = misread(run)
    if not wrong:
        st.success("It reads every one of the 1,500 test digits right.")
        return
    chart(
        st,
        mosaic_figure(
            stack,
            title=f"{fmt_int(wrong)} test digits read wrong; the first: label → read",
            signed=False,
            labels=labels,
            cols=mosaic_columns(stack.shape[2]),
            height=mosaic_height(stack, width=800),
            tiles_are=("test digit", numbers),
        ),
        key="tn_misread",
    )
    st.caption(
        "Hover over a digit for its number: type it in section 2 to see it go through both "
        "shipped networks, layer by layer."
    )


@st.cache_resource(max_entries=8, show_spinner=False)
def _trained_net(run_id: int, _run: pool.Run) -> tinynet.TinyNet:
    """The network a finished run trained (one per run, shared by the sessions watching it)."""
    out = _run.result()
    return tinynet.TinyNet(out["kind"], out["width_multiplier"]).load_state(out["state"])


def trained_probabilities(run: pool.Run, image: np.ndarray) -> np.ndarray:
    """A finished run's ten probabilities for one 28 x 28 digit (one forward pass, < 1 ms)."""
    return _trained_net(run.id, run).predict(image[None])[0]


def misread(run: pool.Run, limit: int = 8) -> tuple[np.ndarray, list[str], int, list[int]]:
    """The first ``limit`` test digits a finished run's network reads wrong, as a (28, 28, n)
    stack in [0, 1] with labels "label → read"; how many it reads wrong in all; and the shown
    digits' numbers in the test set."""
    predicted = run.result()["test_predictions"]
    labels = digits().test_labels
    wrong = np.flatnonzero(predicted != labels)
    shown = wrong[:limit]
    stack = np.moveaxis(digits().test_images[shown], 0, -1).astype(np.float32) / 255.0
    return (
        stack,
        [f"{labels[i]} → {predicted[i]}" for i in shown],
        len(wrong),
        [int(i) for i in shown],
    )


# --------------------------------------------------------------------------- page arithmetic

STAGES = ("conv1", "block1", "block2", "block3")


def stage_activations(kind: str, width: float, digit_key: str, image: np.ndarray, stage: str):
    """[(Layer, (H, W, C) output)] of one stage: a block's depthwise and pointwise layers apart."""
    net = shipped(kind, width)
    acts = dict(activations(kind, width, digit_key, image))
    return [(layer, acts[layer.name]) for layer in net.layers if layer.name.split()[0] == stage]


def mosaic_columns(channels: int) -> int:
    return 8 if channels <= 64 else 16


def mosaic_height(out: np.ndarray, width: int = 450) -> int:
    """A mosaic's figure height for a half-page column ``width`` px wide (tiles stay square)."""
    cols = mosaic_columns(out.shape[2])
    rows = -(-out.shape[2] // cols)
    return int(width * rows / cols) + 90


def as_image(digit: np.ndarray) -> np.ndarray:
    """A (28, 28) uint8 digit as an (H, W, 1) image in [0, 1], as figures take images."""
    return digit[:, :, None] / 255.0


def probabilities(kind: str, width: float, digit_key: str, image: np.ndarray) -> np.ndarray:
    return activations(kind, width, digit_key, image)[-1][1].ravel()


def layer_rows(kind: str, width: float) -> list[dict]:
    """The layer table: name, output shape, mult-adds, weights; then the total."""
    net = shipped(kind, width)
    rows = [
        {
            "layer": layer.name,
            "output": "×".join(map(str, layer.output_shape)),
            "mult-adds": layer.mult_adds,
            "weights": layer.weights,
        }
        for layer in net.layers
    ]
    rows.append(
        {
            "layer": "total",
            "output": "",
            "mult-adds": net.mult_adds,
            "weights": net.weight_count,
        }
    )
    return rows


def saving_sentence(width: float) -> str:
    """Why the separable net is so much cheaper, in numbers, on its last (largest) block."""
    sep, normal = shipped("separable", width), shipped("normal", width)
    parts = {layer.name: layer for layer in sep.layers}
    block = [layer for layer in normal.layers if layer.name.startswith("block")][-1]
    dw, pw = parts[f"{block.name} depthwise"], parts[f"{block.name} pointwise"]
    cout = block.output_shape[2]
    ratio = separable_ratio_formula(cout, 3)
    return (
        f"Why the separable net needs about {normal.mult_adds / sep.mult_adds:.0f}× fewer "
        f"mult-adds: its {block.name} costs {fmt_int(dw.mult_adds)} (depthwise) + "
        f"{fmt_int(pw.mult_adds)} (pointwise) = "
        f"**{fmt_int(dw.mult_adds + pw.mult_adds)}** mult-adds, its normal twin's "
        f"**{fmt_int(block.mult_adds)}**. A 3×3 depthwise then a 1×1 pointwise convolution cost "
        f"1/Cout + 1/3² = 1/{cout} + 1/9 = {ratio:.3f} of a normal 3×3 convolution "
        f"({1 / ratio:.1f}× fewer); conv1 and the dense layer are the same in both nets."
    )


def paper_rows() -> list[dict]:
    """The paper's numbers (``PAPER``) as a table."""
    return [
        {"network": n, "ImageNet top-1 %": a, "mult-adds (M)": m, "weights (M)": w}
        for n, a, m, w in PAPER
    ]


def tradeoff_sentence(results: list[dict]) -> str:
    """What the trade-off chart shows, in numbers, at width 1."""
    by = {(r["network"], r["width"]): r for r in results}
    at1 = {r["network"]: r for r in results if r["width"] == 1.0}
    sep, normal = at1["separable"], at1["normal"]
    return (
        f"At width 1 the separable net needs **{normal['mult-adds'] / sep['mult-adds']:.1f}× "
        f"fewer mult-adds** ({sep['mult-adds'] / 1e6:.2f} M against "
        f"{normal['mult-adds'] / 1e6:.2f} M) and {normal['weights'] / sep['weights']:.1f}× fewer "
        f"weights than its normal twin, for {sep['test accuracy %']:.1f} % against "
        f"{normal['test accuracy %']:.1f} % of the test digits: the same bargain MobileNet "
        "strikes on ImageNet (70.6 % against 71.7 % for 8.6× fewer mult-adds). Narrower: "
        + "; ".join(
            f"at width {w:g}, separable {by[('separable', w)]['test accuracy %']:.1f} % for "
            f"{by[('separable', w)]['mult-adds'] / 1e6:.2f} M, normal "
            f"{by[('normal', w)]['test accuracy %']:.1f} % for "
            f"{by[('normal', w)]['mult-adds'] / 1e6:.2f} M"
            for w in sorted({r["width"] for r in results} - {1.0}, reverse=True)
        )
        + "."
    )

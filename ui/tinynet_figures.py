"""Plotly figures of the "Tiny MobileNet" page: the trade-off, the ten probabilities, the
training curves. (A layer's channels are ``ui.figures.mosaic_figure``.)"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.figures import font_px, scale_text, with_summary

COLOURS = {"separable": "#1b7837", "normal": "#762a83"}  # colour-blind safe pair (PRGn)
SYMBOLS = {"separable": "circle", "normal": "square"}


def _tradeoff_layout(fig: go.Figure, title: str, yaxis: str, height: int) -> go.Figure:
    # A label at each power of ten only: Plotly's labels between them are 9 px, and 1-2-5
    # labels at a legible size crowd a phone's narrow chart.
    fig.update_xaxes(type="log", dtick=1, title_text="mult-adds per image (log scale)")
    fig.update_yaxes(title_text=yaxis)
    fig.update_layout(
        title=dict(text=title),
        height=height,
        margin=dict(l=10, r=10, t=40, b=10),
        legend=dict(orientation="h", y=-0.3),
    )
    return scale_text(fig)


def tradeoff_figure(ours: list[dict], *, height: int = 360) -> go.Figure:
    """Our networks' test accuracy against mult-adds (log scale); marker size grows with the
    weights; every point is labelled with its width multiplier."""
    fig = go.Figure()
    for kind in ("separable", "normal"):
        rows = [r for r in ours if r["network"] == kind]
        fig.add_trace(
            go.Scatter(
                x=[r["mult-adds"] for r in rows],
                y=[r["test accuracy %"] for r in rows],
                mode="markers+text",
                name=kind,
                text=[f"{r['width']:g}" for r in rows],
                textposition="top center",
                marker=dict(
                    symbol=SYMBOLS[kind],
                    color=COLOURS[kind],
                    size=[8 + 3 * np.log2(r["weights"] / 1000 + 1) for r in rows],
                ),
                customdata=[[r["width"], r["weights"]] for r in rows],
                hovertemplate=f"{kind}, width %{{customdata[0]}}<br>%{{x:,}} mult-adds<br>"
                "%{customdata[1]:,} weights<br>%{y:.1f} % of test digits<extra></extra>",
            )
        )
    acc = [r["test accuracy %"] for r in ours]
    fig.update_yaxes(range=[min(acc) - 0.8, max(acc) + 0.8])  # room for the labels
    fig = _tradeoff_layout(fig, "Our tiny nets on MNIST digits", "test accuracy %", height)
    return with_summary(
        fig,
        "; ".join(
            f"{r['network']} width {r['width']:g}: {r['test accuracy %']:.1f} % of test digits "
            f"at {r['mult-adds'] / 1e6:.2f} M mult-adds"
            for r in ours
        ),
    )


def paper_figure(paper: tuple, *, height: int = 360) -> go.Figure:
    """MobileNet v1 on ImageNet, from the paper: top-1 accuracy against mult-adds (log scale)."""
    fig = go.Figure()
    normal = [p for p in paper if p[0].startswith("Conv")]
    separable = [p for p in paper if not p[0].startswith("Conv")]
    for kind, rows in (("separable", separable), ("normal", normal)):
        fig.add_trace(
            go.Scatter(
                x=[p[2] * 1e6 for p in rows],
                y=[p[1] for p in rows],
                mode="markers+text",
                name=kind,
                text=[p[0].split(" MobileNet")[0] if kind == "separable" else "" for p in rows],
                textposition="top center",
                marker=dict(
                    symbol=SYMBOLS[kind] + "-open",
                    color=COLOURS[kind],
                    size=[8 + 3 * np.log2(p[3] * 1000 + 1) for p in rows],
                    line=dict(width=2),
                ),
                customdata=[[p[0], p[3]] for p in rows],
                hovertemplate="%{customdata[0]}<br>%{x:,.3s} mult-adds<br>"
                "%{customdata[1]} M weights<br>%{y:.1f} % top-1<extra></extra>",
            )
        )
    fig = _tradeoff_layout(fig, "MobileNet v1 on ImageNet (paper)", "ImageNet top-1 %", height)
    # 10 M to 20 B: four labels, level even on a phone's narrow chart; big markers may overhang
    fig.update_traces(cliponaxis=False)
    fig.update_xaxes(range=[7, np.log10(2e10)])
    return with_summary(
        fig, "; ".join(f"{p[0]}: {p[1]:.1f} % top-1 at {p[2]:,} M mult-adds" for p in paper)
    )


def probabilities_figure(probs: np.ndarray, *, title: str, height: int = 260) -> go.Figure:
    """Ten bars, one per digit; the most probable one highlighted."""
    probs = np.asarray(probs, dtype=float).ravel()
    best = int(probs.argmax())
    fig = go.Figure(
        go.Bar(
            x=list(range(10)),
            y=probs,
            marker_color=["#e08214" if d == best else "#8073ac" for d in range(10)],
            text=[f"{p:.0%}" if p >= 0.01 else "" for p in probs],
            textposition="outside",
            hovertemplate="digit %{x}: %{y:.2%}<extra></extra>",
        )
    )
    fig.update_xaxes(tickmode="linear", dtick=1, title_text="digit")
    fig.update_yaxes(range=[0, 1.15], tickformat=".0%", title_text="probability")
    fig.update_layout(
        title=dict(text=title),
        height=height,
        margin=dict(l=10, r=10, t=40, b=10),
        # a percentage too wide for its bar is hidden (hover has it), never shrunk to a speck
        uniformtext=dict(minsize=font_px(11), mode="hide"),
    )
    top = np.argsort(-probs, kind="stable")[:3]
    return with_summary(
        scale_text(fig), "; ".join(f"digit {d}: {probs[d]:.1%}" for d in top.tolist())
    )


def curves_figure(progress: dict, *, height: int = 300) -> go.Figure:
    """Training loss, and accuracy (of each batch, smoothed; of the test digits after each
    epoch) against epochs, on two axes side by side."""
    fig = make_subplots(
        rows=1, cols=2, subplot_titles=("loss (cross-entropy)", "accuracy: batches, test digits")
    )
    epoch, loss, acc = progress["epoch"], progress["loss"], progress["accuracy"]
    fig.add_trace(go.Scatter(x=epoch, y=loss, mode="lines", name="loss"), row=1, col=1)
    if acc:
        smooth = np.convolve(acc, np.ones(5) / 5, mode="valid") if len(acc) >= 5 else acc
        fig.add_trace(
            go.Scatter(
                x=epoch[len(epoch) - len(smooth) :], y=smooth, mode="lines", name="accuracy"
            ),
            row=1,
            col=2,
        )
    if progress.get("test_curve"):  # the 1,500 test digits after each epoch
        fig.add_trace(
            go.Scatter(
                x=progress["test_epoch"],
                y=progress["test_curve"],
                mode="markers+lines+text",
                name="test digits",
                text=[f"{a:.0%}" for a in progress["test_curve"]],
                # the last label leans left, inside the chart
                textposition=["bottom right"] * (len(progress["test_curve"]) - 1) + ["bottom left"],
                marker=dict(size=10, symbol="diamond", color="#e08214"),
                line=dict(dash="dot", color="#e08214"),
                hovertemplate="after epoch %{x:g}: %{y:.1%} of the test digits<extra></extra>",
            ),
            row=1,
            col=2,
        )
    fig.update_xaxes(title_text="epoch")
    fig.update_yaxes(type="log", row=1, col=1)
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%", row=1, col=2)
    fig.update_annotations(font_size=font_px(14))  # the two subplot titles
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10), showlegend=False)
    return scale_text(fig)

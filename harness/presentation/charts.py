"""The deck's pictures, drawn with matplotlib from the same sources as its figures."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no screen
import matplotlib.pyplot as plt  # noqa: E402

ACCENT, GREY = "#c0392b", "#95a5a6"


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)
    return path


def bars(
    path: Path, rows: list[tuple[str, float]], xlabel: str, highlight: int = 0, fmt: str = "{:.3f}"
) -> Path:
    """Horizontal bars, the ``highlight``-th in the accent colour, values written at the end."""
    fig, ax = plt.subplots(figsize=(10, 0.6 * len(rows) + 1.2))
    labels = [r[0] for r in rows][::-1]
    values = [r[1] for r in rows][::-1]
    colors = [GREY] * len(rows)
    colors[len(rows) - 1 - highlight] = ACCENT
    ax.barh(labels, values, color=colors)
    for y, v in enumerate(values):
        ax.text(v, y, " " + fmt.format(v), va="center", fontsize=12)
    ax.set_xlabel(xlabel, fontsize=12)
    ax.tick_params(labelsize=12)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_xlim(0, max(values) * 1.2 if max(values) > 0 else 1)
    return _save(fig, path)


def contributions(path: Path, terms: list[tuple[str, float]], baseline: float) -> Path:
    """What moves a predicted rating away from the average film, one bar per input group."""
    terms = sorted(terms, key=lambda t: abs(t[1]))
    fig, ax = plt.subplots(figsize=(10, 0.55 * len(terms) + 1.6))
    ax.barh(
        [t[0] for t in terms],
        [t[1] for t in terms],
        color=[ACCENT if t[1] > 0 else GREY for t in terms],
    )
    for y, (_, value) in enumerate(terms):
        ax.text(
            value,
            y,
            f" {value:+.2f} " if value >= 0 else f" {value:+.2f} ",
            va="center",
            ha="left" if value >= 0 else "right",
            fontsize=12,
        )
    ax.axvline(0, color="black", linewidth=0.8)
    prediction = baseline + sum(t[1] for t in terms)
    ax.set_title(f"average film {baseline:.2f}  →  this film {prediction:.2f}", fontsize=14)
    ax.set_xlabel("contribution to the expected IMDb rating", fontsize=12)
    ax.tick_params(labelsize=12)
    if not terms:  # a model whose inputs barely move this film: say so, do not fail
        ax.text(0, 0.5, "no input moves the rating by 0.01 or more", ha="center", fontsize=12)
    span = max((abs(t[1]) for t in terms), default=0.5) * 1.4
    ax.set_xlim(-span, span)
    ax.spines[["top", "right"]].set_visible(False)
    return _save(fig, path)


def merise(path: Path) -> Path:
    """The MCD, simplified: entities (boxes) and associations (ellipses) with cardinalities."""
    fig, ax = plt.subplots(figsize=(11, 5.2))
    ax.set_axis_off()
    ax.set_xlim(0, 11)
    ax.set_ylim(0, 5.2)
    entities = {
        "TITLE": (5.5, 2.6),
        "PERSON": (1.2, 2.6),
        "GENRE": (9.8, 4.4),
        "RATING": (9.8, 2.6),
        "ALT. TITLE": (9.8, 0.8),
        "TITLE TYPE": (5.5, 4.7),
        "CATEGORY": (3.35, 0.4),
    }
    links = [
        ("TITLE", "GENRE", "has genre", "0,n", "0,n"),
        ("TITLE", "RATING", "is rated", "0,1", "1,1"),
        ("TITLE", "ALT. TITLE", "is known as", "0,n", "1,1"),
        ("TITLE", "TITLE TYPE", "is of", "1,1", "0,n"),
        ("PERSON", "TITLE", "directs / writes", "0,n", "0,n"),
        ("PERSON", "CATEGORY", "takes part in", "0,n", "1,1"),
    ]
    for a, b, name, ca, cb in links:
        (x1, y1), (x2, y2) = entities[a], entities[b]
        mx, my = (x1 + x2) / 2, (y1 + y2) / 2
        ax.plot([x1, x2], [y1, y2], color=GREY, zorder=1)
        ax.text(
            mx,
            my,
            name,
            ha="center",
            va="center",
            fontsize=10,
            zorder=3,
            bbox={"boxstyle": "round,pad=0.4", "fc": "#fdebd0", "ec": ACCENT},
        )
        for (x, y), card in (((x1, y1), ca), ((x2, y2), cb)):
            ax.text(
                x + (mx - x) * 0.45 + 0.12,
                y + (my - y) * 0.45 + 0.12,
                card,
                fontsize=10,
                color="#555555",
            )
    ax.plot([5.5, 4.4], [2.6, 1.55], color=GREY, zorder=1)
    ax.text(
        4.4,
        1.55,
        "is episode of\n(0,1 / 0,n)",
        ha="center",
        va="center",
        fontsize=10,
        bbox={"boxstyle": "round,pad=0.4", "fc": "#fdebd0", "ec": ACCENT},
    )
    for name, (x, y) in entities.items():
        ax.text(
            x,
            y,
            name,
            ha="center",
            va="center",
            fontsize=12,
            fontweight="bold",
            zorder=4,
            bbox={"boxstyle": "square,pad=0.5", "fc": "white", "ec": "black"},
        )
    return _save(fig, path)


def screenshots_strip(screenshots: list[Path], path: Path, ratio: float = 0.75) -> Path:
    """The tops of full-page screenshots (cropped to ``ratio`` height / width), side by side."""
    from PIL import Image, ImageOps

    tops = []
    for shot in screenshots:
        with Image.open(shot) as image:
            height = min(image.height, int(image.width * ratio))
            top = image.crop((0, 0, image.width, height)).convert("RGB")
            tops.append(ImageOps.expand(top, border=3, fill=GREY))
    gap = 40
    strip = Image.new(
        "RGB",
        (sum(t.width for t in tops) + gap * (len(tops) - 1), max(t.height for t in tops)),
        "white",
    )
    x = 0
    for top in tops:
        strip.paste(top, (x, 0))
        x += top.width + gap
    strip.save(path)
    return path

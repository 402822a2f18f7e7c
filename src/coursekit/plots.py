"""The house figure style, and figures that always carry a caption, a source line and alt text.

Importing this module sets the style once; notebooks never repeat rcParams. :func:`show`
renders a figure to a deterministic PNG and writes its alt text into the output's metadata
(``{"image/png": {"alt": ...}}``), which coursekit's slide and handout templates copy into
``<img alt>``.

>>> fig, ax = figure()
>>> _ = ax.plot([2021, 2022], [1, 2])
>>> png = render_png(fig)
>>> png[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
True
"""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")  # no screen is needed, and PNGs are the same on every machine

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from coursekit.data import cite  # noqa: E402
from coursekit.errors import CourseError  # noqa: E402

__all__ = ["PALETTE", "use_style", "figure", "render_png", "show", "timeline", "period_bars"]

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
DPI = 100
GENERIC_ALT = {"", "image", "figure", "chart", "plot", "no description has been provided for this image"}


def use_style() -> None:
    """Set the course's figure style (size, fonts, one line width, colour-blind-safe colours).

    >>> use_style(); matplotlib.rcParams["lines.linewidth"]
    2.0
    """
    matplotlib.rcParams.update(
        {
            "figure.figsize": (8.0, 4.5),
            "figure.dpi": DPI,
            "savefig.dpi": DPI,
            "font.size": 12,
            "axes.titlesize": 13,
            "axes.labelsize": 12,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "lines.linewidth": 2.0,
            "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
            "legend.frameon": False,
            "svg.hashsalt": "coursekit",  # stable ids if anyone saves SVG
        }
    )


use_style()


def figure(width: float = 8.0, height: float = 4.5):
    """Return a new ``(fig, ax)`` in the house style.

    >>> fig, ax = figure(6, 3); [float(x) for x in fig.get_size_inches()]
    [6.0, 3.0]
    """
    return plt.subplots(figsize=(width, height))


def render_png(fig) -> bytes:
    """Render ``fig`` to PNG bytes without a timestamp or version stamp, then close it."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def _check_text(what: str, text: str) -> str:
    text = " ".join(str(text or "").split())
    if text.lower().rstrip(".") in GENERIC_ALT:
        raise CourseError(
            f"show(): the {what} is empty or generic ({text!r}). Write one or two sentences that "
            "say what the figure shows."
        )
    return text


def show(fig, *, caption: str, alt: str, sources) -> None:
    """Display ``fig`` with its alt text in the output metadata, then its caption and sources.

    Args:
        fig: a Matplotlib figure (it is closed afterwards).
        caption: what the figure shows and how to read it (units, fiscal or calendar years).
        alt: one or two sentences for a screen reader, stored as the image's alt text.
        sources: ids from ``data/sources.csv`` (a string or a list); each is resolved.

    Raises:
        CourseError: an empty or generic caption or alt text, or no sources.
        DataError: a source id that is not in ``data/sources.csv``.
    """
    from IPython.display import Markdown, display

    caption, alt = _check_text("caption", caption), _check_text("alt text", alt)
    ids = [sources] if isinstance(sources, str) else list(sources or [])
    if not ids:
        raise CourseError("show(): name at least one source id from data/sources.csv.")
    line = "; ".join(cite(sid) for sid in sorted(set(ids)))
    png = render_png(fig)
    display(
        {"image/png": base64.b64encode(png).decode("ascii"), "text/plain": f"[Figure: {alt}]"},
        raw=True,
        metadata={"image/png": {"alt": alt}},
    )
    # A bare "$" would start LaTeX maths in Jupyter and in the exported pages ("US$331m").
    text = f"**Figure.** {caption}\n\n*Source:* {line}".replace("$", r"\$")
    display(Markdown(text))


def timeline(events: pd.DataFrame, *, date: str = "date", label: str = "label",
             group: str = "category", ax=None, annotate: bool = True):
    """Plot dated events as dots on one row per group, labelled, and return the axes.

    Args:
        events: one row per event, with a datetime column ``date``.
        date, label, group: column names for the time, the short label and the row.
        ax: axes to draw on (default: a new house-style figure).
        annotate: write each label beside its dot.

    >>> ev = pd.DataFrame({"date": pd.to_datetime(["1999-03-01", "2022-02-24"]),
    ...                    "label": ["Sharif", "Khan"], "category": ["diplomacy"] * 2})
    >>> ax = timeline(ev); [t.get_text() for t in ax.get_yticklabels()]
    ['diplomacy']
    """
    if ax is None:
        _, ax = figure(9, max(2.5, 0.7 * events[group].nunique() + 1.5))
    groups = list(dict.fromkeys(events[group].astype(str)))
    for row, name in enumerate(groups):
        part = events[events[group].astype(str) == name]
        ax.scatter(part[date], [row] * len(part), color=PALETTE[row % len(PALETTE)], s=40, zorder=3)
        if annotate:
            for offset, (_, ev) in enumerate(part.iterrows()):
                ax.annotate(str(ev[label]), (ev[date], row), xytext=(0, 8 if offset % 2 else -14),
                            textcoords="offset points", ha="center", fontsize=8)
    ax.set_yticks(range(len(groups)), groups)
    ax.set_ylim(-0.8, len(groups) - 0.2)
    ax.set_xlabel("Year")
    ax.grid(axis="y", visible=False)
    return ax


PERIOD_STYLE = {
    "calendar_year": {"color": PALETTE[0], "hatch": ""},
    "fiscal_year": {"color": PALETTE[1], "hatch": ""},
    "partial_year": {"color": PALETTE[2], "hatch": "//"},
}


def period_bars(frame: pd.DataFrame, *, unit: str, period: str = "period", value: str = "value",
                period_type: str = "period_type", ax=None):
    """Bar chart of one measure in which calendar, fiscal and partial periods look different.

    Bars keep the order of ``frame`` and never join: a fiscal year is not a calendar year, and
    a partial year is hatched so nobody reads it as a whole one.

    >>> df = pd.DataFrame({"period": ["2021", "FY2021-22"], "value": [1.0, 2.0],
    ...                    "period_type": ["calendar_year", "fiscal_year"]})
    >>> ax = period_bars(df, unit="USD million"); ax.get_ylabel()
    'USD million'
    """
    if ax is None:
        _, ax = figure()
    seen = set()
    for x, (_, row) in enumerate(frame.iterrows()):
        kind = str(row[period_type])
        style = PERIOD_STYLE.get(kind, {"color": PALETTE[4], "hatch": ".."})
        ax.bar(x, row[value], color=style["color"], hatch=style["hatch"], edgecolor="white",
               label=None if kind in seen else kind.replace("_", " "))
        seen.add(kind)
    ax.set_xticks(range(len(frame)), frame[period].astype(str), rotation=45, ha="right")
    ax.set_ylabel(unit)
    ax.legend(title="period type")
    ax.grid(axis="x", visible=False)
    return ax

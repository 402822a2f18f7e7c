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
import matplotlib.ticker  # noqa: E402
import pandas as pd  # noqa: E402

from coursekit.data import cite  # noqa: E402
from coursekit.errors import CourseError  # noqa: E402
from coursekit.tables import markdown_text  # noqa: E402

__all__ = ["GENERIC_ALT", "is_generic_alt", "PALETTE", "use_style", "figure", "render_png", "show",
           "timeline", "period_bars", "count_bars", "events", "describe_counts", "sources_of"]

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
DPI = 100
# The one rule for alt text that says nothing (plots.show, the lesson lint and the exports use
# it): a word that only names the kind of thing, or nbconvert's own placeholder.
GENERIC_ALT = frozenset({"", "image", "figure", "chart", "plot", "graph", "picture", "img",
                         "no description has been provided for this image"})


def is_generic_alt(text) -> bool:
    """True for alt text (or a caption) that is empty or only names the kind of thing.

    >>> is_generic_alt("Graph."), is_generic_alt("  "), is_generic_alt("Bars of trade by year")
    (True, True, False)
    """
    return " ".join(str(text or "").split()).lower().rstrip(".") in GENERIC_ALT


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
    if is_generic_alt(text):
        raise CourseError(
            f"show(): the {what} is empty or generic ({text!r}). Write one or two sentences that "
            "say what the figure shows."
        )
    return text


def sources_of(*frames) -> list[str]:
    """Return the sorted, distinct ``source_id`` values of one or more tables.

    >>> sources_of(pd.DataFrame({"source_id": ["b", "a", "b"]}), pd.DataFrame({"source_id": ["c"]}))
    ['a', 'b', 'c']
    """
    ids: set[str] = set()
    for frame in frames:
        if isinstance(frame, str):
            ids.add(frame)
        elif isinstance(frame, pd.DataFrame):
            if "source_id" not in frame.columns:
                raise CourseError("sources_of(): this table has no source_id column; pass the rows "
                                  "the figure was drawn from.")
            ids |= {str(s) for s in frame["source_id"].dropna() if str(s)}
        else:
            ids |= {str(s) for s in frame if s and not pd.isna(s)}
    return sorted(ids)


def show(fig, *, caption: str, alt: str | None = None, sources) -> None:
    """Display ``fig`` with its alt text in the output metadata, then its caption and sources.

    Args:
        fig: a Matplotlib figure, or axes (it is closed afterwards).
        caption: what the figure shows and how to read it (units, fiscal or calendar years).
        alt: one or two sentences for a screen reader, stored as the image's alt text. Leave it
            out for a figure drawn by :func:`count_bars` or :func:`events`: they write it from
            the rows they drew.
        sources: ids from ``data/sources.csv`` (a string or a list), or the rows the figure
            was drawn from (their ``source_id`` column); each id is resolved.

    Raises:
        CourseError: an empty or generic caption or alt text, or no sources.
        DataError: a source id that is not in ``data/sources.csv``.
    """
    from IPython.display import Markdown, display

    fig = getattr(fig, "figure", fig) if not hasattr(fig, "savefig") else fig
    if alt is None:
        alt = getattr(fig, "coursekit_alt", None)
        if alt is None:
            raise CourseError("show(): give alt=, one or two sentences saying what the figure shows "
                              "(figures drawn by count_bars() or events() write their own).")
    caption, alt = _check_text("caption", caption), _check_text("alt text", alt)
    if isinstance(sources, pd.DataFrame):
        sources = sources_of(sources)
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
    # A bare "$" would start LaTeX maths in JupyterLab and in the exported pages ("US$331m").
    text = f"**Figure.** {markdown_text(caption)}\n\n*Source:* {markdown_text(line)}"
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


def describe_counts(counts: pd.Series, what: str) -> str:
    """Write counts as a sentence for alt text or a caption, from the numbers themselves.

    >>> describe_counts(pd.Series({"confirmed": 20, "disputed": 5}), "claims by verdict")
    'Bar chart of claims by verdict: confirmed 20, disputed 5 (25 in all).'
    """
    parts = ", ".join(f"{str(k).replace('_', ' ')} {v:g}" for k, v in counts.items())
    return f"Bar chart of {what}: {parts} ({counts.sum():g} in all)."


def count_bars(counts: pd.Series, *, xlabel: str, ylabel: str, what: str | None = None,
               horizontal: bool = False, ax=None):
    """Draw one bar per count, each labelled with its number; return the figure.

    The figure's alt text is written from the counts (see :func:`describe_counts`), so
    ``show(fig, caption=..., sources=...)`` needs no ``alt=``.

    Args:
        counts: a Series whose index names the bars (e.g. ``claims["verdict"].value_counts()``).
        xlabel, ylabel: the axis labels; say the unit ("Claims in the article (count)").
        what: what is counted, for the alt text (default: ``ylabel`` by ``xlabel``).
        horizontal: bars from left to right (for long names), first count at the top.
        ax: axes to draw on (default: a new house-style figure).

    >>> fig = count_bars(pd.Series({"confirmed": 20, "disputed": 5}), xlabel="Verdict", ylabel="Claims")
    >>> fig.coursekit_alt
    'Bar chart of claims by verdict: confirmed 20, disputed 5 (25 in all).'
    """
    if ax is None:
        _, ax = figure(8, max(3.0, 0.45 * len(counts) + 1.2) if horizontal else 4.0)
    names = [str(k).replace("_", " ") for k in counts.index]
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(counts))]
    if horizontal:
        bars = ax.barh(names, counts.to_numpy(), color=colours)
        ax.invert_yaxis()
        ax.grid(axis="y", visible=False)
    else:
        bars = ax.bar(names, counts.to_numpy(), color=colours)
        ax.grid(axis="x", visible=False)
        if max((len(n) for n in names), default=0) > 12:
            ax.tick_params(axis="x", labelrotation=20)
    ax.bar_label(bars, fmt="%g", padding=2)
    if all(float(v).is_integer() for v in counts.to_numpy()):  # counts: no "17.5 claims" on the axis
        (ax.xaxis if horizontal else ax.yaxis).set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    fig = ax.figure
    fig.coursekit_alt = describe_counts(counts, what or f"{ylabel.split(' (')[0].lower()} by "
                                                      f"{xlabel.split(' (')[0].lower()}")
    return fig


def _place_labels(ax, points, fontsize=8, max_levels=8):
    """Write each label beside its dot, trying above, below, then further out, until it clashes with none."""
    renderer = ax.figure.canvas.get_renderer()
    taken = []
    for _x_days, row, stamp, text in points:
        note = ax.annotate(text, (stamp, row), xytext=(0, 8), textcoords="offset points",
                           ha="center", va="bottom", fontsize=fontsize)
        for level in range(max_levels):
            side = 1 if level % 2 == 0 else -1
            note.set_position((0, side * (8 + 11 * (level // 2))))
            note.set_va("bottom" if side > 0 else "top")
            box = note.get_window_extent(renderer).expanded(1.05, 1.1)
            if not any(box.overlaps(other) for other in taken):
                break
        taken.append(box)


def events(rows: pd.DataFrame, *, label: str, group: str = "category", date: str = "date",
           order: list[str] | None = None, bands: dict | None = None, marker=None,
           marker_label: str = "", xlabel: str = "Date (a row known only to the month or year sits at its start)",
           width: float = 10, ax=None):
    """Draw dated rows as dots on one line per group, each with its short label; return the figure.

    Labels are placed above and below their dots so that they do not overlap; the alt text is
    written from the rows (how many, from when to when, on which lines), so
    ``show(fig, caption=..., sources=rows)`` needs no ``alt=``.

    Args:
        rows: one row per dot, with a date column and a column of short labels.
        label: the column holding each dot's short label (empty text: no label).
        group: the column whose values give the lines (e.g. ``"category"``).
        date: the date column.
        order: the lines from bottom to top (default: as they first appear).
        bands: shaded periods, ``{"name": (start, end)}``, e.g. phases or a listing.
        marker: a date drawn as a dashed vertical line (e.g. the talks of 24 February 2022).
        marker_label: the text written beside that line.
        xlabel: the label of the time axis.
        width: the figure's width in inches.
        ax: axes to draw on (default: a new house-style figure).

    >>> ev = pd.DataFrame({"date": pd.to_datetime(["1999-04-01", "2022-02-23"]),
    ...                    "short": ["Sharif", "Khan"], "category": ["diplomacy"] * 2})
    >>> fig = events(ev, label="short")
    >>> fig.coursekit_alt
    'Timeline from 1999 to 2022 with 2 dated rows on 1 line (diplomacy).'
    """
    if date not in rows.columns or label not in rows.columns or group not in rows.columns:
        raise CourseError(f"events(): the rows need the columns {date!r}, {label!r} and {group!r}; "
                          f"they have {', '.join(map(str, rows.columns))}.")
    lines = list(order) if order else list(dict.fromkeys(rows[group].astype(str)))
    missing = sorted(set(rows[group].astype(str)) - set(lines))
    if missing:
        raise CourseError(f"events(): order= leaves out the group(s) {', '.join(missing)}.")
    if ax is None:
        _, ax = figure(width, max(2.8, 0.8 * len(lines) + 1.6))
    stamps = pd.to_datetime(rows[date])
    first = stamps.min()
    for i, (name, (start, end)) in enumerate((bands or {}).items()):
        start, end = pd.Timestamp(start), pd.Timestamp(end)
        ax.axvspan(start, end, color="0.5" if i % 2 else "0.8", alpha=0.18, lw=0)
        ax.text(start + (end - start) / 2, len(lines) - 0.35, name, ha="center", fontsize=9, color="0.3")
    points = []
    for row_no, name in enumerate(lines):
        part = rows[rows[group].astype(str) == name]
        ax.scatter(pd.to_datetime(part[date]), [row_no] * len(part), color=PALETTE[row_no % len(PALETTE)],
                   s=36, zorder=3)
        for stamp, text in zip(pd.to_datetime(part[date]), part[label], strict=True):
            if isinstance(text, str) and text.strip():
                points.append(((stamp - first).days, row_no, stamp, text))
    if marker is not None:
        marker = pd.Timestamp(marker)
        ax.axvline(marker, color="0.2", linestyle="--", linewidth=1)
        if marker_label:
            ax.text(marker, -0.75, marker_label + " ", ha="right", fontsize=8)
    ax.set_yticks(range(len(lines)), [n.replace("_", " ") for n in lines])
    ax.set_ylim(-0.9, len(lines) - 0.1 + (0.3 if bands else 0))
    ax.set_xlabel(xlabel)
    ax.grid(axis="y", visible=False)
    ax.set_xlim(*ax.get_xlim())  # fix the scale first: labels are placed in screen space
    _place_labels(ax, sorted(points, key=lambda p: (p[1], p[0])))
    fig = ax.figure
    names = ", ".join(n.replace("_", " ") for n in lines)
    plural = "s" if len(lines) != 1 else ""
    fig.coursekit_alt = (f"Timeline from {first.year} to {stamps.max().year} with {len(rows)} dated rows "
                         f"on {len(lines)} line{plural} ({names}).")
    if bands:
        fig.coursekit_alt += f" Shaded periods: {', '.join(bands)}."
    if marker is not None:
        fig.coursekit_alt += f" A dashed line marks {marker_label or marker.date()}."
    return fig

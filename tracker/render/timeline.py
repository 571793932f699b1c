"""The timeline picture: one band per item over time, coloured by state, each history entry
marked, its trigger and reason in a tooltip (SVG `<title>`, also inside the HTML page).

Drawn with matplotlib (the optional `timeline` extra). Only `tracker timeline` imports this
module, so matplotlib never loads on any other path. It takes `Span` records from
`Tracker.spans` and knows nothing of the database.
"""

from __future__ import annotations

import html
import io
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from .. import dates
from ..consents import APPROVE, WITHDRAW
from ..errors import UsageError
from ..fields import text
from ..records import Span
from ..workflow import keeps_state
from .palette import Palette

FORMATS = (".svg", ".html", ".png")
# A consent's mark: an approve is a tick, a withdraw a cross, the party's code above it.
APPROVE_MARK = ("|", "#1a7f37")
WITHDRAW_MARK = ("x", "#cf222e")
# More bands than this make an unreadable picture (and a huge file): choose keys or filters.
MAX_ITEMS = 200
_SVG_NS = "http://www.w3.org/2000/svg"


def output_format(path: str | Path) -> str:
    """The picture format a file name asks for; UsageError (2) for any other extension."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise UsageError(
            f"cannot draw a timeline as {Path(path).name!r}: use a .svg, .html or .png file"
        )
    return suffix


def render(
    spans: Sequence[Span],
    path: str | Path,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    title: str | None = None,
    palette: Palette | None = None,
) -> None:
    """Draw `spans` (as `Tracker.spans` returns them, by key then time) to `path`; its
    extension picks the format. The time axis runs from `since` (default: the first entry)
    to `until` (default: now). States are coloured by `palette` (the workflows' in force;
    without one, in the order the spans show them)."""
    fmt = output_format(path)
    # A title's rule: XML (SVG, HTML) holds no control character (it was exit 1, ParseError).
    title = text("title", title)
    check_size(len({span.key for span in spans}))
    _require_matplotlib()
    target = Path(path)
    with _literal_text():
        figure, tooltips = _draw(spans, since, until, title, palette)
        try:
            if fmt == ".png":
                figure.savefig(target, format="png", dpi=150)
                return
            svg = _svg_with_tooltips(figure, tooltips)
            if fmt == ".svg":
                target.write_text(svg, encoding="utf-8")
            else:
                target.write_text(_html_page(svg, spans, title), encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None


# Fonts with Hangul, kana and CJK ideographs, tried after DejaVu Sans for the glyphs it lacks.
CJK_FONTS = (
    "Noto Sans CJK KR",
    "Noto Sans CJK JP",
    "Noto Sans CJK SC",
    "Noto Sans KR",
    "Noto Sans JP",
    "Source Han Sans",
    "NanumGothic",
    "Malgun Gothic",
    "Apple SD Gothic Neo",
    "Hiragino Sans",
    "Yu Gothic",
    "MS Gothic",
    "IPAGothic",
    "WenQuanYi Zen Hei",
    "Droid Sans Fallback",
)


@contextmanager
def _literal_text() -> Iterator[None]:
    """Draw every text as typed: `$...$` is not mathtext (a title `$\\frac{1}{$` crashed, and
    `$5 and $6` came out in italics). Korean and Japanese use an installed CJK font where
    there is one; where there is none their glyphs are boxes, without a warning per glyph."""
    import matplotlib
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    fallback = [name for name in CJK_FONTS if name in installed]
    families = ["DejaVu Sans", *fallback]
    with (
        matplotlib.rc_context({"text.parse_math": False, "font.family": families}),
        warnings.catch_warnings(),
    ):
        warnings.filterwarnings("ignore", r"Glyph \d+ .*missing from", UserWarning)
        yield


def check_size(items: int) -> None:
    """UsageError (2) when `items` bands are more than a picture can show."""
    if items > MAX_ITEMS:
        raise UsageError(
            f"{items} items are too many for one timeline (at most {MAX_ITEMS}): "
            "name keys or filter by state, kind, party or text"
        )


def _require_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ModuleNotFoundError:
        # A missing optional part is the user's to install, like a bad option: exit 2.
        raise UsageError(
            "drawing a timeline needs matplotlib: pip install 'tracker[timeline]'"
        ) from None


def _tooltip(span: Span) -> str:
    when = dates.iso(span.start)[:16].replace("T", " ") + " UTC"
    if span.consent is not None:
        gated, party = span.consent
        change = f"{party} {span.trigger}s {gated} ({span.state})"
    elif keeps_state(span.trigger) or span.from_state is None:
        change = f"{span.trigger} ({span.state})"
    else:
        change = f"{span.trigger}: {span.from_state} → {span.state}"
    lines = [f"{span.key}: {change}", when]
    if span.reason:
        lines.append(span.reason)
    lines.append(f"by {span.actor}" + (f"; source: {span.source}" if span.source else ""))
    return "\n".join(lines)


def _draw(
    spans: Sequence[Span],
    since: datetime | None,
    until: datetime | None,
    title: str | None,
    palette: Palette | None = None,
) -> tuple[Any, dict[str, str]]:
    from matplotlib import dates as mdates
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    colours = (palette or Palette()).with_states([span.state for span in spans])
    keys = list(dict.fromkeys(span.key for span in spans))
    titles = {span.key: span.title for span in spans}
    row = {key: len(keys) - 1 - i for i, key in enumerate(keys)}  # first key on top
    start = since or min((span.start for span in spans), default=dates.now())
    stop = until or dates.now()
    if stop <= start:
        stop = start + timedelta(days=1)
    pad = (stop - start) * 0.02

    figure = Figure(figsize=(11, 1.6 + 0.62 * max(len(keys), 1)), layout="constrained")
    axes = figure.add_subplot()
    tooltips: dict[str, str] = {}
    labels: dict[int, list[tuple[float, str]]] = {}
    for number, span in enumerate(spans):
        left = max(span.start, start)
        right = min(span.end or stop, stop)
        y = row[span.key]
        if right > left:
            bar = axes.barh(
                y,
                _num(right) - _num(left),
                left=_num(left),
                height=0.56,
                color=colours.picture(span.state),
                edgecolor="white",
                linewidth=0.6,
            )
            bar.patches[0].set_gid(f"span-{number}")
            tooltips[f"span-{number}"] = _tooltip(span)
        if span.start < start:
            note = f"since {dates.iso(span.start)[:10]}"
            # Roughly how much of the axis the note needs at this font size.
            if right > left and (right - left) > (stop - start) * (0.02 + 0.0085 * len(note)):
                axes.text(
                    _num(left) + (_num(stop) - _num(start)) * 0.006,
                    y,
                    note,
                    va="center",
                    fontsize=7.5,
                    color="white",
                )
            continue
        x = _num(span.start)
        if span.consent is not None:
            marker, tint = WITHDRAW_MARK if span.trigger == WITHDRAW else APPROVE_MARK
            (mark,) = axes.plot(
                x, y + 0.36, marker=marker, markersize=8, markeredgewidth=2, color=tint
            )
            axes.annotate(
                span.consent[1],
                (x, y + 0.36),
                xytext=(0, 4),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=6.5,
                color=tint,
                gid=f"consent-party-{number}",
            )
            mark.set_gid(f"consent-{number}")
            tooltips[f"consent-{number}"] = tooltips[f"consent-party-{number}"] = _tooltip(span)
            continue
        if keeps_state(span.trigger):
            (mark,) = axes.plot(x, y + 0.36, marker="v", markersize=6, color="#333333")
        else:
            style = "o" if span.trigger == "create" else "D"
            (mark,) = axes.plot(
                x, y, marker=style, markersize=7, color="white", markeredgecolor="#222222"
            )
            labels.setdefault(y, []).append((x, span.trigger))
        mark.set_gid(f"mark-{number}")
        tooltips[f"mark-{number}"] = _tooltip(span)

    # Marks whose labels would touch share one label ("create, stall"), so none overlap.
    per_char = (_num(stop) - _num(start)) * 0.0085
    for y, marks in labels.items():
        for cluster in _clusters(marks, per_char):
            axes.annotate(
                ", ".join(trigger for _x, trigger in cluster),
                (sum(x for x, _t in cluster) / len(cluster), y - 0.3),
                xytext=(0, -2),
                textcoords="offset points",
                ha="center",
                va="top",
                fontsize=7.5,
                color="#333333",
            )
    axes.set_yticks(
        [row[key] for key in keys],
        [f"{key}\n{_shorten(titles[key], 40)}" for key in keys],
        fontsize=8.5,
    )
    axes.set_ylim(-0.75, len(keys) - 0.35)
    axes.set_xlim(_num(start - pad), _num(stop + pad))
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    axes.grid(axis="x", color="#dddddd", linewidth=0.7)
    axes.set_axisbelow(True)
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
    axes.tick_params(axis="y", length=0)
    axes.set_xlabel("effective date (UTC)", fontsize=8.5)
    states = list(dict.fromkeys(span.state for span in spans))
    handles: list[Any] = [Patch(color=colours.picture(state), label=state) for state in states]
    handles += [
        Line2D([], [], marker="o", ls="", color="white", mec="#222222", label="created"),
        Line2D([], [], marker="D", ls="", color="white", mec="#222222", label="transition"),
    ]
    consents = {span.trigger for span in spans if span.consent is not None}
    for trigger, (marker, tint) in ((APPROVE, APPROVE_MARK), (WITHDRAW, WITHDRAW_MARK)):
        if trigger in consents:
            label = f"{trigger} (party above)"
            handles.append(Line2D([], [], marker=marker, ls="", mew=2, color=tint, label=label))
    if any(keeps_state(span.trigger) and span.consent is None for span in spans):
        handles.append(Line2D([], [], marker="v", ls="", color="#333333", label="comment/edit"))
    figure.legend(
        handles=handles,
        loc="outside lower center",
        ncols=min(len(handles), 8),
        frameon=False,
        fontsize=8.5,
    )
    span_text = f"{dates.iso(start)[:10]} to {dates.iso(stop)[:10]}"
    figure.suptitle(title or f"History of {len(keys)} items, {span_text}", fontsize=11)
    return figure, tooltips


def _num(moment: datetime) -> float:
    from matplotlib import dates as mdates

    return float(mdates.date2num(moment))  # type: ignore[no-untyped-call]


def _clusters(marks: list[tuple[float, str]], per_char: float) -> list[list[tuple[float, str]]]:
    """Group marks (x, label) left to right: a mark joins the group before it when the two
    centred labels, `per_char` wide a character, would come closer than two characters."""
    groups: list[list[tuple[float, str]]] = []
    for mark in sorted(marks):
        if groups:
            before = groups[-1]
            centre = sum(x for x, _t in before) / len(before)
            width = len(", ".join(t for _x, t in before)) + len(mark[1])
            if mark[0] - centre < (width / 2 + 2) * per_char:
                before.append(mark)
                continue
        groups.append([mark])
    return groups


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _svg_with_tooltips(figure: Any, tooltips: dict[str, str]) -> str:
    """The figure as SVG, each marked element given a `<title>` (the browser's tooltip)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg")
    ElementTree.register_namespace("", _SVG_NS)
    ElementTree.register_namespace("xlink", "http://www.w3.org/1999/xlink")
    root = ElementTree.fromstring(buffer.getvalue())
    for group in root.iter(f"{{{_SVG_NS}}}g"):
        text = tooltips.get(group.get("id", ""))
        if text is not None:
            element = ElementTree.Element(f"{{{_SVG_NS}}}title")
            element.text = text
            group.insert(0, element)
    return ElementTree.tostring(root, encoding="unicode", xml_declaration=True)


def _html_page(svg: str, spans: Sequence[Span], title: str | None) -> str:
    """A standalone page: the picture (hover for reasons) and the entries as a table."""
    inline = svg.split("?>", 1)[1] if svg.startswith("<?xml") else svg
    rows = "\n".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(value)}</td>"
            for value in (
                span.key,
                dates.iso(span.start)[:16].replace("T", " "),
                span.trigger,
                span.from_state or "",
                span.state,
                span.reason or "",
                span.actor,
                span.source or "",
            )
        )
        + "</tr>"
        for span in spans
    )
    heading = html.escape(title or "tracker timeline")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{heading}</title>
<style>
  body {{ font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; }}
  svg {{ max-width: 100%; height: auto; }}
  table {{ border-collapse: collapse; font-size: 0.85rem; }}
  td, th {{ border-bottom: 1px solid #ddd; padding: 0.25rem 0.5rem; text-align: left;
           vertical-align: top; }}
</style>
</head>
<body>
<h1>{heading}</h1>
<p>Hover over a band or a mark for the entry's trigger, reason, actor and source.</p>
{inline}
<h2>Entries</h2>
<table>
<tr><th>item</th><th>effective (UTC)</th><th>trigger</th><th>from</th><th>to</th>
<th>reason</th><th>actor</th><th>source</th></tr>
{rows}
</table>
</body>
</html>
"""

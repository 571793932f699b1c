"""Timeline text drawn literally (issue 9, "Bad input"): a title with `$\\frac{1}{$` crashed
matplotlib's mathtext (exit 1), `$5 and $6` came out as maths, and Korean or Japanese titles put
a warning per missing glyph on stderr."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import CLI, run_exe
from tracker import Tracker
from tracker.render import timeline as drawing

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
MATHS = r"$\frac{1}{$"


@SQLITE
@pytest.mark.parametrize("suffix", [".svg", ".png", ".html"])
def test_a_title_of_broken_mathtext_is_drawn(
    seeded: Tracker, cli: CLI, tmp_path: Path, suffix: str
) -> None:
    seeded.add("DOLLAR", title="Costs $5 and $6", kind="exercise")
    target = tmp_path / f"t{suffix}"
    result = cli("timeline", "--output", str(target), "--title", MATHS)
    assert result.code == 0, result.err
    assert target.stat().st_size > 1000
    if suffix == ".html":
        assert r"$\frac{1}{$" in target.read_text("utf-8")


@SQLITE
def test_every_text_of_the_picture_is_literal(seeded: Tracker) -> None:
    seeded.add("DOLLAR", title="Costs $5 and $6", kind="exercise")
    with drawing._literal_text():
        figure, _ = drawing._draw(seeded.spans(), None, None, MATHS)
        texts = figure.findobj(lambda artist: hasattr(artist, "get_parse_math"))
    assert any(t.get_text() == MATHS for t in texts)
    assert any("Costs $5 and $6" in t.get_text() for t in texts)
    assert texts and not [t.get_text() for t in texts if t.get_parse_math()]


@SQLITE
def test_korean_and_japanese_titles_put_nothing_on_stderr(
    seeded: Tracker, tracker_exe: str, tmp_path: Path
) -> None:
    """A real process: Python prints a UserWarning to stderr, pytest would only record it."""
    seeded.add("HANGUL", title="한일 합동 수색구조 훈련 日本 🚢", kind="exercise")
    for suffix in (".png", ".svg"):
        target = tmp_path / f"cjk{suffix}"
        done = run_exe(
            tracker_exe, "--db", seeded.url, "timeline", "--output", str(target), "--title", "합동"
        )
        assert done.returncode == 0, done.stderr
        assert done.stderr == ""
        assert target.exists()


def test_an_installed_cjk_font_is_used_after_dejavu(monkeypatch: pytest.MonkeyPatch) -> None:
    """No CJK font is installed here: an installed font stands in for one, a missing one is
    left out (matplotlib would warn about a family it cannot find)."""
    import matplotlib

    monkeypatch.setattr(drawing, "CJK_FONTS", ("No Such Font", "DejaVu Serif"))
    with drawing._literal_text():
        assert matplotlib.rcParams["font.family"] == ["DejaVu Sans", "DejaVu Serif"]
        assert matplotlib.rcParams["text.parse_math"] is False
    assert matplotlib.rcParams["text.parse_math"] is True


@SQLITE
@pytest.mark.parametrize("title", ["a\x1b[31mb", "x\x01y", "two\nlines", "\u202eevil", "W" * 501])
@pytest.mark.parametrize("suffix", [".svg", ".html", ".png"])
def test_a_title_that_no_text_field_takes_is_refused(
    seeded: Tracker, cli: CLI, tmp_path: Path, title: str, suffix: str
) -> None:
    """`--title` with a control character was exit 1, `unexpected ParseError: not well-formed
    (invalid token)` (XML has no such character); it is held to a title's rule, exit 2."""
    target = tmp_path / f"t{suffix}"
    result = cli("timeline", "--output", str(target), "--title", title)
    assert result.code == 2, result
    assert result.err.startswith("error: title ") and result.err.count("\n") == 1, result.err
    assert not target.exists()


@SQLITE
@pytest.mark.parametrize("link", ["symlink", "hard link"])
@pytest.mark.parametrize("suffix", [".svg", ".html", ".png"])
def test_a_picture_named_as_the_database_never_overwrites_it(
    seeded: Tracker, cli: CLI, tmp_path: Path, link: str, suffix: str
) -> None:
    """`timeline --output x.svg`, x.svg a link to the database, wrote the picture into the
    database file (every later command: `file is not a database`). A symlink is refused, as
    export refuses it; a hard link is another name: the picture replaces that name only."""
    database = seeded.database_file
    assert database is not None
    target = tmp_path / f"picture{suffix}"
    if link == "symlink":
        target.symlink_to(database)
    else:
        os.link(database, target)
    result = cli("timeline", "--output", str(target))
    assert result.code == (2 if link == "symlink" else 0), result
    assert cli("verify").code == 0

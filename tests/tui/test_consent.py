"""Issue 12 in the TUI, at 80x24 on SQLite: the consents of each gated trigger on the item
screen, approve and withdraw there (the consent that completes the set fires the trigger),
bulk approve of the marked items all or nothing, the built-in view "waiting on me", and a
party map that limits whom the current actor may speak for."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Input, OptionList, Select, Static

from tracker import Tracker
from tracker.tui.app import TrackerApp
from tracker.tui.screens.bulk_consent import BulkConsentModal
from tracker.tui.screens.consent import ConsentModal
from tracker.tui.screens.help import key_table
from tracker.tui.screens.item import ItemScreen
from tracker.tui.screens.items import ItemsScreen

from .driving import screen_text, settle, usable

SMALL = (80, 24)
ACTOR = "kim"


@pytest.fixture
def agreements(tui_tracker: Tracker, monkeypatch: pytest.MonkeyPatch) -> Iterator[Tracker]:
    """ACSA back in `proposed` (sign, gated on every party, is allowed from there), a second
    agreement GSOMIA, and the current actor `kim`."""
    monkeypatch.setenv("LOGNAME", ACTOR)
    tui_tracker.fire("ACSA", "propose", reason="talks restart", at="2026-02-01", actor="Japan MOD")
    tui_tracker.add("GSOMIA", "Intelligence sharing", "agreement", ["ROK", "JPN"], at="2026-02-01")
    yield tui_tracker


def party_map(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *parties: str) -> None:
    """The current actor speaks for `parties` only."""
    path = tmp_path / "parties.toml"
    listed = ", ".join(f'"{p}"' for p in parties)
    path.write_text(f'[actors]\n{ACTOR} = [{listed}]\nother = ["ROK", "USA"]\n', encoding="utf-8")
    monkeypatch.setenv("TRACKER_PARTIES", str(path))


async def open_item(app: TrackerApp, pilot: Pilot[Any], key: str) -> ItemScreen:
    screen = app.screen
    assert isinstance(screen, ItemsScreen)
    screen.open_item(key)
    await settle(pilot)
    assert isinstance(app.screen, ItemScreen)
    return app.screen


async def consent_dialog(app: TrackerApp, pilot: Pilot[Any], *keys: str) -> ConsentModal:
    await pilot.press(*keys)
    await settle(pilot)
    modal = app.screen
    assert isinstance(modal, ConsentModal)
    usable(app)
    return modal


def options(modal: Any, name: str) -> list[str]:
    select = modal.query_one(f"#{name}", Select)
    return [str(value) for _, value in select._options if isinstance(value, str)]


async def test_approve_on_the_item_screen_then_the_last_consent_fires(
    app: TrackerApp, agreements: Tracker
) -> None:
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        screen = await open_item(app, pilot, "ACSA")
        panel = screen.query_one("#consents", Static)
        assert "awaiting JPN, ROK" in str(panel.render())
        assert "no consent yet" in str(panel.render())
        gated = [b for b in screen.query(".trigger").results(Button) if b.has_class("-gated")]
        assert [str(b.label) for b in gated] == ["4 sign"]
        assert "A Approve" in screen_text(app).splitlines()[-1]
        # f: the fire dialog says which trigger waits for consent (a fire of it is refused).
        await pilot.press("f")
        await settle(pilot)
        assert "sign  → signed  (needs every consent: A approves)" in str(
            [label for label, _ in app.screen.query_one("#trigger", Select)._options]
        )
        await pilot.press("escape")
        await settle(pilot)
        # A: the dialog offers the gated trigger and every awaited party (no party map).
        modal = await consent_dialog(app, pilot, "A")
        assert options(modal, "trigger") == ["sign"] and options(modal, "party") == ["JPN", "ROK"]
        assert "as kim (for every party: no party map)" in screen_text(app)
        modal.query_one("#party", Select).value = "ROK"
        modal.query_one("#reason", Input).value = "Seoul agrees"
        await pilot.click("#consent")
        await settle(pilot)
        # sign requires a source: required on each consent too, said under the field.
        assert "source is required to sign" in screen_text(app)
        assert app.focused is modal.query_one("#source", Input)
        await pilot.press(*"Yonhap", "enter")
        await settle(pilot)
        assert app.screen is screen
        assert any("ROK approved sign; awaiting JPN" in n.message for n in app._notifications)
        text = str(screen.query_one("#consents", Static).render())
        assert "awaiting JPN" in text and "✓ ROK  by kim" in text and "Seoul agrees" in text
        # The history says what each consent entry recorded (the newest is selected).
        assert "reason: [ROK approves sign] Seoul agrees" in screen_text(app)
        assert agreements.get("ACSA").state == "proposed"
        # The trigger's button asks for the consent still awaited; it completes the set.
        modal = await consent_dialog(app, pilot, "4")
        assert options(modal, "party") == ["JPN"]
        assert "sign  → signed  awaiting JPN (have ROK)" in screen_text(app)
        modal.query_one("#source", Input).value = "Nikkei"
        await pilot.click("#consent")
        await settle(pilot)
        assert app.screen is screen
        assert agreements.get("ACSA").state == "signed"
        assert any("every party has consented" in n.message for n in app._notifications)
        assert not screen.query_one("#consents", Static).display  # nothing gated any more
        newest = [e.trigger for e in agreements.history("ACSA", newest_first=True, limit=3)]
        assert newest == ["sign", "approve", "approve"]
        assert "reason: [rests on 2 consents]" in screen_text(app)


async def test_withdraw_takes_a_consent_back(app: TrackerApp, agreements: Tracker) -> None:
    agreements.approve("ACSA", "sign", party="ROK", source="Yonhap", at="2026-02-02")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        screen = await open_item(app, pilot, "ACSA")
        assert "✓ ROK" in str(screen.query_one("#consents", Static).render())
        modal = await consent_dialog(app, pilot, "W")
        assert options(modal, "party") == ["ROK"]  # only a consent given can be taken back
        modal.query_one("#source", Input).value = "Yonhap"
        await pilot.click("#consent")
        await settle(pilot)
        assert app.screen is screen
        text = str(screen.query_one("#consents", Static).render())
        assert "awaiting JPN, ROK" in text and "✓" not in text
        assert agreements.history("ACSA", newest_first=True, limit=1)[0].trigger == "withdraw"
        # Nothing left to take back: the dialog says so and cannot be submitted.
        modal = await consent_dialog(app, pilot, "W")
        assert "ACSA has no consent to take back from proposed" in screen_text(app)
        assert modal.query_one("#consent", Button).disabled


async def test_the_party_map_limits_the_chooser_and_a_refusal_shows_inline(
    app: TrackerApp, agreements: Tracker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    party_map(tmp_path, monkeypatch, "ROK")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await open_item(app, pilot, "ACSA")
        modal = await consent_dialog(app, pilot, "A")
        assert options(modal, "party") == ["ROK"]
        assert "as kim (for ROK)" in screen_text(app)
        # Another process gives ROK's consent meanwhile: the service refuses, shown inline.
        agreements.approve("ACSA", "sign", party="ROK", source="Yonhap", actor="kim")
        before = agreements.history_count()
        modal.query_one("#source", Input).value = "Yonhap"
        await pilot.click("#consent")
        await settle(pilot)
        assert app.screen is modal
        assert "refused:" in screen_text(app) and "already" in screen_text(app)
        assert agreements.history_count() == before
        await pilot.press("escape")
        await settle(pilot)
        # Now only JPN is awaited, and kim does not speak for JPN: nothing to choose.
        modal = await consent_dialog(app, pilot, "A")
        assert options(modal, "party") == []
        assert "sign awaits JPN; you may consent for ROK (ROK approved already)" in (
            screen_text(app)
        )
        assert modal.query_one("#consent", Button).disabled
        await pilot.press("escape")
        await settle(pilot)
        # A party map named but not there lifts no restriction: the dialog says why, inline.
        monkeypatch.setenv("TRACKER_PARTIES", str(tmp_path / "missing.toml"))
        modal = await consent_dialog(app, pilot, "A")
        assert "cannot consent:" in screen_text(app)
        assert "no such party map file" in screen_text(app)
        assert modal.query_one("#consent", Button).disabled


async def test_bulk_approve_is_all_or_nothing(app: TrackerApp, agreements: Tracker) -> None:
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ItemsScreen)
        screen.table.set_marks({"ACSA", "GSOMIA", "DRILLS"})
        await pilot.press("A")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, BulkConsentModal)
        usable(app)
        modal.query_one("#party", Select).value = "JPN"
        await settle(pilot)
        text = screen_text(app)
        assert "2 of 3 await JPN's consent to sign" in text and "all or nothing" in text
        assert "DRILLS  is suspended: no consent to sign from there" in text
        assert modal.query_one("#consent", Button).disabled
        await pilot.press("escape")
        await settle(pilot)
        screen.table.set_marks({"ACSA", "GSOMIA"})
        await pilot.press("A")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, BulkConsentModal)
        modal.query_one("#party", Select).value = "JPN"
        modal.query_one("#source", Input).value = "Nikkei"
        await settle(pilot)
        assert "2 of 2 await JPN's consent to sign" in screen_text(app)
        # Another writer gives JPN's consent to GSOMIA first: the batch is refused whole.
        agreements.approve("GSOMIA", "sign", party="JPN", source="Asahi Shimbun")
        before = agreements.history_count()
        await pilot.click("#consent")
        await settle(pilot)
        assert app.screen is modal
        assert "refused, nothing written" in screen_text(app)
        assert agreements.history_count() == before
        assert agreements.pending(key="ACSA") == []
        # Read again, the dialog names GSOMIA and will not write until it is unmarked.
        assert "GSOMIA  JPN has approved sign already" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        screen.table.set_marks({"ACSA", "GSOMIA"})
        await pilot.press("A")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, BulkConsentModal)
        modal.query_one("#party", Select).value = "ROK"
        modal.query_one("#source", Input).value = "Yonhap"
        await settle(pilot)
        await pilot.click("#consent")
        await settle(pilot)
        assert app.screen is screen and screen.marks == set()
        # ROK's consent completes GSOMIA (JPN had given its own): signed; ACSA awaits JPN.
        assert agreements.get("GSOMIA").state == "signed"
        assert [p.awaited for p in agreements.pending(key="ACSA")] == [("JPN",)]


async def test_waiting_on_me_lists_what_awaits_my_parties(
    app: TrackerApp, agreements: Tracker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    party_map(tmp_path, monkeypatch, "JPN")
    agreements.approve("ACSA", "sign", party="ROK", source="Yonhap", actor="other", at="2026-02-02")
    agreements.approve("GSOMIA", "sign", party="JPN", source="Nikkei", actor="kim", at="2026-02-02")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ItemsScreen)
        await pilot.press("w")
        await settle(pilot)
        # ACSA awaits JPN (kim's party); GSOMIA awaits ROK only; the others are not gated.
        assert screen.table.total == 1 and screen.table.current_key == "ACSA"
        assert str(screen.query_one("#counts", Static).render()).startswith("waiting on me: ")
        assert screen.sub_title == "waiting on me"
        # Mark all marks what the view shows; approving from it empties it.
        await pilot.press("m")
        await settle(pilot)
        assert screen.marks == {"ACSA"}
        await pilot.press("A")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, BulkConsentModal)
        assert options(modal, "party") == ["JPN"]
        modal.query_one("#source", Input).value = "Nikkei"
        await settle(pilot)
        await pilot.click("#consent")
        await settle(pilot)
        assert agreements.get("ACSA").state == "signed"
        assert screen.table.total == 0
        # Typing a filter leaves the view; the sidebar lists it beside the saved views.
        await pilot.press("slash", *"acsa")
        await settle(pilot)
        assert screen.table.total == 1 and screen.sub_title == "items"
        await pilot.press("V")
        await settle(pilot)
        views = screen.query_one("#views", OptionList)
        labels = [str(views.get_option_at_index(i).prompt) for i in range(views.option_count)]
        assert labels[:2] == ["0 all items", "w waiting on me"]


async def test_the_new_keys_are_listed_and_collide_with_nothing(
    app: TrackerApp, agreements: Tracker
) -> None:
    from textual.binding import Binding

    from tracker.tui.app import binding_classes
    from tracker.tui.keymap import binding_ids
    from tracker.tui.screens.item import EntriesTable
    from tracker.tui.widgets.timeline import TimelineChart
    from tracker.tui.widgets.views_list import ViewsList
    from tracker.tui.widgets.virtual_table import VirtualTable

    assert {"items.approve", "items.waiting", "item.approve", "item.withdraw"} <= binding_ids(
        binding_classes()
    )
    # A key is on one binding of a screen and the widget in focus (else Textual runs one).
    for classes in (
        (ItemsScreen, VirtualTable),
        (ItemsScreen, ViewsList),
        (ItemScreen, EntriesTable),
        (ItemScreen, TimelineChart),
        (ConsentModal,),
        (BulkConsentModal,),
    ):
        keys = [
            key.strip()
            for cls in classes
            for binding in cls.BINDINGS
            if isinstance(binding, Binding)
            for key in binding.key.split(",")
        ]
        assert sorted(keys) == sorted(set(keys)), classes
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        assert "A Approve" in screen_text(app).splitlines()[-1]
        assert "Approve" in help_text(app) and "Waiting on me" in help_text(app)
        await open_item(app, pilot, "ACSA")
        assert "A Approve" in screen_text(app).splitlines()[-1]
        assert "Approve" in help_text(app) and "Withdraw" in help_text(app)


def help_text(app: TrackerApp) -> str:
    """What `?` lists for the screen on top (all of it, scrolled or not)."""
    from rich.console import Console

    console = Console(width=80, record=True, file=io.StringIO())
    console.print(key_table(app.screen))
    return console.export_text()


def test_the_item_page_carries_the_consents_of_its_moment(
    agreements: Tracker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the item screen and the consent dialog read: the consents in effect come with the
    item page (one snapshot), as of its date too; the parties the actor speaks for."""
    agreements.approve("ACSA", "sign", party="ROK", source="Yonhap", at="2026-02-02")
    page = agreements.item_page("ACSA")
    assert [(p.trigger, p.awaited) for p in page.pending] == [("sign", ("JPN",))]
    assert agreements.item_page("ACSA", as_of="2026-02-01T12:00").pending == ()
    assert agreements.item_page("DRILLS").pending == ()
    assert agreements.speaks_for() is None  # no party map: every party
    party_map(tmp_path, monkeypatch, "JPN")
    assert agreements.speaks_for() == ("JPN",)
    assert agreements.speaks_for("other") == ("ROK", "USA")
    assert agreements.speaks_for("nobody") == ()

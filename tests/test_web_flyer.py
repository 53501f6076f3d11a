"""The page's ways to follow the schedule: the Atom link in its head, the footer's links, the print-only block.

Oracles: the addresses module (:class:`hmis_schedule.addresses.Addresses`)
for every link and for the address the printed QR code holds, and the
library's QR code for that address (:func:`hmis_schedule.flyer.qr_svg`).
How it prints is ``tests/test_browser_print.py``'s.
"""

from __future__ import annotations

import dataclasses

import pytest
from flask.testing import FlaskClient
from support import BASE, Node, parse, schedule_app

import hmis_schedule
from hmis_schedule.addresses import Addresses

SCHEDULE = hmis_schedule.clackamas()


def footer_links(document: Node) -> dict[str, str]:
    footer = document.find("footer", class_="site")[0]
    return {a.text(): a.attrs.get("href") or "" for a in footer.iter("a")}


def test_the_head_announces_the_atom_feed_and_the_print_stylesheet(page: tuple[str, Node]) -> None:
    lang, document = page
    atom = document.find("link", rel="alternate", type="application/atom+xml")
    assert [a.attrs["href"] for a in atom] == ["/feed.atom" + ("" if lang == "en" else "?lang=es")]
    printed = [s for s in document.find("link", rel="stylesheet") if s.attrs.get("media") == "print"]
    assert len(printed) == 1 and (printed[0].attrs.get("href") or "").startswith("/static/print.css?v=")


def test_the_footer_links_the_atom_feed_and_the_csv(page: tuple[str, Node]) -> None:
    lang, document = page
    hrefs = set(footer_links(document).values())
    query = "" if lang == "en" else "?lang=es"
    assert {f"/feed.atom{query}", f"/api/sessions.csv{query}"} <= hrefs


def test_the_print_block_is_hidden_and_holds_the_pages_address_and_its_qr_code(page: tuple[str, Node]) -> None:
    lang, document = page
    blocks = [n for n in document.iter("div") if n.has_class("flyer")]
    assert len(blocks) == 1
    block = blocks[0]
    assert "hidden" in block.attrs
    assert block.parent is not None and block.parent.tag == "body", "print.css shows it as a child of body"
    address = Addresses(BASE).page_in(SCHEDULE, lang)
    assert block.find("b")[0].text() == address
    svg = block.find("svg")
    assert len(svg) == 1 and not any("style" in n.attrs for n in svg[0].iter())
    assert SCHEDULE.contact is not None and SCHEDULE.contact.hmis_email in block.text()


def test_the_embed_has_no_print_block(client: FlaskClient) -> None:
    html = client.get("/embed").get_data(as_text=True)
    assert 'class="flyer"' not in html and "<svg" not in html


@pytest.mark.parametrize("base", ["https://example.org/hmis", "https://training.example.org"])
def test_the_qr_code_follows_the_public_root(base: str) -> None:
    html = schedule_app(HMIS_BASE_URL=base).test_client().get("/?lang=es").get_data(as_text=True)
    block = next(n for n in parse(html).iter("div") if n.has_class("flyer"))
    assert block.find("b")[0].text() == f"{base}/?lang=es"


def test_a_schedule_with_its_own_page_prints_that_page() -> None:
    schedule = dataclasses.replace(SCHEDULE, url="https://county.example.gov/hmis-training")
    html = schedule_app(schedule).test_client().get("/?lang=es").get_data(as_text=True)
    block = next(n for n in parse(html).iter("div") if n.has_class("flyer"))
    assert block.find("b")[0].text() == "https://county.example.gov/hmis-training"

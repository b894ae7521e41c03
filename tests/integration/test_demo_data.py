"""The demo holds what Circular 02/2024/TT-BKHCN asks a consumer be shown: each product's
photo, the pomelo's and the rice's brand, pack size, standards and storage, and the
organisations' contact, never a household's (issue 15)."""

from __future__ import annotations

from datetime import date

from trace.config import Settings
from trace.demo import POMELO_COOP, load_demo
from trace.domain.photos import MAX_SIDE
from trace.public.view import PageView, build_view
from trace.store.batches import all_batches
from trace.store.database import read_transaction
from trace.store.ledger import Ledger

TODAY = date(2026, 9, 10)


async def _views(ledger: Ledger) -> dict[str, PageView]:
    async with read_transaction(ledger.engine) as conn:
        return {
            batch.lot: await build_view(conn, batch, today=TODAY)
            for batch in await all_batches(conn)
        }


async def test_the_demo_holds_photos_circular_02_fields_and_only_organisations_contacts(
    settings: Settings, ledger: Ledger
) -> None:
    # One demo a database: it takes seconds to make.
    await load_demo(settings)
    views = await _views(ledger)
    assert len(views) == 6
    for lot, view in views.items():
        photo = view.product_photo
        assert photo is not None, lot
        assert photo.media_type == "image/webp" and max(photo.width, photo.height) <= MAX_SIDE

    pomelo, rice = views["BD-2026-09"], views["GAO-2026-06"]
    assert pomelo.producer == POMELO_COOP and pomelo.brand == "Bưởi Diễn Phú Thượng"
    assert pomelo.pack_size is not None
    assert (pomelo.pack_size.value, pomelo.pack_size.unit) == ("3", "KGM")
    assert pomelo.standards == ("VietGAP (TCVN 11892-1:2017)",)
    assert pomelo.storage and rice.storage and rice.brand == "Gạo Phố Hiến"
    assert rice.standards == ("VietGAP", "TCVN 11888:2017 (gạo trắng)")
    contact = pomelo.producer_contact
    assert contact is not None and contact.phone and contact.address and contact.website

    households = {lot: view for lot, view in views.items() if view.household}
    assert set(households) == {"THOC-2026-01", "THOC-2026-02", "THOC-2026-03"}
    assert all(view.producer_contact is None for view in households.values())
    organisations = [view for view in views.values() if not view.household]
    assert all(view.producer_contact is not None for view in organisations)

"""Master data: an agency names its locations (by GLN) and its products (by GTIN).

An agency's ``admin`` token (or the operator's) registers a code with its names; anyone may
read them, since the name of a place or a product is what its pages and its EPCIS
documents show anyway. A code registered by another agency is refused (409,
``master_data_taken``). A household is a person: its address is personal data, so it
registers no location (trace/domain/master_data.py says why the names exist).
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, get, put
from litestar.di import Provide
from litestar.params import Parameter

from trace.api.auth import ActorDep, LedgerDep, provide_actor, require_self_or_operator
from trace.api.problems import ANY, BODY, TOKEN, problem_answers
from trace.domain.master_data import (
    Location,
    LocationIn,
    Product,
    ProductIn,
    gln_uri,
    gtin14,
    gtin_uri,
    validate_gln,
)
from trace.store import master_data as store
from trace.store.agencies import get_agency
from trace.store.database import read_transaction
from trace.store.errors import Forbidden, NotFound

GlnParameter = Annotated[
    str,
    Parameter(
        description="The Global Location Number: 13 digits, the last its check digit.",
        pattern=r"^[0-9]{13}$",
    ),
]
GtinParameter = Annotated[
    str,
    Parameter(
        description="The GTIN: 8, 12, 13 or 14 digits, the last its check digit.",
        pattern=r"^(?:[0-9]{8}|[0-9]{12,14})$",
    ),
]
AgencyIdParameter = Annotated[
    str,
    Parameter(
        description="The agency's id.",
        pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
    ),
]


def _said(description: str) -> msgspec.Meta:
    return msgspec.Meta(description=description)


class LocationOut(msgspec.Struct):
    """A registered location: its GLN, whose it is, its names, address and place."""

    gln: Annotated[str, _said("The Global Location Number, 13 digits.")]
    uri: Annotated[str, _said("Its GS1 Digital Link, as EPCIS events name it.")]
    agency_id: Annotated[str, _said("The agency that registered it.")]
    name_vi: Annotated[str, _said("The name in Vietnamese.")]
    name_en: Annotated[str, _said("The name in English.")]
    address: Annotated[str, _said("Street, village.")]
    province: Annotated[str, _said("The province's two-digit code.")]
    commune: Annotated[str | None, _said("The commune's five-digit code, if given.")]
    latitude: Annotated[float | None, _said("Degrees north, if given.")]
    longitude: Annotated[float | None, _said("Degrees east, if given.")]

    @classmethod
    def of(cls, location: Location) -> LocationOut:
        """The view of ``location``."""
        return cls(
            location.gln,
            gln_uri(location.gln),
            location.agency_id,
            location.name_vi,
            location.name_en,
            location.address,
            location.province,
            location.commune,
            location.latitude,
            location.longitude,
        )


class ProductOut(msgspec.Struct):
    """A registered product: its GTIN, whose it is, and its names."""

    gtin: Annotated[str, _said("The GTIN in its 14-digit form.")]
    uri: Annotated[str, _said("Its GS1 Digital Link: the class of its lots and items.")]
    agency_id: Annotated[str, _said("The agency that registered it.")]
    name_vi: Annotated[str, _said("The name in Vietnamese.")]
    name_en: Annotated[str, _said("The name in English.")]

    @classmethod
    def of(cls, product: Product) -> ProductOut:
        """The view of ``product``."""
        return cls(
            product.gtin,
            gtin_uri(product.gtin),
            product.agency_id,
            product.name_vi,
            product.name_en,
        )


class MasterDataController(Controller):
    """`/api/v1/agencies/{agency_id}/locations` and `/products`: names for GLNs and GTINs."""

    path = "/api/v1/agencies/{agency_id:str}"
    tags = ["master data"]

    @put(
        "/locations/{gln:str}",
        dependencies={"actor": Provide(provide_actor)},
        responses=problem_answers(*ANY, *TOKEN, *BODY, 404, 409, 422),
    )
    async def put_location(
        self,
        ledger: LedgerDep,
        actor: ActorDep,
        agency_id: AgencyIdParameter,
        gln: GlnParameter,
        data: LocationIn,
    ) -> LocationOut:
        """Register or rename one of the agency's locations by its GLN.

        The agency itself or the operator (``admin`` scope). The body gives the names in
        Vietnamese and English, the address, the province (and commune) code and, if known,
        latitude and longitude; it replaces what was registered. A GLN with a wrong check
        digit is refused (422), one registered by another agency too (409).
        """
        require_self_or_operator(actor, agency_id)
        validate_gln(gln)
        async with read_transaction(ledger.engine) as conn:
            agency = await get_agency(conn, agency_id)
        if agency.household:
            raise Forbidden(
                "a household registers no location: its address is personal data",
                rule="household_location",
            )
        return LocationOut.of(await store.register_location(ledger, agency_id, gln, data))

    @put(
        "/products/{gtin:str}",
        dependencies={"actor": Provide(provide_actor)},
        responses=problem_answers(*ANY, *TOKEN, *BODY, 404, 409, 422),
    )
    async def put_product(
        self,
        ledger: LedgerDep,
        actor: ActorDep,
        agency_id: AgencyIdParameter,
        gtin: GtinParameter,
        data: ProductIn,
    ) -> ProductOut:
        """Register or rename one of the agency's products by its GTIN.

        The agency itself or the operator (``admin`` scope). The body gives the product's
        name in Vietnamese and English and replaces what was registered. A GTIN with a wrong
        check digit is refused (422), one registered by another agency too (409).
        """
        require_self_or_operator(actor, agency_id)
        code = gtin14(gtin)
        return ProductOut.of(await store.register_product(ledger, agency_id, code, data))

    @get("/locations", responses=problem_answers(*ANY, 404))
    async def locations(self, ledger: LedgerDep, agency_id: AgencyIdParameter) -> list[LocationOut]:
        """List the locations an agency registered, by GLN.

        Public: a location's name and address are on the pages of what happens there.
        """
        async with read_transaction(ledger.engine) as conn:
            await get_agency(conn, agency_id)
            return [
                LocationOut.of(found) for found in await store.agency_locations(conn, agency_id)
            ]

    @get("/products", responses=problem_answers(*ANY, 404))
    async def products(self, ledger: LedgerDep, agency_id: AgencyIdParameter) -> list[ProductOut]:
        """List the products an agency registered, by GTIN.

        Public: a product's name is on its labels and pages.
        """
        async with read_transaction(ledger.engine) as conn:
            await get_agency(conn, agency_id)
            return [ProductOut.of(found) for found in await store.agency_products(conn, agency_id)]


class MasterDataLookupController(Controller):
    """`/api/v1/locations/{gln}` and `/api/v1/products/{gtin}`: a code's names, by code."""

    path = "/api/v1"
    tags = ["master data"]

    @get("/locations/{gln:str}", responses=problem_answers(*ANY, 404, 422))
    async def location(self, ledger: LedgerDep, gln: GlnParameter) -> LocationOut:
        """Read the location registered under a GLN.

        Public. 404 when no agency registered the GLN, 422 when its check digit is wrong.
        """
        validate_gln(gln)
        async with read_transaction(ledger.engine) as conn:
            found = (await store.locations_of(conn, [gln])).get(gln)
        if found is None:
            raise NotFound(f"no location {gln}", what="location", id=gln)
        return LocationOut.of(found)

    @get("/products/{gtin:str}", responses=problem_answers(*ANY, 404, 422))
    async def product(self, ledger: LedgerDep, gtin: GtinParameter) -> ProductOut:
        """Read the product registered under a GTIN.

        Public. 404 when no agency registered the GTIN, 422 when its check digit is wrong.
        """
        code = gtin14(gtin)
        async with read_transaction(ledger.engine) as conn:
            found = (await store.products_of(conn, [code])).get(code)
        if found is None:
            raise NotFound(f"no product {code}", what="product", id=gtin)
        return ProductOut.of(found)

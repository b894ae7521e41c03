"""Master data: the names of the places an agency holds by GLN and the products it sells by GTIN.

Partners' EPCIS systems name a place by its Global Location Number (GLN, GS1 key AI 414:
``https://id.gs1.org/414/{gln}`` or the EPC URN ``urn:epc:id:sgln:…``; TCVN 13274:2020 calls
it the location trace code) and a product by its GTIN. A code tells a shopper or an officer
nothing, so an agency registers its codes with names: a location with its name in Vietnamese
and English, its address, its province (and commune) among Vietnam's places since
1 July 2025, and where it is on a map; a product with its name in both languages.

EPCIS 2.0 carries such names as *master data*, beside the events and never inside them (an
event's Event Hash ID covers its fields): in an EPCISDocument's
``epcisHeader.epcisMasterData.vocabularyList``, in an EPCISQueryDocument's
``resultsBody.vocabularyList``. Each vocabulary has a ``type``
(``urn:epcglobal:epcis:vtype:BusinessLocation``, ``…:ReadPoint``, ``…:EPCClass``) and elements
of an ``id`` and ``attributes``. The attribute names are the Core Business Vocabulary's
(CBV 2.0, section 10: location master data ``name``, ``streetAddressOne``, ``city``,
``state``, ``countryCode``, ``latitude``, ``longitude``; trade item master data
``descriptionShort``), written as full URIs under ``urn:epcglobal:cbv:mda:`` (the ``cbvmda:``
prefix of the EPCIS 2.0 JSON-LD context). A name exists in two languages: each is a JSON-LD
value object with its ``@language``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Annotated, Any

import msgspec

from trace.domain.epc import canonical_identifier
from trace.domain.errors import DomainError, InvalidIdentifier
from trace.domain.identifiers import gtin_check_digit, validate_gtin
from trace.domain.kinds import CommuneCode, Name, ProvinceCode
from trace.domain.places import commune_name, province_name
from trace.domain.texts import N_

GLN_LENGTH = 13
_DIGITS = re.compile(r"[0-9]+", re.ASCII)
# A Digital Link in the form canonical_identifier writes: a GLN without an extension (an
# SGLN whose extension is 0 is its GLN), a GTIN with or without its lot or serial.
_GLN_LINK = re.compile(r"https://id\.gs1\.org/414/([0-9]{13})", re.ASCII)
_GTIN_LINK = re.compile(r"https://id\.gs1\.org/01/([0-9]{14})(?:/(?:10|21|235)/.+)?", re.ASCII)

MDA = "urn:epcglobal:cbv:mda:"
VTYPE = "urn:epcglobal:epcis:vtype:"
BUSINESS_LOCATION = VTYPE + "BusinessLocation"
READ_POINT = VTYPE + "ReadPoint"
EPC_CLASS = VTYPE + "EPCClass"
VIETNAM = "VN"  # ISO 3166-1 alpha-2, CBV's countryCode


def validate_gln(value: str) -> str:
    """``value`` if it is a GLN: 13 ASCII digits whose last is the GS1 mod-10 check digit.

    Raises :class:`InvalidIdentifier` with ``reason`` "length", "digits" or "gln_check_digit".
    """
    if len(value) != GLN_LENGTH:
        raise InvalidIdentifier(
            f"a GLN has 13 digits, got {len(value)} characters", value=value, reason="length"
        )
    if not _DIGITS.fullmatch(value):
        raise InvalidIdentifier(
            f"a GLN is digits only, got {value!r}", value=value, reason="digits"
        )
    if int(value[-1]) != gtin_check_digit(value[:-1]):
        raise InvalidIdentifier(
            f"GLN check digit of {value} is wrong", value=value, reason="gln_check_digit"
        )
    return value


def gtin14(value: str) -> str:
    """A GTIN-8, -12, -13 or -14 in its 14-digit form; :class:`InvalidIdentifier` otherwise."""
    return validate_gtin(value)


# A page of events names the same few places and classes again and again.
@lru_cache(maxsize=4096)
def gln_of(identifier: str) -> str | None:
    """The GLN a place identifier names, written either way (Digital Link or SGLN); else None."""
    found = _GLN_LINK.fullmatch(canonical_identifier(identifier))
    return found[1] if found else None


@lru_cache(maxsize=4096)
def gtin_of(identifier: str) -> str | None:
    """The GTIN an EPC, an EPC class or a pattern names (any spelling), 14 digits; else None."""
    found = _GTIN_LINK.fullmatch(canonical_identifier(identifier))
    return found[1] if found else None


def event_gln(event: Mapping[str, Any]) -> str | None:
    """The GLN where an EPCIS event happened: its business location's, else its read
    point's; None when it names its place otherwise, or none."""
    for field in ("bizLocation", "readPoint"):
        place = event.get(field)
        if isinstance(place, Mapping) and isinstance(place.get("id"), str):
            return gln_of(place["id"])
    return None


def captured_event_gln(text: str) -> str | None:
    """:func:`event_gln` of a captured event's JSON text (an ``epcis_event`` record's body)."""
    try:
        event = msgspec.json.decode(text)
    except msgspec.DecodeError:
        return None
    return event_gln(event) if isinstance(event, dict) else None


def gln_uri(gln: str) -> str:
    """The GS1 Digital Link of a GLN."""
    return f"https://id.gs1.org/414/{gln}"


def gtin_uri(gtin: str) -> str:
    """The GS1 Digital Link of a GTIN: the class of every lot and item of the product."""
    return f"https://id.gs1.org/01/{gtin}"


Latitude = Annotated[float, msgspec.Meta(ge=-90, le=90, description="Degrees north (WGS 84).")]
Longitude = Annotated[float, msgspec.Meta(ge=-180, le=180, description="Degrees east (WGS 84).")]


class LocationIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A location an agency holds by GLN: its names, address, province and place on a map."""

    name_vi: Annotated[Name, msgspec.Meta(description="The name in Vietnamese.")]
    name_en: Annotated[Name, msgspec.Meta(description="The name in English.")]
    province: ProvinceCode
    address: Annotated[Name, msgspec.Meta(description="Street, village: what a letter needs.")]
    commune: CommuneCode | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None


class ProductIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A product an agency sells under a GTIN: its names."""

    name_vi: Annotated[Name, msgspec.Meta(description="The name in Vietnamese.")]
    name_en: Annotated[Name, msgspec.Meta(description="The name in English.")]


@dataclass(frozen=True, slots=True)
class Location:
    """A registered GLN: whose it is and what it is called, where."""

    gln: str
    agency_id: str
    name_vi: str
    name_en: str
    province: str
    address: str
    commune: str | None
    latitude: float | None
    longitude: float | None
    updated_at_us: int

    def name(self, lang: str) -> str:
        """The name in ``lang`` (``vi`` or ``en``); Vietnamese for any other."""
        return self.name_en if lang == "en" else self.name_vi


@dataclass(frozen=True, slots=True)
class Product:
    """A registered GTIN: whose it is and what the product is called."""

    gtin: str
    agency_id: str
    name_vi: str
    name_en: str
    updated_at_us: int

    def name(self, lang: str) -> str:
        """The name in ``lang`` (``vi`` or ``en``); Vietnamese for any other."""
        return self.name_en if lang == "en" else self.name_vi


class MasterDataTaken(DomainError):
    """A GLN or GTIN is registered to another agency, which alone may change its names."""

    code = "master_data_taken"
    words = N_("This code is registered by another agency, which alone may name it.")
    variants = MappingProxyType(
        {
            "location": N_(
                "GLN {id} is registered by another agency, which alone may name it. Check the "
                "number: GET /api/v1/locations/{id} shows which agency registered it."
            ),
            "product": N_(
                "GTIN {id} is registered by another agency, which alone may name it. Check the "
                "number: GET /api/v1/products/{id} shows which agency registered it."
            ),
        }
    )


class UnknownPlace(DomainError):
    """A location's province or commune code names no place in Vietnam today."""

    code = "unknown_place"
    words = N_("The place code '{value}' names no place in Vietnam today.")
    variants = MappingProxyType(
        {
            "province": N_(
                "No province has the code '{value}'. The codes: GET /api/v1/places/provinces."
            ),
            "commune": N_(
                "Province {province} has no commune with the code '{value}'. Its communes: "
                "GET /api/v1/places/provinces/{province}/communes."
            ),
        }
    )


def _language(text: str, lang: str) -> dict[str, str]:
    return {"@value": text, "@language": lang}


def _attribute(name: str, value: Any) -> dict[str, Any]:
    return {"id": MDA + name, "attribute": value}


def location_attributes(location: Location) -> list[dict[str, Any]]:
    """CBV's location master data of ``location``: names in both languages, address, geo."""
    attributes = [
        _attribute("name", _language(location.name_vi, "vi")),
        _attribute("name", _language(location.name_en, "en")),
        _attribute("streetAddressOne", location.address),
    ]
    if location.commune is not None:
        attributes.append(_attribute("city", commune_name(location.commune)))
    attributes.append(_attribute("state", province_name(location.province)))
    attributes.append(_attribute("countryCode", VIETNAM))
    if location.latitude is not None and location.longitude is not None:
        attributes.append(_attribute("latitude", location.latitude))
        attributes.append(_attribute("longitude", location.longitude))
    return attributes


def product_attributes(product: Product) -> list[dict[str, Any]]:
    """CBV's trade item master data of ``product``: its short description in both languages."""
    return [
        _attribute("descriptionShort", _language(product.name_vi, "vi")),
        _attribute("descriptionShort", _language(product.name_en, "en")),
    ]


# --- what a list of events names ---------------------------------------------------------

# Where an event names a place: its read point, its business location, and the sources and
# destinations (CBV source/destination types name parties and locations alike by GLN).
_PLACES = (("readPoint", READ_POINT), ("bizLocation", BUSINESS_LOCATION))
_PARTIES = (("sourceList", "source"), ("destinationList", "destination"))
_EPC_LISTS = ("epcList", "inputEPCList", "outputEPCList", "childEPCs")
_QUANTITY_LISTS = ("quantityList", "inputQuantityList", "outputQuantityList", "childQuantityList")


@dataclass(frozen=True, slots=True)
class Named:
    """The identifiers a list of events names, as written, grouped by vocabulary type."""

    # (vocabulary type, identifier as written, its GLN)
    places: tuple[tuple[str, str, str], ...]
    # GTINs named by an EPC, a class or a pattern
    gtins: tuple[str, ...]
    # (vocabulary type, identifier as written, agency id): the ledger's own places, the
    # agencies named by ``{public_url}/agencies/{id}`` (trace/epcis/export.py)
    agencies: tuple[tuple[str, str, str], ...] = ()

    @property
    def glns(self) -> frozenset[str]:
        """Every GLN named."""
        return frozenset(gln for _vtype, _written, gln in self.places)


def _strings(values: Any) -> Iterator[str]:
    if isinstance(values, list):
        yield from (value for value in values if isinstance(value, str))


def _event_places(event: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for field, vtype in _PLACES:
        place = event.get(field)
        if isinstance(place, Mapping) and isinstance(place.get("id"), str):
            yield vtype, place["id"]
    for field, role in _PARTIES:
        for party in event.get(field) or ():
            if isinstance(party, Mapping) and isinstance(party.get(role), str):
                yield BUSINESS_LOCATION, party[role]


def _event_objects(event: Mapping[str, Any]) -> Iterator[str]:
    for field in _EPC_LISTS:
        yield from _strings(event.get(field))
    parent = event.get("parentID")
    if isinstance(parent, str):
        yield parent
    for field in _QUANTITY_LISTS:
        for element in event.get(field) or ():
            if isinstance(element, Mapping) and isinstance(element.get("epcClass"), str):
                yield element["epcClass"]


def named_by(events: Iterable[Mapping[str, Any]], agency_prefix: str | None = None) -> Named:
    """The GLNs (by where they appear) and GTINs that ``events`` name, each once, in order;
    and the agencies named by a URI under ``agency_prefix``, if given."""
    places: dict[tuple[str, str], str] = {}
    agencies: dict[tuple[str, str], str] = {}
    gtins: dict[str, None] = {}
    for event in events:
        for vtype, written in _event_places(event):
            if agency_prefix and written.startswith(agency_prefix):
                agencies.setdefault((vtype, written), written[len(agency_prefix) :])
                continue
            gln = gln_of(written)
            if gln is not None:
                places.setdefault((vtype, written), gln)
        for written in _event_objects(event):
            gtin = gtin_of(written)
            if gtin is not None:
                gtins.setdefault(gtin)
    return Named(
        tuple((vtype, written, gln) for (vtype, written), gln in places.items()),
        tuple(gtins),
        tuple((vtype, written, agency) for (vtype, written), agency in agencies.items()),
    )


@dataclass(frozen=True, slots=True)
class AgencyPlace:
    """An organisation as the ledger's own events name it as a place: what is public of it."""

    name: str
    address: str | None
    province: str | None


def agency_attributes(agency: AgencyPlace) -> list[dict[str, Any]]:
    """CBV's location master data of an organisation: its name, address and province."""
    attributes = [_attribute("name", agency.name)]
    if agency.address:
        attributes.append(_attribute("streetAddressOne", agency.address))
    if agency.province:
        attributes.append(_attribute("state", province_name(agency.province)))
    attributes.append(_attribute("countryCode", VIETNAM))
    return attributes


def vocabulary_list(
    named: Named,
    locations: Mapping[str, Location],
    products: Mapping[str, Product],
    agencies: Mapping[str, AgencyPlace] | None = None,
) -> list[dict[str, Any]]:
    """EPCIS 2.0's ``vocabularyList`` for what ``named`` names and is registered: one
    vocabulary per type that has an element, each element named as the events write it
    (a product by its GTIN's class, ``https://id.gs1.org/01/{gtin}``). ``agencies`` are
    the organisations among the agencies named (a household, a person, is never given)."""
    by_type: dict[str, list[dict[str, Any]]] = {}
    for vtype, written, agency_id in named.agencies:
        agency = (agencies or {}).get(agency_id)
        if agency is not None:
            element = {"id": written, "attributes": agency_attributes(agency)}
            by_type.setdefault(vtype, []).append(element)
    for vtype, written, gln in named.places:
        location = locations.get(gln)
        if location is not None:
            element = {"id": written, "attributes": location_attributes(location)}
            by_type.setdefault(vtype, []).append(element)
    for gtin in named.gtins:
        product = products.get(gtin)
        if product is not None:
            element = {"id": gtin_uri(gtin), "attributes": product_attributes(product)}
            by_type.setdefault(EPC_CLASS, []).append(element)
    return [
        {"type": vtype, "vocabularyElementList": elements}
        for vtype, elements in sorted(by_type.items())
    ]

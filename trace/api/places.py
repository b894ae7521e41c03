"""`/api/v1/places`: the codes a batch's origin takes, with the names of the places.

A producer filling in a registration needs the two-digit code of their province and the
five-digit code of their commune; these answers list them (trace/domain/places.py), each named in
Vietnamese and in English, so that a form can offer a choice instead of asking for digits.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Response, get
from litestar.params import Parameter

from trace.api.problems import ANY, problem_answers
from trace.domain.places import Place, communes, provinces
from trace.store.errors import NotFound

# Codes change only with a new administrative map (the last on 1 July 2025): a day is fresh
# enough, and a phone on a slow network need not ask again for each form.
_CACHED = {"Cache-Control": "public, max-age=86400"}


class PlaceOut(msgspec.Struct):
    """A province or a commune: its code and its names."""

    code: Annotated[str, msgspec.Meta(description="The national code: 2 digits or 5 digits.")]
    name_vi: Annotated[str, msgspec.Meta(description="The official Vietnamese name.")]
    name_en: Annotated[
        str, msgspec.Meta(description="The English name: without diacritics, with its kind.")
    ]
    kind: Annotated[
        str,
        msgspec.Meta(
            description="city or province; ward, commune or special_zone.",
            examples=["city", "province", "ward", "commune", "special_zone"],
        ),
    ]

    @classmethod
    def of(cls, place: Place) -> PlaceOut:
        """The view of ``place``."""
        return cls(place.code, place.name_vi, place.name_en, place.kind)


class ProvinceOut(PlaceOut):
    """A province or centrally governed city, and where to find its communes."""

    communes: Annotated[str, msgspec.Meta(description="The path that lists its communes.")]


ProvinceCodeParameter = Annotated[
    str,
    Parameter(
        description="The province's two-digit code, as GET /api/v1/places/provinces lists it.",
        max_length=100,
    ),
]


class PlaceController(Controller):
    """Provinces and communes: the codes of an origin, by name."""

    path = "/api/v1/places"
    tags = ["places"]

    @get("/provinces", responses=problem_answers(*ANY))
    async def provinces(self) -> Response[list[ProvinceOut]]:
        """List Vietnam's provinces and centrally governed cities with their codes.

        Public. The 34 units since 1 July 2025, by code, each named in Vietnamese and
        English, with the path that lists its communes.
        """
        listed = [
            ProvinceOut(
                **msgspec.structs.asdict(PlaceOut.of(place)),
                communes=f"{self.path}/provinces/{place.code}/communes",
            )
            for place in provinces()
        ]
        return Response(listed, headers=_CACHED)

    @get("/provinces/{province:str}/communes", responses=problem_answers(*ANY, 404))
    async def communes(self, province: ProvinceCodeParameter) -> Response[list[PlaceOut]]:
        """List the communes, wards and special zones of a province with their codes.

        Public. By code, each named in Vietnamese and English: the codes an origin's
        ``commune`` takes in that province.
        """
        found = communes(province)
        if found is None:
            raise NotFound(f"no province {province}", what="province", id=province)
        return Response([PlaceOut.of(place) for place in found], headers=_CACHED)

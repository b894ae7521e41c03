"""The open datasets: their names, titles, and every field documented in Vietnamese and English.

Each dataset is one table with a stable schema (Frictionless Table Schema types:
``string``, ``integer``, ``number``, ``boolean``, ``date``, ``datetime``, ``object``,
``array``). Its rows come from the records in a range of log positions
(:mod:`trace.opendata.rows`); the rule that places a row in a range is stated in the
dataset's description, so that a portal taking daily deltas knows how to merge them:

- ``events``, ``inspections``, ``certifications``, ``recalls``: one row per record (per
  analyte for inspections) in the range. Deltas add up: their union is the full export.
- ``batches``: one row per batch with a record in the range, holding its state as of the
  range's end. Merging deltas keeps, for each ``batch_id``, the row with the highest
  ``last_position``, which is the row of the full export.
- ``agencies``: organisations whose first record is in the range.
- ``checkpoints``: checkpoints whose last leaf is in the range.

Natural persons never appear: households are shown by commune and province only
(:mod:`trace.opendata.parties`), and free-text notes are left out of event details.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from trace.domain.agency import AgencyKind
from trace.domain.kinds import EventKind, InspectionResult, IssuerLevel, Scheme, Severity


@dataclass(frozen=True, slots=True)
class Field:
    """One column: its name, Table Schema type, and what it holds in both languages."""

    name: str
    type: str
    vi: str
    en: str
    required: bool = False
    enum: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Dataset:
    """One table of the package: titles and descriptions (vi, en), fields and primary key."""

    name: str
    title_vi: str
    title_en: str
    description_vi: str
    description_en: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...]

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


def _values(enum: type[StrEnum]) -> tuple[str, ...]:
    return tuple(member.value for member in enum)


STATUSES = ("active", "in_transit", "sold_out", "recalled")
AGENCY_KINDS = _values(AgencyKind)

_HEX = "(hex)"


def _party(role: str, vi: str, en: str) -> tuple[Field, ...]:
    """The columns naming an agency in ``role``; empty when it is a household."""
    return (
        Field(
            f"{role}_id",
            "string",
            f"Mã định danh (UUID) của {vi}; để trống nếu là hộ gia đình",
            f"Identifier (UUID) of the {en}; empty for a household",
        ),
        Field(
            f"{role}_name",
            "string",
            f"Tên tổ chức của {vi}; để trống nếu là hộ gia đình (cá nhân)",
            f"Name of the {en} organisation; empty for a household (a natural person)",
        ),
    )


def _times() -> tuple[Field, ...]:
    return (
        Field(
            "occurred_at",
            "datetime",
            "Thời điểm sự việc xảy ra, như đơn vị khai, kèm múi giờ",
            "When it happened, as the agency stated it, with its UTC offset",
        ),
        Field(
            "recorded_at",
            "datetime",
            "Thời điểm sổ cái ghi nhận bản ghi (UTC, đến micro giây)",
            "When the ledger recorded it (UTC, to the microsecond)",
            required=True,
        ),
    )


def _position(what_vi: str, what_en: str) -> Field:
    return Field(
        "position",
        "integer",
        f"Vị trí của bản ghi {what_vi} trong nhật ký (0, 1, 2…)",
        f"Position in the log of the {what_en} record (0, 1, 2…)",
        required=True,
    )


def _batch_ref() -> tuple[Field, ...]:
    return (
        Field("batch_id", "string", "Mã định danh (UUID) của lô", "Batch identifier (UUID)", True),
        Field(
            "batch_code",
            "string",
            "Mã công khai của lô (14 ký tự)",
            "Public batch code (14 characters)",
        ),
    )


_RECORD_HASH = Field(
    "record_hash",
    "string",
    f"Băm bản ghi (SHA-256 {_HEX}): lá của nhật ký tại vị trí này",
    f"Record hash (SHA-256 {_HEX}): the log's leaf at this position",
    required=True,
)
_QUANTITY = (
    Field("quantity", "number", "Số lượng (số thập phân)", "Quantity (a decimal number)"),
    Field(
        "quantity_unit",
        "string",
        "Đơn vị của số lượng (mã UN/ECE Khuyến nghị 20, ví dụ KGM = kilôgam)",
        "Unit of the quantity (UN/ECE Recommendation 20 code, e.g. KGM = kilogram)",
    ),
)
_PRODUCT = Field("product", "string", "Tên sản phẩm", "Product name")

BATCHES = Dataset(
    "batches",
    "Lô hàng nông lâm thủy sản, thực phẩm và sản phẩm OCOP",
    "Batches of agricultural, forestry and fishery products, food and OCOP products",
    "Mỗi lô một dòng: sản phẩm, GTIN, số lô, tổ chức sản xuất, tỉnh và xã xuất xứ, ngày tháng"
    " và trạng thái tại cuối khoảng xuất. Bản xuất bổ sung chứa các lô có bản ghi trong"
    " khoảng; khi gộp, giữ dòng có last_position lớn nhất của mỗi batch_id.",
    "One row per batch: product, GTIN, lot, producer organisation, province and commune of"
    " origin, dates, and its status at the end of the exported range. A delta holds the"
    " batches with a record in its range; to merge deltas keep, for each batch_id, the row"
    " with the highest last_position.",
    (
        Field("batch_id", "string", "Mã định danh (UUID) của lô", "Batch identifier (UUID)", True),
        Field(
            "code",
            "string",
            "Mã công khai của lô (14 ký tự)",
            "Public batch code (14 characters)",
            True,
        ),
        Field(
            "page_url",
            "string",
            "Trang truy xuất nguồn gốc công khai của lô",
            "The batch's public provenance page",
            True,
        ),
        Field("product", "string", "Tên sản phẩm", "Product name", True),
        Field("category", "string", "Nhóm sản phẩm", "Product category"),
        Field("gtin", "string", "Mã GTIN 14 chữ số (GS1)", "GTIN, 14 digits (GS1)"),
        Field("lot", "string", "Số lô (GS1 AI 10)", "Lot number (GS1 AI 10)", True),
        *_party("producer", "cơ sở sản xuất", "producer"),
        Field(
            "producer_kind",
            "string",
            "Loại đơn vị sản xuất",
            "Kind of producing agency",
            enum=AGENCY_KINDS,
        ),
        Field(
            "producer_household",
            "boolean",
            "Cơ sở sản xuất là hộ gia đình",
            "The producer is a household",
        ),
        Field(
            "origin_province_code",
            "string",
            "Mã tỉnh, thành phố xuất xứ (2 chữ số)",
            "Province of origin, code (2 digits)",
        ),
        Field("origin_province", "string", "Tỉnh, thành phố xuất xứ", "Province of origin"),
        Field(
            "origin_commune_code",
            "string",
            "Mã xã, phường xuất xứ (5 chữ số)",
            "Commune of origin, code (5 digits)",
        ),
        Field("origin_commune", "string", "Xã, phường xuất xứ", "Commune of origin"),
        *_QUANTITY,
        Field("production_date", "date", "Ngày sản xuất", "Production date"),
        Field("expiry_date", "date", "Hạn sử dụng", "Expiry date"),
        Field("ocop_ref", "string", "Mã sản phẩm OCOP", "OCOP product reference"),
        Field(
            "registered_at",
            "datetime",
            "Thời điểm đăng ký lô (như đơn vị khai)",
            "When the batch was registered (as stated)",
        ),
        Field(
            "registered_position",
            "integer",
            "Vị trí bản ghi đăng ký trong nhật ký",
            "Log position of the registration record",
            True,
        ),
        Field(
            "status",
            "string",
            "Trạng thái: active (đang lưu hành), in_transit (đang vận chuyển),"
            " sold_out (đã bán hết), recalled (bị thu hồi)",
            "Status: active, in_transit, sold_out, recalled",
            True,
            STATUSES,
        ),
        *_party("holder", "đơn vị đang giữ hàng", "agency holding the goods"),
        *_party("in_transit_to", "đơn vị nhận hàng đang chờ", "agency the goods are shipped to"),
        Field(
            "records",
            "integer",
            "Số bản ghi của lô đến cuối khoảng xuất",
            "Records of the batch up to the end of the range",
            True,
        ),
        Field(
            "last_position",
            "integer",
            "Vị trí bản ghi mới nhất của lô trong khoảng xuất",
            "Log position of the batch's latest record in the range",
            True,
        ),
        Field(
            "last_recorded_at",
            "datetime",
            "Thời điểm ghi nhận bản ghi mới nhất (UTC)",
            "When its latest record was recorded (UTC)",
            True,
        ),
    ),
    ("batch_id",),
)

EVENTS = Dataset(
    "events",
    "Sự kiện truy xuất nguồn gốc",
    "Traceability events",
    "Mỗi bản ghi của sổ cái một dòng, theo thứ tự nhật ký: loại sự kiện, thời điểm, đơn vị,"
    " lô, các trường chính của nội dung, băm và chữ ký. Các bản xuất bổ sung cộng lại bằng"
    " bản xuất đầy đủ.",
    "One row per ledger record, in log order: kind, times, agency, batch, the key fields of"
    " its body, hashes and signature. Deltas add up to the full export.",
    (
        _position("", ""),
        *_batch_ref(),
        Field(
            "seq",
            "integer",
            "Số thứ tự của bản ghi trong chuỗi của lô (từ 1)",
            "Number of the record in its batch's chain (from 1)",
            True,
        ),
        Field("kind", "string", "Loại sự kiện", "Event kind", True, _values(EventKind)),
        *_times(),
        *_party("agency", "đơn vị ký", "signing agency"),
        Field(
            "agency_kind",
            "string",
            "Loại đơn vị ký",
            "Kind of the signing agency",
            enum=AGENCY_KINDS,
        ),
        Field(
            "agency_household",
            "boolean",
            "Đơn vị ký là hộ gia đình",
            "The signing agency is a household",
        ),
        Field(
            "agency_province_code",
            "string",
            "Mã tỉnh của đơn vị ký",
            "Province code of the signing agency",
        ),
        Field(
            "agency_commune_code",
            "string",
            "Mã xã của đơn vị ký",
            "Commune code of the signing agency",
        ),
        *_party(
            "counterparty", "bên kia của giao nhận, mua bán", "other party of a shipment or sale"
        ),
        *_QUANTITY,
        Field(
            "details",
            "object",
            "Các trường chính của nội dung sự kiện (JSON), không gồm ghi chú tự do",
            "The key fields of the event's body (JSON), without free-text notes",
        ),
        Field(
            "statement_hash",
            "string",
            f"Băm SHA-256 {_HEX} của tuyên bố đã ký",
            f"SHA-256 {_HEX} of the signed statement",
            True,
        ),
        _RECORD_HASH,
        Field(
            "prev_hash",
            "string",
            f"Băm bản ghi trước trong chuỗi của lô {_HEX}",
            f"Hash of the previous record in the batch's chain {_HEX}",
            True,
        ),
        Field(
            "signature",
            "string",
            f"Chữ ký Ed25519 của đơn vị {_HEX}",
            f"The agency's Ed25519 signature {_HEX}",
            True,
        ),
        Field(
            "key_id",
            "string",
            "Mã khoá ký; để trống nếu là hộ gia đình",
            "Signing key id; empty for a household",
        ),
        Field(
            "event_id",
            "string",
            "Mã sự kiện EPCIS 2.0 của bản ghi (Event Hash ID của GS1), như giao diện EPCIS"
            " cho cơ quan kiểm tra trả về; để trống nếu bản ghi không là sự kiện EPCIS",
            "The record's EPCIS 2.0 event ID (GS1 Event Hash ID), as the inspectors' EPCIS"
            " interface gives it; empty for a record that is no EPCIS event",
        ),
    ),
    ("position",),
)

INSPECTIONS = Dataset(
    "inspections",
    "Kết quả kiểm nghiệm, kiểm tra chất lượng",
    "Inspection and laboratory results",
    "Mỗi chỉ tiêu của mỗi lần kiểm nghiệm một dòng: chỉ tiêu, giá trị, giới hạn, phương pháp,"
    " phòng thí nghiệm và kết luận. Các bản xuất bổ sung cộng lại bằng bản xuất đầy đủ.",
    "One row per analyte of each inspection: analyte, value, limit, method, laboratory and"
    " outcome. Deltas add up to the full export.",
    (
        _position("kiểm nghiệm", "inspection"),
        Field(
            "analyte_number",
            "integer",
            "Số thứ tự chỉ tiêu trong lần kiểm nghiệm (từ 1)",
            "Number of the analyte in the inspection (from 1)",
            True,
        ),
        *_batch_ref(),
        _PRODUCT,
        *_times(),
        *_party("authority", "cơ quan kiểm tra", "inspecting authority"),
        Field("laboratory", "string", "Phòng thí nghiệm", "Laboratory", True),
        Field(
            "outcome",
            "string",
            "Kết luận của lần kiểm nghiệm",
            "Outcome of the inspection",
            True,
            _values(InspectionResult),
        ),
        Field("certificate_number", "string", "Số phiếu kết quả", "Certificate (report) number"),
        Field(
            "reference", "string", "Văn bản quy định giới hạn", "Regulation that sets the limits"
        ),
        Field("sample_codes", "array", "Mã các mẫu đã lấy", "Codes of the samples taken"),
        Field("analyte", "string", "Tên chỉ tiêu", "Analyte", True),
        Field(
            "value",
            "string",
            'Giá trị đo ("<0.01": dưới giới hạn định lượng)',
            'Measured value ("<0.01": below the limit of quantification)',
            True,
        ),
        Field("unit", "string", "Đơn vị đo", "Unit of measurement", True),
        Field("limit", "number", "Giới hạn cho phép", "Permitted limit"),
        Field("method", "string", "Phương pháp thử", "Test method", True),
        Field(
            "analyte_result",
            "string",
            "Kết luận cho chỉ tiêu",
            "Result for the analyte",
            True,
            _values(InspectionResult),
        ),
        _RECORD_HASH,
    ),
    ("position", "analyte_number"),
)

CERTIFICATIONS = Dataset(
    "certifications",
    "Chứng nhận VietGAP, hữu cơ, OCOP",
    "Certifications: VietGAP, organic, OCOP",
    "Mỗi chứng nhận một dòng: chương trình, số sao OCOP, số chứng nhận và quyết định, cơ quan"
    " cấp và thời hạn hiệu lực. Các bản xuất bổ sung cộng lại bằng bản xuất đầy đủ.",
    "One row per certificate: scheme, OCOP stars, certificate and decision numbers, issuer"
    " and validity. Deltas add up to the full export.",
    (
        _position("chứng nhận", "certification"),
        *_batch_ref(),
        _PRODUCT,
        *_times(),
        Field(
            "scheme",
            "string",
            "Chương trình chứng nhận",
            "Certification scheme",
            True,
            _values(Scheme),
        ),
        Field("stars", "integer", "Số sao OCOP (3 đến 5)", "OCOP stars (3 to 5)"),
        Field("certificate_number", "string", "Số chứng nhận", "Certificate number", True),
        Field("decision_number", "string", "Số quyết định công nhận", "Decision number"),
        Field("issuer", "string", "Cơ quan, tổ chức cấp", "Issuer", True),
        Field(
            "issuer_level",
            "string",
            "Cấp hội đồng OCOP",
            "Level of the OCOP council",
            enum=_values(IssuerLevel),
        ),
        Field("scope", "string", "Phạm vi chứng nhận", "Scope of the certificate"),
        Field("valid_from", "date", "Hiệu lực từ ngày", "Valid from", True),
        Field("valid_until", "date", "Hiệu lực đến ngày", "Valid until", True),
        *_party("certifier", "đơn vị ghi nhận chứng nhận", "agency that recorded the certificate"),
        _RECORD_HASH,
    ),
    ("position",),
)

RECALLS = Dataset(
    "recalls",
    "Thu hồi sản phẩm",
    "Product recalls",
    "Mỗi quyết định thu hồi một dòng: lô, lý do, mức độ, phạm vi và cơ quan ra quyết định."
    " Thu hồi áp dụng cho cả các lô làm ra từ lô này (xem sự kiện transformed)."
    " Các bản xuất bổ sung cộng lại bằng bản xuất đầy đủ.",
    "One row per recall: batch, reason, severity, scope and the deciding authority. A recall"
    " reaches every batch made from this one (see `transformed` events). Deltas add up to"
    " the full export.",
    (
        _position("thu hồi", "recall"),
        *_batch_ref(),
        _PRODUCT,
        Field("gtin", "string", "Mã GTIN của lô", "GTIN of the batch"),
        Field("lot", "string", "Số lô", "Lot number"),
        *_times(),
        Field(
            "severity",
            "string",
            "Mức độ: class_1 (có thể gây hại nghiêm trọng), class_2 (có thể gây hại tạm thời),"
            " class_3 (khó gây hại nhưng vi phạm quy định)",
            "Severity: class_1 (may cause serious harm), class_2 (may cause temporary harm),"
            " class_3 (unlikely to harm but breaks a rule)",
            True,
            _values(Severity),
        ),
        Field("reason", "string", "Lý do thu hồi", "Reason for the recall", True),
        Field("scope", "string", "Phạm vi thu hồi", "Scope of the recall"),
        Field("effective_at", "datetime", "Thời điểm có hiệu lực", "When it takes effect"),
        Field("decision_number", "string", "Số quyết định thu hồi", "Recall decision number"),
        *_party("authority", "cơ quan ra quyết định", "deciding authority"),
        _RECORD_HASH,
    ),
    ("position",),
)

AGENCIES = Dataset(
    "agencies",
    "Tổ chức tham gia chuỗi cung ứng",
    "Organisations in the supply chain",
    "Mỗi tổ chức một dòng (không gồm hộ gia đình): tên, loại, tỉnh và xã. Một tổ chức nằm"
    " trong bản xuất bổ sung chứa bản ghi đầu tiên của nó.",
    "One row per organisation (households are left out): name, kind, province and commune."
    " An organisation is in the delta that holds its first record.",
    (
        Field("agency_id", "string", "Mã định danh (UUID)", "Identifier (UUID)", True),
        Field("name", "string", "Tên tổ chức", "Name of the organisation", True),
        Field(
            "kind",
            "string",
            "Loại: producer, processor, distributor, authority, certifier, operator",
            "Kind: producer, processor, distributor, authority, certifier, operator",
            True,
            AGENCY_KINDS,
        ),
        Field("province_code", "string", "Mã tỉnh, thành phố", "Province code"),
        Field("province", "string", "Tỉnh, thành phố", "Province"),
        Field("commune_code", "string", "Mã xã, phường", "Commune code"),
        Field("commune", "string", "Xã, phường", "Commune"),
        Field(
            "first_position",
            "integer",
            "Vị trí bản ghi đầu tiên của tổ chức trong nhật ký",
            "Log position of the organisation's first record",
            True,
        ),
        Field(
            "first_recorded_at",
            "datetime",
            "Thời điểm ghi nhận bản ghi đầu tiên (UTC)",
            "When its first record was recorded (UTC)",
            True,
        ),
    ),
    ("agency_id",),
)

CHECKPOINTS = Dataset(
    "checkpoints",
    "Điểm kiểm tra đã ký của nhật ký",
    "Signed checkpoints of the log",
    "Mỗi điểm kiểm tra (C2SP signed note) một dòng: kích thước cây Merkle, gốc và chữ ký của"
    " nhật ký, để đối chiếu bất kỳ bản ghi nào. Một điểm kiểm tra nằm trong bản xuất bổ sung"
    " chứa lá cuối cùng của nó.",
    "One row per checkpoint (a C2SP signed note): Merkle tree size, root and the log's"
    " signature, against which any record can be checked. A checkpoint is in the delta"
    " that holds its last leaf.",
    (
        Field(
            "size", "integer", "Kích thước cây (số bản ghi)", "Tree size (number of records)", True
        ),
        Field(
            "root_hash",
            "string",
            "Gốc cây Merkle (base64, RFC 6962)",
            "Merkle tree root (base64, RFC 6962)",
            True,
        ),
        Field("origin", "string", "Tên của nhật ký", "The log's name (origin)", True),
        Field("signed_at", "datetime", "Thời điểm ký (UTC)", "When it was signed (UTC)", True),
        Field(
            "note",
            "string",
            "Văn bản signed note đầy đủ kèm dòng chữ ký",
            "The whole signed note with its signature line",
            True,
        ),
    ),
    ("size",),
)

DATASETS: Mapping[str, Dataset] = MappingProxyType(
    {
        d.name: d
        for d in (BATCHES, EVENTS, INSPECTIONS, CERTIFICATIONS, RECALLS, AGENCIES, CHECKPOINTS)
    }
)

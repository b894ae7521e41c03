"""Two years of a Vietnamese food supply chain, planned event by event for bench/queries.py.

The plan is what the ledger would hold after two years of use: about 300 agencies (farming
households and cooperatives, processors, distributors, the authorities that inspect,
certify OCOP products and recall, the bodies that certify farms) and the statements they
sign about their batches, each with the time it is recorded. Nothing here touches a
database or a key: bench/queries.py signs, chains and loads the events, and checks every
one against the ledger's rules (trace.domain.rules) as the append would.

Four kinds of story make the batches:

- **farm batches** (most of them): registration, planting, fertiliser and pesticide,
  harvest, processing, packing, an inspection (a few non-conformant, then held back),
  certificates (VietGAP or VietGAHP, organic, GlobalG.A.P., OCOP with 3 to 5 stars, each
  valid for a term), then a sale at the farm gate or a shipment to a distributor, who
  receives and sells it;
- **short chains**: a farm batch shipped to a processor, which makes one to three products
  of it (milling, drying, repacking, splitting), some repacked once more, then distributed;
- **deep trees**: a cooperative's harvest that processors turn, generation after
  generation, into many products. Each generation splits batches (one input, several
  outputs) and merges or blends others of one holder (several inputs, one output), and a
  third of its batches move to another processor (shipped, received) before the next
  step; the last generation goes to distributors. ``STANDARD`` trees have 13 to 16
  generations and about 300 batches within 10 of the root; ``LARGE`` ones about 900;
- **recalls**: an authority recalls the roots of some trees once they have been
  processed, and a few farm batches found non-conformant after they were shipped.

Times run over two years up to the load. A batch's events are recorded hours or days
apart, each occurring minutes before it is recorded, and an event that depends on
another (a receipt on its shipment, a transformation on its inputs being held) comes
after it. The ledger is the part of that history before the end: a story the end cuts
short (a crop not yet harvested, goods in transit) is still a valid history.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from vietnam_provinces import Ward

from trace.domain.agency import AgencyKind
from trace.domain.places import province_name

SECOND = 1_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
VIETNAM = timezone(timedelta(hours=7))
YEARS = 2

# Batches in each generation of a deep tree (the root is generation 0).
STANDARD = (1, 3, 6, 10, 15, 21, 28, 36, 44, 52, 60, 64, 64, 64, 64, 64)
LARGE = (1, 4, 10, 20, 35, 55, 80, 110, 150, 190, 230, 270, 300, 300, 300)
GENERATION_DAYS = 4  # a generation's transformations, then its moves, then the next
TREE_FAMILIES = ("rice", "coffee", "tea", "fishsauce", "honey")


@dataclass(frozen=True)
class Product:
    """A product as farms register it, and where it comes from."""

    name: str
    short: str  # ASCII, for lots
    family: str  # which processors take it, and what they make of it
    provinces: tuple[str, ...]
    crop: str | None  # what is planted; None for what is not (honey, fish sauce)
    category: str
    package: str
    weight: int  # how often it is produced, relative to the others

    @property
    def unit(self) -> str:
        """What it is counted in (UN/ECE Rec 20): litres of fish sauce, kilograms of the rest."""
        return "LTR" if self.family == "fishsauce" else "KGM"


def _table(text: str) -> list[list[str]]:
    """Rows of a table written one row a line, columns separated by "|"; a line that begins
    with a space goes on the line before."""
    lines: list[str] = []
    for line in text.strip("\n").splitlines():
        if line.startswith(" ") and lines:
            lines[-1] += " " + line.strip()
        else:
            lines.append(line)
    return [[cell.strip() for cell in line.split("|")] for line in lines]


# name | lot prefix | family | provinces | crop | category | package | weight
PRODUCTS = tuple(
    Product(name, short, family, tuple(places.split()), crop or None, category, package, int(w))
    for name, short, family, places, crop, category, package, w in _table("""
Bưởi Diễn | BD | fruit | 01 | Bưởi Diễn | Trái cây | Thùng 10 kg | 3
Bưởi da xanh | BDX | fruit | 86 | Bưởi da xanh | Trái cây | Thùng 15 kg | 1
Gạo ST25 | ST25 | rice | 92 96 | Lúa ST25 | Lương thực | Bao 25 kg | 5
Gạo ST24 | ST24 | rice | 92 | Lúa ST24 | Lương thực | Bao 25 kg | 2
Gạo Tám Xoan Hải Hậu | TX | rice | 37 | Lúa Tám Xoan | Lương thực | Bao 10 kg | 1
Gạo nếp cái hoa vàng | NCHV | rice | 33 31 | Lúa nếp cái hoa vàng | Lương thực | Bao 10 kg | 1
Cà phê Robusta Buôn Ma Thuột | CPR | coffee | 66 | Cà phê vối | Cà phê | Bao 60 kg | 4
Cà phê Arabica Cầu Đất | CPA | coffee | 68 | Cà phê chè | Cà phê | Bao 60 kg | 2
Cà phê Sơn La | CPSL | coffee | 14 | Cà phê chè | Cà phê | Bao 60 kg | 1
Nước mắm Phú Quốc | NMPQ | fishsauce | 91 |  | Gia vị | Can 20 lít | 3
Nước mắm Phan Thiết | NMPT | fishsauce | 68 |  | Gia vị | Can 20 lít | 1
Nước mắm Cửa Hội | NMCH | fishsauce | 40 |  | Gia vị | Can 20 lít | 1
Chè Shan tuyết Suối Giàng | CSSG | tea | 15 | Chè Shan tuyết | Chè | Túi 5 kg | 2
Chè Tân Cương Thái Nguyên | CTC | tea | 19 | Chè trung du | Chè | Túi 5 kg | 3
Chè Shan tuyết Hà Giang | CSHG | tea | 08 | Chè Shan tuyết | Chè | Túi 5 kg | 1
Mật ong bạc hà Mèo Vạc | MOBH | honey | 08 |  | Mật ong | Can 25 kg | 1
Mật ong hoa cà phê | MOCP | honey | 66 52 |  | Mật ong | Can 25 kg | 1
Vải thiều Lục Ngạn | VLN | fruit | 24 | Vải thiều | Trái cây | Thùng 10 kg | 3
Nhãn lồng Hưng Yên | NLHY | fruit | 33 | Nhãn lồng | Trái cây | Thùng 10 kg | 1
Xoài cát Hòa Lộc | XCHL | fruit | 82 | Xoài cát | Trái cây | Thùng 10 kg | 2
Thanh long ruột đỏ | TLRD | fruit | 68 80 | Thanh long | Trái cây | Thùng 12 kg | 1
Sầu riêng Ri6 | SRR6 | fruit | 66 82 | Sầu riêng | Trái cây | Thùng 18 kg | 2
Cam Cao Phong | CCP | fruit | 25 | Cam | Trái cây | Thùng 15 kg | 1
Mận hậu Mộc Châu | MHMC | fruit | 14 | Mận hậu | Trái cây | Thùng 10 kg | 1
Hồ tiêu Chư Sê | HTCS | spice | 52 | Hồ tiêu | Gia vị | Bao 50 kg | 2
Quế Văn Yên | QVY | spice | 15 | Quế | Gia vị | Bao 30 kg | 1
Hồi Lạng Sơn | HLS | spice | 20 | Hồi | Gia vị | Bao 30 kg | 1
Hạt điều Bình Phước | HDBP | nut | 75 | Điều | Hạt | Bao 50 kg | 2
Tôm sú Cà Mau | TSCM | seafood | 96 |  | Thủy sản | Thùng 10 kg | 2
Cá tra An Giang | CTAG | seafood | 91 82 |  | Thủy sản | Thùng 20 kg | 1
""")
)

# What processors make of a family's goods, generation after generation (after the name).
STAGES = {
    family: tuple(stage.strip() for stage in stages.split(","))
    for family, stages in _table("""
rice      | xay lứt, xát trắng, đánh bóng, tách màu, phối trộn, bao 50 kg, bao 25 kg, túi 10 kg,
            túi 5 kg, túi 2 kg, hộp quà 1 kg
coffee    | nhân xô, nhân sàng 18, nhân đánh bóng, phối trộn, rang mộc, rang xay, rang xay gói 1 kg,
            rang xay gói 500 g, rang xay gói 250 g, phin giấy hộp 10 gói
tea       | héo, vò, sấy khô, phân loại, phối trộn, túi 1 kg, túi 500 g, hộp 200 g, hộp 100 g,
            túi lọc
fishsauce | cốt, nhĩ 40 độ đạm, 35 độ đạm, phối trộn, can 20 lít, can 5 lít, chai 1 lít,
            chai 500 ml, chai 250 ml
honey     | lọc thô, lọc tinh, hạ thủy phần, phối trộn, can 20 kg, chai 1 kg, chai 500 g, chai 250 g
fruit     | sơ chế, loại 1, thùng 20 kg, thùng 10 kg, hộp quà 2 kg, sấy dẻo, sấy dẻo túi 500 g,
            sấy dẻo túi 200 g
spice     | sấy khô, phân loại, xay bột, phối trộn, túi 1 kg, hũ 200 g, hũ 100 g
nut       | tách vỏ, phân loại, rang muối, túi 1 kg, hũ 500 g, hũ 250 g
seafood   | sơ chế, phi lê, cấp đông, phân cỡ, thùng 10 kg, khay 500 g
""")
}
# family | processors (how many, their names) | their first step with one input batch |
# what a farm's own processing of the family's goods is
_PROCESSING = _table("""
rice      | 10 | Nhà máy xay xát gạo {place}; Công ty CP Lương thực {place} | milling
          | Phơi sấy đến độ ẩm 14%, làm sạch tạp chất
coffee    | 8  | Công ty TNHH Cà phê {place}; Xưởng rang xay cà phê {place} | milling
          | Phơi, xát vỏ, sấy đến độ ẩm 12,5%
tea       | 7  | Nhà máy chè {place}; HTX Chế biến chè {place} | drying | Làm héo, vò, sao khô
fishsauce | 6  | Nhà thùng nước mắm {place}; Công ty CP Nước mắm {place} | repacking
          | Ủ chượp 12 tháng trong thùng gỗ, kéo rút
honey     | 4  | Công ty TNHH Ong mật {place} | repacking | Lọc, hạ thủy phần xuống 19%
fruit     | 7  | Nhà sơ chế đóng gói trái cây {place}; Công ty CP Nông sản sấy {place} | drying
          | Sơ chế, rửa sạch, phân loại theo kích cỡ
spice     | 3  | Công ty CP Gia vị {place} | drying | Phơi sấy, làm sạch, phân loại
nut       | 2  | Nhà máy chế biến hạt điều {place} | drying | Phơi khô, làm sạch
seafood   | 3  | Công ty CP Thủy sản {place} | repacking | Sơ chế, rửa, ướp đá
""")
PROCESSORS = {row[0]: int(row[1]) for row in _PROCESSING}
PROCESSOR_NAMES = {row[0]: tuple(n.strip() for n in row[2].split(";")) for row in _PROCESSING}
FIRST_STEP = {row[0]: row[3] for row in _PROCESSING}
PROCESSED = {row[0]: row[4] for row in _PROCESSING}
# No farm grows these: their producers are named by trade.
TRADES = {
    "fishsauce": "Cơ sở chế biến nước mắm",
    "honey": "HTX Nuôi ong",
    "seafood": "HTX Nuôi trồng thủy sản",
}

# family | analyte | unit | method | maximum level | a usual value
ANALYTES: dict[str, list[tuple[str, ...]]] = defaultdict(list)
for _row in _table("""
rice      | Cadimi (Cd)     | mg/kg | ICP-MS    | 0.4  | 0.05
rice      | Tricyclazole    | mg/kg | LC-MS/MS  | 1    | 0.02
coffee    | Ochratoxin A    | µg/kg | HPLC-FLD  | 5    | 1.2
coffee    | Chlorpyrifos    | mg/kg | GC-MS/MS  | 0.05 | <0.01
tea       | Imidacloprid    | mg/kg | LC-MS/MS  | 0.05 | 0.01
tea       | Chì (Pb)        | mg/kg | ICP-MS    | 2    | 0.3
fishsauce | Histamine       | mg/l  | HPLC      | 400  | 180
fishsauce | Chì (Pb)        | mg/l  | ICP-MS    | 0.5  | 0.05
honey     | HMF             | mg/kg | HPLC      | 40   | 12
honey     | Chloramphenicol | µg/kg | LC-MS/MS  | 0.3  | <0.1
fruit     | Carbendazim     | mg/kg | LC-MS/MS  | 0.5  | 0.03
fruit     | Cypermethrin    | mg/kg | GC-MS/MS  | 0.7  | <0.01
spice     | Aflatoxin B1    | µg/kg | HPLC-FLD  | 5    | 0.8
spice     | Chlorpyrifos    | mg/kg | GC-MS/MS  | 1    | 0.05
nut       | Aflatoxin tổng  | µg/kg | HPLC-FLD  | 10   | 1.5
nut       | Chì (Pb)        | mg/kg | ICP-MS    | 0.1  | <0.02
seafood   | Enrofloxacin    | µg/kg | LC-MS/MS  | 100  | <5
seafood   | Chloramphenicol | µg/kg | LC-MS/MS  | 0.3  | <0.1
"""):
    ANALYTES[_row[0]].append(tuple(_row[1:]))

FERTILISERS = ("NPK 16-16-8 Đầu Trâu", "NPK 20-20-15 Bình Điền", "Phân hữu cơ vi sinh Sông Gianh")
PESTICIDES = (
    ("Ridomil Gold 68WG", "Metalaxyl-M", 7),
    ("Anvil 5SC", "Hexaconazole", 7),
    ("Regent 800WG", "Fipronil", 14),
    ("Actara 25WG", "Thiamethoxam", 7),
)
# Households are people: Vietnamese family, middle and given names.
NAMES = _table("""
Nguyễn | Trần | Lê | Phạm | Hoàng | Vũ | Đặng | Bùi | Đỗ | Hồ | Ngô | Dương
Văn | Thị | Đức | Minh | Thị | Hữu | Ngọc | Quang
An | Bình | Cường | Dũng | Hà | Hải | Hạnh | Hoa | Hùng | Lan | Long | Mai | Nam | Nga | Phúc | Quý
    | Sơn | Tâm | Thảo | Tuấn | Vân | Yến
""")
DISTRIBUTOR_NAMES = (
    "Siêu thị Nông sản sạch {place}",
    "Cửa hàng Thực phẩm an toàn {place}",
    "Công ty CP Phân phối thực phẩm {place}",
    "Chợ đầu mối nông sản {place}",
    "Công ty TNHH Xuất nhập khẩu {place}",
)
CITIES = ("01", "79", "48", "31", "92", "56", "22", "46", "38", "40", "75", "66")
CERTIFIERS = (
    "Tổ chức Chứng nhận VietGAP Miền Bắc",
    "Trung tâm Chứng nhận Phù hợp Miền Trung",
    "Công ty CP Chứng nhận Hữu cơ Việt",
    "Tổ chức Chứng nhận GlobalG.A.P. Nam Bộ",
    "Trung tâm Kiểm định và Chứng nhận Nông sản Tây Nguyên",
    "Công ty TNHH Chứng nhận Chất lượng Đồng bằng",
    "Tổ chức Chứng nhận VietGAHP Việt Nam",
    "Văn phòng Chứng nhận Sản phẩm Nông nghiệp Bền vững",
)
LABORATORIES = (
    "Trung tâm Kiểm nghiệm Vệ sinh an toàn thực phẩm Hà Nội",
    "Viện Kiểm nghiệm An toàn vệ sinh thực phẩm quốc gia",
    "Trung tâm Kỹ thuật Tiêu chuẩn Đo lường Chất lượng 3",
    "Trung tâm Kiểm nghiệm Nông sản Cần Thơ",
)
RECALL_REASONS = (
    "Phát hiện dư lượng Chlorpyrifos vượt mức giới hạn tối đa cho phép",
    "Phát hiện Aflatoxin B1 vượt giới hạn tại lô nguyên liệu",
    "Hàm lượng Histamine vượt quy chuẩn kỹ thuật quốc gia",
    "Nhiễm Salmonella trong mẫu lưu của lô hàng",
)


@dataclass
class Party:
    """An agency of the plan; ``id`` is set once it exists in the database."""

    index: int
    kind: AgencyKind
    name: str
    province: str
    commune: str | None = None
    household: bool = False
    family: str | None = None  # processors: the goods they take
    product: Product | None = None  # producers: what they grow or make
    gs1: str | None = None  # GS1 company prefix (9 digits, Vietnam's 893 first)
    id: str = ""


@dataclass(frozen=True)
class Held:
    """A batch of a tree, who holds it, and how much of it there is."""

    batch: int
    holder: Party
    quantity: int


def _communes() -> dict[str, list[tuple[str, str]]]:
    """Each province's communes and wards: (code, name without "Xã", "Phường", "Đặc khu")."""
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for ward in Ward.iter_all():
        name = ward.name.split(" ", 1)[1].removeprefix("khu ")
        found[f"{int(ward.province_code):02d}"].append((f"{int(ward.code):05d}", name))
    return found


def gtin13(body12: str) -> str:
    """``body12`` and its GS1 mod-10 check digit (GS1 General Specifications 7.9.1)."""
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(body12))
    return body12 + str((10 - total % 10) % 10)


def cast(rng: random.Random) -> list[Party]:
    """The agencies: 180 producers (120 of them households), 50 processors, 50
    distributors, 14 authorities (the central one first) and 8 certifiers."""
    places = _communes()
    parties: list[Party] = []
    prefixes = iter(rng.sample(range(100_000, 1_000_000), 400))

    def add(kind: AgencyKind, name: str, province: str, **extra: Any) -> None:
        parties.append(Party(len(parties), kind, name, province, **extra))

    for product in PRODUCTS:
        for number in range(6):
            province = product.provinces[number % len(product.provinces)]
            commune, place = rng.choice(places[province])
            if number < 4:  # a household: a person, shown publicly by commune only
                surname, middle, given = (rng.choice(names) for names in NAMES)
                title = "bà" if middle == "Thị" else "ông"
                person = f"{surname} {middle} {given}"
                name = f"Hộ {title} {person}"
                add(AgencyKind.PRODUCER, name, province, commune=commune, household=True)
            else:
                trade = f"HTX {product.crop}" if product.crop else TRADES[product.family]
                gs1 = f"893{next(prefixes)}"
                add(AgencyKind.PRODUCER, f"{trade} {place}", province, commune=commune, gs1=gs1)
            parties[-1].product = product
    for family, count in PROCESSORS.items():
        provinces = [
            p for product in PRODUCTS if product.family == family for p in product.provinces
        ]
        for number in range(count):
            province = provinces[number % len(provinces)]
            commune, place = rng.choice(places[province])
            names = PROCESSOR_NAMES[family]
            name = names[number % len(names)].format(place=place)
            gs1 = f"893{next(prefixes)}"
            add(AgencyKind.PROCESSOR, name, province, commune=commune, family=family, gs1=gs1)
    for number in range(50):
        province = CITIES[number % len(CITIES)] if number < 36 else rng.choice(sorted(places))
        commune, place = rng.choice(places[province])
        name = DISTRIBUTOR_NAMES[number % len(DISTRIBUTOR_NAMES)].format(place=place)
        add(AgencyKind.DISTRIBUTOR, name, province, commune=commune)
    add(AgencyKind.AUTHORITY, "Cục Quản lý chất lượng Nông lâm sản và Thủy sản", "01")
    output: dict[str, int] = defaultdict(int)
    for product in PRODUCTS:
        for province in product.provinces:
            output[province] += product.weight
    # Provincial offices where most is produced; the central office inspects the rest.
    for province in sorted(output, key=lambda p: (-output[p], p))[:13]:
        office = "Chi cục Quản lý chất lượng Nông lâm sản và Thủy sản"
        add(AgencyKind.AUTHORITY, f"{office} {province_name(province)}", province)
    for number, name in enumerate(CERTIFIERS):
        add(AgencyKind.CERTIFIER, name, CITIES[number % len(CITIES)])
    return parties


def _amount(value: int, unit: str) -> dict[str, str]:
    return {"value": str(max(1, value)), "unit": unit}


def _day(at_us: int) -> date:
    return datetime.fromtimestamp(at_us / SECOND, VIETNAM).date()


def _years_on(start: date, years: int) -> date:
    return date(start.year + years, start.month, min(start.day, 28))


Event = tuple[int, int, int, str, int, dict[str, Any], int]
"""(recorded µs, serial, batch index, kind, party index, body, occurred µs); no two events
share the first two, which order them."""


@dataclass
class Plan:
    """Every event, in the order it is recorded, and where to look in the graph."""

    parties: list[Party]
    batches: list[str]  # batch ids, by index
    events: list[Event]
    roots: list[int] = field(default_factory=list)  # roots of STANDARD trees
    large_roots: list[int] = field(default_factory=list)  # roots of LARGE trees
    recalled: list[int] = field(default_factory=list)


class Planner:
    """Writes the stories into one list of events."""

    def __init__(self, rng: random.Random, parties: list[Party], end_us: int) -> None:
        self.rng = rng
        self.parties = parties
        self.end_us = end_us
        self.start_us = end_us - YEARS * 365 * DAY
        self.batches: list[str] = []
        self.events: list[Event] = []
        self.serial = 0
        self.recalled: list[int] = []
        self.by_kind: dict[AgencyKind, list[Party]] = defaultdict(list)
        self.producers: dict[str, list[Party]] = defaultdict(list)
        self.processors: dict[str, list[Party]] = defaultdict(list)
        for party in parties:
            self.by_kind[party.kind].append(party)
            if party.product is not None:
                self.producers[party.product.name].append(party)
            if party.family is not None:
                self.processors[party.family].append(party)
        self.central = self.by_kind[AgencyKind.AUTHORITY][0]
        self.authority_of = {p.province: p for p in self.by_kind[AgencyKind.AUTHORITY][1:]}
        self.weights = [p.weight for p in PRODUCTS]

    # ------------------------------------------------------------------ events

    def add(self, at_us: int, batch: int, kind: str, party: Party, body: dict[str, Any]) -> bool:
        """Add an event recorded at ``at_us``; False (and nothing added) from the end on."""
        if at_us >= self.end_us:
            return False
        # Events of a batch are at least 15 minutes apart: they occur in the order recorded.
        occurred = at_us - self.rng.randint(1, 10) * MINUTE
        self.events.append((at_us, len(self.events), batch, kind, party.index, body, occurred))
        return True

    def register(
        self,
        party: Party,
        at_us: int,
        product: Product,
        name: str,
        province: str,
        *,
        quantity: int | None,
        commune: str | None = None,
        gtin: str | None = None,
        area: str | None = None,
    ) -> int:
        """A new batch, registered by ``party``; its index."""
        index = len(self.batches)
        self.batches.append(str(uuid.UUID(int=self.rng.getrandbits(128), version=4)))
        self.serial += 1
        day = _day(at_us)
        body: dict[str, Any] = {
            "product": name,
            # Unique in the ledger, so also for each GTIN; at most 16 characters.
            "lot": f"{product.short}{day.year % 100:02d}{day.month:02d}-{self.serial:06d}",
            "origin": {"province": province, **({"commune": commune} if commune else {})},
            "category": product.category,
            "production_date": day.isoformat(),
        }
        if gtin:
            body["gtin"] = gtin
        if quantity:
            body["quantity"] = _amount(quantity, product.unit)
        if area:
            body["area"] = area
        self.add(at_us, index, "registered", party, body)
        return index

    def gtin(self, party: Party, item: int) -> str | None:
        return gtin13(f"{party.gs1}{item % 1000:03d}") if party.gs1 else None

    def authority(self, province: str) -> Party:
        return self.authority_of.get(province, self.central)

    def inspect(self, at_us: int, batch: int, family: str, province: str, *, passed: bool) -> bool:
        analytes = []
        for number, (name, unit, method, limit, usual) in enumerate(ANALYTES[family]):
            failed = not passed and number == 0
            analytes.append(
                {
                    "name": name,
                    "value": str(int(float(limit) * 3) + 1) if failed else usual,
                    "unit": unit,
                    "method": method,
                    "limit": limit,
                    "result": "non_conformant" if failed else "conformant",
                }
            )
        self.serial += 1
        body = {
            "laboratory": self.rng.choice(LABORATORIES),
            "samples": [{"code": f"M{_day(at_us).year % 100}-{self.serial:07d}"}],
            "analytes": analytes,
            "result": "conformant" if passed else "non_conformant",
            "certificate_number": f"KQ-{self.serial:07d}",
            "reference": "QCVN 8-1:2011/BYT; Thông tư 50/2016/TT-BYT",
        }
        return self.add(at_us, batch, "inspected", self.authority(province), body)

    def certify(self, at_us: int, batch: int, product: Product, province: str, scheme: str) -> None:
        self.serial += 1
        issued = _day(at_us)
        if scheme == "ocop":  # a province's council, or the ministry for five stars
            stars = self.rng.choices((3, 4, 5), (60, 32, 8))[0]
            central = stars == 5
            council = f"Ủy ban nhân dân {province_name(province)}"
            body: dict[str, Any] = {
                "scheme": "ocop",
                "certificate_number": f"OCOP-{province}-{self.serial:07d}",
                "issuer": "Bộ Nông nghiệp và Môi trường" if central else council,
                "issuer_level": "central" if central else "province",
                "stars": stars,
                "decision_number": f"{self.serial % 3000 + 1}/QĐ-UBND",
                "valid_from": issued.isoformat(),
                "valid_until": _years_on(issued, 3).isoformat(),
            }
            self.add(
                at_us,
                batch,
                "certified",
                self.central if central else self.authority(province),
                body,
            )
            return
        certifier = self.rng.choice(self.by_kind[AgencyKind.CERTIFIER])
        body = {
            "scheme": scheme,
            "certificate_number": f"{scheme.upper()}-{self.serial:07d}",
            "issuer": certifier.name,
            "valid_from": issued.isoformat(),
            "valid_until": _years_on(
                issued, 1 if scheme in ("organic", "globalgap") else 2
            ).isoformat(),
            "scope": f"Sản xuất, sơ chế {product.name}",
        }
        self.add(at_us, batch, "certified", certifier, body)

    def move(
        self, at_us: int, batch: int, sender: Party, to: Party, amount: dict[str, str]
    ) -> bool:
        """Shipped now, received about a day later; True once received."""
        shipped = {"to": to.id, "quantity": amount, "destination": province_name(to.province)}
        if not self.add(at_us, batch, "shipped", sender, shipped):
            return False
        later = at_us + DAY + self.rng.randint(0, 600) * MINUTE
        return self.add(later, batch, "received", to, {"from": sender.id, "quantity": amount})

    def sell(self, at_us: int, batch: int, holder: Party, total: int, unit: str) -> None:
        sales = self.rng.randint(1, 3)
        for number in range(sales):
            at_us += self.rng.randint(1, 10) * DAY
            body: dict[str, Any] = {"quantity": _amount(total // sales, unit)}
            if number == sales - 1 and self.rng.random() < 0.75:
                body["last"] = True
            if not self.add(at_us, batch, "sold", holder, body):
                return

    def recall(self, at_us: int, batch: int, province: str) -> None:
        effective = datetime.fromtimestamp(at_us // SECOND, VIETNAM)
        body = {
            "reason": self.rng.choice(RECALL_REASONS),
            "severity": self.rng.choice(("class_1", "class_2", "class_2", "class_3")),
            "scope": "Toàn bộ lô hàng và các sản phẩm chế biến từ lô",
            "decision_number": f"{self.rng.randint(10, 999)}/QĐ-CCQLCL",
            "effective_at": effective.isoformat(),
        }
        if self.add(at_us, batch, "recalled", self.authority(province), body):
            self.recalled.append(batch)

    def distribute(self, at_us: int, batch: int, holder: Party, amount: int, unit: str) -> None:
        """Most goods go to a distributor, who sells them."""
        if self.rng.random() < 0.75:
            shop = self.rng.choice(self.by_kind[AgencyKind.DISTRIBUTOR])
            if self.move(at_us, batch, holder, shop, _amount(amount, unit)):
                self.sell(at_us + 2 * DAY, batch, shop, amount, unit)

    # ------------------------------------------------------------------ farm batches

    def farm(self, at_us: int, *, chain: bool, recall: bool) -> None:
        """A farm batch from planting to its sale, its processor or its recall."""
        rng = self.rng
        product = rng.choices(PRODUCTS, self.weights)[0]
        producer = rng.choice(self.producers[product.name])
        unit = product.unit
        amount = rng.randint(2, 400) * 100
        area = f"{product.short}-{rng.randint(1, 40):02d}" if product.crop else None
        batch = self.register(
            producer,
            at_us,
            product,
            product.name,
            producer.province,
            quantity=None if product.crop else amount,  # a crop is registered as it is planted
            commune=producer.commune,
            gtin=self.gtin(producer, PRODUCTS.index(product)) if rng.random() < 0.8 else None,
            area=area,
        )
        t = at_us + self._grow(at_us, batch, producer, product, area)
        harvest: dict[str, Any] = {"quantity": _amount(amount, unit)}
        if area:
            harvest["area"] = area
        self.add(t, batch, "harvested", producer, harvest)
        if rng.random() < 0.35:
            t += rng.randint(6, 48) * HOUR
            self.add(t, batch, "processed", producer, {"process": PROCESSED[product.family]})
        t += rng.randint(6, 48) * HOUR
        packed = {"package_type": product.package, "count": max(1, amount // 20)}
        self.add(t, batch, "packed", producer, {**packed, "quantity": _amount(amount, unit)})
        if not recall and rng.random() < 0.55:
            passed = rng.random() >= 0.05
            t += rng.randint(6, 72) * HOUR
            self.inspect(t, batch, product.family, producer.province, passed=passed)
            if not passed:
                return  # held back: never shipped
        if not recall:
            for scheme, chance in self._schemes(product, producer):
                if rng.random() < chance:
                    t += rng.randint(1, 48) * HOUR
                    self.certify(t, batch, product, producer.province, scheme)
        t += rng.randint(1, 5) * DAY
        if recall:  # found non-conformant at the distributor's, then recalled
            shop = rng.choice(self.by_kind[AgencyKind.DISTRIBUTOR])
            if self.move(t, batch, producer, shop, _amount(amount, unit)):
                t += rng.randint(3, 5) * DAY
                if self.inspect(t, batch, product.family, producer.province, passed=False):
                    self.recall(t + rng.randint(2, 24) * HOUR, batch, producer.province)
        elif chain:
            self.short_chain(t, batch, producer, product, amount)
        elif rng.random() < 0.7:
            self.distribute(t, batch, producer, amount, unit)
        else:
            self.sell(t, batch, producer, amount, unit)

    def _grow(
        self, at_us: int, batch: int, producer: Party, product: Product, area: str | None
    ) -> int:
        """Planting, fertiliser and maybe a pesticide; how long until the harvest (µs)."""
        rng = self.rng
        if product.crop is None or area is None:
            return 2 * HOUR
        t = at_us + HOUR
        size = {"value": f"{rng.randint(1, 50) / 10:g}", "unit": "HAR"}
        self.add(
            t, batch, "planted", producer, {"crop": product.crop, "area": area, "area_size": size}
        )
        t += rng.randint(10, 25) * DAY
        fertiliser = {
            "input_kind": "fertiliser",
            "product": rng.choice(FERTILISERS),
            "dose": {"value": str(rng.randint(2, 6) * 50), "unit": "KGM", "per": "HAR"},
            "applied_to": area,
        }
        self.add(t, batch, "input_applied", producer, fertiliser)
        if rng.random() < 0.6:
            name, ingredient, days = rng.choice(PESTICIDES)
            t += rng.randint(15, 30) * DAY
            pesticide = {
                "input_kind": "pesticide",
                "product": name,
                "active_ingredient": ingredient,
                "dose": {"value": f"{rng.randint(5, 40) / 10:g}", "unit": "GRM", "per": "LTR"},
                "applied_to": area,
                "pre_harvest_interval_days": days,
            }
            self.add(t, batch, "input_applied", producer, pesticide)
        return t + rng.randint(30, 60) * DAY - at_us

    def _schemes(self, product: Product, producer: Party) -> list[tuple[str, float]]:
        gap = "vietgahp" if product.family == "honey" else "vietgap"
        schemes = [(gap, 0.3), ("organic", 0.05)]
        if not producer.household:
            schemes += [("globalgap", 0.06), ("ocop", 0.25)]
        return schemes

    def short_chain(
        self, at_us: int, batch: int, producer: Party, product: Product, amount: int
    ) -> None:
        """A processor makes one to three products of a farm batch, some repacked again."""
        rng = self.rng
        mill = rng.choice(self.processors[product.family])
        if not self.move(at_us, batch, producer, mill, _amount(amount, product.unit)):
            return
        t = at_us + 2 * DAY
        outputs = rng.choice((1, 1, 2, 3))
        stages = STAGES[product.family]
        for _ in range(outputs):
            stage = rng.randrange(len(stages))
            share = amount // outputs
            made = self.register(
                mill,
                t,
                product,
                f"{product.name} {stages[stage]}",
                producer.province,
                quantity=share,
                gtin=self.gtin(mill, 100 + stage) if rng.random() < 0.7 else None,
            )
            process = "splitting" if outputs > 1 else FIRST_STEP[product.family]
            self.transform(t + 30 * MINUTE, made, mill, process, [(batch, share)], product.unit)
            self.finish(t + rng.randint(2, 30) * HOUR, made, mill, product, share)
            t += rng.randint(5, 90) * MINUTE

    def transform(
        self,
        at_us: int,
        batch: int,
        holder: Party,
        process: str,
        inputs: list[tuple[int, int]],
        unit: str,
    ) -> None:
        """`transformed` on ``batch``: ``inputs`` are (batch index, quantity) held by ``holder``."""
        body = {
            "process": process,
            "inputs": [{"batch": self.batches[b], "quantity": _amount(q, unit)} for b, q in inputs],
            "output_quantity": _amount(sum(q for _, q in inputs), unit),
        }
        self.add(at_us, batch, "transformed", holder, body)

    def finish(self, at_us: int, batch: int, holder: Party, product: Product, amount: int) -> None:
        """A processor's output: maybe repacked once more, maybe OCOP-certified, then sold on."""
        rng = self.rng
        if rng.random() < 0.3:
            again = self.register(
                holder,
                at_us,
                product,
                f"{product.name} đóng gói lại",
                product.provinces[0],
                quantity=amount,
                gtin=self.gtin(holder, 900 + PRODUCTS.index(product)),
            )
            self.transform(
                at_us + 20 * MINUTE, again, holder, "repacking", [(batch, amount)], product.unit
            )
            batch, at_us = again, at_us + rng.randint(2, 24) * HOUR
        if rng.random() < 0.15:
            self.certify(at_us, batch, product, holder.province, "ocop")
            at_us += HOUR
        self.distribute(at_us + rng.randint(1, 4) * DAY, batch, holder, amount, product.unit)

    # ------------------------------------------------------------------ deep trees

    def tree(self, at_us: int, widths: tuple[int, ...]) -> tuple[int, str]:
        """A deep tree of ``len(widths)`` generations; its root and the root's province."""
        rng = self.rng
        family = rng.choice(TREE_FAMILIES)
        product = rng.choice([p for p in PRODUCTS if p.family == family])
        farm = rng.choice([p for p in self.producers[product.name] if not p.household])
        mills = rng.sample(self.processors[family], min(4, len(self.processors[family])))
        amount = rng.randint(200, 900) * 1000
        root = self.register(
            farm,
            at_us,
            product,
            product.name,
            farm.province,
            quantity=amount,
            commune=farm.commune,
            gtin=self.gtin(farm, PRODUCTS.index(product)),
        )
        harvest = {"quantity": _amount(amount, product.unit)}
        self.add(at_us + HOUR, root, "harvested", farm, harvest)
        self.inspect(at_us + 3 * HOUR, root, family, farm.province, passed=True)
        self.move(at_us + DAY, root, farm, mills[0], _amount(amount, product.unit))
        current = [Held(root, mills[0], amount)]
        t = at_us + 3 * DAY
        for generation in range(1, len(widths)):
            made = self._generation(t, current, widths[generation], product, generation, farm)
            current = self._moves(t + 2 * DAY, made, mills, product)
            t += GENERATION_DAYS * DAY
        for held in current:
            if rng.random() < 0.1:
                self.certify(t, held.batch, product, held.holder.province, "ocop")
            self.distribute(t + HOUR, held.batch, held.holder, held.quantity, product.unit)
        return root, farm.province

    def _generation(
        self,
        at_us: int,
        current: list[Held],
        width: int,
        product: Product,
        generation: int,
        farm: Party,
    ) -> list[Held]:
        """The next generation of a tree: merges of some batches, splits of the others."""
        stages = STAGES[product.family]
        name = f"{product.name} {stages[min(generation, len(stages)) - 1]}"
        if generation > len(stages):
            name += f" (chia lô cấp {generation})"
        jobs: list[tuple[Party, list[Held], str]] = []
        merged, single = self._merges(current)
        for group in merged:
            jobs.append((group[0].holder, group, self.rng.choice(("merging", "blending"))))
        wanted = max(width - len(merged), len(single))
        for number, held in enumerate(single):
            splits = wanted // len(single) + (1 if number < wanted % len(single) else 0)
            share = Held(held.batch, held.holder, max(1, held.quantity // splits))
            process = "splitting" if splits > 1 else FIRST_STEP[product.family]
            jobs.extend((held.holder, [share], process) for _ in range(splits))
        made = []
        for step, (holder, inputs, process) in enumerate(jobs):
            at = at_us + step * 2 * MINUTE
            share = sum(i.quantity for i in inputs)
            batch = self.register(
                holder,
                at,
                product,
                name,
                farm.province,
                quantity=share,
                gtin=self.gtin(holder, 200 + generation) if generation >= 5 else None,
            )
            pairs = [(i.batch, i.quantity) for i in inputs]
            self.transform(at + 15 * MINUTE, batch, holder, process, pairs, product.unit)
            made.append(Held(batch, holder, share))
        return made

    def _merges(self, current: list[Held]) -> tuple[list[list[Held]], list[Held]]:
        """Batches of one holder merged in twos and threes (about a fifth), and the others."""
        by_holder: dict[int, list[Held]] = defaultdict(list)
        for held in current:
            by_holder[held.holder.index].append(held)
        merged, single = [], []
        for items in by_holder.values():
            self.rng.shuffle(items)
            while items:
                size = self.rng.choice((2, 3))
                if len(items) >= size and self.rng.random() < 0.2:
                    merged.append(items[:size])
                    items = items[size:]
                else:
                    single.append(items.pop())
        return merged, single

    def _moves(
        self, at_us: int, made: list[Held], mills: list[Party], product: Product
    ) -> list[Held]:
        """A third of a generation moves to another processor; a few batches are inspected."""
        moved = []
        for step, held in enumerate(made):
            at = at_us + step * 2 * MINUTE
            if self.rng.random() < 0.08:
                province = product.provinces[0]
                self.inspect(at - 6 * HOUR, held.batch, product.family, province, passed=True)
            holder = held.holder
            if self.rng.random() < 0.35:
                to = self.rng.choice([m for m in mills if m is not holder])
                if self.move(at, held.batch, holder, to, _amount(held.quantity, product.unit)):
                    holder = to
            moved.append(Held(held.batch, holder, held.quantity))
        return moved


def make_plan(
    parties: list[Party],
    *,
    batches: int,
    records: int,
    trees: int,
    large_trees: int,
    recalled_trees: int,
    seed: int,
    end_us: int,
) -> Plan:
    """At least ``batches`` batches and ``records`` records, with the trees asked for:
    ``large_trees`` LARGE ones and ``trees`` STANDARD ones, the roots of every large tree
    and of ``recalled_trees`` standard ones recalled, and about one farm batch in 9,000."""
    rng = random.Random(seed)
    planner = Planner(rng, parties, end_us)
    span = planner.end_us - planner.start_us
    roots: list[int] = []
    large_roots: list[int] = []
    for number in range(large_trees + trees):
        large = number < large_trees
        widths = LARGE if large else STANDARD[: rng.randint(13, len(STANDARD))]
        # Long enough for the tree and its last shipments; recalled after both.
        room = (len(widths) + 4) * GENERATION_DAYS * DAY
        start = planner.start_us + rng.randrange(span - room - 10 * DAY)
        root, province = planner.tree(start, widths)
        (large_roots if large else roots).append(root)
        if number < large_trees + recalled_trees:
            planner.recall(start + room, root, province)
    farms = 0
    while len(planner.batches) < batches or len(planner.events) < records:
        farms += 1
        start = planner.start_us + rng.randrange(span)
        planner.farm(start, chain=rng.random() < 0.1, recall=farms % 9000 == 0)
    planner.events.sort()
    return Plan(parties, planner.batches, planner.events, roots, large_roots, planner.recalled)

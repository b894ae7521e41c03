"""The terms of Vietnamese open data every package states, and the citation users must give.

The instruments (named by number and date, without article numbers):

- Luật Dữ liệu số 60/2024/QH15 (Law on Data), passed 30 November 2024, in force
  1 July 2025;
- Nghị định số 194/2025/NĐ-CP of 3 July 2025 detailing the Law on Electronic
  Transactions on national databases, data connection and sharing, and open data of
  state bodies, in force 19 August 2025, which replaced the open-data provisions of
  Nghị định số 47/2020/NĐ-CP of 9 April 2020.

Under them open data is free to use, reuse and share, is provided as it is, and whoever
uses it cites its source. The citation is fixed text with the publisher, the
dataset's title, the checkpoint the package was cut at and where it came from, so that
anyone can find the same bytes again and check them (``python -m trace verify-export``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

INSTRUMENTS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "vi": (
            "Luật Dữ liệu số 60/2024/QH15 ngày 30 tháng 11 năm 2024",
            "Nghị định số 194/2025/NĐ-CP ngày 03 tháng 7 năm 2025 của Chính phủ quy định chi tiết"
            " một số điều của Luật Giao dịch điện tử về cơ sở dữ liệu quốc gia, kết nối và chia sẻ"
            " dữ liệu, dữ liệu mở phục vụ giao dịch điện tử của cơ quan nhà nước (có hiệu lực từ"
            " ngày 19 tháng 8 năm 2025, thay thế các quy định về dữ liệu mở của Nghị định số"
            " 47/2020/NĐ-CP)",
        ),
        "en": (
            "Law on Data No. 60/2024/QH15 of 30 November 2024",
            "Decree No. 194/2025/ND-CP of 3 July 2025 detailing the Law on Electronic Transactions"
            " on national databases, data connection and sharing, and open data of state bodies"
            " (in force from 19 August 2025, replacing the open-data provisions of Decree"
            " No. 47/2020/ND-CP)",
        ),
    }
)

TERMS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "vi": (
            "Đây là dữ liệu mở: mọi tổ chức, cá nhân được tự do sử dụng, tái sử dụng và chia sẻ,"
            " miễn phí, cho mọi mục đích.",
            "Dữ liệu được cung cấp theo hiện trạng, đúng như sổ cái đã ghi nhận.",
            "Người sử dụng phải trích dẫn nguồn dữ liệu bằng đúng nội dung trích dẫn dưới đây.",
            "Dữ liệu không chứa dữ liệu cá nhân: hộ gia đình chỉ được nêu theo xã và tỉnh.",
        ),
        "en": (
            "This is open data: anyone may use, reuse and share it, free of charge, for any"
            " purpose.",
            "It is provided as it is, as the ledger recorded it.",
            "Users must cite the source with exactly the citation below.",
            "It holds no personal data: households appear only by commune and province.",
        ),
    }
)

LICENSE_NAME = "vn-open-data"
LICENSE_TITLE = {
    "vi": "Dữ liệu mở theo Luật Dữ liệu 2024 và Nghị định 194/2025/NĐ-CP",
    "en": "Vietnamese open data (Law on Data 2024, Decree 194/2025/ND-CP)",
}


@dataclass(frozen=True, slots=True)
class Citation:
    """What the citation names: who publishes, the checkpoint cut at, and where it is."""

    publisher: str
    size: int
    date: str  # YYYY-MM-DD, the day the checkpoint was signed (Vietnam's time)
    url: str

    def text(self, lang: str) -> str:
        """The exact citation text in ``lang`` (``vi`` or ``en``)."""
        if lang == "vi":
            return (
                f"Nguồn: {self.publisher}, Dữ liệu truy xuất nguồn gốc nông lâm thủy sản, thực"
                f" phẩm và sản phẩm OCOP, điểm kiểm tra nhật ký {self.size} ngày {self.date},"
                f" {self.url}"
            )
        return (
            f"Source: {self.publisher}, Traceability data of agricultural, forestry and fishery"
            f" products, food and OCOP products, log checkpoint {self.size} of {self.date},"
            f" {self.url}"
        )


def terms_document(citation: Citation) -> str:
    """The package's ``terms.md``: the terms, the instruments and the citation, vi then en."""
    parts: list[str] = []
    headings = {
        "vi": ("Điều khoản sử dụng dữ liệu mở", "Căn cứ", "Trích dẫn bắt buộc"),
        "en": ("Terms of use of this open data", "Legal basis", "Required citation"),
    }
    for lang in ("vi", "en"):
        title, basis, cite = headings[lang]
        parts.append(f"# {title}\n\n")
        parts.extend(f"- {line}\n" for line in TERMS[lang])
        parts.append(f"\n## {basis}\n\n")
        parts.extend(f"- {line}\n" for line in INSTRUMENTS[lang])
        parts.append(f"\n## {cite}\n\n> {citation.text(lang)}\n\n")
    return "".join(parts)

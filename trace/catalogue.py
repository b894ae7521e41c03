"""Every piece of text a person reads, in Vietnamese (first) and English.

Messages are keyed by the stable ``code`` of an error (``trace/domain/errors.py``,
``trace/store/errors.py``), by ``not_permitted.<rule>`` for permission rules, by
``fault.<fault>`` for chain faults, and by ``cli.*`` for command-line output.
Templates are filled with ``str.format`` from the error's params.
"""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"

MESSAGES: Mapping[str, Mapping[str, str]] = {
    # Errors of statements and bodies.
    "not_canonical": {
        "vi": "Dữ liệu tuyên bố không ở dạng chuẩn ({reason}): hãy mã hoá lại bằng "
        "`python -m trace sign` (khoá sắp xếp, không khoảng trắng, văn bản NFC, không số thực).",
        "en": "The statement bytes are not in canonical form ({reason}): encode it again with "
        "`python -m trace sign` (sorted keys, no spaces, NFC text, no floats).",
    },
    "invalid_statement": {
        "vi": "Tuyên bố không hợp lệ ở trường {reason}: {detail}",
        "en": "The statement is invalid in field {reason}: {detail}",
    },
    "invalid_body": {
        "vi": "Nội dung sự kiện '{kind}' không hợp lệ: {reason}. "
        "Hãy sửa trường được nêu rồi gửi lại.",
        "en": "The body of the '{kind}' event is invalid: {reason}. "
        "Fix the named field and resend.",
    },
    "time_out_of_range": {
        "vi": "Thời điểm {field} = {value} nằm ngoài khoảng sổ cái chấp nhận: từ 01/01/1970 đến "
        "31/12/2199, múi giờ trong khoảng ±14:00. Hãy kiểm tra lại ngày giờ rồi gửi lại.",
        "en": "{field} = {value} is outside the times the ledger accepts: 1970-01-01 to "
        "2199-12-31, with a UTC offset within ±14:00. Check the date and time and resend.",
    },
    "time_out_of_range.future": {
        "vi": "Thời điểm {field} = {value} ở tương lai: sự kiện chỉ được ghi sau khi đã diễn ra. "
        "Hãy kiểm tra ngày giờ và múi giờ của thiết bị.",
        "en": "{field} = {value} is in the future: an event is recorded after it happens. "
        "Check the device's date, time and time zone.",
    },
    "time_out_of_range.offset": {
        "vi": "Múi giờ của {field} = {value} không có thật: độ lệch so với UTC phải trong khoảng "
        "-14:00 đến +14:00 (Việt Nam là +07:00).",
        "en": "The UTC offset of {field} = {value} is not a real one: it must lie between -14:00 "
        "and +14:00 (Vietnam is +07:00).",
    },
    "record_unreadable": {
        "vi": "Bản ghi ở vị trí {position} có trong sổ cái nhưng không đọc được nội dung. "
        "Hãy chạy `python -m trace verify` để biết bản ghi có bị sửa hay không.",
        "en": "The record at position {position} is in the ledger but its content cannot be "
        "read. Run `python -m trace verify` to find out whether it was altered.",
    },
    "unknown_kind": {
        "vi": "Loại sự kiện '{kind}' không tồn tại. Các loại hợp lệ: {known}.",
        "en": "There is no event kind '{kind}'. Valid kinds: {known}.",
    },
    "invalid_signature": {
        "vi": "Chữ ký không khớp với tuyên bố và khoá ({reason}). Hãy ký lại đúng dữ liệu đã gửi "
        "bằng khoá hiện hành của đơn vị.",
        "en": "The signature does not match the statement and key ({reason}). Sign exactly the "
        "bytes you send, with your agency's current key.",
    },
    "invalid_identifier": {
        "vi": "Mã định danh '{value}' không hợp lệ ({reason}). Hãy kiểm tra lại các chữ số.",
        "en": "The identifier '{value}' is not valid ({reason}). Check the digits again.",
    },
    "invalid_identifier.check_digit": {
        "vi": "Mã '{value}' sai chữ số kiểm tra. Hãy đối chiếu lại với mã in trên bao bì.",
        "en": "The check digit of '{value}' is wrong. Compare it with the code on the package.",
    },
    "invalid_identifier.length": {
        "vi": "Mã '{value}' có độ dài không đúng.",
        "en": "The code '{value}' has the wrong length.",
    },
    "proof_invalid": {
        "vi": "Bằng chứng Merkle không hợp lệ ({reason}): {detail}",
        "en": "The Merkle proof is not valid ({reason}): {detail}",
    },
    "proof_range": {
        "vi": "Không có bằng chứng cho yêu cầu này ({reason}): {detail}",
        "en": "There is no proof for this request ({reason}): {detail}",
    },
    "note_invalid": {
        "vi": "Ghi chú có chữ ký (checkpoint) không hợp lệ ({reason}): {detail}",
        "en": "The signed note (checkpoint) is not valid ({reason}): {detail}",
    },
    "note_invalid.key_type": {
        "vi": "Khoá không đúng loại: {detail}",
        "en": "The key is of the wrong type: {detail}",
    },
    "note_invalid.duplicate": {
        "vi": "Trùng khoá: {detail}",
        "en": "Duplicate key: {detail}",
    },
    "note_invalid.lines": {
        "vi": "Hãy gửi đúng một dòng chữ ký đồng xác nhận (cosignature).",
        "en": "Send exactly one cosignature line.",
    },
    "checkpoint_invalid": {
        "vi": "Checkpoint không đúng định dạng ({reason}): {detail}",
        "en": "The checkpoint is malformed ({reason}): {detail}",
    },
    "unknown_checkpoint": {
        "vi": "Nhật ký chưa từng ký checkpoint này (kích thước {found}).",
        "en": "This log never signed this checkpoint (size {found}).",
    },
    "unknown_witness": {
        "vi": "Khoá '{name}' không phải là nhân chứng của nhật ký này; hãy nhờ người vận hành "
        "đăng ký khoá nhân chứng trước.",
        "en": "Key '{name}' is not a witness of this log; ask the operator to register the "
        "witness key first.",
    },
    "log_inconsistent": {
        "vi": "NGUY HIỂM: cây Merkle hiện tại không nối tiếp checkpoint đã ký ({expected} → "
        "{found}); sổ cái từ chối ký. Hãy chạy `python -m trace verify`.",
        "en": "DANGER: the current Merkle tree does not extend the signed checkpoint "
        "({expected} → {found}); the ledger refuses to sign. Run `python -m trace verify`.",
    },
    # Errors of the store and the API.
    "not_found": {
        "vi": "Không tìm thấy {what} '{id}'. Hãy kiểm tra lại mã.",
        "en": "No {what} '{id}' was found. Check the identifier.",
    },
    "version_conflict": {
        "vi": "Lô hàng đã ở phiên bản {current}, không phải {expected}: đã có người ghi thêm. "
        "Hãy đọc lại lô hàng rồi thử lại.",
        "en": "The batch is at version {current}, not {expected}: someone recorded an event in "
        "the meantime. Read the batch again and retry.",
    },
    "idempotency_conflict": {
        "vi": "Idempotency-Key '{key}' đã được dùng cho một yêu cầu khác. Hãy dùng khoá mới "
        "cho yêu cầu mới.",
        "en": "Idempotency-Key '{key}' was already used for a different request. Use a new key "
        "for a new request.",
    },
    "key_not_usable": {
        "vi": "Không thể dùng khoá ký này ({reason}): {detail}",
        "en": "This signing key cannot be used ({reason}): {detail}",
    },
    "duplicate_lot": {
        "vi": "GTIN {gtin} lô {lot} đã được đăng ký. Mỗi lô chỉ đăng ký một lần.",
        "en": "GTIN {gtin} lot {lot} is already registered. Each lot is registered once.",
    },
    "unauthenticated": {
        "vi": "Cần mã truy cập hợp lệ: gửi tiêu đề 'Authorization: Bearer <mã>'. Mã bị thu hồi "
        "hoặc sai sẽ không được chấp nhận.",
        "en": "A valid access token is needed: send 'Authorization: Bearer <token>'. Revoked or "
        "unknown tokens are refused.",
    },
    "forbidden": {
        "vi": "Đơn vị của bạn không được phép làm việc này: {detail}",
        "en": "Your agency may not do this: {detail}",
    },
    "forbidden.inspectors_only": {
        "vi": "Chỉ thanh tra viên (cơ quan quản lý, tổ chức chứng nhận, người vận hành) mới được "
        "tra cứu mục này. Hãy dùng mã truy cập của cơ quan bạn.",
        "en": "Only inspectors (authorities, certifiers, the operator) may query this. Use a "
        "token of your agency.",
    },
    "forbidden.operator_only": {
        "vi": "Chỉ người vận hành hệ thống mới được làm việc này.",
        "en": "Only the operator may do this.",
    },
    "forbidden.own_agency_only": {
        "vi": "Mỗi đơn vị chỉ quản lý khoá và mã truy cập của chính mình.",
        "en": "An agency manages only its own keys and tokens.",
    },
    "key_not_usable.unknown": {
        "vi": "Khoá {key} không phải là khoá của đơn vị ký tuyên bố.",
        "en": "Key {key} is not a key of the agency that signs the statement.",
    },
    "key_not_usable.revoked": {
        "vi": "Khoá {key} đã bị thu hồi; không thể ký bằng khoá này nữa.",
        "en": "Key {key} has been revoked; nothing more can be signed with it.",
    },
    "key_not_usable.retired": {
        "vi": "Khoá {key} đã được thay thế; hãy ký bằng khoá hiện hành của đơn vị.",
        "en": "Key {key} was rotated out; sign with the agency's current key.",
    },
    "key_not_usable.no_custodial_key": {
        "vi": "Đơn vị không có khoá do máy chủ giữ; hãy tự ký tuyên bố (`python -m trace sign`).",
        "en": "The agency has no server-held key; sign the statement yourself "
        "(`python -m trace sign`).",
    },
    "key_not_usable.malformed": {
        "vi": "Đây không phải là khoá công khai Ed25519 (32 byte, base64).",
        "en": "This is not an Ed25519 public key (32 bytes, base64).",
    },
    "not_migrated": {
        "vi": "Cơ sở dữ liệu chưa được cập nhật cấu trúc (đang ở {found}, cần {expected}). "
        "Hãy chạy `python -m trace migrate`.",
        "en": "The database schema is not up to date (at {found}, needs {expected}). "
        "Run `python -m trace migrate`.",
    },
    "contention": {
        "vi": "Có quá nhiều yêu cầu ghi cùng lúc vào lô hàng này. Hãy thử lại sau giây lát.",
        "en": "Too many writes raced on this batch. Retry in a moment.",
    },
    "bad_request": {
        "vi": "Yêu cầu không hợp lệ: {detail}",
        "en": "The request is invalid: {detail}",
    },
    "too_large": {
        "vi": "Nội dung yêu cầu quá lớn (tối đa {limit} byte). Hãy gửi ít dữ liệu hơn.",
        "en": "The request body is too large (at most {limit} bytes). Send less data.",
    },
    "method_not_allowed": {
        "vi": "Phương thức này không dùng được cho địa chỉ này.",
        "en": "This method is not allowed on this address.",
    },
    # Labels: the words printed on a label, and what goes wrong making one.
    "label.household": {"vi": "Hộ sản xuất", "en": "Household farm"},
    "label.origin": {"vi": "Xuất xứ:", "en": "Origin:"},
    "label.lot": {"vi": "Lô:", "en": "Lot:"},
    "label.net": {"vi": "KL tịnh:", "en": "Net:"},
    "label.lot_quantity": {"vi": "Cả lô:", "en": "Whole lot:"},
    # NSX/HSD: "ngày sản xuất", "hạn sử dụng", as Vietnamese labels abbreviate them.
    "label.produced": {"vi": "NSX:", "en": "MFD:"},
    "label.expires": {"vi": "HSD:", "en": "EXP:"},
    "unit.KGM": {"vi": "kg", "en": "kg"},
    "unit.GRM": {"vi": "g", "en": "g"},
    "unit.TNE": {"vi": "tấn", "en": "t"},
    "unit.LTR": {"vi": "lít", "en": "L"},
    "unit.MLT": {"vi": "ml", "en": "mL"},
    "unit.H87": {"vi": "cái", "en": "pcs"},
    "unit.XBX": {"vi": "hộp", "en": "boxes"},
    "unit.XBG": {"vi": "túi", "en": "bags"},
    "unit.XSA": {"vi": "bao", "en": "sacks"},
    "unit.XCT": {"vi": "thùng", "en": "cartons"},
    "unit.XBO": {"vi": "chai", "en": "bottles"},
    "unit.XCR": {"vi": "két", "en": "crates"},
    "label_does_not_fit": {
        "vi": "Nhãn không vừa mẫu {template}: {detail}. Hãy chọn mẫu nhãn lớn hơn "
        "(danh sách: GET /api/v1/label-templates) hoặc rút gọn tên sản phẩm.",
        "en": "The label does not fit template {template}: {detail}. Choose a larger template "
        "(list: GET /api/v1/label-templates) or shorten the product name.",
    },
    "label_does_not_fit.symbol": {
        "vi": "Nhãn {template} quá nhỏ cho mã QR phiên bản {version} với môđun tối thiểu "
        "0,396 mm. Hãy chọn mẫu nhãn lớn hơn hoặc dùng địa chỉ TRACE_PUBLIC_URL ngắn hơn.",
        "en": "Template {template} is too small for a version {version} QR symbol with "
        "0.396 mm modules. Choose a larger template or a shorter TRACE_PUBLIC_URL.",
    },
    "label_does_not_fit.text": {
        "vi": "Nội dung nhãn không vừa mẫu {template} ở cỡ chữ tối thiểu {minimum} pt; không "
        "phần nào bị cắt bớt. Hãy chọn mẫu nhãn lớn hơn (ví dụ a4-3x8 hoặc roll-50x30-203).",
        "en": "The label text does not fit template {template} at the {minimum} pt minimum, and "
        "nothing is cut off. Choose a larger template (for example a4-3x8 or roll-50x30-203).",
    },
    "label_request_invalid": {
        "vi": "Yêu cầu in nhãn không hợp lệ: {detail}",
        "en": "The label request is not valid: {detail}",
    },
    # The public provenance page.
    "page.title": {"vi": "Nguồn gốc: {product}", "en": "Origin: {product}"},
    "page.lang_switch": {"vi": "English", "en": "Tiếng Việt"},
    "page.recalled": {"vi": "THU HỒI", "en": "RECALLED"},
    "page.recalled_this": {
        "vi": "Lô hàng này đã bị thu hồi. Đừng dùng sản phẩm; hãy mang trả nơi bán.",
        "en": "This batch has been recalled. Do not use the product; return it to the shop.",
    },
    "page.recalled_input": {
        "vi": "Lô nguyên liệu {code} ({product}) dùng làm ra sản phẩm này đã bị thu hồi.",
        "en": "Batch {code} ({product}), which this product was made from, has been recalled.",
    },
    "page.failed": {"vi": "KHÔNG ĐẠT KIỂM NGHIỆM", "en": "FAILED INSPECTION"},
    "page.failed_this": {
        "vi": "Lô hàng này không đạt kiểm nghiệm.",
        "en": "This batch failed an inspection.",
    },
    "page.failed_input": {
        "vi": "Lô nguyên liệu {code} ({product}) dùng làm ra sản phẩm này không đạt kiểm nghiệm.",
        "en": "Batch {code} ({product}), which this product was made from, failed an inspection.",
    },
    "page.alert_detail": {
        "vi": "Lý do: {reason}. Cơ quan: {authority}. Ngày: {date}.",
        "en": "Reason: {reason}. Authority: {authority}. Date: {date}.",
    },
    "page.intact": {"vi": "Hồ sơ toàn vẹn", "en": "The record is intact"},
    "page.intact_detail": {
        "vi": "Cả {records} bản ghi đều có chữ ký hợp lệ của đơn vị ghi nhận và nối liền thành "
        "chuỗi; không bản ghi nào bị sửa sau khi ký.",
        "en": "All {records} records carry a valid signature of the agency that made them and "
        "link into one chain; none was changed after it was signed.",
    },
    "page.in_checkpoint": {
        "vi": "Tất cả nằm trong checkpoint số {size} của nhật ký công khai, ký lúc {when}, "
        "được {witnesses} nhân chứng độc lập đồng ký.",
        "en": "All are in checkpoint {size} of the public log, signed at {when} and cosigned "
        "by {witnesses} independent witnesses.",
    },
    "page.in_checkpoint_alone": {
        "vi": "Tất cả nằm trong checkpoint số {size} của nhật ký công khai, ký lúc {when}; "
        "chưa có nhân chứng độc lập nào đồng ký checkpoint này.",
        "en": "All are in checkpoint {size} of the public log, signed at {when}; no "
        "independent witness has cosigned it yet.",
    },
    "page.not_in_checkpoint": {
        "vi": "Bản ghi mới nhất chưa nằm trong checkpoint đã ký; hãy tải lại sau ít giây.",
        "en": "The newest record is not in a signed checkpoint yet; reload in a few seconds.",
    },
    "page.broken": {"vi": "Hồ sơ KHÔNG toàn vẹn", "en": "The record is NOT intact"},
    "page.broken_detail": {
        "vi": "Đừng tin các thông tin dưới đây cho đến khi cơ quan quản lý kiểm tra lại:",
        "en": "Do not trust what follows until the authority has checked it again:",
    },
    "page.device_running": {
        "vi": "Đang kiểm tra lại trên thiết bị này…",
        "en": "Checking again on this device…",
    },
    "page.device_ok": {
        "vi": "Đã kiểm tra trên thiết bị này: {n} chữ ký và bằng chứng đều đúng ({w} nhân chứng).",
        "en": "Verified on this device: {n} signatures and proofs are correct ({w} witnesses).",
    },
    "page.device_failed": {
        "vi": "Kiểm tra trên thiết bị này THẤT BẠI ở bản ghi {seq} ({what}).",
        "en": "The check on this device FAILED at record {seq} ({what}).",
    },
    # What the check on the phone found wrong, named in the failure sentence ({what}).
    "page.device_what.checkpoint": {
        "vi": "chữ ký của điểm kiểm tra sổ",
        "en": "the log checkpoint's signature",
    },
    "page.device_what.key": {"vi": "khoá ký không rõ", "en": "an unknown signing key"},
    "page.device_what.signature": {"vi": "chữ ký không khớp", "en": "the signature does not match"},
    "page.device_what.record_hash": {
        "vi": "bản ghi đã bị sửa",
        "en": "the record was changed",
    },
    "page.device_what.chain": {"vi": "chuỗi bản ghi bị đứt", "en": "the chain is broken"},
    "page.device_what.inclusion": {
        "vi": "không có trong sổ đã ký",
        "en": "not in the signed log",
    },
    "page.device_unsupported": {
        "vi": "Trình duyệt này chưa kiểm tra được chữ ký Ed25519; kết quả trên vẫn là của máy chủ.",
        "en": "This browser cannot check Ed25519 signatures; the result above is the server's.",
    },
    "page.device_error": {
        "vi": "Không tải được bằng chứng để kiểm tra trên thiết bị này.",
        "en": "The proofs for the check on this device could not be loaded.",
    },
    "page.product": {"vi": "Sản phẩm", "en": "Product"},
    "page.producer": {"vi": "Nhà sản xuất", "en": "Producer"},
    "page.household": {"vi": "Hộ sản xuất tại {place}", "en": "Household farm in {place}"},
    "page.origin": {"vi": "Xuất xứ", "en": "Origin"},
    "page.map": {"vi": "Bản đồ: xuất xứ {place}", "en": "Map: origin {place}"},
    "page.lot": {"vi": "Lô", "en": "Lot"},
    "page.code": {"vi": "Mã tra cứu", "en": "Lookup code"},
    "page.quantity": {"vi": "Khối lượng lô", "en": "Lot quantity"},
    "page.produced": {"vi": "Ngày sản xuất", "en": "Production date"},
    "page.expires": {"vi": "Hạn sử dụng", "en": "Use by"},
    "page.certificates": {"vi": "Chứng nhận", "en": "Certificates"},
    "page.ocop": {"vi": "OCOP {stars} sao", "en": "OCOP {stars} stars"},
    "page.certificate_detail": {
        "vi": "Số {number}, quyết định {decision}, {issuer}; hiệu lực {start} – {end}",
        "en": "No. {number}, decision {decision}, {issuer}; valid {start} – {end}",
    },
    "page.expired": {"vi": "ĐÃ HẾT HẠN", "en": "EXPIRED"},
    "page.not_yet_valid": {"vi": "chưa có hiệu lực", "en": "not yet valid"},
    "page.inputs": {"vi": "Làm từ các lô", "en": "Made from these batches"},
    "page.timeline": {"vi": "Hành trình của lô hàng", "en": "The batch's journey"},
    "page.occurred": {"vi": "Diễn ra", "en": "Happened"},
    "page.recorded": {"vi": "ghi nhận", "en": "recorded"},
    "page.gap": {"vi": "ghi sau {days} ngày", "en": "recorded {days} days later"},
    "page.signed_by": {"vi": "Ký bởi", "en": "Signed by"},
    "page.corrected": {"vi": "Đã được đính chính: {reason}", "en": "Corrected: {reason}"},
    "page.analyte": {"vi": "Chỉ tiêu", "en": "Analyte"},
    "page.value": {"vi": "Kết quả", "en": "Result"},
    "page.limit": {"vi": "Giới hạn", "en": "Limit"},
    "page.verdict": {"vi": "Đánh giá", "en": "Verdict"},
    "page.conformant": {"vi": "Đạt", "en": "Pass"},
    "page.non_conformant": {"vi": "Không đạt", "en": "Fail"},
    "page.serial": {"vi": "Tem số {serial}", "en": "Label {serial}"},
    "page.scans": {
        "vi": "Tem này đã được quét {count} lần (thiết bị-ngày khác nhau) từ {since}.",
        "en": "This label has been scanned {count} times (distinct device-days) since {since}.",
    },
    "page.first_scan": {
        "vi": "Đây là lần quét đầu tiên của tem này.",
        "en": "This is the first scan of this label.",
    },
    "page.copied": {
        "vi": "Cảnh báo: tem này được quét từ {places} mạng khác nhau. Tem có thể đã bị sao chép; "
        "hãy hỏi người bán và báo cho cơ quan quản lý.",
        "en": "Warning: this label was scanned from {places} different networks. It may have "
        "been copied; ask the seller and tell the authority.",
    },
    "page.check_yourself": {
        "vi": "Tự kiểm tra: dữ liệu đầy đủ kèm bằng chứng",
        "en": "Check it yourself: the full data with proofs",
    },
    "page.report": {
        "vi": "Thấy tem đáng ngờ? Báo cho Chi cục Quản lý chất lượng nông lâm thủy sản tỉnh, "
        "kèm mã tra cứu in dưới mã QR.",
        "en": "A suspicious label? Tell the provincial agri-food quality authority, with the "
        "lookup code printed under the QR code.",
    },
    "page.not_found_title": {"vi": "Không tìm thấy mã này", "en": "This code was not found"},
    "page.not_found": {
        "vi": "Không có lô hàng nào mang mã {code}. Hãy đối chiếu mã 14 ký tự in ngay dưới mã QR "
        "(chữ O đọc là số 0, chữ I và L là số 1) rồi nhập lại dưới đây.",
        "en": "No batch has the code {code}. Compare it with the 14-character code printed just "
        "under the QR code (O reads as 0, I and L as 1) and type it again below.",
    },
    "page.not_found_warning": {
        "vi": "Nếu mã đúng mà vẫn không tìm thấy, tem có thể là giả: đừng tin thông tin trên bao "
        "bì và hãy báo cho cơ quan quản lý.",
        "en": "If the code is right and still not found, the label may be fake: do not trust "
        "the package and tell the authority.",
    },
    "page.lookup": {"vi": "Tra cứu", "en": "Look up"},
    "page.lookup_label": {
        "vi": "Mã in dưới mã QR",
        "en": "The code printed under the QR code",
    },
    "page.too_many": {
        "vi": "Bạn đã tra cứu quá nhiều lần trong thời gian ngắn. Hãy thử lại sau {seconds} giây.",
        "en": "Too many lookups in a short time. Try again in {seconds} seconds.",
    },
    "page.process.milling": {"vi": "Xay xát", "en": "Milling"},
    "page.process.drying": {"vi": "Sấy khô", "en": "Drying"},
    "page.process.blending": {"vi": "Phối trộn", "en": "Blending"},
    "page.process.splitting": {"vi": "Chia lô", "en": "Splitting"},
    "page.process.merging": {"vi": "Gộp lô", "en": "Merging"},
    "page.process.repacking": {"vi": "Đóng gói lại", "en": "Repacking"},
    "page.per.HAR": {"vi": "ha", "en": "ha"},
    "page.per.MTK": {"vi": "m²", "en": "m²"},
    "page.per.LTR": {"vi": "lít nước pha", "en": "L of mixture"},
    "kind.registered": {"vi": "Đăng ký lô hàng", "en": "Batch registered"},
    "kind.planted": {"vi": "Gieo trồng", "en": "Planted"},
    "kind.input_applied": {"vi": "Bón phân, phun thuốc", "en": "Inputs applied"},
    "kind.harvested": {"vi": "Thu hoạch", "en": "Harvested"},
    "kind.processed": {"vi": "Sơ chế, chế biến", "en": "Processed"},
    "kind.packed": {"vi": "Đóng gói", "en": "Packed"},
    "kind.inspected": {"vi": "Kiểm nghiệm", "en": "Inspected"},
    "kind.certified": {"vi": "Chứng nhận", "en": "Certified"},
    "kind.shipped": {"vi": "Xuất hàng", "en": "Shipped"},
    "kind.received": {"vi": "Nhận hàng", "en": "Received"},
    "kind.sold": {"vi": "Bán ra", "en": "Sold"},
    "kind.transformed": {"vi": "Chế biến từ lô khác", "en": "Made from other batches"},
    "kind.recalled": {"vi": "Thu hồi", "en": "Recalled"},
    "kind.corrected": {"vi": "Đính chính", "en": "Correction"},
    "kind.serialised": {"vi": "In tem có số sê-ri", "en": "Serial labels printed"},
    "kind.malformed": {"vi": "Bản ghi hỏng", "en": "Damaged record"},
    "page.recorded_at": {"vi": "Ghi nhận lúc", "en": "Recorded"},
    "page.unshown.malformed": {
        "vi": "Nội dung bản ghi này không đọc được. Phần kiểm tra toàn vẹn ở trên cho biết "
        "bản ghi có bị sửa hay không.",
        "en": "The content of this record cannot be read. The integrity check above says "
        "whether it was altered.",
    },
    "page.unshown.out_of_range": {
        "vi": "Ngày giờ trong bản ghi này nằm ngoài khoảng sổ cái chấp nhận (1970–2199), nên chỉ "
        "hiện lúc sổ cái ghi nhận. Chữ ký và chuỗi băm vẫn được kiểm tra.",
        "en": "The date in this record lies outside the range the ledger accepts (1970–2199), so "
        "only the time it was recorded is shown. Its signature and chain are still checked.",
    },
    "internal": {
        "vi": "Lỗi máy chủ. Không có dữ liệu nào bị thay đổi; hãy thử lại hoặc báo cho "
        "người vận hành kèm mã {reference}.",
        "en": "Server error. No data was changed; retry, or report it to the operator with "
        "reference {reference}.",
    },
    # Permission rules (trace/domain/rules.py).
    "not_permitted": {
        "vi": "Không được phép: {detail}",
        "en": "Not permitted: {detail}",
    },
    "not_permitted.kind_not_allowed_for_agency": {
        "vi": "Đơn vị loại '{agency_kind}' không được ghi sự kiện '{kind}'.",
        "en": "An agency of kind '{agency_kind}' may not record '{kind}' events.",
    },
    "not_permitted.not_batch_producer": {
        "vi": "Chỉ đơn vị sản xuất của lô hàng mới được ghi sự kiện '{kind}'.",
        "en": "Only the batch's producer may record '{kind}' events.",
    },
    "not_permitted.not_current_holder": {
        "vi": "Chỉ đơn vị đang giữ hàng mới được ghi sự kiện '{kind}'.",
        "en": "Only the agency currently holding the goods may record '{kind}' events.",
    },
    "not_permitted.labels_not_producer": {
        "vi": "Chỉ đơn vị sản xuất lô hàng này mới được in nhãn và đăng ký đợt in nhãn của lô.",
        "en": "Only the producer of this batch may print its labels and register its print runs.",
    },
    "not_permitted.batch_not_registered": {
        "vi": "Lô hàng chưa được đăng ký: hãy ghi sự kiện 'registered' trước.",
        "en": "The batch is not registered: record a 'registered' event first.",
    },
    "not_permitted.batch_already_registered": {
        "vi": "Lô hàng này đã được đăng ký.",
        "en": "This batch is already registered.",
    },
    "not_permitted.batch_recalled": {
        "vi": "Lô hàng đã bị thu hồi: không được ghi sự kiện '{kind}'.",
        "en": "The batch has been recalled: '{kind}' events are no longer allowed.",
    },
    "not_permitted.not_shipment_recipient": {
        "vi": "Chỉ đơn vị nhận của lần vận chuyển mới được ghi 'received'.",
        "en": "Only the shipment's recipient may record 'received'.",
    },
    "not_permitted.not_original_recorder": {
        "vi": "Chỉ đơn vị đã ghi bản ghi gốc mới được đính chính nó.",
        "en": "Only the agency that recorded the original may correct it.",
    },
    "not_permitted.input_not_held": {
        "vi": "Đơn vị chế biến không giữ lô nguyên liệu {input}.",
        "en": "The processor does not hold input batch {input}.",
    },
    "not_permitted.input_unknown": {
        "vi": "Lô nguyên liệu {input} không tồn tại.",
        "en": "Input batch {input} does not exist.",
    },
    "not_permitted.batch_in_transit": {
        "vi": "Lô hàng đang trên đường vận chuyển: chờ bên nhận ghi 'received' trước.",
        "en": "The batch is in transit: the recipient must record 'received' first.",
    },
    "not_permitted.batch_sold_out": {
        "vi": "Lô hàng đã bán hết: không được ghi sự kiện '{kind}'.",
        "en": "The batch is sold out: '{kind}' events are no longer allowed.",
    },
    "not_permitted.ship_to_self": {
        "vi": "Không thể vận chuyển lô hàng cho chính đơn vị mình.",
        "en": "A batch cannot be shipped to the agency that holds it.",
    },
    "not_permitted.shipment_sender_mismatch": {
        "vi": "Bên gửi ghi trong sự kiện 'received' không phải là đơn vị đã gửi lô hàng.",
        "en": "The sender named in 'received' is not the agency that shipped the batch.",
    },
    "not_permitted.input_is_output": {
        "vi": "Một lô hàng không thể là nguyên liệu của chính nó.",
        "en": "A batch cannot be an input of itself.",
    },
    "not_permitted.input_recalled": {
        "vi": "Lô nguyên liệu {input} đã bị thu hồi và không được dùng để chế biến.",
        "en": "Input batch {input} has been recalled and cannot be used.",
    },
    "not_permitted.input_sold_out": {
        "vi": "Lô nguyên liệu {input} đã bán hết.",
        "en": "Input batch {input} is sold out.",
    },
    "not_permitted.corrected_record_unknown": {
        "vi": "Bản ghi cần đính chính không thuộc lô hàng này.",
        "en": "The record to correct is not a record of this batch.",
    },
    "not_permitted.statement_not_yours": {
        "vi": "Tuyên bố ghi tên một đơn vị khác với đơn vị của mã truy cập.",
        "en": "The statement names another agency than the access token's.",
    },
    # Chain faults (trace/domain/chain.py).
    "fault.missing": {
        "vi": "bản ghi {seq} bị thiếu (đã bị xoá hoặc chuyển đi)",
        "en": "record {seq} is missing (deleted or moved away)",
    },
    "fault.out_of_order": {
        "vi": "bản ghi {seq} bị trùng hoặc sai thứ tự",
        "en": "record {seq} is repeated or out of order",
    },
    "fault.broken_link": {
        "vi": "bản ghi {seq} không nối với bản ghi trước nó",
        "en": "record {seq} does not link to the record before it",
    },
    "fault.changed": {
        "vi": "bản ghi {seq} đã bị sửa sau khi được ký",
        "en": "record {seq} was changed after it was signed",
    },
    "fault.malformed": {
        "vi": "bản ghi {seq} không còn là một tuyên bố hợp lệ",
        "en": "record {seq} is no longer a valid statement",
    },
    "fault.moved": {
        "vi": "bản ghi {seq} thuộc về một lô hàng khác",
        "en": "record {seq} belongs to another batch",
    },
    "fault.unknown_key": {
        "vi": "bản ghi {seq} được ký bằng một khoá không thuộc đơn vị",
        "en": "record {seq} is signed with a key that is not the agency's",
    },
    "fault.bad_signature": {
        "vi": "chữ ký của bản ghi {seq} không hợp lệ",
        "en": "the signature of record {seq} is not valid",
    },
    "fault.revoked_key": {
        "vi": "bản ghi {seq} được ký bằng khoá đã bị thu hồi vì lộ",
        "en": "record {seq} is signed with a key revoked as compromised",
    },
    "fault.head_mismatch": {
        "vi": "đầu chuỗi của lô hàng không khớp bản ghi cuối {seq}",
        "en": "the batch head does not match its last record {seq}",
    },
    "fault.log_gap": {
        "vi": "vị trí {position} của nhật ký bị thiếu",
        "en": "log position {position} is missing",
    },
    "fault.backdated": {
        "vi": "bản ghi {seq} mang thời điểm ghi sớm hơn bản ghi đứng trước nó trong nhật ký",
        "en": "record {seq} is dated earlier than the record before it in the log",
    },
    "fault.tree_mismatch": {
        "vi": "cây Merkle lưu trữ không khớp các bản ghi (từ vị trí {position})",
        "en": "the stored Merkle tree does not match the records (from position {position})",
    },
    "fault.checkpoint_mismatch": {
        "vi": "checkpoint kích thước {position} đã công bố không khớp các bản ghi hiện tại: "
        "lịch sử đã bị viết lại",
        "en": "the published checkpoint of size {position} does not match the records now: "
        "history was rewritten",
    },
    "fault.checkpoint_signature": {
        "vi": "có checkpoint không được ký bằng khoá của nhật ký",
        "en": "a checkpoint is not signed by the log's key",
    },
    "fault.orphan": {
        "vi": "có bản ghi thuộc về một lô hàng không tồn tại",
        "en": "some records belong to a batch that does not exist",
    },
    # Command-line output.
    "cli.description": {
        "vi": "trace: sổ cái truy xuất nguồn gốc có chữ ký cho nông sản và sản phẩm OCOP.",
        "en": "trace: a signed traceability ledger for agri-food and OCOP products.",
    },
    "cli.port_in_use": {
        "vi": "Cổng {port} trên {host} đang có chương trình khác lắng nghe. Hãy dừng chương trình "
        "đó, hoặc chạy với --port khác.",
        "en": "Something else is listening on port {port} of {host}. Stop it, or run with "
        "another --port.",
    },
    "cli.serving": {
        "vi": "Dịch vụ đang chạy tại {url}",
        "en": "The service is running at {url}",
    },
    "cli.migrated": {
        "vi": "Cơ sở dữ liệu đã ở phiên bản mới nhất ({revision}).",
        "en": "The database is at the newest schema ({revision}).",
    },
    "cli.verify_ok": {
        "vi": "Toàn vẹn: {batches} lô hàng, {records} bản ghi, mọi chữ ký và chuỗi đều hợp lệ.",
        "en": "Intact: {batches} batches, {records} records, every signature and chain valid.",
    },
    "cli.verify_failed": {
        "vi": "PHÁT HIỆN {count} lỗi toàn vẹn trong {batches} lô hàng:",
        "en": "FOUND {count} integrity failures in {batches} batches:",
    },
    "cli.verify_fault": {
        "vi": "lô {batch} ({code}), bản ghi {seq}, vị trí {position}: {message}",
        "en": "batch {batch} ({code}), record {seq}, position {position}: {message}",
    },
    "cli.verify_log_fault": {
        "vi": "nhật ký, vị trí {position}: {message}",
        "en": "log, position {position}: {message}",
    },
    "cli.labels_written": {
        "vi": "Đã ghi {count} nhãn vào {path}",
        "en": "Wrote {count} labels to {path}",
    },
    "cli.labels_run": {
        "vi": "Đợt in nhãn có số sê-ri đã được ghi vào sổ cái: {run}",
        "en": "The print run of serialised labels is recorded in the ledger: {run}",
    },
    "cli.demo_serial": {
        "vi": "    Một hộp quà có tem số sê-ri:",
        "en": "    A gift box with a serialised label:",
    },
    "cli.demo_labels": {
        "vi": "Tờ nhãn A4 của các lô mẫu:",
        "en": "An A4 sheet of the demo batches' labels:",
    },
    "cli.demo_done": {
        "vi": "Đã tạo dữ liệu mẫu. Các lô hàng (địa chỉ in trên tem QR, rồi địa chỉ API):",
        "en": "Demo data created. Batches (the address printed in the QR code, then the API):",
    },
    "cli.demo_present": {
        "vi": "Dữ liệu mẫu đã có sẵn; không ghi thêm. Các lô hàng (tem QR, rồi API):",
        "en": "The demo data is already present; nothing written. Batches (QR code, then API):",
    },
    "cli.agency_created": {
        "vi": "Đã tạo đơn vị {name} ({kind}). Mã truy cập chỉ hiện một lần này:",
        "en": "Created agency {name} ({kind}). The access token is shown this once only:",
    },
    "cli.error": {
        "vi": "Lỗi: {message}",
        "en": "Error: {message}",
    },
    # The witness (trace/witness.py, trace/domain/witness.py).
    "witness.refused": {
        "vi": "Nhân chứng từ chối: {detail}",
        "en": "The witness refuses: {detail}",
    },
    "witness.origin_changed": {
        "vi": "Checkpoint mới thuộc nhật ký '{found}', không phải '{expected}' mà nhân chứng đã "
        "đồng ký: đây là một nhật ký khác, nhân chứng từ chối. Hãy dùng một thư mục trạng thái "
        "riêng cho mỗi nhật ký.",
        "en": "The new checkpoint is of log '{found}', not '{expected}' which the witness "
        "cosigned: this is another log and the witness refuses. Use one state directory per log.",
    },
    "witness.log_key_type": {
        "vi": "Khoá {key} không phải khoá Ed25519 của một nhật ký (có phải khoá nhân chứng?).",
        "en": "Key {key} is not a log's Ed25519 key (is it a witness key?).",
    },
    "witness.log_key_tofu": {
        "vi": "Tin ở lần dùng đầu (TOFU): đã ghim khoá nhật ký {key} vào {path}. Hãy đối chiếu "
        "khoá này với đơn vị vận hành nhật ký qua một kênh khác; từ nay nhân chứng từ chối mọi "
        "khoá khác.",
        "en": "Trust on first use: pinned the log's key {key} in {path}. Compare it with the "
        "log operator's through another channel; from now on the witness refuses any other key.",
    },
    "witness.log_key_pinned": {
        "vi": "Đã ghim khoá nhật ký {key} (từ --log-key) vào {path}.",
        "en": "Pinned the log's key {key} (from --log-key) in {path}.",
    },
    "witness.log_key_mismatch": {
        "vi": "Khoá nhật ký {found} khác với khoá {pinned} đã ghim trong {path}: nhân chứng từ "
        "chối. Nếu nhật ký thật sự đã đổi khoá, hãy xác minh với đơn vị vận hành rồi dùng một "
        "thư mục trạng thái mới.",
        "en": "The log key {found} differs from the key {pinned} pinned in {path}: the witness "
        "refuses. If the log really changed its key, confirm it with the operator and start a "
        "new state directory.",
    },
    "witness.signer_key": {
        "vi": "Tệp {path} không chứa khoá ký cosignature/v1 của nhân chứng ({error}). Hãy tạo "
        "khoá bằng `python -m trace witness-keygen`.",
        "en": "File {path} does not hold a witness's cosignature/v1 signing key ({error}). "
        "Create one with `python -m trace witness-keygen`.",
    },
    "witness.state_invalid": {
        "vi": "Checkpoint đã lưu trong {path} không khớp khoá nhật ký đã ghim ({error}); nhân "
        "chứng dừng lại thay vì đoán.",
        "en": "The checkpoint stored in {path} does not verify with the pinned log key "
        "({error}); the witness stops rather than guess.",
    },
    "witness.locked": {
        "vi": "Một nhân chứng khác đang dùng thư mục trạng thái {path}.",
        "en": "Another witness is using the state directory {path}.",
    },
    "witness.bad_url": {
        "vi": "Địa chỉ nhật ký phải bắt đầu bằng http:// hoặc https://, nhận được {url!r}.",
        "en": "The log's address must start with http:// or https://, found {url!r}.",
    },
    "witness.first": {
        "vi": "Checkpoint đầu tiên của {origin}: kích thước {size}, gốc {root}. Đã đồng ký và "
        "gửi cho nhật ký.",
        "en": "First checkpoint of {origin}: size {size}, root {root}. Cosigned and sent to "
        "the log.",
    },
    "witness.grew": {
        "vi": "Nhật ký {origin} tăng từ {old_size} lên {size} bản ghi; bằng chứng nhất quán hợp "
        "lệ. Đã đồng ký checkpoint kích thước {size}, gốc {root}.",
        "en": "Log {origin} grew from {old_size} to {size} leaves; the consistency proof holds. "
        "Cosigned the checkpoint of size {size}, root {root}.",
    },
    "witness.unchanged": {
        "vi": "Không có gì mới: {origin} vẫn ở kích thước {size}, gốc {root}, đã mang chữ ký "
        "đồng ký của nhân chứng.",
        "en": "Nothing new: {origin} is still at size {size}, root {root}, already cosigned by "
        "this witness.",
    },
    "witness.reposted": {
        "vi": "Không có gì mới ở {origin} (kích thước {size}), nhưng checkpoint chưa mang chữ "
        "ký đồng ký của nhân chứng: đã gửi lại.",
        "en": "Nothing new at {origin} (size {size}), but the checkpoint did not carry this "
        "witness's cosignature: sent it again.",
    },
    "witness.forked": {
        "vi": "NHẬT KÝ ĐÃ BỊ RẼ NHÁNH: {reason}\n"
        "  đã đồng ký: kích thước {old_size}, gốc {old_root}\n"
        "  nay nhận:   kích thước {new_size}, gốc {new_root}\n"
        "Nhân chứng từ chối đồng ký. Bằng chứng (cả hai checkpoint đều do khoá nhật ký ký) đã "
        "lưu tại {evidence}",
        "en": "THE LOG HAS FORKED: {reason}\n"
        "  cosigned:   size {old_size}, root {old_root}\n"
        "  now served: size {new_size}, root {new_root}\n"
        "The witness refuses to cosign. The evidence (both checkpoints signed by the log's key) "
        "is in {evidence}",
    },
    "witness.fork.smaller": {
        "vi": "nhật ký {origin} đã rẽ nhánh hoặc quay lui: cây nhỏ hơn cây đã được đồng ký.",
        "en": "log {origin} has forked or rolled back: its tree is smaller than the one cosigned.",
    },
    "witness.fork.other_root": {
        "vi": "nhật ký {origin} đã rẽ nhánh: cùng kích thước nhưng khác gốc.",
        "en": "log {origin} has forked: the same size with another root.",
    },
    "witness.fork.proof": {
        "vi": "nhật ký {origin} đã rẽ nhánh: bằng chứng nhất quán không nối gốc đã đồng ký với "
        "gốc mới ({detail}).",
        "en": "log {origin} has forked: the consistency proof does not link the cosigned root "
        "to the new one ({detail}).",
    },
    "witness.evidence_readme": {
        "vi": "BẰNG CHỨNG NHẬT KÝ RẼ NHÁNH\n\n"
        "Lúc {time}, nhân chứng {witness} phát hiện nhật ký {origin} tại {url} đã rẽ nhánh.\n"
        "{reason}\n\n"
        "- cosigned-checkpoint.txt: checkpoint nhân chứng đã đồng ký (kích thước {old_size}, "
        "gốc {old_root}).\n"
        "- new-checkpoint.txt: checkpoint nhật ký trả về sau đó (kích thước {new_size}, gốc "
        "{new_root}).\n"
        "- consistency-proof.json: bằng chứng nhất quán đúng như nhật ký trả về (chỉ có khi cây "
        "mới lớn hơn).\n"
        "- log-key.txt: khoá xác minh của nhật ký.\n\n"
        "Cả hai checkpoint đều được ký bằng khoá nhật ký {log_key}; ai cũng kiểm tra được chữ "
        "ký. Một nhật ký chỉ ghi thêm không thể ký cả hai, nên đây là bằng chứng nhật ký đã cho "
        "những người đọc khác nhau xem những lịch sử khác nhau. Hãy giữ nguyên các tệp này và "
        "báo cho đơn vị vận hành nhật ký và cơ quan quản lý.\n",
        "en": "EVIDENCE THAT THE LOG HAS FORKED\n\n"
        "At {time}, witness {witness} found that log {origin} at {url} has forked.\n"
        "{reason}\n\n"
        "- cosigned-checkpoint.txt: the checkpoint the witness had cosigned (size {old_size}, "
        "root {old_root}).\n"
        "- new-checkpoint.txt: the checkpoint the log served afterwards (size {new_size}, root "
        "{new_root}).\n"
        "- consistency-proof.json: the consistency proof exactly as the log served it (only "
        "when the new tree is larger).\n"
        "- log-key.txt: the log's verifier key.\n\n"
        "Both checkpoints are signed with the log key {log_key}; anyone can check the "
        "signatures. An append-only log cannot sign both, so they prove that the log has shown "
        "different readers different histories. Keep these files unchanged and report them to "
        "the log's operator and to the supervising authority.\n",
    },
    "witness.unreachable": {
        "vi": "Không kết nối được nhật ký tại {url}: {error}",
        "en": "Could not reach the log at {url}: {error}",
    },
    "witness.bad_answer": {
        "vi": "Nhật ký tại {url} trả lời không hợp lệ cho {path}: {error}",
        "en": "The log at {url} gave an invalid answer to {path}: {error}",
    },
    "witness.post_refused": {
        "vi": "Nhật ký từ chối chữ ký đồng ký (HTTP {status}): {error}. Nếu khoá nhân chứng "
        "chưa được đăng ký, đơn vị vận hành chạy: python -m trace log-witness add {key}",
        "en": "The log refused the cosignature (HTTP {status}): {error}. If the witness key is "
        "not registered yet, the operator runs: python -m trace log-witness add {key}",
    },
    "witness.retry": {
        "vi": "Sẽ thử lại sau {seconds} giây.",
        "en": "Retrying in {seconds} seconds.",
    },
    "witness.keygen_done": {
        "vi": "Đã ghi khoá ký của nhân chứng vào {path} (chỉ chủ sở hữu đọc được; hãy giữ bí "
        "mật). Khoá xác minh in ra dưới đây: gửi cho đơn vị vận hành nhật ký để họ chạy "
        "`python -m trace log-witness add <khoá>`.",
        "en": "Wrote the witness's signing key to {path} (readable by its owner only; keep it "
        "secret). The verifier key is printed below: send it to the log's operator, who runs "
        "`python -m trace log-witness add <key>`.",
    },
    "witness.keygen_exists": {
        "vi": "Tệp {path} đã tồn tại: không ghi đè khoá.",
        "en": "File {path} already exists: the key is not overwritten.",
    },
    # Proof bundles (trace/domain/bundle.py, `python -m trace verify-bundle`).
    "bundle.heading": {
        "vi": "Kiểm tra gói bằng chứng {path} (ngoại tuyến, không cần mạng hay cơ sở dữ liệu):",
        "en": "Checking the proof bundle {path} (offline, no network or database needed):",
    },
    "bundle.pass": {"vi": "ĐẠT", "en": "PASS"},
    "bundle.fail": {"vi": "KHÔNG ĐẠT", "en": "FAIL"},
    "bundle.check.format": {
        "vi": "Định dạng gói: {format}",
        "en": "Bundle format: {format}",
    },
    "bundle.check.statement": {
        "vi": "Tuyên bố ở dạng chuẩn và hợp lệ: sự kiện '{kind}' của lô {batch}, "
        "xảy ra lúc {occurred_at}",
        "en": "The statement is canonical and valid: a '{kind}' event of batch {batch}, "
        "occurred at {occurred_at}",
    },
    "bundle.check.key": {
        "vi": "Mã khoá {key_id} khớp với tuyên bố và với khoá công khai của đơn vị",
        "en": "Key id {key_id} matches the statement and the agency's public key",
    },
    "bundle.check.signature": {
        "vi": "Chữ ký Ed25519 của đơn vị (khoá {key_id}) trên tuyên bố hợp lệ",
        "en": "The agency's Ed25519 signature (key {key_id}) on the statement verifies",
    },
    "bundle.check.record": {
        "vi": "Bản ghi số {seq}, vị trí {position}: mã băm bản ghi tính lại khớp ({record_hash})",
        "en": "Record {seq} at position {position}: the recomputed record hash matches "
        "({record_hash})",
    },
    "bundle.check.inclusion": {
        "vi": "Bằng chứng bao hàm: bản ghi là lá {index} của cây {size} lá có gốc ghi trong "
        "checkpoint đã ký",
        "en": "Inclusion proof: the record is leaf {index} of the {size}-leaf tree whose root "
        "the signed checkpoint holds",
    },
    "bundle.check.checkpoint": {
        "vi": "Checkpoint của nhật ký {origin} (kích thước {size}) có chữ ký hợp lệ của khoá "
        "nhật ký đã ghim {key}",
        "en": "The checkpoint of log {origin} (size {size}) is validly signed by the pinned "
        "log key {key}",
    },
    "bundle.check.checkpoint.unpinned": {
        "vi": "Checkpoint của nhật ký {origin} (kích thước {size}) có chữ ký hợp lệ của khoá "
        "{key} do chính gói đưa ra (chưa ghim)",
        "en": "The checkpoint of log {origin} (size {size}) is validly signed by the key {key} "
        "the bundle itself names (not pinned)",
    },
    "bundle.check.cosignature": {
        "vi": "Nhân chứng bắt buộc {witness} đã đồng ký checkpoint lúc {time}",
        "en": "The required witness {witness} cosigned the checkpoint at {time}",
    },
    "bundle.check.cosignature.unpinned": {
        "vi": "Nhân chứng {witness} (gói liệt kê, không bắt buộc) đã đồng ký hợp lệ lúc {time}",
        "en": "Witness {witness} (listed by the bundle, not required) validly cosigned at {time}",
    },
    "bundle.check.tlog_proof": {
        "vi": "Bản tlog-proof (C2SP) khớp với bằng chứng bao hàm và checkpoint ở trên",
        "en": "The C2SP tlog-proof text matches the inclusion proof and checkpoint above",
    },
    "bundle.unreadable": {
        "vi": "Tệp không phải JSON đọc được ({reason}): {detail}",
        "en": "The file is not readable JSON ({reason}): {detail}",
    },
    "bundle.format": {
        "vi": "Gói không đúng định dạng trace.proof-bundle/v1: {detail}",
        "en": "The bundle is not in the trace.proof-bundle/v1 format: {detail}",
    },
    "bundle.statement": {
        "vi": "Tuyên bố trong gói không hợp lệ: {detail}",
        "en": "The statement in the bundle is invalid: {detail}",
    },
    "bundle.key": {
        "vi": "Mã khoá không khớp với tuyên bố hoặc với khoá công khai: {detail}",
        "en": "The key id does not match the statement or the public key: {detail}",
    },
    "bundle.signature": {
        "vi": "Chữ ký của đơn vị trên tuyên bố không hợp lệ: {detail}",
        "en": "The agency's signature on the statement does not verify: {detail}",
    },
    "bundle.record": {
        "vi": "Các trường của bản ghi không khớp với mã băm bản ghi: {detail}",
        "en": "The record's fields do not match its record hash: {detail}",
    },
    "bundle.inclusion": {
        "vi": "Bằng chứng bao hàm không dẫn tới gốc của checkpoint đã ký: {detail}",
        "en": "The inclusion proof does not lead to the signed checkpoint's root: {detail}",
    },
    "bundle.checkpoint": {
        "vi": "Checkpoint hoặc chữ ký của nhật ký trên checkpoint không hợp lệ: {detail}",
        "en": "The checkpoint or the log's checkpoint signature is invalid: {detail}",
    },
    "bundle.cosignature": {
        "vi": "Thiếu hoặc sai chữ ký đồng ký (cosignature) của nhân chứng: {detail}",
        "en": "A witness cosignature is missing or invalid: {detail}",
    },
    "bundle.tlog_proof": {
        "vi": "Bản tlog-proof không khớp với các trường JSON của gói: {detail}",
        "en": "The tlog-proof text does not match the bundle's JSON fields: {detail}",
    },
    "bundle.tlog_proof_malformed": {
        "vi": "Văn bản không đúng định dạng c2sp.org/tlog-proof@v1 ({reason}): {detail}",
        "en": "The text does not follow c2sp.org/tlog-proof@v1 ({reason}): {detail}",
    },
    "bundle.valid": {
        "vi": "HỢP LỆ: bản ghi số {seq} của lô {batch} nằm ở vị trí {position} của nhật ký "
        "{origin} (kích thước {size}), đúng như gói bằng chứng nói.",
        "en": "VALID: record {seq} of batch {batch} is at position {position} of log {origin} "
        "(size {size}), as the proof bundle says.",
    },
    "bundle.rejected": {
        "vi": "KHÔNG HỢP LỆ: đừng tin bản ghi này cho đến khi có một gói bằng chứng đúng.",
        "en": "NOT VALID: do not trust this record until a correct proof bundle is given.",
    },
    "bundle.log_key_unpinned": {
        "vi": "Cảnh báo: chưa ghim khoá nhật ký (--log-key), nên đã dùng khoá {key} do chính gói "
        "đưa ra. Điều này chỉ chứng tỏ gói tự nhất quán, không chứng tỏ nó đến từ nhật ký bạn tin.",
        "en": "Warning: no log key was pinned (--log-key), so the key {key} the bundle itself "
        "names was used. This shows the bundle is self-consistent, not that it comes from a log "
        "you trust.",
    },
    "bundle.no_witness_required": {
        "vi": "Lưu ý: không yêu cầu nhân chứng nào (--witness-key), nên không có gì chứng tỏ "
        "nhật ký đưa cùng một checkpoint cho mọi người.",
        "en": "Note: no witness was required (--witness-key), so nothing shows that the log "
        "shows everyone the same checkpoint.",
    },
    "bundle.file_unreadable": {
        "vi": "Không đọc được tệp {path}: {detail}",
        "en": "Cannot read the file {path}: {detail}",
    },
    "bundle.key_argument": {
        "vi": "'{value}' không phải khoá xác minh (tên+mã khoá+base64) cũng không phải tệp chứa "
        "khoá đó: {detail}",
        "en": "'{value}' is neither a verifier key (name+keyid+base64) nor a file holding one: "
        "{detail}",
    },  # --- search, history and the inspectors' audit trail (issue 6) ---
    "forbidden.scope_record": {
        "vi": "Mã truy cập này không có quyền ghi ('record'): mã của thanh tra chỉ dùng để tra "
        "cứu, không ghi được sự kiện sản xuất, vận chuyển hay nhãn. Hãy dùng mã truy cập có quyền "
        "ghi của đơn vị.",
        "en": "This token does not have the 'record' scope: an inspector's token queries and "
        "cannot record production, shipping or label events. Use a token of your agency that "
        "may record.",
    },
    "forbidden.scope_recall": {
        "vi": "Mã truy cập này không có quyền thu hồi ('recall'). Hãy dùng mã truy cập của cơ "
        "quan quản lý có quyền thu hồi.",
        "en": "This token does not have the 'recall' scope. Use an authority's token that may "
        "issue recalls.",
    },
    "forbidden.scope_inspect": {
        "vi": "Mã truy cập này không có quyền tra cứu của thanh tra ('inspect'). Hãy xin đơn vị "
        "cấp một mã truy cập có quyền này.",
        "en": "This token does not have the 'inspect' scope of inspectors. Ask your agency for "
        "a token with it.",
    },
    "forbidden.scope_admin": {
        "vi": "Mã truy cập này không có quyền quản trị ('admin'): không quản lý được khoá, mã truy "
        "cập hay đơn vị. Hãy dùng mã truy cập quản trị của đơn vị.",
        "en": "This token does not have the 'admin' scope: it cannot manage keys, tokens or "
        "agencies. Use your agency's administrative token.",
    },
    "scope_not_allowed": {
        "vi": "Không cấp được mã truy cập với các quyền này: {detail}",
        "en": "A token cannot have these scopes: {detail}",
    },
    "scope_not_allowed.empty": {
        "vi": "Mã truy cập cần ít nhất một quyền (record, recall, inspect, admin).",
        "en": "A token needs at least one scope (record, recall, inspect, admin).",
    },
    "scope_not_allowed.unknown": {
        "vi": "Không có quyền nào tên như vậy trong '{scopes}'; các quyền: record, recall, "
        "inspect, admin.",
        "en": "'{scopes}' names a scope that does not exist; the scopes are: record, recall, "
        "inspect, admin.",
    },
    "scope_not_allowed.kind": {
        "vi": "Đơn vị loại {agency_kind} không được giữ quyền {scopes}; các quyền được phép: "
        "{allowed}.",
        "en": "An agency of kind {agency_kind} cannot hold the scopes {scopes}; it may hold: "
        "{allowed}.",
    },
    "bad_cursor": {
        "vi": "Con trỏ trang (cursor) không hợp lệ: {detail}. Hãy tìm lại từ trang đầu.",
        "en": "The page cursor is not valid: {detail}. Search again from the first page.",
    },
    "bad_cursor.mismatch": {
        "vi": "Con trỏ trang (cursor) không thuộc về truy vấn này (đã bị sửa, bị cắt, hoặc các bộ "
        "lọc và cách sắp xếp đã thay đổi). Hãy tìm lại từ trang đầu.",
        "en": "The page cursor does not belong to this query (it was edited or cut short, or "
        "the filters or sort changed). Search again from the first page.",
    },
    "bad_cursor.malformed": {
        "vi": "Con trỏ trang (cursor) bị hỏng: đây không phải con trỏ do dịch vụ tạo ra. Hãy dùng "
        "đúng next_cursor của trang trước, hoặc tìm lại từ trang đầu.",
        "en": "The page cursor is damaged: it is not one this service made. Pass the previous "
        "page's next_cursor as it is, or search again from the first page.",
    },
    "cli.inspect.no_token": {
        "vi": "Cần mã truy cập của thanh tra: dùng --token hoặc biến môi trường TRACE_TOKEN.",
        "en": "An inspector's token is needed: use --token or the TRACE_TOKEN variable.",
    },
    "cli.inspect.bad_url": {
        "vi": "'{url}' không phải địa chỉ http:// hoặc https:// của dịch vụ.",
        "en": "'{url}' is not an http:// or https:// address of the service.",
    },
    "cli.inspect.unreachable": {
        "vi": "Không kết nối được dịch vụ tại {url} ({reason}). Dịch vụ có đang chạy không? "
        "Hãy kiểm tra --url hoặc TRACE_PUBLIC_URL.",
        "en": "Cannot reach the service at {url} ({reason}). Is it running? Check --url or "
        "TRACE_PUBLIC_URL.",
    },
    "cli.inspect.refused": {
        "vi": "Dịch vụ từ chối truy vấn (HTTP {status}): {detail}",
        "en": "The service refused the query (HTTP {status}): {detail}",
    },
    "cli.inspect.none": {"vi": "Không có lô hàng nào.", "en": "No batches."},
    "cli.inspect.more": {
        "vi": "Còn trang sau: chạy lại với --cursor {cursor} (hoặc --all để lấy mọi trang).",
        "en": "More pages follow: run again with --cursor {cursor} (or --all for every page).",
    },
    "cli.inspect.records": {
        "vi": "{count} bản ghi của lô {batch}, theo thứ tự:",
        "en": "{count} records of batch {batch}, in order:",
    },
    "cli.inspect.pages": {
        "vi": "{count} trang truy xuất nguồn gốc đang hiện cảnh báo thu hồi:",
        "en": "{count} provenance pages now show the recall banner:",
    },
    "cli.inspect.disposition.conformant": {"vi": "đạt", "en": "conformant"},
    "cli.inspect.disposition.non_conformant": {"vi": "không đạt", "en": "non-conformant"},
    "cli.inspect.disposition.recalled": {"vi": "bị thu hồi", "en": "recalled"},
    "cli.inspect.col.code": {"vi": "Mã lô", "en": "Code"},
    "cli.inspect.col.product": {"vi": "Sản phẩm", "en": "Product"},
    "cli.inspect.col.lot": {"vi": "Lô", "en": "Lot"},
    "cli.inspect.col.gtin": {"vi": "GTIN", "en": "GTIN"},
    "cli.inspect.col.province": {"vi": "Tỉnh", "en": "Province"},
    "cli.inspect.col.occurred": {"vi": "Ngày xảy ra", "en": "Occurred"},
    "cli.inspect.col.recorded": {"vi": "Ghi nhận lúc", "en": "Recorded"},
    "cli.inspect.col.disposition": {"vi": "Tình trạng", "en": "Disposition"},
    "cli.inspect.col.stars": {"vi": "Sao OCOP", "en": "OCOP stars"},
    "cli.inspect.col.seq": {"vi": "STT", "en": "Seq"},
    "cli.inspect.col.position": {"vi": "Vị trí", "en": "Position"},
    "cli.inspect.col.kind": {"vi": "Sự kiện", "en": "Event"},
    "cli.inspect.col.agency": {"vi": "Đơn vị", "en": "Agency"},
    "cli.inspect.col.record_hash": {"vi": "Mã băm bản ghi", "en": "Record hash"},
    "cli.inspect.col.depth": {"vi": "Bậc", "en": "Depth"},
    "cli.inspect.col.holder": {"vi": "Đang giữ", "en": "Held by"},
    "cli.inspect.col.recalled": {"vi": "Thu hồi", "en": "Recalled"},
    "invalid_search": {
        "vi": "Tham số tìm kiếm {field} không đọc được: '{value}'. Hãy dùng thời điểm RFC 3339 "
        "(2026-09-01T07:00:00+07:00) hoặc ngày (2026-09-01), từ năm 1970 đến năm 2199.",
        "en": "The search parameter {field} cannot be read: '{value}'. Use an RFC 3339 time "
        "(2026-09-01T07:00:00+07:00) or a date (2026-09-01), from 1970 to 2199.",
    },
    # --- genealogy, trace drawings and recalls (issue 6) ---
    "trace.title.downstream": {
        "vi": "Truy xuất xuôi từ lô {code} ({product})",
        "en": "Downstream trace from batch {code} ({product})",
    },
    "trace.title.upstream": {
        "vi": "Truy xuất ngược từ lô {code} ({product})",
        "en": "Upstream trace from batch {code} ({product})",
    },
    "trace.summary": {
        "vi": "{batches} lô · {edges} liên kết · {generations} thế hệ",
        "en": "{batches} batches · {edges} links · {generations} generations",
    },
    "trace.cut.depth": {
        "vi": "Đồ thị còn tiếp sau {depth} thế hệ: hãy tra cứu tiếp từ các lô ở cột ngoài cùng.",
        "en": "The graph goes on beyond {depth} generations: trace again from the batches in "
        "the outermost column.",
    },
    "trace.cut.size": {
        "vi": "Đồ thị có hơn {limit} lô: chỉ vẽ {limit} lô gần nhất.",
        "en": "The graph holds more than {limit} batches: only the nearest {limit} are drawn.",
    },
    "trace.lot": {"vi": "Lô {lot} · mã {code}", "en": "Lot {lot} · code {code}"},
    "trace.holder": {"vi": "Đang giữ: {holder}", "en": "Held by: {holder}"},
    "trace.in_transit": {"vi": "Đang chuyển tới: {to}", "en": "In transit to: {to}"},
    "trace.legend": {"vi": "Chú giải", "en": "Legend"},
    "trace.legend.batch": {"vi": "Lô hàng", "en": "Batch"},
    "trace.legend.root": {"vi": "Lô được tra cứu", "en": "The batch traced"},
    "trace.legend.recalled": {"vi": "Lô bị thu hồi", "en": "Recalled batch"},
    "trace.legend.edge": {
        "vi": "Lô đầu vào → lô làm ra: quy trình và lượng đầu vào",
        "en": "Input batch → batch made: process and input quantity",
    },
    "trace.legend.against": {
        "vi": "Liên kết ngược dòng (khép một vòng, hoặc trong cùng một thế hệ)",
        "en": "Link against the flow (closing a cycle, or within one generation)",
    },
    "trace.legend.flow": {
        "vi": "Mỗi cột là một thế hệ: đầu vào bên trái, sản phẩm làm ra bên phải.",
        "en": "Each column is a generation: inputs on the left, what was made on the right.",
    },
    "forbidden.authorities_only": {
        "vi": "Chỉ cơ quan quản lý nhà nước mới được ra quyết định thu hồi. Hãy dùng mã truy cập "
        "của cơ quan quản lý.",
        "en": "Only an authority may recall a batch. Use an authority's token.",
    },
    # --- EPCIS capture and query (issue 6) ---
    "kind.epcis_event": {"vi": "Sự kiện EPCIS", "en": "EPCIS event"},
    "not_an_epcis_event": {
        "vi": "Đây không phải một sự kiện EPCIS 2.0 tính được mã băm sự kiện: {detail}",
        "en": "This is not an EPCIS 2.0 event whose Event Hash ID can be computed: {detail}",
    },
    "epcis_invalid_document": {
        "vi": "Tài liệu không phải EPCIS 2.0 JSON hợp lệ, nên không sự kiện nào được ghi: "
        "{detail}. Hãy sửa chỗ được nêu rồi gửi lại.",
        "en": "The document is not valid EPCIS 2.0 JSON, so none of its events was captured: "
        "{detail}. Fix the place named and send it again.",
    },
    "epcis_capture_limit": {
        "vi": "Tài liệu vượt giới hạn một lần ghi ({limit}): hãy chia thành nhiều tài liệu "
        "nhỏ hơn.",
        "en": "The document is over the limit of one capture ({limit}): split it into smaller "
        "documents.",
    },
    "epcis_no_batch": {
        "vi": "Không mã định danh nào của sự kiện (epcList, quantityList, parentID, đầu vào, "
        "đầu ra) chỉ tới một lô hàng trong sổ cái. Hãy đăng ký lô trước, rồi dùng GTIN và số "
        "lô của nó (https://id.gs1.org/01/…/10/…) hoặc địa chỉ trang của lô.",
        "en": "No identifier of the event (epcList, quantityList, parentID, inputs, outputs) "
        "names a batch of this ledger. Register the batch first, then name it by its GTIN and "
        "lot (https://id.gs1.org/01/…/10/…) or by its page's address.",
    },
    "epcis_query_parameter": {
        "vi": "Tham số truy vấn {field} không dùng được: {reason}.",
        "en": "The query parameter {field} cannot be used: {reason}.",
    },
    "epcis_unknown_capture": {
        "vi": "Không có lần ghi EPCIS {id} nào của đơn vị bạn.",
        "en": "Your agency has no EPCIS capture {id}.",
    },
    "invalid_identifier.epc_form": {
        "vi": "'{value}' không phải một mã EPC theo Tiêu chuẩn dữ liệu thẻ EPC (TDS).",
        "en": "'{value}' is not an EPC of the EPC Tag Data Standard.",
    },
    "not_permitted.not_involved_in_batch": {
        "vi": "Chỉ đơn vị sản xuất, đang giữ, sắp nhận, kiểm nghiệm hoặc chứng nhận lô hàng "
        "mới được ghi sự kiện EPCIS cho lô này.",
        "en": "Only an agency that makes, holds, is receiving, inspects or certifies this batch "
        "may record EPCIS events on it.",
    },
    # --- open data (issue 7) ---
    "export_range": {
        "vi": "Khoảng [{start}, {end}) không nằm trong nhật ký có {size} bản ghi: hãy chọn "
        "0 ≤ --from ≤ --to ≤ {size}.",
        "en": "[{start}, {end}) is not a range of the log of {size} records: choose "
        "0 ≤ --from ≤ --to ≤ {size}.",
    },
    "export_target": {
        "vi": "Thư mục {path} đã có tệp: hãy chọn một thư mục mới hoặc trống.",
        "en": "The folder {path} already holds files: choose a new or empty folder.",
    },
    "cli.export_written": {
        "vi": "Đã xuất {files} tệp vào {path}: các bản ghi ở vị trí {start} đến trước {end}, "
        "tại điểm kiểm tra {size} của nhật ký.",
        "en": "Wrote {files} files to {path}: the records at positions {start} up to {end}, "
        "at the log's checkpoint {size}.",
    },
    "cli.verify_export_ok": {
        "vi": "Gói nguyên vẹn: {files} tệp khớp bản kê có chữ ký của {origin}; {events} bản ghi "
        "(vị trí {start} đến trước {end}) khớp điểm kiểm tra {size}.",
        "en": "The package is intact: {files} files match the manifest {origin} signed; "
        "{events} records (positions {start} up to {end}) match checkpoint {size}.",
    },
    "cli.verify_export_key": {
        "vi": "Khoá của nhật ký lấy từ chính gói ({key}): hãy đối chiếu với khoá bên công bố "
        "đưa ra, hoặc chạy lại với --log-key.",
        "en": "The log's key was taken from the package itself ({key}): compare it with the key "
        "the publisher shows, or run again with --log-key.",
    },
    "cli.verify_export_failed": {
        "vi": "Gói KHÔNG nguyên vẹn: {count} lỗi.",
        "en": "The package is NOT intact: {count} problems.",
    },
    "package.manifest": {
        "vi": "bản kê không đọc được hoặc không khớp chữ ký",
        "en": "the manifest cannot be read or does not match its signature",
    },
    "package.log_key": {
        "vi": "khoá của nhật ký không hợp lệ",
        "en": "the log's key is not valid",
    },
    "package.missing": {"vi": "thiếu tệp", "en": "the file is missing"},
    "package.signature": {
        "vi": "chữ ký của bản kê không hợp lệ với khoá của nhật ký",
        "en": "the manifest's signature does not verify with the log's key",
    },
    "package.sha256": {
        "vi": "nội dung đã bị thay đổi (SHA-256 khác)",
        "en": "its content has changed (another SHA-256)",
    },
    "package.size": {
        "vi": "kích thước đã bị thay đổi",
        "en": "its size has changed",
    },
    "package.checkpoint": {
        "vi": "điểm kiểm tra trong bản kê không hợp lệ",
        "en": "the manifest's checkpoint is not valid",
    },
    "package.unlisted": {
        "vi": "tệp không có trong bản kê",
        "en": "the file is not in the manifest",
    },
    "package.records": {
        "vi": "các dòng không khớp các bản ghi của nhật ký",
        "en": "the rows do not match the log's records",
    },
    "opendata.title": {"vi": "Dữ liệu mở", "en": "Open data"},
    "opendata.lead": {
        "vi": "Dữ liệu truy xuất nguồn gốc nông lâm thủy sản, thực phẩm và sản phẩm OCOP từ sổ "
        "cái: tải về dạng CSV (mở bằng Excel hoặc LibreOffice), JSON Lines hoặc EPCIS 2.0. Không "
        "có dữ liệu cá nhân: hộ gia đình chỉ được nêu theo xã và tỉnh.",
        "en": "Traceability data of agricultural, forestry and fishery products, food and OCOP "
        "products from the ledger: download it as CSV (opens in Excel or LibreOffice), JSON Lines "
        "or EPCIS 2.0. No personal data: households appear only by commune and province.",
    },
    "opendata.cut": {"vi": "Bản cắt này", "en": "This cut"},
    "opendata.records": {"vi": "Bản ghi", "en": "Records"},
    "opendata.positions": {
        "vi": "vị trí {start} đến trước {end} của nhật ký",
        "en": "log positions {start} up to {end}",
    },
    "opendata.checkpoint": {"vi": "Điểm kiểm tra", "en": "Checkpoint"},
    "opendata.checkpoint_at": {
        "vi": "cỡ {size}, ký lúc {when}",
        "en": "size {size}, signed at {when}",
    },
    "opendata.manifest": {"vi": "Bản kê có chữ ký", "en": "Signed manifest"},
    "opendata.log_key": {"vi": "Khoá của nhật ký", "en": "The log's key"},
    "opendata.verify": {
        "vi": "Kiểm tra các tệp đã tải về, không cần mạng:",
        "en": "Check the downloaded files, offline:",
    },
    "opendata.fields": {"vi": "Các trường ({count})", "en": "Fields ({count})"},
    "opendata.field": {"vi": "Trường", "en": "Field"},
    "opendata.type": {"vi": "Kiểu", "en": "Type"},
    "opendata.meaning": {"vi": "Ý nghĩa", "en": "Meaning"},
    "opendata.bytes": {"vi": "{count} byte", "en": "{count} bytes"},
    "opendata.terms": {"vi": "Điều khoản sử dụng", "en": "Terms of use"},
    "opendata.legal_basis": {"vi": "Căn cứ", "en": "Legal basis"},
    "opendata.citation": {"vi": "Trích dẫn bắt buộc", "en": "Required citation"},
    "opendata.machines": {"vi": "Cho máy đọc", "en": "For machines"},
    "opendata.dcat": {
        "vi": "danh mục DCAT (JSON-LD) cho cổng dữ liệu CKAN",
        "en": "DCAT catalogue (JSON-LD) for CKAN portals",
    },
    "opendata.datapackage": {
        "vi": "gói dữ liệu Frictionless, lược đồ từng bảng",
        "en": "Frictionless data package, each table's schema",
    },
    "opendata.terms_file": {
        "vi": "điều khoản và trích dẫn (văn bản)",
        "en": "terms and citation (text)",
    },
    # HTTP edges (issue 12).
    "proof_range.from_empty": {
        "vi": "Không có bằng chứng nhất quán từ cây rỗng (from = {found}): RFC 9162 §2.1.4 chỉ "
        "định nghĩa bằng chứng từ kích thước 1 trở lên, vì mọi cây đều nối tiếp cây rỗng. "
        "Hãy hỏi với from ≥ 1.",
        "en": "There is no consistency proof from the empty tree (from = {found}): RFC 9162 "
        "§2.1.4 defines proofs from size 1 on, since every tree extends the empty one. Ask "
        "with from ≥ 1.",
    },
    "proof_range.from_after_to": {
        "vi": "Bằng chứng nhất quán đi từ cây cũ, nhỏ hơn, đến cây mới: from ({found}) không "
        "được lớn hơn to ({expected}).",
        "en": "A consistency proof goes from an older, smaller tree to a newer one: from "
        "({found}) must not be larger than to ({expected}).",
    },
    "key_registered": {
        "vi": "Khoá công khai này đã được đăng ký (mã khoá {key}); mỗi khoá chỉ thuộc về một "
        "đơn vị. Hãy tạo cặp khoá mới (`python -m trace keygen`) rồi gửi khoá công khai mới.",
        "en": "This public key is already registered (key {key}); a key belongs to one agency "
        "only. Make a new key pair (`python -m trace keygen`) and send its public key.",
    },
    "revocation_out_of_range": {
        "vi": "Chỉ có thể thu hồi khoá từ một thời điểm trong khoảng 1970-01-01T00:00:00Z đến "
        "bây giờ ({latest}), không phải từ {found}. Bỏ trống thời điểm để thu hồi từ bây giờ.",
        "en": "A key can be revoked from a time between 1970-01-01T00:00:00Z and now "
        "({latest}), not from {found}. Leave the time out to revoke it from now.",
    },
    "bad_request.not_utf8": {
        "vi": "Nội dung yêu cầu không phải văn bản UTF-8 hợp lệ (sai ở byte {position}). "
        "Hãy gửi JSON mã hoá UTF-8.",
        "en": "The request body is not valid UTF-8 (at byte {position}). "
        "Send JSON encoded in UTF-8.",
    },
    "bad_request.too_deep": {
        "vi": "JSON của yêu cầu lồng nhau quá {limit} cấp. Không yêu cầu nào của dịch vụ cần "
        "sâu như vậy: hãy kiểm tra lại dữ liệu gửi đi.",
        "en": "The JSON of the request nests more than {limit} levels deep. No request of this "
        "service needs that many: check the data you send.",
    },
    "bad_request.duplicate_key": {
        "vi": "Khoá '{key}' xuất hiện hai lần trong cùng một đối tượng JSON, nên không biết "
        "giá trị nào là đúng. Hãy chỉ giữ một lần rồi gửi lại.",
        "en": "The key '{key}' appears twice in one JSON object, so which value was meant "
        "cannot be known. Keep it once and resend.",
    },
    "bad_request.not_json": {
        "vi": "Nội dung yêu cầu không phải JSON hợp lệ ({detail}). Hãy kiểm tra dấu ngoặc, "
        "dấu phẩy và dấu nháy.",
        "en": "The request body is not valid JSON ({detail}). Check its brackets, commas and "
        "quotes.",
    },
    "bad_request.forbidden_character": {
        "vi": "Trường '{field}' chứa ký tự {character} (ký tự điều khiển, hoặc nửa cặp UTF-16), "
        "là ký tự không thể lưu. Hãy xoá ký tự đó rồi gửi lại.",
        "en": "The field '{field}' holds the character {character} (a control character, or "
        "half of a UTF-16 pair), which cannot be stored. Remove it and resend.",
    },
    "unsupported_media_type": {
        "vi": "Địa chỉ này chỉ nhận nội dung kiểu {accepted}, không nhận {value}. Hãy gửi kèm "
        "tiêu đề 'Content-Type: application/json'.",
        "en": "This address accepts bodies of type {accepted}, not {value}. Send the header "
        "'Content-Type: application/json'.",
    },
    "not_canonical.too_deep": {
        "vi": "Dữ liệu lồng nhau quá {limit} cấp (mảng và đối tượng JSON); không tuyên bố nào "
        "của sổ cái cần sâu như vậy. Hãy kiểm tra lại nội dung sự kiện.",
        "en": "The data nests more than {limit} levels deep (JSON arrays and objects); no "
        "statement of this ledger needs that many. Check the event's body.",
    },
    "unavailable": {
        "vi": "Dịch vụ tạm thời không kết nối được cơ sở dữ liệu. Hãy thử lại sau {seconds} "
        "giây. Không có dữ liệu nào bị mất: những gì đã ghi vẫn còn nguyên, và yêu cầu ghi "
        "gửi lại với cùng Idempotency-Key không bao giờ bị ghi hai lần.",
        "en": "The service cannot reach its database just now. Retry in {seconds} seconds. "
        "Nothing was lost: what was recorded is kept, and a write retried with the same "
        "Idempotency-Key is never recorded twice.",
    },
    # Producer commands (issue 13).
    "cli.producer.register": {
        "vi": "Đăng ký một lô hàng mới với dịch vụ đang chạy. Dịch vụ ký sự kiện đăng ký bằng "
        "khoá của đơn vị bạn, rồi trả về id, mã công khai và trang công khai của lô. Dữ liệu "
        "được kiểm tra ngay tại máy theo đúng quy tắc của dịch vụ trước khi gửi.",
        "en": "Register a new batch with a running service. The service signs the registration "
        "with your agency's key and answers with the batch's id, public code and public page. "
        "What you give is checked on this machine, by the service's own rules, before it is "
        "sent.",
    },
    "cli.producer.record": {
        "vi": "Ghi một sự kiện (thu hoạch, đóng gói, xuất hàng...) cho lô hàng BATCH (id hoặc mã "
        "công khai). Các tùy chọn như --quantity, --unit, --to, --from điền những trường hay "
        "dùng; --body cho mọi trường khác của sự kiện.",
        "en": "Record an event (harvest, packing, shipment...) of batch BATCH (its id or public "
        "code). Options such as --quantity, --unit, --to and --from fill the common fields; "
        "--body gives any other field of the event.",
    },
    "cli.producer.labels": {
        "vi": "In nhãn QR của lô hàng BATCH (id hoặc mã công khai) ra tệp. Khi có --url, "
        "TRACE_URL, --token hoặc TRACE_TOKEN, nhãn lấy từ dịch vụ đang chạy bằng mã truy cập "
        "của đơn vị sản xuất; nếu không, lấy thẳng từ cơ sở dữ liệu (TRACE_DATABASE_URL).",
        "en": "Print the QR labels of batch BATCH (its id or public code) to a file. With --url, "
        "TRACE_URL, --token or TRACE_TOKEN the labels come from the running service, with the "
        "producer's token; otherwise straight from the database (TRACE_DATABASE_URL).",
    },
    "cli.producer.environment": {
        "vi": "Dịch vụ: --url, nếu không có thì TRACE_URL, rồi TRACE_PUBLIC_URL, rồi {default}.\n"
        "Mã truy cập của đơn vị: --token, nếu không có thì TRACE_TOKEN.\n"
        "Ngôn ngữ thông báo: TRACE_LANG, nếu không có thì LANG (mặc định tiếng Việt; en: "
        "tiếng Anh).",
        "en": "Service: --url, else TRACE_URL, else TRACE_PUBLIC_URL, else {default}.\n"
        "Your agency's token: --token, else TRACE_TOKEN.\n"
        "Language of messages: TRACE_LANG, else LANG (Vietnamese by default; en: English).",
    },
    "cli.producer.exit_codes": {
        "vi": "Mã thoát:\n"
        "  0  thành công\n"
        "  1  dịch vụ từ chối; lý do in ra bằng lời của dịch vụ\n"
        "  2  dữ liệu nhập sai, phát hiện ngay tại máy; chưa gửi gì\n"
        "  3  không liên lạc được dịch vụ (không kết nối được, hết thời gian chờ, lỗi 5xx);\n"
        "     chạy lại đúng lệnh với --idempotency-key đã in ra thì không bị ghi hai lần",
        "en": "Exit status:\n"
        "  0  done\n"
        "  1  the service refused; its reason is printed in its own words\n"
        "  2  invalid input, found on this machine; nothing was sent\n"
        "  3  no answer from the service (no connection, a timeout, a 5xx error);\n"
        "     the same command with the printed --idempotency-key never records twice",
    },
    "cli.producer.no_token": {
        "vi": "Cần mã truy cập của đơn vị: dùng --token hoặc biến môi trường TRACE_TOKEN. Người "
        "vận hành cấp mã bằng `python -m trace token add`.",
        "en": "Your agency's token is needed: use --token or the TRACE_TOKEN variable. The "
        "operator issues one with `python -m trace token add`.",
    },
    "cli.producer.bad_url": {
        "vi": "'{url}' không phải địa chỉ http:// hoặc https:// của dịch vụ. Hãy sửa --url, "
        "TRACE_URL hoặc TRACE_PUBLIC_URL.",
        "en": "'{url}' is not an http:// or https:// address of the service. Correct --url, "
        "TRACE_URL or TRACE_PUBLIC_URL.",
    },
    "cli.producer.bad_body": {
        "vi": "--body không phải JSON hợp lệ ({reason}). Hãy đưa một đối tượng JSON, ví dụ "
        '{{"note": "Thu hái buổi sáng"}}, hoặc @tệp.json.',
        "en": "--body is not valid JSON ({reason}). Give a JSON object, for example "
        '{{"note": "Picked in the morning"}}, or @file.json.',
    },
    "cli.producer.body_not_object": {
        "vi": "--body phải là một đối tượng JSON {{...}} gồm các trường của sự kiện, không "
        "phải {found}.",
        "en": "--body must be a JSON object {{...}} of the event's fields, not {found}.",
    },
    "cli.producer.body_file": {
        "vi": "Không đọc được tệp {path} cho --body ({reason}). Hãy kiểm tra đường dẫn và tệp "
        "có phải văn bản UTF-8 không.",
        "en": "Cannot read {path} for --body ({reason}). Check the path, and that the file is "
        "UTF-8 text.",
    },
    "cli.producer.twice": {
        "vi": "Trường {field} được cho hai lần: trong --body và bằng {option}. Hãy chỉ cho một "
        "lần.",
        "en": "The field {field} is given twice: in --body and with {option}. Give it once.",
    },
    "cli.producer.not_for_kind": {
        "vi": "{option} không dùng cho sự kiện '{kind}' (chỉ cho: {kinds}). Hãy bỏ tùy chọn này, "
        "hoặc đưa trường cần ghi vào --body.",
        "en": "{option} does not apply to '{kind}' events (only to: {kinds}). Leave it out, or "
        "give the field in --body.",
    },
    "cli.producer.bad_key": {
        "vi": "Khoá chống ghi trùng '{key}' không dùng được: cần 1 đến 255 ký tự ASCII, không "
        "có khoảng trắng. Hãy dùng đúng khoá đã in ra ở lần gửi trước.",
        "en": "The idempotency key '{key}' cannot be used: it needs 1 to 255 ASCII characters "
        "and no spaces. Use the key printed by the earlier attempt.",
    },
    "cli.producer.accepted": {
        "vi": "Trường {field} chỉ nhận một trong các giá trị: {accepted}.",
        "en": "The field {field} takes one of: {accepted}.",
    },
    "cli.producer.use_option": {
        "vi": "Cho trường {field} bằng tùy chọn {option}.",
        "en": "Give the field {field} with {option}.",
    },
    "cli.producer.no_floats": {
        "vi": "Số lượng và số đo được ghi dạng chuỗi thập phân có dấu chấm: "
        '"value": "1200.5", không phải 1200.5.',
        "en": "Quantities and measurements are written as decimal strings with a point: "
        '"value": "1200.5", not 1200.5.',
    },
    "cli.producer.not_sent": {
        "vi": "Chưa gửi gì đến dịch vụ để ghi.",
        "en": "Nothing was sent to the service to record.",
    },
    "cli.producer.key": {
        "vi": "Gửi với khoá chống ghi trùng. Nếu không nhận được trả lời, chạy lại đúng lệnh "
        "này kèm: {options}",
        "en": "Sending with an idempotency key. If no answer comes, run this same command again "
        "with: {options}",
    },
    "cli.producer.refused": {
        "vi": "Dịch vụ từ chối (HTTP {status}): {detail}",
        "en": "The service refused (HTTP {status}): {detail}",
    },
    "cli.producer.failed": {
        "vi": "Dịch vụ chưa xử lý được yêu cầu (HTTP {status}): {detail}",
        "en": "The service could not handle the request (HTTP {status}): {detail}",
    },
    "cli.producer.unreachable": {
        "vi": "Không liên lạc được dịch vụ tại {url} ({reason}). Dịch vụ có đang chạy không? "
        "Hãy kiểm tra mạng, --url, TRACE_URL hoặc TRACE_PUBLIC_URL.",
        "en": "No answer from the service at {url} ({reason}). Is it running? Check the "
        "network, --url, TRACE_URL or TRACE_PUBLIC_URL.",
    },
    "cli.producer.retry": {
        "vi": "Không biết yêu cầu đã được ghi hay chưa. Hãy chạy lại đúng lệnh này kèm: "
        "{options} — nếu đã ghi, dịch vụ trả lại kết quả cũ và không ghi hai lần.",
        "en": "Whether the request was recorded is not known. Run this same command again "
        "with: {options} — if it was recorded, the service answers with that result and "
        "records nothing twice.",
    },
    "cli.producer.registered": {
        "vi": "Đã đăng ký lô hàng.",
        "en": "The batch is registered.",
    },
    "cli.producer.recorded": {
        "vi": "Đã ghi sự kiện: {kind}.",
        "en": "The event is recorded: {kind}.",
    },
    "cli.producer.replayed": {
        "vi": "Đây là lần gửi lại: dịch vụ trả lại kết quả của lần gửi đầu với cùng khoá và "
        "không ghi thêm gì.",
        "en": "This was a repeat: the service answered with the result of the first request "
        "with this key and recorded nothing new.",
    },
    "cli.producer.batch": {
        "vi": "Lô hàng: {product}, lô {lot}\n"
        "  id:              {id}\n"
        "  mã công khai:    {code}\n"
        "  trang công khai: {page}",
        "en": "Batch: {product}, lot {lot}\n"
        "  id:          {id}\n"
        "  public code: {code}\n"
        "  public page: {page}",
    },
    "cli.producer.record_shown": {
        "vi": "Bản ghi số {seq} của lô, vị trí {position} trong sổ cái\n"
        "  xảy ra lúc: {occurred_at}\n"
        "  ghi lúc:    {recorded_at}\n"
        "  mã băm:     {record_hash}",
        "en": "Record {seq} of the batch, position {position} in the ledger\n"
        "  occurred:   {occurred_at}\n"
        "  recorded:   {recorded_at}\n"
        "  hash:       {record_hash}",
    },
    "cli.producer.no_folder": {
        "vi": "Thư mục {path} không có, nên không ghi được tệp nhãn. Hãy tạo thư mục hoặc chọn "
        "--out khác.",
        "en": "The folder {path} does not exist, so the labels cannot be written. Create it or "
        "choose another --out.",
    },
}


class _Defaults(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "?"


def message(code: str, lang: str = DEFAULT_LANGUAGE, /, **params: object) -> str:
    """The text for ``code`` in ``lang`` (Vietnamese if unknown), filled with ``params``."""
    entry = MESSAGES.get(code) or MESSAGES["internal"]
    template = entry.get(lang) or entry[DEFAULT_LANGUAGE]
    return template.format_map(_Defaults(params))


def specific_key(code: str, params: Mapping[str, object]) -> str:
    """The most specific entry for an error: ``code.rule`` or ``code.reason`` where one exists."""
    for name in ("rule", "reason"):
        candidate = f"{code}.{params.get(name)}"
        if candidate in MESSAGES:
            return candidate
    return code


def both(code: str, /, **params: object) -> str:
    """Vietnamese then English on two lines, for output that cannot know its reader."""
    return f"{message(code, 'vi', **params)}\n{message(code, 'en', **params)}"


def negotiate(accept_language: str | None) -> str:
    """Pick ``vi`` or ``en`` from Accept-Language (RFC 9110 §12.5.4); Vietnamese by default."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    best, best_q = DEFAULT_LANGUAGE, -1.0
    for part in accept_language.split(","):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower().split("-")[0]
        q = 1.0
        for param in pieces[1:]:
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if tag in LANGUAGES and q > best_q:
            best, best_q = tag, q
    return best

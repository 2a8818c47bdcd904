"""VietQR payloads against NAPAS's published examples, the CRC's check value, and bad input."""
import struct

import pytest

from tourism.payments import vietqr
from tourism.payments.vietqr import crc16_ccitt_false, emv_payload, parse_payload, plain_ascii, qr_png, qr_svg

# Examples 6.1.1-6.1.4 of NAPAS's public "VietQR format" document (v1.0, 09/2021): static and
# dynamic transfers to account 0011012345678 / card 9704031101234567 at BIN 970403.
NAPAS_611_STATIC_ACCOUNT = ("00020101021138570010A00000072701270006970403011200110123456780208QRIBFTTA"
                            "53037045802VN6304F4E5")
NAPAS_612_STATIC_CARD = ("00020101021138600010A00000072701300006970403011697040311012345670208QRIBFTTC"
                         "53037045802VN63044F52")
NAPAS_613_DYNAMIC_ACCOUNT = ("00020101021238570010A00000072701270006970403011300110123456780208QRIBFTTA"
                             "530370454061800005802VN62340107NPS68690819thanh toan don hang63042E2E")
NAPAS_614_DYNAMIC_CARD = ("00020101021238600010A00000072701300006970403011697040311012345670208QRIBFTTC"
                          "530370454061800005802VN62340107NPS68690819thanh toan don hang6304A203")


def booking_payload(**overrides):
    arguments = dict(bank_bin="970436", account="0071001234567", amount=850_000, reference="K7M2QX9P")
    arguments.update(overrides)
    return emv_payload(**arguments)


# --- CRC -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("data", "expected"), [
    (b"123456789", 0x29B1),  # the catalogued check value of CRC-16/CCITT-FALSE
    (b"", 0xFFFF),           # the initial value, untouched
    (b"A", 0xB915),
])
def test_crc_known_vectors(data, expected):
    assert crc16_ccitt_false(data) == expected


@pytest.mark.parametrize("sample", [NAPAS_611_STATIC_ACCOUNT, NAPAS_612_STATIC_CARD,
                                    NAPAS_613_DYNAMIC_ACCOUNT, NAPAS_614_DYNAMIC_CARD])
def test_crc_covers_everything_up_to_and_including_6304(sample):
    assert f"{crc16_ccitt_false(sample[:-4].encode()):04X}" == sample[-4:]


# --- building against the published samples -------------------------------------------------

def test_dynamic_transfer_to_account_matches_napas_sample_byte_for_byte():
    assert emv_payload(bank_bin="970403", account="0011012345678", amount=180_000,
                       reference="thanh toan don hang", bill_number="NPS6869") == NAPAS_613_DYNAMIC_ACCOUNT


def test_dynamic_transfer_to_card_matches_napas_sample_byte_for_byte():
    assert emv_payload(bank_bin="970403", account="9704031101234567", amount=180_000,
                       reference="thanh toan don hang", bill_number="NPS6869",
                       service="QRIBFTTC") == NAPAS_614_DYNAMIC_CARD


def test_static_transfer_to_card_matches_napas_sample_byte_for_byte():
    assert emv_payload(bank_bin="970403", account="9704031101234567", amount=None, reference=None,
                       service="QRIBFTTC") == NAPAS_612_STATIC_CARD


def test_napas_static_account_sample_has_a_length_typo_that_parsing_reports():
    # The document's 6.1.1 declares the account "0011012345678" (13 characters) with length
    # 12; its CRC was computed over the typo. We build the corrected form instead.
    with pytest.raises(ValueError, match="38/01"):
        parse_payload(NAPAS_611_STATIC_ACCOUNT)
    built = emv_payload(bank_bin="970403", account="0011012345678", amount=None, reference=None)
    assert built[:-4] == NAPAS_611_STATIC_ACCOUNT[:-4].replace("01120011012345678", "01130011012345678")


def test_booking_payload_field_by_field():
    payload = booking_payload()
    assert payload == ("000201" "010212"
                       "3857" "0010A000000727" "0127" "0006970436" "01130071001234567" "0208QRIBFTTA"
                       "5303704" "5406850000" "5802VN" "62120808K7M2QX9P" "6304" + payload[-4:])
    assert payload[-4:] == f"{crc16_ccitt_false(payload[:-4].encode()):04X}"
    assert payload.isascii()


def test_merchant_name_and_city_are_plain_ascii_and_cut_to_fit():
    parsed = parse_payload(booking_payload(merchant_name="Hợp tác xã Gốm Bát Tràng Truyền Thống",
                                           merchant_city="Thành phố Hồ Chí Minh"))
    assert parsed["merchant_name"] == "Hop tac xa Gom Bat Trang"   # 25 characters, then cut
    assert parsed["merchant_city"] == "Thanh pho Ho Ch"             # 15
    assert parsed["fields"]["62"] == {"08": "K7M2QX9P"}


# --- the purpose is plain ASCII --------------------------------------------------------------

def test_vietnamese_reference_becomes_plain_ascii():
    parsed = parse_payload(booking_payload(reference="Đặt chỗ K7M2QX9P"))
    assert parsed["purpose"] == "Dat cho K7M2QX9P"


@pytest.mark.parametrize(("text", "expected"), [
    ("Đặt chỗ K7M2-QX9P", "Dat cho K7M2-QX9P"),
    ("đường Nguyễn Huệ, Q.1", "duong Nguyen Hue Q 1"),
    ("Trà  Tân\tCương #12/3", "Tra Tan Cuong 12 3"),
    ("김민준 K7M2QX9P", "K7M2QX9P"),           # letters with no ASCII form are dropped
    ("ẮẰẲẴẶ ỨỪỬỮỰ ỐỒỔỖỘ", "AAAAA UUUUU OOOOO"),
])
def test_plain_ascii(text, expected):
    assert plain_ascii(text) == expected


# --- parsing ---------------------------------------------------------------------------------

def test_round_trip():
    payload = booking_payload(merchant_name="Làng gốm Bát Tràng", merchant_city="Hà Nội")
    parsed = parse_payload(payload)
    assert {key: parsed[key] for key in ("point_of_initiation", "guid", "bank_bin", "account", "service",
                                         "currency", "amount", "country", "merchant_name",
                                         "merchant_city", "purpose", "bill_number")} == {
        "point_of_initiation": "12", "guid": "A000000727", "bank_bin": "970436",
        "account": "0071001234567", "service": "QRIBFTTA", "currency": "704", "amount": 850_000,
        "country": "VN", "merchant_name": "Lang gom Bat Trang", "merchant_city": "Ha Noi",
        "purpose": "K7M2QX9P", "bill_number": None,
    }
    assert parsed["crc"] == payload[-4:]


def test_parse_published_dynamic_sample():
    parsed = parse_payload(NAPAS_613_DYNAMIC_ACCOUNT)
    assert parsed["amount"] == 180_000
    assert parsed["bill_number"] == "NPS6869"
    assert parsed["purpose"] == "thanh toan don hang"
    assert parsed["fields"]["38"]["01"] == {"00": "970403", "01": "0011012345678"}


def test_static_payload_has_no_amount():
    parsed = parse_payload(booking_payload(amount=None))
    assert parsed["point_of_initiation"] == "11"
    assert parsed["amount"] is None and "54" not in parsed["fields"]


@pytest.mark.parametrize("damage", [
    lambda p: p[:-1] + ("0" if p[-1] != "0" else "1"),          # wrong CRC
    lambda p: p.replace("5406850000", "5406950000"),            # amount altered, CRC kept
    lambda p: p[:20] + p[24:],                                  # bytes lost
    lambda p: p[:-8],                                           # no CRC field
    lambda p: "",
])
def test_damaged_payloads_are_rejected(damage):
    with pytest.raises(ValueError):
        parse_payload(damage(booking_payload()))


def test_structural_errors_behind_a_valid_crc_are_rejected():
    def with_crc(body):
        body += "6304"
        return body + f"{crc16_ccitt_false(body.encode()):04X}"

    with pytest.raises(ValueError, match="truncated"):
        parse_payload(with_crc("000201010212" "5499"))
    with pytest.raises(ValueError, match="twice"):
        parse_payload(with_crc("000201" "5303704" "5303704"))
    with pytest.raises(ValueError, match="start with"):
        parse_payload(with_crc("5303704000201"))
    with pytest.raises(ValueError, match="whole number"):
        parse_payload(with_crc("000201" "540712500.5"))


# --- bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize(("overrides", "message"), [
    ({"bank_bin": "97043"}, "BIN"),
    ({"bank_bin": "97043a"}, "BIN"),
    ({"bank_bin": "٩٧٠٤٣٦"}, "BIN"),                       # Arabic-Indic digits are not digits here
    ({"bank_bin": 970436}, "BIN"),
    ({"account": ""}, "account"),
    ({"account": "0071 0012 34567"}, "account"),
    ({"account": "12345678901234567890"}, "account"),       # 20 characters
    ({"account": "ABC12345", "service": "QRIBFTTC"}, "card"),
    ({"service": "QRPUSH"}, "service"),
    ({"amount": 0}, "amount"),
    ({"amount": -1}, "amount"),
    ({"amount": 10**13}, "amount"),
    ({"amount": 850_000.0}, "amount"),
    ({"amount": True}, "amount"),
    ({"amount": "850000"}, "amount"),
    ({"reference": "   "}, "purpose"),
    ({"reference": "…!?"}, "purpose"),
    ({"reference": "Đặt chỗ K7M2QX9P cho bốn người"}, "at most 25"),
    ({"bill_number": "x" * 26}, "bill number"),
])
def test_bad_input_raises_a_clear_error(overrides, message):
    with pytest.raises(ValueError, match=message):
        booking_payload(**overrides)


def test_limits_that_just_fit():
    assert parse_payload(booking_payload(amount=vietqr.AMOUNT_MAX))["amount"] == 9_999_999_999_999
    assert parse_payload(booking_payload(account="V3CAS5601999228X123"))["account"] == "V3CAS5601999228X123"
    assert parse_payload(booking_payload(reference="A" * 25))["purpose"] == "A" * 25


# --- images ----------------------------------------------------------------------------------

def test_png_is_a_png_of_a_plausible_qr_size():
    png = qr_png(booking_payload(), scale=8, border=4)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])
    modules = width // 8 - 2 * 4
    assert width == height and width % 8 == 0
    assert (modules - 17) % 4 == 0 and 25 <= modules <= 61       # QR versions 2..11


def test_svg_is_inline_and_inert():
    svg = qr_svg(booking_payload(), title="<script>alert(1)</script> VietQR")
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert "<?xml" not in svg and "<script" not in svg.lower() and "href" not in svg
    assert "&lt;script&gt;" in svg

"""VietQR: the NAPAS/EMVCo QR payload for a bank transfer, its parser and its image.

Pure functions: no database, no HTTP. The payload is an EMVCo merchant-presented QR string
as profiled by NAPAS for 24/7 interbank transfers (NAPAS247 "VietQR"), each data object
written as ID (2 digits) + length (2 digits) + value:

    00  payload format indicator, "01"
    01  point of initiation: "11" static (the payer types the amount), "12" dynamic (fixed)
    38  NAPAS template: 00 GUID "A000000727"; 01 beneficiary (00 bank BIN, 01 account or
        card number); 02 service "QRIBFTTA" (to an account) or "QRIBFTTC" (to a card)
    53  currency "704" (VND)           54  amount in whole dong (only when fixed)
    58  country "VN"                   59  merchant name, 60 merchant city (optional)
    62  additional data: 01 bill number (optional), 08 purpose of the transfer
    63  CRC-16/CCITT-FALSE of everything before its value, "6304" included; 4 uppercase hex

Banking apps copy 62/08 into the transfer's description ("nội dung"), which is how the
booking reference comes back to us on the bank statement (see bank_statement.py).
"""
import binascii
import io
import re
import unicodedata

import segno

NAPAS_GUID = "A000000727"
SERVICE_TO_ACCOUNT = "QRIBFTTA"
SERVICE_TO_CARD = "QRIBFTTC"
CURRENCY_VND = "704"
COUNTRY_VN = "VN"

# EMVCo field limits: 62/08 and 62/01 "ans..25", 59 "ans..25", 60 "ans..15", 54 "ans..13".
PURPOSE_MAX = 25
BILL_NUMBER_MAX = 25
MERCHANT_NAME_MAX = 25
MERCHANT_CITY_MAX = 15
AMOUNT_MAX = 10**13 - 1
ACCOUNT_MAX = 19

_NOT_PLAIN = re.compile(r"[^A-Za-z0-9 -]+")


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor)."""
    # binascii.crc_hqx is exactly this polynomial, unreflected, with a caller-chosen initial
    # value; starting it at 0xFFFF makes it CCITT-FALSE (b"123456789" -> 0x29B1).
    return binascii.crc_hqx(data, 0xFFFF)


def strip_diacritics(text: str) -> str:
    """Vietnamese (and other Latin) letters without their marks: "Đặt chỗ" -> "Dat cho"."""
    # đ/Đ is a letter of its own, not d plus a combining mark, so NFKD leaves it alone.
    # Ð (U+00D0, Icelandic eth) is often typed for Đ on foreign keyboards.
    text = text.translate(str.maketrans({"đ": "d", "Đ": "D", "Ð": "D"}))
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def plain_ascii(text: str) -> str:
    """`text` folded to ASCII letters, digits, spaces and dashes, spaces collapsed.

    Other characters become spaces (not nothing), so "Hà Nội, 12/3" stays "Ha Noi 12 3".
    """
    return " ".join(_NOT_PLAIN.sub(" ", strip_diacritics(text)).split())


def _tlv(tag: str, value: str) -> str:
    if not 1 <= len(value) <= 99:
        raise ValueError(f"VietQR field {tag} must hold 1 to 99 characters, not {len(value)}")
    return f"{tag}{len(value):02d}{value}"


def _checked_text(label: str, text: str, limit: int) -> str:
    if not isinstance(text, str):
        raise ValueError(f"VietQR {label} must be text")
    plain = plain_ascii(text)
    if not plain:
        raise ValueError(f"VietQR {label} {text!r} has no letters or digits left in plain ASCII")
    if len(plain) > limit:
        # Never cut: the purpose carries the booking reference that matches the statement.
        raise ValueError(f"VietQR {label} {plain!r} is {len(plain)} characters; at most {limit} fit")
    return plain


def _display_text(text: str | None, limit: int) -> str | None:
    # Name and city are only shown to the payer, so cutting them to fit loses nothing.
    if text is None:
        return None
    plain = plain_ascii(text)[:limit].strip()
    return plain or None


def emv_payload(*, bank_bin: str, account: str, amount: int | None, reference: str | None,
                service: str = SERVICE_TO_ACCOUNT, merchant_name: str | None = None,
                merchant_city: str | None = None, bill_number: str | None = None) -> str:
    """The VietQR payload string for a transfer of `amount` dong to `account` at `bank_bin`.

    `reference` goes into the purpose (62/08) as plain ASCII: diacritics stripped (đ -> d),
    anything but letters, digits, spaces and dashes turned into spaces. `amount` None makes
    a static QR (point of initiation "11", no 54) where the payer types the amount.
    `merchant_name`/`merchant_city` are folded the same way and cut to 25/15 characters;
    `bill_number` (62/01) is optional and, like the purpose, never cut.

    Raises ValueError with an English message for a BIN that is not 6 digits, an account
    that is not 1-19 letters/digits (digits only for QRIBFTTC), an unknown service, an
    amount outside 1..9,999,999,999,999, or a purpose/bill number that is empty or too long
    once folded to ASCII.
    """
    if not isinstance(bank_bin, str) or not re.fullmatch(r"[0-9]{6}", bank_bin):
        raise ValueError(f"bank BIN must be 6 digits, not {bank_bin!r}")
    if service not in (SERVICE_TO_ACCOUNT, SERVICE_TO_CARD):
        raise ValueError(f"VietQR service must be {SERVICE_TO_ACCOUNT} or {SERVICE_TO_CARD}, not {service!r}")
    if service == SERVICE_TO_CARD:
        if not isinstance(account, str) or not re.fullmatch(r"[0-9]{1,%d}" % ACCOUNT_MAX, account):
            raise ValueError(f"card number must be 1 to {ACCOUNT_MAX} digits without spaces, not {account!r}")
    elif not isinstance(account, str) or not re.fullmatch(r"[A-Za-z0-9]{1,%d}" % ACCOUNT_MAX, account):
        raise ValueError(f"account number must be 1 to {ACCOUNT_MAX} letters or digits without spaces, "
                         f"not {account!r}")
    if amount is not None and (type(amount) is not int or not 1 <= amount <= AMOUNT_MAX):
        # type() rather than isinstance(): True is an int, and a float amount is a bug upstream.
        raise ValueError(f"amount must be a whole number of dong from 1 to {AMOUNT_MAX:,}, not {amount!r}")

    beneficiary = _tlv("00", bank_bin) + _tlv("01", account)
    parts = [
        _tlv("00", "01"),
        _tlv("01", "11" if amount is None else "12"),
        _tlv("38", _tlv("00", NAPAS_GUID) + _tlv("01", beneficiary) + _tlv("02", service)),
        _tlv("53", CURRENCY_VND),
    ]
    if amount is not None:
        parts.append(_tlv("54", str(amount)))
    parts.append(_tlv("58", COUNTRY_VN))
    name = _display_text(merchant_name, MERCHANT_NAME_MAX)
    if name:
        parts.append(_tlv("59", name))
    city = _display_text(merchant_city, MERCHANT_CITY_MAX)
    if city:
        parts.append(_tlv("60", city))
    additional = ""
    if bill_number is not None:
        additional += _tlv("01", _checked_text("bill number", bill_number, BILL_NUMBER_MAX))
    if reference is not None:
        additional += _tlv("08", _checked_text("purpose", reference, PURPOSE_MAX))
    if additional:
        parts.append(_tlv("62", additional))
    body = "".join(parts) + "6304"
    return body + f"{crc16_ccitt_false(body.encode('ascii')):04X}"


# --- parsing -------------------------------------------------------------------------------

def _parse_tlv(text: str, where: str) -> dict:
    fields, pos = {}, 0
    while pos < len(text):
        head = text[pos:pos + 4]
        if len(head) < 4 or not head.isascii() or not head.isdigit():
            raise ValueError(f"VietQR {where}: expected a 2-digit ID and 2-digit length at {pos}, "
                             f"found {head!r}")
        tag, length = head[:2], int(head[2:])
        value = text[pos + 4:pos + 4 + length]
        if length == 0 or len(value) < length:
            raise ValueError(f"VietQR {where}: field {tag} is truncated")
        if tag in fields:
            raise ValueError(f"VietQR {where}: field {tag} appears twice")
        fields[tag] = value
        pos += 4 + length
    return fields


def parse_payload(text: str) -> dict:
    """Split a VietQR/EMVCo payload into its fields, after checking its CRC.

    Returns {"fields": {ID: value or nested dict}, "point_of_initiation", "guid", "bank_bin",
    "account", "service", "currency", "amount" (int or None), "country", "merchant_name",
    "merchant_city", "bill_number", "purpose", "crc"}; a missing field is None. Templates
    26-51 and 62 are nested dicts, and so is a NAPAS template's beneficiary (38/01).
    Raises ValueError for anything malformed: bad CRC, truncated or duplicated fields, CRC
    not last, no payload format indicator first, or an amount that is not whole dong.
    """
    if not isinstance(text, str):
        raise ValueError("VietQR payload must be text")
    text = text.strip()
    if len(text) < 8 or text[-8:-4] != "6304":
        raise ValueError("VietQR payload must end with its CRC field (6304 and 4 hex digits)")
    crc = text[-4:]
    if not re.fullmatch(r"[0-9A-Fa-f]{4}", crc):
        raise ValueError(f"VietQR CRC {crc!r} is not 4 hex digits")
    if int(crc, 16) != crc16_ccitt_false(text[:-4].encode("utf-8")):
        raise ValueError("VietQR CRC does not match: the payload is damaged or was altered")
    fields = _parse_tlv(text, "payload")
    if next(iter(fields)) != "00" or fields["00"] != "01":
        raise ValueError("VietQR payload must start with payload format indicator 000201")
    if next(reversed(fields)) != "63":
        raise ValueError("VietQR CRC must be the last field")

    napas = None
    for tag in list(fields):
        if "26" <= tag <= "51" or tag == "62":
            fields[tag] = _parse_tlv(fields[tag], f"template {tag}")
            if fields[tag].get("00") == NAPAS_GUID and "01" in fields[tag]:
                fields[tag]["01"] = _parse_tlv(fields[tag]["01"], f"template {tag}/01")
                napas = napas or fields[tag]
    amount = fields.get("54")
    if amount is not None:
        if not amount.isascii() or not amount.isdigit():
            raise ValueError(f"VietQR amount {amount!r} is not a whole number of dong")
        amount = int(amount)
    beneficiary = napas["01"] if napas else {}
    additional = fields.get("62", {})
    return {
        "fields": fields,
        "point_of_initiation": fields.get("01"),
        "guid": napas.get("00") if napas else None,
        "bank_bin": beneficiary.get("00"),
        "account": beneficiary.get("01"),
        "service": napas.get("02") if napas else None,
        "currency": fields.get("53"),
        "amount": amount,
        "country": fields.get("58"),
        "merchant_name": fields.get("59"),
        "merchant_city": fields.get("60"),
        "bill_number": additional.get("01"),
        "purpose": additional.get("08"),
        "crc": crc,
    }


# --- images --------------------------------------------------------------------------------

def _symbol(payload: str):
    # Level M, as bank apps' own VietQR images use; never a Micro QR, which they cannot read.
    return segno.make_qr(payload, error="m")


def qr_png(payload: str, *, scale: int = 8, border: int = 4) -> bytes:
    """A PNG of the QR symbol for `payload` (for the e-mail and the PDF ticket)."""
    out = io.BytesIO()
    _symbol(payload).save(out, kind="png", scale=scale, border=border)
    return out.getvalue()


def qr_png_size(payload: str, *, scale: int = 8, border: int = 4) -> int:
    """The width (and height) in pixels of `qr_png(payload, scale=scale, border=border)`."""
    return _symbol(payload).symbol_size(scale=scale, border=border)[0]


def qr_svg(payload: str, *, scale: int = 4, border: int = 4, title: str | None = None) -> str:
    """An inline `<svg>` element of the QR symbol for the web page: no XML declaration, no
    scripts, no external references, so it sits inside the page under a strict CSP."""
    return _symbol(payload).svg_inline(scale=scale, border=border, title=title, svgclass="vietqr",
                                       lineclass=None)

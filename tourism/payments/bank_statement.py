"""Bank statement import for VietQR transfers: read a bank's CSV export, match it to bookings.

Pure functions, no database. `parse_statement(data)` reads the CSV a Vietnamese bank exports
(Vietcombank, Techcombank, MB... or an English layout) into StatementLine records, credits
and debits, or raises ValueError with a message an operator can act on. `match_statement`
sorts the credit lines against the open bookings into a MatchReport.

Nothing is ever guessed: a line is matched only when its description carries exactly one
open booking's reference, no other line carries that reference, and the amount equals the
amount due. Every other credit line is listed for a person to decide.
"""
import csv
import re
import unicodedata
from dataclasses import dataclass, field

from tourism.payments.vietqr import strip_diacritics

# --- reading -------------------------------------------------------------------------------

DATE, DESCRIPTION, AMOUNT, CREDIT, DEBIT, TYPE = "date", "description", "amount", "credit", "debit", "type"

# Header spellings seen in Vietnamese banks' exports, with diacritics, lower case. They are
# also matched without diacritics ("so tien ghi co"), except the two-letter ones: "no" and
# "co" would catch an English "No." (row number) column.
_HEADERS = {
    DATE: ["ngày", "ngày giao dịch", "ngày gd", "ngày hạch toán", "ngày hiệu lực", "ngày thực hiện",
           "thời gian", "thời gian giao dịch", "date", "transaction date", "trans date", "txn date",
           "posting date", "booking date", "value date", "effective date"],
    DESCRIPTION: ["nội dung", "nội dung chi tiết", "nội dung giao dịch", "nội dung chuyển khoản",
                  "nội dung ck", "mô tả", "mô tả giao dịch", "diễn giải", "chi tiết", "chi tiết giao dịch",
                  "description", "transaction description", "details", "transaction details", "remark",
                  "remarks", "narrative", "memo", "content", "transaction content", "particulars"],
    AMOUNT: ["số tiền", "số tiền giao dịch", "số tiền gd", "giá trị", "giá trị giao dịch", "amount",
             "transaction amount"],
    CREDIT: ["có", "ghi có", "số tiền ghi có", "phát sinh có", "ps có", "có tktt", "tiền vào", "số tiền vào",
             "credit", "credits", "credit amount", "money in", "paid in", "deposit", "deposits"],
    DEBIT: ["nợ", "ghi nợ", "số tiền ghi nợ", "phát sinh nợ", "ps nợ", "nợ tktt", "tiền ra", "số tiền ra",
            "debit", "debits", "debit amount", "money out", "paid out", "withdrawal", "withdrawals"],
    TYPE: ["loại", "loại giao dịch", "loại gd", "nợ/có", "có/nợ", "type", "transaction type", "cr/dr",
           "dr/cr", "c/d", "d/c", "debit/credit", "credit/debit"],
}
_EXACT = {name: kind for kind, names in _HEADERS.items() for name in names}
_FOLDED = {strip_diacritics(name): kind for name, kind in _EXACT.items() if len(strip_diacritics(name)) > 3}

_CREDIT_TYPES = {"c", "cr", "credit", "co", "ghi co", "+", "tien vao", "in"}
_DEBIT_TYPES = {"d", "dr", "debit", "no", "ghi no", "-", "tien ra", "out"}

_HEADER_SEARCH_ROWS = 40  # exports start with a few lines about the account and the period


@dataclass(frozen=True)
class StatementLine:
    """One transaction of the statement. `amount` is positive whole dong; `credit` says
    money came in. `line_number` is the file's (1-based) line where the row starts and
    `text` its original text, to show the operator exactly what the bank wrote."""

    line_number: int
    text: str
    date: str
    description: str
    amount: int
    credit: bool


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"  # Excel's "Unicode text"; the BOM says which byte order
    else:
        encoding = "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise ValueError("The statement is not a UTF-8 text file. Export it from the bank as CSV "
                         "(UTF-8) and try again.") from None


def _header_kind(cell: str) -> str | None:
    text = unicodedata.normalize("NFC", cell).casefold().replace("\n", "/")
    text = re.sub(r"\(.*?\)|\[.*?\]", " ", text)             # units: "Số tiền (VND)"
    text = re.sub(r"[^\w/]+", " ", text)
    text = re.sub(r"\s*/\s*", "/", " ".join(text.split())).strip("/")
    text = re.sub(r"\s+(vnd|vnđ|đ)$", "", text)

    def kind_of(name):
        return _EXACT.get(name) or _FOLDED.get(strip_diacritics(name))

    if kind := kind_of(text):
        return kind
    # Bilingual headers: "Ngày giao dịch/Transaction Date", "Nợ/Debit". Parts must agree.
    kinds = {kind_of(part) for part in text.split("/")} - {None}
    return kinds.pop() if len(kinds) == 1 else None


def _columns(row: list[str]) -> dict[str, int]:
    columns = {}
    for index, cell in enumerate(row):
        kind = _header_kind(cell) if cell.strip() else None
        if kind and kind not in columns:
            columns[kind] = index
    return columns


def _usable(columns: dict) -> bool:
    return DESCRIPTION in columns and (CREDIT in columns or AMOUNT in columns)


def parse_vnd_amount(cell: str) -> int | None:
    """A VND amount as written by a bank, as a signed int; None for an empty cell.

    Accepts "1.250.000", "1,250,000", "1 250 000", "1250000", "1,250,000.00", "1.250.000,00",
    "+1.250.000", "-500,000", "(500,000)", "500.000 VND", "500.000đ". A dot or comma before
    exactly three digits groups thousands; before one or two it starts decimals, which must be
    zero (VND has no minor unit). Raises ValueError for anything else rather than guess.
    """
    raw = cell
    text = unicodedata.normalize("NFKC", cell).replace("−", "-")
    text = re.sub(r"(?i)vnđ|vnd|₫|đ", "", text)
    text = re.sub(r"\s+", "", text)
    if not text:
        return None
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1]
    if text and text[0] in "+-" and not negative:  # "(-500)" stays unreadable
        negative, text = text[0] == "-", text[1:]
    elif text.endswith("-"):  # some core banking systems put the sign last
        negative, text = True, text[:-1]
    decimals = re.fullmatch(r"(.+)([.,])([0-9]{1,2})", text)
    if decimals:
        text, decimal_mark, fraction = decimals.groups()
        if int(fraction):
            raise ValueError(f"amount {raw!r} has a fraction of a dong")
        if decimal_mark in text:
            raise ValueError(f"amount {raw!r} is not a number we can read")
    if not re.fullmatch(r"[0-9]+|[0-9]{1,3}(\.[0-9]{3})+|[0-9]{1,3}(,[0-9]{3})+", text):
        raise ValueError(f"amount {raw!r} is not a number we can read")
    value = int(re.sub(r"[.,]", "", text))
    return -value if negative else value


def _records(lines: list[str], delimiter: str):
    """(first line number, last line number, cells) for each CSV record."""
    reader = csv.reader((line + "\n" for line in lines), delimiter=delimiter)
    last = 0
    try:
        for cells in reader:
            yield last + 1, reader.line_num, [cell.strip() for cell in cells]
            last = reader.line_num
    except csv.Error as error:
        raise ValueError(f"The statement is not a readable CSV file (line {reader.line_num}: {error}).") \
            from None


def _find_header(lines: list[str], delimiter: str):
    """(records after the header, columns), or (None, columns of the best near miss)."""
    records = _records(lines, delimiter)
    best = {}
    for first, _last, cells in records:
        columns = _columns(cells)
        if _usable(columns):
            return records, columns
        if len(columns) > len(best):
            best = columns
        if first > _HEADER_SEARCH_ROWS:
            break
    return None, best


def _repeated_header(columns: dict, cells: list[str]) -> bool:
    # Some exports repeat the header on every page or add an English header row under the
    # Vietnamese one. Such a row names a column where the header has its amount; a real
    # transaction row holds a number there.
    index = columns.get(CREDIT, columns.get(AMOUNT))
    return index < len(cells) and _header_kind(cells[index]) is not None and _usable(_columns(cells))


def _line_amount(columns: dict, cells: list[str], line_number: int) -> tuple[int, bool] | None:
    def cell(kind):
        index = columns.get(kind)
        return cells[index] if index is not None and index < len(cells) else ""

    try:
        if CREDIT in columns:
            credit, debit = parse_vnd_amount(cell(CREDIT)), parse_vnd_amount(cell(DEBIT))
            if credit and debit:
                raise ValueError("it has both a credit and a debit amount")
            if credit:
                if credit < 0:
                    raise ValueError(f"its credit amount {cell(CREDIT)!r} is negative")
                return credit, True
            return (abs(debit), False) if debit else None
        amount = parse_vnd_amount(cell(AMOUNT))
        if not amount:
            return None
        if TYPE not in columns or not cell(TYPE):
            return abs(amount), amount > 0
        kind = " ".join(strip_diacritics(cell(TYPE)).casefold().split())
        if kind in _CREDIT_TYPES:
            if amount < 0:
                raise ValueError(f"it is a credit with a negative amount {cell(AMOUNT)!r}")
            return amount, True
        if kind in _DEBIT_TYPES:
            return abs(amount), False
        raise ValueError(f"its type {cell(TYPE)!r} does not say credit or debit")
    except ValueError as error:
        raise ValueError(f"Line {line_number} of the statement cannot be read: {error}.") from None


def parse_statement(data: bytes | str) -> list[StatementLine]:
    """Every transaction row (credits and debits) of a bank's CSV export, in file order.

    Takes the file's bytes (UTF-8 with or without BOM, or UTF-16 with BOM) or text. The
    delimiter (comma, semicolon or tab) and the header row are found by looking for a
    description column and an amount column (one signed "Số tiền"/"Amount" column, perhaps
    with a credit/debit type column, or separate "Ghi có"/"Credit" and "Ghi nợ"/"Debit"
    columns) among the first rows; the rows before it are the bank's preamble. Rows without
    an amount (opening balance, signatures) are skipped. Raises ValueError with a message
    for the operator when the file is not text, has no such header, or has a row whose
    amount cannot be read.
    """
    text = _decode(data)
    if "\x00" in text:
        raise ValueError("The statement is not a text file. Export it from the bank as CSV and try again.")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    found, near_miss = None, {}
    for delimiter in (",", ";", "\t"):
        records, columns = _find_header(lines, delimiter)
        if records is not None:
            found = (records, columns)
            break
        if len(columns) > len(near_miss):
            near_miss = columns
    if found is None:
        if DESCRIPTION in near_miss:
            raise ValueError("The statement has no amount column. Expected a column such as "
                             "'Số tiền', 'Ghi có', 'Credit' or 'Amount'.")
        if CREDIT in near_miss or AMOUNT in near_miss:
            raise ValueError("The statement has no description column. Expected a column such as "
                             "'Nội dung', 'Mô tả', 'Diễn giải' or 'Description'.")
        raise ValueError("This does not look like a bank statement: no header row with a description "
                         "and an amount column (such as 'Nội dung' and 'Số tiền') was found.")

    records, columns = found
    result = []
    for first, last, cells in records:
        if not any(cells) or _repeated_header(columns, cells):
            continue
        amount = _line_amount(columns, cells, first)
        if amount is None:
            continue
        date = cells[columns[DATE]] if DATE in columns and columns[DATE] < len(cells) else ""
        description = cells[columns[DESCRIPTION]] if columns[DESCRIPTION] < len(cells) else ""
        result.append(StatementLine(line_number=first, text="\n".join(lines[first - 1:last]), date=date,
                                    description=unicodedata.normalize("NFC", description),
                                    amount=amount[0], credit=amount[1]))
    return result


# --- matching ------------------------------------------------------------------------------

NO_REFERENCE = "no_reference"
SEVERAL_REFERENCES = "several_references"


@dataclass(frozen=True)
class OpenBooking:
    """A booking waiting for its VietQR transfer: `reference` as issued ("K7M2QX9P", the
    "K7M2-QX9P" display form is fine too), `amount_due` in whole dong."""

    reference: str
    amount_due: int
    booking_id: int


@dataclass(frozen=True)
class Matched:
    line: StatementLine
    booking: OpenBooking


@dataclass(frozen=True)
class AmountMismatch:
    """The line names the booking but the amount differs: partial payment, overpayment or
    a fee taken on the way. `line.amount - booking.amount_due` is the difference."""

    line: StatementLine
    booking: OpenBooking


@dataclass(frozen=True)
class Unmatched:
    """A credit line for no open booking. `reason` is NO_REFERENCE, or SEVERAL_REFERENCES
    (one transfer naming several bookings: `references` lists them)."""

    line: StatementLine
    reason: str
    references: tuple[str, ...] = ()


@dataclass(frozen=True)
class Duplicate:
    """The booking's reference is on more than one credit line; none of them is matched."""

    booking: OpenBooking
    lines: tuple[StatementLine, ...]


@dataclass
class MatchReport:
    matched: list[Matched] = field(default_factory=list)
    amount_mismatch: list[AmountMismatch] = field(default_factory=list)
    unmatched: list[Unmatched] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)


def compact_reference(text: str) -> str:
    """Upper-case letters and digits only: "k7m2-qx9p" and "K7M2 QX9P" both give "K7M2QX9P"."""
    return re.sub(r"[^0-9A-Z]", "", strip_diacritics(text).upper())


def _references_in(description: str, by_length: dict[int, dict[str, OpenBooking]]) -> list[OpenBooking]:
    # Separators are dropped first, so a reference is found inside bank prefixes glued to it
    # ("MBVCB.8812345.064387.K7M2QX9P.CT tu...", "IBFT K7M2-QX9P") and whatever the payer typed
    # between its halves. An 8-character reference over a 32-letter alphabet does not turn up
    # by chance, and the amount must agree as well.
    text = compact_reference(description)
    found = {}
    for length, bookings in by_length.items():
        for start in range(len(text) - length + 1):
            booking = bookings.get(text[start:start + length])
            if booking is not None:
                found[booking.booking_id] = booking
    return list(found.values())


def match_statement(lines: list[StatementLine], open_bookings: list[OpenBooking]) -> MatchReport:
    """Sort the credit lines of a statement against the bookings awaiting a transfer.

    A line is matched when its description contains exactly one open booking's reference
    (any case, spaces or dashes inside it, bank prefixes around it), no other credit line
    contains that reference, and its amount equals the amount due. The same reference with
    another amount goes to `amount_mismatch`; a reference on two or more lines goes to
    `duplicates` (all of them, none matched); a line with no open booking's reference, or
    with several, goes to `unmatched`. Debits are ignored. Each list is in file order.
    Raises ValueError if `open_bookings` repeats a reference or holds one shorter than six
    characters (too short to find safely in free text).
    """
    by_length: dict[int, dict[str, OpenBooking]] = {}
    for booking in open_bookings:
        key = compact_reference(booking.reference)
        if len(key) < 6:
            raise ValueError(f"booking reference {booking.reference!r} is too short to match safely")
        if key in by_length.setdefault(len(key), {}):
            raise ValueError(f"booking reference {booking.reference!r} is listed twice")
        by_length[len(key)][key] = booking

    report = MatchReport()
    claims: dict[int, list[StatementLine]] = {}
    bookings: dict[int, OpenBooking] = {}
    for line in lines:
        if not line.credit:
            continue
        found = _references_in(line.description, by_length)
        if not found:
            report.unmatched.append(Unmatched(line, NO_REFERENCE))
        elif len(found) > 1:
            report.unmatched.append(Unmatched(line, SEVERAL_REFERENCES,
                                              tuple(booking.reference for booking in found)))
        else:
            claims.setdefault(found[0].booking_id, []).append(line)
            bookings[found[0].booking_id] = found[0]

    for booking_id, claiming in claims.items():
        booking = bookings[booking_id]
        if len(claiming) > 1:
            report.duplicates.append(Duplicate(booking, tuple(claiming)))
        elif claiming[0].amount == booking.amount_due:
            report.matched.append(Matched(claiming[0], booking))
        else:
            report.amount_mismatch.append(AmountMismatch(claiming[0], booking))
    report.matched.sort(key=lambda item: item.line.line_number)
    report.amount_mismatch.sort(key=lambda item: item.line.line_number)
    report.duplicates.sort(key=lambda item: item.lines[0].line_number)
    return report

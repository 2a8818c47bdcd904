"""Bank statement CSVs as Vietnamese banks export them, matched to bookings without guessing."""
import pytest

from tourism.payments.bank_statement import (
    NO_REFERENCE, SEVERAL_REFERENCES, OpenBooking, StatementLine, compact_reference, match_statement,
    parse_statement, parse_vnd_amount,
)

# Vietcombank-like: a preamble, comma-separated, "1,250,000" in quotes, separate debit and
# credit columns, the transfer content last. Lines 1-6 preamble, 7 header, 8 opening balance.
VIETCOMBANK = """\
NGÂN HÀNG TMCP NGOẠI THƯƠNG VIỆT NAM,,,,,,
SAO KÊ TÀI KHOẢN / ACCOUNT STATEMENT,,,,,,
Số tài khoản: 0011004123456,,,,,,
Tên tài khoản: HTX CHE TAN CUONG,,,,,,
Từ ngày 01/03/2025 đến ngày 31/03/2025,,,,,,
,,,,,,
STT,Ngày giao dịch,Số tham chiếu,Số tiền ghi nợ,Số tiền ghi có,Số dư,Nội dung chi tiết
1,01/03/2025,,,,"10,000,000",Số dư đầu kỳ
2,02/03/2025,5213 - 40512,,"1,250,000","11,250,000",MBVCB.8812345.064387.K7M2QX9P.CT tu 0451000123 NGUYEN THI HUONG toi 0011004123456
3,02/03/2025,5213 - 40513,"22,000",,"11,228,000",Thu phí SMS Banking tháng 02/2025
4,03/03/2025,5213 - 40777,,"500,000","11,728,000",IBFT Chuyển tiền đặt chỗ hx7n-4rtw cho 2 người
5,03/03/2025,5213 - 40778,,"300,000","12,028,000",Nguyễn Văn An chuyển tiền ăn trưa
6,04/03/2025,5213 - 40901,"1,250,000",,"10,778,000",Hoàn tiền K7M2QX9P
"""

# Techcombank-like: UTF-8 with BOM, semicolons, bilingual headers, "2.400.000", a
# description spread over two lines, the same reference paid twice, one transfer for two.
TECHCOMBANK = """\ufeffTECHCOMBANK;;;;;;
Sao kê tài khoản/Account statement;;;;;;
Ngày giao dịch/Transaction Date;Đối tác/Remitter;NH Đối tác/Remitter Bank;Diễn giải/Details;Nợ/Debit;Có/Credit;Số dư/Balance
05/03/2025;NGUYEN THI HUONG;VCB;Dat cho 3PQR 7TUV;;2.400.000;12.400.000
06/03/2025;KIM MIN JUN;SHINHAN;Đặt chỗ 3pqr-7tuv;;2.400.000;14.800.000
07/03/2025;TRAN VAN BINH;BIDV;"CT DEN:0123456789 Thanh toán
đơn LANGVIET W9XY-Z2AB";;980.000;15.780.000
08/03/2025;LE THI MAI;ACB;TT 2 booking K7M2QX9P va HX7N4RTW;;2.000.000;17.780.000
08/03/2025;;;Phí quản lý tài khoản;11.000;;17.769.000
"""

BOOKINGS = [
    OpenBooking(reference="K7M2QX9P", amount_due=1_250_000, booking_id=1),
    OpenBooking(reference="HX7N-4RTW", amount_due=750_000, booking_id=2),
    OpenBooking(reference="3PQR7TUV", amount_due=2_400_000, booking_id=3),
    OpenBooking(reference="W9XYZ2AB", amount_due=980_000, booking_id=4),
]


def by_line(lines):
    return {line.line_number: line for line in lines}


# --- reading ---------------------------------------------------------------------------------

def test_vietcombank_layout_is_read():
    lines = by_line(parse_statement(VIETCOMBANK.encode()))
    assert sorted(lines) == [9, 10, 11, 12, 13]             # 8 is the opening balance: no amount
    assert lines[9] == StatementLine(
        line_number=9, text=VIETCOMBANK.splitlines()[8], date="02/03/2025",
        description="MBVCB.8812345.064387.K7M2QX9P.CT tu 0451000123 NGUYEN THI HUONG toi 0011004123456",
        amount=1_250_000, credit=True)
    assert (lines[10].amount, lines[10].credit) == (22_000, False)
    assert lines[11].description == "IBFT Chuyển tiền đặt chỗ hx7n-4rtw cho 2 người"


def test_techcombank_layout_with_bom_semicolons_and_a_two_line_description():
    lines = by_line(parse_statement(TECHCOMBANK.encode("utf-8")))
    assert sorted(lines) == [4, 5, 6, 8, 9]
    assert lines[6].text == ('07/03/2025;TRAN VAN BINH;BIDV;"CT DEN:0123456789 Thanh toán\n'
                             'đơn LANGVIET W9XY-Z2AB";;980.000;15.780.000')
    assert lines[6].description == "CT DEN:0123456789 Thanh toán\nđơn LANGVIET W9XY-Z2AB"
    assert (lines[6].amount, lines[6].credit, lines[6].date) == (980_000, True, "07/03/2025")
    assert (lines[9].amount, lines[9].credit) == (11_000, False)


def test_windows_line_endings_and_utf16_export():
    text = "Ngày giao dịch,Nội dung,Số tiền\r\n02/03/2025,Dat cho K7M2QX9P,1250000\r\n"
    for data in (text.encode("utf-8"), text.encode("utf-16"), text):
        [line] = parse_statement(data)
        assert (line.line_number, line.text, line.amount, line.credit) == (
            2, "02/03/2025,Dat cho K7M2QX9P,1250000", 1_250_000, True)


def test_single_signed_amount_column_in_english():
    csv_text = ('Date,Description,Amount,Balance\n'
                '2025-03-09,Transfer from PARK JI HOON ref K7M2QX9P,"+1,250,000","11,250,000"\n'
                '2025-03-09,Card fee,"-30,000","11,220,000"\n')
    first, second = parse_statement(csv_text)
    assert (first.amount, first.credit, second.amount, second.credit) == (1_250_000, True, 30_000, False)


def test_amount_with_a_credit_debit_type_column():
    csv_text = "Ngày;Mô tả;Số tiền (VND);Loại\n09/03/2025;Dat cho K7M2QX9P;1.250.000;C\n10/03/2025;Rút tiền ATM;500.000;Nợ\n"
    first, second = parse_statement(csv_text)
    assert (first.amount, first.credit, second.amount, second.credit) == (1_250_000, True, 500_000, False)


def test_headers_without_diacritics_and_a_row_number_column_named_no():
    csv_text = "No.,Ngay giao dich,Noi dung,So tien ghi no,So tien ghi co\n1,02/03/2025,Dat cho K7M2QX9P,,1250000\n"
    [line] = parse_statement(csv_text)
    assert (line.amount, line.credit) == (1_250_000, True)   # "No." is the row number, not "Nợ"


def test_english_header_row_under_the_vietnamese_one_is_skipped():
    csv_text = ("Ngày giao dịch,Nội dung,Ghi nợ,Ghi có\n"
                "Transaction date,Description,Debit,Credit\n"
                '02/03/2025,Dat cho K7M2QX9P,,"1,250,000"\n')
    [line] = parse_statement(csv_text)
    assert (line.line_number, line.amount) == (3, 1_250_000)


@pytest.mark.parametrize(("cell", "expected"), [
    ("1.250.000", 1_250_000), ("1,250,000", 1_250_000), ("1250000", 1_250_000),
    ("1 250 000", 1_250_000), ("1\u00a0250\u00a0000", 1_250_000), ("1,250,000.00", 1_250_000),
    ("1.250.000,00", 1_250_000), ("+1.250.000", 1_250_000), ("-500,000", -500_000),
    ("(500,000)", -500_000), ("500.000-", -500_000), ("500.000 VND", 500_000), ("500.000đ", 500_000),
    ("500.000 ₫", 500_000), ("1.250", 1_250), ("0", 0), ("", None), ("  ", None),
])
def test_amounts_as_banks_write_them(cell, expected):
    assert parse_vnd_amount(cell) == expected


@pytest.mark.parametrize("cell", ["1.25", "12,5", "1.250.000,50", "1,250.000", "1.25.000", "12abc",
                                  "1,2345", "--5", "()", "(-500)", "1.250,000.00"])
def test_amounts_we_will_not_guess(cell):
    with pytest.raises(ValueError):
        parse_vnd_amount(cell)


# --- bad files -------------------------------------------------------------------------------

@pytest.mark.parametrize(("data", "message"), [
    ("Ngày giao dịch,Nội dung,Số dư\n02/03/2025,Dat cho K7M2QX9P,1250000\n", "no amount column"),
    ("Ngày giao dịch,Số tiền ghi có\n02/03/2025,1250000\n", "no description column"),
    ("hello,world\n1,2\n", "does not look like a bank statement"),
    (b"", "does not look like a bank statement"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xd8", "not a UTF-8 text file"),
    (b"N\xf4\xf2i dung,S\xf4\xec ti\xea\xccn ghi c\xf3\n", "not a UTF-8 text file"),  # Windows-1258
    ("Nội dung,Số tiền\nabc\x00,1\n", "not a text file"),
    ("Ngày,Nội dung,Số tiền\n02/03/2025,Dat cho K7M2QX9P,\"1.250.000,50\"\n", "Line 2 .*fraction of a dong"),
    ("Ngày,Nội dung,Số tiền\n02/03/2025,Dat cho K7M2QX9P,12abc\n", "Line 2 .*not a number"),
    ("Nội dung,Ghi nợ,Ghi có\nDat cho K7M2QX9P,5000,1250000\n", "Line 2 .*both a credit and a debit"),
    ("Nội dung;Số tiền;Loại\nDat cho K7M2QX9P;1250000;X\n", "Line 2 .*does not say credit or debit"),
])
def test_bad_files_raise_a_clear_error(data, message):
    with pytest.raises(ValueError, match=message):
        parse_statement(data)


# --- matching --------------------------------------------------------------------------------

def test_vietcombank_statement_is_matched_without_guessing():
    report = match_statement(parse_statement(VIETCOMBANK.encode()), BOOKINGS)
    assert [(item.line.line_number, item.booking.booking_id) for item in report.matched] == [(9, 1)]
    # "hx7n-4rtw" found in lower case with its dash, but 500,000 of 750,000: listed, not matched.
    [mismatch] = report.amount_mismatch
    assert (mismatch.line.line_number, mismatch.booking.booking_id) == (11, 2)
    assert mismatch.line.amount - mismatch.booking.amount_due == -250_000
    assert [(item.line.line_number, item.reason) for item in report.unmatched] == [(12, NO_REFERENCE)]
    assert report.unmatched[0].line.text.endswith("Nguyễn Văn An chuyển tiền ăn trưa")
    assert report.duplicates == []                   # the refund debit on line 13 is ignored


def test_techcombank_statement_flags_duplicates_and_transfers_for_two_bookings():
    report = match_statement(parse_statement(TECHCOMBANK.encode()), BOOKINGS)
    assert [(item.line.line_number, item.booking.booking_id) for item in report.matched] == [(6, 4)]
    [duplicate] = report.duplicates
    assert duplicate.booking.booking_id == 3
    assert [line.line_number for line in duplicate.lines] == [4, 5]
    [several] = report.unmatched
    assert (several.line.line_number, several.reason) == (8, SEVERAL_REFERENCES)
    assert sorted(several.references) == ["HX7N-4RTW", "K7M2QX9P"]
    assert report.amount_mismatch == []


def test_reference_of_a_booking_that_is_not_open_is_unmatched():
    report = match_statement(parse_statement(VIETCOMBANK.encode()), BOOKINGS[1:])
    assert (9, NO_REFERENCE) in [(item.line.line_number, item.reason) for item in report.unmatched]
    assert report.matched == []


def test_overpayment_is_a_mismatch_too():
    lines = parse_statement("Nội dung,Số tiền ghi có\nLANGVIET K7M2 QX9P,1300000\n")
    report = match_statement(lines, BOOKINGS)
    assert report.matched == [] and report.amount_mismatch[0].line.amount == 1_300_000


@pytest.mark.parametrize("description", [
    "K7M2QX9P", "k7m2qx9p", "K7M2-QX9P", "k7m2 - qx9p", "Đặt chỗ K7M2QX9P", "Dat cho: K7M2.QX9P",
    "MBVCB.3278904912.064387.K7M2QX9P.CT tu 123", "REM Tfr Ac: 0123 K7M2QX9P LANGVIET", "064387K7M2QX9P",
    "TKThe :0451000123, tai VCB. k7m2-qx9p -CTLNHIDI000012345678",
])
def test_reference_found_in_the_usual_bank_descriptions(description):
    line = StatementLine(line_number=2, text="", date="", description=description, amount=1_250_000, credit=True)
    report = match_statement([line], BOOKINGS)
    assert [item.booking.booking_id for item in report.matched] == [1]


@pytest.mark.parametrize("description", ["K7M2QX9", "K7M2QX8P", "K7M2/QX9", "Đặt chỗ", ""])
def test_near_misses_are_not_matched(description):
    line = StatementLine(line_number=2, text="", date="", description=description, amount=1_250_000, credit=True)
    report = match_statement([line], BOOKINGS)
    assert report.matched == [] and report.unmatched[0].reason == NO_REFERENCE


def test_open_bookings_must_be_unambiguous():
    with pytest.raises(ValueError, match="listed twice"):
        match_statement([], [BOOKINGS[0], OpenBooking("k7m2-qx9p", 1, 99)])
    with pytest.raises(ValueError, match="too short"):
        match_statement([], [OpenBooking("AB12", 1, 99)])


def test_compact_reference():
    assert compact_reference(" k7m2-qx9p ") == "K7M2QX9P"

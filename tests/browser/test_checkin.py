"""The check-in scanner in headless Chromium at phone size: tickets scanned from photos of
their QR codes, checked on the phone, admitted online; then with no connection (the page
reopened from the service worker), scans saved on the phone and synced when it is back; a
ticket let in on two phones offline flagged; refusals; "Undo this check-in", online and for a
scan still on the phone; no JavaScript; no axe violations."""
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

import pytest
import segno
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import PHONE, sign_in_live
from tests.browser.test_accessibility import violations
from tests.concurrency import committed
from tests.conftest import VIETNAM
from tests.factories import contact, make_experience, make_session
from tourism.booking import services
from tourism.booking.models import Booking
from tourism.catalog.models import PublicationStatus, Village
from tourism.tickets import codes
from tourism.tickets.checkin import admitted_count
from tourism.tickets.services import ticket_code

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Ticket:
    reference: str
    party: int
    code: str
    name: str


@dataclass(frozen=True)
class Gate:
    today: int  # the session these tests scan at
    later_today: int
    tomorrow: int
    tickets: dict[str, Ticket]

    def url(self, live_server, session_id=None, locale="en"):
        return f"{live_server}/console/sessions/{session_id or self.today}/checkin?lang={locale}"


PARTIES = {  # one booking per test (or per step), so the tests never share a ticket
    "online": 2, "offline": 3, "two_phones": 2, "same_phone": 2, "cancelled": 1, "forged": 2,
    "manual": 4, "no_js": 2, "axe": 2, "camera": 3, "unanswered": 2,
    "offline_manual": 3, "signed_out": 2, "later_today": 1, "tomorrow": 1, "undo_offline": 2,
}


@pytest.fixture(scope="module")
def gate(live_db, base_settings):
    """A Bát Tràng experience with sessions today (12:00 and 16:00, village time) and tomorrow,
    a confirmed booking for each test, and the tickets' codes. The experience is made a draft
    once booked, so the catalog pages other tests look at do not change."""
    keys = codes.load_ticket_keys(base_settings)  # the live server's key file

    def work(db):
        village = db.scalar(select(Village).where(Village.slug == "bat-trang"))
        experience = make_experience(db, village, "bat-trang-checkin-browser", max_party=8,
                                     texts={"vi": "Thử cổng soát vé", "en": "Gate trial"})
        day = datetime.now(VIETNAM).date()

        def at(days, hour):
            return datetime.combine(day + timedelta(days=days), time(hour), VIETNAM).astimezone(timezone.utc)

        sessions = {"today": make_session(db, experience, at(0, 12), capacity=60),
                    "later_today": make_session(db, experience, at(0, 16), capacity=10),
                    "tomorrow": make_session(db, experience, at(1, 12), capacity=10)}
        before = at(-2, 12)
        tickets = {}
        for i, (name, party) in enumerate(PARTIES.items()):
            session = sessions.get(name, sessions["today"])
            guest = f"Khách {i} Nguyễn"
            booking, _token = services.create_hold(db, session=session, party={"adult": party},
                                                   contact=contact(name=guest, email=f"gate{i}@example.com"),
                                                   now=before)
            services.confirm_booking(db, booking, now=before)
            tickets[name] = Ticket(booking.reference, party, ticket_code(keys, booking), guest)
            if name == "cancelled":
                services.cancel_booking(db, booking, now=before)
        experience.status = PublicationStatus.DRAFT
        return Gate(sessions["today"].id, sessions["later_today"].id, sessions["tomorrow"].id, tickets)

    return committed(live_db, work)


def admitted(live_db, ticket: Ticket) -> int:
    return committed(live_db, lambda db: admitted_count(
        db, db.scalar(select(Booking).where(Booking.reference == ticket.reference))))


@pytest.fixture
def qr(tmp_path):
    """qr(text) → a PNG photo of a QR code holding `text`, as a phone camera would take it."""
    def make(text, name="ticket"):
        path = tmp_path / f"{name}.png"
        segno.make(text, error="m", micro=False).save(str(path), scale=6, border=4)
        return str(path)

    return make


@pytest.fixture
def phones(browser):
    """phones() → a new phone (browser context) each call; closed after the test."""
    contexts = []

    def make(**options):
        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, **options)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def open_scanner(context, live_server, live_staff, gate, session_id=None, signed_in=False):
    """A signed-in scanner page, ready to work offline (service worker and guest list in place)."""
    page = context.new_page()
    page.on("console", lambda message: message.type == "error" and print("console:", message.text))
    if not signed_in:
        sign_in_live(page, live_server, live_staff)
    page.goto(gate.url(live_server, session_id))
    page.wait_for_selector("html[data-offline-ready]", state="attached")
    expect(page.locator("#list-state")).to_contain_text("Guest list saved on this phone")
    return page


def scan_photo(page, path):
    page.set_input_files("#photo", path)


def result(page):
    return page.locator("#checkin-result")


def test_scan_online_then_offline_and_sync(live_server, live_db, live_staff, gate, phones, qr):
    phone = phones()
    page = open_scanner(phone, live_server, live_staff, gate)
    online, offline = gate.tickets["online"], gate.tickets["offline"]

    # Online: the photo's code is checked on the phone, shown, then admitted by the server.
    scan_photo(page, qr(online.code, "online"))
    expect(page.locator("#checkin-result-title")).to_have_text("Ticket read")
    expect(page.locator("#checkin-facts")).to_contain_text(online.name)
    expect(page.locator("#people")).to_have_value(str(online.party))
    expect(page.locator("#sign-in-again")).to_be_hidden()
    expect(page.locator("#sync-now")).to_be_hidden()
    page.click("#admit")
    expect(page.locator("#checkin-result-title")).to_have_text("Admitted")
    expect(result(page)).to_have_class("checkin-result checkin-result--ok")
    expect(result(page)).to_contain_text(f"People admitted now: {online.party}")
    assert admitted(live_db, online) == online.party

    # No connection: the page reopens from the service worker, scans wait on the phone.
    phone.set_offline(True)
    assert page.reload().from_service_worker
    expect(page.locator("#network-state")).to_have_text("Offline: scans are saved on this phone")
    expect(page.locator("h1")).to_contain_text("Gate trial")
    scan_photo(page, qr(offline.code, "offline"))
    expect(page.locator("#checkin-facts")).to_contain_text(offline.name)
    page.click("#admit")
    expect(page.locator("#checkin-result-title")).to_have_text("Admitted — saved on this phone, will sync")
    expect(result(page)).to_have_class("checkin-result checkin-result--queued")
    expect(page.locator("#queue-state")).to_have_text("Saved on this phone, waiting to sync: 1")
    assert admitted(live_db, offline) == 0
    queued = page.evaluate("JSON.parse(localStorage.getItem('langviet.checkin.queue'))")
    assert [(q["reference"], q["people"]) for q in queued] == [(offline.reference, offline.party)]

    # The connection is back: the queue is sent, and the server counts the guests in.
    phone.set_offline(False)
    expect(page.locator("#sync-report")).to_contain_text("Scans sent and synced: 1.")
    expect(page.locator("#queue-state")).to_have_text("Every scan is synced.")
    assert admitted(live_db, offline) == offline.party
    assert page.evaluate("localStorage.getItem('langviet.checkin.queue')") == "[]"
    # The same scans sent again (a sync whose answer was lost) admit nobody twice.
    again = page.evaluate("""async ([scans, session]) => {
        const list = await (await fetch(`/console/sessions/${session}/checkin/guests.json`)).json();
        const response = await fetch(`/console/sessions/${session}/checkin/sync`, {method: 'POST',
            headers: {'Content-Type': 'application/json', 'X-CSRF-Token': list.csrfToken},
            body: JSON.stringify({scans})});
        return response.json();
    }""", [queued, gate.today])
    assert [(r["ok"], r["duplicate"], r["admitted"]) for r in again["results"]] == [(True, True, offline.party)]
    assert admitted(live_db, offline) == offline.party


def test_a_ticket_let_in_on_two_offline_phones_is_flagged(live_server, live_db, live_staff, gate, phones, qr):
    ticket, photo = gate.tickets["two_phones"], qr(gate.tickets["two_phones"].code)
    first, second = phones(), phones()
    page1 = open_scanner(first, live_server, live_staff, gate)
    page2 = open_scanner(second, live_server, live_staff, gate)
    first.set_offline(True)
    second.set_offline(True)
    for page in (page1, page2):
        scan_photo(page, photo)
        expect(page.locator("#checkin-result-title")).to_have_text("Ticket read")
        page.click("#admit")
        expect(page.locator("#checkin-result-title")).to_have_text("Admitted — saved on this phone, will sync")

    # Each phone knows its own scans: scanned again on the first phone, the ticket is flagged.
    scan_photo(page1, photo)
    expect(page1.locator("#checkin-result-title")).to_have_text("Check this ticket")
    expect(result(page1)).to_contain_text(f"All {ticket.party} people on this ticket have already been admitted.")
    expect(result(page1)).to_have_class("checkin-result checkin-result--warning")

    first.set_offline(False)
    expect(page1.locator("#sync-report")).to_contain_text("Scans sent and synced: 1.")
    second.set_offline(False)
    report = page2.locator("#sync-report")
    expect(report).to_contain_text(
        f"Admitted twice while offline: {ticket.party} more people than the ticket holds.")
    assert admitted(live_db, ticket) == ticket.party


def test_two_offline_pages_of_one_phone_share_what_they_scanned(live_server, live_staff, gate, phones, qr):
    photo = qr(gate.tickets["same_phone"].code)
    phone = phones()
    page1 = open_scanner(phone, live_server, live_staff, gate)
    phone.set_offline(True)
    scan_photo(page1, photo)
    page1.click("#admit")
    expect(page1.locator("#queue-state")).to_have_text("Saved on this phone, waiting to sync: 1")
    page2 = phone.new_page()  # a second tab, opened with no connection at all
    page2.goto(gate.url(live_server))
    scan_photo(page2, photo)
    expect(page2.locator("#checkin-result-title")).to_have_text("Check this ticket")
    expect(result(page2)).to_contain_text("have already been admitted")
    expect(page2.locator("#people")).to_have_value("")
    page2.click("#admit")  # nobody left to let in: refused, nothing queued
    expect(page2.locator("#checkin-result-title")).to_have_text("Not admitted")
    expect(page2.locator("#queue-state")).to_have_text("Saved on this phone, waiting to sync: 1")
    phone.set_offline(False)
    expect(page1.locator("#queue-state")).to_have_text("Every scan is synced.")


def test_bad_tickets_get_a_clear_answer(live_server, live_db, live_staff, gate, phones, qr):
    page = open_scanner(phones(), live_server, live_staff, gate)
    genuine = gate.tickets["forged"]
    raw = bytearray(codes.b45decode(genuine.code[len(codes.PREFIX):]))
    raw[11:13] = (8).to_bytes(2, "big")  # the party, raised without the key
    cases = [
        (codes.PREFIX + codes.b45encode(bytes(raw)), "This ticket code is damaged or forged."),
        (genuine.code[:70], "This ticket code is incomplete or damaged."),
        ("https://example.com/not-a-ticket", "This is not a LàngViệt ticket code."),
        (gate.tickets["cancelled"].code, "This booking was cancelled."),
        (gate.tickets["later_today"].code, "This ticket is for another session: Gate trial"),
    ]
    for i, (text, answer) in enumerate(cases):
        scan_photo(page, qr(text, f"bad{i}"))
        expect(page.locator("#checkin-result-title")).to_have_text("Not admitted")
        expect(result(page)).to_have_class("checkin-result checkin-result--refused")
        expect(result(page)).to_contain_text(answer)
    assert admitted(live_db, genuine) == 0

    # Tomorrow's session opened today: the ticket is for another day.
    tomorrow = open_scanner(page.context, live_server, live_staff, gate, gate.tomorrow, signed_in=True)
    scan_photo(tomorrow, qr(gate.tickets["tomorrow"].code, "tomorrow"))
    expect(result(tomorrow)).to_contain_text("This ticket is for another day.")


def test_manual_entry_by_reference_with_javascript(live_server, live_db, live_staff, gate, phones):
    page = open_scanner(phones(), live_server, live_staff, gate)
    ticket = gate.tickets["manual"]
    page.fill("#reference", ticket.reference.lower()[:4] + "-" + ticket.reference[4:].lower())
    page.fill("#people", "3")
    page.click("#admit")
    expect(page.locator("#checkin-result-title")).to_have_text("Admitted")
    expect(result(page)).to_contain_text("People admitted now: 3")
    page.fill("#reference", ticket.reference)
    page.fill("#people", "2")
    page.click("#admit")
    expect(page.locator("#checkin-result-title")).to_have_text("Not admitted")
    expect(result(page)).to_contain_text("Only 1 people are left to admit on this ticket.")
    assert admitted(live_db, ticket) == 3
    page.fill("#reference", "ZZZZ-ZZZZ")
    page.click("#admit")
    expect(result(page)).to_contain_text("No booking for this session has the reference ZZZZ-ZZZZ.")


def test_the_scanner_works_without_javascript(live_server, live_db, live_staff, gate, phones):
    page = phones(java_script_enabled=False).new_page()
    sign_in_live(page, live_server, live_staff)
    page.goto(gate.url(live_server))
    assert page.locator("#checkin-scanner").is_hidden()
    ticket = gate.tickets["no_js"]
    page.fill("#reference", ticket.reference)
    page.click("#admit")
    assert page.locator("#checkin-result-title").inner_text() == "Admitted"
    assert ticket.name in page.inner_text("#checkin-result")
    assert admitted(live_db, ticket) == ticket.party


def test_the_scanner_has_no_axe_violations_and_fits_a_phone(live_server, live_db, live_staff, gate, axe_page, phones,
                                                            qr):
    sign_in_live(axe_page, live_server, live_staff, locale="vi")
    axe_page.goto(f"{live_server}/console/checkin?lang=vi")
    assert violations(axe_page) == []
    axe_page.goto(gate.url(live_server, locale="vi"))
    axe_page.wait_for_selector("html[data-offline-ready]", state="attached")
    assert violations(axe_page) == []
    scan_photo(axe_page, qr(gate.tickets["axe"].code))
    axe_page.locator("#checkin-facts div").first.wait_for()
    assert violations(axe_page) == []
    axe_page.click("#admit")
    expect(axe_page.locator("#checkin-result")).to_have_class("checkin-result checkin-result--ok")
    ticket = gate.tickets["axe"]
    guest_row = axe_page.locator(f'#checkin-guests tr[data-reference="{ticket.reference}"] [data-admitted]')
    expect(guest_row).to_have_text(str(ticket.party))
    undo = axe_page.locator("#checkin-undo button")
    expect(undo).to_be_visible()
    assert violations(axe_page) == []
    assert undo.bounding_box()["height"] >= 44

    # Undone: the guest is not checked in any more, on the server and on the page.
    undo.click()
    expect(axe_page.locator("#checkin-result")).to_have_class("checkin-result checkin-result--info")
    expect(axe_page.locator("#checkin-undo button")).to_have_count(0)
    expect(axe_page.locator("#checkin-result")).to_be_focused()  # not lost with the pressed button
    expect(guest_row).to_have_text("0")
    expect(axe_page.locator("#checkin-facts")).to_contain_text(ticket.name)
    assert admitted(live_db, ticket) == 0
    assert violations(axe_page) == []

    page = open_scanner(phones(), live_server, live_staff, gate)
    messages = []
    page.on("console", lambda m: messages.append(m.text))
    page.reload()
    page.wait_for_selector("html[data-offline-ready]", state="attached")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert [m for m in messages if "Content Security Policy" in m] == []
    for target in page.locator("#checkin-scanner button, #checkin-scanner label.button, #admit").all():
        assert target.bounding_box()["height"] >= 44


def test_undo_takes_a_scan_still_on_the_phone_off_its_queue(live_server, live_db, live_staff, gate, phones, qr):
    phone = phones()
    page = open_scanner(phone, live_server, live_staff, gate)
    ticket = gate.tickets["undo_offline"]
    phone.set_offline(True)
    scan_photo(page, qr(ticket.code, "undo-offline"))
    page.click("#admit")
    expect(page.locator("#checkin-result-title")).to_have_text("Admitted — saved on this phone, will sync")
    expect(page.locator("#queue-state")).to_have_text("Saved on this phone, waiting to sync: 1")
    page.click("#checkin-undo button")
    expect(page.locator("#checkin-result-title")).to_have_text("Check-in undone")
    expect(result(page)).to_contain_text("Taken off this phone before it was synced")
    expect(page.locator("#queue-state")).to_have_text("Every scan is synced.")
    assert page.evaluate("localStorage.getItem('langviet.checkin.queue')") == "[]"
    phone.set_offline(False)
    expect(page.locator("#network-state")).to_have_text("Online")
    assert admitted(live_db, ticket) == 0


def y4m(text, path, size=480, frames=5):
    """A short Y4M video (Chromium's fake camera input) filmed in front of the QR of `text`."""
    rows = list(segno.make(text, error="m", micro=False).matrix_iter(scale=1, border=4))
    scale = size // len(rows)
    offset = (size - scale * len(rows)) // 2
    luma = bytearray([235]) * (size * size)  # white paper
    for y, row in enumerate(rows):
        for x, dark in enumerate(row):
            if dark:
                for dy in range(scale):
                    start = (offset + y * scale + dy) * size + offset + x * scale
                    luma[start:start + scale] = bytes([16]) * scale
    chroma = bytes([128]) * (size * size // 2)  # no colour (4:2:0: two quarter planes)
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{size} H{size} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _frame in range(frames):
            f.write(b"FRAME\n" + bytes(luma) + chroma)
    return str(path)


def test_the_camera_reads_a_ticket(live_server, live_db, live_staff, gate, browser, tmp_path):
    """Chromium's fake camera films a ticket's QR: the scanner reads it without a photo."""
    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    ticket = gate.tickets["camera"]
    video = y4m(ticket.code, tmp_path / "camera.y4m")
    filming = browser.browser_type.launch(executable_path=CHROMIUM, args=[
        *CHROMIUM_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}"])
    try:
        context = filming.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
        context.grant_permissions(["camera"], origin=live_server)
        page = open_scanner(context, live_server, live_staff, gate)
        page.click("#camera-toggle")
        expect(page.locator("#checkin-result-title")).to_have_text("Ticket read", timeout=15000)
        expect(page.locator("#checkin-facts")).to_contain_text(ticket.name)
        expect(page.locator("#camera-toggle")).to_have_text("Stop the camera")
        page.click("#camera-toggle")
        expect(page.locator("#camera-view")).to_be_hidden()
        page.click("#admit")
        expect(page.locator("#checkin-result-title")).to_have_text("Admitted")
        assert admitted(live_db, ticket) == ticket.party
    finally:
        filming.close()


def test_a_server_that_does_not_answer_leaves_the_scan_on_the_phone(live_server, live_db, live_staff, gate,
                                                                    phones, qr, tmp_path):
    page = open_scanner(phones(), live_server, live_staff, gate)
    ticket = gate.tickets["unanswered"]
    page.route("**/checkin/admit", lambda route: route.abort())  # online, but the request is lost
    scan_photo(page, qr(ticket.code))
    page.click("#admit")
    expect(page.locator("#checkin-result-title")).to_have_text("Admitted — saved on this phone, will sync")
    expect(result(page)).to_contain_text("The server did not answer: the scan is saved on this phone.")
    page.screenshot(path=str(tmp_path / "queued.png"), full_page=True)
    assert admitted(live_db, ticket) == 0
    page.click("#sync-now")
    expect(page.locator("#sync-report")).to_contain_text("Scans sent and synced: 1.")
    assert admitted(live_db, ticket) == ticket.party


def test_a_reference_typed_offline_is_checked_against_the_saved_guest_list(live_server, live_db, live_staff, gate,
                                                                           phones):
    phone = phones()
    page = open_scanner(phone, live_server, live_staff, gate)
    ticket = gate.tickets["offline_manual"]
    phone.set_offline(True)
    page.fill("#reference", "ZZZZ-ZZZZ")
    page.click("#admit")
    expect(result(page)).to_contain_text("No booking for this session has the reference ZZZZ-ZZZZ.")
    page.fill("#reference", gate.tickets["cancelled"].reference)
    page.click("#admit")
    expect(result(page)).to_contain_text("This booking was cancelled.")
    page.fill("#reference", ticket.reference.lower())
    page.fill("#people", "1")
    page.click("#admit")
    expect(page.locator("#checkin-result-title")).to_have_text("Admitted — saved on this phone, will sync")
    expect(page.locator("#checkin-facts")).to_contain_text(ticket.name)
    phone.set_offline(False)
    expect(page.locator("#sync-report")).to_contain_text("Scans sent and synced: 1.")
    assert admitted(live_db, ticket) == 1


def test_signed_out_while_offline_the_scans_wait_for_the_next_sign_in(live_server, live_db, live_staff, gate,
                                                                      phones, qr):
    phone = phones()
    page = open_scanner(phone, live_server, live_staff, gate)
    ticket = gate.tickets["signed_out"]
    phone.set_offline(True)
    scan_photo(page, qr(ticket.code))
    page.click("#admit")
    expect(page.locator("#queue-state")).to_have_text("Saved on this phone, waiting to sync: 1")
    phone.clear_cookies()  # the sign-in expired meanwhile
    phone.set_offline(False)
    expect(page.locator("#sign-in-again")).to_be_visible()
    expect(page.locator("#list-state")).to_have_text("Your sign-in has expired: sign in again to send the saved scans.")
    expect(page.locator("#queue-state")).to_have_text("Saved on this phone, waiting to sync: 1")
    assert admitted(live_db, ticket) == 0
    page.click("#sign-in-again")
    page.fill("#email", live_staff[0])
    page.fill("#password", live_staff[1])
    page.click("main button[type=submit]")
    page.wait_for_url(f"**/console/sessions/{gate.today}/checkin")
    expect(page.locator("#sync-report")).to_contain_text("Scans sent and synced: 1.")
    assert admitted(live_db, ticket) == ticket.party


def test_signing_out_takes_the_guest_list_off_the_phone_but_not_the_queue(live_server, live_staff, gate, phones, qr):
    phone = phones()
    page = open_scanner(phone, live_server, live_staff, gate)
    key = f"langviet.checkin.guests.{gate.today}"
    assert page.evaluate(f"localStorage.getItem('{key}')") is not None
    page.evaluate("localStorage.setItem('langviet.checkin.queue', JSON.stringify([{scan_id: 'kept'}]))")
    page.click("text=Sign out")
    page.wait_for_url("**/console/sign-in")
    assert page.evaluate(f"localStorage.getItem('{key}')") is None
    assert "kept" in page.evaluate("localStorage.getItem('langviet.checkin.queue')")
    page.evaluate("localStorage.removeItem('langviet.checkin.queue')")

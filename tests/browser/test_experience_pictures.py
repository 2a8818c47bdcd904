"""An experience's pictures in Chromium on a phone, as a village cooperative's owner: from the
experience's page to its pictures, a photo uploaded with what it shows, moved first, then seen
by visitors; axe finds nothing on the pictures page (before and after the upload) nor on the
page that asks before removing one, nothing scrolls sideways, and the content security policy
is never broken."""
import io

import pytest
from PIL import Image

from tests.browser.conftest import sign_in_live
from tests.browser.test_reports import checked
from tests.concurrency import committed

pytestmark = pytest.mark.browser


@pytest.fixture
def workshop(live_db, request):
    """A village of its own (so no other browser test sees its pictures), its pottery workshop
    with one demo picture, and the cooperative's owner; (email, password, experience id, slug)."""
    from tests.factories import STAFF_PASSWORD, make_experience, make_operator, make_staff, make_village
    from tourism.catalog.models import ExperienceImage

    locale = request.node.callspec.params["locale"]

    def make(db):
        village = make_village(db, slug=f"lang-anh-{locale}", province="Hà Nội",
                               texts={"vi": "Làng Ảnh", "en": "Picture Village"})
        operator = make_operator(db, slug=f"htx-anh-{locale}", villages=[village])
        experience = make_experience(db, village, f"lang-anh-{locale}-gom", texts={"vi": "Nặn gốm", "en": "Pottery"})
        db.add(ExperienceImage(experience_id=experience.id, path="demo/bat-trang-pottery-wheel.svg", width=1200,
                               height=800, alt={"vi": "Bàn xoay gốm", "en": "A potter's wheel"}))
        email = f"chu-nhiem-{locale}@anh.example"
        make_staff(db, operator, email=email, role="owner")
        return email, experience.id, experience.slug
    email, experience_id, slug = committed(live_db, make)
    return (email, STAFF_PASSWORD), experience_id, slug


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (900, 600), (150, 90, 40)).save(out, "JPEG")
    return out.getvalue()


@pytest.mark.parametrize("locale", ["vi", "ko"])
def test_an_owner_adds_a_picture_on_a_phone(live_server, axe_page, workshop, locale):
    page = axe_page
    csp = []
    page.on("console", lambda message: csp.append(message.text) if "Content Security Policy" in message.text else None)
    credentials, experience_id, slug = workshop
    sign_in_live(page, live_server, credentials, locale=locale)

    page.goto(f"{live_server}/console/experiences/{experience_id}")
    page.click(f"a[href='/console/experiences/{experience_id}/pictures']")
    page.wait_for_url(f"**/console/experiences/{experience_id}/pictures")
    checked(page)

    page.set_input_files("#upload-image", files=[{"name": "gom.jpg", "mimeType": "image/jpeg", "buffer": photo()}])
    page.fill("#upload-alt-vi", "Bình gốm men lam mới ra lò")
    page.locator("form[enctype='multipart/form-data'] button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".pc-image").count() == 2
    assert page.locator("[role=status]").first.is_visible()
    checked(page)

    # Moved first, it is the picture at the top of the visitors' page.
    page.locator(".pc-image").nth(1).locator("form:has(input[name=place]) button").click()
    page.wait_for_load_state()
    src = page.locator(".pc-image img").first.get_attribute("src")
    assert "/media/" in src
    page.locator(".pc-image").nth(1).locator("a.cf-danger").click()
    page.wait_for_load_state()
    checked(page)  # the page that asks before removing

    page.goto(f"{live_server}/experiences/{slug}?lang=vi")
    hero = page.locator(".hero-image img")
    assert hero.get_attribute("src") == src and hero.get_attribute("alt") == "Bình gốm men lam mới ra lò"
    assert hero.evaluate("img => img.complete && img.naturalWidth") == 900  # served, and decoded
    assert csp == []

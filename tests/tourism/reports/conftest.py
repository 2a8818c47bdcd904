"""The reports' shared world: one village run by one operator, with pottery and tea."""
import pytest

from tests.factories import make_experience, make_operator, make_village


@pytest.fixture
def village(dbsession):
    return make_village(dbsession, slug="lang-bao-cao", province="Tỉnh Báo Cáo",
                        texts={"vi": "Làng Báo Cáo", "en": "Report Village"})


@pytest.fixture
def operator(dbsession, village):
    return make_operator(dbsession, "htx-bao-cao", villages=[village])


@pytest.fixture
def pottery(dbsession, village, operator):
    return make_experience(dbsession, village, "bao-cao-gom", texts={"vi": "Nặn gốm", "en": "Pottery"})


@pytest.fixture
def tea(dbsession, village, operator):
    return make_experience(dbsession, village, "bao-cao-che", texts={"vi": "Hái chè", "en": "Tea picking"},
                           prices=(("adult", 200000), ("child", 100000)))

"""Reading the pages and files a test gets back (WebTest responses)."""
import io

import openpyxl
from bs4 import BeautifulSoup

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def form_to(response, action_end: str):
    """The page's one form posting to a URL ending with `action_end` (before any #fragment)."""
    (form,) = [f for f in response.forms.values() if f.action.split("#")[0].endswith(action_end)]
    return form


def readable_text(response) -> str:
    """What a person would read in the response: an Excel workbook's cells (one per line), or
    the text of anything else."""
    if response.content_type == XLSX:
        book = openpyxl.load_workbook(io.BytesIO(response.body), read_only=True)
        return "\n".join(str(value) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                         for value in row if value is not None)
    return response.text


def field_problems(html: BeautifulSoup) -> list[str]:
    """What would trouble a screen reader on a page: fields in <main> that no <label for>
    names, and ids used twice."""
    fields = html.select("main input:not([type=hidden]), main textarea, main select")
    problems = [f"no label: {field['id']}" for field in fields
                if html.find("label", attrs={"for": field["id"]}) is None]
    ids = [tag["id"] for tag in html.find_all(id=True)]
    return problems + [f"id used twice: {name}" for name in sorted({name for name in ids if ids.count(name) > 1})]

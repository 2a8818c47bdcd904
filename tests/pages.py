"""Reading the HTML pages a test gets back (WebTest responses)."""
from bs4 import BeautifulSoup


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def form_to(response, action_end: str):
    """The page's one form posting to a URL ending with `action_end` (before any #fragment)."""
    (form,) = [f for f in response.forms.values() if f.action.split("#")[0].endswith(action_end)]
    return form

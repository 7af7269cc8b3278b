"""What the browser tests check of every page they see on a phone."""

from playwright.sync_api import Page


def fits_its_width(page: Page) -> None:
    """Nothing on the page is wider than the screen (no sideways scrolling on a phone).

    Waits for the page to have loaded first: measured while a link's navigation is committing,
    the new document has no root element yet.
    """
    page.wait_for_load_state("load")
    page.wait_for_function("document.documentElement !== null && document.body !== null")
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the screen"

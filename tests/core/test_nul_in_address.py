"""A NUL character in an address is refused with 400 before any view runs (PostgreSQL cannot compare
text holding one, and the lookup would otherwise be a 500)."""

import pytest


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/bodies/a%00b/code",
        "/guild%00/code/",
        "/guild/register/?q=ab%00cd",
        "/guild/code/search/?q=%00",
    ],
)
def test_a_nul_in_the_address_is_a_clear_refusal(client, url, body):
    response = client.get(url)
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


@pytest.mark.django_db
def test_addresses_without_nul_pass(client, body):
    assert client.get("/guild/register/?q=ab%2500cd").status_code != 400

"""Checks on what staff type into the admin, the same rules the YAML loader applies to
its own input (catalog/schema.py)."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

_WEB_ADDRESS = URLValidator(schemes=["http", "https"])
# URLValidator lets NUL and other control characters through; PostgreSQL cannot store NUL.
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


def validate_other_urls(value) -> None:
    """A list of http(s) addresses, as the YAML loader asks of `other_urls`: the pages make
    each a link, so an address a browser would run (javascript:) must never get in. (A code
    of "invalid" would have JSONField put its own "Value must be valid JSON." instead.)"""
    if not isinstance(value, list):
        raise ValidationError(
            'Give a list of addresses, such as ["https://example.com/"].', code="not_a_list"
        )
    for position, url in enumerate(value, start=1):
        if not isinstance(url, str):
            raise ValidationError(
                "Item %(position)s is not an address: write each one as text, in quotes.",
                code="not_text",
                params={"position": position},
            )
        if len(url) > 500:
            raise ValidationError(
                "Item %(position)s is %(length)s characters long; the limit is 500.",
                code="too_long",
                params={"position": position, "length": len(url)},
            )
        if _CONTROL.search(url) or not _is_web_address(url):
            raise ValidationError(
                "Item %(position)s, “%(url)s”, is not a web address: give one that starts with "
                "http:// or https://.",
                code="not_a_web_address",
                params={"position": position, "url": url},
            )


def _is_web_address(url: str) -> bool:
    try:
        _WEB_ADDRESS(url)
    except ValidationError:
        return False
    return True

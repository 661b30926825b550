"""Reading what the tests need of a PDF without a PDF library: its page count."""

from __future__ import annotations

import re

__all__ = ["pdf_page_count"]


def pdf_page_count(data: bytes) -> int:
    """The pages of an uncompressed-object PDF such as matplotlib writes: its ``/Type /Page``
    objects, checked against the page tree's ``/Count``."""
    assert data.startswith(b"%PDF-"), data[:16]
    pages = len(re.findall(rb"/Type\s*/Page(?![A-Za-z])", data))
    counts = {int(count) for count in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", data)}
    counts |= {int(count) for count in re.findall(rb"/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", data)}
    assert counts == {pages}, (counts, pages)
    return pages

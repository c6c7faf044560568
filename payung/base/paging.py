"""One page of a list that is paged in SQL, and how many rows match in all."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Paged:
    rows: list[dict]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

"""Addresses of the reading views, for the Datasette plugin and for alerts (`[run] base_url`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

#: Where the views live under a Datasette instance.
PATH = "/-/docwatch"


@dataclass(frozen=True)
class Links:
    """Addresses of the views of one database: `root` is ".../-/docwatch/{database}", or
    None for a page saved on its own (links to other views are then left out)."""

    root: str | None

    @classmethod
    def under(cls, base: str, db_path: str | Path) -> Links:
        """The views of the database at `db_path` as Datasette names it (its file's stem)."""
        return cls(f"{base.rstrip('/')}{PATH}/{quote(Path(db_path).stem)}")

    def change(self, change_id: int | None) -> str | None:
        return f"{self.root}/changes/{change_id}" if self.root and change_id else None

    def snapshot(self, snapshot_id: int | None) -> str | None:
        return f"{self.root}/snapshots/{snapshot_id}" if self.root and snapshot_id else None

    def feed(self, params: dict[str, str] | None = None) -> str | None:
        if not self.root:
            return None
        return self.root + (f"?{urlencode(params)}" if params else "")


def change_links(base_url: str | None, db_path: str | Path) -> Links:
    """The links alerts carry: to the change in context behind `base_url`, or none."""
    return Links.under(base_url, db_path) if base_url else Links(None)

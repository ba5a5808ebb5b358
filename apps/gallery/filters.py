"""What a gallery view is asked for: one reading of the query string for the grid page and the API.

Filters live in the URL, so a view can be bookmarked. An unknown or malformed value is dropped
(the grid shows everything rather than an error page) and reported in `problems` for the API's 400.
"""

import uuid
from dataclasses import asdict, dataclass, field
from datetime import date

from django.utils.translation import gettext as _

from .models import MediaKind

FAVOURITE_VALUES = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}
MAX_SEARCH_CHARS = 200


@dataclass(frozen=True)
class GalleryFilters:
    kind: str = ""
    model: str = ""
    lora: str = ""
    persona: uuid.UUID | None = None
    favourite: bool | None = None
    flagged: bool | None = None
    date_from: date | None = None  # inclusive, in the server's time zone
    date_to: date | None = None  # inclusive
    q: str = ""  # words searched in the prompt
    problems: dict = field(default_factory=dict, compare=False)

    @property
    def active(self) -> bool:
        return any(value not in ("", None) for name, value in asdict(self).items() if name != "problems")

    def query(self) -> dict[str, str]:
        """The query-string form of these filters (links, paging, the API's `next`)."""
        values = {
            "kind": self.kind,
            "model": self.model,
            "lora": self.lora,
            "persona": str(self.persona) if self.persona else "",
            "favourite": "" if self.favourite is None else ("1" if self.favourite else "0"),
            "flagged": "" if self.flagged is None else ("1" if self.flagged else "0"),
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "q": self.q,
        }
        return {name: value for name, value in values.items() if value}


def _yes_no(query, name: str, problems: dict) -> bool | None:
    raw = (query.get(name) or "").strip().lower()
    if not raw:
        return None
    if raw not in FAVOURITE_VALUES:
        problems[name] = _("Expected 1 or 0.")
        return None
    return FAVOURITE_VALUES[raw]


def _day(query, name: str, problems: dict) -> date | None:
    raw = (query.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        problems[name] = _("Expected a date as YYYY-MM-DD.")
        return None


def gallery_filters_from_query(query) -> GalleryFilters:
    problems: dict[str, str] = {}
    kind = (query.get("kind") or "").strip()
    if kind and kind not in MediaKind.values:
        problems["kind"] = _("Unknown kind; use one of %(kinds)s.") % {"kinds": ", ".join(MediaKind.values)}
        kind = ""
    persona = None
    raw_persona = (query.get("persona") or "").strip()
    if raw_persona:
        try:
            persona = uuid.UUID(raw_persona)
        except ValueError:
            problems["persona"] = _("Expected a persona id.")
    q = (query.get("q") or "").strip()
    if "\x00" in q or len(q) > MAX_SEARCH_CHARS:
        problems["q"] = _("At most %(count)s characters, and no NUL.") % {"count": MAX_SEARCH_CHARS}
        q = ""
    date_from, date_to = _day(query, "from", problems), _day(query, "to", problems)
    return GalleryFilters(
        kind=kind,
        model=(query.get("model") or "").strip()[:200],
        lora=(query.get("lora") or "").strip().replace("|", "")[:200],
        persona=persona,
        favourite=_yes_no(query, "favourite", problems),
        flagged=_yes_no(query, "flagged", problems),
        date_from=date_from,
        date_to=date_to,
        q=q,
        problems=problems,
    )

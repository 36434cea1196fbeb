"""A place as people name it ("Tokyo", "new york", "India", "the UK") resolved to an IANA time zone.

Three sources, in order: the IANA names themselves ("Asia/Tokyo", any case); the city each name ends with,
from the tz database Python's ``zoneinfo`` knows (``Asia/Tokyo`` is Tokyo, ``America/New_York`` is New York:
about 400 cities); and :data:`_COMMON`, a small hand-written table of countries, states and large cities
that are not zone names, each mapped to the zone most of its people live in (a country with several zones
gets its most populous one: the answer says which place it is for). Words after a place are tolerated
("tokyo right now" is Tokyo): the longest leading run of words that names a place wins.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from zoneinfo import available_timezones

__all__ = ["Place", "find_place"]

_COMMON = {
    "usa": "America/New_York", "us": "America/New_York", "america": "America/New_York",
    "united states": "America/New_York", "nyc": "America/New_York", "new york city": "America/New_York",
    "washington": "America/New_York", "washington dc": "America/New_York", "dc": "America/New_York",
    "boston": "America/New_York", "miami": "America/New_York", "atlanta": "America/New_York",
    "philadelphia": "America/New_York", "texas": "America/Chicago", "dallas": "America/Chicago",
    "houston": "America/Chicago", "california": "America/Los_Angeles", "san francisco": "America/Los_Angeles",
    "la": "America/Los_Angeles", "seattle": "America/Los_Angeles", "san diego": "America/Los_Angeles",
    "las vegas": "America/Los_Angeles", "silicon valley": "America/Los_Angeles", "hawaii": "Pacific/Honolulu",
    "alaska": "America/Anchorage", "canada": "America/Toronto", "montreal": "America/Toronto",
    "mexico": "America/Mexico_City", "brazil": "America/Sao_Paulo", "rio": "America/Sao_Paulo",
    "rio de janeiro": "America/Sao_Paulo", "argentina": "America/Argentina/Buenos_Aires",
    "uk": "Europe/London", "england": "Europe/London", "britain": "Europe/London",
    "great britain": "Europe/London", "united kingdom": "Europe/London", "scotland": "Europe/London",
    "edinburgh": "Europe/London", "manchester": "Europe/London", "ireland": "Europe/Dublin",
    "portugal": "Europe/Lisbon", "porto": "Europe/Lisbon", "spain": "Europe/Madrid",
    "barcelona": "Europe/Madrid", "france": "Europe/Paris", "germany": "Europe/Berlin",
    "munich": "Europe/Berlin", "frankfurt": "Europe/Berlin", "hamburg": "Europe/Berlin",
    "italy": "Europe/Rome", "milan": "Europe/Rome", "netherlands": "Europe/Amsterdam",
    "holland": "Europe/Amsterdam", "belgium": "Europe/Brussels", "switzerland": "Europe/Zurich",
    "geneva": "Europe/Zurich", "austria": "Europe/Vienna", "sweden": "Europe/Stockholm",
    "norway": "Europe/Oslo", "denmark": "Europe/Copenhagen", "finland": "Europe/Helsinki",
    "poland": "Europe/Warsaw", "greece": "Europe/Athens", "turkey": "Europe/Istanbul",
    "ukraine": "Europe/Kyiv", "kiev": "Europe/Kyiv", "russia": "Europe/Moscow", "israel": "Asia/Jerusalem",
    "tel aviv": "Asia/Jerusalem", "egypt": "Africa/Cairo", "nigeria": "Africa/Lagos", "kenya": "Africa/Nairobi",
    "south africa": "Africa/Johannesburg", "cape town": "Africa/Johannesburg", "saudi arabia": "Asia/Riyadh",
    "uae": "Asia/Dubai", "abu dhabi": "Asia/Dubai", "iran": "Asia/Tehran", "pakistan": "Asia/Karachi",
    "india": "Asia/Kolkata", "delhi": "Asia/Kolkata", "new delhi": "Asia/Kolkata", "mumbai": "Asia/Kolkata",
    "bombay": "Asia/Kolkata", "bangalore": "Asia/Kolkata", "bengaluru": "Asia/Kolkata",
    "calcutta": "Asia/Kolkata", "chennai": "Asia/Kolkata", "china": "Asia/Shanghai", "beijing": "Asia/Shanghai",
    "shenzhen": "Asia/Shanghai", "taiwan": "Asia/Taipei", "japan": "Asia/Tokyo", "osaka": "Asia/Tokyo",
    "kyoto": "Asia/Tokyo", "korea": "Asia/Seoul", "south korea": "Asia/Seoul", "vietnam": "Asia/Ho_Chi_Minh",
    "hanoi": "Asia/Ho_Chi_Minh", "saigon": "Asia/Ho_Chi_Minh", "thailand": "Asia/Bangkok",
    "philippines": "Asia/Manila", "indonesia": "Asia/Jakarta", "bali": "Asia/Makassar",
    "malaysia": "Asia/Kuala_Lumpur", "australia": "Australia/Sydney", "canberra": "Australia/Sydney",
    "new zealand": "Pacific/Auckland", "wellington": "Pacific/Auckland",
}  # fmt: skip
"""Names that are not in the tz database, for the places people ask about most (hand-written, see above)."""

_REGIONS = frozenset(
    "Africa America Antarctica Arctic Asia Atlantic Australia Europe Indian Pacific".split()
)  # the tz database's own areas: their names win over the legacy aliases ("US/Pacific", "Brazil/West")
_LONGEST = 5  # words: "ho chi minh city", "rio de janeiro"
_SHORT_NAMES = frozenset({"us", "uk", "usa", "uae", "la", "nyc", "dc", "utc", "gmt"})


@dataclass(frozen=True, slots=True)
class Place:
    """A place found in words: its IANA ``zone`` and its ``name`` as the answer says it ("New York")."""

    name: str
    zone: str


def find_place(text: str) -> Place | None:
    """The place ``text`` starts with, or None when its first words name no place the tz database knows."""
    said = re.findall(r"[a-z0-9_+-]+(?:/[a-z0-9_+-]+)*", text.lower())
    article = said[:1] == ["the"]
    said = said[article:]
    known = _known()
    for size in range(min(_LONGEST, len(said)), 0, -1):
        words = said[:size]
        key = " ".join(words)
        zone = _COMMON.get(key) or known.get(key)
        if zone is not None:
            return Place(("the " if article else "") + _display(words, zone), zone)
    return None


def _display(words: list[str], zone: str) -> str:
    if "/" in words[0]:
        return zone.rsplit("/", 1)[-1].replace("_", " ")  # "Asia/Tokyo" is said as Tokyo
    return " ".join(word.upper() if word in _SHORT_NAMES else word.capitalize() for word in words)


@functools.cache
def _known() -> dict[str, str]:
    """Every zone by its lower-case name and by its city ("new york"); read once, on first use."""
    names: dict[str, str] = {}
    for zone in sorted(available_timezones(), key=lambda name: (name.split("/")[0] not in _REGIONS, len(name))):
        if zone.startswith(("Etc/", "SystemV/")) or zone in ("Factory", "localtime"):
            continue
        names.setdefault(zone.lower(), zone)
        names.setdefault(zone.rsplit("/", 1)[-1].replace("_", " ").lower(), zone)
    return names

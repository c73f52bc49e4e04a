"""North Korea's provinces for the dashboard's map: outlines traced from Natural Earth (public
domain; nk_map_data.py, written by nk_map_source.py), projected here, and where each label goes.

Eleven provinces are areas. Nampo (KP-14) has no outline of its own in the source, and
Kaesong (KP-15) is now part of North Hwanghae: both are drawn as points at their real places.
Where a name would not fit or would cover a neighbour's (Pyongyang and Nampo side by side,
tiny Rason, Kaesong on the border), the label stands in the sea or beyond the border with a
leader line to its place. Nothing is fetched: the page is drawn on the server.

The codes are ISO 3166-2:KP, as in app/vocabularies.py PROVINCES.
"""
from __future__ import annotations

import math
from functools import cache

from app.services.triage.nk_map_data import ARCS, PROVINCES

SOURCE_NAME = "Natural Earth"
# Every code on the map, in the vocabulary's order.
CODES = ("KP-01", "KP-02", "KP-03", "KP-04", "KP-05", "KP-06", "KP-07", "KP-08", "KP-09", "KP-10", "KP-13",
         "KP-14", "KP-15")
AREAS = tuple(code for code in CODES if code in PROVINCES)
# Cities drawn as a point (longitude, latitude), with the radius of their dot.
POINTS = {"KP-14": (125.4, 38.73), "KP-15": (126.55, 37.97)}
POINT_RADIUS = 6
# Where each label is centred (longitude, latitude): inside its area where it fits.
LABELS = {
    "KP-01": (124.4, 39.3), "KP-02": (126.1, 39.45), "KP-03": (125.25, 40.05), "KP-04": (126.4, 40.6),
    "KP-05": (125.3, 38.0), "KP-06": (126.5, 38.53), "KP-07": (128.05, 38.48), "KP-08": (127.8, 40.0),
    "KP-09": (129.4, 41.75), "KP-10": (128.0, 40.95), "KP-13": (131.0, 42.1), "KP-14": (124.4, 38.72),
    "KP-15": (127.3, 37.88),
}
# Labels outside their place: the leader line starts here (a point's own place if it is one).
LEADERS = {"KP-01": (125.9, 38.99), "KP-13": (130.5, 42.4), "KP-14": POINTS["KP-14"], "KP-15": POINTS["KP-15"]}

# The frame: the country plus room in the sea for the outside labels.
WEST, NORTH, EAST, SOUTH = 123.6, 43.1, 131.5, 37.55
SCALE = 68.0  # pixels per degree of latitude
X_SCALE = SCALE * math.cos(math.radians(40.3))  # a degree of longitude is shorter at 40° N
MARGIN = 4
WIDTH = round((EAST - WEST) * X_SCALE) + 2 * MARGIN
HEIGHT = round((NORTH - SOUTH) * SCALE) + 2 * MARGIN


def project(lon: float, lat: float) -> tuple[float, float]:
    return MARGIN + (lon - WEST) * X_SCALE, MARGIN + (NORTH - lat) * SCALE


def _arc(index: int) -> list[tuple[float, float]]:
    flat = ARCS[index if index >= 0 else ~index]
    points = list(zip(flat[::2], flat[1::2], strict=True))
    return points if index >= 0 else points[::-1]


def ring(arcs: tuple[int, ...]) -> list[tuple[float, float]]:
    """A ring's (longitude, latitude) points: its arcs end to end, each joint once."""
    points: list[tuple[float, float]] = []
    for index in arcs:
        arc = _arc(index)
        points.extend(arc if not points else arc[1:])
    return points


@cache
def path_data(code: str) -> str:
    """The area's outline as SVG path data, one subpath per ring (the largest first)."""
    parts = []
    for arcs in PROVINCES[code]:
        points = [project(lon, lat) for lon, lat in ring(arcs)[:-1]]  # Z closes the ring
        parts.append("M" + " ".join(f"{x:.1f},{y:.1f}" for x, y in points) + "Z")
    return "".join(parts)


def point(code: str) -> tuple[float, float]:
    return project(*POINTS[code])


def label_point(code: str) -> tuple[float, float]:
    return project(*LABELS[code])


def leader_start(code: str) -> tuple[float, float] | None:
    """Where the line to an outside label starts, or None for a label on its own place."""
    return project(*LEADERS[code]) if code in LEADERS else None

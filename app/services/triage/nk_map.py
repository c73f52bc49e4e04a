"""Simplified outlines of North Korea's provinces for the dashboard's map, drawn by hand.

No map data is fetched or bundled: each province is a polygon over a few dozen shared points
(longitude, latitude), placed roughly where the real borders run — the Yalu and Tumen along
the north, the east and west coasts, the Military Demarcation Line in the south. Neighbouring
provinces share their border points, so the map has no gaps. It is meant to be recognizable
for shading by count, not to measure anything: the table beside it carries the numbers.

The codes are ISO 3166-2:KP, as in app/vocabularies.py PROVINCES.
"""
from __future__ import annotations

import math

# Shared points (lon, lat). Border and coast first, then inner corners where provinces meet.
P = {
    # The Yalu, from its mouth at Sinuiju up to Mount Paektu
    "yalu_mouth": (124.35, 40.05), "yalu_1": (125.1, 40.45), "yalu_np_cg": (125.75, 40.85),
    "manpo": (126.35, 41.2), "junggang": (126.9, 41.75), "yalu_cg_rg": (127.3, 41.5),
    "hyesan": (128.1, 41.4), "paektu": (128.3, 42.0),
    # The Tumen, down to its mouth
    "tumen_rg_nh": (128.8, 42.1), "musan": (129.3, 42.25), "hoeryong": (129.75, 42.45),
    "onsong": (129.95, 42.95), "tumen_nh_rs": (130.05, 42.55), "tumen_mouth": (130.68, 42.3),
    # East coast
    "rason_coast": (130.35, 42.05), "chongjin": (129.8, 41.78), "coast_nh": (129.35, 41.0),
    "coast_nh_sh": (129.05, 40.55), "coast_sh": (128.3, 40.05), "hamhung": (127.6, 39.8),
    "coast_sh_kw": (127.35, 39.45), "wonsan": (127.5, 39.15), "tongchon": (127.95, 38.85),
    "mdl_east": (128.35, 38.6),
    # The Military Demarcation Line, east to west, then the Han estuary
    "mdl_1": (127.6, 38.3), "mdl_kw_nw": (127.1, 38.3), "mdl_kaesong": (126.85, 38.05),
    "kaesong_south": (126.6, 37.85), "han_estuary": (126.25, 37.75),
    # West coast, south to north
    "haeju": (125.7, 37.95), "ongjin": (125.0, 37.75), "jangsan": (124.7, 38.1),
    "coast_sw": (125.0, 38.55), "taedong_south": (125.25, 38.7), "taedong_north": (125.2, 38.95),
    "coast_sp": (125.35, 39.45), "chongchon_mouth": (125.45, 39.6), "coast_np": (124.9, 39.65),
    # Inner corners
    "np_sp": (125.7, 39.75), "np_cg_sp": (125.95, 40.0), "cg_sp_sh": (126.8, 40.05),
    "cg_sh_rg": (127.3, 40.75), "cg_rg": (127.1, 41.15), "rg_sh": (128.0, 40.75),
    "rg_sh_nh": (128.7, 40.95), "rg_nh": (129.0, 41.5), "rason_inland": (129.95, 42.25),
    "sp_sh": (126.95, 39.7), "sp_sh_kw": (127.0, 39.35), "sp_kw_nw": (126.75, 38.95),
    "kw_nw": (126.95, 38.6), "py_south": (126.0, 38.85), "py_east": (126.05, 39.1),
    "py_north": (125.8, 39.25), "py_west": (125.55, 39.1), "py_nampo": (125.65, 38.9),
    "nampo_north": (125.5, 38.95), "nampo_south": (125.55, 38.7), "nw_sw": (126.0, 38.35),
    "kaesong_west": (126.35, 38.1), "kaesong_north": (126.75, 38.12),
}

# Each province as its ring of shared points, and where its count is written.
PROVINCES: dict[str, tuple[list[str], tuple[float, float]]] = {
    "KP-03": (["yalu_mouth", "yalu_1", "yalu_np_cg", "np_cg_sp", "np_sp", "chongchon_mouth", "coast_np"],
              (125.2, 40.1)),
    "KP-04": (["yalu_np_cg", "manpo", "junggang", "yalu_cg_rg", "cg_rg", "cg_sh_rg", "cg_sp_sh", "np_cg_sp"],
              (126.55, 40.65)),
    "KP-10": (["yalu_cg_rg", "hyesan", "paektu", "tumen_rg_nh", "rg_nh", "rg_sh_nh", "rg_sh", "cg_sh_rg", "cg_rg"],
              (128.15, 41.2)),
    "KP-09": (["tumen_rg_nh", "musan", "hoeryong", "onsong", "tumen_nh_rs", "rason_inland", "rason_coast",
               "chongjin", "coast_nh", "coast_nh_sh", "rg_sh_nh", "rg_nh"],
              (129.35, 41.75)),
    "KP-13": (["tumen_nh_rs", "tumen_mouth", "rason_coast", "rason_inland"], (130.25, 42.3)),
    "KP-08": (["cg_sp_sh", "cg_sh_rg", "rg_sh", "rg_sh_nh", "coast_nh_sh", "coast_sh", "hamhung", "coast_sh_kw",
               "sp_sh_kw", "sp_sh"],
              (127.75, 40.3)),
    "KP-02": (["taedong_north", "coast_sp", "chongchon_mouth", "np_sp", "np_cg_sp", "cg_sp_sh", "sp_sh",
               "sp_sh_kw", "sp_kw_nw", "py_south", "py_east", "py_north", "py_west", "py_nampo", "nampo_north"],
              (126.3, 39.5)),
    "KP-01": (["py_west", "py_north", "py_east", "py_south", "py_nampo"], (125.8, 39.05)),
    "KP-14": (["taedong_north", "nampo_north", "py_nampo", "nampo_south", "taedong_south"], (125.4, 38.82)),
    "KP-06": (["py_nampo", "py_south", "sp_kw_nw", "kw_nw", "mdl_kw_nw", "mdl_kaesong", "kaesong_north",
               "kaesong_west", "nw_sw", "nampo_south"],
              (126.4, 38.6)),
    "KP-05": (["taedong_south", "nampo_south", "nw_sw", "kaesong_west", "han_estuary", "haeju", "ongjin",
               "jangsan", "coast_sw"],
              (125.45, 38.25)),
    "KP-15": (["kaesong_west", "kaesong_north", "mdl_kaesong", "kaesong_south", "han_estuary"], (126.55, 37.97)),
    "KP-07": (["sp_sh_kw", "coast_sh_kw", "wonsan", "tongchon", "mdl_east", "mdl_1", "mdl_kw_nw", "kw_nw",
               "sp_kw_nw"],
              (127.45, 38.7)),
}
# The four small ones get their label outside, in the sea or south of the line, with a leader.
OUTSIDE_LABELS = {
    "KP-01": (124.2, 39.35),
    "KP-14": (124.2, 38.85),
    "KP-15": (126.4, 37.55),
    "KP-13": (130.75, 42.85),
}

# The frame: the country plus room in the sea for the outside labels.
WEST, NORTH, EAST, SOUTH = 123.35, 43.1, 131.35, 37.45
SCALE = 68.0  # pixels per degree of latitude
X_SCALE = SCALE * math.cos(math.radians(40.3))  # a degree of longitude is shorter at 40° N
MARGIN = 6
WIDTH = round((EAST - WEST) * X_SCALE) + 2 * MARGIN
HEIGHT = round((NORTH - SOUTH) * SCALE) + 2 * MARGIN


def project(lon: float, lat: float) -> tuple[float, float]:
    return MARGIN + (lon - WEST) * X_SCALE, MARGIN + (NORTH - lat) * SCALE


def path_data(code: str) -> str:
    ring = [project(*P[name]) for name in PROVINCES[code][0]]
    return "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in ring) + " Z"


def label_point(code: str) -> tuple[float, float]:
    return project(*PROVINCES[code][1])

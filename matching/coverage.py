"""Which organisations cover a resident: by postcode district, by radius around a base, or (when neither is
recorded) across the organisation's whole council area."""

from collections import defaultdict

import numpy as np

from matching.geo import chord2_within, normalise_outcode, unit_vectors
from matching.types import Organisation


def has_radius(org: Organisation) -> bool:
    return org.base_lat is not None and org.base_lon is not None and org.radius_km is not None


def is_area_wide(org: Organisation) -> bool:
    return not org.coverage_outcodes and not has_radius(org)


class CoverageIndex:
    def __init__(self) -> None:
        self._by_outcode: defaultdict[str, set[int]] = defaultdict(set)
        self._area_wide: defaultdict[str, set[int]] = defaultdict(set)
        self._radius_orgs: dict[int, Organisation] = {}
        self._radius_ids = np.empty(0, dtype=np.int64)
        self._radius_position = np.empty((0, 3))
        self._radius_reach2 = np.empty(0)
        self._radius_stale = False

    def add(self, org: Organisation) -> None:
        for outcode in org.coverage_outcodes:
            self._by_outcode[normalise_outcode(outcode)].add(org.id)
        if has_radius(org):
            self._radius_orgs[org.id] = org
            self._radius_stale = True
        if is_area_wide(org):
            self._area_wide[org.area].add(org.id)

    def discard(self, org: Organisation) -> None:
        for outcode in org.coverage_outcodes:
            self._by_outcode[normalise_outcode(outcode)].discard(org.id)
        if self._radius_orgs.pop(org.id, None) is not None:
            self._radius_stale = True
        self._area_wide[org.area].discard(org.id)

    def covering(self, lat: float, lon: float, outcode: str, area: str) -> set[int]:
        ids = set(self._by_outcode.get(normalise_outcode(outcode), ()))
        ids |= self._area_wide.get(area, set())
        if self._radius_stale:
            self._rebuild_radius_arrays()
        if len(self._radius_ids):
            offsets = self._radius_position - unit_vectors(lat, lon)
            within = np.einsum("ij,ij->i", offsets, offsets) <= self._radius_reach2
            ids.update(self._radius_ids[within].tolist())
        return ids

    def _rebuild_radius_arrays(self) -> None:
        orgs = list(self._radius_orgs.values())
        self._radius_ids = np.array([org.id for org in orgs], dtype=np.int64)
        self._radius_position = unit_vectors([org.base_lat for org in orgs], [org.base_lon for org in orgs])
        self._radius_reach2 = chord2_within([org.radius_km for org in orgs])
        self._radius_stale = False

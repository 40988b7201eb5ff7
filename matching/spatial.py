"""A sorted-cell grid index over the rows of a columnar store, split by travel-radius class.

Each row gets a key (radius class, latitude band, longitude cell); a compacted block holds the keys sorted, so
the cells of one latitude band inside a query's bounding box form one contiguous run found by binary search.
A query for class c uses the largest travel radius seen in that class, so the many volunteers who travel a
kilometre or two are searched over a few cells only. Rows added or moved since the last compaction are kept
in a small pending set that every query includes; a row's stale block entry is ignored via `in_block`.
Compaction re-sorts everything once the pending set passes a threshold. Candidates are a superset: callers
apply the exact great-circle test.
"""

import math

import numpy as np
from numpy.typing import NDArray

from matching.geo import EARTH_RADIUS_KM

DEFAULT_RADIUS_CLASSES_KM = (1.0, 2.0, 3.0, 5.0, 8.0, 12.0, 20.0, 35.0)
COMPACT_AFTER = 4096
_MARGIN = 1.0 + 1e-9


class GridIndex:
    def __init__(
        self,
        capacity: int,
        cell_lat_deg: float = 0.02,
        cell_lon_deg: float = 0.032,
        radius_classes_km: tuple[float, ...] = DEFAULT_RADIUS_CLASSES_KM,
        compact_after: int = COMPACT_AFTER,
    ) -> None:
        self._cell_lat = cell_lat_deg
        self._cell_lon = cell_lon_deg
        self._bands = math.ceil(180.0 / cell_lat_deg)
        self._columns = math.ceil(360.0 / cell_lon_deg)
        self._class_bounds = np.asarray(radius_classes_km, dtype=np.float64)
        self._class_max_km = np.zeros(len(radius_classes_km) + 1)
        self._compact_after = compact_after
        self._keys = np.full(capacity, -1, dtype=np.int64)
        self._in_block = np.zeros(capacity, dtype=bool)
        self._sorted_keys = np.empty(0, dtype=np.int64)
        self._sorted_rows = np.empty(0, dtype=np.int64)
        self._pending: set[int] = set()
        self._pending_rows: NDArray[np.int64] | None = None

    @property
    def pending_count(self) -> int:
        return len(self._pending)

    def grow(self, capacity: int) -> None:
        extra = capacity - len(self._keys)
        self._keys = np.concatenate([self._keys, np.full(extra, -1, dtype=np.int64)])
        self._in_block = np.concatenate([self._in_block, np.zeros(extra, dtype=bool)])

    def rebuild(
        self, lat_deg: NDArray, lon_deg: NDArray, radius_km: NDArray, live: NDArray[np.bool_]
    ) -> None:
        """Key every live row afresh and sort them into the block."""
        rows = np.flatnonzero(live)
        self._keys[:] = -1
        self._keys[rows] = self._key(lat_deg[rows], lon_deg[rows], radius_km[rows])
        order = np.argsort(self._keys[rows], kind="stable")
        self._sorted_rows = rows[order]
        self._sorted_keys = self._keys[self._sorted_rows]
        self._in_block[:] = False
        self._in_block[rows] = True
        self._pending.clear()
        self._pending_rows = None
        self._class_max_km[:] = 0.0
        np.maximum.at(self._class_max_km, self._class_of(radius_km[rows]), radius_km[rows])

    def layout(self, lat_deg: NDArray, lon_deg: NDArray, radius_km: NDArray) -> NDArray[np.int64]:
        """The order that puts rows in key order (for laying out storage)."""
        return np.argsort(self._key(lat_deg, lon_deg, radius_km), kind="stable")

    def place(self, row: int, lat_deg: float, lon_deg: float, radius_km: float) -> bool:
        """Index one row (new or changed). Returns True when the pending set is due for compaction."""
        key = int(self._key(np.array([lat_deg]), np.array([lon_deg]), np.array([radius_km]))[0])
        radius_class = int(self._class_of(np.array([radius_km]))[0])
        self._class_max_km[radius_class] = max(self._class_max_km[radius_class], radius_km)
        if self._in_block[row] and self._keys[row] == key:
            return False
        self._keys[row] = key
        self._in_block[row] = False
        self._pending.add(row)
        self._pending_rows = None
        return len(self._pending) > self._compact_after

    def remove(self, row: int) -> None:
        self._keys[row] = -1
        self._in_block[row] = False
        if row in self._pending:
            self._pending.discard(row)
            self._pending_rows = None

    def candidates(self, lat_deg: float, lon_deg: float) -> NDArray[np.int64]:
        """Rows that may lie within their own travel radius of the point (a superset)."""
        low_keys, high_keys = self._query_key_ranges(lat_deg, lon_deg)
        rows = self._block_rows(low_keys, high_keys)
        if self._pending:
            if self._pending_rows is None:
                self._pending_rows = np.fromiter(self._pending, dtype=np.int64, count=len(self._pending))
            rows = np.concatenate([rows, self._pending_rows])
        return rows

    def _block_rows(self, low_keys: NDArray, high_keys: NDArray) -> NDArray[np.int64]:
        starts = np.searchsorted(self._sorted_keys, low_keys, side="left")
        lengths = np.searchsorted(self._sorted_keys, high_keys, side="right") - starts
        total = int(lengths.sum())
        if total == 0:
            return np.empty(0, dtype=np.int64)
        offsets = np.cumsum(lengths) - lengths
        positions = np.arange(total) + np.repeat(starts - offsets, lengths)
        rows = self._sorted_rows[positions]
        return rows[self._in_block[rows]]

    def _query_key_ranges(self, lat_deg: float, lon_deg: float) -> tuple[NDArray, NDArray]:
        low: list[NDArray] = []
        high: list[NDArray] = []
        phi = math.radians(lat_deg)
        for radius_class, radius_km in enumerate(self._class_max_km):
            if radius_km <= 0.0:
                continue
            angle = radius_km * _MARGIN / EARTH_RADIUS_KM + 1e-12
            south, north = lat_deg - math.degrees(angle), lat_deg + math.degrees(angle)
            bands = np.arange(self._band(south), self._band(north) + 1, dtype=np.int64)
            base = radius_class * self._bands * self._columns + bands * self._columns
            for first, last in self._column_ranges(phi, lon_deg, angle, south, north):
                low.append(base + first)
                high.append(base + last)
        if not low:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        return np.concatenate(low), np.concatenate(high)

    def _column_ranges(
        self, phi: float, lon_deg: float, angle: float, south: float, north: float
    ) -> list[tuple[int, int]]:
        everything = [(0, self._columns - 1)]
        if north >= 90.0 or south <= -90.0 or math.sin(angle) >= math.cos(phi):
            return everything
        half_width = math.degrees(math.asin(math.sin(angle) / math.cos(phi)))
        west, east = lon_deg - half_width, lon_deg + half_width
        if east - west >= 360.0:
            return everything
        if west < -180.0:
            return [(self._column(west + 360.0), self._columns - 1), (0, self._column(east))]
        if east > 180.0:
            return [(self._column(west), self._columns - 1), (0, self._column(east - 360.0))]
        return [(self._column(west), self._column(east))]

    def _band(self, lat_deg: float) -> int:
        return min(max(math.floor((lat_deg + 90.0) / self._cell_lat), 0), self._bands - 1)

    def _column(self, lon_deg: float) -> int:
        return min(max(math.floor((lon_deg + 180.0) / self._cell_lon), 0), self._columns - 1)

    def _class_of(self, radius_km: NDArray) -> NDArray[np.int64]:
        return np.searchsorted(self._class_bounds, radius_km, side="left")

    def _key(self, lat_deg: NDArray, lon_deg: NDArray, radius_km: NDArray) -> NDArray[np.int64]:
        bands = np.clip(np.floor((lat_deg + 90.0) / self._cell_lat), 0, self._bands - 1).astype(np.int64)
        lon = ((np.asarray(lon_deg) + 180.0) % 360.0) - 180.0
        columns = np.clip(np.floor((lon + 180.0) / self._cell_lon), 0, self._columns - 1).astype(np.int64)
        return (self._class_of(radius_km) * self._bands + bands) * self._columns + columns

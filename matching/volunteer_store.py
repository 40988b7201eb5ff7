"""Volunteers as numpy columns, one row each, with a free list for removed rows and a grid index.

Skills are a 64-bit mask over codes numbered as first seen; availability is a 21-bit mask (7 days × 3 slots);
the DBS expiry is a day ordinal (0 = none recorded) and its level a rank (0 = not recorded, 1 basic to 4
enhanced with barred-list check); being a driver is a flag; groups are dense slots (0 = no group) so a query
can look up per-group routing in one array. Matching code reads the columns directly and must not write to
them.
"""

from collections.abc import Iterable
from datetime import date
from itertools import islice

import numpy as np

from matching.context import dbs_rank
from matching.errors import MatchingConfigError
from matching.geo import chord2_within, unit_vectors
from matching.policy import SLOT_NAMES
from matching.schedule import SLOTS_PER_DAY, availability_bit
from matching.spatial import GridIndex
from matching.types import DBS_LEVELS, WEEKDAYS, Volunteer

ACTIVE = np.uint8(1)
OPTED_OUT = np.uint8(2)
DRIVER = np.uint8(4)
MAX_SKILLS = 64
_INITIAL_CAPACITY = 1024
_LOAD_CHUNK = 65536


class VolunteerStore:
    def __init__(self, volunteers: Iterable[Volunteer] = ()) -> None:
        self._skill_bits: dict[str, int] = {}
        self._org_slots: dict[int, int] = {}
        self._slot_orgs: list[int | None] = [None]
        self._row_of: dict[int, int] = {}
        self._free: list[int] = []
        self._allocate(_INITIAL_CAPACITY)
        self.index = GridIndex(len(self.ids))
        stream = iter(volunteers)
        while chunk := [self._encode(volunteer) for volunteer in islice(stream, _LOAD_CHUNK)]:
            self._load_chunk(chunk)
        self._lay_out_by_cell()
        self.index.rebuild(self.lat, self.lon, self.radius_km, self.ids >= 0)

    def __len__(self) -> int:
        return len(self._row_of)

    def __contains__(self, volunteer_id: int) -> bool:
        return volunteer_id in self._row_of

    def row_of(self, volunteer_id: int) -> int | None:
        return self._row_of.get(volunteer_id)

    @property
    def org_slot_count(self) -> int:
        return len(self._slot_orgs)

    def org_slot(self, org_id: int | None) -> int:
        if org_id is None:
            return 0
        slot = self._org_slots.get(org_id)
        if slot is None:
            slot = self._org_slots[org_id] = len(self._slot_orgs)
            self._slot_orgs.append(org_id)
        return slot

    def known_org_slot(self, org_id: int) -> int | None:
        return self._org_slots.get(org_id)

    def org_of_slot(self, slot: int) -> int | None:
        return self._slot_orgs[slot]

    def skill_mask(self, codes: Iterable[str]) -> int | None:
        """Mask of the given skills, or None when some code is held by no volunteer."""
        mask = 0
        for code in codes:
            bit = self._skill_bits.get(code)
            if bit is None:
                return None
            mask |= 1 << bit
        return mask

    def upsert(self, volunteer: Volunteer) -> None:
        values = self._encode(volunteer)
        row = self._row_of.get(volunteer.id)
        if row is None:
            row = self._free.pop() if self._free else self._append_row()
            self._row_of[volunteer.id] = row
        self._write(row, values)
        if self.index.place(row, volunteer.lat, volunteer.lon, volunteer.travel_radius_km):
            self.compact()

    def remove(self, volunteer_id: int) -> bool:
        row = self._row_of.pop(volunteer_id, None)
        if row is None:
            return False
        self.ids[row] = -1
        self.flags[row] = 0
        self.index.remove(row)
        self._free.append(row)
        return True

    def compact(self) -> None:
        self.index.rebuild(self.lat, self.lon, self.radius_km, self.ids >= 0)

    def add_workload(self, volunteer_id: int, active: int, this_week: int) -> None:
        row = self._row_of[volunteer_id]
        self.active_tasks[row] = max(0, int(self.active_tasks[row]) + active)
        self.week_tasks[row] = max(0, int(self.week_tasks[row]) + this_week)

    def set_workload(self, volunteer_id: int, active: int, this_week: int) -> None:
        row = self._row_of[volunteer_id]
        self.active_tasks[row] = max(0, active)
        self.week_tasks[row] = max(0, this_week)

    def reset_week(self) -> None:
        self.week_tasks[:] = 0

    def volunteer(self, volunteer_id: int) -> Volunteer:
        row = self._row_of[volunteer_id]
        skills_mask = int(self.skills[row])
        slots = int(self.availability[row])
        return Volunteer(
            id=volunteer_id,
            lat=float(self.lat[row]),
            lon=float(self.lon[row]),
            org_id=self._slot_orgs[int(self.org_slots[row])],
            skills=tuple(code for code, bit in self._skill_bits.items() if skills_mask >> bit & 1),
            dbs_expires_on=date.fromordinal(int(self.dbs_day[row])) if self.dbs_day[row] else None,
            dbs_level=DBS_LEVELS[int(self.dbs_rank[row]) - 1] if self.dbs_rank[row] else None,
            driver=bool(self.flags[row] & DRIVER),
            availability={
                day: [
                    name for index, name in enumerate(SLOT_NAMES) if slots >> (d * SLOTS_PER_DAY + index) & 1
                ]
                for d, day in enumerate(WEEKDAYS)
                if slots >> (d * SLOTS_PER_DAY) & 0b111
            },
            travel_radius_km=float(self.radius_km[row]),
            max_active_tasks=int(self.max_active[row]),
            max_tasks_per_week=int(self.max_week[row]),
            active_tasks=int(self.active_tasks[row]),
            tasks_this_week=int(self.week_tasks[row]),
            active=bool(self.flags[row] & ACTIVE),
            sms_opted_out=bool(self.flags[row] & OPTED_OUT),
        )

    def _encode(self, volunteer: Volunteer) -> tuple:
        skills = 0
        for code in volunteer.skills:
            bit = self._skill_bits.get(code)
            if bit is None:
                if len(self._skill_bits) >= MAX_SKILLS:
                    raise MatchingConfigError(f"more than {MAX_SKILLS} distinct volunteer skills")
                bit = self._skill_bits[code] = len(self._skill_bits)
            skills |= 1 << bit
        availability = 0
        for day, slot_names in volunteer.availability.items():
            for name in slot_names:
                if day not in WEEKDAYS or name not in SLOT_NAMES:
                    raise ValueError(f"volunteer {volunteer.id}: unknown availability {day!r} {name!r}")
                availability |= availability_bit(day, SLOT_NAMES.index(name))
        flags = (
            (ACTIVE if volunteer.active else 0)
            | (OPTED_OUT if volunteer.sms_opted_out else 0)
            | (DRIVER if volunteer.driver else 0)
        )
        if volunteer.dbs_level is not None and volunteer.dbs_level not in DBS_LEVELS:
            raise ValueError(f"volunteer {volunteer.id}: unknown DBS level {volunteer.dbs_level!r}")
        return (
            volunteer.id,
            volunteer.lat,
            volunteer.lon,
            volunteer.travel_radius_km,
            self.org_slot(volunteer.org_id),
            skills,
            volunteer.dbs_expires_on.toordinal() if volunteer.dbs_expires_on else 0,
            dbs_rank(volunteer.dbs_level),
            availability,
            volunteer.max_active_tasks,
            volunteer.max_tasks_per_week,
            volunteer.active_tasks,
            volunteer.tasks_this_week,
            flags,
        )

    _COLUMNS = (
        ("ids", np.int64),
        ("lat", np.float64),
        ("lon", np.float64),
        ("radius_km", np.float64),
        ("org_slots", np.int32),
        ("skills", np.uint64),
        ("dbs_day", np.int32),
        ("dbs_rank", np.int8),
        ("availability", np.uint32),
        ("max_active", np.int32),
        ("max_week", np.int32),
        ("active_tasks", np.int32),
        ("week_tasks", np.int32),
        ("flags", np.uint8),
    )

    def _allocate(self, capacity: int) -> None:
        for name, dtype in self._COLUMNS:
            setattr(self, name, np.zeros(capacity, dtype=dtype))
        self.ids[:] = -1
        self.position = np.zeros((capacity, 3))
        self.reach2 = np.zeros(capacity)
        self._used = 0

    def _load_chunk(self, encoded: list[tuple]) -> None:
        start, count = self._used, len(encoded)
        end = start + count
        if end > len(self.ids):
            self._grow(max(end, 2 * len(self.ids)))
        for (name, dtype), values in zip(self._COLUMNS, zip(*encoded, strict=True), strict=True):
            getattr(self, name)[start:end] = np.fromiter(values, dtype=dtype, count=count)
        for row, volunteer_id in enumerate(self.ids[start:end].tolist(), start=start):
            if self._row_of.setdefault(volunteer_id, row) != row:
                raise ValueError(f"duplicate volunteer id {volunteer_id}")
        self.position[start:end] = unit_vectors(self.lat[start:end], self.lon[start:end])
        self.reach2[start:end] = chord2_within(self.radius_km[start:end])
        self._used = end

    def _lay_out_by_cell(self) -> None:
        """Store the initial rows in index order, so a query's rows sit close together in memory."""
        used = self._used
        order = self.index.layout(self.lat[:used], self.lon[:used], self.radius_km[:used])
        for name, _dtype in self._COLUMNS:
            column = getattr(self, name)
            column[:used] = column[:used][order]
        self.position[:used] = self.position[:used][order]
        self.reach2[:used] = self.reach2[:used][order]
        self._row_of = dict(zip(self.ids[:used].tolist(), range(used), strict=True))

    def _write(self, row: int, values: tuple) -> None:
        for (name, _dtype), value in zip(self._COLUMNS, values, strict=True):
            getattr(self, name)[row] = value
        self.position[row] = unit_vectors(self.lat[row], self.lon[row])
        self.reach2[row] = chord2_within(self.radius_km[row])

    def _append_row(self) -> int:
        if self._used == len(self.ids):
            self._grow(2 * len(self.ids))
        self._used += 1
        return self._used - 1

    def _grow(self, capacity: int) -> None:
        extra = capacity - len(self.ids)
        for name, _dtype in self._COLUMNS:
            column = getattr(self, name)
            setattr(self, name, np.concatenate([column, np.zeros(extra, dtype=column.dtype)]))
        self.ids[-extra:] = -1
        self.position = np.concatenate([self.position, np.zeros((extra, 3))])
        self.reach2 = np.concatenate([self.reach2, np.zeros(extra)])
        self.index.grow(capacity)

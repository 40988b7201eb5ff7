"""The `postcode` table: every unit postcode a deployment has imported (`flask geo import`), with the ONS
codes of its local authority district and electoral ward (Code-Point Open's Admin_district_code and
Admin_ward_code) and their names."""

from datetime import datetime

from sqlalchemy import SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, utcnow


class Postcode(Base):
    __tablename__ = "postcode"

    postcode: Mapped[str] = mapped_column(String(8), primary_key=True)
    outcode: Mapped[str] = mapped_column(String(4), index=True)
    latitude: Mapped[float]
    longitude: Mapped[float]
    positional_quality: Mapped[int | None] = mapped_column(SmallInteger)
    admin_district_code: Mapped[str | None] = mapped_column(String(9))
    admin_district: Mapped[str | None] = mapped_column(String(100))
    admin_ward_code: Mapped[str | None] = mapped_column(String(9), index=True)
    admin_ward: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(100))

    def __repr__(self) -> str:
        return f"Postcode({self.postcode!r}, {self.latitude}, {self.longitude})"


class Boundary(Base):
    """An official boundary loaded from an ONS Open Geography GeoJSON file (`flask geo import-boundaries`):
    its ONS code and name, what kind of area it is, and its shape as a GeoJSON geometry in WGS84."""

    __tablename__ = "boundary"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(20), index=True)  # ward, district, county, ...
    geometry: Mapped[dict]
    source: Mapped[str] = mapped_column(String(200))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)

"""The map's graduated colour scale for unmet demand. The classes are fixed and built from the suppression
threshold (0, 1 to threshold−1, then doubling), so no class boundary tells apart counts that open data hides,
and the same count has the same colour on every map."""

from dataclasses import dataclass

NONE_COLOUR = "#91bfdb"
SUPPRESSED_COLOUR = "#c4bcb4"  # a warm grey, unlike the neutral greys of text
CLASS_COLOURS = ("#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026")  # ColorBrewer YlOrRd


@dataclass(frozen=True)
class ColourClass:
    low: int
    high: int | None
    colour: str

    @property
    def label(self) -> str:
        if self.high is None:
            return f"{self.low} or more"
        return str(self.low) if self.low == self.high else f"{self.low}–{self.high}"

    def holds(self, count: int) -> bool:
        return count >= self.low and (self.high is None or count <= self.high)


@dataclass(frozen=True)
class ColourScale:
    classes: tuple[ColourClass, ...]

    @classmethod
    def for_threshold(cls, threshold: int) -> "ColourScale":
        threshold = max(threshold, 1)
        starts = [1] if threshold > 1 else []
        starts += [threshold * 2**step for step in range(len(CLASS_COLOURS) - len(starts))]
        colours = CLASS_COLOURS[len(CLASS_COLOURS) - len(starts) :]
        ends = [start - 1 for start in starts[1:]] + [None]
        graded = (
            ColourClass(low, high, colour) for low, high, colour in zip(starts, ends, colours, strict=True)
        )
        return cls((ColourClass(0, 0, NONE_COLOUR), *graded))

    def classify(self, count: int) -> ColourClass:
        if count < 0:
            raise ValueError(f"a count cannot be negative: {count}")
        return next(c for c in self.classes if c.holds(count))

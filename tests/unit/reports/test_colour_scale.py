import pytest

from reports.colour_scale import CLASS_COLOURS, NONE_COLOUR, SUPPRESSED_COLOUR, ColourScale


def test_classes_for_the_default_threshold():
    scale = ColourScale.for_threshold(5)

    assert [c.label for c in scale.classes] == ["0", "1–4", "5–9", "10–19", "20–39", "40 or more"]
    assert [c.colour for c in scale.classes] == [NONE_COLOUR, *CLASS_COLOURS]


@pytest.mark.parametrize(
    ("count", "label"),
    [
        (0, "0"),
        (1, "1–4"),
        (4, "1–4"),
        (5, "5–9"),
        (9, "5–9"),
        (10, "10–19"),
        (39, "20–39"),
        (40, "40 or more"),
        (10_000, "40 or more"),
    ],
)
def test_classify(count, label):
    assert ColourScale.for_threshold(5).classify(count).label == label


@pytest.mark.parametrize(
    ("threshold", "labels"),
    [
        (1, ["0", "1", "2–3", "4–7", "8–15", "16 or more"]),
        (0, ["0", "1", "2–3", "4–7", "8–15", "16 or more"]),
        (2, ["0", "1", "2–3", "4–7", "8–15", "16 or more"]),
        (10, ["0", "1–9", "10–19", "20–39", "40–79", "80 or more"]),
    ],
)
def test_classes_follow_the_threshold(threshold, labels):
    assert [c.label for c in ColourScale.for_threshold(threshold).classes] == labels


@pytest.mark.parametrize("threshold", [1, 3, 5, 10])
def test_no_class_straddles_the_threshold(threshold):
    """A suppressed count (1..threshold-1) never shares a class with a published one."""
    scale = ColourScale.for_threshold(threshold)
    hidden = {scale.classify(n) for n in range(1, threshold)}
    published = {scale.classify(n) for n in range(threshold, threshold * 20)}
    assert not hidden & published


def test_every_class_has_its_own_colour_and_grey_means_suppressed():
    colours = [c.colour for c in ColourScale.for_threshold(5).classes]
    assert len(set(colours)) == len(colours)
    assert SUPPRESSED_COLOUR not in colours


def test_counts_cannot_be_negative():
    with pytest.raises(ValueError, match="negative"):
        ColourScale.for_threshold(5).classify(-1)


@pytest.mark.parametrize(
    ("width_km", "bar_km"), [(1.0, 0.5), (9.0, 2), (12.0, 2), (25.0, 5), (60.0, 10), (900, 50)]
)
def test_the_scale_bar_is_a_round_length_within_a_quarter_of_the_panel(width_km, bar_km):
    from reports.needs_map import scale_bar_km

    assert scale_bar_km(width_km) == bar_km

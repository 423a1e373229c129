"""Durations as the scenario files write them ("20ms", "0", "1.5s")."""

_UNITS = (("min", 60.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9), ("s", 1.0))


def seconds(text):
    for unit, factor in _UNITS:
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    return float(text)

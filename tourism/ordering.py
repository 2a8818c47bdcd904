"""Putting one item of an ordered list at another place: a thing's pictures, a tour's stops,
a 3D model's hotspots and guided views. The caller locks the list's owner, then numbers the
items anew."""


def move_within(ordered: list, item, place: int) -> bool:
    """Put `item` at `place` in `ordered` (1 = first; out-of-range places clamp), in the list
    itself. Returns False when it was there already (a repeated press)."""
    place = min(max(place, 1), len(ordered))
    moved = ordered.index(item) != place - 1
    ordered.remove(item)
    ordered.insert(place - 1, item)
    return moved

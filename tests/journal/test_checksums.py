"""journal.checksums: the compiled XXH3 mid-size class against the xxhash package."""

from __future__ import annotations

import numpy as np
import xxhash
from hypothesis import given, settings
from hypothesis import strategies as st

from journal.checksums import MID_MAX, MID_MIN, frame_checksums


def _expected(frames: np.ndarray) -> list[int]:  # type: ignore[type-arg]
    return [xxhash.xxh3_64_intdigest(row.tobytes()) for row in frames]


def test_every_size_of_the_mid_class_and_around_it_matches_xxhash() -> None:
    rng = np.random.default_rng(7)
    for size in range(1, MID_MAX + 40):
        frames = rng.integers(0, 256, size=(9, size), dtype=np.uint8)
        assert frame_checksums(frames).tolist() == _expected(frames), size


@settings(max_examples=300, deadline=None)  # no timed assertions: a loaded machine is slow
@given(st.integers(MID_MIN, MID_MAX), st.integers(1, 5), st.randoms(use_true_random=False))
def test_random_frames_hash_as_xxhash_hashes_them(size: int, count: int, rnd: object) -> None:
    data = bytes(rnd.getrandbits(8) for _ in range(size * count))  # type: ignore[attr-defined]
    frames = np.frombuffer(data, dtype=np.uint8).reshape(count, size)
    assert frame_checksums(frames).tolist() == _expected(frames)


def test_extreme_bytes_hash_right() -> None:
    for fill in (0x00, 0xFF, 0x80, 0x7F):
        frames = np.full((3, 152), fill, dtype=np.uint8)
        assert frame_checksums(frames).tolist() == _expected(frames)


def test_no_frames_give_no_checksums() -> None:
    assert frame_checksums(np.zeros((0, 152), dtype=np.uint8)).tolist() == []

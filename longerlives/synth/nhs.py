"""Vectorised synthetic NHS numbers (modulus 11, range 9000000000-9999999999).

Numbers are drawn without repeats by walking a seeded affine bijection of the
100,000,000 nine-digit bodies ``900000000..999999999`` and skipping bodies whose
check digit would be 10. Patients take bodies from the front of the walk, orphan
(unknown) numbers from the back, so the two never meet.
"""

from __future__ import annotations

import numpy as np

BODY_SPACE = 100_000_000
_WEIGHTS = np.array([10, 9, 8, 7, 6, 5, 4, 3, 2], dtype=np.int64)


def check_digits(bodies: np.ndarray) -> np.ndarray:
    """Check digit per 9-digit body (10 means the body cannot be used)."""
    digits = (bodies[:, None] // 10 ** np.arange(8, -1, -1, dtype=np.int64)) % 10
    total = digits @ _WEIGHTS
    check = 11 - total % 11
    return np.where(check == 11, 0, check)


def is_valid(numbers: np.ndarray) -> np.ndarray:
    numbers = np.asarray(numbers, dtype=np.int64)
    return check_digits(numbers // 10) == numbers % 10


class NhsNumberSource:
    def __init__(self, seed: int) -> None:
        rng = np.random.default_rng([seed, 7])
        # multiplier coprime with 10**8 (odd, not a multiple of 5)
        a = int(rng.integers(10_000_000, 99_999_999)) | 1
        while a % 5 == 0:
            a += 2
        self.a = a
        self.b = int(rng.integers(0, BODY_SPACE))
        self.front = 0
        self.back = BODY_SPACE - 1

    def _bodies(self, idx: np.ndarray) -> np.ndarray:
        return 900_000_000 + (self.a * idx + self.b) % BODY_SPACE

    def take(self, n: int, from_back: bool = False) -> np.ndarray:
        """``n`` new valid, never-repeated NHS numbers as int64."""
        out = np.zeros(0, dtype=np.int64)
        while len(out) < n:
            need = n - len(out)
            m = int(need * 1.15) + 16
            if from_back:
                idx = np.arange(self.back, self.back - m, -1, dtype=np.int64)
            else:
                idx = np.arange(self.front, self.front + m, dtype=np.int64)
            bodies = self._bodies(idx)
            check = check_digits(bodies)
            ok = check != 10
            numbers = bodies[ok] * 10 + check[ok]
            used = idx[ok][:need]
            out = np.concatenate([out, numbers[:need]])
            last = used[-1] if len(used) else idx[-1]
            if from_back:
                self.back = int(last) - 1 if len(numbers) >= need else int(idx[-1]) - 1
            else:
                self.front = int(last) + 1 if len(numbers) >= need else int(idx[-1]) + 1
            if self.front > self.back:
                raise ValueError("ran out of synthetic NHS numbers")
        return out


def invalidate(numbers: np.ndarray) -> np.ndarray:
    """Same body, wrong check digit: always fails modulus 11."""
    return numbers - numbers % 10 + (numbers % 10 + 1) % 10

"""etr_nn.generate: random grid points and planted instances."""

from __future__ import annotations

import random

import pytest

from etr_nn.certify import certify
from etr_nn.generate import planted, random_points
from etr_nn.instance import Shape


def test_random_points_refuses_more_points_than_its_grid() -> None:
    """The grid ½Z ∩ [−1, 1] has 5 values: 5 distinct points in one input, not 6 (it used to loop forever)."""
    assert len(set(random_points(5, 1, random.Random(0), size=1))) == 5
    with pytest.raises(ValueError, match="6 distinct points"):
        random_points(6, 1, random.Random(0), size=1)


def test_planted_data_are_fitted_by_their_network() -> None:
    for seed in range(5):
        instance, network = planted(Shape(2, 2, 2), 8, seed)
        assert len(set(instance.points)) == 8 and certify(instance, network).valid

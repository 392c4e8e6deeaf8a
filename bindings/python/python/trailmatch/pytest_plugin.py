"""The pytest plugin of trailmatch (registered through the ``pytest11`` entry point).

It provides one fixture, ``trailmatch_moto``: the test runs with moto's CloudWatch Logs mock
answering with trailmatch (see :mod:`trailmatch.moto`), and moto is restored afterwards::

    from moto import mock_aws

    @mock_aws
    def test_only_denied_calls_count(trailmatch_moto):
        ...

moto is imported only when a test uses the fixture.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture
def trailmatch_moto() -> Iterator[None]:
    """moto's CloudWatch Logs mock answering with trailmatch for the test's duration."""
    from trailmatch import moto

    with moto.patch():
        yield

"""Shared test set-up. Layer-specific fixtures live in each test folder's conftest."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def wire_fixtures() -> Path:
    return FIXTURES / "wire"

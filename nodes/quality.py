"""Sample quality, the one scale every layer uses: OPC UA's status severity reduced to three levels.

OPC UA StatusCodes carry their severity in the top two bits (Part 4, 7.39): 00 good,
01 uncertain, 10/11 bad. Modbus has no status: an answer is good, an exception or silence is
bad. Chunks store the level as uint8 per sample; the names are what logs and files show.
"""

from __future__ import annotations

import enum


class Quality(enum.IntEnum):
    GOOD = 0
    UNCERTAIN = 1
    BAD = 2

    @property
    def label(self) -> str:
        """``good``, ``uncertain`` or ``bad``."""
        return self.name.lower()


QUALITY_NAMES = {q.value: q.label for q in Quality}

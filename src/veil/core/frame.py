"""The frame type shared by media (which decodes and encodes frames) and vision (which reads them).

A frame is a BGR ``uint8`` array of shape ``(height, width, 3)``. It lives here, not in media or
vision, so that neither of those packages imports the other.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Frame = npt.NDArray[np.uint8]

"""Where the face is in scikit-image's astronaut sample (the ``astronaut_bgr`` fixture)."""

from __future__ import annotations

import numpy as np

# The astronaut's face in scikit-image's 512x512 sample, by hand: x1, y1, x2, y2.
ASTRONAUT_FACE = np.array([[180, 60, 270, 180]], np.float32)

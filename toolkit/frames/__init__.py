"""DataFrames in and out: COPY-based reads, vectorised checks, diff plans and set-based write-back."""

from toolkit.frames.plan import Plan, Report
from toolkit.frames.read import iter_frames, read_arrow, read_frame
from toolkit.frames.validate import FrameSpec

__all__ = ["FrameSpec", "Plan", "Report", "iter_frames", "read_arrow", "read_frame"]

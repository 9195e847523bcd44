"""``loupe-tui video``: prepare videos for scoring.

``video frame-times VIDEO --out T.npy`` writes the frame-times file that
``--video VIDEO T.npy`` needs when the camera wrote none: one time per frame,
in display order, from the file's own packet timestamps (read with PyAV,
nothing decoded). The first frame is at ``--offset`` seconds of the
recording's clock (default 0). The frames are counted exactly as the GL
window counts them (:func:`render.video_index.build_index`), so the file
always fits its video.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

from loupe_tui.errors import DataFileError, LoupeConfigError

_EPILOG = """\
examples:
  loupe-tui video frame-times cam.mp4 --out cam_times.npy
  loupe-tui video frame-times cam.mp4 --out cam_times.npy --offset 12.5   # the camera started 12.5 s in
  loupe-tui open rec.zarr --video cam.mp4 cam_times.npy

The times are the file's timestamps: a camera that drops frames or drifts is
only right if it wrote them so. When the acquisition system logged its own
frame times (TTL pulses, a timestamp file), save those as a 1-D float64 .npy
instead (docs/data-inputs.md).
"""


def register(sub) -> None:
    p = sub.add_parser("video", help="prepare videos: frame-times files from packet timestamps",
                       description="Prepare videos for scoring.")
    vsub = p.add_subparsers(dest="video_command", metavar="SUBCOMMAND")
    vsub.required = True
    ft = vsub.add_parser("frame-times", help="write a video's frame times (.npy) from its packet timestamps",
                         description="Write one time per frame (seconds, display order) from the video's own "
                                     "timestamps, the first frame at --offset.",
                         epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    ft.add_argument("video", metavar="VIDEO", help="video file (mp4, mkv, avi ...)")
    ft.add_argument("--out", required=True, metavar="T.npy", help="frame-times file to write (.npy)")
    ft.add_argument("--offset", type=float, default=0.0, metavar="SECONDS",
                    help="recording-clock time of the first frame (default 0)")
    ft.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    ft.set_defaults(func=run_frame_times)


def frame_times(video: str | Path, offset: float = 0.0):
    """Frame times (float64 seconds, strictly increasing) of ``video``, the first at ``offset``.

    Raises
    ------
    DataFileError
        The file cannot be opened or demuxed, has no video stream, no frames,
        or frames without timestamps.
    """
    import numpy as np

    from render.video_index import build_index

    index = build_index(video)
    pts = index.pts - index.pts[0]
    return offset + pts.astype(np.float64) * float(index.time_base), index


def run_frame_times(args: argparse.Namespace) -> int:
    import math

    import numpy as np

    from loupe_tui.core.fsutil import atomic_write_bytes

    out = Path(args.out)
    if out.suffix.lower() != ".npy":
        raise LoupeConfigError(f"--out {out}: frame times are written as .npy (e.g. {out.with_suffix('.npy').name})")
    if out.exists() and not args.force:
        raise LoupeConfigError(f"{out}: exists; pass --force to overwrite it")
    if not math.isfinite(args.offset):
        raise LoupeConfigError(f"--offset: must be a finite number of seconds, got {args.offset}")
    video = Path(args.video)
    if not video.is_file():
        raise DataFileError(f"{video}: no such video file")
    times, index = frame_times(video, args.offset)
    buf = io.BytesIO()
    np.save(buf, times)
    atomic_write_bytes(out, buf.getvalue(), error=DataFileError)
    step = float(np.median(np.diff(times))) if len(times) > 1 else 0.0
    rate = f", median interval {1000 * step:.2f} ms ({1 / step:.2f} fps)" if step > 0 else ""
    print(f"wrote {len(times):,} frame times of {video.name} ({times[0]:.3f} .. {times[-1]:.3f} s{rate}) to {out}")
    return 0

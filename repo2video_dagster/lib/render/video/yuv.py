"""Colour maths of the encoder's frame format: planar YUV 4:2:0 (I420), BT.709 limited range.

Frames are prepared in the encoder's own format so that ffmpeg only compresses;
these are the conversions (whole pictures and even-aligned regions of them) and
the crossfade blend, on numpy planes.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from repo2video_dagster.lib.core.errors import EngineError
from repo2video_dagster.lib.render.theme import Box

_KR, _KB = 0.2126, 0.0722
_KG = 1.0 - _KR - _KB
_Y_SCALE, _C_SCALE = 219 / 255, 224 / 255
RGB_TO_YCBCR = (
    _Y_SCALE * _KR,
    _Y_SCALE * _KG,
    _Y_SCALE * _KB,
    16.0,
    -_C_SCALE * _KR / (2 * (1 - _KB)),
    -_C_SCALE * _KG / (2 * (1 - _KB)),
    _C_SCALE / 2,
    128.0,
    _C_SCALE / 2,
    -_C_SCALE * _KG / (2 * (1 - _KR)),
    -_C_SCALE * _KB / (2 * (1 - _KR)),
    128.0,
)
"""sRGB (8 bit) to BT.709 limited-range Y'CbCr, as a Pillow ``convert`` matrix (C path).

BT.709 is the matrix players assume for HD video; the stream is also tagged
(``COLOR_TAGS``) so none has to guess."""
COLOR_TAGS = (
    "-colorspace",
    "bt709",
    "-color_primaries",
    "bt709",
    "-color_trc",
    "bt709",
    "-color_range",
    "tv",
)
"""Given for the raw input too: tagging only the output makes ffmpeg insert a conversion
from "unknown" (the bytes change), and an untagged HD stream is decoded as BT.601 by
ffmpeg but as BT.709 by browsers."""


def yuv_planes(frame: np.ndarray, width: int, height: int) -> tuple[np.ndarray, ...]:
    """Y, U and V views into an I420 frame (``(height * 3 // 2, width)`` uint8)."""
    flat = frame.reshape(-1)
    n = width * height
    q = n // 4
    return (
        flat[:n].reshape(height, width),
        flat[n : n + q].reshape(height // 2, width // 2),
        flat[n + q : n + 2 * q].reshape(height // 2, width // 2),
    )


def convert_into(rgb: Image.Image, planes: tuple[np.ndarray, ...], x: int, y: int) -> None:
    """Write ``rgb`` (even size) as YUV 4:2:0 at the even position ``(x, y)`` of ``planes``.

    Chroma is the 2x2 box average (``Image.reduce``), computed per region exactly
    as for a whole frame, so a pasted region meets its surroundings seamlessly.
    """
    w, h = rgb.size
    luma, cb, cr = rgb.convert("RGB", RGB_TO_YCBCR).split()
    planes[0][y : y + h, x : x + w] = np.asarray(luma)
    hx, hy, hw, hh = x // 2, y // 2, w // 2, h // 2
    planes[1][hy : hy + hh, hx : hx + hw] = np.asarray(cb.reduce(2))
    planes[2][hy : hy + hh, hx : hx + hw] = np.asarray(cr.reduce(2))


def rgb_to_yuv420(rgb: Image.Image) -> np.ndarray:
    """An RGB picture (even width and height) as an I420 frame (BT.709, limited range)."""
    w, h = rgb.size
    if w % 2 or h % 2:
        raise EngineError(f"Frames must have an even size for yuv420p, got {w}x{h}")
    frame = np.empty((h * 3 // 2, w), dtype=np.uint8)
    convert_into(rgb.convert("RGB"), yuv_planes(frame, w, h), 0, 0)
    return frame


def yuv420_to_rgb(frame: np.ndarray, width: int, height: int) -> np.ndarray:
    """The RGB picture (HxWx3 uint8) an I420 frame shows, for checks and quality numbers."""
    y, u, v = (p.astype(np.float32) for p in yuv_planes(frame, width, height))
    u = np.repeat(np.repeat(u, 2, axis=0), 2, axis=1) - 128.0
    v = np.repeat(np.repeat(v, 2, axis=0), 2, axis=1) - 128.0
    luma = (y - 16.0) / _Y_SCALE
    r = luma + v * (2 * (1 - _KR)) / _C_SCALE
    b = luma + u * (2 * (1 - _KB)) / _C_SCALE
    g = (luma - _KR * r - _KB * b) / _KG
    return np.clip(np.rint(np.stack([r, g, b], axis=2)), 0, 255).astype(np.uint8)


def blend_frames(a: np.ndarray, b: np.ndarray, alpha: float) -> np.ndarray:
    """``(1 - alpha) * a + alpha * b`` for uint8 frames, in 8.8 fixed point.

    numpy on uint16 (3 ms per 1080x1920 frame) rather than ``Image.blend``:
    Pillow blends as fast, but handing its result back to numpy costs another
    4-5 ms of copies.

    Only the rows where the two frames differ are blended: a motion step's fade changes
    one card, so most rows are copied, not computed (a crossfade between scenes still
    blends nearly all of them). The result is the same as blending every row.
    """
    weight = round(alpha * 256)
    out = a.copy()
    # Row bands that are each contiguous in a frame region: Y, U, V of an I420 frame
    # (or the whole array when it is not one).
    rows = a.shape[0]
    height = rows * 2 // 3
    if a.ndim == 2 and rows % 3 == 0 and height % 4 == 0:
        bands = [(0, height), (height, height + height // 4), (height + height // 4, rows)]
    else:
        bands = [(0, rows)]
    same = _rows_equal(a, b)
    for lo, hi in bands:
        changed = np.flatnonzero(~same[lo:hi])
        if not len(changed):
            continue
        r0, r1 = lo + int(changed[0]), lo + int(changed[-1]) + 1
        acc = np.multiply(a[r0:r1], 256 - weight, dtype=np.uint16)
        acc += np.multiply(b[r0:r1], weight, dtype=np.uint16)
        acc += 128  # at most 255 * 256 + 128: no overflow
        acc >>= 8
        out[r0:r1] = acc
    return out


def _rows_equal(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per row of the 2-D (or flattened) frames: are ``a`` and ``b`` identical?"""
    a2 = a.reshape(a.shape[0], -1)
    b2 = b.reshape(b.shape[0], -1)
    if a2.shape[1] % 8 == 0 and a2.flags.c_contiguous and b2.flags.c_contiguous:
        a2, b2 = a2.view(np.uint64), b2.view(np.uint64)  # 8 bytes per comparison
    return np.all(a2 == b2, axis=1)


def even_box(box: Box, width: int, height: int) -> Box:
    """``box`` grown to even coordinates (and clipped to the frame), so that it covers
    whole chroma samples: converting it alone gives the same bytes as the whole frame."""
    x0, y0 = max(0, box.x - box.x % 2), max(0, box.y - box.y % 2)
    x1 = min(width, box.right + box.right % 2)
    y1 = min(height, box.bottom + box.bottom % 2)
    return Box(x0, y0, x1 - x0, y1 - y0)

"""Photos people upload with a case: what the bytes really are, whether they decode, and a
re-encoded copy that carries pixels only.

A phone photo's EXIF holds where it was taken (GPS), when, and the phone; XMP and comments
can hold more. Under PIPL a location is personal information we have no need for, so
nothing of the upload is kept but its pixels: the image is decoded, turned upright by its
EXIF orientation, and drawn into a fresh image with no metadata, which is encoded again.

The type is read from the bytes, never from the file's name or the declared content type,
and only JPEG, PNG and WebP are accepted. Pixel counts are checked from the header before
anything is decoded, so a small file that claims huge dimensions (a decompression bomb)
costs nothing. No Django here.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from io import BytesIO

from PIL import Image, ImageOps

MAX_BYTES = 8 * 1024 * 1024
# 40 megapixels: above any phone camera's full resolution, far below what would exhaust
# memory when decoded (an RGBA pixel is 4 bytes).
MAX_PIXELS = 40_000_000
# Stored photos are at most this wide or high: plenty to see a crack in a wall, and a
# quarter of a 48-megapixel phone photo's bytes.
MAX_SIDE = 2560
# The small copy shown in a case's history.
PREVIEW_SIDE = 640
JPEG_QUALITY = 85
WEBP_QUALITY = 85

# Pillow format → (MIME type, file extension).
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"),
           "WEBP": ("image/webp", "webp")}
# The modes each format is written in; anything else is converted first.
_MODES = {"JPEG": ("L", "RGB"), "PNG": ("L", "LA", "RGB", "RGBA"), "WEBP": ("RGB", "RGBA")}
# JPEG start-of-frame markers (they carry the dimensions); C4, C8 and CC are not frames.
_JPEG_FRAMES = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Decoders fail in many ways on hostile input; each of these means "cannot be read".
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError,
                  KeyError, TypeError, ZeroDivisionError)


class ImageRejected(Exception):
    """Why an upload is refused: not_an_image, too_large, too_many_pixels, unreadable."""

    def __init__(self, code: str, detail: str = ""):
        self.code = code
        super().__init__(f"{code}: {detail}" if detail else code)


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    preview: bytes
    format: str  # JPEG, PNG or WEBP
    mime_type: str
    extension: str
    width: int
    height: int


def sniff_format(data: bytes) -> str | None:
    """The format the bytes begin with (JPEG, PNG, WEBP), or None for anything else."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def header_size(data: bytes, fmt: str) -> tuple[int, int] | None:
    """Width and height as the file's header states them, without decoding; None when the
    header does not say (a broken file)."""
    try:
        if fmt == "PNG":
            if data[12:16] != b"IHDR":
                return None
            return struct.unpack(">II", data[16:24])
        if fmt == "WEBP":
            return _webp_size(data)
        if fmt == "JPEG":
            return _jpeg_size(data)
    except (struct.error, IndexError):
        return None
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X":  # extended: the canvas size, 24 bits each, minus one
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    if chunk == b"VP8L":  # lossless: 14 bits each, minus one, after a 0x2f signature
        if data[20] != 0x2F:
            return None
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 ":  # lossy: a key frame's start code, then 14 bits each
        if data[23:26] != b"\x9d\x01\x2a":
            return None
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """Walk the segments to the first start-of-frame; stop at the scan data."""
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # no length follows
            pos += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no frame came first
            return None
        (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
        if marker in _JPEG_FRAMES:
            height, width = struct.unpack(">HH", data[pos + 5:pos + 9])
            return width, height
        if length < 2:
            return None
        pos += 2 + length
    return None


def clean_image(data: bytes, *, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS,
                max_side: int = MAX_SIDE, preview_side: int = PREVIEW_SIDE) -> CleanImage:
    """The upload re-encoded in its own format with every piece of metadata gone, upright,
    at most `max_side` on its long side; raises ImageRejected."""
    if len(data) > max_bytes:
        raise ImageRejected("too_large", f"{len(data)} bytes")
    fmt = sniff_format(data)
    if fmt is None:
        raise ImageRejected("not_an_image")
    size = header_size(data, fmt)
    if size is None or 0 in size:
        raise ImageRejected("unreadable", "no dimensions in the header")
    if size[0] * size[1] > max_pixels:
        raise ImageRejected("too_many_pixels", f"{size[0]}x{size[1]}")
    try:
        with Image.open(BytesIO(data), formats=[fmt]) as opened:
            if opened.width * opened.height > max_pixels:
                raise ImageRejected("too_many_pixels", f"{opened.width}x{opened.height}")
            if fmt == "JPEG":
                # Decode at the smallest DCT scale still at least max_side: a fraction of
                # the memory and time for a 48-megapixel photo, every byte still read.
                opened.draft("RGB" if opened.mode == "CMYK" else opened.mode,
                             (max_side, max_side))
            opened.load()  # the whole image: a truncated or corrupt file fails here
            image = _upright(opened)
            image = _in_mode(image, fmt)
    except Image.DecompressionBombError as exc:
        raise ImageRejected("too_many_pixels", str(exc)) from None
    except _DECODE_ERRORS as exc:
        raise ImageRejected("unreadable", f"{type(exc).__name__}: {exc}") from None
    full = _scaled(image, max_side)
    preview = _scaled(full, preview_side)
    mime_type, extension = FORMATS[fmt]
    return CleanImage(data=_encode(full, fmt), preview=_encode(preview, fmt), format=fmt,
                      mime_type=mime_type, extension=extension, width=full.width,
                      height=full.height)


def _upright(image: Image.Image) -> Image.Image:
    """Turned as the EXIF orientation says, so it still looks right once EXIF is gone.
    A broken orientation tag is ignored rather than refusing a good photo."""
    try:
        return ImageOps.exif_transpose(image)
    except _DECODE_ERRORS:
        return image


def _in_mode(image: Image.Image, fmt: str) -> Image.Image:
    """In a mode the format is written in: alpha kept where the format has it, 16-bit
    grey scaled down to 8 bits (a plain conversion would clip it to white)."""
    if image.mode in _MODES[fmt] and "transparency" not in image.info:
        return image
    if image.mode.startswith("I") or image.mode == "F":
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if fmt == "JPEG":
        return image.convert("L" if image.mode in ("1", "L") else "RGB")
    if has_alpha:
        return image.convert("RGBA")
    return image.convert("L" if image.mode in ("1", "L") and fmt == "PNG" else "RGB")


def _scaled(image: Image.Image, side: int) -> Image.Image:
    """A metadata-free copy at most `side` on its long side. Pillow carries `info`
    (EXIF, ICC, XMP, comments, text chunks) through copies and resizes, so the pixels are
    drawn into a brand-new image that has none."""
    if max(image.size) > side:
        scale = side / max(image.size)
        target = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
    return Image.frombytes(image.mode, image.size, image.tobytes())


def _encode(image: Image.Image, fmt: str) -> bytes:
    out = BytesIO()
    if fmt == "JPEG":
        image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    elif fmt == "PNG":
        image.save(out, "PNG", compress_level=6)
    else:
        image.save(out, "WEBP", quality=WEBP_QUALITY, method=4)
    return out.getvalue()

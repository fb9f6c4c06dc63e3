"""Photos built in the test with Pillow: with GPS EXIF, text chunks, bombs."""

from __future__ import annotations

import struct
import zlib
from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, PngImagePlugin

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def jpeg_bytes(size=(64, 48), color=(200, 60, 20), *, gps=True, orientation=None,
               comment=b"") -> bytes:
    """A JPEG with GPS EXIF (a spot in Jinan), the phone's make, and maybe an orientation."""
    image = Image.new("RGB", size, color)
    # A blue top-left corner, to see where it ends up after turning.
    image.paste((0, 0, 255), (0, 0, 16, 16))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 15"  # Model
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (36.0, 39.0, 55.2), 3: "E", 4: (117.0, 1.0, 12.5)}
    if orientation:
        exif[ORIENTATION] = orientation
    out = BytesIO()
    extra = {"comment": comment} if comment else {}
    image.save(out, "JPEG", exif=exif.tobytes(), quality=95, **extra)
    return out.getvalue()


def png_bytes(size=(40, 30), *, text=True, mode="RGB") -> bytes:
    image = Image.new(mode, size, (10, 120, 30, 128)[: len(mode)] if mode != "L" else 80)
    info = PngImagePlugin.PngInfo()
    if text:
        info.add_text("Comment", "taken at 36.65N 117.02E")
        info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>GPSLatitude 36.65</x:xmpmeta>")
    out = BytesIO()
    image.save(out, "PNG", pnginfo=info)
    return out.getvalue()


def webp_bytes(size=(40, 30)) -> bytes:
    out = BytesIO()
    Image.new("RGB", size, (1, 2, 3)).save(out, "WEBP")
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims huge dimensions and has almost no data: a decompression bomb."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def upload(data: bytes, name="photo.jpg", content_type="image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)

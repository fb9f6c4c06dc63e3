"""warmgrid/lib/images.py alone: what is accepted, what is refused, and that nothing but
pixels comes out."""

from __future__ import annotations

from io import BytesIO

import pytest
from PIL import Image

from warmgrid.attachments.tests.photos import (
    GPS_IFD,
    ORIENTATION,
    jpeg_bytes,
    png_bytes,
    png_header_only,
    webp_bytes,
)
from warmgrid.lib import images


def opened(data: bytes) -> Image.Image:
    image = Image.open(BytesIO(data))
    image.load()
    return image


def test_a_jpeg_with_gps_comes_out_with_no_exif_at_all():
    original = jpeg_bytes(comment=b"Lat 36.65 Lon 117.02")
    assert opened(original).getexif().get_ifd(GPS_IFD)  # the test photo does carry GPS
    clean = images.clean_image(original)
    assert (clean.format, clean.mime_type, clean.extension) == ("JPEG", "image/jpeg", "jpg")
    assert (clean.width, clean.height) == (64, 48)
    for data in (clean.data, clean.preview):
        image = opened(data)
        assert len(image.getexif()) == 0
        assert not image.getexif().get_ifd(GPS_IFD)
        assert not {"exif", "xmp", "comment", "icc_profile", "photoshop"} & set(image.info)
        assert b"Exif" not in data and b"PhoneMaker" not in data and b"117.02" not in data


@pytest.mark.parametrize(("orientation", "size", "marker_at"), [
    (6, (48, 64), (44, 4)),  # taken sideways, turned 90° clockwise to stand upright
    (3, (64, 48), (60, 44)),  # upside down
    (8, (48, 64), (4, 60)),
])
def test_the_exif_orientation_is_honoured_before_exif_is_dropped(orientation, size, marker_at):
    clean = images.clean_image(jpeg_bytes(orientation=orientation))
    image = opened(clean.data)
    assert image.size == size == (clean.width, clean.height)
    red, _green, blue = image.getpixel(marker_at)
    assert blue > 150 and red < 100  # the blue corner went where it should
    assert ORIENTATION not in image.getexif()


def test_a_png_loses_its_text_chunks_and_keeps_its_transparency():
    original = png_bytes(mode="RGBA")
    assert "Comment" in opened(original).info
    clean = images.clean_image(original)
    image = opened(clean.data)
    assert (clean.mime_type, image.mode) == ("image/png", "RGBA")
    assert not {"Comment", "XML:com.adobe.xmp", "exif"} & set(image.info)
    assert b"36.65" not in clean.data and b"xmpmeta" not in clean.data
    assert image.getpixel((0, 0))[3] == 128


def test_a_webp_is_accepted_and_stays_a_webp():
    clean = images.clean_image(webp_bytes())
    assert (clean.format, clean.mime_type, clean.extension) == ("WEBP", "image/webp", "webp")
    assert opened(clean.data).format == "WEBP"


def test_a_large_photo_is_scaled_to_the_long_side_and_gets_a_small_preview():
    clean = images.clean_image(jpeg_bytes(size=(3000, 2000), gps=False))
    assert (clean.width, clean.height) == (2560, 1707)
    assert opened(clean.data).size == (2560, 1707)
    assert opened(clean.preview).size == (640, 427)


@pytest.mark.parametrize("data", [
    b"<!doctype html><script>alert(document.cookie)</script>",
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    b"%PDF-1.7\n1 0 obj<<>>endobj",
    b"PK\x03\x04" + b"\x00" * 40,  # a zip
    b"GIF89a" + b"\x00" * 40,
    b"",
])
def test_anything_but_jpeg_png_webp_is_refused_whatever_its_name(data):
    with pytest.raises(images.ImageRejected) as refused:
        images.clean_image(data)
    assert refused.value.code == "not_an_image"


def test_html_behind_jpeg_magic_bytes_does_not_decode():
    with pytest.raises(images.ImageRejected) as refused:
        images.clean_image(b"\xff\xd8\xff\xe0" + b"<html><script>alert(1)</script></html>")
    assert refused.value.code == "unreadable"


def test_a_truncated_jpeg_is_refused():
    data = jpeg_bytes(size=(200, 200))
    with pytest.raises(images.ImageRejected) as refused:
        images.clean_image(data[: len(data) * 2 // 3])
    assert refused.value.code == "unreadable"


def test_a_truncated_png_is_refused():
    data = png_bytes(size=(300, 300), text=False)
    with pytest.raises(images.ImageRejected) as refused:
        images.clean_image(data[: len(data) // 2])
    assert refused.value.code == "unreadable"


def test_too_many_bytes_is_refused_before_anything_is_read():
    with pytest.raises(images.ImageRejected) as refused:
        images.clean_image(b"\x00" * 101, max_bytes=100)
    assert refused.value.code == "too_large"


@pytest.mark.parametrize(("width", "height"), [(10_000, 10_000), (100_000, 100_000)])
def test_a_decompression_bomb_is_refused_from_its_header(width, height):
    with pytest.raises(images.ImageRejected) as refused:
        images.clean_image(png_header_only(width, height))
    assert refused.value.code == "too_many_pixels"


def test_pillows_own_bomb_guard_is_caught_too(monkeypatch):
    # Were the header read wrong, Pillow's guard still stops it, as the same refusal.
    monkeypatch.setattr(images, "header_size", lambda data, fmt: (1, 1))
    with pytest.raises(images.ImageRejected) as refused:
        images.clean_image(png_header_only(100_000, 100_000))
    assert refused.value.code == "too_many_pixels"


def test_the_header_sizes_match_what_pillow_reads():
    samples = {"JPEG": jpeg_bytes(size=(33, 17)), "PNG": png_bytes(size=(33, 17)),
               "WEBP": webp_bytes(size=(33, 17))}
    lossless = BytesIO()
    Image.new("RGBA", (33, 17)).save(lossless, "WEBP", lossless=True)
    extended, exif = BytesIO(), Image.Exif()
    exif[0x010F] = "PhoneMaker"
    Image.new("RGB", (33, 17)).save(extended, "WEBP", exif=exif.tobytes())  # VP8X
    for fmt, data in [*samples.items(), ("WEBP", lossless.getvalue()),
                      ("WEBP", extended.getvalue())]:
        assert images.sniff_format(data) == fmt
        assert images.header_size(data, fmt) == (33, 17), fmt


def test_a_sixteen_bit_grey_png_is_scaled_not_clipped():
    out = BytesIO()
    Image.new("I;16", (4, 4), 40000).save(out, "PNG")
    image = opened(images.clean_image(out.getvalue()).data)
    assert image.mode == "L" and 150 < image.getpixel((0, 0)) < 160


def test_a_multi_picture_jpeg_from_a_phone_keeps_only_its_main_picture():
    # Phones store depth maps and previews as extra pictures (MPO); only the first is kept.
    out = BytesIO()
    Image.new("RGB", (50, 40), (255, 0, 0)).save(
        out, "MPO", save_all=True, append_images=[Image.new("RGB", (20, 10))])
    clean = images.clean_image(out.getvalue())
    image = opened(clean.data)
    assert (image.format, image.size) == ("JPEG", (50, 40))
    assert getattr(image, "n_frames", 1) == 1 and "mp" not in image.info

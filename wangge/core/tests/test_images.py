"""Uploaded photos are judged by their bytes; location metadata is stripped (no database needed)."""

import hashlib
import random
import struct
import zlib
from io import BytesIO

import pytest
from django.utils import translation
from PIL import ExifTags, Image

from wangge.core import images
from wangge.core.errors import ApplicationError
from wangge.core.images import CleanImage, FileTooLarge, clean_image, describe

GPS = {1: "N", 2: (31.0, 14.0, 24.0), 3: "E", 4: (121.0, 26.0, 24.0)}


@pytest.fixture(autouse=True)
def english():
    """The refusals are translated; these tests read the English ones."""
    with translation.override("en"):
        yield


def noisy(size=(64, 48), mode="RGB", seed=1) -> Image.Image:
    """Noise does not compress, so truncating the encoded file cuts real image data."""
    rnd = random.Random(seed)
    bands = len(Image.new(mode, (1, 1)).getbands())
    return Image.frombytes(mode, size, rnd.randbytes(size[0] * size[1] * bands))


def encode(img: Image.Image, fmt: str, **options) -> bytes:
    buffer = BytesIO()
    img.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def gps_exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0110] = "Test phone"  # Model
    if orientation:
        exif[0x0112] = orientation
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(GPS)
    return exif


def gps_of(data: bytes) -> dict:
    return dict(Image.open(BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo))


def png_with_size(width: int, height: int) -> bytes:
    """A small valid PNG whose IHDR is rewritten to declare other dimensions (CRC fixed up)."""
    data = bytearray(encode(noisy((8, 8)), "PNG"))
    ihdr = bytearray(data[12:29])  # b"IHDR" + 13 bytes of fields
    ihdr[4:12] = struct.pack(">II", width, height)
    data[12:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(ihdr)))
    return bytes(data)


def refused(data: bytes, code: str, **kw) -> ApplicationError:
    with pytest.raises(ApplicationError) as info:
        clean_image(data, **kw)
    assert info.value.code == code, info.value.message
    return info.value


# --- accepted ---------------------------------------------------------------------------------------

def test_jpeg_gps_is_stripped_and_orientation_applied():
    data = encode(noisy((40, 20)), "JPEG", exif=gps_exif(orientation=6), quality=95)
    assert gps_of(data) == GPS  # the fixture really carries a location
    result = clean_image(data)
    assert isinstance(result, CleanImage)
    assert (result.content_type, result.extension) == ("image/jpeg", "jpg")
    assert result.had_location is True
    assert gps_of(result.content) == {}
    assert dict(Image.open(BytesIO(result.content)).getexif()) == {}  # all EXIF gone, orientation too
    assert b"Test phone" not in result.content
    assert (result.width, result.height) == (20, 40)  # rotated upright before the tag was dropped
    assert Image.open(BytesIO(result.content)).size == (20, 40)
    assert result.sha256 == hashlib.sha256(result.content).hexdigest()


def test_jpeg_keep_location_keeps_the_original_bytes():
    data = encode(noisy((40, 20)), "JPEG", exif=gps_exif(orientation=6))
    result = clean_image(data, keep_location=True)
    assert result.content == data
    assert result.had_location is True
    assert gps_of(result.content) == GPS
    assert result.sha256 == hashlib.sha256(data).hexdigest()


def test_jpeg_without_location():
    result = clean_image(encode(noisy(), "JPEG"))
    assert result.had_location is False
    assert (result.width, result.height) == (64, 48)
    assert Image.open(BytesIO(result.content)).format == "JPEG"


@pytest.mark.parametrize(("fmt", "mode", "content_type", "extension"), [
    ("PNG", "RGB", "image/png", "png"),
    ("PNG", "RGBA", "image/png", "png"),
    ("WEBP", "RGB", "image/webp", "webp"),
    ("WEBP", "RGBA", "image/webp", "webp"),
])
def test_png_and_webp_are_reencoded_without_metadata(fmt, mode, content_type, extension):
    data = encode(noisy((30, 10), mode), fmt, exif=gps_exif())
    assert gps_of(data) == GPS
    result = clean_image(data)
    assert (result.content_type, result.extension) == (content_type, extension)
    assert (result.width, result.height) == (30, 10)
    assert result.had_location is True
    reopened = Image.open(BytesIO(result.content))
    assert reopened.format == fmt
    assert reopened.mode == mode
    assert dict(reopened.getexif()) == {}
    assert b"Test phone" not in result.content


def test_png_pixels_survive_exactly():
    img = noisy((16, 16))
    result = clean_image(encode(img, "PNG"))
    assert Image.open(BytesIO(result.content)).tobytes() == img.tobytes()


def test_name_and_declared_type_play_no_part():
    # Only bytes are passed; a PNG is a PNG whatever it was called.
    assert clean_image(encode(noisy(), "PNG")).extension == "png"


# --- refused ----------------------------------------------------------------------------------------

def test_empty_file():
    error = refused(b"", "empty_file")
    assert error.status == 422
    assert "empty" in error.message


def test_too_large_file():
    data = encode(noisy(), "PNG")
    with pytest.raises(FileTooLarge) as info:
        clean_image(data, max_bytes=len(data) - 1)
    assert info.value.status == 413
    assert info.value.code == "file_too_large"
    assert f"{len(data):,} bytes" in info.value.message
    assert isinstance(info.value, ApplicationError)
    assert clean_image(data, max_bytes=len(data)).width == 64  # the limit itself is allowed


def test_too_large_checked_before_decoding():
    with pytest.raises(FileTooLarge):
        clean_image(b"\x00" * (10 * 1024 * 1024 + 1))


def test_pdf_is_not_an_image():
    error = refused(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "not_an_image")
    assert "a PDF file" in error.message
    assert error.details == {"detected": "a PDF file"}


def test_zip_is_not_an_image():
    error = refused(b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 64, "not_an_image")
    assert "a ZIP archive" in error.message


def test_random_bytes_are_unknown_data():
    error = refused(random.Random(7).randbytes(4096), "not_an_image")
    assert "unknown data" in error.message


def test_html_is_not_an_image():
    assert "an HTML page" in refused(b"<!DOCTYPE html><html></html>", "not_an_image").message


@pytest.mark.parametrize(("fmt", "label"), [("GIF", "GIF"), ("BMP", "BMP"), ("TIFF", "TIFF")])
def test_other_image_formats_are_unsupported(fmt, label):
    error = refused(encode(noisy(mode="RGB"), fmt), "unsupported_format")
    assert label in error.message
    assert "JPEG, PNG or WebP" in error.message


def test_truncated_jpeg():
    data = encode(noisy((200, 200)), "JPEG", quality=95)
    error = refused(data[: len(data) // 2], "corrupt_image")
    assert "truncated or corrupt" in error.message


def test_truncated_png():
    data = encode(noisy((200, 200)), "PNG")
    refused(data[: len(data) // 2], "corrupt_image")


def test_png_with_bad_crc():
    data = bytearray(encode(noisy((32, 32)), "PNG"))
    data[60] ^= 0xFF  # inside the IDAT chunk; its CRC no longer matches
    refused(bytes(data), "corrupt_image")


def test_jpeg_magic_with_garbage_is_corrupt():
    refused(b"\xff\xd8\xff\xe0" + b"\x00" * 32, "corrupt_image")


def test_decompression_bomb_by_declared_size():
    # 50 million pixels: above our limit, below Pillow's own warning threshold.
    error = refused(png_with_size(10_000, 5_000), "decompression_bomb")
    assert "10000×5000" in error.message


def test_decompression_bomb_beyond_pillows_own_limit():
    # 10 billion pixels: Pillow itself raises DecompressionBombError while opening.
    refused(png_with_size(100_000, 100_000), "decompression_bomb", max_pixels=10**12)


def test_decompression_bomb_pillow_warning_is_an_error():
    # Between Pillow's warning and error thresholds (about 89M and 179M pixels).
    refused(png_with_size(10_000, 10_000), "decompression_bomb", max_pixels=10**12)


def test_max_pixels_is_configurable():
    data = encode(noisy((64, 48)), "JPEG")
    refused(data, "decompression_bomb", max_pixels=64 * 48 - 1)
    assert clean_image(data, max_pixels=64 * 48).width == 64


def test_describe():
    assert describe(b"GIF89a....") == ("a GIF image", True)
    assert describe(b"%PDF-1.4") == ("a PDF file", False)
    assert describe(b"\x00\x00\x00\x18ftypheic") == ("a HEIC image", True)
    assert describe(b"hello") == ("unknown data", False)


@pytest.mark.parametrize("size", [(20000, 2), (4, 4), (16385, 1000), (3000, 100)])
def test_absurd_dimensions_are_refused_by_the_header(size):
    buf = BytesIO()
    Image.new("L", size, 128).save(buf, format="PNG")
    with pytest.raises(ApplicationError) as err:
        clean_image(buf.getvalue())
    assert err.value.code == "absurd_dimensions" and err.value.details["width"] == size[0]


def test_refusals_are_said_in_the_readers_language(monkeypatch):
    """A rider's phone shows the refusal in Chinese: the message and the detected kind go through gettext."""
    monkeypatch.setattr(images, "_", lambda text: f"«{text}»")
    error = refused(b"%PDF-1.4 not a photo", "not_an_image")
    assert error.message.startswith("«The file is not an image") and "«a PDF file»" in error.message
    assert error.details == {"detected": "a PDF file"}  # the API's details stay machine-readable
    assert refused(b"", "empty_file").message == "«The file is empty.»"

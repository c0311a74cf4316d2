"""Validation of uploaded photos by their bytes, never by file name or declared content type.

Only JPEG, PNG and WebP are decoded (Pillow is told to try no other decoder). The image is checked
for size, pixel count (decompression bombs) and integrity, then re-encoded without metadata so that
the location a phone wrote into the EXIF does not leak, unless the caller asks to keep it.
"""

import hashlib
import struct
import warnings
from dataclasses import dataclass
from io import BytesIO

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from PIL import Image, ImageOps, UnidentifiedImageError

from wangge.core.errors import ApplicationError

GPS_IFD = 0x8825
# A photo of a street problem, not a strip or a poster: sides and proportions beyond these are refused.
MAX_SIDE, MIN_SIDE, MAX_ASPECT = 16_384, 8, 25
ACCEPTED = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error)

# Leading bytes -> (description, is an image format we refuse rather than "not an image").
_SIGNATURES: list[tuple[bytes, int, str, bool]] = [
    (b"\xff\xd8\xff", 0, gettext_noop("a JPEG image"), True),
    (b"\x89PNG\r\n\x1a\n", 0, gettext_noop("a PNG image"), True),
    (b"WEBP", 8, gettext_noop("a WebP image"), True),
    (b"GIF8", 0, gettext_noop("a GIF image"), True),
    (b"BM", 0, gettext_noop("a BMP image"), True),
    (b"II*\x00", 0, gettext_noop("a TIFF image"), True),
    (b"MM\x00*", 0, gettext_noop("a TIFF image"), True),
    (b"ftypheic", 4, gettext_noop("a HEIC image"), True),
    (b"ftypheix", 4, gettext_noop("a HEIC image"), True),
    (b"ftypmif1", 4, gettext_noop("a HEIF image"), True),
    (b"ftypavif", 4, gettext_noop("an AVIF image"), True),
    (b"\x00\x00\x01\x00", 0, gettext_noop("an ICO icon"), True),
    (b"8BPS", 0, gettext_noop("a Photoshop document"), True),
    (b"\x00\x00\x00\x0cjP  ", 0, gettext_noop("a JPEG 2000 image"), True),
    (b"\xff\x0a", 0, gettext_noop("a JPEG XL image"), True),
    (b"%PDF", 0, gettext_noop("a PDF file"), False),
    (b"PK\x03\x04", 0, gettext_noop("a ZIP archive"), False),
    (b"PK\x05\x06", 0, gettext_noop("a ZIP archive"), False),
    (b"Rar!", 0, gettext_noop("a RAR archive"), False),
    (b"7z\xbc\xaf\x27\x1c", 0, gettext_noop("a 7-Zip archive"), False),
    (b"\x1f\x8b", 0, gettext_noop("a gzip archive"), False),
    (b"\xd0\xcf\x11\xe0", 0, gettext_noop("an old Microsoft Office document"), False),
    (b"MZ", 0, gettext_noop("a Windows executable"), False),
    (b"\x7fELF", 0, gettext_noop("an ELF executable"), False),
    (b"ftyp", 4, gettext_noop("an MP4/QuickTime video"), False),
]
_TEXT_PREFIXES = [(b"<svg", gettext_noop("an SVG drawing")), (b"<?xml", gettext_noop("an XML document")),
                  (b"<!doctype html", gettext_noop("an HTML page")), (b"<html", gettext_noop("an HTML page"))]


class FileTooLarge(ApplicationError):
    status = 413
    code = "file_too_large"


@dataclass(frozen=True)
class CleanImage:
    content: bytes
    content_type: str
    extension: str
    width: int
    height: int
    sha256: str
    had_location: bool


def describe(data: bytes) -> tuple[str, bool]:
    """What the leading bytes look like, and whether that is an image format."""
    for magic, offset, label, is_image in _SIGNATURES:
        if data[offset:offset + len(magic)] == magic:
            return label, is_image
    head = data[:256].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    for prefix, label in _TEXT_PREFIXES:
        if head.startswith(prefix):
            return label, prefix == b"<svg"
    return gettext_noop("unknown data"), False


def _open(data: bytes, max_pixels: int) -> Image.Image:
    """Open (header only) and refuse bombs; the caller loads the pixels."""
    img = Image.open(BytesIO(data), formats=list(ACCEPTED))
    width, height = img.size
    if max(width, height) > MAX_SIDE or min(width, height) < MIN_SIDE or max(width, height) > MAX_ASPECT * min(width, height):
        raise ApplicationError(
            _("The image is %(width)s×%(height)s pixels: a photo is between %(min)s and %(max)s pixels a side and at "
              "most %(aspect)s times as long as it is wide.")
            % {"width": width, "height": height, "min": MIN_SIDE, "max": f"{MAX_SIDE:,}", "aspect": MAX_ASPECT},
            code="absurd_dimensions", details={"width": width, "height": height})
    if width * height > max_pixels:
        raise ApplicationError(
            _("The image is %(width)s×%(height)s pixels (%(pixels)s); the limit is %(max)s pixels.")
            % {"width": width, "height": height, "pixels": f"{width * height:,}", "max": f"{max_pixels:,}"},
            code="decompression_bomb", details={"width": width, "height": height, "max_pixels": max_pixels})
    return img


def clean_image(data: bytes, *, max_bytes: int = 10 * 1024 * 1024, max_pixels: int = 40_000_000,
                keep_location: bool = False) -> CleanImage:
    """Check an uploaded photo and return it re-encoded without metadata (or as-is with keep_location)."""
    if not data:
        raise ApplicationError(_("The file is empty."), code="empty_file")
    if len(data) > max_bytes:
        raise FileTooLarge(_("The file is %(size)s bytes; the limit is %(max)s bytes.")
                           % {"size": f"{len(data):,}", "max": f"{max_bytes:,}"},
                           details={"size": len(data), "max_bytes": max_bytes})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            _open(data, max_pixels).verify()  # integrity of the container (PNG CRCs, chunk layout)
            img = _open(data, max_pixels)  # verify() leaves the image unusable; open afresh
            img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ApplicationError(_("The image has too many pixels to be decoded safely (%(error)s).") % {"error": exc},
                               code="decompression_bomb") from exc
    except UnidentifiedImageError as exc:
        label, is_image = describe(data)
        if label in ("a JPEG image", "a PNG image", "a WebP image"):
            raise ApplicationError(_("The file starts like %(label)s but cannot be read; it is corrupt.")
                                   % {"label": _(label)},
                                   code="corrupt_image") from exc
        if is_image:
            raise ApplicationError(_("The file is %(label)s; only JPEG, PNG or WebP photos are accepted.")
                                   % {"label": _(label)},
                                   code="unsupported_format", details={"detected": label}) from exc
        raise ApplicationError(_("The file is not an image: it looks like %(label)s. Upload a JPEG, PNG or WebP photo.")
                               % {"label": _(label)},
                               code="not_an_image", details={"detected": label}) from exc
    except _DECODE_ERRORS as exc:
        raise ApplicationError(_("The image is truncated or corrupt (%(error)s).") % {"error": exc},
                               code="corrupt_image") from exc

    if img.format not in ACCEPTED:  # cannot happen with formats=..., but never trust a decoder blindly
        raise ApplicationError(_("%(format)s images are not accepted; upload a JPEG, PNG or WebP photo.")
                               % {"format": img.format},
                               code="unsupported_format", details={"detected": img.format})
    content_type, extension = ACCEPTED[img.format]
    had_location = bool(img.getexif().get_ifd(GPS_IFD))
    if keep_location:
        content, (width, height) = data, img.size
    else:
        content, width, height = _reencode(img)
    return CleanImage(content=content, content_type=content_type, extension=extension, width=width,
                      height=height, sha256=hashlib.sha256(content).hexdigest(), had_location=had_location)


def _reencode(img: Image.Image) -> tuple[bytes, int, int]:
    """Upright pixels in the same format, with the colour profile but no EXIF, XMP or text chunks."""
    fmt = img.format
    icc = img.info.get("icc_profile")
    out = ImageOps.exif_transpose(img)  # bake the orientation in, as the tag is about to go
    options: dict = {"icc_profile": icc} if icc else {}
    if fmt == "JPEG":
        if out.mode not in ("RGB", "L", "CMYK"):
            out = out.convert("RGB")
        options.update(quality=90, optimize=True)
    elif fmt == "WEBP":
        if out.mode not in ("RGB", "RGBA"):
            out = out.convert("RGBA" if "A" in out.getbands() or "transparency" in out.info else "RGB")
        options.update(quality=90)
    buffer = BytesIO()
    out.save(buffer, format=fmt, **options)
    return buffer.getvalue(), out.width, out.height

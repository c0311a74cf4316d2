"""QR codes (segno), inline SVG that CSS sizes: sharp on screen and in print, no image files."""

import segno


def qr_svg(data: str, *, title: str = "") -> str:
    """An inline <svg> for `data` (error correction M), sized by CSS (no width/height attributes)."""
    return segno.make(data, error="m").svg_inline(scale=1, border=2, omitsize=True, title=title or None,
                                                   svgclass="qr", dark="#000", light="#fff")

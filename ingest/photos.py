"""A story's lead photo, copied in: fetched through the SSRF-safe fetch, checked and re-encoded.

Never hot-linked: the source may change or remove it, track our readers, or serve something else
later. Re-encoding with Pillow keeps only pixels, so a file that is really a script, a polyglot or
an image with hostile metadata is stored as a plain JPEG (or refused).
"""

import io
import warnings

from PIL import Image, UnidentifiedImageError

from ingest.fetch import FetchError, fetch

ACCEPTED_TYPES = {"image/jpeg", "image/png", "image/webp", "image/gif"}
MAX_PIXELS = 40_000_000  # decompression bombs stop here, before any pixel is decoded
MAX_SIDE = 2400  # larger photos are scaled down: no story page shows more
JPEG_QUALITY = 85


class PhotoError(ValueError):
    pass


def reencode(data: bytes) -> bytes:
    """Image bytes → a JPEG of at most MAX_SIDE pixels a side; PhotoError if they are not one."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format not in {"JPEG", "PNG", "WEBP", "GIF"}:
                    raise PhotoError(f"not a photo format we take ({image.format})")
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise PhotoError(f"the photo is {width}×{height} pixels, over the limit")
                image.load()
                picture = image.convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as exc:  # fmt: skip
        if isinstance(exc, PhotoError):
            raise
        raise PhotoError(f"the file is not a readable image ({type(exc).__name__})") from None
    picture.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()


def download_photo(url: str) -> bytes:
    """The photo at `url` as checked JPEG bytes; PhotoError (naming the rule) otherwise."""
    try:
        fetched = fetch(url, kind="image")
    except FetchError as exc:
        raise PhotoError(f"not fetched: {exc}") from None
    if fetched.content_type not in ACCEPTED_TYPES:
        raise PhotoError(f"{url} is {fetched.content_type or 'of no stated type'}, not a photo")
    return reencode(fetched.content)

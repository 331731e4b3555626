"""Bytes from files and the web → text, whatever their encoding. Pure; never raises on bytes
except to say, clearly, that the input is not text at all."""

import codecs
import re

from charset_normalizer import from_bytes

BOMS = [
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]
META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([\w-]+)""", re.IGNORECASE)
BINARY_SAMPLE = 8192
# Text has almost no NUL or other C0 control bytes; a few per cent means an image, PDF or archive.
BINARY_CONTROL_SHARE = 0.02
_CONTROL = set(range(0, 9)) | {11, 12} | set(range(14, 32))


class NotTextError(ValueError):
    pass


def looks_binary(data: bytes) -> bool:
    sample = data[:BINARY_SAMPLE]
    if not sample:
        return False
    if sample.startswith(tuple(bom for bom, _ in BOMS[1:])):
        return False  # UTF-16/32 text is full of NULs
    controls = sum(byte in _CONTROL for byte in sample)
    return controls / len(sample) > BINARY_CONTROL_SHARE


def decode_bytes(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """(text, encoding used). Tries, in order: a BOM, the declared or <meta> charset, UTF-8,
    then detection; a file that mixes encodings is decoded line by line."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace"), encoding
    if looks_binary(data):
        raise NotTextError("binary data, not text (control bytes in the first 8 KiB)")
    candidates = [declared] if declared else []
    found = META_CHARSET.search(data[:4096])
    if found:
        candidates.append(found.group(1).decode("ascii", "ignore"))
    for encoding in [*candidates, "utf-8"]:
        try:
            return data.decode(encoding), codecs.lookup(encoding).name
        except (LookupError, UnicodeError, ValueError):
            continue  # an unknown or unusable name ("undefined", "punycode"): the next guess
    best = from_bytes(data[:200_000]).best()
    fallback = best.encoding if best is not None else "cp1252"
    mixed = _decode_mostly_utf8(data, fallback)
    if mixed is not None:
        return mixed, f"utf-8+{fallback}"
    return data.decode(fallback, errors="replace"), fallback


def _decode_mostly_utf8(data: bytes, fallback: str) -> str | None:
    """Line by line, UTF-8 where it decodes and `fallback` elsewhere, if at least half the lines
    are UTF-8 (a file pasted together from two sources); else None."""
    lines = data.splitlines(keepends=True)
    out, utf8 = [], 0
    for line in lines:
        try:
            out.append(line.decode("utf-8"))
            utf8 += 1
        except UnicodeDecodeError:
            out.append(line.decode(fallback, errors="replace"))
    return "".join(out) if lines and utf8 / len(lines) >= 0.5 else None

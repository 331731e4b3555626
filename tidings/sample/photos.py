"""Photos for the sample stories, drawn by code so no image is copied from anywhere."""

import io
import random

from PIL import Image, ImageDraw

PALETTES = [
    ((255, 183, 94), (96, 140, 200), (30, 60, 110)),
    ((250, 215, 160), (120, 170, 210), (40, 90, 70)),
    ((200, 210, 225), (110, 130, 160), (60, 65, 80)),
    ((255, 150, 110), (150, 110, 170), (50, 40, 70)),
    ((170, 215, 240), (80, 160, 120), (30, 80, 50)),
    ((240, 230, 200), (200, 120, 80), (90, 50, 40)),
]


def draw_photo(seed: int, width: int = 1200, height: int = 800) -> bytes:
    """A landscape-like JPEG: a graded sky, a sun, layered hills and a few built shapes."""
    rng = random.Random(seed)
    top, middle, ground = PALETTES[seed % len(PALETTES)]
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    horizon = int(height * rng.uniform(0.5, 0.65))
    for y in range(horizon):
        t = y / horizon
        draw.line(
            [(0, y), (width, y)],
            fill=tuple(int(a + (b - a) * t) for a, b in zip(top, middle, strict=True)),
        )
    sun_x, sun_y, radius = rng.randint(150, width - 150), rng.randint(80, horizon - 80), 60
    draw.ellipse(
        [sun_x - radius, sun_y - radius, sun_x + radius, sun_y + radius], fill=(255, 240, 200)
    )
    for layer in range(3):
        shade = tuple(max(0, c - 25 * layer) for c in ground)
        base = horizon + layer * (height - horizon) // 4
        points = [(0, height)]
        for x in range(0, width + 100, 100):
            points.append((x, base + rng.randint(-40, 40)))
        points.append((width, height))
        draw.polygon(points, fill=shade)
    for _ in range(rng.randint(3, 7)):
        x, w, h = rng.randint(0, width - 80), rng.randint(20, 70), rng.randint(60, 220)
        draw.rectangle([x, horizon - h, x + w, horizon + 10], fill=(45, 45, 55))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=82, optimize=True)
    return buffer.getvalue()

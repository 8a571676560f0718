"""3D colour look-up tables: parse Adobe/Resolve ``.cube`` files and apply them to 8-bit RGB frames.

The harness uses this to compute what a filter's output should look like (``apply_lut(source, lut)``), so the
interpolation is the plain trilinear one a GPU 3D texture or a straightforward JavaScript shader performs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import numpy.typing as npt

from harness.errors import AnalysisError, ConfigError

MIN_LUT_SIZE = 2
MAX_LUT_SIZE = 256
_CHUNK_PIXELS = 16384
_KEYWORD_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*")
_KNOWN_KEYWORDS = ("TITLE", "LUT_3D_SIZE", "DOMAIN_MIN", "DOMAIN_MAX", "LUT_3D_INPUT_RANGE")
_UNSUPPORTED_KEYWORDS = ("LUT_1D_SIZE", "LUT_1D_INPUT_RANGE")

Triple = tuple[float, float, float]


@dataclass(frozen=True, eq=False)
class Lut3D:
    """A 3D LUT: ``table[b, g, r]`` is the output (R, G, B) for grid point (r, g, b), float32, nominally 0..1.

    The grid index runs over ``size`` points spanning ``domain_min`` .. ``domain_max`` per input channel. The
    ``[b][g][r]`` order is the ``.cube`` data order reshaped directly (red changes fastest in the file).
    """

    size: int
    table: npt.NDArray[np.float32]
    domain_min: Triple = (0.0, 0.0, 0.0)
    domain_max: Triple = (1.0, 1.0, 1.0)
    title: str | None = None
    source: str = "<memory>"

    def __post_init__(self) -> None:
        if not MIN_LUT_SIZE <= self.size <= MAX_LUT_SIZE:
            raise ConfigError(
                f"LUT size {self.size} is out of range; allowed {MIN_LUT_SIZE}..{MAX_LUT_SIZE}",
                file=self.source,
            )
        object.__setattr__(self, "table", np.ascontiguousarray(self.table, dtype=np.float32))
        expected = (self.size, self.size, self.size, 3)
        if self.table.shape != expected:
            raise ConfigError(
                f"LUT table has shape {self.table.shape}, expected {expected}", file=self.source
            )
        for lo, hi in zip(self.domain_min, self.domain_max, strict=True):
            if not hi > lo:
                raise ConfigError(
                    f"DOMAIN_MAX {self.domain_max} must exceed DOMAIN_MIN {self.domain_min} in every channel",
                    file=self.source,
                )

    @cached_property
    def red_expanded(self) -> npt.NDArray[np.float32]:
        """The table already interpolated along red for all 256 codes: shape (3, size * size * 256).

        Entry ``[c, (b * size + g) * 256 + R]`` is output channel c at grid (g, b) and 8-bit red code R. This
        is the first of the three linear interpolations, done once per LUT, so applying the LUT to a frame
        needs 4 look-ups per pixel and channel instead of 8 (same result to the bit).
        """
        off_r, w_r = _axis_tables(self, 0, 1)
        table = np.asarray(self.table, dtype=np.float32)
        lower = table[:, :, off_r, :]
        upper = table[:, :, off_r + 1, :]
        along_r = lower + (upper - lower) * w_r[:, None]
        return np.ascontiguousarray(along_r.transpose(3, 0, 1, 2)).reshape(3, -1)


def identity_lut(size: int) -> Lut3D:
    """The LUT that maps every grid point to itself (output == input up to interpolation)."""
    return lut_from_function(size, lambda rgb: rgb, title=f"identity {size}")


def lut_from_function(
    size: int,
    transform: Callable[[npt.NDArray[np.float64]], npt.NDArray[np.floating]],
    *,
    title: str | None = None,
) -> Lut3D:
    """Sample ``transform`` (float RGB 0..1 of shape (..., 3) -> RGB) on a ``size``-point grid over 0..1."""
    axis = np.linspace(0.0, 1.0, size, dtype=np.float64)
    b, g, r = np.meshgrid(axis, axis, axis, indexing="ij")
    grid = np.stack([r, g, b], axis=-1)
    table = np.asarray(transform(grid), dtype=np.float32)
    return Lut3D(size=size, table=table, title=title)


def load_cube(path: str | Path) -> Lut3D:
    """Read and parse a ``.cube`` file; raise ConfigError naming the file (and line) if it cannot be used."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read LUT file: {exc}", file=file) from exc
    return parse_cube(text, file=file)


def _numbers(parts: list[str], count: int, what: str, *, file: str, line_no: int, line: str) -> list[float]:
    if len(parts) != count:
        raise ConfigError(
            f"expected {what} ({count} numbers), got {len(parts)}: {line.strip()!r}",
            file=file,
            key_path=f"line {line_no}",
        )
    try:
        values = [float(p) for p in parts]
    except ValueError as exc:
        raise ConfigError(
            f"expected {what} ({count} numbers), got {line.strip()!r}", file=file, key_path=f"line {line_no}"
        ) from exc
    if not all(math.isfinite(v) for v in values):
        raise ConfigError(
            f"{what} must be finite numbers, got {line.strip()!r}", file=file, key_path=f"line {line_no}"
        )
    return values


def parse_cube(text: str, *, file: str) -> Lut3D:
    """Parse the text of an Adobe Cube LUT 1.0 / DaVinci Resolve ``.cube`` 3D LUT.

    Accepted: ``TITLE "..."``, ``LUT_3D_SIZE N`` (2..256), ``DOMAIN_MIN r g b``, ``DOMAIN_MAX r g b``,
    Resolve's ``LUT_3D_INPUT_RANGE lo hi``, ``#`` comments and blank lines, then N^3 lines of ``R G B`` with
    red changing fastest. Other keywords before the data are ignored, as the format allows extensions.
    ``file`` names the source in error messages ("<file>: line <n>: <what is wrong>").
    """
    title: str | None = None
    size: int | None = None
    domain_min: Triple = (0.0, 0.0, 0.0)
    domain_max: Triple = (1.0, 1.0, 1.0)
    rows: list[str] = []
    first_data_line = 0
    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keyword_match = _KEYWORD_RE.match(line)
        if keyword_match is None:  # a data line
            if size is None:
                raise ConfigError(
                    "data line before LUT_3D_SIZE; the size keyword must come first",
                    file=file,
                    key_path=f"line {line_no}",
                )
            if not rows:
                first_data_line = line_no
            rows.append(line.split("#", 1)[0])
            continue
        keyword = keyword_match.group(0).upper()
        if rows:
            raise ConfigError(
                f"keyword {keyword} after the data lines; keywords must precede the data",
                file=file,
                key_path=f"line {line_no}",
            )
        if keyword == "TITLE":
            rest = line[len("TITLE") :].strip()
            if len(rest) < 2 or not (rest.startswith('"') and rest.endswith('"')):
                raise ConfigError(
                    f"TITLE must be a quoted string, got {rest!r}", file=file, key_path=f"line {line_no}"
                )
            title = rest[1:-1]
            continue
        parts = line.split("#", 1)[0].split()[1:]
        if keyword in _UNSUPPORTED_KEYWORDS:
            raise ConfigError(
                f"{keyword}: 1D LUTs are not supported; only 3D LUTs (LUT_3D_SIZE) are",
                file=file,
                key_path=f"line {line_no}",
            )
        if keyword == "LUT_3D_SIZE":
            if size is not None:
                raise ConfigError("LUT_3D_SIZE given twice", file=file, key_path=f"line {line_no}")
            if len(parts) != 1 or not parts[0].isdigit():
                raise ConfigError(
                    f"LUT_3D_SIZE must be one integer, got {' '.join(parts)!r}",
                    file=file,
                    key_path=f"line {line_no}",
                )
            size = int(parts[0])
            if not MIN_LUT_SIZE <= size <= MAX_LUT_SIZE:
                raise ConfigError(
                    f"LUT_3D_SIZE {size} is out of range; allowed {MIN_LUT_SIZE}..{MAX_LUT_SIZE}",
                    file=file,
                    key_path=f"line {line_no}",
                )
        elif keyword in ("DOMAIN_MIN", "DOMAIN_MAX"):
            values = _numbers(parts, 3, keyword, file=file, line_no=line_no, line=line)
            triple: Triple = (values[0], values[1], values[2])
            if keyword == "DOMAIN_MIN":
                domain_min = triple
            else:
                domain_max = triple
        elif keyword == "LUT_3D_INPUT_RANGE":
            lo, hi = _numbers(parts, 2, keyword, file=file, line_no=line_no, line=line)
            domain_min, domain_max = (lo, lo, lo), (hi, hi, hi)
        # any other keyword: an extension this reader does not use
    if size is None:
        raise ConfigError("no LUT_3D_SIZE line; this reader accepts 3D LUTs only", file=file)
    expected_rows = size**3
    if len(rows) != expected_rows:
        raise ConfigError(
            f"LUT_3D_SIZE {size} needs {expected_rows} data lines, found {len(rows)}", file=file
        )
    table = _parse_rows(rows, first_data_line=first_data_line, text=text, file=file)
    for lo, hi in zip(domain_min, domain_max, strict=True):
        if not hi > lo:
            raise ConfigError(
                f"DOMAIN_MAX {domain_max} must exceed DOMAIN_MIN {domain_min} in every channel", file=file
            )
    return Lut3D(
        size=size,
        table=table.reshape(size, size, size, 3),
        domain_min=domain_min,
        domain_max=domain_max,
        title=title,
        source=file,
    )


def _parse_rows(rows: list[str], *, first_data_line: int, text: str, file: str) -> npt.NDArray[np.float32]:
    """Parse all data rows at once; on any problem, find the first bad line to name it."""
    if all(len(r.split()) == 3 for r in rows):
        try:
            values = np.array(" ".join(rows).split(), dtype=np.float64)
        except ValueError:
            values = np.array([np.nan])
        if np.isfinite(values).all():
            return values.astype(np.float32).reshape(-1, 3)
    lines = text.splitlines()
    for line_no in range(first_data_line, len(lines) + 1):
        line = lines[line_no - 1].strip()
        if not line or line.startswith("#"):
            continue
        _numbers(
            line.split("#", 1)[0].split(), 3, "an R G B data line", file=file, line_no=line_no, line=line
        )
    raise ConfigError("malformed data lines", file=file)  # unreachable when the loop above finds the culprit


def to_cube_text(lut: Lut3D) -> str:
    """Serialise ``lut`` in ``.cube`` format (the inverse of ``parse_cube``), 6 decimals per value."""
    lines = []
    if lut.title is not None:
        lines.append(f'TITLE "{lut.title}"')
    lines.append(f"LUT_3D_SIZE {lut.size}")
    if lut.domain_min != (0.0, 0.0, 0.0) or lut.domain_max != (1.0, 1.0, 1.0):
        lines.append("DOMAIN_MIN " + " ".join(f"{v:.6f}" for v in lut.domain_min))
        lines.append("DOMAIN_MAX " + " ".join(f"{v:.6f}" for v in lut.domain_max))
    body = "\n".join(f"{r:.6f} {g:.6f} {b:.6f}" for r, g, b in lut.table.reshape(-1, 3).tolist())
    return "\n".join(lines) + "\n" + body + "\n"


def _axis_tables(
    lut: Lut3D, channel: int, stride: int
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]:
    """Per 8-bit code: flat-table offset of the lower grid point on this axis and the upper's weight."""
    n = lut.size
    lo, hi = lut.domain_min[channel], lut.domain_max[channel]
    x = np.arange(256, dtype=np.float64) / 255.0
    pos = np.clip((x - lo) / (hi - lo), 0.0, 1.0) * (n - 1)
    i0 = np.minimum(np.floor(pos), n - 2)
    frac = (pos - i0).astype(np.float32)
    return (i0.astype(np.int32) * stride), frac


def apply_lut(rgb: np.ndarray, lut: Lut3D) -> npt.NDArray[np.uint8]:
    """Apply ``lut`` to an 8-bit RGB image (..., 3) with trilinear interpolation; returns uint8, same shape.

    Each code v is read as v / 255, mapped through the LUT domain (clipped), and interpolated between the 8
    surrounding grid points, as a GPU 3D texture with linear filtering or a straightforward shader does; the
    result is scaled by 255, rounded to nearest and clipped to 0..255. Hardware that quantises filter weights
    (commonly to 8 bits) can differ from this by up to about 1 LSB.
    """
    if not isinstance(rgb, np.ndarray) or rgb.dtype != np.uint8 or rgb.ndim < 1 or rgb.shape[-1] != 3:
        shape = getattr(rgb, "shape", None)
        raise AnalysisError(f"apply_lut: expected a uint8 RGB array of shape (..., 3), got shape {shape}")
    n = lut.size
    pixels = rgb.reshape(-1, 3)
    expanded = lut.red_expanded
    off_g, w_g = _axis_tables(lut, 1, 256)
    off_b, w_b = _axis_tables(lut, 2, n * 256)
    out = np.empty(pixels.shape, dtype=np.uint8)
    # Chunked so temporaries are reused from the heap rather than freshly mapped (page faults dominate
    # otherwise on whole frames).
    for start in range(0, pixels.shape[0], _CHUNK_PIXELS):
        chunk = pixels[start : start + _CHUNK_PIXELS]
        r, g, b = chunk[:, 0], chunk[:, 1], chunk[:, 2]
        i00 = off_b[b] + off_g[g] + r
        i10 = i00 + 256
        i01 = i00 + n * 256
        i11 = i01 + 256
        fg = w_g[g]
        fb = w_b[b]
        values = np.empty(chunk.shape, dtype=np.float32)
        for channel in range(3):
            plane = expanded[channel]
            c00, c10 = np.take(plane, i00), np.take(plane, i10)
            c01, c11 = np.take(plane, i01), np.take(plane, i11)
            c0 = c00 + (c10 - c00) * fg
            c1 = c01 + (c11 - c01) * fg
            values[:, channel] = c0 + (c1 - c0) * fb
        values *= 255.0
        np.clip(values, 0.0, 255.0, out=values)
        out[start : start + _CHUNK_PIXELS] = np.rint(values)
    return out.reshape(rgb.shape)

"""Face-part maps: the 8 classes, their fixed colours, and the maps file (no torch, no pickle).

A map is a uint8 (S, S) array of class ids 0-7, one per pixel, as prepared by
`gan_demo.data.prepare_face_maps` (a face mesh's polygons and a person mask: a model's labels,
not people's). A maps file is an .npz with `maps` (N, S, S) uint8 and `filenames` (N,) naming the
face each map belongs to, so training joins it to the faces by name, as attributes.csv is.
The colours follow the usual face-parsing palettes' spirit: far apart, skin a skin tone.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

CLASS_NAMES = ("background", "skin", "eyebrows", "eyes", "nose", "lips", "inner mouth", "hair, neck, clothes")
N_CLASSES = len(CLASS_NAMES)
PALETTE = np.array(
    [
        (0, 0, 0),  # background
        (230, 180, 140),  # skin
        (120, 60, 20),  # eyebrows
        (40, 120, 255),  # eyes
        (255, 220, 0),  # nose
        (220, 30, 60),  # lips
        (120, 0, 120),  # inner mouth
        (40, 200, 120),  # hair, neck, clothes
    ],
    dtype=np.uint8,
)
# each class's share of the pixels in the shared faces' training maps (the segmenter's class weights)
CLASS_SHARE = (0.366, 0.200, 0.0061, 0.0036, 0.0134, 0.0079, 0.0033, 0.400)
MAX_MAPS_BYTES = 512 * 1024 * 1024  # a maps file inflating past this is refused, not read


class MapError(ValueError):
    """A map or maps file that cannot be used, with a message saying why (no server path)."""


def colorize(ids: np.ndarray) -> np.ndarray:
    """Class ids (..., S, S) -> RGB (..., S, S, 3) in the fixed palette."""
    return PALETTE[check_ids(ids)]


def check_ids(ids: np.ndarray) -> np.ndarray:
    ids = np.asarray(ids)
    if ids.dtype.kind not in "iu":
        raise MapError(f"a map holds integer class ids, found {ids.dtype}")
    if ids.size and (ids.min() < 0 or ids.max() >= N_CLASSES):
        raise MapError(f"a map's class ids are 0-{N_CLASSES - 1}, found {int(ids.min())}-{int(ids.max())}")
    return ids.astype(np.uint8)


def nearest_class(rgb: np.ndarray) -> np.ndarray:
    """RGB (H, W, 3) -> class ids by the nearest palette colour (a painted stroke's antialiased
    edge lands on the class it is closest to)."""
    diff = rgb[..., None, :3].astype(np.int32) - PALETTE.astype(np.int32)
    return (diff**2).sum(-1).argmin(-1).astype(np.uint8)


def palette_distance(rgb: np.ndarray) -> np.ndarray:
    """Each pixel's distance to its nearest palette colour (0 on a clean class-colour map)."""
    diff = rgb[..., None, :3].astype(np.int32) - PALETTE.astype(np.int32)
    return np.sqrt((diff**2).sum(-1).min(-1))


def write_maps(path: str | os.PathLike, maps: np.ndarray, filenames: list[str], dropped: list[str]) -> None:
    """Compressed npz; `dropped` names the faces no map could be made for (counted in the card)."""
    maps = check_ids(maps)
    if maps.ndim != 3 or len(maps) != len(filenames):
        raise MapError(f"expected (N, S, S) maps and N file names, found {maps.shape} and {len(filenames)}")
    tmp = Path(f"{path}.tmp.npz")
    np.savez_compressed(tmp, maps=maps, filenames=np.array(filenames), dropped=np.array(dropped, dtype=str))
    os.replace(tmp, path)


def read_maps(path: str | os.PathLike) -> tuple[np.ndarray, list[str]]:
    """(maps (N, S, S) uint8, filenames) from a maps file, checked; never unpickles."""
    name = Path(path).name
    try:
        with np.load(path, allow_pickle=False) as archive:
            if not {"maps", "filenames"} <= set(archive.files):
                raise MapError(f"{name}: a maps file holds 'maps' and 'filenames', found {sorted(archive.files)}")
            info = archive.zip.getinfo("maps.npy")
            if info.file_size > MAX_MAPS_BYTES:
                raise MapError(f"{name}: its maps inflate to {info.file_size:,} bytes, over {MAX_MAPS_BYTES:,}")
            maps, filenames = archive["maps"], [str(n) for n in archive["filenames"]]
    except (OSError, zipfile.BadZipFile, EOFError) as err:
        raise MapError(f"{name}: not a readable maps file ({type(err).__name__})") from None
    except ValueError as err:
        if isinstance(err, MapError):
            raise
        raise MapError(f"{name}: not a maps file ({err})") from None
    if maps.dtype != np.uint8 or maps.ndim != 3 or maps.shape[1] != maps.shape[2]:
        raise MapError(f"{name}: expected uint8 maps (N, S, S), found {maps.dtype} {maps.shape}")
    if len(filenames) != len(maps):
        raise MapError(f"{name}: {len(maps)} maps but {len(filenames)} file names")
    check_ids(maps)
    return maps, filenames

"""Every training source -> one in-memory uint8 tensor (N, C, S, S), decoded once.

Sources: a folder of npz shards (the `celeba64` layout, with `attributes.csv` joined by file
name), MNIST IDX files, any folder tree of JPEG/PNG/WebP/BMP images, and torchvision's
CelebA and MNIST downloaders (only with download=True).
"""

from __future__ import annotations

import csv
import gzip
import logging
import os
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from gan_demo.domain import DIGIT_NAMES

from .face_parts import CLASS_NAMES, read_maps
from .photos import fit_square, open_image

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"}
DOWNLOADABLE = ("celeba", "mnist")


class DataError(ValueError):
    """A data source that cannot be used, with a message naming the path and the problem."""


@dataclass
class ImageData:
    """images: uint8 (N, C, S, S). labels: float (N, K) of 0/1, uint8 part maps (N, S, S), or
    None. names: one per image."""

    images: torch.Tensor
    labels: torch.Tensor | None = None
    label_names: list[str] = field(default_factory=list)
    label_kind: str = ""  # "attributes" (multi-label) or "classes" (one-of-k); "" when unlabelled
    names: list[str] = field(default_factory=list)
    source: str = ""
    skipped: int = 0

    def __len__(self) -> int:
        return self.images.shape[0]

    @property
    def channels(self) -> int:
        return self.images.shape[1]

    @property
    def size(self) -> int:
        return self.images.shape[2]

    def subset(self, index: slice) -> ImageData:
        return replace(
            self,
            images=self.images[index],
            labels=None if self.labels is None else self.labels[index],
            names=self.names[index],
        )


def attach_maps(data: ImageData, path: str | os.PathLike) -> ImageData:
    """The faces that have a part map (gan_demo.data.face_parts), each with its map as its label
    (uint8 (N, S, S), label_kind "maps"), in the data's order; faces without one are dropped
    and counted in `skipped` (the preparation drops faces it finds no face mesh in)."""
    maps, filenames = read_maps(path)
    if maps.shape[1:] != (data.size, data.size):
        raise DataError(
            f"{Path(path).name}: maps are {maps.shape[1]}x{maps.shape[2]}, the faces {data.size}x{data.size}"
        )
    row = {name: i for i, name in enumerate(filenames)}
    keep = [i for i, name in enumerate(data.names) if name in row]
    if not keep:
        raise DataError(
            f"{Path(path).name}: none of its {len(filenames)} maps names a face of {Path(data.source).name}"
        )
    index = torch.tensor(keep)
    return replace(
        data,
        images=data.images[index],
        labels=torch.from_numpy(maps[[row[data.names[i]] for i in keep]]),
        label_names=list(CLASS_NAMES),
        label_kind="maps",
        names=[data.names[i] for i in keep],
        skipped=data.skipped + len(data) - len(keep),
    )


def split_holdout(data: ImageData, n_holdout: int) -> tuple[ImageData, ImageData]:
    """The last n_holdout images are held out (never trained on); the rest are for training."""
    if not 0 <= n_holdout < len(data):
        raise DataError(f"{data.source}: cannot hold out {n_holdout} of {len(data)} images")
    cut = len(data) - n_holdout
    return data.subset(slice(0, cut)), data.subset(slice(cut, None))


def load_images(
    source: str | os.PathLike,
    size: int | None = None,
    channels: int | None = None,
    download: bool = False,
    download_root: str | os.PathLike | None = None,
) -> ImageData:
    """Load any supported source and bring it to `size` x `size` and `channels` (None keeps)."""
    path = Path(source).expanduser()
    if not path.exists():
        if str(source) in DOWNLOADABLE:
            data = _load_torchvision(str(source), download, download_root)
        else:
            raise DataError(f"data path {str(path)!r} does not exist")
    elif path.is_file() and path.suffix == ".npz":
        data = _load_npz_shards([path], path.parent)
    elif path.is_file():
        raise DataError(f"{path}: expected a folder (npz shards, MNIST IDX files or images) or an .npz file")
    elif sorted(path.glob("*.npz")):
        data = _load_npz_shards(sorted(path.glob("*.npz")), path)
    elif _find_idx(path, "images-idx3-ubyte"):
        data = _load_mnist_idx(path)
    else:
        data = _load_image_folder(path, size or 64, channels)
    return conform(data, size, channels)


def conform(data: ImageData, size: int | None, channels: int | None) -> ImageData:
    """Convert channels (RGB <-> gray) and size (MNIST 28 is padded to 32; others resized)."""
    images = data.images
    if channels is not None and channels != images.shape[1]:
        if channels == 1:
            weights = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
            images = (images.float() * weights).sum(1, keepdim=True).round().clamp(0, 255).to(torch.uint8)
        else:
            images = images.expand(-1, 3, -1, -1).contiguous()
    if size is not None and images.shape[2:] != (size, size):
        if images.shape[2:] == (28, 28):  # MNIST's 28x28 digits get the customary 2-pixel border
            images = F.pad(images, (2, 2, 2, 2))
        if images.shape[2:] != (size, size):
            images = resize_uint8(center_crop(images), size)
    return replace(data, images=images)


def center_crop(images: torch.Tensor) -> torch.Tensor:
    """Largest centred square of an (N, C, H, W) tensor."""
    h, w = images.shape[2:]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    return images[:, :, top : top + side, left : left + side]


def resize_uint8(images: torch.Tensor, size: int, chunk: int = 1024) -> torch.Tensor:
    """Antialiased bilinear resize of uint8 (N, C, H, W), in chunks to bound memory."""
    out = []
    for part in images.split(chunk):
        scaled = F.interpolate(part.float(), size=(size, size), mode="bilinear", antialias=True, align_corners=False)
        out.append(scaled.round().clamp(0, 255).to(torch.uint8))
    return torch.cat(out)


def _as_nchw(array: np.ndarray, where: str) -> torch.Tensor:
    if array.dtype != np.uint8:
        raise DataError(f"{where}: expected uint8 images, found {array.dtype}")
    if array.ndim == 3:
        array = array[..., None]
    if array.ndim != 4 or array.shape[-1] not in (1, 3):
        raise DataError(f"{where}: expected images shaped (N, H, W) or (N, H, W, 1|3), found {array.shape}")
    array = np.ascontiguousarray(array)
    if not array.flags.writeable:  # np.frombuffer views are read-only
        array = array.copy()
    return torch.from_numpy(array).permute(0, 3, 1, 2).contiguous()


def _load_npz_shards(paths: list[Path], folder: Path) -> ImageData:
    chunks, names, skipped = [], [], 0
    for p in paths:
        try:
            with np.load(p, allow_pickle=False) as shard:
                if "images" not in shard:
                    raise DataError(f"{p}: no 'images' array (found {sorted(shard.files)})")
                images = _as_nchw(shard["images"], str(p))
                files = [str(n) for n in shard["filenames"]] if "filenames" in shard else []
        except (OSError, ValueError, zipfile.BadZipFile, EOFError) as err:
            if isinstance(err, DataError):
                raise
            log.warning("skipping unreadable shard %s: %s", p, err)
            skipped += 1
            continue
        if chunks and images.shape[1:] != chunks[0].shape[1:]:
            raise DataError(
                f"{p}: images are {tuple(images.shape[1:])} (C, H, W) but earlier shards hold "
                f"{tuple(chunks[0].shape[1:])}: all shards must have one size and channel count"
            )
        chunks.append(images)
        names += files or [f"{p.stem}/{i:06d}" for i in range(len(images))]
    if not chunks:
        raise DataError(f"{folder}: none of the {len(paths)} npz shards could be read")
    data = ImageData(images=torch.cat(chunks), names=names, source=str(folder), skipped=skipped)
    attributes = folder / "attributes.csv"
    return _join_attributes(data, attributes) if attributes.exists() else data


def _join_attributes(data: ImageData, csv_path: Path) -> ImageData:
    """Join CelebA-style -1/1 attribute rows by image file name."""
    with open(csv_path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows or len(rows[0]) < 2:
        raise DataError(f"{csv_path}: expected a header 'image_id,<attribute>,...'")
    header, table = rows[0], {r[0]: r[1:] for r in rows[1:] if r}
    missing = [n for n in data.names if n not in table]
    if missing:
        log.warning(
            "%s: %d images have no attribute row (e.g. %s); training unlabelled", csv_path, len(missing), missing[0]
        )
        return data
    try:
        values = np.array([table[n] for n in data.names], dtype=np.int8)
    except ValueError as err:
        raise DataError(f"{csv_path}: attribute values must be -1 or 1 ({err})") from err
    labels = torch.from_numpy(values > 0).float()
    return replace(data, labels=labels, label_names=header[1:], label_kind="attributes")


def _find_idx(folder: Path, marker: str) -> Path | None:
    hits = sorted(p for p in folder.iterdir() if marker in p.name)
    return hits[0] if hits else None


def _read_idx(path: Path) -> np.ndarray:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as err:
        raise DataError(f"{path}: cannot read IDX file ({err})") from err
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DataError(f"{path}: not an unsigned-byte IDX file (bad magic number)")
    ndim = raw[3]
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    body = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise DataError(f"{path}: header says {dims} but the file holds {body.size} bytes of data (truncated?)")
    return body.reshape(dims)


def _load_mnist_idx(folder: Path) -> ImageData:
    image_file = _find_idx(folder, "images-idx3-ubyte")
    images = _as_nchw(_read_idx(image_file), str(image_file))
    names = [f"{image_file.name}/{i:05d}" for i in range(len(images))]
    data = ImageData(images=images, names=names, source=str(folder))
    label_file = _find_idx(folder, "labels-idx1-ubyte")
    if label_file is None:
        return data
    digits = torch.from_numpy(_read_idx(label_file).astype(np.int64))
    if digits.shape != (len(images),):
        raise DataError(f"{label_file}: {digits.shape[0]} labels for {len(images)} images")
    labels = F.one_hot(digits, 10).float()
    return replace(data, labels=labels, label_names=DIGIT_NAMES, label_kind="classes")


def decode_image_file(path: Path, size: int, channels: int | None) -> np.ndarray:
    """One photo -> (S, S, C) uint8, decoded as the app decodes uploads (gan_demo.data.photos:
    capped in pixels, EXIF orientation, alpha composited on white, centre square, Lanczos)."""
    return fit_square(open_image(path), size, channels or 3)


def _load_image_folder(folder: Path, size: int, channels: int | None) -> ImageData:
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise DataError(
            f"{folder}: no npz shards, MNIST IDX files or images ({', '.join(sorted(IMAGE_SUFFIXES))}) found"
        )

    def decode(path: Path) -> np.ndarray | None:
        try:
            return decode_image_file(path, size, channels)
        except (OSError, ValueError) as err:  # ImageInputError is a ValueError
            log.warning("skipping unreadable image %s: %s", path, err)
            return None

    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        decoded = list(pool.map(decode, files))
    kept = [(p, a) for p, a in zip(files, decoded) if a is not None]
    skipped = len(files) - len(kept)
    if not kept:
        raise DataError(f"{folder}: none of the {len(files)} image files could be decoded")
    if skipped:
        log.warning("%s: skipped %d of %d image files that could not be decoded", folder, skipped, len(files))
    images = torch.from_numpy(np.stack([a for _, a in kept])).permute(0, 3, 1, 2).contiguous()
    names = [str(p.relative_to(folder)) for p, _ in kept]
    return ImageData(images=images, names=names, source=str(folder), skipped=skipped)


def _load_torchvision(name: str, download: bool, root: str | os.PathLike | None) -> ImageData:
    """CelebA (train split, 40 attributes) or MNIST (train set) through torchvision's downloaders."""
    import torchvision

    root = Path(root or Path.home() / ".cache" / "gan_demo" / "torchvision")
    try:
        if name == "mnist":
            ds = torchvision.datasets.MNIST(root, train=True, download=download)
            images = ds.data.unsqueeze(1).contiguous()
            labels = F.one_hot(ds.targets.long(), 10).float()
            return ImageData(
                images,
                labels,
                DIGIT_NAMES,
                "classes",
                [f"mnist/{i:05d}" for i in range(len(images))],
                f"torchvision MNIST in {root}",
            )
        ds = torchvision.datasets.CelebA(root, split="train", target_type="attr", download=download)
    except RuntimeError as err:  # torchvision raises RuntimeError for "Dataset not found"
        hint = "" if download else " (pass --download to fetch it)"
        raise DataError(f"{name} is not in {root}{hint}: {err}") from err
    arrays = [decode_image_file(Path(ds.root) / ds.base_folder / "img_align_celeba" / f, 64, 3) for f in ds.filename]
    images = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()
    return ImageData(
        images,
        (ds.attr > 0).float(),
        list(ds.attr_names[:40]),
        "attributes",
        list(ds.filename),
        f"torchvision CelebA in {root}",
    )


def to_float(images_uint8: torch.Tensor) -> torch.Tensor:
    """uint8 [0, 255] -> float [-1, 1], keeping the memory format."""
    return images_uint8.float().div_(127.5).sub_(1.0)


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """float [-1, 1] -> uint8 [0, 255]."""
    return images.float().add(1.0).mul_(127.5).round_().clamp_(0, 255).to(torch.uint8)


def random_flip(
    images: torch.Tensor, generator: torch.Generator, maps: torch.Tensor | None = None
) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """Mirror a random half of the batch left-right (on whatever device the batch is); given
    the images' part maps (N, S, S), mirror the same ones and return both."""
    flip = torch.rand(images.shape[0], 1, 1, 1, device=images.device, generator=generator) < 0.5
    flipped = torch.where(flip, images.flip(3), images)
    return flipped if maps is None else (flipped, torch.where(flip[:, 0], maps.flip(2), maps))

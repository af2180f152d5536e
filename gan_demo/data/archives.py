"""A zip of a user's images -> one npz shard that train.py reads, decoded as every upload is.

Nothing in the zip is ever written under its own name: each member is read into memory (capped),
decoded by gan_demo.data.photos (pixel cap, EXIF orientation, alpha on white, centre square) and
stacked, so a member named '../../etc/x' cannot land anywhere. Such names are refused all the
same, since no honest archive has them; so are archives over the count or size limits, members
that inflate more than a zip bomb's ratio, and archives with no decodable image.
"""

from __future__ import annotations

import logging
import os
import zipfile
from pathlib import Path, PurePosixPath

import numpy as np

from .datasets import IMAGE_SUFFIXES
from .photos import ImageInputError, fit_square, open_image

log = logging.getLogger(__name__)

MAX_MEMBERS = 20_000  # images and anything else, directories apart
MAX_MEMBER_BYTES = 20 * 2**20  # one image, unpacked
MAX_TOTAL_BYTES = 1 * 2**30  # the whole archive, unpacked
MAX_RATIO = 100  # unpacked / packed size of one member; photos compress far less, bombs far more


class ArchiveError(ImageInputError):
    """A zip that cannot be used, with a message saying why (never a server path)."""


def _unsafe(name: str) -> bool:
    path = PurePosixPath(name.replace("\\", "/"))
    return path.is_absolute() or ".." in path.parts or (len(name) > 1 and name[1] == ":")


def zip_to_shard(archive: str | os.PathLike, out: Path, size: int, channels: int = 3) -> dict:
    """Decode every image of `archive` to (size, size, channels) uint8 and save them as
    out (an .npz with 'images' and 'filenames'). Returns counts: images, skipped (files that are
    not images or do not decode) and the skipped names' first few."""
    if not zipfile.is_zipfile(archive):
        raise ArchiveError("the upload is not a zip file")
    try:
        with zipfile.ZipFile(archive) as zf:
            members = [m for m in zf.infolist() if not m.is_dir()]
            if len(members) > MAX_MEMBERS:
                raise ArchiveError(f"the zip holds {len(members):,} files, over the limit of {MAX_MEMBERS:,}")
            bad = next((m.filename for m in members if _unsafe(m.filename)), None)
            if bad is not None:
                raise ArchiveError(f"the zip has a file named {bad!r}, which points outside its folder: refused")
            total = sum(m.file_size for m in members)
            if total > MAX_TOTAL_BYTES:
                raise ArchiveError(
                    f"the zip unpacks to {total / 2**20:,.0f} MB, over the {MAX_TOTAL_BYTES >> 20} MB limit"
                )
            images, names, skipped = [], [], []
            for m in members:
                if PurePosixPath(m.filename).suffix.lower() not in IMAGE_SUFFIXES:
                    skipped.append(m.filename)
                    continue
                if m.file_size > MAX_MEMBER_BYTES or m.file_size > MAX_RATIO * max(m.compress_size, 1):
                    raise ArchiveError(f"{m.filename!r} inflates to {m.file_size:,} bytes: refused as a zip bomb")
                with zf.open(m) as f:
                    data = f.read(MAX_MEMBER_BYTES + 1)  # the header's size may lie; the read may not
                if len(data) > MAX_MEMBER_BYTES:
                    raise ArchiveError(
                        f"{m.filename!r} inflates past {MAX_MEMBER_BYTES >> 20} MB: refused as a zip bomb"
                    )
                try:
                    images.append(fit_square(open_image(data), size, channels))
                    names.append(m.filename)
                except ImageInputError as err:
                    log.info("zip member %s skipped: %s", m.filename, err)
                    skipped.append(m.filename)
    except zipfile.BadZipFile as err:
        raise ArchiveError(f"the zip is damaged ({err})") from None
    if not images:
        raise ArchiveError(
            f"no images found in the zip ({', '.join(sorted(s.lstrip('.') for s in IMAGE_SUFFIXES))}); "
            f"{len(skipped)} other files"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(out, images=np.stack(images), filenames=np.array(names))
    return {"images": len(images), "skipped": len(skipped), "skipped_names": skipped[:5]}

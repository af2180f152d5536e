"""What the app keeps between requests: a photo's projection, by the photo's content, so editing
or morphing the same photo again costs the edit, not a new projection."""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image


class Recent:
    """At most `size` entries, the least recently used dropped first; safe across threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        if key is None:
            return None
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key, value) -> None:
        if key is None:
            return
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


def content_hash(upload) -> str | None:
    """A photo's identity by its content (a file's bytes, raw bytes, or the pixels); None when it
    cannot be read, so the caller decodes it and reports the problem itself."""
    digest = hashlib.sha256()
    if isinstance(upload, bytes):
        digest.update(upload)
    elif isinstance(upload, (str, os.PathLike)):
        try:
            digest.update(Path(upload).read_bytes())
        except OSError:
            return None
    elif isinstance(upload, Image.Image):
        digest.update(f"{upload.mode}{upload.size}".encode() + upload.tobytes())
    elif isinstance(upload, np.ndarray):
        digest.update(f"{upload.dtype}{upload.shape}".encode() + np.ascontiguousarray(upload).tobytes())
    else:
        return None
    return digest.hexdigest()

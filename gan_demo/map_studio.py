"""The Face <-> map tab's work, Gradio-free: a start map from a generated face (the app ships no
dataset photos), a photo's map, a painted map read back, and faces made from a map by every
translator with several styles, each re-segmented and scored against the map.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from gan_demo.data.face_parts import colorize
from gan_demo.data.map_files import load_map
from gan_demo.data.photos import ImageInputError, open_image, to_tensor, to_uint8_hwc
from gan_demo.latent.code_scale import CodeScale, random_codes
from gan_demo.metrics.segmentation import map_scores
from gan_demo.models.pretrained import Pretrained
from gan_demo.models.sampling import sample_codes

CANVAS = 256  # the painted map's size on screen: 4 canvas pixels per map pixel
MAX_STYLES = 6


@dataclass
class Made:
    """Faces made from one map: per translator a row of faces (one per style) and each face's
    re-segmentation mIoU against the map."""

    rows: dict[str, np.ndarray]  # translator name -> (S, n*S, 3) uint8
    miou: dict[str, list[float]]


class MapStudio:
    def __init__(self, models: Mapping[str, Pretrained], scales: Mapping[str, CodeScale] | None = None):
        self.scales = dict(scales or {})  # translator name -> where its style codes lie
        self.segmenters = [m for m in models.values() if m.spec.can("segment")]
        # the cGAN first, then the L1-only twin: the side by side pix2pix's paper draws
        self.translators = sorted(
            (m for m in models.values() if m.spec.can("translate")), key=lambda m: not m.meta.get("adversarial", True)
        )
        self.faces = [m for m in models.values() if m.spec.can("sample") and m.arch.channels == 3]
        self.faces.sort(key=lambda m: (not m.spec.adversarial, not m.spec.can("encode")))

    @property
    def available(self) -> bool:
        return bool(self.segmenters and self.translators)

    @property
    def size(self) -> int:
        return self.segmenters[0].arch.size

    def label(self, model: Pretrained) -> str:
        return "pix2pix (L1 + cGAN)" if model.meta.get("adversarial", True) else "L1 only"

    def segment(self, face: torch.Tensor) -> np.ndarray:
        return self.segmenters[0].segment(face)[0].cpu().numpy()

    def start(self, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """(a generated face (S, S, 3) uint8, its map (S, S) class ids)."""
        if not self.faces:
            raise ValueError("no face generator is loaded to draw a start face: upload a photo instead")
        model = self.faces[0]
        face = model.generate(sample_codes(1, model.arch.z_dim, seed))
        face = (
            torch.nn.functional.interpolate(face, size=self.size, mode="area") if face.shape[-1] != self.size else face
        )
        return to_uint8_hwc(face)[0], self.segment(face)

    def map_of(self, upload) -> tuple[np.ndarray, np.ndarray]:
        """An uploaded photo -> (the photo as the segmenter sees it, its map)."""
        face = to_tensor(open_image(upload), self.size, 3)
        return to_uint8_hwc(face)[0], self.segment(face)

    def read_painted(self, composite) -> np.ndarray:
        """The editor's composite (a path or bytes of the painted colour map) -> class ids."""
        if composite is None:
            raise ImageInputError("paint a map first: press 'New face' or upload a photo")
        return load_map(composite, self.size)

    def make(self, ids: np.ndarray, seed: int, styles: int, style_face=None) -> Made:
        """Faces from a map: `styles` random styles from `seed` (the first the style of
        `style_face` when given), by every translator."""
        styles = max(1, min(int(styles), MAX_STYLES))
        maps = torch.from_numpy(ids)[None].expand(styles, -1, -1)
        rows, miou = {}, {}
        for model in self.translators:
            codes = random_codes(model, styles, seed, self.scales.get(model.name))
            if style_face is not None:
                codes[0] = model.style_of(to_tensor(open_image(style_face), self.size, 3))[0]
            faces = model.translate(maps, codes)
            found = self.segmenters[0].segment(faces).cpu()
            miou[self.label(model)] = [round(map_scores(f[None], maps[:1])["miou"], 3) for f in found]
            rows[self.label(model)] = np.concatenate(list(to_uint8_hwc(faces)), axis=1)
        return Made(rows, miou)


def canvas_image(ids: np.ndarray) -> Image.Image:
    """A map in the palette's colours at canvas size, for painting over."""
    return Image.fromarray(colorize(ids)).resize((CANVAS, CANVAS), Image.NEAREST)

"""Face-part maps for a folder of faces, made once, in a venv of their own (requirements-maps.txt).

    python -m gan_demo.data.prepare_face_maps --faces ../shared/data/celeba64 --out data/celeba64-maps.npz

Each face is upscaled to 256 px (MediaPipe's face mesh misses most faces at 64 px), meshed
(478 landmarks) and segmented (the selfie model's person mask); the classes are painted at
256 px in this order, each over the last: hair-neck-clothes (the person mask), skin (the face
oval), eyebrows, eyes, nose, lips, inner mouth; each 4x4 block then takes its most common class.
Faces without a mesh are dropped and named in the file. These labels are a model's, not people's.

Imports numpy, OpenCV and MediaPipe only: mediapipe 0.10.21, the last release that carries its
models inside the wheel, pins numpy<2, which the app's venv does not have.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from .face_parts import N_CLASSES, write_maps

WORK = 256  # the size faces are meshed and painted at
MASK_THRESHOLD = 0.5


def chains(edges) -> list[list[int]]:
    """A MediaPipe connection set (unordered (a, b) edges) -> its paths, each an ordered list of
    landmark ids (a closed loop ends where it starts)."""
    neighbours: dict[int, list[int]] = {}
    for a, b in edges:
        neighbours.setdefault(a, []).append(b)
        neighbours.setdefault(b, []).append(a)
    unused = {frozenset(e) for e in edges}
    paths = []
    while unused:
        ends = [n for n, near in neighbours.items() if len(near) == 1 and any(n in e for e in unused)]
        start = ends[0] if ends else next(iter(next(iter(unused))))
        path = [start]
        while True:
            step = next((n for n in neighbours[path[-1]] if frozenset((path[-1], n)) in unused), None)
            if step is None:
                break
            unused.discard(frozenset((path[-1], step)))
            path.append(step)
        paths.append(path)
    return paths


def outline(paths: list[list[int]], points: np.ndarray) -> list[int]:
    """One polygon around a part: its loop, or its open paths joined each at its nearer end (an
    eyebrow's upper and lower arcs)."""
    paths = sorted(paths, key=len, reverse=True)
    ring = list(paths[0])
    for path in paths[1:]:
        near_start = np.linalg.norm(points[path[0]] - points[ring[-1]])
        near_end = np.linalg.norm(points[path[-1]] - points[ring[-1]])
        ring += path if near_start <= near_end else path[::-1]
    return ring


def lip_loops(points: np.ndarray, loops: list[list[int]]) -> tuple[list[int], list[int]]:
    """(outer, inner) lip loop by the area they enclose."""
    areas = [cv2.contourArea(points[loop].astype(np.float32)) for loop in loops]
    order = np.argsort(areas)
    return loops[order[-1]], loops[order[0]]


class Mapper:
    """One face (S, S, 3) uint8 -> its map (S, S) of class ids, or None when no face is found."""

    def __init__(self):
        import mediapipe as mp
        from mediapipe.python.solutions import face_mesh_connections as mesh

        self.mesh = mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1, refine_landmarks=True)
        self.person = mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0)
        self.lips = chains(mesh.FACEMESH_LIPS)
        self.parts = {
            1: [chains(mesh.FACEMESH_FACE_OVAL)],
            2: [chains(mesh.FACEMESH_LEFT_EYEBROW), chains(mesh.FACEMESH_RIGHT_EYEBROW)],
            3: [chains(mesh.FACEMESH_LEFT_EYE), chains(mesh.FACEMESH_RIGHT_EYE)],
            4: [[sorted({i for e in mesh.FACEMESH_NOSE for i in e})]],
        }

    def __call__(self, face: np.ndarray) -> np.ndarray | None:
        size = face.shape[0]
        big = cv2.resize(face, (WORK, WORK), interpolation=cv2.INTER_CUBIC)
        found = self.mesh.process(big).multi_face_landmarks
        if not found:
            return None
        points = np.array([(p.x * WORK, p.y * WORK) for p in found[0].landmark], dtype=np.float32)
        canvas = np.zeros((WORK, WORK), np.uint8)
        canvas[self.person.process(big).segmentation_mask > MASK_THRESHOLD] = 7
        outer, inner = lip_loops(points, self.lips)
        for cls, polygons in [*self.parts.items(), (5, [[outer]]), (6, [[inner]])]:
            for paths in polygons:
                pts = points[outline(paths, points)]
                if cls == 4:  # the nose's landmarks are a cloud, not a line: its hull
                    pts = cv2.convexHull(pts)
                cv2.fillPoly(canvas, [np.round(pts).astype(np.int32)], cls)
        return block_mode(canvas, WORK // size)


def block_mode(canvas: np.ndarray, block: int) -> np.ndarray:
    """Downsample a class map by taking each block's most common class."""
    s = canvas.shape[0] // block
    onehot = np.eye(N_CLASSES, dtype=np.uint8)[canvas]  # (W, W, K)
    counts = onehot.reshape(s, block, s, block, N_CLASSES).sum((1, 3))
    return counts.argmax(-1).astype(np.uint8)


def read_faces(folder: Path) -> tuple[np.ndarray, list[str]]:
    """The faces of a folder of npz shards (images (N, S, S, 3) uint8, filenames)."""
    images, names = [], []
    shards = sorted(folder.glob("*.npz"))
    if not shards:
        raise SystemExit(f"error: {folder} holds no npz shards")
    for shard in shards:
        with np.load(shard, allow_pickle=False) as archive:
            images.append(archive["images"])
            names += [str(n) for n in archive["filenames"]]
    return np.concatenate(images), names


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--faces", required=True, type=Path, help="a folder of npz shards (images, filenames)")
    p.add_argument("--out", required=True, type=Path, help="the maps file to write (.npz)")
    p.add_argument("--limit", type=int, help="only the first N faces")
    args = p.parse_args(argv)
    faces, names = read_faces(args.faces)
    if args.limit:
        faces, names = faces[: args.limit], names[: args.limit]
    mapper = Mapper()
    maps, kept, dropped = [], [], []
    start = time.perf_counter()
    for i, (face, name) in enumerate(zip(faces, names)):
        found = mapper(face)
        if found is None:
            dropped.append(name)
        else:
            maps.append(found)
            kept.append(name)
        if (i + 1) % 500 == 0:
            print(f"{i + 1}/{len(faces)} faces, {len(dropped)} without a mesh", file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_maps(args.out, np.stack(maps), kept, dropped)
    seconds = time.perf_counter() - start
    print(f"wrote {len(kept)} maps to {args.out} ({len(dropped)} faces without a mesh dropped) in {seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
